//! Pipelines: the plan a person reviewed (`--save-plan`) is the plan that runs (`--plan`), or
//! nothing runs; a dry run tells by its exit code whether a run would refuse; a resume can be
//! looked at before it is made.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use serde_json::Value;

use crate::support::{World, advice, stderr, stdout};

/// Saves the plan of `world` to `plan.json` in its backup directory; returns that path.
fn save(world: &World, env: &[(&str, &str)]) -> String {
    let out = world.run(&["--save-plan", "plan.json", "--output", "json"], env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let _: Value = serde_json::from_str(&stdout(&out)).expect("the dry run's one JSON document");
    world.clear_calls();
    world.backup_dir().join("plan.json").display().to_string()
}

fn saved(file: &str) -> Value {
    serde_json::from_str(&fs::read_to_string(file).unwrap()).unwrap()
}

#[test]
fn a_saved_plan_runs_exactly_its_commands() {
    let world = World::new();
    let file = save(&world, &[]);
    let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the plan is {mode:o}");
    let planned: Vec<String> = saved(&file)["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["commands"].as_array().unwrap().iter())
        .map(|c| c["display"].as_str().unwrap().to_owned())
        .collect();
    let out = world.command(&["--plan", &file, "--yes"]).current_dir(world.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(world.runbook_calls(), planned);
}

/// The vault password file is named in the plan, never read into it.
#[test]
fn a_saved_plan_holds_no_secret() {
    let world = World::new();
    fs::remove_file(world.configuration().join("environments/.vault_pass")).unwrap();
    let password = world.path().join("vault-password");
    fs::write(&password, "correct horse battery staple\n").unwrap();
    fs::set_permissions(&password, fs::Permissions::from_mode(0o600)).unwrap();
    let out =
        world.run(&["--save-plan", "plan.json", "--vault-password-file", password.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = fs::read_to_string(world.backup_dir().join("plan.json")).unwrap();
    assert!(text.contains(password.to_str().unwrap()) && !text.contains("battery"), "{text}");
}

/// Each kind of drift between the saved plan and the host now: refused, exit 2, nothing run,
/// every difference listed, in text and in the JSON event.
#[test]
fn a_plan_that_is_not_the_one_made_now_is_refused_with_what_differs() {
    type Drift = fn(&World, &str) -> Vec<(&'static str, &'static str)>;
    let drifts: [(&str, Drift, &str); 4] = [
        (
            "unit",
            |_, _| vec![("FAKE_ACTIVE", "manager.service")],
            "service unit: saved docker-compose@manager.service, now manager.service",
        ),
        (
            "volumes",
            |w, _| {
                w.set_state("declared", "manager_mariadb\nmanager_share\nmanager_cache\n");
                vec![]
            },
            "volumes `down -v` deletes: saved manager_mariadb, manager_share",
        ),
        (
            "vault password",
            |w, _| {
                fs::remove_file(w.configuration().join("environments/.vault_pass")).unwrap();
                vec![]
            },
            "vault password: saved no-key-file, environments/.vault_pass, now no-key-file",
        ),
        (
            "share volume",
            |w, _| {
                w.set_state("mounts", "mariadb mariadb /var/lib/mysql\nosism-ansible mariadb /share\n");
                vec![]
            },
            "the manager mounts manager_mariadb (mounted by osism-ansible) at /share, not the runbook's manager_share",
        ),
    ];
    for (name, drift, needle) in drifts {
        let world = World::new();
        let file = save(&world, &[]);
        let env = drift(&world, &file);
        let out = world.run(&["--plan", &file, "--yes", "--output", "json"], &env);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(needle), "{name}: {needle} not in {err}");
        assert!(world.runbook_calls().is_empty(), "{name}: ran {:?}", world.runbook_calls());
        let event: Value = serde_json::from_str(stdout(&out).lines().last().unwrap()).unwrap();
        assert_eq!(event["event"], "failed", "{name}");
        if name != "share volume" {
            assert!(!event["differences"].as_array().unwrap().is_empty(), "{name}: {event}");
        }
    }
}

/// A plan names its archive after the day it was made: the next day it is stale, and the
/// message gives the command that saves it again; the plan so saved runs.
#[test]
fn a_plan_from_another_day_is_stale_and_the_printed_command_saves_it_again() {
    let world = World::new();
    let file = save(&world, &[]);
    let today = saved(&file)["plan"]["date"].as_str().unwrap().to_owned();
    let text = fs::read_to_string(&file).unwrap().replace(&today, "20000101");
    let mut plan: Value = serde_json::from_str(&text).unwrap();
    plan["inputs"]["facts"]["date"] = serde_json::json!([2000, 1]);
    fs::write(&file, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
    let out = world.run(&["--plan", &file, "--yes"], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("date (the archive's name): saved 20000101, now {today}")), "{err}");
    assert!(err.contains("the plan was saved on 20000101 and names its archive after that day"), "{err}");
    assert!(world.runbook_calls().is_empty());
    let again = advice("save it again, review it and apply that:", &err);
    let typed = world.type_line(&again, &world.backup_dir(), &[]);
    assert_eq!(typed.status.code(), Some(0), "{again}: {}", stderr(&typed));
    world.clear_calls();
    let out = world.run(&["--plan", &file, "--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(world.runbook_calls().len(), 8);
}

#[test]
fn another_version_options_or_modes_with_a_plan_are_refused() {
    let world = World::new();
    let file = save(&world, &[]);
    for (key, value, needle) in [
        ("tool_version", serde_json::json!("0.0.1"), "was saved by osism-manager-reset 0.0.1"),
        ("format", serde_json::json!(2), "is a plan of format 2, and this tool reads format 1"),
    ] {
        let mut plan = saved(&file);
        plan[key] = value;
        let edited = world.path().join("edited.json");
        fs::write(&edited, plan.to_string()).unwrap();
        let out = world.run(&["--plan", edited.to_str().unwrap(), "--yes"], &[]);
        assert_eq!(out.status.code(), Some(2), "{key}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{key}: {}", stderr(&out));
    }
    for (args, needle) in [
        (
            &["--plan", &file, "--yes", "--image", "busybox:1.36"][..],
            "--image busybox:1.36 is not the recorded busybox",
        ),
        (&["--plan", &file, "--yes", "--resume"], "cannot be used with"),
        (&["--plan", &file, "--dry-run"], "cannot be used with"),
        (&["--plan", &file], "pass --yes"),
    ] {
        let out = world.run(args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
    assert!(world.runbook_calls().is_empty(), "{:?}", world.runbook_calls());
}

/// As `terraform plan -detailed-exitcode`: opt-in, 2 where a real run would refuse.
#[test]
fn a_dry_run_tells_by_its_exit_code_whether_a_run_would_refuse() {
    let world = World::new();
    assert_eq!(world.run(&["--dry-run", "--detailed-exitcode"], &[]).status.code(), Some(0));
    fs::remove_file(world.project().join("compose.yaml")).unwrap();
    assert_eq!(world.run(&["--dry-run"], &[]).status.code(), Some(0), "opt-in only");
    let out = world.run(&["--dry-run", "--detailed-exitcode", "--output", "json"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let _: Value = serde_json::from_str(&stdout(&out)).expect("still one JSON document");
    let out = world.run(&["--yes", "--detailed-exitcode"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("<--dry-run|--save-plan <FILE>>"), "{}", stderr(&out));
}

/// `--resume --dry-run` shows what a resume would do, and does nothing.
#[test]
fn a_resume_can_be_looked_at_first() {
    let world = World::new();
    let out = world.run(&["--yes"], &[("FAKE_KILL", "systemctl start *")]);
    assert_eq!(out.status.code(), None, "not killed: {}", stderr(&out));
    let journal = fs::read_to_string(world.backup_file(".journal.json")).unwrap();
    world.clear_calls();
    let out = world.run(&["--resume", "--dry-run"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("The reset recorded in") && text.contains(" goes on "), "{text}");
    assert!(text.contains("from step 4 (Start the manager service) to step 7"), "{text}");
    assert!(text.contains("after:  wait up to 1000s until Compose has created manager_share"), "{text}");
    assert!(world.runbook_calls().is_empty(), "{:?}", world.runbook_calls());
    assert_eq!(fs::read_to_string(world.backup_file(".journal.json")).unwrap(), journal);
}

/// Seen (as root and `nobody`): a plan file another user wrote, or could replace, was run, and
/// `--save-plan` handed root's plan to the user who had put a file at its path; a plan's values
/// skipped the flags' checks (`--image=--privileged` refused as a flag, taken from a plan). Each
/// is refused now, with nothing run.
#[test]
fn a_plan_another_user_could_write_is_refused_and_never_handed_to_them() {
    use std::os::unix::fs::{PermissionsExt, chown};
    let world = World::new();
    save(&world, &[]);
    let file = world.backup_dir().join("plan.json");
    let run = |world: &World| world.run(&["--plan", file.to_str().unwrap(), "--yes"], &[]);

    // Its values pass the flags' checks.
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("\"image\": \"busybox\"", "\"image\": \"--privileged\"")).unwrap();
    let out = run(&world);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--image (as the plan records it) \"--privileged\""), "{}", stderr(&out));
    std::fs::write(&file, text).unwrap();

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o622)).unwrap();
    let out = run(&world);
    assert!(stderr(&out).contains("may be written by others (mode 0622)"), "{}", stderr(&out));
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(world.backup_dir(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = run(&world);
    let above = format!(
        "lies where others may replace it: every user may write the directory {}",
        world.backup_dir().display()
    );
    assert!(stderr(&out).contains(&above), "{}", stderr(&out));
    std::fs::set_permissions(world.backup_dir(), std::fs::Permissions::from_mode(0o700)).unwrap();
    if crate::support::is_root() {
        chown(&file, Some(12345), Some(12345)).unwrap();
        let out = run(&world);
        assert!(stderr(&out).contains("belongs to uid 12345"), "{}", stderr(&out));
        let out = world.run(&["--save-plan", file.to_str().unwrap()], &[]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("is not a file of yours (it belongs to uid 12345)"),
            "{}",
            stderr(&out)
        );
    }
    assert!(world.runbook_calls().is_empty(), "{:?}", world.runbook_calls());
}
