//! Processes: `exec`, the only place that starts one; `transcript`, the log of every command
//! and what it printed; `signals`, what Ctrl-C, SIGTERM and a hang-up do to a running reset.
//!
//! Uses the host's `files`.

pub mod exec;
pub mod signals;
pub mod transcript;
