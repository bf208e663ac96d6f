//! What the operator asks for: the flags and the options that shape the plan, checked before
//! anything runs.
//!
//! - `cli`: the command line, every flag defined once with its environment variable and help;
//! - `record`: the options that shape the plan, and how a run's options meet a recorded plan's:
//!   compared, taken, typed again;
//! - `config`: the flags checked into a `Config` (exit 2 on bad input, before anything runs);
//! - `mode`: what the flags ask the tool to do, decided once;
//! - `manual`: the exit codes, files and references that `--help`, the man page and the README
//!   share.

pub mod cli;
pub mod config;
pub mod manual;
pub mod mode;
pub mod record;
