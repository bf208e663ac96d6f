//! `--restore-from` on the real engine: an earlier day's archive restored (vouched for by its
//! `.sha256`, then by `--restore-sha256`), a reset by hand that left a fresh /share finished
//! with the archive it made, every hostile archive refused with nothing changed (built with
//! Python's tarfile, as an attacker's tool would), and a kill during the restore resumed.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::fixture::{Fixture, Share, docker, ok};
use crate::{assert_share_kept, tar_containers, text};

const SMALL: Share = Share { small_files: 200, big_file_bytes: 1024 * 1024 };

/// An archive of /share as it is now, made as the runbook's step 2 makes one, into `dir` under
/// the name for 2026-11-25; with its `.sha256` where `checksum`.
fn archive_now(dir: &Path, checksum: bool) -> PathBuf {
    fs::create_dir_all(dir).unwrap();
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).unwrap();
    let name = "manager-share-20261125.tar.gz";
    let volume = format!("{}:/backup", dir.display());
    let tar = ["tar", "-czf", &format!("/backup/{name}"), "/share"];
    let run = ["run", "--rm", "--network", "none", "--mount", "source=manager_share,target=/share"];
    ok(docker(&[&run[..], &["--volume", &volume, "busybox"], &tar].concat()), "the archive by hand");
    if checksum {
        let sum = Command::new("sha256sum").arg(name).current_dir(dir).output().unwrap();
        fs::write(dir.join(format!("{name}.sha256")), sum.stdout).unwrap();
    }
    dir.join(name)
}

/// What `archive` holds under share/, as `listing` describes it.
fn listing_of(fixture: &Fixture, archive: &Path) -> BTreeMap<String, String> {
    let into = fixture.path().join("unpacked");
    let _ = fs::remove_dir_all(&into);
    fs::create_dir_all(&into).unwrap();
    let out = Command::new("tar").arg("-xzf").arg(archive).arg("-C").arg(&into).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    crate::fixture::listing_of(&into.join("share"))
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    text(&out.stdout).split_whitespace().next().unwrap().to_owned()
}

/// /share broken since the archive was made: a key deleted, a file edited.
fn break_share(fixture: &Fixture) {
    let share = fixture.volume_dir("manager_share");
    fs::remove_file(share.join("ceph/ceph.client.admin.keyring")).unwrap();
    fs::write(share.join("known_hosts"), "edited badly\n").unwrap();
}

#[test]
fn an_earlier_days_archive_is_restored_vouched_for_by_its_checksum_or_by_the_sha256_given() {
    let fixture = Fixture::new(SMALL);
    let archive = archive_now(&fixture.path().join("kept"), true);
    let archived = listing_of(&fixture, &archive);
    break_share(&fixture);
    let broken = fixture.share_listing();

    let out = fixture.run(&["--yes", "--restore-from", archive.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", text(&out.stdout), text(&out.stderr));
    assert_share_kept(&archived, &fixture.share_listing());
    assert!(fixture.all_healthy());
    // Today's /share, broken as it was, is in today's archive: nothing that existed is lost.
    let today = fs::read_dir(fixture.backup_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .unwrap();
    assert_share_kept(&broken, &listing_of(&fixture, &today));

    // Made by hand, no .sha256: a pipeline names its sha256.
    fs::remove_file(format!("{}.sha256", archive.display())).unwrap();
    break_share(&fixture);
    let elsewhere = fixture.path().join("backups-2");
    fs::create_dir_all(&elsewhere).unwrap();
    fs::set_permissions(&elsewhere, fs::Permissions::from_mode(0o700)).unwrap();
    let args =
        ["--yes", "--restore-from", archive.to_str().unwrap(), "--backup-dir", elsewhere.to_str().unwrap()];
    let refused = fixture.run(&args, &[]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    let hex = sha256(&archive);
    let out = fixture.run(&[&args[..], &["--restore-sha256", &hex]].concat(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", text(&out.stdout), text(&out.stderr));
    assert_share_kept(&archived, &fixture.share_listing());
}

/// The runbook typed by hand, its date past midnight: step 5 never ran, and the manager started
/// with a fresh /share. The tool finds the archive the hand made and restores it as it says.
#[test]
fn a_reset_by_hand_left_with_a_fresh_share_is_finished_with_the_archive_it_made() {
    let fixture = Fixture::new(SMALL);
    let before = fixture.share_listing();
    let by_hand = |argv: &[&str]| {
        let out = Command::new(argv[0])
            .args(&argv[1..])
            .current_dir(fixture.backup_dir())
            .envs(fixture.stand_in_env())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "{argv:?}: {}", text(&out.stderr));
    };
    let project = fixture.project().display().to_string();
    let backup = format!("{}:/backup", fixture.backup_dir().display());
    by_hand(&["systemctl", "stop", "manager.service"]);
    by_hand(&[
        "docker",
        "run",
        "--rm",
        "--mount",
        "source=manager_share,target=/share",
        "--volume",
        &backup,
        "busybox",
        "tar",
        "-czvf",
        "/backup/manager-share-20261130.tar.gz",
        "/share",
    ]);
    by_hand(&["docker", "compose", "--project-directory", &project, "down", "-v"]);
    by_hand(&["systemctl", "start", "manager.service"]);
    let deadline = Instant::now() + Duration::from_secs(120);
    while !fixture.all_healthy() {
        assert!(Instant::now() < deadline, "the manager started by hand never got healthy");
        std::thread::sleep(Duration::from_millis(500));
    }
    let fresh = fixture.share_listing();
    assert!(fresh.keys().all(|k| k == crate::HISTORY), "not a fresh /share: {fresh:?}");

    let out = fixture.run(&["--yes"], &[]);
    let said = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("holds nothing a fresh manager does not write itself"), "{said}");
    assert!(said.contains("manager-share-20261130.tar.gz (of 2026-11-30,"), "{said}");
    let lead = "restore the newest with `";
    let at = said.find(lead).expect("a command to type") + lead.len();
    let line = &said[at..at + said[at..].find('`').unwrap()];
    assert!(line.contains("--restore-sha256"), "no .sha256 vouches for it, and it runs with --yes: {line}");

    let typed = fixture.type_line(line, fixture.path());
    assert_eq!(typed.status.code(), Some(0), "{line}\n{}\n{}", text(&typed.stdout), text(&typed.stderr));
    assert_share_kept(&before, &fixture.share_listing());
    assert!(fixture.all_healthy());
}

/// Each archive that could write outside /share when the restore's `tar -x -C /` extracts it,
/// and each that cannot be read, refused before anything stops.
#[test]
fn every_hostile_or_damaged_archive_is_refused_naming_what_is_wrong_and_nothing_changes() {
    let fixture = Fixture::new(SMALL);
    let before = fixture.share_listing();
    let dir = fixture.path().join("hostile");
    fs::create_dir_all(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    let made = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/hostile.py"))
        .arg(&dir)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", text(&made.stderr));
    let good = archive_now(&fixture.path().join("good"), false);
    let bytes = fs::read(&good).unwrap();
    fs::write(dir.join("truncated.tar.gz"), &bytes[..bytes.len() - 100]).unwrap();
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x55;
    fs::write(dir.join("flipped.tar.gz"), flipped).unwrap();
    fs::write(dir.join("empty.tar.gz"), b"").unwrap();

    for (name, said) in [
        ("absolute.tar.gz", "the entry \"/share/x\" has an absolute name"),
        ("dotdot.tar.gz", "the entry \"share/../backup/x\" has a `..` in its name"),
        ("outside.tar.gz", "the entry \"etc/cron.d/x\" is not under share/"),
        ("backup.tar.gz", "the entry \"backup/manager-reset-20261202.journal.json\" is for backup/"),
        ("hardlink.tar.gz", "the hard link \"share/h\" to \"etc/shadow\": its target is not under share/"),
        (
            "through-symlink.tar.gz",
            "the entry \"share/l/x\" runs through share/l, a symlink the archive made earlier",
        ),
        ("device.tar.gz", "the entry \"share/null\" is a device node"),
        ("truncated.tar.gz", "is refused: it is damaged"),
        ("flipped.tar.gz", "is refused: it is damaged"),
        ("empty.tar.gz", "will not do: it is empty"),
    ] {
        let archive = dir.join(name);
        let out = fixture.run(&["--yes", "--restore-from", archive.to_str().unwrap()], &[]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(said), "{name}: {err}");
        assert!(!fs::read_to_string(fixture.log()).unwrap_or_default().contains("stop"), "{name} stopped it");
    }
    assert_share_kept(&before, &fixture.share_listing());
    assert!(fixture.all_healthy());
    assert!(fixture.backup_files().is_empty(), "{:?}", fixture.backup_files());
}

/// Killed (SIGKILL) while step 5 restores the named archive: the resume restores it again, and
/// /share holds exactly what the archive holds.
#[test]
fn killed_during_the_restore_of_a_named_archive_the_resume_makes_share_whole() {
    let fixture = Fixture::new(Share { small_files: 20_000, big_file_bytes: 20 * 1024 * 1024 });
    let archive = archive_now(&fixture.path().join("kept"), true);
    let archived = listing_of(&fixture, &archive);
    break_share(&fixture);
    let mut tool = fixture
        .command(&["--yes", "--restore-from", archive.to_str().unwrap()], &[])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(180);
    let started = || fs::read_to_string(fixture.log()).unwrap_or_default().contains("start manager.service");
    while !started() || tar_containers().is_empty() {
        assert!(Instant::now() < deadline, "the restore never ran");
        assert!(tool.try_wait().unwrap().is_none(), "the reset ended before its restore was caught");
        std::thread::sleep(Duration::from_millis(20));
    }
    tool.kill().unwrap();
    assert_eq!(tool.wait().unwrap().code(), None);
    let journal = fixture.backup_files().into_iter().find(|f| f.ends_with(".journal.json")).unwrap();
    let journal: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(fixture.backup_dir().join(journal)).unwrap()).unwrap();
    let restore = &journal["steps"][4];
    assert_eq!(journal["plan"]["steps"][4]["kind"], "restore-share");
    assert!(
        restore["started_at"].is_string() && restore["state"] != "done",
        "not killed in the restore: {restore}"
    );

    let out = fixture.run(&["--resume", "--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", text(&out.stdout), text(&out.stderr));
    assert_share_kept(&archived, &fixture.share_listing());
    assert!(fixture.all_healthy());
    assert_eq!(tar_containers(), "");
}
