//! The example pipelines of `docs/pipelines.md`, run: the job's SSH set-up and its two stages, as
//! the doc gives them and as both its GitLab CI and GitHub Actions jobs run them, against the
//! fakes, with `ssh` and `scp` to the manager standing in as local functions that do what they
//! do (ssh joins its words for the remote shell; the manager's home is the world's backup
//! directory, the job's workspace a directory of its own, with the CI variables as files).

use std::fs;
use std::os::unix::fs::PermissionsExt;
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

/// The vault password the pipeline's masked file variable holds.
const PASSWORD: &str = "pipeline vault password";

/// Runs the job's set-up and a stage's lines in `workspace`, as a CI job would, with the CI
/// variables as the doc names them and `env` for the fakes.
fn run_stage(world: &World, workspace: &Path, lines: &[String], env: &[(&str, &str)]) -> Output {
    let home = workspace.join("home");
    fs::create_dir_all(&home).unwrap();
    let key = workspace.join("ssh-private-key");
    fs::write(&key, "-----BEGIN OPENSSH PRIVATE KEY-----\n").unwrap();
    let password = workspace.join("vault-password-file");
    fs::write(&password, format!("{PASSWORD}\n")).unwrap();
    let stand_ins = format!(
        "set -e\nMANAGER=dragon@manager\nMANAGER_HOME='{}'\nHOME='{}'\nSSH_PRIVATE_KEY='{}'\n\
         SSH_KNOWN_HOSTS='manager ssh-ed25519 AAAAC3Nza'\nVAULT_PASSWORD_FILE='{}'\n\
         remote() {{ case \"$1\" in \"$MANAGER\":*) printf '%s/%s' \"$MANAGER_HOME\" \"${{1#*:}}\" ;; *) printf '%s' \"$1\" ;; esac; }}\n\
         scp() {{ cp \"$(remote \"$1\")\" \"$(remote \"$2\")\"; }}\n\
         ssh() {{ shift; (cd \"$MANAGER_HOME\" && /bin/sh -c \"$*\"); }}\n",
        world.backup_dir().display(),
        home.display(),
        key.display(),
        password.display()
    );
    let setup = stage(&doc(), "job-setup");
    world.type_line(&format!("{stand_ins}{}\n{}\n", setup.join("\n"), lines.join("\n")), workspace, env)
}

/// The doc's stages are what its GitLab CI and GitHub Actions jobs run, line for line.
#[test]
fn both_example_jobs_run_the_stages_the_doc_gives() {
    let doc = doc();
    let (gitlab, github) = (doc.find("## GitLab CI").unwrap(), doc.find("## GitHub Actions").unwrap());
    for tag in ["job-setup", "plan-stage", "apply-stage"] {
        for line in stage(&doc, tag) {
            assert!(doc[gitlab..github].contains(&format!("    - {line}\n")), "GitLab CI lacks: {line}");
            assert!(doc[github..].contains(&format!("          {line}\n")), "GitHub Actions lacks: {line}");
        }
    }
}

/// The plan approved is the plan applied, the vault password reaching osism from the masked
/// file variable through a private file on the manager that is gone when each stage ends.
#[test]
fn the_plan_approved_is_the_plan_applied() {
    let world = World::new();
    fs::remove_file(world.configuration().join("environments/.vault_pass")).unwrap();
    let workspace = world.path().join("job");
    fs::create_dir(&workspace).unwrap();
    let doc = doc();
    let out = run_stage(&world, &workspace, &stage(&doc, "plan-stage"), &[]);
    assert_eq!(out.status.code(), Some(0), "plan: {}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("3. Delete the manager service and its volumes"), "{}", stdout(&out));
    assert!(stdout(&out).contains("osism set vault password < "), "{}", stdout(&out));
    assert!(workspace.join("manager-reset.plan").exists(), "no artifact");
    assert!(world.runbook_calls().is_empty(), "the plan stage ran {:?}", world.runbook_calls());
    let secrets = world.backup_dir().join("manager-reset.vault");
    assert!(!secrets.exists(), "the plan stage left the vault password on the manager");
    let ssh = workspace.join("home/.ssh");
    assert_eq!(fs::metadata(ssh.join("id_ed25519")).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(fs::read_to_string(ssh.join("known_hosts")).unwrap(), "manager ssh-ed25519 AAAAC3Nza\n");

    let out = run_stage(&world, &workspace, &stage(&doc, "apply-stage"), &[]);
    assert_eq!(out.status.code(), Some(0), "apply: {}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("step 8: done"), "{}", stdout(&out));
    assert_eq!(world.runbook_calls().len(), 9, "{:?}", world.runbook_calls());
    assert!(!secrets.exists(), "the apply stage left the vault password on the manager");
    let stored = fs::read_to_string(world.state().join("redis/ansible_vault_password")).unwrap();
    assert_eq!(stored, PASSWORD, "osism did not get the password");
    let job_log = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!job_log.contains(PASSWORD), "the job log shows the vault password");
}

/// The one sudoers line the doc gives is the one the tool asks for, limited to the unit's stop
/// and start.
#[test]
fn the_docs_sudoers_line_is_the_one_the_tool_asks_for() {
    let world = World::new();
    world.hand_to_operator();
    let out =
        world.run_as_operator(&["--dry-run", "--service", "manager.service"], &[("FAKE_SUDO", "password")]);
    let said = stdout(&out);
    let start =
        said.find("a sudoers line such as `").expect("the sudoers line") + "a sudoers line such as `".len();
    let line = &said[start..start + said[start..].find('`').unwrap()];
    let user = line.split(' ').next().unwrap();
    let systemctl = world.bin_dir().join("systemctl").display().to_string();
    let as_documented = line.replacen(user, "dragon", 1).replace(&systemctl, "/usr/bin/systemctl");
    assert!(
        doc().contains(&format!("echo '{as_documented}'")),
        "the doc's sudoers line is not {as_documented}"
    );
}

/// What the doc says the jobs need, they have: the image's tools, the approval gate, artifacts
/// kept when a job fails.
#[test]
fn the_jobs_have_their_tools_their_approval_gate_and_their_artifacts_on_failure() {
    let doc = doc();
    let (gitlab, github) = (doc.find("## GitLab CI").unwrap(), doc.find("## GitHub Actions").unwrap());
    let (gitlab, github) = (&doc[gitlab..github], &doc[github..]);
    assert!(gitlab.contains("image: debian:bookworm-slim"));
    assert!(gitlab.contains("apt-get install -y -q --no-install-recommends openssh-client jq"));
    assert!(gitlab.contains("  environment:\n    name: manager-reset\n"), "no protected environment");
    assert_eq!(
        gitlab.matches("    when: always\n").count(),
        2,
        "a GitLab job loses its artifacts on failure"
    );
    assert!(github.contains("    environment: manager-reset\n"), "no environment with reviewers");
    assert_eq!(github.matches("      - if: always()\n").count(), 2, "a GitHub job loses its artifacts");
    assert!(!github.contains("${{ secrets.SSH_PRIVATE_KEY }}\""), "a secret spliced into a script");
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
    // The job log shows each problem's kind and its whole sentence, not the JSON object.
    let line = stdout(&out).lines().find(|l| l.starts_with("problem (")).map(str::to_owned);
    let line = line.unwrap_or_else(|| panic!("the job log does not show why: {}", stdout(&out)));
    assert!(line.starts_with("problem (project): ") && line.contains(" holds no compose file ("), "{line}");
    assert!(line.ends_with(": point --project-directory at the manager's directory"), "{line}");
}
