//! The end-to-end suite: the built binary against a real Docker engine, real Docker Compose v2
//! and a real busybox image, which the fixture manager pulls from a loopback registry
//! (`registry.rs`) (`make e2e`, which runs `tests/e2e/setup.sh` first).
//!
//! Each test builds the fixture manager (see `fixture.rs`) in a fresh directory, runs a reset and
//! compares /share entry by entry: with stand-ins for systemctl and journalctl here, and under a
//! real systemd in `real_systemd.rs` and `systemd_signals.rs` (its host in `systemd_host.rs`).
#![allow(clippy::disallowed_methods, clippy::disallowed_macros)] // the suite drives docker and the binary, and prints figures

mod fixture;
mod kept;
mod real_systemd;
mod registry;
mod rescue;
mod states;
mod systemd_host;
mod systemd_signals;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process_group};

use fixture::{Fixture, Share, docker};

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The running manager's own file in /share: the fixture's osism-ansible appends to it every
/// two seconds, as python-osism's Ansible runs do.
pub(crate) const HISTORY: &str = "ansible-execution-history.json";

/// Every entry /share held before is there as it was; what else is there, or differs, is the
/// running manager's own.
#[track_caller]
pub(crate) fn assert_share_kept(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) {
    let differing: Vec<_> =
        before.iter().filter(|(k, v)| *k != HISTORY && after.get(*k) != Some(v)).take(5).collect();
    assert!(differing.is_empty(), "/share differs, e.g. {differing:?}");
    let extra: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    assert!(
        extra.iter().all(|k| *k == HISTORY),
        "/share holds more than the manager's own writes: {extra:?}"
    );
}

const PASSWORD: &str = "e2e vault password";

/// The operator's password file, as they would keep it: 0600.
fn password_file(fixture: &Fixture) -> String {
    let file = fixture.path().join("vault-password");
    fs::write(&file, format!("{PASSWORD}\n")).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    file.display().to_string()
}

/// A reset as on a real manager: a vault password set, a service writing into /share once
/// started, a Type=simple unit, a labelled volume the compose file no longer declares.
#[test]
fn a_full_reset_keeps_share_and_the_vault_password() {
    let fixture = Fixture::new(Share::SUITE);
    fixture.set_vault_password(PASSWORD);
    // The runs take the password from Redis alone, which `down -v` empties.
    fs::remove_file(fixture.vault_pass()).unwrap();
    // Left by managers deployed before Redis went stateless: labelled, no longer declared.
    let leftover =
        docker(&["volume", "create", "--label", "com.docker.compose.project=manager", "manager_redis"]);
    assert!(leftover.status.success(), "{}", text(&leftover.stderr));
    let before = fixture.share_listing();
    assert!(before.len() > Share::SUITE.small_files, "the fixture is not filled");
    let mariadb_created = fixture.volume_created("manager_mariadb");
    let file = password_file(&fixture);

    let started = Instant::now();
    let out = fixture.run(&["--yes", "--vault-password-file", &file], &[]);
    let took = started.elapsed();
    let output = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{output}");

    let after = fixture.share_listing();
    assert_share_kept(&before, &after);
    assert_ne!(after.get(HISTORY), before.get(HISTORY), "the manager's own write is not there");
    assert_eq!(
        fixture.volume_project("manager_share").as_deref(),
        Some("manager"),
        "the restore created /share"
    );
    assert_eq!(
        fixture.volume_project("manager_redis").as_deref(),
        Some("manager"),
        "the leftover was deleted"
    );
    assert!(
        output
            .contains("keeps these volumes, labelled with the project but no longer declared: manager_redis")
    );
    assert!(output.contains("(anonymous, of redis)"), "{output}");

    let mariadb = fixture.volume_dir("manager_mariadb");
    assert!(!mariadb.join("ibdata1").exists(), "the mariadb volume was not recreated");
    assert_ne!(fixture.volume_created("manager_mariadb"), mariadb_created);
    assert!(fixture.all_healthy(), "not every service is healthy after the reset");
    assert_eq!(fixture.vault_password().as_deref(), Some(PASSWORD), "the vault password is not set again");

    let files = fixture.backup_files();
    let stamp = files.iter().find_map(|f| f.strip_prefix("manager-share-")?.strip_suffix(".tar.gz")).unwrap();
    for expected in [
        format!("manager-share-{stamp}.tar.gz"),
        format!("manager-share-{stamp}.tar.gz.sha256"),
        format!("manager-reset-{stamp}.journal.json"),
        format!("manager-reset-{stamp}.log"),
    ] {
        assert!(files.contains(&expected), "{expected} not in {files:?}");
        let path = fixture.backup_dir().join(&expected);
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{expected} is {mode:o}");
        if !expected.ends_with(".tar.gz") {
            assert!(!fs::read_to_string(&path).unwrap().contains(PASSWORD), "the password is in {expected}");
        }
    }
    assert!(!output.contains(PASSWORD), "the password is in the output");
    let check = Command::new("sha256sum")
        .args(["--check", &format!("manager-share-{stamp}.tar.gz.sha256")])
        .current_dir(fixture.backup_dir())
        .output()
        .unwrap();
    assert!(check.status.success(), "sha256sum -c: {}", text(&check.stdout));
    let calls = fs::read_to_string(fixture.log()).unwrap();
    assert_eq!(
        calls,
        "osism vault check --format script\nstop manager.service\nstart manager.service\n\
         osism set vault password\nosism vault check --format script\nosism reconciler sync\nosism apply facts\n",
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
fn a_set_password_without_terminal_or_file_is_refused_and_nothing_changes() {
    let fixture = Fixture::new(Share { small_files: 10, big_file_bytes: 0 });
    fixture.set_vault_password(PASSWORD);
    fs::remove_file(fixture.vault_pass()).unwrap();
    let before = fixture.share_listing();
    let out = fixture.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr)
            .contains("there is no terminal for osism to ask for it on: pass --vault-password-file FILE"),
        "{}",
        text(&out.stderr)
    );
    assert_share_kept(&before, &fixture.share_listing());
    assert!(fixture.all_healthy());
    assert_eq!(fixture.vault_password().as_deref(), Some(PASSWORD));
    // Nothing: the lock is on the project directory, and nothing was written.
    assert_eq!(fixture.backup_files(), Vec::<String>::new());
}

#[test]
fn a_share_volume_or_unit_that_is_not_the_managers_changes_nothing() {
    let fixture = Fixture::new(Share { small_files: 10, big_file_bytes: 0 });
    let other = docker(&["volume", "create", "omr-e2e-other-share"]);
    assert!(other.status.success());
    let before = fixture.share_listing();
    for (args, needle) in [
        (
            &["--yes", "--share-volume", "omr-e2e-other-share"][..],
            "is not the volume the manager mounts at /share: that is manager_share",
        ),
        (
            &["--yes", "--share-volume", "manager_mariadb"],
            "manager_mariadb is not the volume the manager mounts at /share: that is manager_share \
             (mounted by osism-ansible, osismclient)",
        ),
        (
            &["--yes", "--service", "docker-compose@manager.service"],
            "is not active, yet the project's containers run",
        ),
    ] {
        let out = fixture.run(args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(needle), "{args:?}: {}", text(&out.stderr));
        assert_share_kept(&before, &fixture.share_listing());
        assert!(fixture.all_healthy(), "{args:?}");
    }
    let _ = docker(&["volume", "rm", "omr-e2e-other-share"]);
}

#[test]
fn a_backup_that_cannot_be_made_stops_before_down() {
    let fixture = Fixture::new(Share::SUITE);
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
    assert_share_kept(&before, &fixture.share_listing());
    // Stopped before `down -v`: the manager runs again, and the reset is run again afresh, the
    // cause (the image) fixed.
    let err = text(&out.stderr);
    assert!(err.contains("the manager was started again and is healthy; nothing was changed"), "{err}");
    assert!(fixture.all_healthy(), "the manager was not started again");
    let again = err[err.find("run the reset again with `").unwrap()..].split('`').nth(1).unwrap();
    assert!(again.contains(&format!("--image {image}")), "{again}");
    let fixed = again.replace(&format!("--image {image}"), "--image busybox:latest");
    let words = shlex::split(&fixed).unwrap();
    let out = fixture.run(&words.iter().skip(1).map(String::as_str).collect::<Vec<_>>(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", text(&out.stdout), text(&out.stderr));
    assert_share_kept(&before, &fixture.share_listing());
    assert!(fixture.all_healthy());
    let _ = docker(&["image", "rm", image]);
}

#[test]
fn killed_between_down_and_restore_then_resumed_brings_share_back() {
    let fixture = Fixture::new(Share::SUITE);
    let before = fixture.share_listing();
    let out = fixture.run(&["--yes"], &[("E2E_KILL_ON", "start")]);
    assert_eq!(out.status.code(), None, "the tool was not killed: {}", text(&out.stderr));
    assert!(
        !docker(&["volume", "inspect", "manager_share"]).status.success(),
        "down -v did not run before the kill"
    );

    let out = fixture.run(&["--resume", "--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", text(&out.stdout), text(&out.stderr));
    assert_share_kept(&before, &fixture.share_listing());
    assert!(fixture.all_healthy());
}

#[test]
fn dry_run_lists_the_volumes_down_deletes() {
    let fixture = Fixture::new(Share::SUITE);
    let out = fixture.run(&["--dry-run", "--output", "json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let plan: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(plan["volumes"]["named"], serde_json::json!(["manager_mariadb", "manager_share"]));
    let anonymous = plan["volumes"]["anonymous"].as_array().unwrap();
    assert_eq!(anonymous.len(), 1, "{anonymous:?}");
    assert_eq!(anonymous[0]["service"], "redis");
    assert_eq!(plan["problems"], serde_json::json!([]));
    assert_eq!(plan["service"]["unit"], "manager.service");
    assert_eq!(plan["project"], "manager");
}

/// /share is measured in the running manager's own container (`docker exec`), and with the
/// manager stopped in a read-only container of the tool's own: each counts what the volume
/// holds, every entry and the files a fresh manager does not write, as a walk of it here does.
#[test]
fn share_is_measured_alike_in_the_managers_container_and_in_the_tools_own() {
    let fixture = Fixture::new(Share::SUITE);
    let (entries, of_value) = walked(&fixture.volume_dir("manager_share"), true);
    let measured = || {
        let since = unix_now();
        let out = fixture.run(&["--dry-run", "--output", "json"], &[]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let plan: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
        let until = (unix_now() + 1).to_string();
        let events = ["events", "--since", &since.to_string(), "--until", &until, "--format", "{{.Action}}"];
        let actions = text(&docker(&[&events[..], &["--filter", "type=container"]].concat()).stdout);
        let share = &plan["share"];
        (share["entries"].as_u64(), share["files_of_value"].as_u64(), share["kib"].as_u64().unwrap(), actions)
    };
    let (running, value, kib, actions) = measured();
    assert_eq!((running, value), (Some(entries), Some(of_value)));
    assert!(kib * 1024 >= Share::SUITE.big_file_bytes as u64, "{kib} KiB");
    let by_exec = |a: &str| a.starts_with("exec_start") && a.contains("find /share");
    assert!(actions.lines().any(by_exec), "not measured by exec: {actions}");
    assert!(!actions.lines().any(|a| a == "create"), "a container was made: {actions}");
    assert!(fixture.compose(&["stop"]).status.success());
    let (stopped, value, kib_stopped, actions) = measured();
    assert_eq!((stopped, value), (Some(entries), Some(of_value)));
    assert!(kib_stopped.abs_diff(kib) <= 8, "{kib_stopped} KiB stopped, {kib} KiB running");
    assert!(actions.lines().any(|a| a == "create"), "not measured in a container of its own: {actions}");
}

/// Every entry under `dir`, itself included, and those not directories but for the two files
/// a fresh manager writes at the top: what `find` counts.
fn walked(dir: &std::path::Path, top: bool) -> (u64, u64) {
    let (mut entries, mut of_value) = (1, 0);
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            let (e, v) = walked(&entry.path(), false);
            (entries, of_value) = (entries + e, of_value + v);
        } else {
            entries += 1;
            let fresh =
                ["known_hosts", "ansible-execution-history.json"].iter().any(|f| entry.file_name() == *f);
            of_value += u64::from(!(top && fresh));
        }
    }
    (entries, of_value)
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// A container outside the project that holds a volume `down -v` deletes, running or stopped,
/// is found before anything stops: named with its image and the command that removes it, which
/// typed lets the next run finish.
#[test]
fn a_container_outside_the_project_holding_a_volume_is_found_before_anything_stops() {
    let fixture = Fixture::new(Share::SUITE);
    let before = fixture.share_listing();
    for (name, mount, detach) in [
        ("omr-e2e-stray", "source=manager_share,target=/data", true),
        ("omr-e2e-old", "source=manager_mariadb,target=/data", false),
    ] {
        let _ = docker(&["rm", "--force", name]);
        let mut argv = vec!["run", "--name", name, "--network", "none", "--mount", mount];
        argv.extend(if detach {
            &["--detach", "busybox:latest", "sleep", "600"][..]
        } else {
            &["busybox:latest", "true"]
        });
        let started = docker(&argv);
        assert!(started.status.success(), "{}", text(&started.stderr));

        let out = fixture.run(&["--yes"], &[]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(&format!("the container {name} (image busybox:latest, ")), "{name}: {err}");
        assert!(fixture.all_healthy(), "{name}: the manager was stopped");
        assert!(fixture.backup_files().is_empty(), "{name}: {:?}", fixture.backup_files());
        let line =
            err[err.find("remove the container with `").unwrap()..].split('`').nth(1).unwrap().to_owned();
        assert_eq!(line, format!("docker rm --force {name}"));
        let words = shlex::split(&line).unwrap();
        assert!(docker(&words.iter().skip(1).map(String::as_str).collect::<Vec<_>>()).status.success());
    }
    let out = fixture.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", text(&out.stdout), text(&out.stderr));
    assert_share_kept(&before, &fixture.share_listing());
    assert!(fixture.all_healthy());
}

/// The tool as a shell's foreground job (its own process group), stopped by the terminal's
/// `signals` to that group once the backup's tar container runs; returns its exit status.
fn signalled_during_backup(fixture: &Fixture, args: &[&str], signals: &[Signal]) -> std::process::ExitStatus {
    let mut tool = fixture
        .command(args, &[])
        .stdout(Stdio::null())
        .stderr(fs::File::create(fixture.path().join("stderr")).unwrap())
        .process_group(0)
        .spawn()
        .unwrap();
    during_backup(signals, |signal| kill_process_group(Pid::from_child(&tool), signal).unwrap());
    tool.wait().unwrap()
}

/// Once the backup's tar container runs, `send`s each of `signals`, 300 ms apart.
pub(crate) fn during_backup(signals: &[Signal], send: impl Fn(Signal)) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while tar_containers().is_empty() {
        assert!(Instant::now() < deadline, "the backup's container never ran");
        std::thread::sleep(Duration::from_millis(50));
    }
    for signal in signals {
        send(*signal);
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Running containers with the backup directory mounted: the runbook's tar commands.
pub(crate) fn tar_containers() -> String {
    text(&docker(&["ps", "--quiet", "--filter", "volume=/backup"]).stdout).trim().to_owned()
}

#[test]
fn ctrl_c_during_the_backup_stops_before_down_and_resume_finishes() {
    // Big enough that the backup is still running once the second Ctrl-C's grace is over.
    let fixture = Fixture::new(Share { small_files: 20_000, big_file_bytes: 150 * 1024 * 1024 });
    let before = fixture.share_listing();
    // The first run gets one Ctrl-C; the next, which backs up anew, gets two. Each starts the
    // manager again, as nothing was deleted.
    for (args, signals, what) in [
        (&["--yes"][..], &[Signal::INT][..], "one Ctrl-C"),
        (&["--yes"], &[Signal::INT, Signal::INT], "two Ctrl-Cs"),
    ] {
        let status = signalled_during_backup(&fixture, args, signals);
        let err = fs::read_to_string(fixture.path().join("stderr")).unwrap();
        assert_eq!(status.code(), Some(130), "{what}: {err}");
        assert!(err.contains("interrupted at step 2"), "{what}: {err}");
        if signals.len() == 2 {
            let log = fixture.backup_files().into_iter().find(|f| f.ends_with(".log")).unwrap();
            let log = fs::read_to_string(fixture.backup_dir().join(log)).unwrap();
            assert!(log.contains("the command left running"), "{what}: no container was stopped: {log}");
        }
        assert_eq!(tar_containers(), "", "{what}: a container outlived the tool");
        assert!(fixture.volume_dir("manager_mariadb").join("ibdata1").exists(), "{what}: down -v ran");
        assert_share_kept(&before, &fixture.share_listing());
        assert!(err.contains("the manager was started again and is healthy"), "{what}: {err}");
        assert!(fixture.all_healthy(), "{what}: the manager was not started again");
    }
    let out = fixture.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", text(&out.stdout), text(&out.stderr));
    assert_share_kept(&before, &fixture.share_listing());
    assert!(fixture.all_healthy());
}

#[test]
fn a_hang_up_during_the_backup_does_not_stop_the_reset() {
    let fixture = Fixture::new(Share { small_files: 20_000, big_file_bytes: 20 * 1024 * 1024 });
    let before = fixture.share_listing();
    let status = signalled_during_backup(&fixture, &["--yes"], &[Signal::HUP]);
    let err = fs::read_to_string(fixture.path().join("stderr")).unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert_share_kept(&before, &fixture.share_listing());
    assert!(fixture.all_healthy());
    assert_eq!(tar_containers(), "");
}

#[test]
fn the_suite_starts_clean_on_an_engine_another_manager_littered() {
    let labels = ["--label", "com.docker.compose.project=manager"];
    let fixture = Fixture::after(Share { small_files: 10, big_file_bytes: 0 }, || {
        // Another project named manager: a container of a service this one lacks, a share
        // volume without Compose's labels holding a stranger's file, a labelled leftover.
        for volume in ["manager_share", "manager_stale"] {
            let _ = docker(&["volume", "rm", "--force", volume]);
        }
        let _ = docker(&["rm", "--force", "omr-e2e-stale"]);
        assert!(docker(&["volume", "create", "manager_share"]).status.success());
        assert!(docker(&[&["volume", "create"][..], &labels, &["manager_stale"]].concat()).status.success());
        let service = ["--label", "com.docker.compose.service=stale"];
        let run = [
            &["run", "--detach", "--name", "omr-e2e-stale", "--network", "none"][..],
            &labels,
            &service,
            &[
                "--volume",
                "manager_share:/share",
                "busybox:latest",
                "sh",
                "-c",
                "echo stranger > /share/stranger; sleep 600",
            ],
        ]
        .concat();
        assert!(docker(&run).status.success());
        std::thread::sleep(Duration::from_millis(500));
    });
    assert!(fixture.all_healthy(), "the fixture's manager is not as it should be");
    assert!(!fixture.share_listing().contains_key("stranger"), "a stranger's file in /share");
    assert!(fixture.volume_project("manager_stale").is_none(), "the labelled leftover stayed");
    assert!(
        text(&docker(&["ps", "--all", "--quiet", "--filter", "name=omr-e2e-stale"]).stdout).trim().is_empty()
    );
    let out = fixture.run(&["--dry-run", "--output", "json"], &[]);
    let plan: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(plan["problems"], serde_json::json!([]), "{}", text(&out.stdout));
}

/// Killed outright (SIGKILL, an OOM kill) during the backup, the tool leaves at most its read-back
/// of /share waiting on that pipe (killed before it opened it), holding manager_share. The
/// backup's own container, whose CLI died with the tool, does not run on: tar, with 200 MiB
/// still to compress, finds the archive's pipe without a reader and ends. The resume stops what
/// is left, removes the pipe and the partial file, and `down -v` can then delete the volume.
#[test]
fn killed_during_the_backup_the_resume_stops_what_was_left_and_finishes() {
    let fixture = Fixture::new(Share { small_files: 20_000, big_file_bytes: 200 * 1024 * 1024 });
    let before = fixture.share_listing();
    let mut tool =
        fixture.command(&["--yes"], &[]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while tar_containers().lines().count() < 2 {
        assert!(Instant::now() < deadline, "the backup and its read-back never ran together");
        std::thread::sleep(Duration::from_millis(50));
    }
    tool.kill().unwrap();
    assert_eq!(tool.wait().unwrap().code(), None);
    let read_back = "label=org.osism.manager-reset.read-back";
    let read_backs = || text(&docker(&["ps", "--quiet", "--filter", read_back]).stdout).trim().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    while tar_containers().lines().count() > read_backs().lines().count() {
        assert!(Instant::now() < deadline, "the backup's tar ran on without a reader: {}", tar_containers());
        std::thread::sleep(Duration::from_millis(100));
    }
    let left = read_backs();
    assert!(left.lines().count() <= 1, "more than one read-back: {left}");
    let archive = fs::read_dir(fixture.backup_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|p| p.file_name().unwrap().to_str().unwrap().starts_with("manager-share-"))
        .expect("nothing where the archive goes");
    assert!(fs::symlink_metadata(&archive).unwrap().file_type().is_fifo(), "no pipe where the archive goes");

    let out = fixture.run(&["--resume", "--yes"], &[]);
    let output = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{output}");
    assert_eq!(left.is_empty(), !output.contains("that a killed run left behind"), "{output}");
    assert_share_kept(&before, &fixture.share_listing());
    assert!(fixture.all_healthy());
    assert!(fs::metadata(&archive).unwrap().file_type().is_file());
    let name = archive.file_name().unwrap().to_str().unwrap();
    let partial = fixture.backup_dir().join(format!(".{name}.partial"));
    assert!(!partial.exists(), "the killed run's partial archive is left");
    assert_eq!(text(&docker(&["ps", "--all", "--quiet", "--filter", read_back]).stdout).trim(), "");
    assert_eq!(tar_containers(), "");
}

/// `systemctl start` returns once the unit's pull is done (Type=simple); the unit's `compose up`
/// then creates the volumes and fails on an image it cannot have and must not pull
/// (`pull_policy: never`, which the unit's `compose pull` skips). The reset fails
/// within seconds, not at the end of --health-timeout, saying what Compose said; once the image
/// is there, the resume it prints starts the manager again and finishes.
#[test]
fn a_manager_that_fails_to_start_fails_fast_and_the_printed_resume_finishes() {
    let fixture = Fixture::new(Share { small_files: 10, big_file_bytes: 0 });
    let before = fixture.share_listing();
    let compose = fixture.project().join("compose.yaml");
    let good = fs::read_to_string(&compose).unwrap();
    let missing = good.replace(
        &format!("  osismclient:\n    image: {}\n", registry::IMAGE),
        "  osismclient:\n    image: busybox:missing-e2e\n    pull_policy: never\n",
    );
    assert_ne!(missing, good, "the fixture's osismclient is not where the test expects it");
    fs::write(&compose, missing).unwrap();
    let started = Instant::now();
    let out = fixture.run(&["--yes", "--health-timeout", "300"], &[]);
    let took = started.elapsed();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}\n{err}", text(&out.stdout));
    assert!(took < Duration::from_secs(60), "took {took:?}: {err}");
    assert!(
        err.contains("failed after it was started") && err.contains("No such image: busybox:missing-e2e"),
        "{err}"
    );
    assert!(err.contains("/share is restored") || err.contains("safe"), "{err}");

    fs::write(&compose, good).unwrap();
    let line = err[err.find("once the cause is fixed, resume with `").unwrap()..]
        .split('`')
        .nth(1)
        .unwrap()
        .to_owned();
    let mut words = shlex::split(&line).unwrap().into_iter().skip(1).collect::<Vec<_>>();
    words.push("--yes".into());
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let out = fixture.run(&words, &[]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", text(&out.stdout), text(&out.stderr));
    assert_share_kept(&before, &fixture.share_listing());
    assert!(fixture.all_healthy());
}

/// The osism stand-in answers on the real engine as python-osism 0.20261023.0 does behind OSISM's
/// wrapper: a Fernet key file, a stripped password stored even empty (then `password_empty`), and
/// with osismclient stopped nothing on stdout, exit 1 and the daemon's reason on stderr.
#[test]
fn the_osism_stand_in_answers_as_python_osism_does() {
    let fixture = Fixture::new(Share { small_files: 1, big_file_bytes: 0 });
    let osism = |args: &[&str], stdin: &str| {
        let mut command = Command::new(fixture.bin().join("osism"));
        command
            .args(args)
            .envs(fixture.stand_in_env())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let check = || {
        let out = osism(&["vault", "check", "--format", "script"], "");
        (out.status.code(), text(&out.stdout))
    };
    assert_eq!(check(), (Some(1), "FAILED: keyfile_missing\n".into()));
    assert!(osism(&["set", "vault", "password"], "  secret\n").status.success());
    let key =
        fs::read_to_string(fixture.volume_dir("manager_share").join("ansible_vault_password.key")).unwrap();
    assert!(key.len() == 44 && key.ends_with('='), "not a Fernet key: {key:?}");
    assert_eq!(check(), (Some(0), "PASSED\n".into()));
    assert_eq!(fixture.vault_password().as_deref(), Some("secret"), "not stripped");
    assert!(osism(&["set", "vault", "password"], " \n").status.success(), "an empty password is stored");
    assert_eq!(check(), (Some(1), "FAILED: password_empty\n".into()));
    assert!(fixture.compose(&["stop", "osismclient"]).status.success());
    let out = osism(&["vault", "check", "--format", "script"], "");
    assert_eq!((out.status.code(), text(&out.stdout).as_str()), (Some(1), ""));
    assert!(text(&out.stderr).contains("is not running"), "{}", text(&out.stderr));
}

/// An air-gapped manager: the image is not here and cannot be pulled (a registry on loopback
/// that refuses). The dry run pulls and creates nothing; the real run refuses at the pull, the
/// manager untouched and running, and says how to bring an image.
#[test]
fn an_image_that_cannot_be_pulled_refuses_the_reset_before_anything_stops() {
    let fixture = Fixture::new(Share::SUITE);
    let image = "localhost:1/busybox:absent-e2e";
    let volumes = text(&docker(&["volume", "ls", "--quiet"]).stdout);
    let out = fixture.run(&["--dry-run", "--image", image], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!("  $ docker pull {image}")), "{}", text(&out.stdout));
    assert_eq!(text(&docker(&["volume", "ls", "--quiet"]).stdout), volumes, "the dry run made a volume");

    let out = fixture.run(&["--yes", "--image", image], &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("`docker pull {image}` exit status: 1: nothing was changed")), "{err}");
    assert!(err.contains("docker load --input FILE"), "{err}");
    assert!(fixture.all_healthy(), "the manager was stopped");
    assert!(fixture.volume_dir("manager_mariadb").join("ibdata1").exists(), "down -v ran");
    assert!(
        !fixture.backup_files().iter().any(|f| f.ends_with(".journal.json")),
        "{:?}",
        fixture.backup_files()
    );
}
