//! Preflight: every check before anything changes, and the facts the plan needs, as one value
//! (`Survey`): the planner's inputs, each problem with its kind, and the notes for the log.
//!
//! One `Preflight` carries what every check needs (the checked config, this user, the host to
//! ask, whether a terminal is there) and collects what they find; the checks are its methods,
//! area by area:
//! - `facts`: the host asked (groups of questions at once), the answers judged into `Facts`;
//!   `project`: what Compose says of the project; `problems`: an unfinished reset, the backup
//!   directory, the share volume, sudo, the vault password's way back; `volumes`: the volumes
//!   `down -v` deletes and keeps; `unit_start`: what the unit's start means (its directory, what its
//!   pull will change, asked of the registry);
//! - `rescue`: the archive `--restore-from` names, read whole and judged; `earlier_archives`:
//!   archives of this manager offered where /share is missing or empty.
//!
//! Uses the run's `record` (an unfinished reset, the lock, what is in the way), never its
//! `steps`.

pub(crate) mod earlier_archives;
pub(crate) mod facts;
pub(crate) mod problems;
pub(crate) mod project;
pub(crate) mod rescue;
pub(crate) mod unit_start;
pub(crate) mod volumes;

use camino::{Utf8Path, Utf8PathBuf};

use crate::host::docker::inspect::Host;
use crate::plan::config::Config;
use crate::plan::problem::{Kind, Problem};

pub(crate) use facts::{refuse_on, survey};

/// What preflight learnt: the planner's inputs, what keeps a real run from starting, and what
/// it set aside on the way (records that do not count), for the run's log.
#[derive(Debug)]
pub(crate) struct Survey {
    pub(crate) inputs: crate::plan::Inputs,
    pub(crate) problems: Vec<Problem>,
    pub(crate) notes: Vec<String>,
}

/// What every check needs, and what they found so far.
pub(crate) struct Preflight<'a> {
    pub(crate) config: &'a Config,
    pub(crate) euid: u32,
    pub(crate) host: &'a Host<'a>,
    /// A terminal is there for osism and sudo to ask on.
    pub(crate) terminal: bool,
    /// Today's archive, which step 2 writes.
    pub(crate) archive: Utf8PathBuf,
    /// The journal of the reset being planned again, which is not in the way.
    pub(crate) resuming: Option<&'a Utf8Path>,
    pub(crate) problems: Vec<Problem>,
    pub(crate) notes: Vec<String>,
}

impl<'a> Preflight<'a> {
    /// The checks' context; `today` names the archive step 2 writes.
    pub(crate) fn new(
        config: &'a Config,
        host: &'a Host<'a>,
        today: time::Date,
        resuming: Option<&'a Utf8Path>,
    ) -> Preflight<'a> {
        Preflight {
            config,
            euid: crate::host::files::users::euid(),
            host,
            terminal: crate::view::confirm::at_terminal(),
            archive: crate::plan::archive_path(&config.options.backup_dir, today),
            resuming,
            problems: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// A problem of `kind`: `text` says what is wrong and how to fix it.
    pub(crate) fn problem(&mut self, kind: Kind, text: impl Into<String>) {
        self.problems.push(Problem::new(kind, text));
    }

    /// Each of `texts` a problem of `kind`.
    pub(crate) fn problems(&mut self, kind: Kind, texts: impl IntoIterator<Item = String>) {
        self.problems.extend(texts.into_iter().map(|text| Problem::new(kind, text)));
    }
}
