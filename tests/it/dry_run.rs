//! The built binary's dry run and its refusals of bad input.

use crate::run_snapshot;
use crate::support::{World, is_root, stderr, stdout};

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
    for (args, needle) in [
        (vec!["--yes", "--share-volume", ""], "--share-volume is empty"),
        (vec!["--yes", "--service", ""], "--service is empty"),
        (vec!["--yes", "--frobnicate"], "unexpected argument '--frobnicate'"),
        (vec!["--yes", "--output", "yaml"], "invalid value 'yaml'"),
        (vec!["--yes", "--image", "busybox;id"], "is not a docker image reference"),
        (vec!["--yes", "--service=-.service"], "starts with '-'"),
        (
            vec!["--yes", "--health-timeout", "0"],
            "invalid value '0' for '--health-timeout <SECONDS>': give at least 1 second",
        ),
    ] {
        let out = world.run(&args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
        assert!(world.calls().is_empty(), "{args:?} ran {:?}", world.calls());
    }
}

#[test]
fn missing_directories_are_problems_in_the_list_for_the_run_and_the_dry_run() {
    let world = World::new();
    let file = world.backup_dir().join("a-file");
    std::fs::write(&file, "").unwrap();
    std::fs::remove_file(world.bin_dir().join("osism")).unwrap();
    let dirs = ["--backup-dir", "/does/not/exist", "--project-directory", file.to_str().unwrap()];
    let out = world.run(&[&["--yes"][..], &dirs].concat(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("preflight found 3 problem(s)"), "{err}");
    for needle in [
        "osism is not on PATH",
        "the backup directory /does/not/exist does not exist",
        &format!("the project directory {} is not a directory", file.display()),
    ] {
        assert!(err.contains(needle), "{needle} not in {err}");
    }
    assert!(world.runbook_calls().is_empty(), "{:?}", world.runbook_calls());
    let out = world.run(&[&["--dry-run"][..], &dirs].concat(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let problems = stdout(&out).lines().filter(|l| l.starts_with("  - ")).count();
    assert_eq!(problems, 3, "{}", stdout(&out));
    // The JSON plan names each problem's kind, which a pipeline matches on, beside its text.
    let out = world.run(&[&["--dry-run", "--output", "json"][..], &dirs].concat(), &[]);
    let plan: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let kinds: Vec<&str> =
        plan["problems"].as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["program", "project", "backup-dir"], "{}", stdout(&out));
    assert!(
        plan["problems"][0]["text"].as_str().unwrap().starts_with("osism is not on PATH: "),
        "{}",
        stdout(&out)
    );
}

#[test]
fn environment_variables_take_what_operators_type_and_are_named_in_errors() {
    for yes in ["1", "true", "yes", "on"] {
        let out = World::new().run(&[], &[("OSISM_MANAGER_RESET_YES", yes)]);
        assert_eq!(out.status.code(), Some(0), "YES={yes}: {}", stderr(&out));
    }
    let world = World::new();
    for no in ["0", "false", "no", "off"] {
        let out = world.run(&[], &[("OSISM_MANAGER_RESET_YES", no)]);
        assert_eq!(out.status.code(), Some(2), "YES={no}: {}", stderr(&out));
        assert!(stderr(&out).contains("pass --yes"), "{}", stderr(&out));
    }
    for (env, value, needle) in [
        (
            "OSISM_MANAGER_RESET_HEALTH_TIMEOUT",
            "0",
            "(set by the environment variable OSISM_MANAGER_RESET_HEALTH_TIMEOUT)",
        ),
        (
            "OSISM_MANAGER_RESET_OUTPUT",
            "yaml",
            "(set by the environment variable OSISM_MANAGER_RESET_OUTPUT)",
        ),
        (
            "OSISM_MANAGER_RESET_IMAGE",
            "Busy Box",
            "OSISM_MANAGER_RESET_IMAGE (--image) \"Busy Box\" is not a docker image",
        ),
        (
            "OSISM_MANAGER_RESET_SHARE_VOLUME",
            "a b",
            "OSISM_MANAGER_RESET_SHARE_VOLUME (--share-volume) \"a b\"",
        ),
    ] {
        world.clear_calls();
        let out = world.run(&["--yes"], &[(env, value)]);
        assert_eq!(out.status.code(), Some(2), "{env}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{needle} not in {}", stderr(&out));
        assert!(world.calls().is_empty(), "{env}: ran {:?}", world.calls());
    }
    // Given on the command line, the flag is to blame.
    let out = world.run(&["--yes", "--health-timeout", "0"], &[("OSISM_MANAGER_RESET_HEALTH_TIMEOUT", "5")]);
    assert!(!stderr(&out).contains("environment variable"), "{}", stderr(&out));
}

#[test]
fn with_json_output_every_refusal_ends_with_a_failed_event() {
    let world = World::new();
    for (args, env) in [
        (&["--output", "json", "--frobnicate"][..], &[][..]),
        (&["--output=json", "--health-timeout", "0"], &[]),
        (&["--image", "BusyBox"], &[("OSISM_MANAGER_RESET_OUTPUT", "json")]),
        (&["--yes", "--health-timeout=x"], &[("OSISM_MANAGER_RESET_OUTPUT", "json")]),
        (&[], &[("OSISM_MANAGER_RESET_OUTPUT", "json")]),
    ] {
        let out = world.run(args, env);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let text = stdout(&out);
        let lines: Vec<&str> = text.lines().collect();
        let last: serde_json::Value = serde_json::from_str(lines.last().unwrap_or(&"")).unwrap_or_default();
        assert_eq!(last["event"], "failed", "{args:?} {env:?}: {}", stdout(&out));
        assert_eq!(last["exit_code"], 2);
        assert_eq!(lines.iter().filter(|l| l.contains("\"event\":\"failed\"")).count(), 1);
    }
    // Text asked for on the command line beats JSON from the environment.
    let out = world.run(&["--output", "text", "--frobnicate"], &[("OSISM_MANAGER_RESET_OUTPUT", "json")]);
    assert_eq!(stdout(&out), "");
}

#[test]
fn help_lists_every_option_with_its_environment_variable_and_the_exit_codes() {
    let out = World::new().run(&["--help"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    use clap::CommandFactory;
    for arg in osism_manager_reset::plan::cli::Args::command().get_arguments() {
        let long = arg.get_long().unwrap();
        assert!(help.contains(&format!("--{long}")), "--{long} missing");
        if let Some(env) = arg.get_env() {
            assert!(help.contains(&*env.to_string_lossy()), "{env:?} missing");
        }
    }
    assert!(help.contains("130  stopped by Ctrl-C"), "{help}");
    assert!(help.contains("unfinished reset to resume first"), "{help}");
    assert!(help.contains("Exit codes:"), "{help}");
}

#[test]
fn version_prints_the_crate_version() {
    let out = World::new().run(&["--version"], &[]);
    assert_eq!(stdout(&out).trim(), format!("osism-manager-reset {}", env!("CARGO_PKG_VERSION")));
}

/// The binary's own dry run, text and JSON, as `who` runs it: "root" (only when the tests run
/// as root) or "user" (`nobody` under root, else the tests' own user). Pinned by snapshots.
fn snapshot_dry_runs(who: &str, args: &[&str], name: &str) {
    let world = World::new();
    let odd = world.path().join("my backups");
    std::fs::create_dir(&odd).unwrap();
    let args: Vec<&str> =
        args.iter().map(|a| if *a == "ODD_BACKUP_DIR" { odd.to_str().unwrap() } else { a }).collect();
    if who == "user" {
        world.hand_to_operator();
    }
    let run = |extra: &[&str]| {
        let argv = [&["--dry-run"][..], extra, &args].concat();
        let out = if who == "user" { world.run_as_operator(&argv, &[]) } else { world.run(&argv, &[]) };
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        world.scrub(&[stdout(&out)])
    };
    let text = run(&[]);
    assert!(!text.contains("would refuse"), "{name}: the dry run found problems:\n{text}");
    run_snapshot!(format!("dry_run_text_{name}"), text);
    run_snapshot!(format!("dry_run_json_{name}"), run(&["--output", "json"]));
}

/// Root's plan has no `sudo`: the planner's part holds for any user; the binary's own output is
/// pinned where the tests run as root, as only root's dry run is root's.
#[test]
fn dry_run_as_root() {
    let plan = crate::support::plan_for(&[], 0, "/root");
    assert!(
        crate::support::display_lines(&plan).all(|line| !line.starts_with("sudo ")),
        "{:?}",
        crate::support::display_lines(&plan).collect::<Vec<_>>()
    );
    let user = crate::support::plan_for(&[], 45_000, "/home/dragon");
    assert_eq!(
        crate::support::display_lines(&user).filter(|line| line.starts_with("sudo systemctl ")).count(),
        2
    );
    if is_root() {
        snapshot_dry_runs("root", &[], "root");
    }
}

#[test]
fn dry_run_as_a_user() {
    snapshot_dry_runs("user", &[], "user");
}

#[test]
fn dry_run_with_every_option_set() {
    snapshot_dry_runs(
        "user",
        &[
            "--service",
            "docker-compose@manager.service",
            "--image",
            "registry.example:5000/library/busybox:1.36",
            "--backup-dir",
            "ODD_BACKUP_DIR",
            "--health-timeout",
            "60",
        ],
        "non_default",
    );
}

/// Help and version go to a pipe (or a pager) as plain text, and never in colour under
/// `NO_COLOR`; colour only where it is asked for (`CLICOLOR_FORCE`), which shows the check bites.
#[test]
fn help_and_version_are_plain_in_a_pipe_and_under_no_color() {
    let world = World::new();
    for args in [&["--help"][..], &["-h"], &["--version"]] {
        let piped = world.command(args).env_remove("NO_COLOR").output().unwrap();
        let no_color = world.command(args).env("NO_COLOR", "1").env("CLICOLOR_FORCE", "1").output().unwrap();
        for (out, how) in [(&piped, "into a pipe"), (&no_color, "with NO_COLOR=1")] {
            assert_eq!(out.status.code(), Some(0), "{args:?} {how}: {}", stderr(out));
            assert!(!stdout(out).contains('\x1b'), "{args:?} {how} printed escape codes: {:?}", stdout(out));
        }
    }
    let forced =
        world.command(&["--help"]).env_remove("NO_COLOR").env("CLICOLOR_FORCE", "1").output().unwrap();
    assert!(stdout(&forced).contains('\x1b'), "CLICOLOR_FORCE=1 gave no colour: {}", stdout(&forced));
}

/// A switch set through its environment variable to a word it does not take says which it takes.
#[test]
fn a_wrong_boolean_in_the_environment_lists_the_accepted_values() {
    let world = World::new();
    for (variable, value) in
        [("OSISM_MANAGER_RESET_YES", "maybe"), ("OSISM_MANAGER_RESET_DELETE_VAULT_DATA", "sure")]
    {
        let out = world.run(&["--dry-run"], &[(variable, value)]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{variable}: {err}");
        assert!(err.contains(&format!("(set by the environment variable {variable})")), "{err}");
        assert!(err.contains("give one of 1/0, true/false, yes/no, on/off"), "{err}");
        assert!(world.calls().is_empty());
    }
    for value in ["1", "yes", "on", "TRUE"] {
        let out = world.run(&["--dry-run"], &[("OSISM_MANAGER_RESET_YES", value)]);
        assert_eq!(out.status.code(), Some(0), "{value}: {}", stderr(&out));
    }
}

/// Broken for a narrow terminal (`COLUMNS`), as the runbook breaks its `docker run`, every
/// command line of the plan parses in a shell (`sh -n`) and, pasted, gives the plan's argv.
#[test]
fn command_lines_broken_for_the_terminal_paste_back_into_the_plans_argv() {
    let world = World::new();
    let json = world.run(&["--dry-run", "--output", "json"], &[]);
    let plan: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    let argvs: Vec<Vec<String>> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["commands"].as_array().unwrap().iter())
        .map(|c| c["argv"].as_array().unwrap().iter().map(|w| w.as_str().unwrap().to_owned()).collect())
        .collect();
    let text = stdout(&world.run(&["--dry-run"], &[("COLUMNS", "60")]));
    let mut pasted: Vec<String> = Vec::new();
    let mut open = false;
    for line in text.lines() {
        if open {
            let last = pasted.last_mut().unwrap();
            last.push('\n');
            last.push_str(line);
        } else if let Some(command) = line.strip_prefix("  $ ") {
            pasted.push(command.to_owned());
        } else {
            continue;
        }
        open = line.ends_with(" \\");
    }
    assert!(pasted.iter().any(|p| p.contains(" \\\n")), "nothing was broken at 60 columns:\n{text}");
    assert_eq!(pasted.len(), argvs.len(), "{pasted:#?}");
    for (line, argv) in pasted.iter().zip(&argvs) {
        assert!(line.lines().all(|l| l.chars().count() <= 60 || !l.trim().contains(' ')), "too wide: {line}");
        let parses = world.in_world("/bin/sh").args(["-n", "-c", line]).output().unwrap();
        assert!(parses.status.success(), "{line}: {}", stderr(&parses));
        let script = format!("set -- {line}\nfor word; do printf '%s\\0' \"$word\"; done");
        let words = world.in_world("/bin/sh").args(["-c", &script]).output().unwrap();
        let words: Vec<String> =
            String::from_utf8(words.stdout).unwrap().split_terminator('\0').map(String::from).collect();
        assert_eq!(&words, argv, "{line}");
    }
}
