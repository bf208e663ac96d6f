//! What the README and `--help` tell operators, held to what the tool does: the JSON plan's
//! fields, its table of options, and when the vault step is planned.
#![allow(clippy::disallowed_methods)] // the operator's own tar makes the archive to restore

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::support::{World, stderr, stdout};

/// The top-level fields of the JSON document `out` printed.
fn fields(out: &std::process::Output) -> BTreeSet<String> {
    let document: serde_json::Value = serde_json::from_str(&stdout(out)).unwrap_or_else(|e| {
        panic!("{e}: {}{}", stdout(out), stderr(out));
    });
    document.as_object().unwrap().keys().cloned().collect()
}

/// Every top-level field of `--dry-run --output json`'s plan is in README's table of them, and
/// nothing the table names is missing: a dry run with every optional part (an archive to
/// restore, the image to pull), and a look at a resume.
#[test]
fn the_readme_names_every_field_of_the_json_plan_and_no_other() {
    let readme =
        fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let documented: BTreeSet<String> = crate::tidy::table_rows(&readme, "#### The JSON plan")
        .into_iter()
        .map(|row| row[0].trim_matches('`').to_owned())
        .collect();

    let world = World::new();
    let kept = world.path().join("kept");
    fs::create_dir_all(&kept).unwrap();
    fs::set_permissions(&kept, fs::Permissions::from_mode(0o700)).unwrap();
    let archive = kept.join("manager-share-20261125.tar.gz");
    let parent = world.share().parent().unwrap().to_owned();
    let tar = Command::new("tar").arg("-czf").arg(&archive).arg("-C").arg(parent).arg("share").status();
    assert!(tar.unwrap().success());
    let restore = archive.to_str().unwrap();
    let dry = world.run(
        &["--dry-run", "--output", "json", "--restore-from", restore, "--keep-volume", "mariadb"],
        &[("FAKE_IMAGE_MISSING", "1"), ("FAKE_ACTIVE", "manager.service")],
    );
    let mut found = fields(&dry);

    let failed = world.run(&["--yes"], &[("FAKE_FAIL", "osism apply*")]);
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    found.extend(fields(&world.run(&["--resume", "--dry-run", "--output", "json"], &[])));
    // Finished, its archive moved away: the next reset of the day keeps its files aside.
    let finished = world.run(&["--resume", "--yes"], &[]);
    assert_eq!(finished.status.code(), Some(0), "{}", stderr(&finished));
    let today = world.backup_file(".tar.gz");
    fs::rename(&today, kept.join(today.file_name().unwrap())).unwrap();
    found.extend(fields(&world.run(&["--dry-run", "--output", "json"], &[])));

    assert_eq!(documented, found, "README's table of the JSON plan's fields, against the plan's");
}

/// The vault step is planned whatever `osism vault check` says (a password set or not, no key
/// file, or no answer), unless environments/.vault_pass serves osism's runs: `--help` says so.
#[test]
fn help_says_when_the_vault_step_is_planned_as_the_planner_plans_it() {
    use osism_manager_reset::plan::{StepKind, VaultState};
    for state in [
        VaultState::Set,
        VaultState::NotSet,
        VaultState::NoKeyFile,
        VaultState::InvalidKeyFile,
        VaultState::Broken,
        VaultState::Unknown,
    ] {
        for vault_pass in [false, true] {
            let plan = crate::support::plan_with(&[], 0, "/root", |facts| {
                facts.vault.state = state;
                facts.vault.vault_pass = vault_pass;
            });
            let planned = plan.steps.iter().any(|s| s.kind == StepKind::SetVaultPassword);
            assert_eq!(planned, !vault_pass, "{state:?}, .vault_pass {vault_pass}");
        }
    }
    use clap::CommandFactory;
    let help = osism_manager_reset::plan::cli::Args::command().render_long_help().to_string();
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains(
            "Unless environments/.vault_pass in the configuration repository serves osism's runs, one step \
             the runbook lacks sets the Ansible vault password again"
        ),
        "{help}"
    );
    assert!(!help.contains("Where a vault password is set"), "{help}");
}

/// `make deb` installs cargo-deb from crates.io where it is missing: the README's Install
/// section says so, with the Makefile's own command and where it goes.
#[test]
fn the_install_section_says_that_make_deb_installs_cargo_deb() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let makefile = fs::read_to_string(root.join("Makefile")).unwrap();
    let recipe = makefile.split("\ndeb:").nth(1).unwrap().lines().take_while(|l| !l.is_empty());
    let install = recipe.filter_map(|l| l.split("$(CARGO) ").nth(1)).find(|c| c.starts_with("install"));
    let command = format!("cargo {}", install.expect("the deb target installs nothing"));
    let readme = fs::read_to_string(root.join("README.md")).unwrap();
    let section = readme.split("\n## Install\n").nth(1).unwrap().split("\n## ").next().unwrap();
    let section = section.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [&format!("`{command}`") as &str, "`~/.cargo/bin`", "crates.io"] {
        assert!(section.contains(needle), "README's Install section does not say {needle}");
    }
}

/// README's table of options follows from the options' one definition (clap's, which `--help`
/// and the man page are made from): a row for every option and no other, each with the value it
/// takes, its environment variable and its default as clap has them.
#[test]
fn the_readmes_option_table_is_the_parsers() {
    use clap::CommandFactory;
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let rows = crate::tidy::table_rows(&readme, "## Options");
    let mut command = osism_manager_reset::plan::cli::Args::command();
    command.build();
    let arguments: Vec<&clap::Arg> =
        command.get_arguments().filter(|a| !a.is_hide_set() && a.get_long().is_some()).collect();
    let mut expected = Vec::new();
    for arg in arguments {
        let long = format!("--{}", arg.get_long().unwrap());
        let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values()) && !arg.is_positional();
        let value = match (takes_value, arg.get_value_names()) {
            (false, _) => String::new(),
            (true, _) if !arg.get_possible_values().is_empty() => format!(
                " {}",
                arg.get_possible_values()
                    .iter()
                    .map(|v| v.get_name().to_owned())
                    .collect::<Vec<_>>()
                    .join("\\|")
            ),
            (true, Some(names)) => format!(" {}", names[0]),
            (true, None) => format!(" {}", arg.get_id().as_str().to_uppercase()),
        };
        let option = match arg.get_short() {
            Some(short) => format!("`-{short}`, `{long}{value}`"),
            None => format!("`{long}{value}`"),
        };
        let env = arg.get_env().map(|e| format!("`{}`", e.to_string_lossy())).unwrap_or_default();
        let default = match arg.get_default_values() {
            [one] if !arg.is_hide_default_value_set() && takes_value => {
                format!("`{}`", one.to_string_lossy())
            }
            _ => String::new(),
        };
        expected.push((option, env, default));
    }
    let found: Vec<(String, String, String)> = rows
        .iter()
        .map(|row| {
            // A default the parser does not hold (detected, the current directory) is said in prose.
            let default = if row[2].starts_with('`') { row[2].clone() } else { String::new() };
            (row[0].clone(), row[1].clone(), default)
        })
        .collect();
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    let mut found_sorted = found.clone();
    found_sorted.sort();
    assert_eq!(found_sorted, expected_sorted, "README's option table, as it should be: {expected:#?}");
}
