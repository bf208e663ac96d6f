//! The volumes the operator keeps across the reset (`--keep-volume`), carried with /share's own
//! proof: `archive` makes each archive as step 2 makes /share's (tar writes into a pipe, the tool
//! writes the file, reads it back whole and compares it with the volume entry by entry both
//! ways, syncs it and records its sha256); `checks` holds the safeguards the plan lists around
//! `down -v` and the restore, each the kept volumes' side of one of /share's; `fault` what the
//! fault paths (a damaged archive, a rollback) do and say of them.

pub(crate) mod archive;
pub(crate) mod checks;
pub(crate) mod fault;

use camino::Utf8PathBuf;

use crate::plan::{KeptVolume, Plan};

/// Where the records of a kept volume's archive go, beside the journal.
pub(crate) fn records_path(plan: &Plan, volume: &KeptVolume) -> Utf8PathBuf {
    crate::plan::runbook::files::kept_records_path(&plan.backup_dir, &plan.date, &volume.name)
}
