//! Messages that once said the wrong thing, each pinned to what is true: the share volume of a
//! project with its own name, osism without Docker, systemd not running, a plan with no version.

use std::fs;

use crate::support::{World, stderr, stdout};

/// A compose file with a top-level `name: prod`: its share volume is prod_share. Without
/// --share-volume the refusal names it and the option to give, and the plan shows no figures of
/// the runbook's manager_share; with the option typed as advised, nothing is in the way.
#[test]
fn a_project_of_another_name_is_told_to_name_its_share_volume() {
    let world = World::new();
    world.set_state("declared", "prod_mariadb\nprod_share\n");
    world.set_state("volumes", "manager_share\nprod_mariadb\nprod_share\n");
    world.set_state("labelled", "prod_mariadb\nprod_share\n");
    let env = [("FAKE_PROJECT_NAME", "prod")];
    let out = world.run(&["--dry-run"], &env);
    let text = stdout(&out);
    let needle = "the manager mounts prod_share (mounted by osism-ansible, osismclient) at /share, not the runbook's \
                  manager_share (its compose project is named \"prod\"): name it with `--share-volume prod_share`";
    assert!(text.contains(needle), "{text}");
    assert!(!text.contains("drop the option"), "{text}");
    assert!(!text.contains("holding"), "figures of a volume the project does not mount: {text}");
    let typed = crate::support::advice("name it with", &text);
    let words: Vec<&str> = typed.split_whitespace().collect();
    let out = world.run(&[&["--dry-run", "--detailed-exitcode"][..], &words].concat(), &env);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("share volume: prod_share, holding"), "{}", stdout(&out));
}

/// Without Docker, OSISM's wrapper cannot run osism: that is Docker's problem, said once, not a
/// wrapper to install.
#[test]
fn without_docker_the_problem_is_docker_not_the_wrapper() {
    let world = World::new();
    fs::remove_file(world.bin_dir().join("docker")).unwrap();
    let out = world.run(&["--dry-run"], &[]);
    let text = stdout(&out);
    assert!(text.contains("docker is not on PATH"), "{text}");
    assert!(!text.contains("wrapper"), "{text}");
    assert!(!text.contains("Docker could not be asked"), "{text}");
}

/// Where systemd does not run (a container), the unit can be neither stopped nor started: a
/// problem that says so, not "neither is active or enabled".
#[test]
fn systemd_not_running_is_said_as_such() {
    let world = World::new();
    let out = world.run(&["--yes"], &[("FAKE_NO_SYSTEMD", "1")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "systemd is not running on this host (systemctl: System has not been booted with systemd"
        ),
        "{err}"
    );
    assert!(!err.contains("neither is active or enabled"), "{err}");
    assert!(world.runbook_calls().is_empty());
}

/// Compose answered (no compose file): the volumes are not listed, and the plan does not blame
/// Docker for it.
#[test]
fn volumes_not_listed_are_not_blamed_on_docker() {
    let world = World::new();
    fs::remove_file(world.project().join("compose.yaml")).unwrap();
    let text = stdout(&world.run(&["--dry-run"], &[]));
    assert!(text.contains("not listed: Compose could not name them; see the problems"), "{text}");
    assert!(!text.contains("Docker could not be asked"), "{text}");
}

/// A saved plan that does not say which version saved it is refused for that, in words.
#[test]
fn a_saved_plan_without_a_version_says_so() {
    let world = World::new();
    let file = world.path().join("plan.json");
    let out = world.run(&["--save-plan", file.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut saved: serde_json::Value = serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
    saved.as_object_mut().unwrap().remove("tool_version");
    fs::write(&file, saved.to_string()).unwrap();
    let out = world.run(&["--plan", file.to_str().unwrap(), "--yes"], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("does not say which version of osism-manager-reset saved it"), "{err}");
    assert!(!err.contains("unknown"), "{err}");
}
