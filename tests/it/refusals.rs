//! Refusals as the operator sees them: the whole of standard error and the exit code, pinned, so
//! that a message that loses its advice, names the wrong thing or gains escape codes fails here.

use crate::run_snapshot;
use crate::support::{World, stderr, with_vault};

/// The exit code and the whole of stderr of the binary run with `args` and `env`.
fn refusal(world: &World, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = world.run(args, env);
    assert!(world.runbook_calls().is_empty(), "a refusal ran {:?}", world.runbook_calls());
    format!("exit code: {:?}\n{}", out.status.code(), world.scrub(&[stderr(&out)]))
}

#[test]
fn bad_input() {
    let world = World::new();
    run_snapshot!("refusal_bad_input", refusal(&world, &["--yes", "--image", "BusyBox"], &[]));
}

#[test]
fn a_share_volume_not_mounted_at_share() {
    let world = World::new();
    let env = [("OSISM_MANAGER_RESET_SHARE_VOLUME", "manager_mariadb")];
    run_snapshot!("refusal_share_volume", refusal(&world, &["--yes"], &env));
}

#[test]
fn an_unfinished_reset_started_elsewhere() {
    let world = World::new();
    let out = world.run(&["--yes"], &[("FAKE_KILL", "systemctl start *")]);
    assert_eq!(out.status.code(), None, "not killed: {}", stderr(&out));
    world.clear_calls();
    let elsewhere = world.path().display().to_string();
    run_snapshot!("refusal_unfinished", refusal(&world, &["--yes", "--backup-dir", &elsewhere], &[]));
}

#[test]
fn vaults_storage_and_a_vault_password_with_no_way_back() {
    let world = World::new();
    with_vault(&world);
    std::fs::remove_file(world.configuration().join("environments/.vault_pass")).unwrap();
    run_snapshot!("refusal_vault", refusal(&world, &["--yes"], &[]));
}
