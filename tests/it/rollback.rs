//! A reset that stops before `down -v` leaves the manager running, as it found it: the unit is
//! started again and waited for, the archive of the run moved out of the next run's way, the
//! reset closed; the advice it prints, typed, runs a finished reset. A start that fails says so
//! with the unit's journal and leaves a resume that starts over.

use std::path::Path;

use crate::calls_snapshot;
use crate::plugin::events;
use crate::support::{World, advice, stderr};

/// The manager's containers run: the fakes' `up` marker, which the unit's start sets.
fn manager_runs(world: &World) -> bool {
    world.state().join("up").exists()
}

/// Runs a reset that stops before `down -v` with `env`; checks that the manager runs again with
/// /share and the backup directory as they were, then types the advice and checks it finishes.
#[track_caller]
fn stopped_before_down_then_run_again(env: &[(&str, &str)], archive_fate: &str) {
    let world = World::new();
    let before = world.share_listing();
    let out = world.run(&["--yes"], env);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{env:?}: {err}");
    assert!(!world.ran("down -v"), "{env:?}");
    assert!(manager_runs(&world), "{env:?}: the manager was left stopped: {err}");
    assert!(
        world.runbook_calls().last().unwrap().ends_with("systemctl start docker-compose@manager.service")
    );
    assert!(
        err.contains("the manager was started again and is healthy; nothing was changed"),
        "{env:?}: {err}"
    );
    assert!(err.contains(archive_fate), "{env:?}: {err}");
    assert_eq!(world.share_listing(), before, "{env:?}");
    let journal = world.journal();
    assert!(journal["rolled_back"].is_string(), "{env:?}: {journal}");
    // Closed: no record left, and no archive in the next run's way.
    assert_eq!(std::fs::read_dir(world.records()).map(|d| d.count()).unwrap_or(0), 0, "{env:?}");
    let log = std::fs::read_to_string(world.backup_file(".log")).unwrap();
    assert!(log.contains("rolled back: the manager was started again; nothing was changed"), "{log}");

    world.clear_calls();
    let line = advice("run the reset again with", &err);
    let out = world.type_line(&line, Path::new("/"), &[]);
    assert_eq!(out.status.code(), Some(0), "{env:?}: `{line}`: {}", stderr(&out));
    assert_eq!(world.share_listing(), before, "{env:?}");
    assert!(world.journal()["finished"].as_bool().unwrap());
    assert!(world.journal()["rolled_back"].is_null());
}

#[test]
fn a_backup_directory_that_fills_up_starts_the_manager_again_and_removes_the_partial_archive() {
    stopped_before_down_then_run_again(&[("FAKE_CORRUPT", "short-write")], ", never verified, was removed");
}

#[test]
fn a_damaged_or_incomplete_archive_starts_the_manager_again() {
    for corrupt in ["truncate", "drop-one"] {
        stopped_before_down_then_run_again(&[("FAKE_CORRUPT", corrupt)], ", never verified, was removed");
    }
}

#[test]
fn a_stop_that_fails_starts_the_manager_again() {
    stopped_before_down_then_run_again(&[("FAKE_FAIL", "systemctl stop *")], "no archive was written");
}

/// A start that fails is told with the unit's journal, the manager stays down with /share
/// untouched, and the resume the message gives starts over from step 1 and finishes.
#[test]
fn a_start_that_fails_is_reported_with_the_units_journal_and_the_resume_starts_over() {
    let world = World::new();
    let before = world.share_listing();
    let out =
        world.run(&["--yes"], &[("FAKE_CORRUPT", "short-write"), ("FAKE_START_FAILS", "before-volumes")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("but starting the manager again failed"), "{err}");
    assert!(err.contains("pull access denied for quay.io/osism/osism"), "{err}");
    assert!(err.contains("it starts over from step 1"), "{err}");
    assert!(!world.ran("down -v"));
    assert_eq!(world.share_listing(), before);
    assert!(world.journal()["rolled_back"].is_null());
    assert_eq!(
        world.journal_states(),
        "1:pending 2:pending 3:pending 4:pending 5:pending 6:pending 7:pending"
    );
    world.clear_calls();
    let out = world.type_line(&format!("{} --yes", advice("resume with", &err)), Path::new("/"), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(world.runbook_calls()[0].contains("systemctl stop"), "{:?}", world.runbook_calls());
    assert_eq!(world.share_listing(), before);
}

/// A manager that runs again but does not become healthy within the timeout (it was broken
/// before the reset, say) is said to be so; the reset is closed all the same, nothing changed.
#[test]
fn a_manager_started_again_but_not_healthy_is_said_to_be_so() {
    let world = World::new();
    let starting =
        r#"{"ID":"c0ffee01","Name":"manager-api-1","Service":"api","State":"running","Health":"starting"}"#;
    world.ps(1, starting);
    let out = world.run(&["--yes", "--health-timeout", "1"], &[("FAKE_CORRUPT", "short-write")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the manager was started again, but is not healthy yet (not healthy after 1s"),
        "{err}"
    );
    assert!(manager_runs(&world));
    assert!(world.journal()["rolled_back"].is_string());
}

/// A pipeline sees the start and the wait as events of the step that stopped, and a `failed`
/// event whose cause says the manager runs again.
#[test]
fn a_pipeline_is_told_the_manager_was_started_again() {
    let world = World::new();
    let out = world.run(&["--yes", "--output", "json"], &[("FAKE_CORRUPT", "short-write")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    calls_snapshot!("json_events_rolled_back", events(&world, &out));
}

/// A run killed (SIGKILL) once its backup was verified, as step 3 began but before `down -v`
/// deleted anything, leaves the manager stopped; its archive is then damaged. The resume stops at step 3's check and, as a
/// fresh run would, starts the manager again and says so; the advice it prints, typed, finishes.
#[test]
fn a_resume_that_stops_before_down_starts_the_manager_again() {
    let world = World::new();
    let before = world.share_listing();
    let out = world.run(&["--yes"], &[("FAKE_KILL", "docker compose * down -v")]);
    assert_eq!(out.status.code(), None, "the tool was not killed: {}", stderr(&out));
    // Killed as step 3 began, before `down -v` deleted anything.
    assert_eq!(world.journal_states(), "1:done 2:done 3:running 4:pending 5:pending 6:pending 7:pending");
    assert!(!manager_runs(&world), "the killed run left the manager running");
    std::fs::write(world.backup_file(".tar.gz"), b"cut short").unwrap();

    world.clear_calls();
    let out = world.run(&["--resume", "--yes"], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!world.ran("down -v"));
    assert!(manager_runs(&world), "the resume left the manager stopped: {err}");
    assert!(err.contains("the manager was started again and is healthy; nothing was changed"), "{err}");
    assert_eq!(world.share_listing(), before);

    world.clear_calls();
    let line = advice("run the reset again with", &err);
    let out = world.type_line(&line, Path::new("/"), &[]);
    assert_eq!(out.status.code(), Some(0), "`{line}`: {}", stderr(&out));
    assert_eq!(world.share_listing(), before);
    assert!(world.journal()["finished"].as_bool().unwrap());
}
