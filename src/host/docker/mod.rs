//! Docker and Compose, asked and read: `inspect`, the read-only questions (Docker, Compose and
//! the unit's state, through the executor), those of volumes in `volumes`, of images in
//! `images`, what /share holds in `measure`; `containers`, Compose's `ps` read; `engine`, the
//! one question asked of the engine's API, not its CLI (what a registry holds under a tag),
//! with the unit user's registry login from `credentials`; `control`, the only state changes
//! besides the plan's own commands (stopping containers left behind).
//!
//! Uses the host's `files`, `process` and `osism`.

pub mod containers;
pub mod control;
pub mod credentials;
pub mod engine;
pub mod images;
pub mod inspect;
pub mod measure;
pub mod volumes;
