//! The runbook as data: a pure function from the options and the facts to the plan, and what
//! the plan is made of.
//!
//! - `build`: the plan and its steps, built from the inputs (`Plan`, `Step`, `build`);
//! - `command`: a command of the plan, argv, display line and input; `quote`: copy-paste-safe
//!   command lines;
//! - `guards`: the checks around each step (`Check`, `StepKind`);
//! - `prepare`: what runs before step 1 (sudo's password, the pulls);
//! - `kept`: the steps that carry the volumes `--keep-volume` names across `down -v`;
//! - `restore`: the archive `--restore-from` names, as preflight read it, for step 5;
//! - `files`: the names of the files a reset writes beside its archive;
//! - `warnings`: what the operator should know before approving that is not a step.

mod build;
pub mod command;
pub(crate) mod files;
mod guards;
pub mod kept;
mod prepare;
pub mod quote;
pub(crate) mod restore;
mod warnings;

pub use build::{Plan, Step, build};
pub use command::{Command, Stdin};
pub use guards::{Check, StepKind};
