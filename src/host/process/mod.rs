//! Processes: `exec`, the only place that starts one; `transcript`, the log of every command
//! and what it printed; `signals`, what Ctrl-C, SIGTERM and a hang-up do to a running reset.
//!
//! Uses the host's `files`.

pub(crate) mod exec;
pub(crate) mod signals;
pub(crate) mod transcript;
