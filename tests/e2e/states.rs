//! A manager that needs a reset is rarely running and healthy: each test puts the fixture
//! manager into one broken state (every container exited, none at all, the unit failed, a service
//! in a crash loop, a container unhealthy, half of it stopped), then resets it. Each plans with no
//! false problem, finishes, and leaves /share as it was and the manager running and healthy.

use std::fs;
use std::time::{Duration, Instant};

use crate::fixture::{Fixture, Share};
use crate::{assert_share_kept, text};

/// What `compose.override.yaml` (which Compose reads beside `compose.yaml`) makes of mariadb: it
/// crashes while its volume holds `corrupt` (a database that no longer starts, the usual reason
/// for a reset), and Docker restarts it for ever. `down -v` deletes the volume, so the reset
/// brings it back healthy.
const CRASH_LOOP: &str = "services:
  mariadb:
    restart: always
    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; test -e /var/lib/mysql/corrupt && exit 1; sleep 2147483647 & wait\"]
";

/// mariadb's healthcheck fails while its volume holds `corrupt`, after one try.
const UNHEALTHY: &str = "services:
  mariadb:
    healthcheck:
      test: [\"CMD-SHELL\", \"test ! -e /var/lib/mysql/corrupt\"]
      retries: 1
";

/// Resets the fixture manager once `broken` has put it into its state; `waited` is true once
/// the state has set in (Docker's restarts and healthchecks take their time).
#[track_caller]
fn resets_from(what: &str, broken: impl FnOnce(&Fixture), waited: impl Fn(&Fixture) -> bool) {
    let fixture = Fixture::new(Share { small_files: 100, big_file_bytes: 64 * 1024 });
    let before = fixture.share_listing();
    broken(&fixture);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !waited(&fixture) {
        assert!(Instant::now() < deadline, "{what}: the state did not set in: {}", fixture.ps());
        std::thread::sleep(Duration::from_millis(250));
    }
    let out = fixture.run(&["--dry-run"], &[]);
    let plan = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{what}: {plan}");
    assert!(!plan.contains("would refuse to start"), "{what}: the dry run found a problem:\n{plan}");

    let out = fixture.run(&["--yes"], &[]);
    let output = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{what}:\n{output}");
    assert_share_kept(&before, &fixture.share_listing());
    assert!(
        fixture.all_healthy(),
        "{what}: not every service runs healthy after the reset: {}",
        fixture.ps()
    );
}

/// Writes `corrupt` into mariadb's volume and `override` beside the compose file, then has
/// Compose apply it.
fn mariadb_broken(fixture: &Fixture, override_yaml: &str) {
    fs::write(fixture.volume_dir("manager_mariadb").join("corrupt"), "").unwrap();
    fs::write(fixture.project().join("compose.override.yaml"), override_yaml).unwrap();
    let out = fixture.compose(&["up", "--detach"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

fn states(fixture: &Fixture) -> Vec<(String, String)> {
    fixture.containers().into_iter().map(|c| (c["Service"].to_string(), c["State"].to_string())).collect()
}

#[test]
fn a_manager_with_every_container_exited_is_reset() {
    resets_from(
        "compose stop",
        |f| assert!(f.compose(&["stop"]).status.success()),
        |f| states(f).iter().all(|(_, state)| state == "\"exited\""),
    );
}

#[test]
fn a_manager_with_no_container_at_all_is_reset() {
    resets_from("compose down", |f| assert!(f.compose(&["down"]).status.success()), |f| states(f).is_empty());
}

#[test]
fn a_manager_whose_unit_failed_is_reset() {
    resets_from(
        "unit failed",
        |f| {
            assert!(f.compose(&["stop"]).status.success());
            fs::write(f.path().join("unit.failed"), "").unwrap();
        },
        |_| true,
    );
}

#[test]
fn a_manager_with_a_service_in_a_crash_loop_is_reset() {
    resets_from(
        "crash loop",
        |f| mariadb_broken(f, CRASH_LOOP),
        |f| states(f).iter().any(|(service, state)| service == "\"mariadb\"" && state == "\"restarting\""),
    );
}

#[test]
fn a_manager_with_an_unhealthy_container_is_reset() {
    resets_from(
        "unhealthy",
        |f| mariadb_broken(f, UNHEALTHY),
        |f| f.containers().iter().any(|c| c["Service"] == "mariadb" && c["Health"] == "unhealthy"),
    );
}

#[test]
fn a_manager_half_stopped_is_reset() {
    resets_from(
        "half stopped",
        |f| assert!(f.compose(&["stop", "osism-ansible", "osismclient"]).status.success()),
        |f| states(f).iter().filter(|(_, state)| state == "\"exited\"").count() == 2,
    );
}
