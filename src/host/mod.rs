//! Layer 2, the host: everything that talks to programs, files and signals, in rooms used in
//! this order (a room uses only those before it):
//!
//! - `osism`: the vault password and what osism's task commands said, read;
//! - `files`: crash-safe private writes, reading what others may have planted, named pipes,
//!   who may have written a path;
//! - `process`: the executor, the transcript, signals;
//! - `docker`: the read-only questions to Docker and Compose, and the one change beside the
//!   plan's commands;
//! - `system`: the systemd unit and sudo.
//!
//! Uses only `plan`.

pub(crate) mod docker;
pub(crate) mod files;
pub(crate) mod osism;
pub(crate) mod process;
pub(crate) mod system;
