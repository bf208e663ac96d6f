//! The runbook as data: a pure function from the options and a few facts to the plan.
//!
//! The plan holds every step of `shared/runbook/manager-reset.md` with its exact argv and the
//! display line the operator reads. It does no I/O and cannot fail; the dry run prints it, the
//! journal stores it and the executor runs it, so what was approved is what runs.

use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};

use crate::plan::facts::{Facts, Forecast, KeptVolume, Service, ServiceImage, ShareSize, Vault, Volumes};
use crate::plan::options::record::{Inputs, Options};
use crate::plan::runbook::command::{Command, Stdin};
use crate::plan::runbook::files::{archive_path, date_stamp, left_by_a_reset};
use crate::plan::runbook::guards::{Check, Guards, StepKind, around};
use crate::plan::runbook::restore::RestoreSource;
use crate::plan::runbook::{kept, warnings};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// `YYYYMMDD`, as `$(date +%Y%m%d)` printed it when the plan was made.
    pub date: String,
    pub project: String,
    pub project_directory: Utf8PathBuf,
    pub share_volume: String,
    pub image: String,
    /// The ID `image` named when the plan was made; `None` where the run pulls it first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    pub backup_dir: Utf8PathBuf,
    pub backup_file: Utf8PathBuf,
    pub service: Service,
    /// `None` when Docker could not be asked.
    pub volumes: Option<Volumes>,
    pub vault: Vault,
    /// The operator agreed that `down -v` deletes Vault's storage.
    #[serde(default)]
    pub delete_vault_data: bool,
    /// The volumes `down -v` deletes that the reset keeps (`--keep-volume`), each archived beside
    /// the /share archive (`kept_archive`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept: Vec<KeptVolume>,
    /// What /share holds, and the free space where the archive goes (KiB), as measured.
    #[serde(default)]
    pub share: Option<ShareSize>,
    #[serde(default)]
    pub free_kib: Option<u64>,
    pub health_timeout_s: u64,
    /// What runs after the operator's consent and before step 1, each not in the runbook: sudo's
    /// password asked once, the image's pull where it is not on this host, the unit's own pull
    /// where its start pulls. One that fails refuses the reset, nothing changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prepare: Vec<Command>,
    /// The project's services and their images, which the unit's pull before step 1 may change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<ServiceImage>,
    /// What the unit's pull will change, as the registry said before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forecast: Option<Forecast>,
    /// The archive step 5 restores in place of today's (`--restore-from`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<RestoreSource>,
    /// Today's earlier reset, finished or rolled back, left its journal, records and log where
    /// this one writes them: each is kept aside with this suffix (`.previous-N`) first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier_reset: Option<String>,
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

/// A step before it is numbered and given its checks: what it does, its title, its commands.
type Planned = (StepKind, &'static str, Vec<Command>);

pub fn build(inputs: &Inputs) -> Plan {
    let (config, facts) = (&inputs.options, &inputs.facts);
    let date = date_stamp(facts.date);
    let backup_file = archive_path(&config.backup_dir, facts.date);
    let guards = Guards {
        timeout_s: config.health_timeout_s,
        backup: !backs_up_nothing(facts),
        restore: facts.restore.is_some(),
        password_file: matches!(vault_stdin(config, facts), Some(Stdin::File(_))),
        kept: !facts.kept.is_empty(),
    };
    let mut steps = runbook_steps(config, facts, &backup_file);
    let mut warnings: Vec<String> = facts.exposed.iter().map(warnings::exposed).collect();
    if let Some(stdin) = vault_stdin(config, facts) {
        steps.push((
            StepKind::SetVaultPassword,
            "Set the Ansible vault password again",
            vec![Command::with_stdin(["osism", "set", "vault", "password"], stdin)],
        ));
        warnings.extend(warnings::vault(&facts.vault));
    }
    steps.extend([(
        StepKind::RebuildInventory,
        "Rebuild the inventory and the fact cache",
        vec![Command::new(["osism", "reconciler", "sync"]), Command::new(["osism", "apply", "facts"])],
    )]);
    if facts.kolla_ansible {
        steps.push((
            StepKind::RefreshKollaFacts,
            "Refresh kolla-ansible's fact cache too",
            vec![Command::new(["osism", "sync", "facts"])],
        ));
    }
    Plan {
        date,
        project: facts.project.clone(),
        project_directory: config.project_directory.clone(),
        share_volume: config.share_volume.clone(),
        image: config.image.clone(),
        image_id: facts.image_id.clone(),
        backup_dir: config.backup_dir.clone(),
        backup_file,
        service: facts.service.clone(),
        volumes: facts.volumes.clone(),
        vault: facts.vault.clone(),
        delete_vault_data: config.delete_vault_data,
        kept: facts.kept.clone(),
        share: facts.share,
        free_kib: facts.free_kib,
        health_timeout_s: config.health_timeout_s,
        prepare: crate::plan::runbook::prepare::commands(config, facts),
        images: facts.images.clone(),
        forecast: facts.forecast.clone(),
        restore: facts.restore.clone(),
        earlier_reset: facts.earlier_reset.clone(),
        warnings,
        steps: numbered(steps, guards),
    }
}

/// The steps numbered in order, each with the checks around it.
fn numbered(steps: Vec<Planned>, guards: Guards) -> Vec<Step> {
    steps
        .into_iter()
        .enumerate()
        .map(|(i, (kind, title, commands))| {
            let (before, after) = around(kind, guards);
            Step {
                number: i + 1,
                kind,
                title: title.to_owned(),
                destructive: kind == StepKind::RemoveProject,
                in_runbook: !matches!(
                    kind,
                    StepKind::SetVaultPassword
                        | StepKind::RefreshKollaFacts
                        | StepKind::ArchiveKeptVolumes
                        | StepKind::RestoreKeptVolumes
                ),
                before,
                commands,
                after,
            }
        })
        .collect()
}

/// The runbook's six steps before its last, each with the runbook's command lines, `$(pwd)` and
/// `$(date +%Y%m%d)` resolved.
fn runbook_steps(config: &Options, facts: &Facts, backup_file: &Utf8Path) -> Vec<Planned> {
    let archive = backup_file.file_name().unwrap_or_default();
    let in_container = format!("/backup/{archive}");
    // Step 5 restores the named archive with the runbook's command shape: its directory at
    // /backup, its name after it.
    let restored = facts.restore.as_ref().map_or(backup_file, RestoreSource::file);
    let restored_dir = restored.parent().unwrap_or(&config.backup_dir);
    let restored_in_container = format!("/backup/{}", restored.file_name().unwrap_or_default());
    let project = config.project_directory.as_str();
    let unit = facts.service.unit.as_str();
    let systemctl = |verb: &str| {
        let sudo = (facts.euid != 0).then_some("sudo");
        Command::new(sudo.into_iter().chain(["systemctl", verb, unit]))
    };
    let tar_in_container = |dir: &Utf8Path, tar_args: &[&str]| {
        let mount = format!("source={},target=/share", config.share_volume);
        let volume = format!("{dir}:/backup");
        let head = ["docker", "run", "--rm", "--mount", &mount, "--volume", &volume];
        Command::new(head.into_iter().chain([config.image.as_str(), "tar"]).chain(tar_args.iter().copied()))
    };
    let compose = |verb: &[&str]| {
        Command::new(
            ["docker", "compose", "--project-directory", project].into_iter().chain(verb.iter().copied()),
        )
    };
    let backup = (
        StepKind::BackupShare,
        "Back up the /share volume",
        vec![tar_in_container(&config.backup_dir, &["-czvf", &in_container, "/share"])],
    );
    let stamp = date_stamp(facts.date);
    let kept = &facts.kept;
    let tar = kept::Tar { backup_dir: &config.backup_dir, stamp: &stamp, image: &config.image };
    let archive_kept = (StepKind::ArchiveKeptVolumes, "Archive the volumes kept", tar.archive(kept));
    let restore_kept = (StepKind::RestoreKeptVolumes, "Restore the volumes kept", tar.restore(kept));
    let mut steps = vec![(StepKind::StopService, "Stop the manager service", vec![systemctl("stop")])];
    steps.extend((!backs_up_nothing(facts)).then_some(backup));
    steps.extend((!kept.is_empty()).then_some(archive_kept));
    steps.push((
        StepKind::RemoveProject,
        "Delete the manager service and its volumes",
        vec![compose(&["down", "-v"])],
    ));
    steps.extend((!kept.is_empty()).then_some(restore_kept));
    steps.extend([
        (StepKind::StartService, "Start the manager service", vec![systemctl("start")]),
        (
            StepKind::RestoreShare,
            "Restore the /share volume",
            vec![tar_in_container(restored_dir, &["-xzvf", &restored_in_container, "-C", "/"])],
        ),
        (StepKind::CheckHealth, "Check that the manager service is healthy", vec![compose(&["ps"])]),
    ]);
    steps
}

/// There is no /share to back up, and the plan restores a named archive: the runbook's step 2
/// is left out, as its `docker run --mount` would create an empty share volume without the
/// project's labels.
fn backs_up_nothing(facts: &Facts) -> bool {
    facts.share_missing && facts.restore.is_some()
}

/// Where `osism set vault password` reads the password from, if the plan sets it again: the
/// password file, else osism's own prompt (with no terminal, preflight refuses that plan).
fn vault_stdin(config: &Options, facts: &Facts) -> Option<Stdin> {
    if !facts.vault.needs_setting() {
        return None;
    }
    Some(config.vault_password_file.clone().map_or(Stdin::Terminal, Stdin::File))
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

    /// Whether the tar commands' image is pulled before step 1: it is not on this host.
    pub fn pulls_image(&self) -> bool {
        self.prepare.iter().any(|c| {
            c.argv.first().is_some_and(|p| p == "docker") && c.argv.get(1).is_some_and(|v| v == "pull")
        })
    }

    /// HashiCorp Vault's storage among what `down -v` deletes, but what the reset keeps.
    pub fn vault_storage(&self) -> Vec<String> {
        let vault = self.volumes.as_ref().map_or(&[][..], |v| v.vault.as_slice());
        vault.iter().filter(|v| !self.keeps(v)).cloned().collect()
    }

    /// Whether the reset keeps `volume`.
    pub fn keeps(&self, volume: &str) -> bool {
        self.kept.iter().any(|k| k.name == volume)
    }

    /// The command that continues this reset, should it stop.
    pub fn resume_command(&self) -> String {
        crate::plan::resume_command(&self.backup_dir, &self.project_directory)
    }
}

/// The files of a plan, by name.
impl Plan {
    /// The archive step 5 restores: the one named with `--restore-from`, or today's.
    pub fn restored_file(&self) -> &Utf8Path {
        self.restore.as_ref().map_or(&self.backup_file, RestoreSource::file)
    }

    /// The archive a kept volume goes to, beside /share's.
    pub fn kept_archive(&self, volume: &KeptVolume) -> Utf8PathBuf {
        kept::archive_path(&self.backup_dir, &self.date, &volume.name)
    }

    /// The journal, records and log this reset writes (`left_by_a_reset`).
    pub fn left_by_a_reset(&self) -> [Utf8PathBuf; 3] {
        left_by_a_reset(&self.backup_dir, &self.date)
    }

    /// The journal beside the archive, named after the same date.
    pub fn journal_path(&self) -> Utf8PathBuf {
        let [journal, _, _] = self.left_by_a_reset();
        journal
    }

    /// The records of the archive's entries, kept by its verification for the check after the
    /// restore, beside the journal.
    pub fn records_path(&self) -> Utf8PathBuf {
        let [_, records, _] = self.left_by_a_reset();
        records
    }

    /// The transcript beside the archive, named after the same date.
    pub fn log_path(&self) -> Utf8PathBuf {
        let [_, _, log] = self.left_by_a_reset();
        log
    }
}
