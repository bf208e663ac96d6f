//! The example pipelines of `docs/pipelines.md`, run: their two stages, as the doc gives them and
//! as both its GitLab CI and GitHub Actions jobs run them, against the fakes, with `ssh` and
//! `scp` to the manager standing in as local functions (the manager's home is the world's backup
//! directory, the job's workspace a directory of its own).

use std::fs;
use std::path::Path;
use std::process::Output;

use crate::support::{World, stderr, stdout};

/// The lines of the ```sh `tag` block of the doc.
fn stage(doc: &str, tag: &str) -> Vec<String> {
    let open = format!("```sh {tag}\n");
    let start = doc.find(&open).unwrap_or_else(|| panic!("no {tag} block")) + open.len();
    doc[start..start + doc[start..].find("```").unwrap()].lines().map(String::from).collect()
}

fn doc() -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/pipelines.md")).unwrap()
}

/// Runs a stage's lines in `workspace`, as a CI job would, with `env` for the fakes.
fn run_stage(world: &World, workspace: &Path, lines: &[String], env: &[(&str, &str)]) -> Output {
    let stand_ins = format!(
        "set -e\nMANAGER=dragon@manager\nMANAGER_HOME='{}'\n\
         remote() {{ case \"$1\" in \"$MANAGER\":*) printf '%s/%s' \"$MANAGER_HOME\" \"${{1#*:}}\" ;; *) printf '%s' \"$1\" ;; esac; }}\n\
         scp() {{ cp \"$(remote \"$1\")\" \"$(remote \"$2\")\"; }}\n\
         ssh() {{ shift; (cd \"$MANAGER_HOME\" && \"$@\"); }}\n",
        world.backup_dir().display()
    );
    world.type_line(&format!("{stand_ins}{}\n", lines.join("\n")), workspace, env)
}

/// The doc's stages are what its GitLab CI and GitHub Actions jobs run, line for line.
#[test]
fn both_example_jobs_run_the_stages_the_doc_gives() {
    let doc = doc();
    let (gitlab, github) = (doc.find("## GitLab CI").unwrap(), doc.find("## GitHub Actions").unwrap());
    for tag in ["plan-stage", "apply-stage"] {
        for line in stage(&doc, tag) {
            assert!(doc[gitlab..github].contains(&format!("    - {line}\n")), "GitLab CI lacks: {line}");
            assert!(doc[github..].contains(&format!("          {line}\n")), "GitHub Actions lacks: {line}");
        }
    }
}

#[test]
fn the_plan_approved_is_the_plan_applied() {
    let world = World::new();
    let workspace = world.path().join("job");
    fs::create_dir(&workspace).unwrap();
    let doc = doc();
    let out = run_stage(&world, &workspace, &stage(&doc, "plan-stage"), &[]);
    assert_eq!(out.status.code(), Some(0), "plan: {}", stderr(&out));
    assert!(stdout(&out).contains("3. Delete the manager service and its volumes"), "{}", stdout(&out));
    assert!(workspace.join("manager-reset.plan").exists(), "no artifact");
    assert!(world.runbook_calls().is_empty(), "the plan stage ran {:?}", world.runbook_calls());
    let out = run_stage(&world, &workspace, &stage(&doc, "apply-stage"), &[]);
    assert_eq!(out.status.code(), Some(0), "apply: {}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("step 7: done"), "{}", stdout(&out));
    assert_eq!(world.runbook_calls().len(), 8, "{:?}", world.runbook_calls());
}

/// The job fails, showing why: a manager that is not as planned, a step that failed, a plan
/// that could not run at all.
#[test]
fn a_failing_apply_fails_the_job_and_says_why() {
    let doc = doc();
    for (env, code, needle) in [
        (
            &[("FAKE_ACTIVE", "manager.service")][..],
            2,
            "  service unit: saved docker-compose@manager.service, now manager.service",
        ),
        (&[("FAKE_FAIL", "* down -v")], 1, "step 3: failed"),
    ] {
        let world = World::new();
        let workspace = world.path().join("job");
        fs::create_dir(&workspace).unwrap();
        let out = run_stage(&world, &workspace, &stage(&doc, "plan-stage"), &[]);
        assert_eq!(out.status.code(), Some(0), "plan: {}", stderr(&out));
        let out = run_stage(&world, &workspace, &stage(&doc, "apply-stage"), env);
        assert_eq!(out.status.code(), Some(code), "{needle}: {}{}", stdout(&out), stderr(&out));
        assert!(stdout(&out).contains(needle), "{needle} not in {}", stdout(&out));
        assert!(stdout(&out).contains(&format!("failed, exit {code}: ")), "{}", stdout(&out));
    }
    let world = World::new();
    fs::remove_file(world.project().join("compose.yaml")).unwrap();
    let workspace = world.path().join("job");
    fs::create_dir(&workspace).unwrap();
    let out = run_stage(&world, &workspace, &stage(&doc, "plan-stage"), &[]);
    assert_eq!(out.status.code(), Some(2), "a plan that cannot run passed its stage: {}", stderr(&out));
}
