//! A manager that behaves like a real one (the fakes model OSISM's): the vault password Redis
//! loses, a manager that writes into /share once started, a unit whose start returns before
//! Compose has created anything, volumes that are not the project's, and private files.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::calls_snapshot;
use crate::support::{World, advice, stderr, stdout};

const PASSWORD: &str = "correct horse battery staple";

/// A valid Fernet key: 32 bytes in URL-safe base64.
const KEY: &str = "rTsdQAIwXmVNlvDKOKV70ruCCfj_aGZSgbsjCrbNprI=";

/// A world whose Ansible runs take the vault password from Redis, set with osism: the key file in
/// /share, the password in Redis, no environments/.vault_pass.
pub fn vault_world() -> World {
    let world = World::new();
    fs::write(world.share().join("ansible_vault_password.key"), KEY).unwrap();
    fs::create_dir_all(world.state().join("redis")).unwrap();
    fs::write(world.state().join("redis/ansible_vault_password"), PASSWORD).unwrap();
    fs::write(world.state().join("redis/ansible_vault_password.key"), KEY).unwrap();
    fs::remove_file(world.configuration().join("environments/.vault_pass")).unwrap();
    world
}

/// The operator's password file, mode `mode`.
pub fn password_file(world: &World, mode: u32) -> String {
    let file = world.path().join("vault-password");
    fs::write(&file, format!("{PASSWORD}\n")).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(mode)).unwrap();
    file.display().to_string()
}

fn redis_password(world: &World) -> Option<String> {
    fs::read_to_string(world.state().join("redis/ansible_vault_password")).ok()
}

/// Every file under the backup directory, as text (binary ones read lossily), for looking for
/// the password.
fn written_by_the_tool(world: &World) -> String {
    let mut all = String::new();
    for entry in fs::read_dir(world.backup_dir()).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".tar.gz") {
            all.push_str(&String::from_utf8_lossy(&fs::read(&path).unwrap()));
        }
    }
    all
}

#[test]
fn the_vault_password_is_set_again_from_the_file_and_facts_succeed() {
    let world = vault_world();
    let file = password_file(&world, 0o600);
    let out = world.run(&["--yes", "--vault-password-file", &file], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // osism strips the line's end, as the fake does.
    assert_eq!(redis_password(&world).as_deref(), Some(PASSWORD));
    let calls = world.runbook_calls();
    assert_eq!(calls.len(), 9, "{calls:?}");
    assert_eq!(calls[6], "osism set vault password", "after the health check, before step 7");
    assert_eq!(calls[8], "osism apply facts");
    let text = format!("{}{}{}", stdout(&out), stderr(&out), written_by_the_tool(&world));
    assert!(text.contains("Step 7/8: Set the Ansible vault password again  [NOT IN THE RUNBOOK]"), "{text}");
    assert!(!text.contains(PASSWORD), "the password leaked into the tool's output or files");
    assert!(!world.calls().iter().flatten().any(|arg| arg.contains(PASSWORD)), "the password in argv");
}

#[test]
fn without_terminal_or_file_a_set_password_is_refused_before_anything_changes() {
    let world = vault_world();
    let before = world.share_listing();
    let out = world.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("there is no terminal for osism to ask for it on: pass --vault-password-file FILE"),
        "{}",
        stderr(&out)
    );
    assert!(world.runbook_calls().is_empty(), "{:?}", world.runbook_calls());
    assert_eq!(world.share_listing(), before);
    assert_eq!(redis_password(&world).as_deref(), Some(PASSWORD));
}

#[test]
fn a_password_file_others_can_read_is_refused() {
    let world = vault_world();
    let file = password_file(&world, 0o644);
    let out = world.run(&["--yes", "--vault-password-file", &file], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("is mode 0644, open to other users"), "{}", stderr(&out));
    assert!(world.runbook_calls().is_empty());
    let out = world.run(&["--yes"], &[("OSISM_MANAGER_RESET_VAULT_PASSWORD_FILE", "/no/such/file")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("OSISM_MANAGER_RESET_VAULT_PASSWORD_FILE (--vault-password-file) /no/such/file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_vault_step_that_fails_is_repeated_by_the_resume() {
    let world = vault_world();
    let file = password_file(&world, 0o600);
    let out =
        world.run(&["--yes", "--vault-password-file", &file], &[("FAKE_FAIL", "osism set vault password")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("step 7 (Set the Ansible vault password again) failed"), "{err}");
    assert!(!world.ran("apply facts"));
    world.clear_calls();
    let out = world.type_line(&format!("{} --yes", advice("resume with", &err)), &world.backup_dir(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(world.runbook_calls()[0], "osism set vault password");
    assert_eq!(redis_password(&world).as_deref(), Some(PASSWORD));
}

/// osism strips the password it reads and stores even an empty one, reporting success: a
/// blank file is refused before anything changes.
#[test]
fn a_blank_password_file_is_refused_before_anything_changes() {
    let world = vault_world();
    let file = password_file(&world, 0o600);
    fs::write(&file, " \n").unwrap();
    let out = world.run(&["--yes", "--vault-password-file", &file], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("holds no password (osism would store an empty one"), "{}", stderr(&out));
    assert!(world.runbook_calls().is_empty(), "{:?}", world.runbook_calls());
    assert_eq!(redis_password(&world).as_deref(), Some(PASSWORD));
}

/// With environments/.vault_pass, osism's runs have their password whatever Redis loses: no
/// step, and the plan says why, even where a password is set in Redis too.
#[test]
fn vault_pass_in_the_configuration_means_no_extra_step() {
    let world = World::new();
    let out = world.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(
            "vault password: no key file (osism vault check: FAILED: keyfile_missing); \
             environments/.vault_pass serves osism's runs, no step needed"
        ),
        "{}",
        stdout(&out)
    );
    assert!(!world.ran("vault password"));
    let world = vault_world();
    fs::write(world.configuration().join("environments/.vault_pass"), "x\n").unwrap();
    let out = world.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!world.ran("vault password"));
}

/// Without .vault_pass the runs need the password after the reset whatever `vault check` said
/// before, so the step is planned for every state; with no file and no terminal that is refused,
/// naming the state; given a file, the reset sets the password and finishes.
#[test]
fn without_vault_pass_every_state_needs_the_step() {
    for (state, set_up, env, says) in [
        ("not set", "no password", &[][..], "osism vault check: FAILED: password_not_set"),
        ("no key file", "no key", &[], "osism vault check: FAILED: keyfile_missing"),
        (
            "osismclient down",
            "as is",
            &[("FAKE_CLIENT_DOWN", "1")],
            "osism vault check: cannot tell (Error response from daemon: container 5b1d0e3f9a7c is not running)",
        ),
        ("an older osism", "as is", &[("FAKE_OSISM_OLD", "1")], "cannot tell (Unknown command"),
    ] {
        let world = vault_world();
        match set_up {
            "no password" => fs::remove_dir_all(world.state().join("redis")).unwrap(),
            "no key" => {
                fs::remove_dir_all(world.state().join("redis")).unwrap();
                fs::remove_file(world.share().join("ansible_vault_password.key")).unwrap();
            }
            _ => {}
        }
        let out = world.run(&["--yes"], env);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{state}: {err}");
        assert!(
            err.contains("there is no terminal for osism to ask for it on") && err.contains(says),
            "{state}: {err}"
        );
        assert!(
            !err.contains("WARNING: OSISM CLI"),
            "{state}: the wrapper's warning taken for a reason: {err}"
        );
        assert!(world.runbook_calls().is_empty(), "{state}: {:?}", world.runbook_calls());
        if state == "an older osism" {
            continue; // its `vault check` cannot pass after the step either
        }
        let file = password_file(&world, 0o600);
        let out = world.run(&["--yes", "--vault-password-file", &file], env);
        assert_eq!(out.status.code(), Some(0), "{state}: {}", stderr(&out));
        assert!(world.ran("osism set vault password"), "{state}");
        assert_eq!(redis_password(&world).as_deref(), Some(PASSWORD), "{state}");
    }
}

#[test]
fn a_key_file_osism_cannot_use_is_refused_before_anything_changes() {
    let world = vault_world();
    fs::write(world.share().join("ansible_vault_password.key"), "fernet-key\n").unwrap();
    let file = password_file(&world, 0o600);
    let out = world.run(&["--yes", "--vault-password-file", &file], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "the vault key file in /share is no Fernet key (osism vault check: FAILED: invalid_keyfile)"
        ),
        "{err}"
    );
    assert!(world.runbook_calls().is_empty(), "{:?}", world.runbook_calls());
}

#[test]
fn dry_run_shows_the_vault_step_in_text_and_json() {
    let world = vault_world();
    let file = password_file(&world, 0o600);
    let out = world.run(&["--dry-run", "--vault-password-file", &file], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    calls_snapshot!("dry_run_text_vault", world.scrub(&[stdout(&out)]));
    let out = world.run(&["--dry-run", "--output", "json", "--vault-password-file", &file], &[]);
    let plan: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(plan["vault"]["state"], "set");
    assert_eq!(plan["steps"][6]["in_runbook"], false);
    calls_snapshot!(
        "dry_run_json_vault",
        world.scrub(&[serde_json::to_string_pretty(&plan["steps"][6]).unwrap()])
    );
}

#[test]
fn the_restore_is_checked_entry_by_entry() {
    for (spoil, needle) in [
        ("drop-one", "1 archived entries are missing (share/a.txt)"),
        ("alter-old", "1 archived entries differ (share/a.txt)"),
    ] {
        let world = World::new();
        let out = world.run(&["--yes"], &[("FAKE_RESTORE", spoil)]);
        assert_eq!(out.status.code(), Some(1), "{spoil}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("step 5 (Restore the /share volume) failed") && err.contains(needle),
            "{spoil}: {err}"
        );
        assert!(!world.ran(" ps"), "{spoil}: went on after a bad restore");
    }
}

#[test]
fn what_the_running_manager_writes_after_the_restore_is_listed_not_failed() {
    let world = World::new();
    let out = world.run(&["--yes"], &[("FAKE_RESTORE", "manager-writes")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("/share holds all 7 archived entries as archived"), "{text}");
    assert!(
        text.contains("the running manager's own: 1 entries changed since the restore began (share/a.txt)"),
        "{text}"
    );
    assert!(
        text.contains(
            "the running manager's own: 1 entries added, not from the archive (share/known_hosts.new)"
        ),
        "{text}"
    );
    let log = fs::read_to_string(world.backup_file(".log")).unwrap();
    assert!(log.contains("share/known_hosts.new"), "not in the log");
}

#[test]
fn a_unit_that_does_not_stop_the_manager_fails_step_1_before_any_backup() {
    let world = World::new();
    let out = world.run(&["--yes"], &[("FAKE_RUNS_UNDER", "other.service")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("step 1 (Stop the manager service) failed"), "{err}");
    assert!(
        err.contains(
            "the project's containers still run after stopping docker-compose@manager.service (api, redis)"
        ),
        "{err}"
    );
    assert_eq!(world.runbook_calls().len(), 1, "{:?}", world.runbook_calls());
}

#[test]
fn a_unit_that_does_not_run_the_manager_is_refused() {
    let world = World::new();
    let out = world.run(&["--yes", "--service", "other.service"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("the unit other.service is not active, yet the project's containers run (api, redis)")
    );
    assert!(world.runbook_calls().is_empty());
}

#[test]
fn a_share_volume_that_is_not_the_projects_is_refused() {
    let world = World::new();
    world.set_state(
        "volumes",
        &format!("{}other_share\n", fs::read_to_string(world.state().join("volumes")).unwrap()),
    );
    let out = world.run(&["--yes", "--share-volume", "other_share"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "--share-volume other_share is not the volume the manager mounts at /share: that is manager_share"
        ),
        "{}",
        stderr(&out)
    );
    assert!(world.runbook_calls().is_empty());
}

#[test]
fn a_labelled_volume_the_compose_file_no_longer_declares_is_kept() {
    let world = World::new();
    for file in ["volumes", "labelled"] {
        let text = fs::read_to_string(world.state().join(file)).unwrap();
        world.set_state(file, &format!("{text}manager_redis\n"));
    }
    let out = world.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out)
            .contains("keeps these volumes, labelled with the project but no longer declared: manager_redis"),
        "{}",
        stdout(&out)
    );
    assert!(fs::read_to_string(world.state().join("volumes")).unwrap().contains("manager_redis"));
}

#[test]
fn the_restore_waits_for_compose_to_create_the_share_volume() {
    let world = World::new();
    let out = world.run(&["--yes"], &[("FAKE_SHARE_LATE", "3")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("Compose created the share volume manager_share"), "{}", stdout(&out));
    let labelled = fs::read_to_string(world.state().join("labelled")).unwrap();
    assert!(labelled.contains("manager_share"), "the restore created the volume itself: {labelled}");
}

#[test]
fn a_share_volume_compose_never_creates_fails_step_5_without_creating_it() {
    let world = World::new();
    let out = world.run(&["--yes", "--health-timeout", "2"], &[("FAKE_SHARE_LATE", "1000")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Compose did not create the share volume manager_share within 2s"),
        "{}",
        stderr(&out)
    );
    assert!(!world.ran("tar -xzvf"), "the restore ran");
    assert!(!fs::read_to_string(world.state().join("volumes")).unwrap().contains("manager_share"));
}

#[test]
fn every_file_the_reset_writes_is_private() {
    let world = World::new();
    let out = world.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for suffix in [".tar.gz", ".tar.gz.sha256", ".journal.json", ".log"] {
        let mode = fs::metadata(world.backup_file(suffix)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{suffix} is {mode:o}");
    }
}

#[test]
fn at_a_terminal_the_operator_types_the_password_into_osisms_own_prompt() {
    let world = vault_world();
    let typed = format!("manager\n{PASSWORD}\n");
    let out = crate::support::at_terminal(&world, &[], &typed);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let screen = stdout(&out);
    assert!(screen.contains("(it asks at your terminal; the tool never sees what you type)"), "{screen}");
    assert!(
        screen.contains("Ansible Vault password: "),
        "osism's prompt did not reach the terminal: {screen}"
    );
    assert_eq!(redis_password(&world).as_deref(), Some(PASSWORD), "the typing did not reach osism");
    assert!(!written_by_the_tool(&world).contains(PASSWORD), "the password is in the tool's files");
}

/// A stale variable or a typo naming another volume of the project would archive that one and
/// let `down -v` delete /share unsaved: the share volume is the one the services mount at /share.
#[test]
fn a_share_volume_that_is_not_mounted_at_share_is_refused() {
    let world = World::new();
    let before = world.share_listing();
    for (args, env) in [
        (&["--yes", "--share-volume", "manager_mariadb"][..], &[][..]),
        (&["--yes"], &[("OSISM_MANAGER_RESET_SHARE_VOLUME", "manager_mariadb")]),
    ] {
        let out = world.run(args, env);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?} {env:?}: {err}");
        assert!(
            err.contains(
                "manager_mariadb is not the volume the manager mounts at /share: that is manager_share \
                 (mounted by osism-ansible, osismclient)"
            ),
            "{err}"
        );
        assert!(world.runbook_calls().is_empty(), "ran {:?}", world.runbook_calls());
    }
    // Measured while Compose answered, the other volume's figures are not shown as /share's.
    let dry = stdout(&world.run(&["--dry-run", "--share-volume", "manager_mariadb"], &[]));
    assert!(dry.contains("is not the volume the manager mounts at /share"), "{dry}");
    assert!(!dry.contains("holding"), "{dry}");
    assert!(
        stderr(&world.run(&["--yes"], &[("OSISM_MANAGER_RESET_SHARE_VOLUME", "manager_mariadb")]))
            .contains("OSISM_MANAGER_RESET_SHARE_VOLUME (--share-volume) manager_mariadb")
    );
    assert_eq!(world.share_listing(), before);
    let volumes = fs::read_to_string(world.state().join("volumes")).unwrap();
    assert!(volumes.contains("manager_share") && volumes.contains("manager_mariadb"), "{volumes}");
}

#[test]
fn a_project_that_mounts_no_volume_at_share_is_refused() {
    let world = World::new();
    world.set_state("mounts", "mariadb mariadb /var/lib/mysql\nredis - /data\n");
    let out = world.run(&["--yes"], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no volume of the compose project \"manager\" is mounted at /share"), "{err}");
    assert!(world.runbook_calls().is_empty(), "ran {:?}", world.runbook_calls());
}

/// Both units active, the runbook's chosen, but the manager runs under manager.service: step 1
/// stops nothing of it and fails before any backup. Its advice names the other unit, and the
/// resume it prints, typed as it stands, plans again with that unit and finishes the reset.
#[test]
fn step_1s_advice_names_the_unit_that_runs_the_manager_and_its_resume_finishes() {
    let world = World::new();
    let before = world.share_listing();
    let env = [
        ("FAKE_ACTIVE", "docker-compose@manager.service manager.service"),
        ("FAKE_RUNS_UNDER", "manager.service"),
    ];
    let out = world.run(&["--yes"], &env);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("step 1 (Stop the manager service) failed"), "{err}");
    let line = advice("resume with", &err);
    assert!(line.ends_with(" --service manager.service"), "{line}");
    world.clear_calls();
    let out = world.type_line(&format!("{line} --yes"), &world.backup_dir(), &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let calls = world.runbook_calls();
    // OSISM's manager.service pulls when it starts: the pull comes first.
    assert!(calls[0].ends_with(" pull"), "{calls:?}");
    assert!(calls[1].ends_with("systemctl stop manager.service"), "{calls:?}");
    assert!(calls[4].ends_with("systemctl start manager.service"), "{calls:?}");
    assert_eq!(world.share_listing(), before);
    assert_eq!(world.journal()["plan"]["service"]["unit"], "manager.service");
}

/// Until `down -v` begins, a resume takes corrected plan options and plans again from step 1,
/// preflight and all; once it has begun, the reset goes on with the plan it was approved with.
#[test]
fn a_resume_takes_corrected_options_only_before_down_begins() {
    // Killed in step 2, the run could not start the manager again: its resume goes on.
    let world = World::new();
    let out = world.run(&["--yes", "--health-timeout", "600"], &[("FAKE_KILL", "* tar -czvf *")]);
    assert_eq!(out.status.code(), None, "{}", stderr(&out));
    world.clear_calls();
    let out = world.run(&["--resume", "--yes", "--image", "busybox:1.36"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Past the killed run's read-back of /share, which the resume stops first.
    let calls = world.runbook_calls();
    let first = calls.iter().find(|c| !c.starts_with("docker rm --force ")).unwrap();
    assert!(first.contains("systemctl stop"), "not again from step 1: {calls:?}");
    let journal = world.journal();
    assert_eq!(journal["inputs"]["options"]["image"], "busybox:1.36");
    assert_eq!(journal["inputs"]["options"]["health_timeout_s"], 600, "an option not given again changed");

    let world = World::new();
    let out = world.run(&["--yes"], &[("FAKE_FAIL", "* down -v")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    world.clear_calls();
    let out = world.run(&["--resume", "--yes", "--image", "busybox:1.36"], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("`down -v` has begun")
            && err.contains("--image busybox:1.36 is not the recorded busybox"),
        "{err}"
    );
    assert!(world.runbook_calls().is_empty(), "{:?}", world.runbook_calls());
}
