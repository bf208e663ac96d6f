//! The tar image: a dry run never pulls it or creates anything; a real run whose image is not
//! here pulls it after the operator's consent and before step 1, and a pull that fails refuses
//! the reset with the manager untouched, saying how to get an image there.

use std::fs;

use crate::calls_snapshot;
use crate::support::{World, stderr, stdout};

const MISSING: (&str, &str) = ("FAKE_IMAGE_MISSING", "1");

/// The running manager's own container measures /share without the image; with the manager
/// stopped, only a container of the image could, and the plan says so.
#[test]
fn a_dry_run_without_the_image_pulls_nothing_and_says_what_the_run_will_do() {
    let world = World::new();
    let out = world.run(&["--dry-run"], &[MISSING]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(world.runbook_calls().is_empty(), "a dry run changed something: {:?}", world.runbook_calls());
    assert!(!world.calls().iter().any(|c| c[..2] == ["docker", "run"]), "{:?}", world.calls());
    let text = stdout(&out);
    assert!(text.contains("share volume: manager_share, holding 7 entries"), "{text}");
    calls_snapshot!("dry_run_text_image_missing", world.scrub(&[text]));

    fs::remove_file(world.state().join("up")).unwrap();
    world.clear_calls();
    let out = world.run(&["--dry-run"], &[MISSING]);
    let text = stdout(&out);
    assert!(!world.calls().iter().any(|c| c[..2] == ["docker", "run"]), "{:?}", world.calls());
    assert!(
        text.contains("share volume: manager_share, not measured (the image busybox is not here yet)"),
        "{text}"
    );
}

#[test]
fn without_a_compose_project_the_share_volume_is_not_measured() {
    let world = World::new();
    fs::remove_file(world.project().join("compose.yaml")).unwrap();
    let out = world.run(&["--dry-run"], &[]);
    assert!(stdout(&out).contains("holds no compose file"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("holding"), "figures of a volume no project mounts: {}", stdout(&out));
    assert!(!world.calls().iter().any(|c| c[..2] == ["docker", "run"]), "{:?}", world.calls());
}

#[test]
fn a_real_run_pulls_a_missing_image_before_step_1() {
    let world = World::new();
    let before = world.share_listing();
    let out = world.run(&["--yes"], &[MISSING]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let calls = world.runbook_calls();
    assert_eq!(calls[0], "docker pull busybox", "{calls:?}");
    assert!(calls[1].ends_with("systemctl stop docker-compose@manager.service"), "{calls:?}");
    assert_eq!(world.share_listing(), before);
}

/// An air-gapped manager, or a registry down: the pull fails before anything stopped; the
/// message says how to get an image there, and the run after that finishes.
#[test]
fn a_pull_that_fails_refuses_the_reset_with_nothing_changed() {
    let world = World::new();
    let out = world.run(&["--yes"], &[MISSING, ("FAKE_PULL_FAILS", "1")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("`docker pull busybox` exit status: 1: nothing was changed"), "{err}");
    assert!(err.contains("`docker load --input FILE`") && err.contains("--image"), "{err}");
    assert_eq!(world.runbook_calls(), ["docker pull busybox"]);
    assert!(world.state().join("up").exists(), "the manager was stopped");
    let journals = fs::read_dir(world.backup_dir())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".journal.json"))
        .count();
    assert_eq!(journals, 0, "a journal is left to block the next run");
    assert_eq!(fs::read_dir(world.records()).map(|d| d.count()).unwrap_or(0), 0, "a record was left");
    // The image brought here (as `docker load` would), the next run goes through.
    fs::write(world.state().join("image.pulled"), "").unwrap();
    world.clear_calls();
    let out = world.run(&["--yes"], &[MISSING]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!world.ran("docker pull"));
}

/// Steps 2 and 5 run `docker run ... busybox tar` as the runbook writes it, by the tag; another
/// image put under that tag after the operator approved the plan (a pull, a load, a tag by
/// anyone with the engine's socket) is never run on /share. Before `down -v` the manager is
/// started again; after it, the printed `docker tag`, typed, and the resume finish the reset.
#[test]
fn a_tar_image_moved_after_approval_is_never_run() {
    let moved = [("FAKE_DO", r#"touch "$state/image.moved""#)];
    let world = World::new();
    let at = [("FAKE_AT", "systemctl stop *"), moved[0]];
    let out = world.run(&["--yes"], &at);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    crate::run_snapshot!("image_moved_before_step_2", world.error_of(&out));
    assert!(!world.calls().iter().any(|c| c.iter().any(|w| w == "tar")), "tar ran: {:?}", world.calls());
    assert!(world.state().join("up").exists(), "the manager was left stopped");

    let world = World::new();
    let at = [("FAKE_AT", "docker compose * down -v"), moved[0]];
    let out = world.run(&["--yes"], &at);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    crate::run_snapshot!("image_moved_before_step_5", world.error_of(&out));
    let typed = world.in_world("docker").args(["tag", "sha256:0b1c2d3e", "busybox"]).status().unwrap();
    assert!(typed.success());
    let out = world.run(&["--resume", "--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
