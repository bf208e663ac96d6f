//! The end-to-end suite: the built binary against a real Docker engine, real Docker Compose v2
//! and a real busybox image (`make e2e`, which runs `tests/e2e/setup.sh` first).
//!
//! Each test builds the fixture manager (`fixture/compose.yaml`, project `manager`) in a fresh
//! directory, fills its share volume with awkward content, runs a reset and compares /share entry
//! by entry. The tests share the engine and the project name, so they hold a process-wide lock.
#![allow(clippy::disallowed_methods)] // the suite drives docker and the binary directly

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, chown, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use sha2::{Digest, Sha256};

static ENGINE: Mutex<()> = Mutex::new(());

const SMALL_FILES: usize = 10_000;
const BIG_FILE: usize = 20 * 1024 * 1024;

struct Fixture {
    dir: tempfile::TempDir,
    _engine: MutexGuard<'static, ()>,
}

fn docker(args: &[&str]) -> Output {
    Command::new("docker").args(args).stdin(Stdio::null()).output().expect("docker runs")
}

fn ok(output: Output, what: &str) -> String {
    assert!(output.status.success(), "{what}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

impl Fixture {
    /// A running fixture manager whose share volume holds the awkward content.
    fn new() -> Fixture {
        let engine = ENGINE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let dir = tempfile::Builder::new().prefix("omr-e2e-").tempdir().unwrap();
        let fixture = Fixture { dir, _engine: engine };
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/fixture");
        for d in [fixture.project(), fixture.backup_dir(), fixture.bin()] {
            fs::create_dir_all(d).unwrap();
        }
        fs::copy(here.join("compose.yaml"), fixture.project().join("compose.yaml")).unwrap();
        for tool in ["systemctl", "osism"] {
            symlink(here.join("bin").join(tool), fixture.bin().join(tool)).unwrap();
        }
        fixture.compose(&["down", "--volumes", "--remove-orphans"]);
        ok(fixture.compose(&["up", "--detach", "--wait"]), "compose up");
        fixture.fill_share();
        fs::write(fixture.volume_dir("manager_mariadb").join("ibdata1"), "ARA and friends").unwrap();
        fixture
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn project(&self) -> PathBuf {
        self.path().join("manager")
    }
    fn backup_dir(&self) -> PathBuf {
        self.path().join("backups")
    }
    fn bin(&self) -> PathBuf {
        self.path().join("bin")
    }
    fn log(&self) -> PathBuf {
        self.path().join("calls.log")
    }

    fn compose(&self, args: &[&str]) -> Output {
        let project = self.project();
        let mut argv = vec!["compose", "--project-directory", project.to_str().unwrap()];
        argv.extend_from_slice(args);
        docker(&argv)
    }

    /// The volume's data directory on this host (the local driver; the suite runs as root).
    fn volume_dir(&self, volume: &str) -> PathBuf {
        PathBuf::from(
            ok(docker(&["volume", "inspect", "--format", "{{.Mountpoint}}", volume]), "inspect").trim(),
        )
    }

    fn volume_created(&self, volume: &str) -> String {
        ok(docker(&["volume", "inspect", "--format", "{{.CreatedAt}}", volume]), "inspect").trim().to_owned()
    }

    fn fill_share(&self) {
        let share = self.volume_dir("manager_share");
        let write = |rel: &str, data: &[u8]| {
            let path = share.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, data).unwrap();
        };
        write("ansible/secrets/vault key.txt", b"vault-password\n");
        write("ceph/ceph.client.admin.keyring", b"[client.admin]\n\tkey = AQ==\n");
        write("known_hosts", b"testbed-node-0 ssh-ed25519 AAAA\n");
        write("octavia/Grüße ñ/ca cert.pem", b"-----BEGIN CERTIFICATE-----\n");
        write("empty", b"");
        write("private", b"only uid 1000 reads this\n");
        fs::set_permissions(share.join("private"), fs::Permissions::from_mode(0o600)).unwrap();
        chown(share.join("private"), Some(1000), Some(1000)).unwrap();
        symlink("ceph/ceph.client.admin.keyring", share.join("keyring link")).unwrap();
        let mut big = vec![0u8; BIG_FILE];
        let mut state = 0x2545F4914F6CDD1Du64;
        for chunk in big.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
        }
        write("images/big.bin", &big);
        for i in 0..SMALL_FILES {
            write(&format!("many/{:02}/file-{i}.txt", i % 100), format!("small file {i}\n").as_bytes());
        }
    }

    /// Every entry of /share: path, type, size, mode, owner, link target, sha256 of contents.
    fn share_listing(&self) -> BTreeMap<String, String> {
        let root = self.volume_dir("manager_share");
        let mut listing = BTreeMap::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let meta = fs::symlink_metadata(&path).unwrap();
                let rel = path.strip_prefix(&root).unwrap().display().to_string();
                let kind = if meta.file_type().is_symlink() {
                    format!("link -> {}", fs::read_link(&path).unwrap().display())
                } else if meta.is_dir() {
                    stack.push(path.clone());
                    "dir".to_owned()
                } else {
                    format!("file {} bytes sha256 {:x}", meta.len(), Sha256::digest(fs::read(&path).unwrap()))
                };
                let mode = meta.permissions().mode() & 0o7777;
                listing.insert(rel, format!("{kind} mode {mode:o} owner {}:{}", meta.uid(), meta.gid()));
            }
        }
        listing
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let path = format!("{}:{}", self.bin().display(), std::env::var("PATH").unwrap_or_default());
        let mut command = Command::new(env!("CARGO_BIN_EXE_osism-manager-reset"));
        for (key, _) in std::env::vars() {
            if key.starts_with("OSISM_MANAGER_RESET_") || key.starts_with("E2E_") {
                command.env_remove(key);
            }
        }
        command
            .args(args)
            .args(["--project-directory", self.project().to_str().unwrap()])
            .args(["--backup-dir", self.backup_dir().to_str().unwrap()])
            .env("PATH", path)
            .env("E2E_PROJECT", self.project())
            .env("E2E_UNIT", "manager.service")
            .env("E2E_LOG", self.log())
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("the binary starts")
    }

    fn backup_files(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.backup_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn all_healthy(&self) -> bool {
        let out = ok(self.compose(&["ps", "--all", "--format", "json"]), "ps");
        let containers: Vec<serde_json::Value> =
            out.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect();
        containers.len() == 4
            && containers
                .iter()
                .all(|c| c["State"] == "running" && (c["Health"] == "healthy" || c["Health"] == ""))
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = self.compose(&["down", "--volumes", "--remove-orphans"]);
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_full_reset_keeps_share_byte_for_byte() {
    let fixture = Fixture::new();
    let before = fixture.share_listing();
    assert!(before.len() > SMALL_FILES, "the fixture is not filled");
    let mariadb_created = fixture.volume_created("manager_mariadb");

    let started = Instant::now();
    let out = fixture.run(&["--yes"], &[]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}\n{}", text(&out.stdout), text(&out.stderr));

    let after = fixture.share_listing();
    let differing: Vec<_> = before.iter().filter(|(k, v)| after.get(*k) != Some(v)).take(5).collect();
    assert!(differing.is_empty(), "/share differs, e.g. {differing:?}");
    assert_eq!(after.len(), before.len(), "/share has extra entries");

    let mariadb = fixture.volume_dir("manager_mariadb");
    assert!(!mariadb.join("ibdata1").exists(), "the mariadb volume was not recreated");
    assert_ne!(fixture.volume_created("manager_mariadb"), mariadb_created);
    assert!(fixture.all_healthy(), "not every service is healthy after the reset");

    let files = fixture.backup_files();
    let stamp = files.iter().find_map(|f| f.strip_prefix("manager-share-")?.strip_suffix(".tar.gz")).unwrap();
    for expected in [
        format!("manager-share-{stamp}.tar.gz"),
        format!("manager-share-{stamp}.tar.gz.sha256"),
        format!("manager-reset-{stamp}.journal.json"),
        format!("manager-reset-{stamp}.log"),
    ] {
        assert!(files.contains(&expected), "{expected} not in {files:?}");
    }
    let check = Command::new("sha256sum")
        .args(["--check", &format!("manager-share-{stamp}.tar.gz.sha256")])
        .current_dir(fixture.backup_dir())
        .output()
        .unwrap();
    assert!(check.status.success(), "sha256sum -c: {}", text(&check.stdout));
    let calls = fs::read_to_string(fixture.log()).unwrap();
    assert_eq!(
        calls, "stop manager.service\nstart manager.service\nosism reconciler sync\nosism apply facts\n",
        "the stand-ins were called otherwise"
    );

    let archive = fixture.backup_dir().join(format!("manager-share-{stamp}.tar.gz"));
    let share_bytes: u64 =
        before.values().filter_map(|v| v.strip_prefix("file ")?.split(' ').next()?.parse::<u64>().ok()).sum();
    eprintln!(
        "figures: full reset {:.1}s; /share {} entries, {:.1} MiB; archive {:.1} MiB",
        took.as_secs_f64(),
        before.len() + 1,
        share_bytes as f64 / 1048576.0,
        fs::metadata(archive).unwrap().len() as f64 / 1048576.0
    );
}

#[test]
fn a_backup_that_cannot_be_made_stops_before_down() {
    let fixture = Fixture::new();
    let before = fixture.share_listing();
    // An image with sh, find, wc and du (preflight measures /share with it) but no tar.
    let image = "busybox-without-tar:e2e";
    let build = Command::new("sh")
        .args([
            "-c",
            &format!(
                "docker create --name omr-e2e-notar busybox:latest >/dev/null && \
                 docker export omr-e2e-notar | tar --delete bin/tar | docker import - {image} >/dev/null; \
                 s=$?; docker rm omr-e2e-notar >/dev/null; exit $s"
            ),
        ])
        .output()
        .unwrap();
    assert!(build.status.success(), "{}", text(&build.stderr));

    let out = fixture.run(&["--yes", "--image", image], &[]);
    assert_eq!(out.status.code(), Some(1), "{}\n{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stderr).contains("step 2 (Back up the /share volume) failed"), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("/share is untouched"), "{}", text(&out.stderr));
    assert!(fixture.volume_dir("manager_mariadb").join("ibdata1").exists(), "down -v ran");
    assert_eq!(fixture.share_listing(), before);
    let _ = docker(&["image", "rm", image]);
}

#[test]
fn killed_between_down_and_restore_then_resumed_brings_share_back() {
    let fixture = Fixture::new();
    let before = fixture.share_listing();
    let out = fixture.run(&["--yes"], &[("E2E_KILL_ON", "start")]);
    assert_eq!(out.status.code(), None, "the tool was not killed: {}", text(&out.stderr));
    assert!(!fixture.volume_dir_exists("manager_share"), "down -v did not run before the kill");

    let out = fixture.run(&["--resume", "--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(fixture.share_listing(), before);
    assert!(fixture.all_healthy());
}

#[test]
fn dry_run_lists_the_volumes_down_deletes() {
    let fixture = Fixture::new();
    let out = fixture.run(&["--dry-run", "--output", "json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let plan: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(
        plan["volumes_deleted"],
        serde_json::json!(["manager_mariadb", "manager_redis", "manager_share"])
    );
    assert_eq!(plan["problems"], serde_json::json!([]));
    assert_eq!(plan["service"]["unit"], "manager.service");
    assert_eq!(plan["project"], "manager");
}

impl Fixture {
    fn volume_dir_exists(&self, volume: &str) -> bool {
        docker(&["volume", "inspect", volume]).status.success()
    }
}
