//! The plan against the runbook: the exact command lines, pinned literally and by snapshots.

use crate::support::plan_for;

/// The runbook's eight commands, resolved for dragon in /home/dragon on 2024-05-06.
const RUNBOOK_LINES: &str = "\
sudo systemctl stop docker-compose@manager.service
docker run --rm --mount source=manager_share,target=/share --volume /home/dragon:/backup busybox tar -czvf /backup/manager-share-20240506.tar.gz /share
docker compose --project-directory /opt/manager down -v
sudo systemctl start docker-compose@manager.service
docker run --rm --mount source=manager_share,target=/share --volume /home/dragon:/backup busybox tar -xzvf /backup/manager-share-20240506.tar.gz -C /
docker compose --project-directory /opt/manager ps
osism reconciler sync
osism apply facts";

#[test]
fn default_plan_is_the_runbook_word_for_word() {
    let plan = plan_for(&[], 1000, "/home/dragon");
    assert_eq!(crate::support::display_lines(&plan).collect::<Vec<_>>().join("\n"), RUNBOOK_LINES);
    assert_eq!(plan.backup_file, "/home/dragon/manager-share-20240506.tar.gz");
}

#[test]
fn seven_steps_and_only_down_destroys() {
    let plan = plan_for(&[], 1000, "/home/dragon");
    let numbers: Vec<_> = plan.steps.iter().map(|s| s.number).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7]);
    let destructive: Vec<_> = plan.steps.iter().filter(|s| s.destructive).map(|s| s.number).collect();
    assert_eq!(destructive, [3]);
}

#[test]
fn root_runs_without_sudo() {
    let plan = plan_for(&[], 0, "/root");
    assert!(crate::support::display_lines(&plan).all(|line| !line.contains("sudo")));
    assert_eq!(plan.steps[0].commands[0].argv, ["systemctl", "stop", "docker-compose@manager.service"]);
}

#[test]
fn backup_and_restore_name_the_same_archive() {
    let plan = plan_for(&[], 1000, "/home/dragon");
    let archive = |n: usize| plan.steps[n].commands[0].argv.iter().find(|a| a.ends_with(".tar.gz")).cloned();
    assert_eq!(archive(1), archive(4));
    assert_eq!(archive(1).as_deref(), Some("/backup/manager-share-20240506.tar.gz"));
}

#[test]
fn odd_names_stay_one_argv_element_and_display_round_trips() {
    let plan = plan_for(
        &["--backup-dir", "/srv/my backups/$(x)", "--service", "manager\\x2d1.service"],
        1000,
        "/home/dragon",
    );
    let backup = &plan.steps[1].commands[0];
    assert!(backup.argv.contains(&"/srv/my backups/$(x):/backup".to_string()));
    for command in plan.steps.iter().flat_map(|s| &s.commands) {
        assert_eq!(shlex::split(&command.display).as_ref(), Some(&command.argv), "{}", command.display);
    }
}

/// Every option of `--help` that shapes the plan is defined once, in the table the comparisons,
/// the plan made again and the typed commands loop over; README's options and the man page
/// name each.
#[test]
fn every_plan_shaping_option_is_in_the_one_table_the_readme_and_the_man_page() {
    use clap::CommandFactory;
    use osism_manager_reset::plan::options::record::PLAN_OPTIONS;
    // What decides the mode or the output, not the plan.
    const NOT_THE_PLAN: [&str; 14] = [
        "dry-run",
        "yes",
        "resume",
        "save-plan",
        "plan",
        "detailed-exitcode",
        "output",
        "plugin-metadata",
        "enable-osism-command",
        "disable-osism-command",
        "operator",
        "generate",
        "help",
        "version",
    ];
    let command = osism_manager_reset::plan::cli::Args::command();
    let mut shaping: Vec<&str> =
        command.get_arguments().filter_map(|a| a.get_long()).filter(|l| !NOT_THE_PLAN.contains(l)).collect();
    shaping.sort_unstable();
    let mut table: Vec<&str> = PLAN_OPTIONS.iter().map(|o| o.long).collect();
    table.sort_unstable();
    assert_eq!(
        shaping, table,
        "an option shapes the plan but is not in PLAN_OPTIONS, or the other way round"
    );
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let options = &readme[readme.find("## Options").unwrap()..];
    let man = crate::support::stdout(
        &crate::clean_command::clean_command(env!("CARGO_BIN_EXE_osism-manager-reset"))
            .args(["--generate", "man"])
            .output()
            .unwrap(),
    );
    for long in table {
        assert!(options.contains(&format!("`--{long}")), "README's options do not name --{long}");
        let in_man = format!("\\-\\-{}", long.replace('-', "\\-"));
        assert!(man.contains(&in_man), "the man page does not name --{long}");
    }
}
