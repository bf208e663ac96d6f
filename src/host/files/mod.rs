//! Files and who owns them: `atomic`, crash-safe private writes; `untrusted`, reading a file
//! others may have planted (no symlink, no pipe, bounded); `fifo`, named pipes a container
//! writes and the tool reads; `trust`, whose files the reset takes for its own, on which paths;
//! `users`, names of uids from the password database.
//!
//! Uses the host's `osism` (the vault password file's own checks).

pub(crate) mod atomic;
pub(crate) mod fifo;
pub(crate) mod trust;
pub(crate) mod untrusted;
pub(crate) mod users;
