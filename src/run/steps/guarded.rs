//! What a check sees of the step it guards (`Guarded`): whom it asks and tells, the step, the
//! journal, and what this process learnt of the archives that the checks share; and the one
//! judgement of an archive read back against what it was made of, for /share's checks
//! (`steps::checks`) and the kept volumes' (`steps::kept_volumes::checks`) alike.

use std::cell::{Cell, RefCell};
use std::time::SystemTime;

use anyhow::{Result, bail};

use crate::archive::compare::{Comparison, Names};
use crate::archive::live_check::Followed;
use crate::archive::verify::Hashed;
use crate::host::docker::inspect::Host;
use crate::host::process::exec::{FifoRead, Runner};
use crate::plan::{Plan, Step};
use crate::run::record::journal::Journal;
use crate::view::ui::Ui;

/// What a check sees of the step it guards: whom it asks and tells, which step it guards, and
/// what the run holds that the checks share.
pub(crate) struct Guarded<'c, 'r> {
    pub(crate) with: With<'c, 'r>,
    pub(crate) at: At<'c>,
    /// Where each step's state and the verified archive are kept.
    pub(crate) journal: &'c mut Journal,
    /// The read-back of /share started with the commands, for the checks that compare it.
    pub(crate) share_read: Option<FifoRead<'r>>,
    /// What reading the archive while step 2's tar wrote it found.
    pub(crate) followed: Option<Result<Followed>>,
    pub(crate) this_run: &'c ThisRun,
    /// What reading each kept volume's archive on its way from tar found, in the plan's order.
    pub(crate) kept_followed: Vec<Result<Followed>>,
}

/// What this process knows of the archive beyond the journal's word.
#[derive(Default)]
pub(crate) struct ThisRun {
    /// Whether this process compared the archive with /share after step 2: a journal's word
    /// that it was done is not enough to run `down -v` on.
    pub(crate) compared: Cell<bool>,
    /// The archive's sha256 as this process worked it out, for the next check that needs it.
    pub(crate) hashed: RefCell<Option<Hashed>>,
    /// This process saw Compose create the share volume (step 4): the restore's read-back need
    /// not ask again whether it exists before its container mounts it.
    pub(crate) share_volume_seen: Cell<bool>,
    /// Whether this process compared the kept volumes with their archives before `down -v`.
    pub(crate) kept_compared: Cell<bool>,
    /// The kept archives' sha256 as this process worked them out, by volume.
    pub(crate) kept_hashed: RefCell<std::collections::BTreeMap<String, Hashed>>,
}

/// Whom a check asks and tells: the executor (and its log), the host's questions, the operator.
pub(crate) struct With<'c, 'r> {
    pub(crate) runner: &'r Runner,
    pub(crate) host: &'c Host<'r>,
    pub(crate) ui: &'c Ui,
}

/// The step a check guards, in its plan, and when the step's commands began.
pub(crate) struct At<'c> {
    pub(crate) plan: &'c Plan,
    pub(crate) step: &'c Step,
    pub(crate) began: SystemTime,
}

/// Nothing may differ either way between `archive` and `what` (/share, a kept volume), read
/// back while nothing wrote it.
pub(crate) fn judge_against(archive: &camino::Utf8Path, comparison: &Comparison, what: &str) -> Result<()> {
    let mut wrong = Vec::new();
    mismatch(&mut wrong, &comparison.extra, &format!("entries of {what} are not in the archive"));
    mismatch(&mut wrong, &comparison.missing, &format!("archived entries are not in {what}"));
    mismatch(&mut wrong, &comparison.differing, &format!("archived entries differ from {what}"));
    if !wrong.is_empty() {
        bail!("the archive {archive} does not match {what}: {}", wrong.join("; "));
    }
    Ok(())
}

/// Adds "N `what` (the first names)" to `wrong` if there are any.
pub(crate) fn mismatch(wrong: &mut Vec<String>, names: &Names, what: &str) {
    if !names.is_empty() {
        wrong.push(format!("{} {what} ({names})", names.count));
    }
}
