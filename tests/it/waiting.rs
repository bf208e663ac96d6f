//! Step 6's wait for health, against what `docker compose ps --all --format json` prints.

use crate::support::{World, stderr, stdout};

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
    let start = calls.iter().position(|argv| argv.iter().any(|a| a == "start")).unwrap();
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
