//! The fixture manager of the real-engine suite and the benchmarks: a compose project modelled
//! on OSISM's (`fixture/compose.yaml`), its share volume filled with awkward content, and the
//! built binary run against it with stand-ins for systemctl and osism first on PATH.
//!
//! Fixtures share the engine and the project name `manager`, so each holds a process-wide lock.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{PermissionsExt, chown, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};

#[path = "../common/listing.rs"]
mod listing;
use listing::listing;
#[path = "../common/clean_command.rs"]
mod clean_command;
use clean_command::clean_command;

static ENGINE: Mutex<()> = Mutex::new(());

/// The operator's uid and gid (`dragon`, made by setup.sh), as OSISM's operator role makes them.
pub const DRAGON: u32 = 45000;

/// Every entry under `root`, as `listing` describes it.
pub fn listing_of(root: &Path) -> BTreeMap<String, String> {
    listing(root)
}

/// What /share holds besides the awkward handful of files.
#[derive(Debug, Clone, Copy)]
pub struct Share {
    pub small_files: usize,
    pub big_file_bytes: usize,
}

impl Share {
    /// The suite's share: 10,000 small files and a 20 MB binary file.
    pub const SUITE: Share = Share { small_files: 10_000, big_file_bytes: 20 * 1024 * 1024 };
}

pub struct Fixture {
    dir: tempfile::TempDir,
    _engine: MutexGuard<'static, ()>,
}

pub fn docker(args: &[&str]) -> Output {
    Command::new("docker").args(args).stdin(Stdio::null()).output().expect("docker runs")
}

pub fn ok(output: Output, what: &str) -> String {
    assert!(output.status.success(), "{what}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

impl Fixture {
    /// A running fixture manager whose share volume holds the awkward content and `share`.
    pub fn new(share: Share) -> Fixture {
        Fixture::after(share, || {})
    }

    /// A fixture made after `litter` has run on the engine, under the engine's lock: whatever it
    /// leaves of a project named `manager` must not reach the fixture.
    pub fn after(share: Share, litter: impl FnOnce()) -> Fixture {
        let fixture = Fixture::made(share, "compose.yaml", "", litter);
        fs::write(fixture.volume_dir("manager_mariadb").join("ibdata1"), "ARA and friends").unwrap();
        fixture
    }

    /// A running fixture manager of another compose file of `fixture/` (`ara.yaml`: the real
    /// MariaDB and ARA), with `env` (`NAME=value` lines) as the project's `.env`.
    pub fn variant(share: Share, compose: &str, env: &str) -> Fixture {
        Fixture::made(share, compose, env, || {})
    }

    fn made(share: Share, compose: &str, env: &str, litter: impl FnOnce()) -> Fixture {
        let engine = ENGINE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        litter();
        let dir = tempfile::Builder::new().prefix("omr-e2e-").tempdir().unwrap();
        let fixture = Fixture { dir, _engine: engine };
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/fixture");
        for d in [
            fixture.project(),
            fixture.backup_dir(),
            fixture.bin(),
            fixture.configuration().join("environments"),
        ] {
            fs::create_dir_all(d).unwrap();
        }
        // The project directory is the operator's, as /opt/manager is dragon's: the stand-in unit
        // runs as dragon (User=), and so does the tool's pull of its images before step 1.
        fs::set_permissions(fixture.path(), fs::Permissions::from_mode(0o711)).unwrap();
        chown(fixture.project(), Some(DRAGON), Some(DRAGON)).unwrap();
        // Configured for unattended runs, as a manager reset from CI is: the vault password in the
        // configuration repository serves every Ansible run (vault tests take it away).
        fs::write(fixture.vault_pass(), "vault password\n").unwrap();
        fs::copy(here.join(compose), fixture.project().join("compose.yaml")).unwrap();
        if !env.is_empty() {
            fs::write(fixture.project().join(".env"), env).unwrap();
        }
        for tool in ["systemctl", "journalctl", "osism"] {
            symlink(here.join("bin").join(tool), fixture.bin().join(tool)).unwrap();
        }
        fixture.clean_slate();
        ok(fixture.compose(&["up", "--detach", "--wait"]), "compose up");
        fixture.fill_share(share);
        fixture
    }

    /// Nothing of any project named `manager` is left on the engine: its containers, and its
    /// volumes, declared or not (an earlier run, another project of that name, a manager's
    /// leftover `manager_redis`).
    fn clean_slate(&self) {
        let label = "label=com.docker.compose.project=manager";
        // The project's containers, the tool's read-backs a killed run may have left, and its
        // tar containers that a test which failed midway left with this backup directory mounted.
        let backup = format!("volume={}", self.backup_dir().display());
        for filter in [label, "label=org.osism.manager-reset.read-back", &backup] {
            let containers = docker(&["ps", "--all", "--quiet", "--filter", filter]);
            for container in String::from_utf8_lossy(&containers.stdout).split_whitespace() {
                let _ = docker(&["rm", "--force", "--volumes", container]);
            }
        }
        self.compose(&["down", "--volumes", "--remove-orphans"]);
        // The declared volumes even without Compose's labels, and every labelled one.
        let labelled = docker(&["volume", "ls", "--quiet", "--filter", label]);
        let labelled = String::from_utf8_lossy(&labelled.stdout).into_owned();
        for volume in labelled.split_whitespace().chain(["manager_share", "manager_mariadb"]) {
            let _ = docker(&["volume", "rm", "--force", volume]);
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn project(&self) -> PathBuf {
        self.path().join("manager")
    }
    pub fn backup_dir(&self) -> PathBuf {
        self.path().join("backups")
    }
    pub fn bin(&self) -> PathBuf {
        self.path().join("bin")
    }
    pub fn log(&self) -> PathBuf {
        self.path().join("calls.log")
    }
    /// The manager's configuration repository (`/opt/configuration` on a manager).
    pub fn configuration(&self) -> PathBuf {
        self.path().join("configuration")
    }
    /// environments/.vault_pass, which serves osism's Ansible runs the vault password.
    pub fn vault_pass(&self) -> PathBuf {
        self.configuration().join("environments/.vault_pass")
    }

    pub fn compose(&self, args: &[&str]) -> Output {
        let project = self.project();
        let mut argv = vec!["compose", "--project-directory", project.to_str().unwrap()];
        argv.extend_from_slice(args);
        docker(&argv)
    }

    /// The volume's data directory on this host (the local driver; the suite runs as root).
    pub fn volume_dir(&self, volume: &str) -> PathBuf {
        PathBuf::from(
            ok(docker(&["volume", "inspect", "--format", "{{.Mountpoint}}", volume]), "inspect").trim(),
        )
    }

    pub fn volume_created(&self, volume: &str) -> String {
        ok(docker(&["volume", "inspect", "--format", "{{.CreatedAt}}", volume]), "inspect").trim().to_owned()
    }

    fn fill_share(&self, share_size: Share) {
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
        // Incompressible, as images and keys are, and written a mebibyte at a time: the
        // benchmarks' /share holds gigabytes.
        let big = share.join("images/big.bin");
        fs::create_dir_all(big.parent().unwrap()).unwrap();
        let mut file = std::io::BufWriter::new(fs::File::create(big).unwrap());
        let (mut state, mut left) = (0x2545F4914F6CDD1Du64, share_size.big_file_bytes);
        let mut buffer = vec![0u8; 1 << 20];
        while left > 0 {
            let chunk = &mut buffer[..left.min(1 << 20)];
            for word in chunk.chunks_mut(8) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                word.copy_from_slice(&state.to_le_bytes()[..word.len()]);
            }
            file.write_all(chunk).unwrap();
            left -= chunk.len();
        }
        file.flush().unwrap();
        for i in 0..share_size.small_files {
            write(&format!("many/{:02}/file-{i}.txt", i % 100), format!("small file {i}\n").as_bytes());
        }
    }

    /// Every entry of /share, as `listing` describes it.
    pub fn share_listing(&self) -> BTreeMap<String, String> {
        listing(&self.volume_dir("manager_share"))
    }

    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.command(args, env).output().expect("the binary starts")
    }

    /// The binary with the stand-ins first on PATH, pointed at this project and backup directory
    /// through the environment, so that `args` can still choose others.
    pub fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = clean_command(env!("CARGO_BIN_EXE_osism-manager-reset"));
        command.args(args);
        self.in_fixture(&mut command, env);
        command
    }

    /// `line`, a command the tool printed for the operator, typed into a shell in `dir` with the
    /// binary and the stand-ins first on PATH: none of the tool's variables but the state
    /// directory, which keeps the suite's records apart, so that the line must name the rest.
    pub fn type_line(&self, line: &str, dir: &Path) -> Output {
        let binary = Path::new(env!("CARGO_BIN_EXE_osism-manager-reset"));
        let mut shell = clean_command("/bin/sh");
        shell.args(["-c", line]).current_dir(dir).envs(self.stand_in_env());
        shell.env("OSISM_MANAGER_RESET_STATE_DIR", self.path().join("records"));
        let path = format!("{}:{}", binary.parent().unwrap().display(), self.stand_in_env()[0].1);
        shell.env("PATH", path).output().expect("sh starts")
    }

    fn in_fixture(&self, command: &mut Command, env: &[(&str, &str)]) {
        command.envs(self.tool_env()).envs(self.stand_in_env()).envs(env.iter().copied());
    }

    /// The tool's variables that point it at this project, backup, state and configuration
    /// directory.
    pub fn tool_env(&self) -> Vec<(String, String)> {
        let path = |p: PathBuf| p.display().to_string();
        vec![
            ("OSISM_MANAGER_RESET_PROJECT_DIRECTORY".into(), path(self.project())),
            ("OSISM_MANAGER_RESET_BACKUP_DIR".into(), path(self.backup_dir())),
            ("OSISM_MANAGER_RESET_STATE_DIR".into(), path(self.path().join("records"))),
            ("OSISM_MANAGER_RESET_CONFIGURATION_DIRECTORY".into(), path(self.configuration())),
        ]
    }

    /// The environment the stand-ins need: PATH, and the unit they model.
    pub fn stand_in_env(&self) -> Vec<(String, String)> {
        let path = format!("{}:{}", self.bin().display(), std::env::var("PATH").unwrap_or_default());
        vec![
            ("PATH".into(), path),
            ("E2E_PROJECT".into(), self.project().display().to_string()),
            ("E2E_UNIT".into(), "manager.service".into()),
            ("E2E_LOG".into(), self.log().display().to_string()),
            ("E2E_CONFIGURATION".into(), self.configuration().display().to_string()),
        ]
    }

    /// Sets a vault password the way an operator does, through the osism stand-in, so that the
    /// vault is in use: the key file in /share, the password in Redis's anonymous volume.
    pub fn set_vault_password(&self, password: &str) {
        let mut osism = Command::new(self.bin().join("osism"));
        osism.args(["set", "vault", "password"]).envs(self.stand_in_env()).stdin(Stdio::piped());
        let mut child = osism.spawn().unwrap();
        child.stdin.take().unwrap().write_all(password.as_bytes()).unwrap();
        assert!(child.wait().unwrap().success(), "osism set vault password failed");
        let _ = fs::remove_file(self.log());
    }

    /// The vault password Redis holds now, if any.
    pub fn vault_password(&self) -> Option<String> {
        let out = self.compose(&["exec", "-T", "redis", "cat", "/data/ansible_vault_password"]);
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The compose project a volume is labelled with ("" without the label), `None` if missing.
    pub fn volume_project(&self, volume: &str) -> Option<String> {
        let format = "{{ index .Labels \"com.docker.compose.project\" }}";
        let out = docker(&["volume", "inspect", "--format", format, volume]);
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().replace("<no value>", ""))
    }

    pub fn backup_files(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.backup_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// The project's containers, running or not, as `docker compose ps --all --format json` has them.
    pub fn containers(&self) -> Vec<serde_json::Value> {
        let out = ok(self.compose(&["ps", "--all", "--format", "json"]), "ps");
        out.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    /// `docker compose ps --all` as an operator reads it, for a test's message.
    pub fn ps(&self) -> String {
        let out = self.compose(&["ps", "--all"]);
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    }

    pub fn all_healthy(&self) -> bool {
        let containers = self.containers();
        containers.len() == 5
            && containers
                .iter()
                .all(|c| c["State"] == "running" && (c["Health"] == "healthy" || c["Health"] == ""))
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.clean_slate();
    }
}
