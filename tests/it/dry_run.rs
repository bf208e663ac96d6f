//! The built binary's dry run and its refusals of bad input.

use crate::support::{World, stderr, stdout};

#[test]
fn dry_run_needs_no_docker_and_changes_nothing() {
    let world = World::new();
    // Only the shell's own tools: no docker, systemctl or osism anywhere on PATH.
    let out = world.command(&["--dry-run"]).env("PATH", "/nonexistent").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Step 3/7: Delete the manager service and its volumes  [DESTROYS DATA]"), "{text}");
    assert!(text.contains("down -v\n"), "{text}");
    assert!(text.contains("docker is not on PATH"), "{text}");
    assert!(world.calls().is_empty());
    assert_eq!(std::fs::read_dir(world.backup_dir()).unwrap().count(), 0, "the dry run wrote a file");
}

#[test]
fn dry_run_json_is_one_document_with_every_command() {
    let world = World::new();
    let out = world.run(&["--dry-run", "--output", "json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    let backup = world.backup_dir().canonicalize().unwrap();
    assert_eq!(
        plan["backup_file"],
        format!("{}/manager-share-{}.tar.gz", backup.display(), plan["date"].as_str().unwrap())
    );
    let steps = plan["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 7);
    assert_eq!(steps[2]["destructive"], true);
    assert_eq!(steps[6]["commands"][1]["argv"], serde_json::json!(["osism", "apply", "facts"]));
}

#[test]
fn environment_fallbacks_are_used() {
    let world = World::new();
    let out = world.run(
        &["--dry-run", "--output", "json"],
        &[("OSISM_MANAGER_RESET_SHARE_VOLUME", "other_share"), ("OSISM_MANAGER_RESET_IMAGE", "alpine")],
    );
    let plan: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(plan["share_volume"], "other_share");
    assert_eq!(plan["image"], "alpine");
}

#[test]
fn bad_input_is_refused_with_exit_2_and_nothing_runs() {
    let world = World::new();
    let file = world.backup_dir().join("a-file");
    std::fs::write(&file, "").unwrap();
    let file = file.to_str().unwrap();
    for (args, needle) in [
        (vec!["--yes", "--backup-dir", "/does/not/exist"], "backup directory /does/not/exist does not exist"),
        (vec!["--yes", "--backup-dir", file], "is not a directory"),
        (vec!["--yes", "--share-volume", ""], "--share-volume is empty"),
        (vec!["--yes", "--service", ""], "--service is empty"),
        (vec!["--yes", "--frobnicate"], "unexpected argument '--frobnicate'"),
        (vec!["--yes", "--output", "yaml"], "invalid value 'yaml'"),
        (vec!["--dry-run", "--backup-dir", "/does/not/exist"], "does not exist"),
    ] {
        let out = world.run(&args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
        assert!(world.calls().is_empty(), "{args:?} ran {:?}", world.calls());
    }
}

#[test]
fn help_lists_every_option_with_its_environment_variable_and_the_exit_codes() {
    let out = World::new().run(&["--help"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    for name in ["PROJECT_DIRECTORY", "SERVICE", "SHARE_VOLUME", "BACKUP_DIR", "IMAGE"] {
        let flag = format!("--{}", name.to_lowercase().replace('_', "-"));
        assert!(help.contains(&flag), "{flag} missing");
        assert!(help.contains(&format!("OSISM_MANAGER_RESET_{name}")), "{name} env missing");
    }
    assert!(help.contains("Exit codes:"), "{help}");
}

#[test]
fn version_prints_the_crate_version() {
    let out = World::new().run(&["--version"], &[]);
    assert_eq!(stdout(&out).trim(), format!("osism-manager-reset {}", env!("CARGO_PKG_VERSION")));
}
