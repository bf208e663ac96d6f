//! What the operator approved, still what a step uses when it runs: the tar image under its tag
//! (the runbook's `docker run` names the tag, which anyone with the engine's socket may move)
//! and the vault password file (opened only when the vault step hands it to osism, which may be
//! long after preflight judged it, and after a resume).

use anyhow::{Result, bail, ensure};

use crate::host::docker::inspect::Host;
use crate::plan::Plan;
use crate::run::record::journal::Journal;

/// The tar image's tag still names the image the plan was made with, or the one the pulls
/// before step 1 left (kept in the journal, for a resume too). Where neither is known (the
/// engine could not say at preflight), the first step to run it pins the one here.
pub(crate) fn image(host: &Host, plan: &Plan, journal: &mut Journal) -> Result<()> {
    let image = &plan.image;
    let Some(now) = host.image_id(image)? else {
        bail!(
            "the image {image} is no longer on this host (it was removed after the plan was made): put it back \
             (`docker pull {image}`, or `docker load --input FILE`)"
        );
    };
    let Some(pinned) = journal.image_id.clone().or_else(|| plan.image_id.clone()) else {
        journal.image_id = Some(now);
        return journal.save();
    };
    ensure!(
        now == pinned,
        "{image} names the image {now} now, not {pinned}, the one the plan was approved with: someone pulled, \
         loaded or tagged another image under that name, and nothing runs on /share with an image no one \
         approved; put the approved one back with `docker tag {pinned} {image}` (it is still here unless \
         pruned)"
    );
    Ok(())
}

/// The vault password file is still a trusted user's, private, holding a password, on a path
/// no one else may replace it through, as preflight found it.
pub(crate) fn password_file(plan: &Plan) -> Result<()> {
    let Some(file) = plan.vault_password_file() else { return Ok(()) };
    let euid = rustix::process::geteuid().as_raw();
    match crate::host::files::trust::password_file_problem(
        file,
        "--vault-password-file",
        &plan.project_directory,
        euid,
    ) {
        Some(problem) => bail!("{problem}"),
        None => Ok(()),
    }
}
