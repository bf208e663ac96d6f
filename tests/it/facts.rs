//! The fact cache after a reset: `down -v` empties Redis, and `osism apply facts` (the runbook's)
//! fills only osism-ansible's generation; where the manager runs kolla-ansible, a step not in
//! the runbook refreshes kolla's too (python-osism 0.20261023.0, `osism sync facts`).

use std::fs;

use crate::support::{World, advice, stderr, stdout};

/// A manager with OSISM's kolla-ansible service, which mounts /share as the others do.
fn with_kolla(world: &World) {
    let mounts = fs::read_to_string(world.state().join("mounts")).unwrap();
    world.set_state("mounts", &format!("{mounts}kolla-ansible share /share\n"));
}

fn cached(world: &World, runtime: &str) -> bool {
    world.state().join("redis").join(format!("facts.{runtime}")).exists()
}

#[test]
fn a_manager_with_kolla_ansible_ends_with_both_fact_caches_filled() {
    let world = World::new();
    with_kolla(&world);
    let out = world.run(&["--dry-run"], &[]);
    let plan = stdout(&out);
    assert!(
        plan.contains("Step 8/8: Refresh kolla-ansible's fact cache too  [NOT IN THE RUNBOOK]"),
        "{plan}"
    );
    assert!(plan.contains("  $ osism sync facts\n    why: `down -v` emptied the fact cache"), "{plan}");
    let out = world.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let calls = world.runbook_calls();
    assert_eq!(&calls[6..], ["osism reconciler sync", "osism apply facts", "osism sync facts"]);
    assert!(cached(&world, "osism-ansible") && cached(&world, "kolla-ansible"), "kolla-ansible has no facts");
}

#[test]
fn without_kolla_ansible_the_runbook_alone_fills_the_cache() {
    let world = World::new();
    let out = world.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!world.ran("osism sync facts"));
    assert_eq!(world.runbook_calls().len(), 8);
    assert!(cached(&world, "osism-ansible"));
}

/// The step fails as osism does on its idle timeout; the advice numbers it from the plan, and
/// the resume it gives runs it again and finishes.
#[test]
fn a_failed_refresh_says_its_own_step_and_the_resume_finishes() {
    let world = World::new();
    with_kolla(&world);
    let out = world.run(&["--yes"], &[("FAKE_FAIL", "osism sync facts")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("step 8 (Refresh kolla-ansible's fact cache too) failed"), "{err}");
    assert!(err.contains("it runs step 8's command again"), "{err}");
    world.clear_calls();
    let out = world.type_line(&format!("{} --yes", advice("resume with", &err)), &world.backup_dir(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(world.runbook_calls(), ["osism sync facts"]);
    assert!(cached(&world, "kolla-ansible"));
}
