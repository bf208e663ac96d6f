//! The reset's own records, and the files it owns besides the archives: `journal`, each
//! step's state beside the archive, for a resume; `registry`, where any run finds an
//! unfinished reset of a manager, whatever its backup directory and user; `lock`, one reset
//! per manager; `previous`, what is in the way (an archive, an earlier reset's journal, records
//! and log) kept aside as `.previous-N`, never overwritten.
//!
//! Uses the `archive` for the checksums it records; nothing of the rest of the run.

pub(crate) mod journal;
pub(crate) mod lock;
pub(crate) mod previous;
pub(crate) mod registry;
