//! The kept volumes on a reset's fault paths. A kept archive that no longer matches the checksum
//! it was verified with is told apart from /share's (`Damaged`), so that the message names it:
//! after `down -v` it is the volume's only copy. A reset that stops before `down -v` clears the
//! kept archives out of the next run's way as it clears step 2's (`clear_the_way`): one it
//! verified is kept aside, one it never verified (partial, or damaged) is removed, so that it is
//! never kept aside, with a checksum, as if it were a copy.

use camino::Utf8PathBuf;

use crate::archive::{tee, verify};
use crate::plan::Plan;
use crate::run::record::journal::Journal;
use crate::run::record::previous;

/// A kept volume's archive is not what was verified: the context of `verify::check`'s error.
#[derive(Debug, Clone)]
pub(crate) struct Damaged {
    pub(crate) volume: String,
    pub(crate) archive: Utf8PathBuf,
}

impl std::fmt::Display for Damaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the archive of the kept volume {}", self.volume)
    }
}

/// Where the reset stands after a step failed on `damaged`, and what to type next: after
/// `down -v` (before it, the rollback handles the kept archives with /share's).
pub(crate) fn where_and_next(plan: &Plan, journal: &Journal, damaged: &Damaged) -> (String, String) {
    let (volume, archive) = (&damaged.volume, &damaged.archive);
    let checksum = verify::checksum_path(archive);
    let share = match &journal.archive {
        Some(_) => format!("/share's verified archive {} is not affected", plan.backup_file),
        None => format!("/share comes back from {} as planned", plan.restored_file()),
    };
    (
        format!(
            "the only copy of {volume}, the archive {archive}, is damaged: it no longer matches {checksum}, and \
             `down -v` has deleted the volume; nothing was restored or started; {share}"
        ),
        format!(
            "still intact: the checksum in {checksum} and the list of archived paths in the log {}; resuming \
             repeats this failure: put a copy of the archive that passes `{}` in its place first, then resume \
             with `{}`",
            plan.log_path(),
            verify::check_command(archive),
            plan.resume_command()
        ),
    )
}

/// Clears each kept archive out of the next run's way, after a reset that stopped before `down
/// -v`; `damaged` names the volume whose verified archive changed since, where that stopped it.
/// Says what became of each, as "; ..." clauses.
pub(crate) fn clear_the_way(plan: &Plan, journal: &Journal, damaged: Option<&str>) -> String {
    let mut said = String::new();
    for volume in &plan.kept {
        let archive = plan.kept_archive(volume);
        tee::remove_unfinished(&archive);
        if !archive.exists() {
            continue;
        }
        let name = &volume.name;
        let fate = match journal.kept.get(name) {
            Some(verified) => {
                let how = if damaged == Some(name) { "changed since it was verified" } else { "verified" };
                match previous::keep_aside(&archive, Some(&verified.sha256)) {
                    Ok(Some(kept)) => format!("the archive {archive} of {name} ({how}) was kept as {kept}"),
                    Ok(None) => continue,
                    Err(error) => format!("{error:#}"),
                }
            }
            None => match verify::remove_unverified(&archive) {
                Ok(()) => format!("the archive {archive} of {name}, never verified, was removed"),
                Err(error) => format!(
                    "the archive {archive} of {name}, never verified, which the next run would not overwrite, \
                     cannot be removed ({error}): `{}` once it can be",
                    crate::plan::quote::join(&["rm".to_owned(), archive.to_string()])
                ),
            },
        };
        said.push_str("; ");
        said.push_str(&fate);
    }
    said
}
