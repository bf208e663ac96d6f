//! The steps: the runbook's commands run between the checks the plan lists for them.
//!
//! - `prelude`: what runs after the operator's consent and before step 1 (sudo's password, the
//!   pulls); `step_loop`: the loop itself; `checks`: one function per safeguard around the steps,
//!   each seeing what `guarded` holds
//!   (what guards `down -v` is in one place); `drift`: those that hold a step to the inputs
//!   approved (the tar image by ID, the vault password file); `health`: step 6's wait;
//!   `kept_volumes`: the volumes `--keep-volume` names, archived and restored with /share's
//!   proof;
//! - `stop`: what ended a step, told apart once; `failure`: what a failed or interrupted step
//!   tells the operator to do; `rollback`: the manager started again when a reset stops before
//!   `down -v`.
//!
//! Uses the run's `record` and `preflight` (the named archive's checks, again at its step).

pub(crate) mod checks;
pub(crate) mod drift;
pub(crate) mod failure;
pub(crate) mod guarded;
pub(crate) mod health;
pub(crate) mod kept_volumes;
pub(crate) mod prelude;
pub(crate) mod rollback;
pub(crate) mod step_loop;
pub(crate) mod stop;
