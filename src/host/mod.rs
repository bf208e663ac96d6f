//! Layer 2, the host: everything that talks to programs, files and signals.
//!
//! - `exec`: the only place that starts processes; `transcript`: the log of every command;
//!   `atomic`: crash-safe, private file writes; `untrusted`: reading a file others may have
//!   planted (no symlink, no pipe, bounded); `fifo`: named pipes a container writes and
//!   the tool reads;
//!   `signals`: what Ctrl-C, SIGTERM and a hang-up do;
//! - `inspect`: read-only questions (Docker, Compose, systemd, osism), those of volumes in
//!   `volumes`, of images in `images`, what /share holds in `measure`; `engine`: the one
//!   question asked of the engine's API, not its CLI (what a registry holds under a tag), with
//!   the unit user's registry login from `credentials`; `control`: the only state changes besides the
//!   plan's own commands (stopping containers left behind);
//! - what programs answer, read: `containers` (Compose's `ps`), `service` (the systemd unit),
//!   `sudo` (whether it runs the unit's stop and start without a prompt), `users` (names of uids),
//!   `vault` (the vault password and `osism vault check`), `osism` (why a task command failed).
//!
//! Uses only `plan`.

pub mod atomic;
pub mod containers;
pub mod control;
pub mod credentials;
pub mod engine;
pub mod exec;
pub mod fifo;
pub mod images;
pub mod inspect;
pub mod measure;
pub mod osism;
pub mod service;
pub mod signals;
pub mod sudo;
pub mod transcript;
pub mod untrusted;
pub mod users;
pub mod vault;
pub mod volumes;
