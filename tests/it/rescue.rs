//! `--restore-from ARCHIVE`: an earlier archive restored, the plan telling what comes back, the
//! archive vouched for (its `.sha256`, `--restore-sha256`, its name typed), and the archives
//! offered where /share is missing or empty. The hostile archives are the real-engine suite's.
#![allow(clippy::disallowed_methods)] // the operator's own tar, cp and sha256sum make and check archives

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::calls_snapshot;
use crate::support::{World, at_terminal, stderr, stdout};

/// An archive of /share as it was on an earlier day: the world's /share changed by `edit`, in
/// `dir` under the runbook's name for 2026-11-25, with a `.sha256` beside it where `checksum`.
pub(crate) fn earlier_archive(
    world: &World,
    dir: &Path,
    checksum: bool,
    edit: impl FnOnce(&Path),
) -> PathBuf {
    let then = world.path().join("then");
    let _ = fs::remove_dir_all(&then);
    fs::create_dir_all(&then).unwrap();
    let copied = Command::new("cp").arg("-a").arg(world.share()).arg(&then).status().unwrap();
    assert!(copied.success());
    edit(&then.join("share"));
    // Written long before, as /share's files are: the plan shows the newest time.
    let touched = Command::new("find")
        .arg(&then)
        .args(["-exec", "touch", "-h", "-d", "@1700000000", "{}", "+"])
        .status();
    assert!(touched.unwrap().success());
    fs::create_dir_all(dir).unwrap();
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).unwrap();
    let archive = dir.join("manager-share-20261125.tar.gz");
    let tar =
        Command::new("tar").arg("-czf").arg(&archive).arg("-C").arg(&then).arg("share").status().unwrap();
    assert!(tar.success());
    if checksum {
        let sum =
            Command::new("sha256sum").arg("manager-share-20261125.tar.gz").current_dir(dir).output().unwrap();
        fs::write(dir.join("manager-share-20261125.tar.gz.sha256"), sum.stdout).unwrap();
    }
    archive
}

/// /share as it was: one file gone since, one changed since, one added since.
pub(crate) fn as_it_was(share: &Path) {
    fs::write(share.join("gone-since.key"), "octavia ca\n").unwrap();
    fs::write(share.join("dir/b c.txt"), "ceph key, as it was\n").unwrap();
    fs::remove_file(share.join("dir/deeper/empty")).unwrap();
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap().to_owned()
}

pub fn listing_of(archive: &Path, world: &World) -> std::collections::BTreeMap<String, String> {
    let into = world.path().join("unpacked");
    let _ = fs::remove_dir_all(&into);
    fs::create_dir_all(&into).unwrap();
    assert!(Command::new("tar").arg("-xzf").arg(archive).arg("-C").arg(&into).status().unwrap().success());
    crate::listing::listing(&into.join("share"))
}

#[test]
fn an_earlier_days_archive_goes_back_and_todays_share_is_archived_first() {
    let world = World::new();
    let archive = earlier_archive(&world, &world.path().join("kept"), true, as_it_was);
    let before = world.share_listing();
    let restore = archive.to_str().unwrap();

    let dry = world.run(&["--dry-run", "--restore-from", restore], &[]);
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    let text = world.scrub(&[stdout(&dry)]);
    // As root and not: `sudo` before systemctl is the dry-run snapshots' to pin.
    calls_snapshot!("rescue_dry_run_text", text);

    let out = world.run(&["--yes", "--restore-from", restore], &[]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(world.share_listing(), listing_of(&archive, &world), "/share is not the earlier archive");
    // What /share held today is not lost: step 2 archived it, verified.
    let today = world.backup_file(".tar.gz");
    assert_eq!(listing_of(&today, &world), before);
    let journal = world.journal();
    assert_eq!(journal["plan"]["restore"]["path"], restore);
    assert_eq!(journal["plan"]["restore"]["sha256"], sha256(&archive));
    let restored = world.runbook_calls().into_iter().find(|c| c.contains("-xzvf")).unwrap();
    let dir = archive.parent().unwrap().display();
    assert!(
        restored.ends_with(&format!(
            "--volume {dir}:/backup busybox tar -xzvf /backup/manager-share-20261125.tar.gz -C /"
        )),
        "{restored}"
    );
}

#[test]
fn an_archive_no_checksum_vouches_for_is_approved_by_name_or_by_its_sha256() {
    let world = World::new();
    let archive = earlier_archive(&world, &world.path().join("kept"), false, as_it_was);
    let restore = archive.to_str().unwrap();
    let hex = sha256(&archive);

    let unattended = world.run(&["--yes", "--restore-from", restore], &[]);
    assert_eq!(unattended.status.code(), Some(2), "{}", stderr(&unattended));
    let said = stderr(&unattended);
    assert!(said.contains("--yes leaves no one to approve it by name: give the sha256"), "{said}");
    assert!(said.contains(&hex), "the refusal shows the sha256 to check: {said}");

    let wrong = "0".repeat(64);
    let mismatch = world.run(&["--yes", "--restore-from", restore, "--restore-sha256", &wrong], &[]);
    assert_eq!(mismatch.status.code(), Some(2), "{}", stderr(&mismatch));
    assert!(stderr(&mismatch).contains("it is not the archive that was approved"), "{}", stderr(&mismatch));
    assert!(!world.ran("systemctl stop"), "a refused run stopped the manager");

    // At a terminal: the project's name, then the archive's, typed.
    let wrong_name =
        at_terminal(&world, &["--restore-from", restore], "manager\nmanager-share-20261126.tar.gz\n");
    assert_eq!(wrong_name.status.code(), Some(2), "{}", stdout(&wrong_name));
    assert!(!world.ran("systemctl stop"), "an archive not approved by name stopped the manager");
    let typed = at_terminal(&world, &["--restore-from", restore], "manager\nmanager-share-20261125.tar.gz\n");
    assert_eq!(typed.status.code(), Some(0), "{}", stdout(&typed));
    assert!(stdout(&typed).contains("which no checksum vouches for"), "{}", stdout(&typed));
    assert_eq!(world.share_listing(), listing_of(&archive, &world));
}

#[test]
fn a_pipeline_restores_the_archive_whose_sha256_it_was_given() {
    let world = World::new();
    let archive = earlier_archive(&world, &world.path().join("kept"), false, as_it_was);
    let hex = sha256(&archive);
    let out = world.run(
        &["--yes", "--restore-from", archive.to_str().unwrap(), "--restore-sha256", &hex.to_uppercase()],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(world.share_listing(), listing_of(&archive, &world));
    assert_eq!(world.journal()["plan"]["restore"]["vouched"], "given");
}

#[test]
fn an_archive_changed_after_its_checksum_was_written_is_refused() {
    let world = World::new();
    let archive = earlier_archive(&world, &world.path().join("kept"), true, as_it_was);
    let mut bytes = fs::read(&archive).unwrap();
    bytes.extend_from_slice(b"appended");
    fs::write(&archive, bytes).unwrap();
    let out = world.run(&["--yes", "--restore-from", archive.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("the archive changed since its checksum was written"), "{}", stderr(&out));
    assert!(world.runbook_calls().is_empty(), "{:?}", world.runbook_calls());
}

/// A by-hand reset left the manager with a fresh /share: only what its osism commands write at
/// the start. The archive it made is found, and the command printed restores it.
#[test]
fn a_fresh_share_is_not_archived_as_the_real_one_the_archive_found_is_offered() {
    let world = World::new();
    let backup = world.backup_dir();
    let archive = earlier_archive(&world, &backup, true, |_| {});
    let kept = world.share_listing();
    fs::remove_dir_all(world.share()).unwrap();
    fs::create_dir_all(world.share()).unwrap();
    fs::write(world.share().join("known_hosts"), "testbed-manager ssh-ed25519 AAAA\n").unwrap();

    let out = world.run(&["--yes", "--backup-dir", backup.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("holds nothing a fresh manager does not write itself"), "{said}");
    assert!(
        said.contains("manager-share-20261125.tar.gz (of 2026-11-25, 7 entries, verified by its .sha256)"),
        "{said}"
    );
    assert!(world.runbook_calls().is_empty(), "{:?}", world.runbook_calls());
    let line = crate::support::advice("restore the newest with ", &said);
    assert!(line.contains(&format!("--restore-from {}", archive.display())), "{line}");

    let typed = world.type_line(&line, world.path(), &[]);
    assert_eq!(typed.status.code(), Some(0), "{line}: {}", stderr(&typed));
    assert_eq!(world.share_listing(), kept);
}

/// The share volume is gone (`down -v` by hand, the manager not started again): no step 2, as
/// `docker run --mount` would create the volume without the project's labels.
#[test]
fn a_missing_share_volume_is_restored_from_the_archive_found_without_a_backup_step() {
    let world = World::new();
    let backup = world.backup_dir();
    let archive = earlier_archive(&world, &backup, true, as_it_was);
    fs::remove_dir_all(world.share()).unwrap();
    world.set_state("volumes", &format!("manager_mariadb\n{}\n", crate::support::REDIS_DATA));

    let out = world.run(&["--yes", "--backup-dir", backup.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("the share volume manager_share does not exist"), "{said}");
    let line = crate::support::advice("restore the newest with ", &said);

    let dry = world.type_line(&format!("{line} --dry-run"), world.path(), &[]);
    assert!(
        stdout(&dry).contains("backup file:  none: there is no share volume to back up"),
        "{}",
        stdout(&dry)
    );
    assert!(!stdout(&dry).contains("tar -czvf"), "{}", stdout(&dry));
    let typed = world.type_line(&line, world.path(), &[]);
    assert_eq!(typed.status.code(), Some(0), "{line}: {}", stderr(&typed));
    assert!(!world.ran("tar -czvf"), "step 2 ran with no share volume");
    assert_eq!(world.share_listing(), listing_of(&archive, &world));
}

/// An earlier archive put where step 2 writes today's, as a by-hand reset of today leaves one,
/// with a `.sha256` beside it naming it where `checksum`; returns its path.
fn under_todays_name(world: &World, checksum: bool) -> PathBuf {
    let dry = world.run(&["--dry-run", "--output", "json"], &[]);
    let plan: serde_json::Value = serde_json::from_str(&stdout(&dry)).unwrap();
    let today = PathBuf::from(plan["backup_file"].as_str().unwrap());
    let made = earlier_archive(world, &world.backup_dir(), false, as_it_was);
    fs::rename(&made, &today).unwrap();
    if checksum {
        let name = today.file_name().unwrap();
        let sum = Command::new("sha256sum").arg(name).current_dir(world.backup_dir()).output().unwrap();
        fs::write(format!("{}.sha256", today.display()), sum.stdout).unwrap();
    }
    today
}

/// The archive the operator names bears today's name, in the backup directory: step 2 keeps it
/// aside, never overwritten, and step 5 restores it from there.
#[test]
fn todays_archive_named_to_restore_is_kept_aside_and_restored() {
    let world = World::new();
    let today = under_todays_name(&world, true);
    let expected = listing_of(&today, &world);

    let out = world.run(&["--yes", "--restore-from", today.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("step 2 keeps it as"), "{}", stdout(&out));
    assert_eq!(world.share_listing(), expected);
    let kept = PathBuf::from(format!("{}.previous-1", today.display()));
    assert_eq!(listing_of(&kept, &world), expected, "the named archive is not kept aside whole");
}

/// A resume restores the archive approved, or nothing: one changed since is refused.
#[test]
fn a_resume_refuses_an_archive_to_restore_that_changed_since() {
    let world = World::new();
    let archive = earlier_archive(&world, &world.path().join("kept"), true, as_it_was);
    let restore = archive.to_str().unwrap();
    let out = world.run(&["--yes", "--restore-from", restore], &[("FAKE_FAIL", "systemctl start*")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let approved = fs::read(&archive).unwrap();
    fs::write(&archive, [&approved[..], b"appended"].concat()).unwrap();
    let resumed = world.run(&["--resume", "--yes"], &[]);
    assert_eq!(resumed.status.code(), Some(2), "{}", stderr(&resumed));
    let said = stderr(&resumed);
    assert!(said.contains("changed since the reset was approved"), "{said}");
    assert!(said.contains("put the approved archive back there, then resume"), "{said}");
    assert!(!world.ran("-xzvf"), "a changed archive was restored");
    // As it says: the approved archive back, and the resume finishes the reset.
    fs::write(&archive, approved).unwrap();
    let finished = world.run(&["--resume", "--yes"], &[]);
    assert_eq!(finished.status.code(), Some(0), "{}", stderr(&finished));
    assert_eq!(world.share_listing(), listing_of(&archive, &world));
}

/// A pipeline's saved plan carries the archive and its sha256: applied, it restores that file
/// or nothing, even where the archive was swapped together with its checksum file.
#[test]
fn a_saved_plan_restores_the_archive_it_was_saved_with_or_nothing() {
    let world = World::new();
    let archive = earlier_archive(&world, &world.path().join("kept"), true, as_it_was);
    let restore = archive.to_str().unwrap();
    let saved = world.run(&["--save-plan", "plan.json", "--restore-from", restore], &[]);
    assert_eq!(saved.status.code(), Some(0), "{}", stderr(&saved));
    let file = world.backup_dir().join("plan.json");
    let plan: serde_json::Value = serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(plan["plan"]["restore"]["sha256"], sha256(&archive));
    assert_eq!(plan["inputs"]["options"]["restore_from"], restore);

    let approved = sha256(&archive);
    earlier_archive(&world, &world.path().join("kept"), true, |share| {
        fs::write(share.join("planted"), "not what was approved\n").unwrap();
    });
    let swapped = world.run(&["--plan", file.to_str().unwrap(), "--yes"], &[]);
    assert_eq!(swapped.status.code(), Some(2), "{}", stderr(&swapped));
    let said = stderr(&swapped);
    assert!(
        said.contains(&format!("archive restored: saved {restore} (sha256 {approved}), now {restore}")),
        "{said}"
    );
    assert!(world.runbook_calls().is_empty(), "{:?}", world.runbook_calls());
}

/// Stopped before `down -v`, a reset that kept the named archive aside (it bore today's name)
/// puts it back under that name, and the run-again command it prints finishes the reset.
#[test]
fn a_rolled_back_reset_puts_the_named_archive_back_and_runs_again_as_printed() {
    let world = World::new();
    let today = under_todays_name(&world, false);
    let hex = sha256(&today);
    let expected = listing_of(&today, &world);

    let args = ["--yes", "--restore-from", today.to_str().unwrap(), "--restore-sha256", &hex];
    let out = world.run(&args, &[("FAKE_CORRUPT", "truncate")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("the archive you named is back as"), "{said}");
    assert_eq!(sha256(&today), hex, "the named archive is not back under its name");

    let again = crate::support::advice("run the reset again with ", &said);
    let typed = world.type_line(&again, world.path(), &[]);
    assert_eq!(typed.status.code(), Some(0), "{again}: {}", stderr(&typed));
    assert_eq!(world.share_listing(), expected);
}

/// Killed after step 2 kept the named archive aside (it bore today's name), a resume that plans
/// again with a corrected option finds the archive where it was named, and finishes.
#[test]
fn a_resume_planned_again_after_the_named_archive_was_kept_aside_finds_it() {
    let world = World::new();
    let today = under_todays_name(&world, false);
    let hex = sha256(&today);
    let expected = listing_of(&today, &world);
    let args = ["--yes", "--restore-from", today.to_str().unwrap(), "--restore-sha256", &hex];
    let out = world.run(&args, &[("FAKE_KILL", "docker run * tar -czvf *")]);
    assert_eq!(out.status.code(), None, "not killed: {}", stderr(&out));

    let resumed = world.run(&["--resume", "--yes", "--health-timeout", "999"], &[]);
    assert_eq!(resumed.status.code(), Some(0), "{}{}", stdout(&resumed), stderr(&resumed));
    assert_eq!(world.share_listing(), expected);
}

/// A by-hand archive under today's name, left as the runbook's tar writes it (0644): the plan
/// warns that others may read it, and step 2 keeps it aside private, with a checksum file that
/// `sha256sum -c` accepts, though none was beside it (issue 38, item 3).
#[test]
fn an_archive_kept_aside_is_private_with_its_checksum_and_one_others_may_read_is_warned_of() {
    let world = World::new();
    let today = under_todays_name(&world, false);
    fs::set_permissions(&today, fs::Permissions::from_mode(0o644)).unwrap();
    let hex = sha256(&today);
    let args = ["--restore-from", today.to_str().unwrap(), "--restore-sha256", &hex];

    let dry = world.run(&[&["--dry-run"][..], &args].concat(), &[]);
    let warning = format!(
        "WARNING: others may read the archive {} (mode 0644), which holds the vault key and Ceph keys: \
         `chmod 600 {}`",
        today.display(),
        today.display()
    );
    assert!(stdout(&dry).contains(&warning), "{}", stdout(&dry));

    let out = world.run(&[&["--yes"][..], &args].concat(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let kept = PathBuf::from(format!("{}.previous-1", today.display()));
    assert_eq!(fs::metadata(&kept).unwrap().permissions().mode() & 0o777, 0o600);
    let name = kept.file_name().unwrap().to_str().unwrap();
    let checked = Command::new("sha256sum")
        .args(["-c", &format!("{name}.sha256")])
        .current_dir(world.backup_dir())
        .output();
    let checked = checked.unwrap();
    assert!(checked.status.success(), "{}{}", stdout(&checked), stderr(&checked));
    assert_eq!(stdout(&checked), format!("{name}: OK\n"));
}
