//! What preflight finds wrong, as a value: its kind, which tests and pipelines match on (the
//! JSON plan's `problems` carry it), and its text, one line that names the thing and the fix.

use std::fmt;

use serde::Serialize;

/// One thing that keeps a real run from starting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub kind: Kind,
    /// What is wrong and how to fix it, in one line.
    pub text: String,
}

impl Problem {
    pub fn new(kind: Kind, text: impl Into<String>) -> Problem {
        Problem { kind, text: text.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// What a problem is about: the program, file or part of the manager its fix changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A program the plan runs is not on PATH, or Docker or Compose does not answer.
    Program,
    /// systemd does not run here, or the unit named is not the manager's.
    Unit,
    /// sudo does not run the unit's stop and start for this user without a prompt.
    Sudo,
    /// The project directory: not there, no compose file, a compose project that does not
    /// load, or one that mounts no volume at /share (not a manager).
    Project,
    /// The share volume the options name: not the one the manager mounts at /share, missing,
    /// or not measurable.
    Share,
    /// A volume `down -v` deletes is used beyond the project, or cannot be told.
    Volumes,
    /// HashiCorp Vault's storage would be deleted without the operator's choice.
    VaultStorage,
    /// A `--keep-volume` names no volume that can be kept.
    KeepVolume,
    /// The vault password: no way to set it after `down -v`, or its file or key is unusable.
    Vault,
    /// The tar image cannot be asked about.
    Image,
    /// The unit's start would fail or change what the plan shows (its directory, its pull).
    UnitStart,
    /// The backup directory: missing, another user's, full, or today's archive in the way.
    BackupDir,
    /// The archive `--restore-from` names.
    RestoreFrom,
    /// Archives of this manager's /share found where /share is missing or empty.
    ArchivesFound,
    /// An unfinished reset of this manager.
    Unfinished,
    /// The state directory where resets are recorded.
    StateDir,
    /// A resume: its journal, its inputs, what it needs from the host again.
    Resume,
}
