//! The runbook as data: a pure function from a config and a few facts to the plan.
//!
//! The plan holds every step of `shared/runbook/manager-reset.md` with its exact argv and the
//! display line the operator reads. It does no I/O and cannot fail; the dry run prints it, the
//! journal stores it and the executor runs it, so what was approved is what runs.

use camino::Utf8PathBuf;
use serde::{Deserialize, Serialize};
use time::Date;
use time::macros::format_description;

use crate::config::Config;
use crate::quote;

/// What the planner needs to know about the world besides the config.
#[derive(Debug, Clone)]
pub struct Facts {
    /// Today's local date, read once: backup and restore name the same file past midnight.
    pub date: Date,
    pub euid: u32,
    /// The compose project's name, which the operator types to confirm.
    pub project: String,
    pub service: Service,
    /// The volumes `down -v` deletes; `None` when Docker could not be asked.
    pub volumes_deleted: Option<Vec<String>>,
}

/// The systemd unit that runs the manager, and why this one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub unit: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// `YYYYMMDD`, as `$(date +%Y%m%d)` printed it when the plan was made.
    pub date: String,
    pub project: String,
    pub project_directory: Utf8PathBuf,
    pub share_volume: String,
    pub image: String,
    pub backup_dir: Utf8PathBuf,
    pub backup_file: Utf8PathBuf,
    pub service: Service,
    pub volumes_deleted: Option<Vec<String>>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub number: usize,
    pub kind: StepKind,
    pub title: String,
    pub destructive: bool,
    pub commands: Vec<Command>,
}

/// What a step does, so the executor knows which checks belong before and after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    StopService,
    BackupShare,
    RemoveProject,
    StartService,
    RestoreShare,
    CheckHealth,
    RebuildInventory,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    pub argv: Vec<String>,
    /// `argv` shell-quoted: pasted into a shell, it runs the same command.
    pub display: String,
}

impl Command {
    fn new<S: Into<String>>(argv: impl IntoIterator<Item = S>) -> Command {
        let argv: Vec<String> = argv.into_iter().map(Into::into).collect();
        Command { display: quote::join(&argv), argv }
    }
}

/// The name `$(date +%Y%m%d)` gives `date`.
pub fn date_stamp(date: Date) -> String {
    date.format(format_description!("[year][month][day]")).expect("a date always formats")
}

/// Where `$(pwd)/manager-share-$(date +%Y%m%d).tar.gz` lands.
pub fn archive_path(config: &Config, date: Date) -> Utf8PathBuf {
    config.backup_dir.join(format!("manager-share-{}.tar.gz", date_stamp(date)))
}

pub fn build(config: &Config, facts: &Facts) -> Plan {
    let date = date_stamp(facts.date);
    let backup_file = archive_path(config, facts.date);
    let archive = backup_file.file_name().unwrap_or_default();
    let in_container = format!("/backup/{archive}");
    let project = config.project_directory.as_str();
    let unit = facts.service.unit.as_str();

    let systemctl = |verb: &str| {
        let sudo = (facts.euid != 0).then_some("sudo");
        Command::new(sudo.into_iter().chain(["systemctl", verb, unit]))
    };
    let tar_in_container = |tar_args: &[&str]| {
        let mount = format!("source={},target=/share", config.share_volume);
        let volume = format!("{}:/backup", config.backup_dir);
        let head = ["docker", "run", "--rm", "--mount", &mount, "--volume", &volume];
        Command::new(head.into_iter().chain([config.image.as_str(), "tar"]).chain(tar_args.iter().copied()))
    };
    let compose = |verb: &[&str]| {
        Command::new(
            ["docker", "compose", "--project-directory", project].into_iter().chain(verb.iter().copied()),
        )
    };

    let steps = [
        (StepKind::StopService, "Stop the manager service", vec![systemctl("stop")]),
        (
            StepKind::BackupShare,
            "Back up the /share volume",
            vec![tar_in_container(&["-czvf", &in_container, "/share"])],
        ),
        (
            StepKind::RemoveProject,
            "Delete the manager service and its volumes",
            vec![compose(&["down", "-v"])],
        ),
        (StepKind::StartService, "Start the manager service", vec![systemctl("start")]),
        (
            StepKind::RestoreShare,
            "Restore the /share volume",
            vec![tar_in_container(&["-xzvf", &in_container, "-C", "/"])],
        ),
        (StepKind::CheckHealth, "Check that the manager service is healthy", vec![compose(&["ps"])]),
        (
            StepKind::RebuildInventory,
            "Rebuild the inventory and the fact cache",
            vec![Command::new(["osism", "reconciler", "sync"]), Command::new(["osism", "apply", "facts"])],
        ),
    ];
    Plan {
        date,
        project: facts.project.clone(),
        project_directory: config.project_directory.clone(),
        share_volume: config.share_volume.clone(),
        image: config.image.clone(),
        backup_dir: config.backup_dir.clone(),
        backup_file,
        service: facts.service.clone(),
        volumes_deleted: facts.volumes_deleted.clone(),
        steps: steps
            .into_iter()
            .enumerate()
            .map(|(i, (kind, title, commands))| Step {
                number: i + 1,
                kind,
                title: title.to_owned(),
                destructive: kind == StepKind::RemoveProject,
                commands,
            })
            .collect(),
    }
}

impl Plan {
    /// Every display line, in the order they run.
    pub fn display_lines(&self) -> impl Iterator<Item = &str> {
        self.steps.iter().flat_map(|s| &s.commands).map(|c| c.display.as_str())
    }

    /// The transcript beside the archive, named after the same date.
    pub fn log_path(&self) -> Utf8PathBuf {
        self.backup_dir.join(format!("manager-reset-{}.log", self.date))
    }
}
