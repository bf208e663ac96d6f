//! Preflight: every check that fails refuses with exit 2 before anything changes; the service
//! unit is detected.

use std::fs;

use crate::support::{REDIS_DATA, World, stderr, stdout, with_vault};

/// Runs `--yes` after `spoil` and checks the refusal names `needle` and changes nothing.
fn refused(needle: &str, env: &[(&str, &str)], spoil: impl FnOnce(&World)) {
    let world = World::new();
    spoil(&world);
    let before = world.share().exists().then(|| world.share_listing());
    let out = world.run(&["--yes"], env);
    assert_eq!(out.status.code(), Some(2), "{needle}: {}", stderr(&out));
    assert!(stderr(&out).contains(needle), "{needle} not in: {}", stderr(&out));
    assert!(world.runbook_calls().is_empty(), "{needle}: ran {:?}", world.runbook_calls());
    assert_eq!(world.share().exists().then(|| world.share_listing()), before);
}

#[test]
fn a_missing_program_is_refused() {
    refused("osism is not on PATH", &[], |w| fs::remove_file(w.bin_dir().join("osism")).unwrap());
    refused("systemctl is not on PATH", &[], |w| fs::remove_file(w.bin_dir().join("systemctl")).unwrap());
}

/// Without the Compose v2 plugin every `docker compose` fails; its version, asked only then,
/// says that it is Compose, not the project, that needs fixing.
#[test]
fn a_missing_compose_is_refused() {
    refused("install the Docker Compose v2 plugin", &[("FAKE_FAIL", "docker compose *")], |_| {});
}

/// Compose answers its version but not the project's configuration: the project is named.
#[test]
fn a_project_compose_cannot_read_is_refused() {
    let env = [("FAKE_FAIL", "docker compose --project-directory * config --format json")];
    refused("fix the compose project first", &env, |_| {});
}

/// A configuration in Compose v2's JSON is v2's answer: its version is not asked as well, a
/// tenth of a second of a core that the operator's wait for preflight would pay.
#[test]
fn compose_version_is_asked_only_where_the_configuration_did_not_come() {
    let world = World::new();
    let trace = world.path().join("trace");
    let out = world.run(&["--dry-run"], &[("FAKE_TRACE", trace.to_str().unwrap())]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let trace = fs::read_to_string(trace).unwrap();
    assert!(trace.contains(" config --format json"), "{trace}");
    assert!(!trace.contains("compose version"), "{trace}");
}

#[test]
fn a_project_directory_without_compose_file_is_refused() {
    refused("holds no compose file", &[], |w| fs::remove_file(w.project().join("compose.yaml")).unwrap());
}

#[test]
fn a_missing_share_volume_is_refused_and_not_created() {
    let world = World::new();
    fs::remove_dir_all(world.share()).unwrap();
    world.set_state("volumes", "manager_mariadb\n");
    let out = world.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("the share volume manager_share does not exist"), "{}", stderr(&out));
    assert!(!world.share().exists(), "docker run created the volume");
    assert!(world.calls().iter().all(|argv| argv.get(1).map(String::as_str) != Some("run")));
}

#[test]
fn an_existing_archive_is_never_overwritten() {
    refused("exists already and is never overwritten", &[], |w| {
        let stamp = crate::support::today();
        fs::write(w.backup_dir().join(format!("manager-share-{stamp}.tar.gz")), "precious").unwrap();
    });
}

#[test]
fn too_little_free_space_is_refused() {
    refused("free some space", &[("FAKE_SHARE_KIB", "999999999999")], |_| {});
}

#[test]
fn all_problems_are_listed_at_once() {
    let world = World::new();
    fs::remove_file(world.bin_dir().join("osism")).unwrap();
    fs::remove_file(world.project().join("compose.yaml")).unwrap();
    let out = world.run(&["--yes"], &[]);
    assert!(stderr(&out).contains("preflight found 2 problem(s)"), "{}", stderr(&out));
}

#[test]
fn the_dry_run_lists_problems_and_still_exits_0() {
    let world = World::new();
    fs::remove_file(world.project().join("compose.yaml")).unwrap();
    let out = world.run(&["--dry-run"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    // First, as terraform puts its errors, and once more in one line at the end.
    assert!(text.starts_with("A real run would refuse to start, for 1 problem:\n  - "), "{text}");
    assert_eq!(text.matches("holds no compose file").count(), 1, "{text}");
    assert!(
        text.trim_end().ends_with("A real run would refuse to start: 1 problem, listed above the plan."),
        "{text}"
    );
}

#[test]
fn volumes_that_down_deletes_are_listed_and_vaults_storage_is_flagged() {
    let world = World::new();
    with_vault(&world);
    let out = world.run(&["--dry-run"], &[]);
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "deletes these volumes: manager_mariadb, manager_share, manager_vault_file, manager_vault_logs, \
             {REDIS_DATA} (anonymous, of redis)"
        )),
        "{text}"
    );
    assert!(
        text.contains("WARNING: this deletes HashiCorp Vault's storage (manager_vault_file, manager_vault_logs) for good"),
        "{text}"
    );
    let out = world.run(&["--dry-run", "--output", "json"], &[]);
    let plan: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(plan["volumes"]["vault"], serde_json::json!(["manager_vault_file", "manager_vault_logs"]));
    assert_eq!(plan["volumes"]["anonymous"], serde_json::json!([{"service": "redis", "volume": REDIS_DATA}]));
}

/// Vault's storage goes for good with `down -v`, and OSISM does not initialise Vault again: not
/// without the operator's word, `--delete-vault-data`, which then runs the reset.
#[test]
fn vaults_storage_is_deleted_only_with_the_operators_word() {
    refused(
        "the manager runs HashiCorp Vault, and `down -v` deletes its storage (manager_vault_file, \
             manager_vault_logs) for good",
        &[],
        with_vault,
    );
    let world = World::new();
    with_vault(&world);
    let out = world.run(&["--yes"], &[("OSISM_MANAGER_RESET_DELETE_VAULT_DATA", "yes")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("(agreed with --delete-vault-data)"), "{}", stdout(&out));
}

fn detected(env: &[(&str, &str)]) -> (String, String) {
    let world = World::new();
    let out = world.run(&["--dry-run", "--output", "json"], env);
    let plan: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    (plan["service"]["unit"].as_str().unwrap().into(), plan["service"]["reason"].as_str().unwrap().into())
}

#[test]
fn the_service_unit_is_detected() {
    assert_eq!(
        detected(&[("FAKE_ACTIVE", "manager.service")]),
        ("manager.service".into(), "the active one".into())
    );
    assert_eq!(
        detected(&[("FAKE_ACTIVE", "docker-compose@manager.service")]),
        ("docker-compose@manager.service".into(), "the active one".into())
    );
    assert_eq!(
        detected(&[("FAKE_ACTIVE", ""), ("FAKE_ENABLED", "manager.service")]),
        ("manager.service".into(), "the enabled one".into())
    );
    let (unit, reason) = detected(&[("FAKE_ACTIVE", "")]);
    assert_eq!(unit, "docker-compose@manager.service");
    assert!(
        reason.starts_with("neither is active or enabled") && reason.contains("choose with --service"),
        "{reason}"
    );
    let (unit, reason) =
        detected(&[("FAKE_ACTIVE", "manager.service"), ("OSISM_MANAGER_RESET_SERVICE", "x.service")]);
    assert_eq!((unit.as_str(), reason.as_str()), ("x.service", "given by --service"));
}

#[test]
fn the_detected_unit_is_the_one_stopped_and_started() {
    let world = World::new();
    let out = world.run(&["--yes"], &[("FAKE_ACTIVE", "manager.service")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let calls = world.runbook_calls();
    // OSISM's manager.service pulls when it starts: the pull comes first. With `sudo` in front
    // of systemctl unless the tests run as root.
    assert!(calls[0].ends_with(" pull"), "{calls:?}");
    assert!(calls[1].ends_with("systemctl stop manager.service"), "{calls:?}");
    assert!(calls[4].ends_with("systemctl start manager.service"), "{calls:?}");
}

#[test]
fn a_missing_project_directory_is_refused() {
    refused("the project directory", &[], |w| fs::remove_dir_all(w.project()).unwrap());
}

/// Preflight's groups of questions (Compose's; the image's; the share volume's size; systemd's
/// and osism's) are asked at once: while a slow Compose works out the project's configuration,
/// the others go on, the share volume's measurement (in a running container of the project) and
/// Compose's containers among them. Its figures wait for Compose to say its services mount the
/// volume (`a_share_volume_that_is_not_mounted_…`).
#[test]
fn independent_questions_are_asked_at_once() {
    let world = World::new();
    let trace = world.path().join("trace");
    let env = [
        ("FAKE_TRACE", trace.to_str().unwrap()),
        ("FAKE_HANG", "docker compose --project-directory * config --format json"),
        ("FAKE_HANG_SECONDS", "2"),
    ];
    let out = world.run(&["--dry-run"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let trace = fs::read_to_string(trace).unwrap();
    let lines: Vec<&str> = trace.lines().collect();
    let begun = |needle: &str| lines.iter().position(|l| l.starts_with("begin ") && l.contains(needle));
    let config = begun(" config --format json").expect("compose config ran");
    let pid = lines[config].split(' ').nth(1).unwrap();
    let config_end = lines.iter().position(|l| *l == format!("end {pid}")).expect("compose config ended");
    let others = [
        "docker image inspect",
        "systemctl is-active",
        "osism vault check",
        "docker exec --user 0",
        " ps --all --format json",
    ];
    for other in others {
        let at = begun(other).unwrap_or_else(|| panic!("{other} never ran:\n{trace}"));
        assert!(at < config_end, "{other} waited for docker compose config:\n{trace}");
    }
}

/// A container outside the project that uses a volume `down -v` deletes, running or stopped,
/// would keep it: `down -v` exits 0 and the reset fails after it. Preflight names it, its image
/// and the command that removes it; typed, the next run finishes.
#[test]
fn a_container_outside_the_project_holding_a_volume_is_refused_and_its_removal_typed_finishes() {
    for (stray, needle) in [
        (
            "stray busybox:latest running manager_share",
            "the container stray (image busybox:latest, running) is not the compose project's but uses \
             manager_share, which `down -v` deletes: `down -v` could not delete it, and it may write to /share \
             while it is backed up; remove the container with `docker rm --force stray`",
        ),
        (
            "old-backup alpine:3 exited manager_mariadb",
            "the container old-backup (image alpine:3, exited) is not the compose project's but uses \
             manager_mariadb",
        ),
        ("redis-copy redis:7 created REDIS", "uses REDIS"),
    ] {
        let world = World::new();
        world.set_state("strays", &format!("{}\n", stray.replace("REDIS", REDIS_DATA)));
        let needle = needle.replace("REDIS", REDIS_DATA);
        let out = world.run(&["--yes"], &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{stray}: {err}");
        assert!(err.contains(&needle), "{stray}: {err}");
        assert!(world.runbook_calls().is_empty(), "{stray}: ran {:?}", world.runbook_calls());
        let out = world.run(&["--dry-run"], &[]);
        assert!(stdout(&out).contains(&needle), "{stray}: the dry run does not say so");
        // The fake's `docker rm --force` of a stray: its record goes.
        let line = crate::support::advice("remove the container with", &err);
        assert!(line.starts_with("docker rm --force "), "{line}");
        world.set_state("strays", "");
        let out = world.run(&["--yes"], &[]);
        assert_eq!(out.status.code(), Some(0), "{stray}: {}", stderr(&out));
    }
}

/// /share is measured in a running container of the project that mounts it at /share (a tenth
/// of a second), else in a read-only container of the tool's own (half a second): where the
/// manager is stopped, where its container cannot answer, and where the only containers that
/// mount the volume are another project's, whose containers the tool never enters. Each way
/// finds the same figures.
#[test]
fn the_share_volume_is_measured_in_the_managers_container_or_else_in_the_tools_own() {
    let world = World::new();
    let measured = |env: &[(&str, &str)]| {
        world.clear_calls();
        let out = world.run(&["--dry-run"], env);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let line = stdout(&out).lines().find(|l| l.contains("share volume:")).unwrap().to_owned();
        let calls = world.calls();
        let by =
            |program: &str| calls.iter().any(|c| c[1] == program && c.last().unwrap().contains("du -sk"));
        (line, by("exec"), by("run"))
    };
    let (line, exec, run) = measured(&[]);
    assert!(line.contains("holding 7 entries"), "{line}");
    assert!(exec && !run, "measured by exec {exec}, by run {run}");
    assert_eq!(measured(&[("FAKE_FAIL", "docker exec --user 0 *")]), (line.clone(), true, true));
    world.set_state("working_dir", "/opt/another");
    assert_eq!(measured(&[]), (line.clone(), false, true));
    world.set_state("working_dir", world.project().to_str().unwrap());
    fs::remove_file(world.state().join("up")).unwrap();
    let (stopped, exec, run) = measured(&[]);
    assert!(!exec && run, "measured by exec {exec}, by run {run}");
    assert_eq!(stopped, line);
}
