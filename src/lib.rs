//! `osism-manager-reset`: the OSISM manager reset runbook, run as a checked plan.
//!
//! Codemap, in the order a run goes through it:
//! - `cli`: the flags; `config`: flags checked into a `Config` (no I/O).
//! - `preflight`: checks before any change, using `inspect` (read-only host queries) and
//!   `service` (which systemd unit runs the manager).
//! - `plan`: the runbook as data (steps, commands and the checks around them), built by a pure
//!   function from the options and a few facts; the journal records those inputs.
//! - `render`: the text of the plan; `quote`: copy-paste-safe command lines; `ui`: the terminal,
//!   through `out`, whose writes cannot fail a reset.
//! - `lock`: one reset per manager (a lock on its project directory); `registry`: where any run,
//!   from any directory and user, finds an unfinished reset; `confirm`: the operator's consent.
//! - `resume`: finding an unfinished reset, holding it to its approved plan, or planning it
//!   again with corrected options while nothing is deleted yet.
//! - `reset`: a real run, step by step between its checks: `verify` (the archive read back),
//!   `compare` (the archive and /share compared entry by entry), `health` (step 6's wait),
//!   `vault` (the vault password `down -v` loses), `osism` (why step 7's commands failed),
//!   `journal` (resume), `transcript` (the log).
//! - `exec`: the only place that spawns processes; `signals`: what Ctrl-C, SIGTERM and a hang-up
//!   do to a run; `atomic`: crash-safe, private file writes.
//! - `outcome`: exit codes; `app`: the whole run from argv to exit code.
//! - `plugin`: the `osism manager reset` manifest; `generate`: man page and completions.
//!
//! Invariants: nothing but `exec` spawns processes; nothing prints with a macro that can panic;
//! the plan the dry run shows is the plan that runs, and `--resume` runs only a plan the planner
//! makes again from the journal's inputs; bad input and failed preflight are refused with exit 2 before anything changes;
//! `down -v` never runs unless the archive was read back whole, matched /share entry by entry and
//! still matches its checksum; the tool never reads the vault password; every file it writes is
//! private (0600), but the registry's record, which names paths and must be read by root and the
//! operator alike.

pub mod app;
pub mod atomic;
pub mod cli;
pub mod compare;
pub mod config;
pub mod confirm;
pub mod exec;
pub mod generate;
pub mod health;
pub mod inspect;
pub mod journal;
pub mod lock;
pub mod osism;
pub mod out;
pub mod outcome;
pub mod plan;
pub mod plugin;
pub mod preflight;
pub mod quote;
pub mod registry;
pub mod render;
pub mod reset;
pub mod resume;
pub mod service;
pub mod signals;
pub mod transcript;
pub mod ui;
pub mod vault;
pub mod verify;
