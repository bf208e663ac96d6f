//! Docker and Compose, asked and read: `inspect`, the read-only questions (Docker, Compose and
//! the unit's state, through the executor), those of volumes in `volumes`, of images in
//! `images`, what /share holds in `measure`; `containers`, Compose's `ps` read; `engine`, the
//! one question asked of the engine's API, not its CLI (what a registry holds under a tag),
//! with the unit user's registry login from `credentials`; `control`, the only state changes
//! besides the plan's own commands (stopping containers left behind).
//!
//! Uses the host's `files`, `process` and `osism`.

pub(crate) mod containers;
pub(crate) mod control;
pub(crate) mod credentials;
pub(crate) mod engine;
pub(crate) mod images;
pub(crate) mod inspect;
pub(crate) mod measure;
pub(crate) mod volumes;
