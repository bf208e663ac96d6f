//! What ended a step, told apart once. The executor's and the checks' errors are `anyhow`
//! chains; the few kinds the run decides on (a stop asked for, a unit that does not run the
//! manager, one that failed, a backup that no longer holds /share, an archive changed (/share's or a
//! kept volume's), osism's
//! own reasons) are found in them here, and nowhere else.

use crate::archive::verify::Untrusted;
use crate::host::osism::task_output;
use crate::host::process::signals::{Stop, Stopped};
use crate::host::system::service::UnitFailed;
use crate::run::steps::kept_volumes::fault::Damaged;

/// What ended a step, where the run decides on it.
#[derive(Debug, Clone)]
pub(crate) enum Why {
    /// A stop the operator (or the system) asked for.
    Stopped(Stop),
    /// Step 1 stopped a unit that does not run the manager.
    WrongUnit(WrongUnit),
    /// The unit failed after it was started.
    UnitFailed,
    /// The archive, though unchanged, no longer holds what /share holds.
    Outdated,
    /// The archive is not what was verified.
    Untrusted,
    /// A kept volume's archive is not what was verified.
    KeptDamaged(Damaged),
    /// An osism command failed, and osism said why.
    Osism(task_output::OsismFailure),
    /// Anything else: the message says what.
    Other,
}

/// A step's error, with what ended it told apart.
#[derive(Debug)]
pub(crate) struct StepError {
    pub(crate) why: Why,
    pub(crate) error: anyhow::Error,
}

impl StepError {
    pub(crate) fn of(error: anyhow::Error) -> StepError {
        let why = if let Some(&Stopped(stop)) = error.downcast_ref::<Stopped>() {
            Why::Stopped(stop)
        } else if let Some(wrong) = error.downcast_ref::<WrongUnit>() {
            Why::WrongUnit(wrong.clone())
        } else if error.downcast_ref::<UnitFailed>().is_some() {
            Why::UnitFailed
        } else if error.downcast_ref::<Outdated>().is_some() {
            Why::Outdated
        } else if let Some(damaged) = error.downcast_ref::<Damaged>() {
            Why::KeptDamaged(damaged.clone())
        } else if error.downcast_ref::<Untrusted>().is_some() {
            Why::Untrusted
        } else if let Some(failed) = error.downcast_ref::<task_output::Failed>() {
            Why::Osism(failed.cause.clone())
        } else {
            Why::Other
        };
        StepError { why, error }
    }
}

/// Step 1 stopped a unit, yet the project's containers run on: that unit does not run this
/// manager (an old docker-compose@manager.service active beside manager.service, say).
#[derive(Debug, Clone)]
pub(crate) struct WrongUnit {
    pub(crate) stopped: String,
    /// The services still running.
    pub(crate) up: Vec<String>,
    /// The other of OSISM's units, when it is active: the one to name.
    pub(crate) running: Option<String>,
}

impl std::fmt::Display for WrongUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the project's containers still run after stopping {} ({}): that unit does not run this manager",
            self.stopped,
            self.up.join(", ")
        )?;
        match &self.running {
            Some(unit) => write!(f, "; {unit} is active and does"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for WrongUnit {}

/// The archive, though unchanged, does not hold what /share holds: the backup is to be made
/// again before anything is deleted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outdated;

impl std::fmt::Display for Outdated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("/share is not what the archive holds")
    }
}
