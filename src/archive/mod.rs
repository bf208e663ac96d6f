//! Layer 3, the archive: /share's archive (and each kept volume's) proven to hold what the
//! volume holds, a library the run uses and that knows nothing of the run.
//!
//! - `verify`: an archive read back whole, hashed in the same pass, its checksum file written
//!   and checked; `compare`: two tar streams compared entry by entry, both ways; `pieces`: the
//!   piecewise SHA-256 that several cores work out at once;
//! - `tee`: step 2's archive as the tool writes it from tar's pipe, hashed on the way;
//!   `live_check`: that stream compared with the volume while tar still writes, on the second
//!   core;
//! - `records`: what the read-back learnt of each entry, kept on disk, so that the check after
//!   the restore compares the volume with them instead of decompressing the archive again.
//!
//! Owns the archive files and their checksum and records files; uses `plan` and `host`.

pub(crate) mod compare;
pub(crate) mod live_check;
pub(crate) mod pieces;
pub(crate) mod records;
pub(crate) mod tee;
pub mod verify;
