//! Layer 1, the plan: what the operator asked for, checked, and the runbook as data. Pure: no
//! process, file or terminal is touched here, so nothing here can fail at run time.
//!
//! - `cli`: the flags, each defined once with its environment variable and help; `manual`: the
//!   exit codes, files and references that `--help`, the man page and the README share;
//! - `config`: flags checked into a `Config` (exit 2 on bad input, before anything runs);
//!   `mode`: what the flags ask the tool to do, decided once; `options`: the options that shape
//!   the plan, each defined once, and how they are compared, taken and typed again;
//! - the planner (`runbook`, re-exported here): `build` turns the options and facts it reads
//!   (`facts`, re-exported too) into the plan, every step with its argv, display line and checks;
//! - `guards`: the checks around each step (`Check`, re-exported);
//! - `files`: the names of the files a reset writes beside its archive;
//! - `files`: the names of the files a reset writes beside its archive; `kept`: the steps that
//!   carry the volumes `--keep-volume` names across `down -v`;
//! - `restore`: the archive `--restore-from` names, as preflight read it, for step 5;
//!   `prepare`: what runs before step 1 (sudo's password, the pulls);
//! - `command`: a command of the plan, argv, display line and input; `quote`: copy-paste-safe command lines; `advice`: the commands the operator is told to
//!   type next; `saved`: a plan saved for a later run, and what differs when it is made again;
//!   `warnings`: what the operator should know before approving that is not a step; `problem`:
//!   what keeps a real run from starting, as a value with its kind.
//!
//! Uses nothing of the other layers.

mod advice;
pub mod cli;
pub mod command;
pub mod config;
mod facts;
mod files;
mod guards;
pub mod kept;
pub mod manual;
pub mod mode;
pub mod options;
mod prepare;
pub mod problem;
pub mod quote;
mod restore;
mod runbook;
pub mod saved;
mod warnings;

pub use advice::*;
pub use command::{Command, Stdin};
pub use facts::*;
pub use files::*;
pub use guards::{Check, StepKind};
pub use restore::*;
pub use runbook::*;
