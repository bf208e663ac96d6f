//! Paths others could replace: a directory is only as private as the directories above it, so
//! the backup directory, the archive `--restore-from` names and the vault password file are
//! judged from `/` down, as ssh's StrictModes does; each is resolved once, and the resolved path
//! is the one the run uses; a resume judges them all again.

use std::fs;
use std::os::unix::fs::{PermissionsExt, chown, symlink};

use crate::manager::{password_file, vault_world};
use crate::support::{World, is_root, stderr, stdout};

/// The plan's problem lines (each begins "  - "), this world's directory written `[WORLD]`.
fn problems(world: &World, text: &str) -> String {
    let lines: Vec<String> =
        text.lines().filter(|l| l.trim_start().starts_with("- ")).map(str::to_owned).collect();
    world.scrub(&lines)
}

fn mode(path: &std::path::Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// A private directory `name` (0700) in the world's `open`, which every user may write (0777).
fn under_open_dir(world: &World, name: &str) -> std::path::PathBuf {
    let open = world.path().join("open");
    let private = open.join(name);
    fs::create_dir_all(&private).unwrap();
    mode(&private, 0o700);
    mode(&open, 0o777);
    private
}

/// Seen: only the backup directory itself was judged; one under a directory every user may
/// write passed, though that user may rename it away and put their own in its place between the
/// check and `docker run --volume DIR:/backup`. A sticky directory above (as /tmp) is fine.
#[test]
fn a_backup_directory_under_a_directory_others_can_write_is_refused() {
    let world = World::new();
    let backups = under_open_dir(&world, "backups");
    let open = world.path().join("open");
    let out = world.run(&["--dry-run", "--backup-dir", backups.to_str().unwrap()], &[]);
    crate::snapshot!("paths_backup_dir_under_open_dir", problems(&world, &stdout(&out)));

    mode(&open, 0o1777);
    let out = world.run(&["--dry-run", "--backup-dir", backups.to_str().unwrap()], &[]);
    assert_eq!(problems(&world, &stdout(&out)), "", "a sticky directory above is refused");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// A backup directory named through a symlink is resolved once: the plan's commands mount the
/// directory it pointed at when the plan was made, whatever the link points at later.
#[test]
fn a_backup_directory_named_through_a_symlink_is_used_as_resolved() {
    let world = World::new();
    let link = world.path().join("link");
    symlink(world.backup_dir(), &link).unwrap();
    let out = world.run(&["--dry-run", "--backup-dir", link.to_str().unwrap()], &[]);
    let text = world.scrub(&[stdout(&out)]);
    assert!(text.contains("--volume [WORLD]/backup:/backup"), "{text}");
    assert!(!text.contains("[WORLD]/link"), "{text}");
}

/// Seen: a consistent, root-owned journal in a directory made 0777 after the reset began; the
/// resume listed no privacy problem and would have gone on from step 2. A resume judges every
/// path a fresh run judges; the fix it prints, typed, lets it finish.
#[test]
#[allow(clippy::disallowed_methods)] // the operator types the printed fix in their own shell
fn a_resume_judges_the_backup_directory_again() {
    let world = World::new();
    let out = world.run(&["--yes"], &[("FAKE_FAIL", "* down -v")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    mode(&world.backup_dir(), 0o777);
    world.clear_calls();
    let out = world.run(&["--resume", "--dry-run"], &[]);
    crate::run_snapshot!("paths_resume_backup_dir_opened", problems(&world, &stdout(&out)));
    let out = world.run(&["--resume", "--yes"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(world.runbook_calls().is_empty(), "{:?}", world.runbook_calls());
    // As the message says.
    let chmod = format!("chmod go-w {}", world.backup_dir().display());
    assert!(stderr(&out).contains(&format!("`{chmod}`")), "{}", stderr(&out));
    let typed = std::process::Command::new("sh").arg("-c").arg(&chmod).status().unwrap();
    assert!(typed.success());
    let out = world.run(&["--resume", "--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// The vault password file becomes every Ansible run's password: like a private key, it counts
/// only from a trusted user, on a path no one else may replace it through.
#[test]
fn a_vault_password_file_others_could_replace_is_refused() {
    let world = vault_world();
    let file = password_file(&world, 0o600);
    let open = world.path().join("open");
    fs::create_dir(&open).unwrap();
    mode(&open, 0o777);
    let planted = open.join("vault-password");
    fs::copy(&file, &planted).unwrap();
    let out = world.run(&["--dry-run", "--vault-password-file", planted.to_str().unwrap()], &[]);
    crate::snapshot!("paths_vault_password_file_open_dir", problems(&world, &stdout(&out)));
    if is_root() {
        chown(&file, Some(12345), Some(12345)).unwrap();
        let out = world.run(&["--dry-run", "--vault-password-file", &file], &[]);
        crate::snapshot!("paths_vault_password_file_other_owner", problems(&world, &stdout(&out)));
    }
}

/// The name this user's record of the world's manager takes in the state directory.
pub(crate) fn record_name(world: &World) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(world.project().to_str().unwrap().as_bytes());
    let uid = rustix::process::geteuid().as_raw();
    format!("manager-{}.{uid}.json", &format!("{digest:x}")[..16])
}

/// What a case plants before the dry run.
type Plant<'a> = Box<dyn Fn() + 'a>;

/// Types `command` as the operator would: in a shell, with the world's sudo.
fn type_in_shell(world: &World, command: &str) {
    let path = format!("{}:/usr/bin:/bin", world.bin_dir().display());
    let status = world.in_world("bash").arg("-c").arg(command).env("PATH", path).status().unwrap();
    assert!(status.success(), "`{command}` failed");
}

/// Seen: a state directory of any owner and mode was used, and a directory planted under the
/// name this user's record takes made every reset refuse with no word of why. Each is a problem
/// naming it and the fix; the fix, typed, clears it.
#[test]
fn a_state_directory_others_could_rewrite_or_a_planted_record_is_named() {
    let world = World::new();
    let records = world.records();
    let planted = records.join(record_name(&world));
    let mut cases: Vec<(&str, Plant)> = vec![
        ("open", Box::new(|| mode(&records, 0o777))),
        ("planted_dir", Box::new(|| fs::create_dir(&planted).unwrap())),
    ];
    if is_root() {
        cases.push(("owner", Box::new(|| chown(&records, Some(12345), Some(12345)).unwrap())));
    }
    for (case, plant) in cases {
        fs::create_dir_all(&records).unwrap();
        mode(&records, 0o1777);
        plant();
        let out = world.run(&["--dry-run"], &[]);
        let seen = problems(&world, &stdout(&out)).replace(&record_name(&world), "[RECORD]");
        crate::snapshot!(format!("paths_state_dir_{case}"), seen.replace("sudo ", ""));
        let fix = seen.split('`').nth(1).unwrap_or_else(|| panic!("{case}: no command in {seen}"));
        type_in_shell(
            &world,
            &fix.replace("[WORLD]", world.path().to_str().unwrap()).replace("[RECORD]", &record_name(&world)),
        );
        let out = world.run(&["--dry-run"], &[]);
        assert_eq!(problems(&world, &stdout(&out)), "", "{case}: `{fix}` did not clear it");
    }
}

/// The password file is opened only when the vault step runs, long after preflight judged it:
/// the step judges it again, and refuses one opened to others meanwhile; the fix, typed, and the
/// resume finish the reset.
#[test]
fn the_vault_password_file_is_judged_again_at_its_step() {
    let world = vault_world();
    let file = password_file(&world, 0o600);
    let opened = format!("chmod 644 {file}");
    let out = world.run(
        &["--yes", "--vault-password-file", &file],
        &[("FAKE_AT", "docker compose * down -v"), ("FAKE_DO", &opened)],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        !world.runbook_calls().iter().any(|c| c.contains("set vault password")),
        "{:?}",
        world.runbook_calls()
    );
    let euid = rustix::process::geteuid().as_raw();
    let ended = world.error_of(&out).replace(&format!("owner uid {euid})"), "owner uid [EUID])");
    crate::run_snapshot!("paths_vault_password_file_opened_at_its_step", ended);
    type_in_shell(&world, &format!("chmod 600 {file}"));
    let out = world.run(&["--resume", "--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// An administrator who is not the operator runs `sudo osism manager reset` from a backup
/// directory of their own, as the README's first screen has it: root trusts the user who ran
/// sudo (`SUDO_UID`), and no one else.
#[test]
fn root_through_sudo_trusts_the_user_who_ran_it() {
    if !is_root() {
        return; // only root can give a directory another owner
    }
    let world = World::new();
    let theirs = world.path().join("alice-backups");
    fs::create_dir(&theirs).unwrap();
    mode(&theirs, 0o700);
    chown(&theirs, Some(12345), Some(12345)).unwrap();
    let args = ["--dry-run", "--backup-dir", theirs.to_str().unwrap()];
    let out = world.run(&args, &[]);
    assert!(problems(&world, &stdout(&out)).contains("it belongs to uid 12345"), "{}", stdout(&out));
    let out = world.run(&args, &[("SUDO_UID", "12345")]);
    assert_eq!(problems(&world, &stdout(&out)), "", "the sudo user's own directory is refused");
}

/// The archive `--restore-from` names is judged from `/` down too: its directory is mounted
/// into the restore's container, and one under a directory every user may write can be swapped.
#[test]
#[allow(clippy::disallowed_methods)] // the operator's own tar makes the archive
fn an_archive_to_restore_under_a_directory_others_can_write_is_refused() {
    let world = World::new();
    let kept = under_open_dir(&world, "kept");
    let archive = kept.join("manager-share-20261125.tar.gz");
    let state = world.state();
    let mut tar = std::process::Command::new("tar");
    assert!(tar.arg("-czf").arg(&archive).arg("-C").arg(&state).arg("share").status().unwrap().success());
    let out = world.run(&["--dry-run", "--restore-from", archive.to_str().unwrap()], &[]);
    crate::snapshot!("paths_restore_from_under_open_dir", problems(&world, &stdout(&out)));
}
