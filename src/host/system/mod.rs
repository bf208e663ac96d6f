//! The host's system: `service`, which systemd unit runs the manager and what its start does;
//! `sudo`, whether sudo runs the unit's stop and start for this user without a prompt.
//!
//! Uses the host's other rooms.

pub(crate) mod service;
pub(crate) mod sudo;
