//! Layer 4, the run: a reset carried out, checked and recorded.
//!
//! - `preflight`: every check before anything changes, and the facts the plan needs; `project`:
//!   what Compose says of the project, asked at once; `problems`: what preflight finds wrong,
//!   area by area; `unit_start`: what the unit's start means (its directory, what its pull
//!   will change, asked of the registry);
//! - `approval`: the end every real run shares, the plan approved and run; `prepare`: what runs
//!   before step 1 (sudo's password, the pulls); `reset`: the step loop; `checks`: one function per safeguard around the steps (what guards
//!   `down -v` is in one place), `unchanged` those that hold a step to the inputs approved (the
//!   tar image by ID, the vault password file); `health`: step 6's wait; `ended`: what ended a step, told apart
//!   once; `failure`: what a failed or
//!   interrupted step tells the operator to do; `rollback`: the manager started again when a
//!   reset stops before `down -v`;
//! - `verify` and `compare`: the archive read back and compared with /share entry by entry,
//!   `follow` on its way from tar's pipe, which `written` makes the file; `records`: what that read learnt of each entry, for the
//!   check after the restore; `pieces`: the piecewise SHA-256 that several cores work out at once;
//!   `aside`: an archive in the way, or an earlier reset's journal, records and log, kept aside,
//!   never overwritten; `rescue`: the archive
//!   `--restore-from` names, read whole and judged before anything changes; `found`: archives
//!   of this manager offered where /share is missing or empty;
//! - `kept`: the volumes `--keep-volume` names, archived and restored with /share's proof;
//! - `journal`: each step's state, for `resume`; `registry`: where any run finds an unfinished
//!   reset; `lock`: one reset per manager; `trust`: whose files the reset takes for its own, on which paths.
//!
//! Uses `plan`, `host` and `view`.

pub mod approval;
pub mod aside;
pub mod checks;
pub mod compare;
pub mod ended;
pub mod failure;
pub mod follow;
pub mod found;
pub mod health;
pub mod journal;
pub mod kept;
pub mod lock;
pub mod pieces;
pub mod preflight;
pub mod prepare;
pub mod problems;
pub mod project;
pub mod records;
pub mod registry;
pub mod rescue;
pub mod reset;
pub mod resume;
pub mod rollback;
pub mod trust;
pub mod unchanged;
pub mod unit_start;
pub mod verify;
pub mod written;
