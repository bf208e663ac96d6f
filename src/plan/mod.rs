//! Layer 1, the plan: what the operator asked for, checked, and the runbook as data. Pure: no
//! process, file or terminal is touched here, so nothing here can fail at run time.
//!
//! Two rooms and what joins them:
//! - `options/`: what the operator asks for: the flags, each plan option defined once, checked
//!   into a `Config`, the mode, and what `--help`, the man page and the README share;
//! - `runbook/`: the runbook as data: `build` turns the inputs into the plan, every step with
//!   its argv, display line and checks, and the commands, guards and files it names;
//! - `facts`: what the planner reads besides the options, the facts preflight learned, which
//!   the journal records with them (`Inputs`); `saved`: a plan saved for a later run, and what differs when it is made
//!   again; `advice`: the commands the operator is told to type next; `problem`: what keeps a
//!   real run from starting, as a value with its kind.
//!
//! `cli`, `config`, `manual`, `mode`, `kept` and `quote` are re-exported here under
//! their own names, the paths the other layers use.
//!
//! Uses nothing of the other layers.

mod advice;
mod facts;
pub mod options;
pub mod problem;
pub mod runbook;
pub mod saved;

pub use advice::check_command;
pub(crate) use advice::{again_command, resume_command, save_again_command};
pub(crate) use facts::SERVICE_GIVEN;
pub use facts::{
    AnonymousVolume, Exposed, Facts, Forecast, KeptVolume, NewerImage, Service, ServiceImage, ShareSize,
    UnitCommand, UnitStart, Vault, VaultState, Volumes,
};
// What host::docker::measure's script tells a /share of value from a fresh one by.
pub use facts::FRESH_MANAGER_FILES;
pub use options::record::{Inputs, Options};
pub use options::{cli, config, manual, mode};
pub(crate) use runbook::files::{
    JOURNAL_PREFIX, JOURNAL_SUFFIX, archive_name, archive_path, left_by_a_reset,
};
pub use runbook::files::{checksum_path, date_stamp};
pub use runbook::restore::{ArchiveSummary, Listed, RestoreSource, ShareDifference, Vouched};
pub use runbook::{Check, Command, Plan, Stdin, Step, StepKind, build, kept, quote};
