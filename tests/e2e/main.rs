//! The end-to-end suite: the built binary against a real Docker engine, real Docker Compose v2
//! and a real busybox image (`make e2e`, which runs `tests/e2e/setup.sh` first).
//!
//! Each test builds the fixture manager (see `fixture.rs`) in a fresh directory, runs a reset and
//! compares /share entry by entry.
#![allow(clippy::disallowed_methods)] // the suite drives docker and the binary directly

mod fixture;

use std::fs;
use std::process::Command;
use std::time::Instant;

use fixture::{Fixture, Share, docker};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_full_reset_keeps_share_byte_for_byte() {
    let fixture = Fixture::new(Share::SUITE);
    let before = fixture.share_listing();
    assert!(before.len() > Share::SUITE.small_files, "the fixture is not filled");
    let mariadb_created = fixture.volume_created("manager_mariadb");

    let started = Instant::now();
    let out = fixture.run(&["--yes"], &[]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}\n{}", text(&out.stdout), text(&out.stderr));

    let after = fixture.share_listing();
    let differing: Vec<_> = before.iter().filter(|(k, v)| after.get(*k) != Some(v)).take(5).collect();
    assert!(differing.is_empty(), "/share differs, e.g. {differing:?}");
    assert_eq!(after.len(), before.len(), "/share has extra entries");

    let mariadb = fixture.volume_dir("manager_mariadb");
    assert!(!mariadb.join("ibdata1").exists(), "the mariadb volume was not recreated");
    assert_ne!(fixture.volume_created("manager_mariadb"), mariadb_created);
    assert!(fixture.all_healthy(), "not every service is healthy after the reset");

    let files = fixture.backup_files();
    let stamp = files.iter().find_map(|f| f.strip_prefix("manager-share-")?.strip_suffix(".tar.gz")).unwrap();
    for expected in [
        format!("manager-share-{stamp}.tar.gz"),
        format!("manager-share-{stamp}.tar.gz.sha256"),
        format!("manager-reset-{stamp}.journal.json"),
        format!("manager-reset-{stamp}.log"),
    ] {
        assert!(files.contains(&expected), "{expected} not in {files:?}");
    }
    let check = Command::new("sha256sum")
        .args(["--check", &format!("manager-share-{stamp}.tar.gz.sha256")])
        .current_dir(fixture.backup_dir())
        .output()
        .unwrap();
    assert!(check.status.success(), "sha256sum -c: {}", text(&check.stdout));
    let calls = fs::read_to_string(fixture.log()).unwrap();
    assert_eq!(
        calls, "stop manager.service\nstart manager.service\nosism reconciler sync\nosism apply facts\n",
        "the stand-ins were called otherwise"
    );

    let archive = fixture.backup_dir().join(format!("manager-share-{stamp}.tar.gz"));
    let share_bytes: u64 =
        before.values().filter_map(|v| v.strip_prefix("file ")?.split(' ').next()?.parse::<u64>().ok()).sum();
    eprintln!(
        "figures: full reset {:.1}s; /share {} entries, {:.1} MiB; archive {:.1} MiB",
        took.as_secs_f64(),
        before.len() + 1,
        share_bytes as f64 / 1048576.0,
        fs::metadata(archive).unwrap().len() as f64 / 1048576.0
    );
}

#[test]
fn a_backup_that_cannot_be_made_stops_before_down() {
    let fixture = Fixture::new(Share::SUITE);
    let before = fixture.share_listing();
    // An image with sh, find, wc and du (preflight measures /share with it) but no tar.
    let image = "busybox-without-tar:e2e";
    let build = Command::new("sh")
        .args([
            "-c",
            &format!(
                "docker create --name omr-e2e-notar busybox:latest >/dev/null && \
                 docker export omr-e2e-notar | tar --delete bin/tar | docker import - {image} >/dev/null; \
                 s=$?; docker rm omr-e2e-notar >/dev/null; exit $s"
            ),
        ])
        .output()
        .unwrap();
    assert!(build.status.success(), "{}", text(&build.stderr));

    let out = fixture.run(&["--yes", "--image", image], &[]);
    assert_eq!(out.status.code(), Some(1), "{}\n{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stderr).contains("step 2 (Back up the /share volume) failed"), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("/share is untouched"), "{}", text(&out.stderr));
    assert!(fixture.volume_dir("manager_mariadb").join("ibdata1").exists(), "down -v ran");
    assert_eq!(fixture.share_listing(), before);
    let _ = docker(&["image", "rm", image]);
}

#[test]
fn killed_between_down_and_restore_then_resumed_brings_share_back() {
    let fixture = Fixture::new(Share::SUITE);
    let before = fixture.share_listing();
    let out = fixture.run(&["--yes"], &[("E2E_KILL_ON", "start")]);
    assert_eq!(out.status.code(), None, "the tool was not killed: {}", text(&out.stderr));
    assert!(
        !docker(&["volume", "inspect", "manager_share"]).status.success(),
        "down -v did not run before the kill"
    );

    let out = fixture.run(&["--resume", "--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(fixture.share_listing(), before);
    assert!(fixture.all_healthy());
}

#[test]
fn dry_run_lists_the_volumes_down_deletes() {
    let fixture = Fixture::new(Share::SUITE);
    let out = fixture.run(&["--dry-run", "--output", "json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let plan: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(
        plan["volumes_deleted"],
        serde_json::json!(["manager_mariadb", "manager_redis", "manager_share"])
    );
    assert_eq!(plan["problems"], serde_json::json!([]));
    assert_eq!(plan["service"]["unit"], "manager.service");
    assert_eq!(plan["project"], "manager");
}

#[test]
fn a_volume_still_in_use_fails_step_3_and_resume_finishes() {
    let fixture = Fixture::new(Share::SUITE);
    let before = fixture.share_listing();
    // A container outside the project holds the redis volume, so `down -v` cannot remove it.
    let blocker = "omr-e2e-blocker";
    let _ = docker(&["rm", "--force", blocker]);
    let started = docker(&[
        "run",
        "--detach",
        "--name",
        blocker,
        "--network",
        "none",
        "--volume",
        "manager_redis:/data",
        "busybox:latest",
        "sleep",
        "600",
    ]);
    assert!(started.status.success(), "{}", text(&started.stderr));

    let out = fixture.run(&["--yes"], &[]);
    let _ = docker(&["rm", "--force", blocker]);
    assert_eq!(out.status.code(), Some(1), "{}\n{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stderr).contains("`down -v` left the volumes manager_redis"), "{}", text(&out.stderr));

    let out = fixture.run(&["--resume", "--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(fixture.share_listing(), before);
    assert!(fixture.all_healthy());
}
