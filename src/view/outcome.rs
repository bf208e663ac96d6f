//! How a run ends: the documented exit codes and the error that goes with each.

use std::fmt;
use std::process::ExitCode;

/// The exit codes README and `--help` document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    /// A step failed after changes began; the journal allows `--resume`.
    StepFailed = 1,
    /// Refused before any change: bad input, failed preflight, no confirmation.
    Refused = 2,
    /// Another reset of the same manager holds the lock.
    Locked = 3,
    /// Stopped by SIGINT (Ctrl-C); the journal allows `--resume`.
    Interrupted = 130,
    /// Stopped by SIGTERM; the journal allows `--resume`.
    Terminated = 143,
}

impl From<crate::host::process::signals::Stop> for Code {
    fn from(stop: crate::host::process::signals::Stop) -> Code {
        match stop {
            crate::host::process::signals::Stop::Interrupt => Code::Interrupted,
            crate::host::process::signals::Stop::Terminate => Code::Terminated,
        }
    }
}

/// What failed, as a pipeline is told it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cause {
    /// An osism command failed, and osism said why.
    Osism(crate::host::osism::task_output::OsismFailure),
    /// The reset stopped before `down -v`, and the manager was started again.
    RolledBack,
}

impl Cause {
    /// The kind, for the JSON `failed` event.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Cause::Osism(cause) => cause.kind(),
            Cause::RolledBack => "rolled-back",
        }
    }

    /// The command that follows up a task osism stopped waiting for.
    pub(crate) fn follow(&self) -> Option<&str> {
        match self {
            Cause::Osism(cause) => cause.follow(),
            Cause::RolledBack => None,
        }
    }
}

/// An error with the exit code it ends the run with.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: Code,
    pub(crate) error: anyhow::Error,
    /// What failed, for a pipeline (the JSON `failed` event), where the tool can tell.
    pub(crate) cause: Option<Cause>,
    /// Where a saved plan is not the one made now: each difference, for the JSON event.
    pub(crate) differences: Vec<crate::plan::saved::PlanChange>,
    /// Whether a JSON `failed` event reports it; not where stdout holds one document already.
    pub(crate) event: bool,
}

impl Failure {
    pub(crate) fn new(code: Code, error: impl Into<anyhow::Error>) -> Failure {
        Failure { code, error: error.into(), cause: None, differences: Vec::new(), event: true }
    }

    pub(crate) fn with_differences(self, differences: Vec<crate::plan::saved::PlanChange>) -> Failure {
        Failure { differences, ..self }
    }

    /// The dry run's JSON is one document on stdout: no event follows it.
    pub(crate) fn without_event(self) -> Failure {
        Failure { event: false, ..self }
    }

    pub(crate) fn with_cause(self, cause: Cause) -> Failure {
        Failure { cause: Some(cause), ..self }
    }

    pub(crate) fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code as u8)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

/// Tags an `anyhow::Result` with the exit code its error ends the run with.
pub(crate) trait OrExit<T> {
    fn or_exit(self, code: Code) -> Result<T, Failure>;
}

impl<T> OrExit<T> for anyhow::Result<T> {
    fn or_exit(self, code: Code) -> Result<T, Failure> {
        self.map_err(|error| Failure::new(code, error))
    }
}
