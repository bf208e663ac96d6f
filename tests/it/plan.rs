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

/// A sample value for an option that takes `value_name`, unlike its default.
fn sample(id: &str, value_name: &str) -> String {
    match value_name {
        "DIR" | "FILE" => format!("/srv/{id}"),
        "UNIT" => "manager.service".into(),
        "VOLUME" => format!("{id}_a"),
        "IMAGE" => "busybox:1.36".into(),
        "SECONDS" => "60".into(),
        "ARCHIVE" => "/srv/old.tar.gz".into(),
        "HEX" => "0123456789abcdef".repeat(4),
        other => panic!("--{id} takes {other}: give a sample value for it here"),
    }
}

/// Each option that shapes the plan is one field of `plan::Options`: walked through clap's list
/// of them, each given a value unlike its default is parsed, checked, recorded as the journal
/// records it, read back, typed again into the command the operator is told to type, and that
/// command plans with the same options; README's options and the man page name each.
#[test]
fn each_plan_option_is_one_field_from_the_command_line_to_the_journal_and_back() {
    use clap::{ArgAction, Args as _, Parser};
    use osism_manager_reset::plan::cli::{Args, Sources};
    use osism_manager_reset::plan::config::Config;
    use osism_manager_reset::plan::options::record::typed;
    use osism_manager_reset::plan::{Inputs, Options};
    let options = Options::augment_args(clap::Command::new("options"));
    let mut words: Vec<String> = Vec::new();
    for arg in options.get_arguments() {
        words.push(format!("--{}", arg.get_long().unwrap()));
        if !matches!(arg.get_action(), ArgAction::SetTrue) {
            let value = sample(arg.get_id().as_str(), arg.get_value_names().unwrap()[0].as_str());
            // Two values where it takes a list.
            words.push(match arg.get_value_delimiter() {
                Some(comma) => format!("{value}{comma}{value}2"),
                None => value,
            });
        }
    }
    let config = |words: &[String]| {
        let argv = std::iter::once("osism-manager-reset").chain(words.iter().map(String::as_str));
        Config::new(
            Args::try_parse_from(argv).unwrap(),
            camino::Utf8Path::new("/home/dragon"),
            &Sources::default(),
        )
        .unwrap()
    };
    let given = config(&words);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let inputs = crate::support::inputs_with(&words, 1000, "/home/dragon", |_| {});
    let journal = serde_json::to_string(&inputs).unwrap();
    let read: Inputs = serde_json::from_str(&journal).unwrap();
    // The unit is recorded as a fact, with why that unit: given here.
    assert_eq!(read.options, Options { service: None, ..inputs.options.clone() });
    assert_eq!(read.facts, inputs.facts);
    let again = typed(&read, false);
    for arg in options.get_arguments() {
        let long = format!("--{}", arg.get_long().unwrap());
        assert!(again.contains(&long), "{long} is not typed again: {again:?}");
    }
    assert_eq!(config(&again).options, given.options, "typed again: {again:?}");
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let readme = &readme[readme.find("## Options").unwrap()..];
    let man = crate::support::stdout(
        &crate::clean_command::clean_command(env!("CARGO_BIN_EXE_osism-manager-reset"))
            .args(["--generate", "man"])
            .output()
            .unwrap(),
    );
    for long in options.get_arguments().filter_map(|a| a.get_long()) {
        assert!(readme.contains(&format!("`--{long}")), "README's options do not name --{long}");
        let in_man = format!("\\-\\-{}", long.replace('-', "\\-"));
        assert!(man.contains(&in_man), "the man page does not name --{long}");
    }
}

/// A journal's options as the code before `plan::Options` wrote them, every option away from
/// its default (`--service` is recorded among the facts).
const OPTIONS_RECORDED_BEFORE: &str = r#"{
  "project_directory": "/srv/manager",
  "share_volume": "other_share",
  "image": "busybox:1.36",
  "backup_dir": "/srv/b",
  "vault_password_file": "/root/v",
  "health_timeout_s": 60,
  "configuration_directory": "/srv/conf",
  "delete_vault_data": true,
  "keep_volumes": [
    "mariadb",
    "vault_file"
  ],
  "restore_from": "/srv/old.tar.gz",
  "restore_sha256": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
}"#;

/// Journals and saved plans written before each option was defined once still read, as the
/// same options, and the options are written as they were: the journal's format is unchanged.
#[test]
fn options_recorded_before_read_as_they_were_and_are_written_so() {
    use osism_manager_reset::plan::Options;
    let before: serde_json::Value = serde_json::from_str(OPTIONS_RECORDED_BEFORE).unwrap();
    let options: Options = serde_json::from_value(before.clone()).unwrap();
    assert_eq!(serde_json::to_value(&options).unwrap(), before);
    assert_eq!((options.health_timeout_s, options.service), (60, None));
    assert_eq!(options.keep_volumes, ["mariadb", "vault_file"]);
    // An option the earlier code left out where it had no value.
    let mut fewer = before.clone();
    for absent in ["keep_volumes", "delete_vault_data", "restore_from", "restore_sha256"] {
        fewer.as_object_mut().unwrap().remove(absent);
    }
    let options: Options = serde_json::from_value(fewer).unwrap();
    assert_eq!(
        (options.keep_volumes.len(), options.delete_vault_data, options.restore_from),
        (0, false, None)
    );
}
