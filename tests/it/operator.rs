//! Runs as an operator would start them: at a terminal, typing the confirmation, and as a user
//! other than root, through sudo.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output, Stdio};

use osism_manager_reset::quote;

use crate::support::{World, stderr, stdout};

/// The binary under `script`, which gives it a terminal, with `typed` as the keyboard.
pub fn at_terminal(world: &World, args: &[&str], typed: &str) -> Output {
    let mut argv = vec![env!("CARGO_BIN_EXE_osism-manager-reset").to_owned()];
    argv.extend(args.iter().map(|a| a.to_string()));
    let mut script = world.in_world("/usr/bin/script");
    script
        .args(["--quiet", "--return", "--command", &quote::join(&argv), "/dev/null"])
        .env("SHELL", "/bin/sh");
    let mut child =
        script.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(typed.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn typing_the_project_name_at_a_terminal_runs_the_reset() {
    let world = World::new();
    let out = at_terminal(&world, &[], "manager\n");
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("Type \"manager\" to go on"), "{}", stdout(&out));
    assert_eq!(world.runbook_calls().len(), 8);
}

#[test]
fn typing_anything_else_changes_nothing() {
    let world = World::new();
    let out = at_terminal(&world, &[], "yes\n");
    assert_eq!(out.status.code(), Some(2), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("the reset was not confirmed"), "{}", stdout(&out));
    assert!(world.runbook_calls().is_empty(), "{:?}", world.runbook_calls());
    // Nothing but the (empty-handed) lock file the run held.
    let left: Vec<_> = world.backup_dir().read_dir().unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.iter().all(|name| name == ".osism-manager-reset.lock"), "{left:?}");
}

/// Whether the tests run as root, so that the operator has to be another user.
fn root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Gives the world to `nobody` when the tests run as root; otherwise the tests' user is the
/// operator already.
fn hand_to_operator(world: &World) {
    if root() {
        #[allow(clippy::disallowed_methods)] // chown sets the test's user up
        let chowned = Command::new("chown").args(["-R", "65534:65534"]).arg(world.path()).status().unwrap();
        assert!(chowned.success());
    }
}

/// The binary as the operator: `nobody` (through setpriv) when the tests run as root.
fn as_operator(world: &World, args: &[&str]) -> Output {
    if !root() {
        return world.command(args).output().unwrap();
    }
    // A copy in the world, which nobody can reach wherever the checkout is.
    let copy = world.path().join("osism-manager-reset");
    fs::copy(env!("CARGO_BIN_EXE_osism-manager-reset"), &copy).unwrap();
    let mut setpriv = world.in_world("/usr/bin/setpriv");
    setpriv.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]).arg(&copy).args(args);
    setpriv.output().unwrap()
}

#[test]
fn a_non_root_operator_stops_and_starts_the_unit_through_sudo() {
    let world = World::new();
    hand_to_operator(&world);
    let out = as_operator(&world, &["--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let calls = world.runbook_calls();
    assert_eq!(calls[0], "sudo systemctl stop docker-compose@manager.service");
    assert_eq!(calls[3], "sudo systemctl start docker-compose@manager.service");
    assert_eq!(calls.len(), 8, "{calls:?}");
}

#[test]
fn a_backup_directory_the_operator_cannot_write_is_refused() {
    let world = World::new();
    hand_to_operator(&world);
    let locked = world.path().join("locked");
    fs::create_dir(&locked).unwrap();
    // Created by root after the hand-over, or read-only for the tests' own user.
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    let out = as_operator(&world, &["--yes", "--backup-dir", locked.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("is not writable"), "{}", stderr(&out));
    assert!(world.runbook_calls().is_empty());
}
