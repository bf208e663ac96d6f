//! The safeguards around the runbook's steps, as data: which checks hold before and after a step
//! of each kind. The executor runs them (`run::steps::checks`), the dry run shows them, and the operator
//! approves them with the commands.

use serde::{Deserialize, Serialize};

/// A safeguard around a step's commands, run by the executor from the plan, shown by the dry
/// run and approved with the commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "check")]
pub enum Check {
    /// No container of the compose project runs: a live /share is never backed up.
    ProjectStopped,
    /// The archive's path is a pipe, mode 0600, before tar writes into it: the tool writes the
    /// file, private, from what comes through.
    ArchivePrivate,
    /// The archive, read back whole on its way from tar to the file, is equal to /share entry by
    /// entry; the file is synced to disk; its checksum is recorded.
    ArchiveMatchesShare,
    /// The archive still matches the checksum it was verified with.
    ArchiveUnchanged,
    /// The archive `--restore-from` names still has the sha256 the plan was approved with.
    RestoreSourceUnchanged,
    /// The tar commands' image tag still names the image the plan was made with (or, where the
    /// run pulled it, the image it pulled): the runbook's `docker run` names the tag, which
    /// anyone with the engine's socket may move.
    ImageUnchanged,
    /// The vault password file is still a trusted user's, private, on a path no one else may
    /// replace it through: it is opened only now, when the step hands it to osism.
    PasswordFileTrusted,
    /// /share still holds what the archive holds, compared again entry by entry unless this
    /// run compared them itself after step 2: a resumed run takes no journal's word for it.
    ShareStillMatchesArchive,
    /// Each kept volume's archive path is a pipe, mode 0600, as /share's is.
    KeptArchivesPrivate,
    /// Each kept volume's archive, read back whole on its way from tar to the file, is equal to
    /// the volume entry by entry; the file is synced; its checksum is recorded.
    KeptArchivesMatchVolumes,
    /// Each kept volume's archive still matches the checksum it was verified with.
    KeptArchivesUnchanged,
    /// Each kept volume, while it exists, still holds what its archive holds, compared again
    /// unless this run compared them itself.
    KeptVolumesStillMatchArchives,
    /// None of the volumes `down -v` was to delete is left.
    VolumesGone,
    /// Compose has created the share volume for the project, within the timeout, and the unit
    /// has not failed meanwhile.
    ShareVolumeCreated { timeout_s: u64 },
    /// Every archived entry is in /share as archived, but for the running manager's own writes.
    ShareMatchesArchive,
    /// Each kept volume, restored, holds exactly what its archive holds.
    KeptVolumesMatchArchives,
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
    /// Not in the runbook: the kept volumes archived, before `down -v`.
    ArchiveKeptVolumes,
    RemoveProject,
    /// Not in the runbook: the kept volumes made again and restored, before the start.
    RestoreKeptVolumes,
    StartService,
    RestoreShare,
    CheckHealth,
    SetVaultPassword,
    RebuildInventory,
    /// Not in the runbook: kolla-ansible's generation of the fact cache, which `osism apply
    /// facts` does not fill.
    RefreshKollaFacts,
}

/// What decides a step's checks besides its kind.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Guards {
    pub(crate) timeout_s: u64,
    /// Step 2 backs /share up.
    pub(crate) backup: bool,
    /// Step 5 restores a named archive.
    pub(crate) restore: bool,
    /// The vault step reads the password from a file.
    pub(crate) password_file: bool,
    /// Volumes are kept across `down -v`.
    pub(crate) kept: bool,
}

/// The checks before and after a step of `kind`: what makes the runbook safe for /share.
pub(crate) fn around(kind: StepKind, guards: Guards) -> (Vec<Check>, Vec<Check>) {
    use Check::*;
    let Guards { timeout_s, backup, restore, password_file, kept } = guards;
    // The named archive is checked before `down -v` too: after it, a changed one would leave
    // /share unrestored until it is put back.
    let named = || restore.then_some(RestoreSourceUnchanged);
    match kind {
        StepKind::StopService => (vec![], vec![ProjectStopped]),
        StepKind::BackupShare => (vec![ImageUnchanged, ArchivePrivate], vec![ArchiveMatchesShare]),
        StepKind::ArchiveKeptVolumes => {
            (vec![ImageUnchanged, KeptArchivesPrivate], vec![KeptArchivesMatchVolumes])
        }
        StepKind::RemoveProject => {
            let archive = backup.then_some([ArchiveUnchanged, ShareStillMatchesArchive]);
            let kept = kept.then_some([KeptArchivesUnchanged, KeptVolumesStillMatchArchives]);
            let before = archive.into_iter().flatten().chain(named()).chain(kept.into_iter().flatten());
            (before.collect(), vec![VolumesGone])
        }
        StepKind::RestoreKeptVolumes => {
            (vec![ImageUnchanged, KeptArchivesUnchanged], vec![KeptVolumesMatchArchives])
        }
        StepKind::StartService => (vec![], vec![ShareVolumeCreated { timeout_s }]),
        StepKind::RestoreShare => (
            [ImageUnchanged].into_iter().chain(backup.then_some(ArchiveUnchanged)).chain(named()).collect(),
            vec![ShareMatchesArchive],
        ),
        StepKind::CheckHealth => (vec![Healthy { timeout_s }], vec![]),
        StepKind::SetVaultPassword => {
            (password_file.then_some(PasswordFileTrusted).into_iter().collect(), vec![VaultPasses])
        }
        StepKind::RebuildInventory | StepKind::RefreshKollaFacts => (vec![], vec![]),
    }
}
