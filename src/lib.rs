//! `osism-manager-reset`: the OSISM manager reset runbook, run as a checked plan.
//!
//! Codemap, in the order a run goes through it:
//! - `cli`: the flags; `config`: flags checked into a `Config` (no I/O).
//! - `plan`: the runbook as data, built by a pure function from the config and a few facts.
//! - `render`: the text of the plan and of the run; `quote`: copy-paste-safe command lines.
//! - `confirm`: the operator's consent; `reset`: a real run; `exec`: the only place that spawns.
//! - `outcome`: exit codes; `app`: the whole run from argv to exit code.
//!
//! Invariants: nothing but `exec` spawns processes; the plan that the dry run shows is the plan
//! that runs; bad input is refused with exit 2 before anything runs.

pub mod app;
pub mod cli;
pub mod config;
pub mod confirm;
pub mod exec;
pub mod outcome;
pub mod plan;
pub mod quote;
pub mod render;
pub mod reset;
