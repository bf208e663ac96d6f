//! Step 6's wait for health, against what `docker compose ps --all --format json` prints.

use std::fs;
use std::time::{Duration, Instant};

use crate::support::{World, advice, is_query, stderr, stdout};

const STARTING: &str = r#"{"Name":"manager-api-1","Service":"api","State":"running","Health":"starting"}
{"Name":"osismclient","Service":"osismclient","State":"running","Health":""}"#;
const HEALTHY_LINES: &str = r#"{"Name":"manager-api-1","Service":"api","State":"running","Health":"healthy"}
{"Name":"osismclient","Service":"osismclient","State":"running","Health":""}"#;
const HEALTHY_ARRAY: &str = r#"[{"Name":"manager-api-1","Service":"api","State":"running","Health":"healthy"},
 {"Name":"osismclient","Service":"osismclient","State":"running","Health":""}]"#;
const EXITED: &str = r#"{"Name":"manager-api-1","Service":"api","State":"running","Health":"starting"}
{"Name":"manager-beat-1","Service":"beat","State":"exited","Health":""}"#;

/// The health polls: `ps --all` calls after the unit's start.
fn polls(world: &World) -> usize {
    let calls = world.calls();
    let start = calls.iter().position(|argv| !is_query(argv) && argv.iter().any(|a| a == "start")).unwrap();
    calls[start..].iter().filter(|argv| argv.iter().any(|a| a == "--all")).count()
}

#[test]
fn waits_until_healthy_in_either_json_shape_then_runs_ps() {
    for healthy in [HEALTHY_LINES, HEALTHY_ARRAY] {
        let world = World::new();
        world.ps(1, STARTING);
        world.ps(2, STARTING);
        world.ps(3, healthy);
        let out = world.run(&["--yes"], &[]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(polls(&world), 3);
        let text = stdout(&out);
        assert!(text.contains("every container is healthy"), "{text}");
        assert!(
            text.contains("manager-api-1   api       Up 2 seconds (healthy)"),
            "ps table not shown: {text}"
        );
        assert!(world.runbook_calls()[5].ends_with(" ps"));
    }
}

#[test]
fn an_exited_container_fails_step_6_at_once() {
    let world = World::new();
    world.ps(1, EXITED);
    let out = world.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("step 6 (") && stderr(&out).contains("beat (exited)"), "{}", stderr(&out));
    assert_eq!(polls(&world), 1);
    assert!(!world.ran("reconciler"));
}

#[test]
fn health_timeout_fails_step_6_naming_the_waiting_services() {
    let world = World::new();
    world.ps(1, STARTING);
    let out = world.run(&["--yes", "--health-timeout", "2"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("not healthy after 2s") && err.contains("api (running, starting)"), "{err}");
    assert!(!world.ran("reconciler"));
    assert!(world.journal_states().contains("6:failed"));
}

/// `systemctl start` returns at once (Type=simple), and the unit's `compose up` can fail after it
/// did (an image missing): the waits watch the unit and fail within seconds, saying what its
/// journal and Compose show. The resume the message gives, once the cause is fixed, starts the
/// unit again and finishes.
#[test]
fn a_unit_that_fails_after_its_start_fails_fast_and_the_resume_starts_it_again() {
    for (when, step, share) in [
        ("before-volumes", 4, "the verified archive of /share is"),
        ("after-volumes", 6, "/share is restored"),
    ] {
        let world = World::new();
        let before = world.share_listing();
        let started = Instant::now();
        let out = world.run(&["--yes", "--health-timeout", "30"], &[("FAKE_START_FAILS", when)]);
        let err = stderr(&out);
        assert!(started.elapsed() < Duration::from_secs(15), "{when}: waited {:?}: {err}", started.elapsed());
        assert_eq!(out.status.code(), Some(1), "{when}: {err}");
        for needle in [
            &format!("step {step} (") as &str,
            "the unit docker-compose@manager.service failed after it was started",
            "pull access denied for quay.io/osism/osism",
            "`journalctl --unit docker-compose@manager.service`",
            "ps --all`",
            share,
            "once the cause is fixed, resume with `",
        ] {
            assert!(err.contains(needle), "{when}: {needle} not in {err}");
        }
        let log = std::fs::read_to_string(world.backup_file(".log")).unwrap();
        assert!(log.contains("Failed with result 'exit-code'"), "{when}: the journal is not in the log");
        assert!(log.contains("manager-redis-1   redis     Created"), "{when}: compose ps is not in the log");
        world.clear_calls();
        let line = advice("once the cause is fixed, resume with", &err);
        let out = world.type_line(&format!("{line} --yes"), &world.backup_dir(), &[]);
        assert_eq!(out.status.code(), Some(0), "{when}: {}", stderr(&out));
        assert!(
            world.runbook_calls()[0].ends_with("systemctl start docker-compose@manager.service"),
            "{when}"
        );
        assert_eq!(world.share_listing(), before, "{when}");
    }
}

/// Only a volume that does not exist is one Compose has not created yet: any other answer of
/// `docker volume inspect` (the engine gone, a permission) is an error, not a reason to wait.
#[test]
fn a_docker_error_while_waiting_for_the_share_volume_fails_at_once() {
    let world = World::new();
    let started = Instant::now();
    let out =
        world.run(&["--yes", "--health-timeout", "30"], &[("FAKE_FAIL", "docker volume inspect --format *")]);
    let err = stderr(&out);
    assert!(started.elapsed() < Duration::from_secs(15), "waited {:?}: {err}", started.elapsed());
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("step 4 (") && err.contains("docker: failing as told"), "{err}");
}

/// A share volume something else created before Compose (a stray `docker run --mount`) is not
/// the project's: restoring into it would put /share where the manager does not look. The step
/// fails, and its advice, typed as given, gets a finished reset.
#[test]
fn a_share_volume_compose_did_not_create_stops_step_4_with_advice_that_works() {
    let world = World::new();
    let before = world.share_listing();
    let out = world.run(&["--yes"], &[("FAKE_STRAY_SHARE", "1")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("step 4 (") && err.contains("exists but Compose did not create it"), "{err}");
    assert!(!world.ran("tar -xzvf"), "restored into a volume that is not the manager's");
    for line in [advice("stop the manager (", &err), advice("remove it (", &err)] {
        let typed = world.type_line(&line, &world.backup_dir(), &[]);
        assert!(typed.status.success(), "{line}: {}", stderr(&typed));
    }
    let out = world.type_line(&format!("{} --yes", advice("resume with", &err)), &world.backup_dir(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(world.share_listing(), before);
    assert!(fs::read_to_string(world.state().join("labelled")).unwrap().contains("manager_share"));
}

/// The summary's step times and downtime are the `step_finished` and `done` events' figures:
/// step 6's time counts its wait for health, in both (issue 38, item 5).
#[test]
fn the_summary_says_the_durations_the_events_say_health_wait_included() {
    let world = World::new();
    world.ps(1, STARTING);
    world.ps(2, STARTING);
    world.ps(3, HEALTHY_LINES);
    let out = world.run(&["--yes", "--output", "json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let events: Vec<serde_json::Value> =
        stdout(&out).lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let finished: Vec<(u64, f64)> = events
        .iter()
        .filter(|e| e["event"] == "step_finished")
        .map(|e| (e["step"].as_u64().unwrap(), e["duration_s"].as_f64().unwrap()))
        .collect();
    let downtime = events.iter().find(|e| e["event"] == "done").unwrap()["downtime_s"].as_f64().unwrap();
    let summary = stderr(&out);
    for (step, took) in &finished {
        let line = summary.lines().find(|l| l.starts_with(&format!("  step {step}  "))).unwrap();
        assert!(line.ends_with(&format!(" {took:.1} s")), "step {step} took {took} s: {line}");
    }
    assert!(
        summary.contains(&format!("the manager was down {downtime:.1} s (from step 1 to healthy again)"))
    );
    let health = finished.iter().find(|(step, _)| *step == 6).unwrap().1;
    assert!(health >= 1.5, "step 6 waited two polls, not {health} s");
    // From step 1's start to healthy again: the steps before 6 and step 6 up to healthy.
    let before: f64 = finished.iter().filter(|(step, _)| *step < 6).map(|(_, took)| took).sum();
    assert!(downtime >= before + 1.5 && downtime <= before + health + 0.25, "{downtime}: {finished:?}");
}
