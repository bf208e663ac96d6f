//! Runs as an operator would start them: at a terminal, typing the confirmation, and as a user
//! other than root, through sudo.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use osism_manager_reset::plan::quote;

use crate::support::{World, at_terminal, stderr, stdout};

#[test]
fn typing_the_project_name_at_a_terminal_runs_the_reset() {
    let world = World::new();
    let out = at_terminal(&world, &[], "manager\n");
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let screen = stdout(&out);
    let prompt = screen.find("Type \"manager\" to go on").unwrap_or_else(|| panic!("{screen}"));
    // The whole plan, commands and checks, stands before the question.
    for line in [
        "$ docker compose --project-directory",
        "down -v",
        "after:  none of the volumes",
        "$ osism apply facts",
    ] {
        let at = screen.find(line).unwrap_or_else(|| panic!("{line} not shown: {screen}"));
        assert!(at < prompt, "{line} shown only after the question");
    }
    assert_eq!(world.runbook_calls().len(), 8);
}

#[test]
fn typing_anything_else_changes_nothing() {
    let world = World::new();
    let out = at_terminal(&world, &[], "yes\n");
    assert_eq!(out.status.code(), Some(2), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("the reset was not confirmed"), "{}", stdout(&out));
    assert!(world.runbook_calls().is_empty(), "{:?}", world.runbook_calls());
    // Nothing: the lock is on the project directory, and nothing was written.
    let left: Vec<_> = world.backup_dir().read_dir().unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_non_root_operator_stops_and_starts_the_unit_through_sudo() {
    let world = World::new();
    world.hand_to_operator();
    let out = world.run_as_operator(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let calls = world.runbook_calls();
    assert_eq!(calls[0], "sudo systemctl stop docker-compose@manager.service");
    assert_eq!(calls[3], "sudo systemctl start docker-compose@manager.service");
    assert_eq!(calls.len(), 8, "{calls:?}");
}

#[test]
fn a_backup_directory_the_operator_cannot_write_is_refused() {
    let world = World::new();
    world.hand_to_operator();
    let locked = world.path().join("locked");
    fs::create_dir(&locked).unwrap();
    // Created by root after the hand-over, or read-only for the tests' own user.
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    let out = world.run_as_operator(&["--yes", "--backup-dir", locked.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("is not writable"), "{}", stderr(&out));
    assert!(world.runbook_calls().is_empty());
}

/// The spinner draws on standard error; with that sent to a file at a terminal, progress still
/// shows on the terminal, as plain lines, the first one at once.
#[test]
fn progress_shows_at_a_terminal_whose_stderr_goes_to_a_file() {
    let world = World::new();
    let err = world.path().join("stderr");
    let argv = [env!("CARGO_BIN_EXE_osism-manager-reset"), "--yes"].map(String::from);
    let line = format!("{} 2>{}", quote::join(&argv), quote::join(&[err.display().to_string()]));
    let mut script = world.in_world("/usr/bin/script");
    script
        .args(["--quiet", "--return", "--command", &line, "/dev/null"])
        .env("SHELL", "/bin/sh")
        .env("FAKE_SHARE_LATE", "10");
    let out = script.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), fs::read_to_string(&err).unwrap());
    assert!(
        stdout(&out).contains("waiting for Compose to create manager_share"),
        "no progress on the terminal: {}",
        stdout(&out)
    );
}

/// At a terminal the operator agrees to lose Vault's storage in words of their own, after the
/// project's name, even with `--delete-vault-data`; anything else changes nothing.
#[test]
fn at_a_terminal_vaults_storage_is_agreed_to_in_words() {
    let world = World::new();
    crate::support::with_vault(&world);
    let out = at_terminal(&world, &["--delete-vault-data"], "manager\nyes\n");
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let screen = stdout(&out);
    assert!(
        screen.contains("This also deletes HashiCorp Vault's storage (manager_vault_file, manager_vault_logs) for good. Type \"delete vault data\""),
        "{screen}"
    );
    assert!(screen.contains("the reset was not confirmed (expected \"delete vault data\")"), "{screen}");
    assert!(world.runbook_calls().is_empty(), "{:?}", world.runbook_calls());
    let out = at_terminal(&world, &["--delete-vault-data"], "manager\ndelete vault data\n");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(world.runbook_calls().len(), 8);
}

/// sudo is asked before the manager stops: without a terminal, a password it would want refuses
/// the reset naming the user and the sudoers line; a command it does not permit, too.
#[test]
fn sudo_that_would_ask_or_refuse_mid_run_is_found_before_anything_stops() {
    for (sudo, needle) in [
        (
            "password",
            "sudo asks nobody for a password to run `systemctl stop docker-compose@manager.service` and",
        ),
        ("denied", "sudo does not let nobody run `systemctl stop docker-compose@manager.service` and"),
    ] {
        if !crate::support::is_root() {
            return; // the user is the tests' own, not nobody: the words differ; `make test` covers it
        }
        let world = World::new();
        world.hand_to_operator();
        let out = world.run_as_operator(&["--yes"], &[("FAKE_SUDO", sudo)]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{sudo}: {err}");
        assert!(err.contains(needle), "{sudo}: {err}");
        let sudoers = "`nobody ALL=(root) NOPASSWD: ";
        let line = &err[err.find(sudoers).unwrap_or_else(|| panic!("{sudo}: {err}"))..];
        assert!(line.contains("systemctl stop docker-compose@manager.service, "), "{sudo}: {err}");
        assert!(line.contains("systemctl start docker-compose@manager.service`"), "{sudo}: {err}");
        assert!(world.runbook_calls().is_empty(), "{sudo}: {:?}", world.runbook_calls());
    }
}

/// At a terminal, sudo's password is asked once, right after the confirmation and before step 1;
/// a wrong one stops the reset with nothing changed and nothing left to block the next.
#[test]
fn at_a_terminal_sudo_asks_once_before_step_1_and_a_wrong_password_changes_nothing() {
    let world = World::new();
    world.hand_to_operator();
    let out = crate::support::at_terminal_as_operator(
        &world,
        &[],
        "manager\nwrong\n",
        &[("FAKE_SUDO", "password")],
    );
    let screen = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{screen}");
    assert!(screen.contains("sudo did not take the password"), "{screen}");
    assert_eq!(world.runbook_calls(), ["sudo -v"], "{screen}");
    assert!(world.state().join("up").exists(), "the manager was stopped");
    assert!(
        !world
            .backup_dir()
            .read_dir()
            .unwrap()
            .any(|e| { e.unwrap().file_name().to_string_lossy().ends_with(".journal.json") })
    );

    world.clear_calls();
    let out = crate::support::at_terminal_as_operator(
        &world,
        &[],
        "manager\nsudo secret\n",
        &[("FAKE_SUDO", "password")],
    );
    let screen = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{screen}");
    let (confirm, password) =
        (screen.find("Type \"manager\" to go on").unwrap(), screen.find("[sudo] password").unwrap());
    let step_1 = screen.rfind("Step 1/7").unwrap();
    assert!(confirm < password && password < step_1, "{screen}");
    let calls = world.runbook_calls();
    assert_eq!(calls[0], "sudo -v");
    assert_eq!(calls[1], "sudo systemctl stop docker-compose@manager.service");
}

/// sudo's cache may run out during a long backup: before step 4's `sudo systemctl start`, sudo
/// asks again, in the foreground, instead of hanging in the command's own process group.
#[test]
fn sudo_asks_again_in_the_foreground_when_its_cache_ran_out() {
    let world = World::new();
    world.hand_to_operator();
    let env = [("FAKE_SUDO", "password"), ("FAKE_SUDO_EXPIRES", "1")];
    let out =
        crate::support::at_terminal_as_operator(&world, &[], "manager\nsudo secret\nsudo secret\n", &env);
    let screen = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{screen}");
    assert!(
        screen.contains("sudo no longer has your password (its cache ran out): it asks again"),
        "{screen}"
    );
    let calls = world.runbook_calls();
    let start =
        calls.iter().position(|c| c.ends_with("systemctl start docker-compose@manager.service")).unwrap();
    assert_eq!(calls[start - 1], "sudo -v", "{calls:?}");
    assert_eq!(calls.iter().filter(|c| *c == "sudo -v").count(), 2, "{calls:?}");
}
