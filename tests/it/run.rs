//! Real runs of the built binary against fake programs that record their argv.

use crate::run_snapshot;
use crate::support::{World, stderr, stdout};

/// The display lines the dry run shows, in order.
fn dry_run_lines(world: &World, args: &[&str]) -> Vec<String> {
    let mut argv = vec!["--dry-run", "--output", "json"];
    argv.extend_from_slice(args);
    let out = world.run(&argv, &[]);
    let plan: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["commands"].as_array().unwrap().iter())
        .map(|c| c["display"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn yes_runs_exactly_the_dry_run_lines_in_order() {
    let world = World::new();
    let planned = dry_run_lines(&world, &[]);
    let out = world.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let recorded: Vec<String> = world.calls().iter().map(|a| osism_manager_reset::quote::join(a)).collect();
    assert_eq!(recorded, planned);
    assert_eq!(recorded.len(), 8);
    run_snapshot!("run_yes_calls", world.call_lines());
}

#[test]
fn every_command_is_echoed_before_it_runs() {
    let world = World::new();
    let out = world.run(&["--yes"], &[]);
    let text = stdout(&out);
    for line in dry_run_lines(&world, &[]) {
        assert!(text.contains(&format!("$ {line}")), "{line} not echoed in\n{text}");
    }
}

#[test]
fn a_failing_command_stops_the_run_with_exit_1() {
    let world = World::new();
    let out = world.run(&["--yes"], &[("FAKE_FAIL", "down -v")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("step 3 (Delete the manager service and its volumes) failed"), "{err}");
    assert!(err.contains("manager-share-"), "the archive is not named: {err}");
    let calls = world.calls();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert_eq!(calls.last().unwrap()[4..], ["down", "-v"]);
}

#[test]
fn no_terminal_and_no_yes_is_refused_before_anything_runs() {
    let world = World::new();
    let out = world.run(&[], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("pass --yes"), "{}", stderr(&out));
    assert!(world.calls().is_empty());
}

#[test]
fn odd_backup_directory_is_passed_as_one_argument() {
    let world = World::new();
    let odd = world.backup_dir().join("my backups; $(touch pwned)");
    std::fs::create_dir(&odd).unwrap();
    let out = world.run(&["--yes", "--backup-dir", odd.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let volume = format!("{}:/backup", odd.display());
    assert!(world.calls()[1].contains(&volume), "{:?}", world.calls()[1]);
    assert!(!world.backup_dir().join("pwned").exists());
}
