//! The scenarios of `told`'s table that end before step 1: refusals (exit 2, nothing changed)
//! and a reset already running (exit 3). Each returns what the operator is told, whole; where
//! the message gives a command to type and no other test types it, the scenario types it too.
#![allow(clippy::disallowed_methods)] // the operator's own tar and sha256sum make archives

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::rescue::{as_it_was, earlier_archive};
use crate::support::{World, advice, at_terminal_as_operator, is_root, stderr, with_vault};
use crate::told::told;

fn mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Each told, one after the other, under a line naming the case.
fn cases(cases: &[(&str, String)]) -> String {
    cases.iter().map(|(case, text)| format!("--- {case}\n{text}")).collect::<Vec<_>>().join("\n")
}

/// The user the operator's runs run as (`nobody` where the tests run as root), written
/// `[OPERATOR]`.
fn as_operator(text: &str) -> String {
    let id = crate::clean_command::clean_command("id").arg("-un").output().unwrap();
    let name =
        if is_root() { "nobody".to_owned() } else { String::from_utf8_lossy(&id.stdout).trim().to_owned() };
    [" ", "`"].iter().fold(text.to_owned(), |text, before| {
        [" ", ":"].iter().fold(text, |text, after| {
            text.replace(&format!("{before}{name}{after}"), &format!("{before}[OPERATOR]{after}"))
        })
    })
}

/// messages.rs types the option it gives.
pub fn project_of_another_name(world: &World) -> String {
    world.set_state("declared", "prod_mariadb\nprod_share\n");
    world.set_state("volumes", "manager_share\nprod_mariadb\nprod_share\n");
    world.set_state("labelled", "prod_mariadb\nprod_share\n");
    let env = [("FAKE_PROJECT_NAME", "prod")];
    told(world, &world.run(&["--yes"], &env))
}

/// Its removal is typed by preflight.rs's test.
pub fn container_outside_the_project(world: &World) -> String {
    world.set_state("strays", "stray busybox:latest running manager_share\n");
    told(world, &world.run(&["--yes"], &[]))
}

/// The group's write, the sticky bit's, and a directory above that every user may write; each
/// fix typed.
pub fn backup_dir_not_private(world: &World) -> String {
    let backup = world.backup_dir();
    let mut seen = Vec::new();
    for (case, bits) in [("group", 0o775), ("sticky", 0o1777)] {
        mode(&backup, bits);
        let out = world.run(&["--yes"], &[]);
        seen.push((case, told(world, &out)));
        let typed = world.type_line(&advice("(mode", &stderr(&out)), world.path(), &[]);
        assert!(typed.status.success(), "{}", stderr(&typed));
    }
    mode(&backup, 0o700);
    let open = world.path().join("open");
    fs::create_dir_all(open.join("backups")).unwrap();
    mode(&open.join("backups"), 0o700);
    mode(&open, 0o777);
    let out = world.run(&["--yes", "--backup-dir", open.join("backups").to_str().unwrap()], &[]);
    seen.push(("under an open directory", told(world, &out)));
    cases(&seen)
}

/// sudo that would ask for a password, and sudo that would refuse, each found before step 1.
pub fn sudo_would_ask_or_refuse(world: &World) -> String {
    world.hand_to_operator();
    let seen: Vec<(&str, String)> = ["password", "denied"]
        .into_iter()
        .map(|sudo| (sudo, told(world, &world.run_as_operator(&["--yes"], &[("FAKE_SUDO", sudo)]))))
        .collect();
    as_operator(&cases(&seen))
}

/// At a terminal, the wrong password: the screen from sudo's prompt on.
pub fn sudo_password_wrong(world: &World) -> String {
    world.hand_to_operator();
    let env = [("FAKE_SUDO", "password")];
    let out = at_terminal_as_operator(world, &[], "manager\nwrong\n", &env);
    let screen = crate::support::stdout(&out).replace('\r', "");
    let from = screen.find("[sudo] password").expect("sudo's prompt");
    let seen = format!("exit code: {:?}\n{}", out.status.code(), world.scrub(&[screen[from..].to_owned()]));
    as_operator(&seen)
}

pub fn image_cannot_be_pulled(world: &World) -> String {
    let env = [("FAKE_IMAGE_MISSING", "1"), ("FAKE_PULL_FAILS", "1")];
    told(world, &world.run(&["--yes"], &env))
}

/// A saved plan others may write, one in a directory others may write, and a symlink to one;
/// each time the plan is saved again as the message says and applied (saved_plan.rs has the
/// plan of another user's).
pub fn plan_file_untrusted(world: &World) -> String {
    let plan = world.backup_dir().join("plan.json");
    let saved = world.run(&["--save-plan", plan.to_str().unwrap()], &[]);
    assert_eq!(saved.status.code(), Some(0), "{}", stderr(&saved));
    let apply = |file: &Path| world.run(&["--plan", file.to_str().unwrap(), "--yes"], &[]);
    let mut seen = Vec::new();
    mode(&plan, 0o622);
    seen.push(("written by others", told(world, &apply(&plan))));
    mode(&plan, 0o600);
    mode(&world.backup_dir(), 0o777);
    seen.push(("in a directory others may write", told(world, &apply(&plan))));
    mode(&world.backup_dir(), 0o700);
    let link = world.backup_dir().join("link.json");
    symlink(&plan, &link).unwrap();
    seen.push(("a symlink", told(world, &apply(&link))));
    assert!(world.runbook_calls().is_empty(), "{:?}", world.runbook_calls());
    cases(&seen)
}

/// Run as root (see `Pinned::AsRoot`).
pub fn save_plan_over_anothers_file(world: &World) -> String {
    let file = world.backup_dir().join("plan.json");
    fs::write(&file, "theirs\n").unwrap();
    std::os::unix::fs::chown(&file, Some(12345), Some(12345)).unwrap();
    told(world, &world.run(&["--save-plan", file.to_str().unwrap()], &[]))
}

/// A value of a saved plan, and one of a journal, edited to break its flag's rules.
pub fn recorded_value_breaks_its_rules(world: &World) -> String {
    let plan = world.backup_dir().join("plan.json");
    assert!(world.run(&["--save-plan", plan.to_str().unwrap()], &[]).status.success());
    let text = fs::read_to_string(&plan).unwrap();
    fs::write(&plan, text.replace("\"image\": \"busybox\"", "\"image\": \"BusyBox\"")).unwrap();
    let planned = told(world, &world.run(&["--plan", plan.to_str().unwrap(), "--yes"], &[]));
    fs::remove_file(&plan).unwrap();
    let killed = world.run(&["--yes"], &[("FAKE_KILL", "systemctl start *")]);
    assert_eq!(killed.status.code(), None, "not killed: {}", stderr(&killed));
    let journal = world.backup_file(".journal.json");
    let text = fs::read_to_string(&journal).unwrap();
    fs::write(&journal, text.replace("\"image\": \"busybox\"", "\"image\": \"BusyBox\"")).unwrap();
    let journalled = told(world, &world.run(&["--resume", "--yes"], &[]));
    cases(&[("the plan", planned), ("the journal", journalled)])
}

pub fn systemd_not_running(world: &World) -> String {
    told(world, &world.run(&["--yes"], &[("FAKE_NO_SYSTEMD", "1")]))
}

/// A second reset while the first one's `down -v` runs.
pub fn another_reset_running(world: &World) -> String {
    let mut first = world.command(&["--yes"]);
    first.env("FAKE_HANG", "* down -v").env("FAKE_HANG_SECONDS", "3");
    let mut first =
        first.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !world.ran("down -v") {
        assert!(Instant::now() < deadline, "down -v never ran");
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = told(world, &world.run(&["--yes"], &[]));
    assert!(first.wait().unwrap().success());
    second.replace(&format!("pid {}", first.id()), "pid [PID]")
}

/// anywhere.rs types the `rm` and runs again.
pub fn recorded_journal_gone(world: &World) -> String {
    let out = world.run(&["--yes"], &[("FAKE_KILL", "systemctl stop *")]);
    assert_eq!(out.status.code(), None, "not killed: {}", stderr(&out));
    fs::remove_file(world.backup_file(".journal.json")).unwrap();
    world.clear_calls();
    told(world, &world.run(&["--yes"], &[])).replace(&crate::paths::record_name(world), "[RECORD]")
}

/// OSISM's wrapper gone, the plugin dispatcher left as `osism` on PATH.
pub fn osism_cannot_run(world: &World) -> String {
    fs::remove_file(world.bin_dir().join("osism")).unwrap();
    let dispatcher = Path::new(env!("CARGO_MANIFEST_DIR")).join("wrapper/osism");
    fs::copy(dispatcher, world.bin_dir().join("osism")).unwrap();
    told(world, &world.run(&["--yes"], &[]))
}

/// A fresh /share, then none: the archive found is offered, and the command given restores it
/// (rescue.rs types both).
pub fn share_fresh_or_missing(world: &World) -> String {
    let backup = world.backup_dir();
    earlier_archive(world, &backup, true, |_| {});
    let kept = world.share();
    fs::remove_dir_all(&kept).unwrap();
    fs::create_dir_all(&kept).unwrap();
    fs::write(kept.join("known_hosts"), "testbed-manager ssh-ed25519 AAAA\n").unwrap();
    let fresh = told(world, &world.run(&["--yes", "--backup-dir", backup.to_str().unwrap()], &[]));
    fs::remove_dir_all(&kept).unwrap();
    world.set_state("volumes", &format!("manager_mariadb\n{}\n", crate::support::REDIS_DATA));
    let missing = told(world, &world.run(&["--yes", "--backup-dir", backup.to_str().unwrap()], &[]));
    cases(&[("fresh", fresh), ("missing", missing)])
}

/// An archive whose entry climbs out of share/ with `..`.
pub fn restore_from_hostile_entry(world: &World) -> String {
    let archive = earlier_archive(world, &world.path().join("kept"), false, |_| {});
    let mut tar = crate::clean_command::clean_command("tar");
    tar.arg("-czf").arg(&archive).arg("-C").arg(world.path().join("then"));
    let made = tar.args(["--transform", "s,^share/a.txt$,share/../a.txt,", "share"]).status().unwrap();
    assert!(made.success());
    told(world, &world.run(&["--yes", "--restore-from", archive.to_str().unwrap()], &[]))
}

/// An archive changed since its `.sha256` was written, and one whose sha256 is not the one given.
pub fn restore_from_not_the_one_checked(world: &World) -> String {
    let archive = earlier_archive(world, &world.path().join("kept"), true, as_it_was);
    let restore = archive.to_str().unwrap();
    let bytes = fs::read(&archive).unwrap();
    fs::write(&archive, [&bytes[..], b"appended"].concat()).unwrap();
    let checked = told(world, &world.run(&["--yes", "--restore-from", restore], &[]));
    fs::remove_file(world.path().join("kept/manager-share-20261125.tar.gz.sha256")).unwrap();
    let zeros = "0".repeat(64);
    let given =
        told(world, &world.run(&["--yes", "--restore-from", restore, "--restore-sha256", &zeros], &[]));
    cases(&[("its .sha256", checked), ("--restore-sha256", given)])
}

/// Run as root (see `Pinned::AsRoot`).
pub fn checksum_of_another_user(world: &World) -> String {
    let archive = earlier_archive(world, &world.path().join("kept"), true, as_it_was);
    let checksum = world.path().join("kept/manager-share-20261125.tar.gz.sha256");
    std::os::unix::fs::chown(checksum, Some(12345), Some(12345)).unwrap();
    told(world, &world.run(&["--yes", "--restore-from", archive.to_str().unwrap()], &[]))
}

/// rescue.rs gives the sha256 it shows and finishes.
pub fn restore_from_unvouched(world: &World) -> String {
    let archive = earlier_archive(world, &world.path().join("kept"), false, as_it_was);
    told(world, &world.run(&["--yes", "--restore-from", archive.to_str().unwrap()], &[]))
}

/// With HashiCorp Vault, the refusal offers keeping its storage; kept.rs types both ways out.
pub fn vault_storage_deleted(world: &World) -> String {
    with_vault(world);
    told(world, &world.run(&["--yes"], &[]))
}

/// A `--keep-volume` naming a volume the project does not have, and the share volume.
pub fn keep_volume_not_of_the_project(world: &World) -> String {
    let refused = |keep: &str| told(world, &world.run(&["--yes", "--keep-volume", keep], &[]));
    cases(&[("not the project's", refused("redis")), ("the share volume", refused("share"))])
}
