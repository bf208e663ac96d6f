//! Layer 5, the run: a reset carried out, checked and recorded, in three rooms used in this
//! order (a room uses only those before it):
//!
//! - `record`: the journal, the registry of unfinished resets, the lock, what is kept aside;
//! - `preflight`: every check before anything changes, and the facts the plan needs;
//! - `steps`: the runbook's commands between their checks, the failure advice, the rollback.
//!
//! Here, above the rooms: `approval`, the end every real run shares (the plan shown, agreed to,
//! run and closed), and `resume`, an unfinished reset continued.
//!
//! Uses `plan`, `host`, `archive` and `view`.

pub(crate) mod approval;
pub(crate) mod preflight;
pub(crate) mod record;
pub(crate) mod resume;
pub(crate) mod steps;
