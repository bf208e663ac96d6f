//! OSISM's manager.service pulls every image when it starts (`ExecStartPre=docker compose pull`).
//! The plan reads that from systemd and runs the same pull before step 1, while the manager
//! still runs: a registry that cannot be reached refuses the reset with nothing changed, a tag
//! that moved is said, and a start that fails after `down -v` (the registry died meanwhile) says
//! why from the unit's journal and how to start the manager from the images already here.

use std::path::Path;

use crate::plugin::events;
use crate::support::{World, advice, stderr, stdout};
use crate::{calls_snapshot, run_snapshot};

/// OSISM's unit is the one that runs the manager.
const OSISM_UNIT: (&str, &str) = ("FAKE_ACTIVE", "manager.service");
/// Its user is root, so that the pull runs without `runuser` whoever runs the tests, and one
/// snapshot holds for root and for another user.
const AS_ROOT: (&str, &str) = ("FAKE_UNIT_USER", "root");

/// A message as root reads it: the other user's advice has `sudo ` in front of each command.
fn as_root(text: &str) -> String {
    text.replace("sudo ", "")
}

fn manager_runs(world: &World) -> bool {
    world.state().join("up").exists()
}

/// The pull, as the plan runs it: as the unit's user where the tool runs as root.
fn pulls(world: &World) -> Vec<String> {
    world.runbook_calls().into_iter().filter(|c| c.ends_with(" pull")).collect()
}

/// The engine's answer for a registry that holds, under every tag, the digest the containers'
/// images were pulled as (the fake's `busybox@sha256:c0ffee`).
fn unchanged(_: &str) -> (u16, String) {
    (200, r#"{"Descriptor":{"digest":"sha256:c0ffee","size":527},"Platforms":[]}"#.to_owned())
}

/// A registry whose tag moved to another image.
fn moved(_: &str) -> (u16, String) {
    (200, r#"{"Descriptor":{"digest":"sha256:feedfacefeedface","size":527},"Platforms":[]}"#.to_owned())
}

/// An engine whose registry does not answer.
fn unreachable(_: &str) -> (u16, String) {
    let refused =
        r#"Get \"http://127.0.0.1:5000/v2/\": dial tcp 127.0.0.1:5000: connect: connection refused"#;
    (500, format!(r#"{{"message":"{refused}"}}"#))
}

#[test]
fn the_plan_says_the_unit_pulls_and_a_dry_run_pulls_nothing() {
    let world = World::new();
    world.serve_engine(unchanged);
    let out = world.run(&["--dry-run"], &[OSISM_UNIT, AS_ROOT]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(world.runbook_calls().is_empty(), "a dry run changed something: {:?}", world.runbook_calls());
    calls_snapshot!("dry_run_text_unit_pulls", world.scrub(&[stdout(&out)]));
}

#[test]
fn the_pull_runs_before_step_1_as_the_units_user() {
    let world = World::new();
    let before = world.share_listing();
    let out = world.run(&["--yes"], &[OSISM_UNIT]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let calls = world.runbook_calls();
    let pull = format!("docker compose --project-directory {} pull", world.project().display());
    let expected = if crate::support::is_root() { format!("runuser -u dragon -- {pull}") } else { pull };
    assert_eq!(calls[0], expected, "{calls:?}");
    assert!(calls[1].ends_with("systemctl stop manager.service"), "{calls:?}");
    assert_eq!(pulls(&world).len(), 1, "{calls:?}");
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(said.contains("every service starts on the image its container was created from"), "{said}");
    assert_eq!(world.share_listing(), before);
}

/// The registry cannot be reached: the reset is refused at the pull, the manager untouched and
/// running; once the registry is back, the command the message gives finishes the reset.
#[test]
fn a_registry_that_cannot_be_reached_refuses_the_reset_before_anything_stops() {
    let world = World::new();
    let before = world.share_listing();
    let out = world.run(&["--yes"], &[OSISM_UNIT, AS_ROOT, ("FAKE_REGISTRY_DOWN", "always")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(world.runbook_calls().len(), 1, "more than the pull ran: {:?}", world.runbook_calls());
    assert!(manager_runs(&world), "the manager was stopped: {err}");
    let left: Vec<_> =
        std::fs::read_dir(world.backup_dir()).unwrap().map(|e| e.unwrap().file_name()).collect();
    // Only the transcript, which says what was tried.
    assert!(left.iter().all(|f| f.to_string_lossy().ends_with(".log")), "the refused run left {left:?}");
    let failed = err.lines().find(|l| l.starts_with("error:")).unwrap_or_default().to_owned();
    run_snapshot!("unit_pull_refused", world.scrub(&[failed]));

    world.clear_calls();
    let line = advice("run the reset again with", &err);
    let out = world.type_line(&line, Path::new("/"), &[OSISM_UNIT]);
    assert_eq!(out.status.code(), Some(0), "`{line}`: {}", stderr(&out));
    assert_eq!(world.share_listing(), before);
}

/// A tag that moved: the pull brings the newer image before step 1, and the run says which
/// service starts on it in its transcript, its events, its journal and its summary.
#[test]
fn a_service_that_starts_on_a_newer_image_is_said_everywhere() {
    let world = World::new();
    let moved = [OSISM_UNIT, ("FAKE_IMAGE_MOVED", "1")];
    let said =
        "redis starts on a newer image: busybox is now 5e6f7a8b, its container was created from 0b1c2d3e";
    let out = world.run(&["--yes"], &moved);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = format!("{}{}", stdout(&out), stderr(&out));
    let summary = &err[err.find("Summary:").expect("a summary")..];
    assert!(summary.contains(said), "not in the summary: {summary}");
    // The plan shown for approval has the steps too; the run's own step 1 comes last.
    assert!(err[..err.rfind("Step 1/").unwrap()].contains(said), "not said before step 1: {err}");
    assert_eq!(world.journal()["newer_images"][0]["service"], "redis");
    let log = std::fs::read_to_string(world.backup_file(".log")).unwrap();
    assert!(log.contains(said), "{log}");

    let world = World::new();
    let out = world.run(&["--yes", "--output", "json"], &moved);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let events = events(&world, &out);
    let pulled = events.lines().find(|l| l.contains("images_pulled")).expect("an images_pulled event");
    calls_snapshot!("json_event_images_pulled", pulled);
}

/// The registry dies after the pull before step 1: the unit's own pull fails its start after
/// `down -v`. The failure quotes the unit's journal and gives two ways on: resume once the
/// registry is back (typed here), or start from the images already here without the pull.
#[test]
fn a_start_whose_pull_fails_after_down_says_why_and_the_resume_finishes() {
    let world = World::new();
    let before = world.share_listing();
    let out = world.run(&["--yes"], &[OSISM_UNIT, ("FAKE_REGISTRY_DOWN", "at-start")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(world.ran("down -v"));
    assert!(!manager_runs(&world));
    let failed = err.lines().find(|l| l.starts_with("error:")).unwrap_or_default().to_owned();
    calls_snapshot!("unit_start_pull_failed", as_root(&world.scrub(&[failed])));
    assert_eq!(world.journal_states(), "1:done 2:done 3:done 4:failed 5:pending 6:pending 7:pending");

    world.clear_calls();
    let line = advice("once the cause is fixed, resume with", &err);
    let out = world.type_line(&format!("{line} --yes"), Path::new("/"), &[OSISM_UNIT]);
    assert_eq!(out.status.code(), Some(0), "`{line}`: {}", stderr(&out));
    assert_eq!(world.share_listing(), before);
    assert!(
        world.runbook_calls()[0].ends_with("systemctl start manager.service"),
        "{:?}",
        world.runbook_calls()
    );
}

/// The unit runs Compose elsewhere than the project the reset deletes: refused, nothing run.
#[test]
fn a_unit_that_runs_another_directory_is_refused() {
    let world = World::new();
    let out = world.run(&["--yes"], &[OSISM_UNIT, ("FAKE_UNIT_DIR", "/opt/elsewhere")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "the unit manager.service runs Compose in /opt/elsewhere, not in the project directory {}: name the \
             manager's directory with --project-directory, or the unit that runs it with --service",
            world.project().display()
        )),
        "{err}"
    );
    assert!(world.runbook_calls().is_empty(), "{:?}", world.runbook_calls());
}

/// Before the confirmation, the dry run included, the registry is asked (through the engine, as
/// its pull asks) what it holds under each tag: a tag that moved is said in the plan.
#[test]
fn a_tag_that_moved_is_said_before_the_confirmation() {
    let world = World::new();
    world.serve_engine(moved);
    let out = world.run(&["--dry-run"], &[OSISM_UNIT]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan = stdout(&out);
    assert!(
        plan.contains(
            "    redis starts on a newer image: the registry holds busybox as feedfacefeed, its container was \
             created from 0b1c2d3e\n"
        ),
        "{plan}"
    );
    assert!(world.runbook_calls().is_empty(), "{:?}", world.runbook_calls());
}

/// A registry that cannot give an image is a problem before anything changes, the dry run's too.
#[test]
fn a_registry_that_does_not_answer_is_a_problem_before_the_confirmation() {
    let world = World::new();
    world.serve_engine(unreachable);
    let out = world.run(&["--dry-run"], &[OSISM_UNIT]);
    let text = stdout(&out);
    assert!(text.contains("A real run would refuse to start, for 1 problem:"), "{text}");
    let problem = text.lines().find(|l| l.starts_with("  - ")).unwrap().to_owned();
    run_snapshot!("unit_pull_registry_unreachable", problem);
    let out = world.run(&["--yes"], &[OSISM_UNIT]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(world.runbook_calls().is_empty(), "{:?}", world.runbook_calls());
    assert!(manager_runs(&world));
}
