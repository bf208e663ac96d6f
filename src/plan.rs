//! The runbook as data: a pure function from a config and a few facts to the plan.
//!
//! The plan holds every step of `shared/runbook/manager-reset.md` with its exact argv and the
//! display line the operator reads. It does no I/O and cannot fail; the dry run prints it, the
//! journal stores it and the executor runs it, so what was approved is what runs.

use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};
use time::Date;
use time::macros::format_description;

use crate::config::Config;
use crate::quote;

/// Everything the planner reads: the journal records it, and `--resume` runs only the plan it
/// makes again from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inputs {
    pub options: Options,
    pub facts: Facts,
}

/// What the planner reads of the operator's options (see `Config`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    pub project_directory: Utf8PathBuf,
    pub share_volume: String,
    pub image: String,
    pub backup_dir: Utf8PathBuf,
    pub vault_password_file: Option<Utf8PathBuf>,
    /// `--health-timeout`: how long the started manager may take.
    pub health_timeout_s: u64,
    /// The manager's configuration repository, where `environments/.vault_pass` may be.
    pub configuration_directory: Utf8PathBuf,
    /// `--delete-vault-data`: the operator agreed that `down -v` deletes Vault's storage.
    #[serde(default)]
    pub delete_vault_data: bool,
}

impl From<&Config> for Options {
    fn from(config: &Config) -> Options {
        Options {
            project_directory: config.project_directory.clone(),
            share_volume: config.share_volume.clone(),
            image: config.image.clone(),
            backup_dir: config.backup_dir.clone(),
            vault_password_file: config.vault_password_file.clone(),
            health_timeout_s: config.health_timeout.as_secs(),
            configuration_directory: config.configuration_directory.clone(),
            delete_vault_data: config.delete_vault_data,
        }
    }
}

/// What the share volume holds, counted inside a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareSize {
    /// Paths under /share, /share itself included: the entries tar writes.
    pub entries: u64,
    pub kib: u64,
}

/// What the planner needs to know about the world besides the options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    /// Today's local date, read once: backup and restore name the same file past midnight.
    pub date: Date,
    pub euid: u32,
    /// The compose project's name, which the operator types to confirm.
    pub project: String,
    pub service: Service,
    /// The volumes `down -v` deletes and keeps; `None` when Docker could not be asked.
    pub volumes: Option<Volumes>,
    /// Where the vault password comes from, and whether one is set in Redis, which `down -v`
    /// empties.
    pub vault: Vault,
    /// Whether the operator sits at a terminal (standard input and error), where osism's own
    /// prompt can ask for the vault password.
    pub terminal: bool,
    /// What /share holds; `None` when it could not be measured.
    #[serde(default)]
    pub share: Option<ShareSize>,
    /// The free space where the archive goes, in KiB; `None` when it could not be read.
    #[serde(default)]
    pub free_kib: Option<u64>,
}

/// The systemd unit that runs the manager, and why this one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub unit: String,
    pub reason: String,
}

/// What `docker compose down -v` deletes: the named volumes the compose configuration declares
/// (their real names, external ones excluded) and the anonymous volumes of the project's
/// containers. Volumes labelled with the project that the configuration no longer declares are
/// kept by `down -v`, and by the reset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Volumes {
    pub named: Vec<String>,
    pub anonymous: Vec<AnonymousVolume>,
    pub kept: Vec<String>,
    /// Of `named`, HashiCorp Vault's storage: nothing brings it back.
    #[serde(default)]
    pub vault: Vec<String>,
    /// What the services bind-mount from the host: `down -v` leaves it alone.
    #[serde(default)]
    pub bind_mounts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnonymousVolume {
    /// The compose service whose container holds it.
    pub service: String,
    pub volume: String,
}

impl Volumes {
    /// Every volume `down -v` deletes, named first.
    pub fn deleted(&self) -> impl Iterator<Item = &str> {
        self.named.iter().map(String::as_str).chain(self.anonymous.iter().map(|a| a.volume.as_str()))
    }
}

/// Where osism's Ansible runs get the vault password, and what `osism vault check --format
/// script` said of the one in Redis, which `down -v` deletes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vault {
    pub state: VaultState,
    /// What osism printed, or why it could not be asked.
    pub detail: String,
    /// `environments/.vault_pass` is in the configuration repository: the runs read the password
    /// there, and the reset takes nothing from them.
    #[serde(default)]
    pub vault_pass: bool,
}

impl Vault {
    pub fn new(state: VaultState, detail: String) -> Vault {
        Vault { state, detail, vault_pass: false }
    }

    /// Whether the password has to be set again after `down -v`: unless `.vault_pass` serves
    /// the runs, they have none once Redis is empty, whatever `vault check` said before.
    pub fn needs_setting(&self) -> bool {
        !self.vault_pass
    }
}

/// What `osism vault check --format script` said (python-osism 0.20261023.0's reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VaultState {
    /// `PASSED`: a working password is in Redis.
    Set,
    /// `password_not_set`: a key file, no password: osism's runs fail already.
    NotSet,
    /// `keyfile_missing`: no key file in /share, so no password was set with osism.
    NoKeyFile,
    /// `invalid_keyfile`: the key file is no Fernet key; `osism set vault password` fails with it.
    InvalidKeyFile,
    /// `decryption_failed`, `password_empty`, `wrong_password`: a password that does not work.
    Broken,
    /// osism could not tell (osismclient not running, Redis unreachable, an older osism).
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    /// `None` when Docker could not be asked.
    pub volumes: Option<Volumes>,
    pub vault: Vault,
    /// The operator agreed that `down -v` deletes Vault's storage.
    #[serde(default)]
    pub delete_vault_data: bool,
    /// What /share holds, and the free space where the archive goes (KiB), as measured.
    #[serde(default)]
    pub share: Option<ShareSize>,
    #[serde(default)]
    pub free_kib: Option<u64>,
    pub health_timeout_s: u64,
    /// What the operator should know before approving that is not a step.
    pub warnings: Vec<String>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub number: usize,
    pub kind: StepKind,
    pub title: String,
    pub destructive: bool,
    /// False for the steps the tool adds to the runbook's.
    pub in_runbook: bool,
    /// What must hold before the commands run.
    pub before: Vec<Check>,
    pub commands: Vec<Command>,
    /// What must hold before the step counts as done.
    pub after: Vec<Check>,
}

/// A safeguard around a step's commands, run by the executor from the plan, shown by the dry
/// run and approved with the commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "check")]
pub enum Check {
    /// No container of the compose project runs: a live /share is never backed up.
    ProjectStopped,
    /// The archive file exists, mode 0600, before tar writes into it.
    ArchivePrivate,
    /// The archive is synced to disk, read back whole and equal to /share entry by entry; its
    /// checksum is recorded.
    ArchiveMatchesShare,
    /// The archive still matches the checksum it was verified with.
    ArchiveUnchanged,
    /// /share still holds what the archive holds, compared again entry by entry unless this
    /// run compared them itself after step 2: a resumed run takes no journal's word for it.
    ShareStillMatchesArchive,
    /// None of the volumes `down -v` was to delete is left.
    VolumesGone,
    /// Compose has created the share volume for the project, within the timeout, and the unit
    /// has not failed meanwhile.
    ShareVolumeCreated { timeout_s: u64 },
    /// Every archived entry is in /share as archived, but for the running manager's own writes.
    ShareMatchesArchive,
    /// Every container runs and is healthy, within the timeout, and the unit has not failed.
    Healthy { timeout_s: u64 },
    /// `osism vault check` passes.
    VaultPasses,
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
    SetVaultPassword,
    RebuildInventory,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Command {
    pub argv: Vec<String>,
    /// `argv` shell-quoted, with its redirection: pasted into a shell, it runs the same command.
    pub display: String,
    #[serde(default, skip_serializing_if = "Stdin::is_null")]
    pub stdin: Stdin,
}

/// Where a command's standard input comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "from", content = "path")]
pub enum Stdin {
    /// Nothing: no command of the runbook reads its input.
    #[default]
    Null,
    /// A file, opened by the tool and handed over; the tool never reads it.
    File(Utf8PathBuf),
    /// The operator's terminal, for a prompt of the command's own.
    Terminal,
}

impl Stdin {
    fn is_null(&self) -> bool {
        *self == Stdin::Null
    }
}

impl Command {
    fn new<S: Into<String>>(argv: impl IntoIterator<Item = S>) -> Command {
        Command::with_stdin(argv, Stdin::Null)
    }

    fn with_stdin<S: Into<String>>(argv: impl IntoIterator<Item = S>, stdin: Stdin) -> Command {
        let argv: Vec<String> = argv.into_iter().map(Into::into).collect();
        let mut display = quote::join(&argv);
        if let Stdin::File(path) = &stdin {
            display = format!("{display} < {}", quote::join(&[path.to_string()]));
        }
        Command { display, argv, stdin }
    }
}

/// How a journal's name begins and ends, the date between.
pub const JOURNAL_PREFIX: &str = "manager-reset-";
pub const JOURNAL_SUFFIX: &str = ".journal.json";

/// The command that continues the unfinished reset of the manager in `project` recorded in
/// `backup_dir`, typed anywhere: the project directory is named unless it is the default.
pub fn resume_command(backup_dir: &Utf8Path, project: &Utf8Path) -> String {
    let mut argv: Vec<String> =
        ["osism-manager-reset", "--resume", "--backup-dir", backup_dir.as_str()].map(String::from).into();
    if project != crate::cli::DEFAULT_PROJECT_DIRECTORY {
        argv.extend(["--project-directory".to_owned(), project.to_string()]);
    }
    quote::join(&argv)
}

/// The name `$(date +%Y%m%d)` gives `date`.
pub fn date_stamp(date: Date) -> String {
    date.format(format_description!("[year][month][day]")).expect("a date always formats")
}

/// Where `$(pwd)/manager-share-$(date +%Y%m%d).tar.gz` lands, `$(pwd)` being `backup_dir`.
pub fn archive_path(backup_dir: &Utf8Path, date: Date) -> Utf8PathBuf {
    backup_dir.join(format!("manager-share-{}.tar.gz", date_stamp(date)))
}

pub fn build(inputs: &Inputs) -> Plan {
    let (config, facts) = (&inputs.options, &inputs.facts);
    let date = date_stamp(facts.date);
    let backup_file = archive_path(&config.backup_dir, facts.date);
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

    let timeout_s = config.health_timeout_s;
    let mut steps = vec![
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
    ];
    let mut warnings = Vec::new();
    if let Some(stdin) = vault_stdin(config, facts) {
        steps.push((
            StepKind::SetVaultPassword,
            "Set the Ansible vault password again",
            vec![Command::with_stdin(["osism", "set", "vault", "password"], stdin)],
        ));
        warnings.extend(vault_warning(&facts.vault));
    }
    steps.extend([(
        StepKind::RebuildInventory,
        "Rebuild the inventory and the fact cache",
        vec![Command::new(["osism", "reconciler", "sync"]), Command::new(["osism", "apply", "facts"])],
    )]);
    Plan {
        date,
        project: facts.project.clone(),
        project_directory: config.project_directory.clone(),
        share_volume: config.share_volume.clone(),
        image: config.image.clone(),
        backup_dir: config.backup_dir.clone(),
        backup_file,
        service: facts.service.clone(),
        volumes: facts.volumes.clone(),
        vault: facts.vault.clone(),
        delete_vault_data: config.delete_vault_data,
        share: facts.share,
        free_kib: facts.free_kib,
        health_timeout_s: config.health_timeout_s,
        warnings,
        steps: steps
            .into_iter()
            .enumerate()
            .map(|(i, (kind, title, commands))| {
                let (before, after) = checks(kind, timeout_s);
                Step {
                    number: i + 1,
                    kind,
                    title: title.to_owned(),
                    destructive: kind == StepKind::RemoveProject,
                    in_runbook: kind != StepKind::SetVaultPassword,
                    before,
                    commands,
                    after,
                }
            })
            .collect(),
    }
}

/// The checks before and after a step of `kind`: what makes the runbook safe for /share.
fn checks(kind: StepKind, timeout_s: u64) -> (Vec<Check>, Vec<Check>) {
    use Check::*;
    match kind {
        StepKind::StopService => (vec![], vec![ProjectStopped]),
        StepKind::BackupShare => (vec![ArchivePrivate], vec![ArchiveMatchesShare]),
        StepKind::RemoveProject => (vec![ArchiveUnchanged, ShareStillMatchesArchive], vec![VolumesGone]),
        StepKind::StartService => (vec![], vec![ShareVolumeCreated { timeout_s }]),
        StepKind::RestoreShare => (vec![ArchiveUnchanged], vec![ShareMatchesArchive]),
        StepKind::CheckHealth => (vec![Healthy { timeout_s }], vec![]),
        StepKind::SetVaultPassword => (vec![], vec![VaultPasses]),
        StepKind::RebuildInventory => (vec![], vec![]),
    }
}

/// Where `osism set vault password` reads the password from, if the plan sets it again: the
/// password file, else osism's own prompt (with no terminal, preflight refuses that plan).
fn vault_stdin(config: &Options, facts: &Facts) -> Option<Stdin> {
    if !facts.vault.needs_setting() {
        return None;
    }
    Some(config.vault_password_file.clone().map_or(Stdin::Terminal, Stdin::File))
}

/// What the operator should know of the password the step sets, where it is not simply the one
/// set now coming back.
fn vault_warning(vault: &Vault) -> Option<String> {
    let why = match vault.state {
        VaultState::Set | VaultState::InvalidKeyFile => return None,
        VaultState::NotSet => "no vault password is set now, so osism's Ansible runs fail already",
        VaultState::NoKeyFile => {
            "no vault key file is in /share and no environments/.vault_pass in the configuration, so \
             osism's Ansible runs fail already (osism makes a key file when the password is set)"
        }
        VaultState::Broken => "the vault password set now does not work",
        VaultState::Unknown => "whether a vault password is set cannot be told",
    };
    Some(format!("{why} ({}): the step after the health check sets the one given", vault.detail))
}

impl Plan {
    /// The step of this kind, if the plan has one.
    pub fn step(&self, kind: StepKind) -> Option<&Step> {
        self.steps.iter().find(|s| s.kind == kind)
    }

    /// The password file the vault step reads, if it reads one.
    pub fn vault_password_file(&self) -> Option<&Utf8PathBuf> {
        self.step(StepKind::SetVaultPassword)?.commands.iter().find_map(|c| match &c.stdin {
            Stdin::File(path) => Some(path),
            Stdin::Null | Stdin::Terminal => None,
        })
    }

    /// Every display line, in the order they run.
    pub fn display_lines(&self) -> impl Iterator<Item = &str> {
        self.steps.iter().flat_map(|s| &s.commands).map(|c| c.display.as_str())
    }

    /// HashiCorp Vault's storage among what `down -v` deletes.
    pub fn vault_storage(&self) -> &[String] {
        self.volumes.as_ref().map_or(&[], |v| v.vault.as_slice())
    }

    /// The command that continues this reset, should it stop.
    pub fn resume_command(&self) -> String {
        resume_command(&self.backup_dir, &self.project_directory)
    }

    /// The journal beside the archive, named after the same date.
    pub fn journal_path(&self) -> Utf8PathBuf {
        self.backup_dir.join(format!("{JOURNAL_PREFIX}{}{JOURNAL_SUFFIX}", self.date))
    }

    /// The transcript beside the archive, named after the same date.
    pub fn log_path(&self) -> Utf8PathBuf {
        self.backup_dir.join(format!("manager-reset-{}.log", self.date))
    }
}
