//! Archives of this manager's /share in the backup directory, offered where preflight finds the
//! share volume missing or holding nothing of its own (a `down -v` by hand, a start that never
//! restored): a reset would otherwise archive an empty /share as if it were the real one, and
//! no run restores an older archive unless the operator names it with `--restore-from`.

use std::os::unix::fs::PermissionsExt;
use std::time::SystemTime;

use camino::{Utf8Path, Utf8PathBuf};

use crate::host::files::trust;
use crate::plan::{Exposed, Inputs, Vouched};
use crate::run::preflight::rescue;

/// How many archives the message describes, newest first; each is read whole.
const DESCRIBED: usize = 5;

/// An archive of /share found, as read.
#[derive(Debug, Clone)]
pub(crate) struct EarlierArchive {
    pub(crate) path: Utf8PathBuf,
    /// `YYYYMMDD`, from its name.
    pub(crate) date: String,
    /// What reading it whole found, or why it may not be restored.
    pub(crate) read: Result<rescue::Whole, String>,
    /// A `.sha256` beside it matches.
    pub(crate) verified: bool,
}

/// The archives in `dir` named as the runbook names them (`manager-share-YYYYMMDD.tar.gz`, and
/// the `.previous-N` kept aside), written by users the reset trusts: the newest `DESCRIBED`,
/// newest first, each read whole; and how many more there are.
pub(crate) fn archives(dir: &Utf8Path, project: &Utf8Path, euid: u32) -> Offered {
    let Ok(entries) = dir.read_dir_utf8() else { return Offered::default() };
    let mut named: Vec<(String, SystemTime, Utf8PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let date = runbook_date(entry.file_name())?;
            let path = entry.path().to_owned();
            let written = path.metadata().and_then(|m| m.modified()).ok()?;
            trust::written_by_trusted(&path, project, euid).then_some((date, written, path))
        })
        .collect();
    named.sort_by(|a, b| (&b.0, b.1).cmp(&(&a.0, a.1)));
    let more = named.len().saturating_sub(DESCRIBED);
    let found = named
        .into_iter()
        .take(DESCRIBED)
        .map(|(date, _, path)| {
            let read = rescue::read(&path);
            let trusted = trust::writers(project, euid);
            let verified = read.as_ref().is_ok_and(|whole| {
                rescue::vouch(&path, &whole.sha256, None, &trusted) == Ok(Vouched::ChecksumFile)
            });
            EarlierArchive { path, date, read, verified }
        })
        .collect();
    Offered { archives: found, more }
}

/// The archives found (the newest, described), and how many older ones there are besides.
#[derive(Debug, Clone, Default)]
pub(crate) struct Offered {
    pub(crate) archives: Vec<EarlierArchive>,
    pub(crate) more: usize,
}

/// The archives of /share in `dir` (the runbook's names, the `.previous-N` kept aside) and the
/// one `--restore-from` names that others than their owner may read, sorted by path: each holds
/// the vault key and Ceph keys, and the runbook's tar writes 0644.
pub(crate) fn exposed(dir: &Utf8Path, restore_from: Option<&Utf8Path>) -> Vec<Exposed> {
    let in_dir = dir.read_dir_utf8().into_iter().flatten().filter_map(Result::ok);
    let named = in_dir.filter(|e| runbook_date(e.file_name()).is_some()).map(|e| e.path().to_owned());
    let mut paths: Vec<Utf8PathBuf> = named.chain(restore_from.map(Utf8Path::to_owned)).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|path| {
            let meta = std::fs::symlink_metadata(&path).ok()?;
            let mode = meta.permissions().mode() & 0o7777;
            (meta.is_file() && mode & 0o044 != 0).then_some(Exposed { path, mode })
        })
        .collect()
}

/// The date in a runbook archive's name, if `name` is one.
fn runbook_date(name: &str) -> Option<String> {
    let rest = name.strip_prefix("manager-share-")?;
    let (date, tail) = rest.split_at_checked(8)?;
    let kept = |t: &str| t.strip_prefix(".previous-").is_some_and(|n| n.parse::<u32>().is_ok());
    let tail = tail.strip_prefix(".tar.gz")?;
    (date.bytes().all(|b| b.is_ascii_digit()) && (tail.is_empty() || kept(tail))).then(|| date.to_owned())
}

/// The refusal that names the archives found and the command that restores the newest one that
/// can be, with the options `inputs` were planned with.
pub(crate) fn problem(offered: &Offered, inputs: &Inputs, yes: bool) -> String {
    let Offered { archives: found, more } = offered;
    let volume = &inputs.options.share_volume;
    let state = if inputs.facts.share_missing {
        format!("the share volume {volume} does not exist")
    } else {
        format!("the share volume {volume} holds nothing a fresh manager does not write itself")
    };
    let listed: Vec<String> = found.iter().map(describe).collect();
    let more = if *more > 0 { format!(" and {more} older") } else { String::new() };
    let next = match found.iter().find(|f| f.read.is_ok()) {
        Some(newest) => format!(
            "restore the newest with `{}` (its plan shows what comes back), or name another with \
             --restore-from",
            command(newest, inputs, yes)
        ),
        None => "none of them can be restored as it is: see why above each".to_owned(),
    };
    format!(
        "{state} (a `down -v` by hand, or a start that never restored?), and a reset would archive that as \
         /share; archives of /share are in {}: {}{more}; {next}",
        inputs.options.backup_dir,
        listed.join("; ")
    )
}

fn describe(found: &EarlierArchive) -> String {
    let name = found.path.file_name().unwrap_or_default();
    let day = format!("{}-{}-{}", &found.date[..4], &found.date[4..6], &found.date[6..]);
    match &found.read {
        Ok(whole) => format!(
            "{name} (of {day}, {} entries, {})",
            whole.summary.entries,
            if found.verified { "verified by its .sha256" } else { "no .sha256 vouches for it" }
        ),
        Err(refusal) => format!("{name} (of {day}, refused: {refusal})"),
    }
}

/// The run's command again with `--restore-from ARCHIVE`; with `--yes`, the sha256 given where
/// no checksum file vouches for it.
fn command(found: &EarlierArchive, inputs: &Inputs, yes: bool) -> String {
    let mut restoring = inputs.clone();
    restoring.options.restore_from = Some(found.path.clone());
    restoring.options.restore_sha256 =
        found.read.as_ref().ok().filter(|_| yes && !found.verified).map(|whole| whole.sha256.clone());
    crate::plan::again_command(&restoring, yes)
}

#[cfg(test)]
mod tests {
    use super::runbook_date;

    #[test]
    fn only_the_runbooks_names_are_archives_of_share() {
        assert_eq!(runbook_date("manager-share-20261130.tar.gz").as_deref(), Some("20261130"));
        assert_eq!(runbook_date("manager-share-20261130.tar.gz.previous-2").as_deref(), Some("20261130"));
        for other in [
            "manager-share-20261130.tar.gz.sha256",
            "manager-share-2026113.tar.gz",
            "manager-share-2026113x.tar.gz",
            "manager-share-20261130.tar.gz.previous-x",
            "manager-reset-20261130.journal.json",
        ] {
            assert_eq!(runbook_date(other), None, "{other}");
        }
    }
}
