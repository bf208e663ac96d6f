//! An archive is never overwritten: one in the way is kept aside under the first free
//! `.previous-N`, private (0600: it holds the vault key and Ceph keys, and the runbook's tar
//! writes 0644), with a checksum file that `sha256sum -c` accepts, and an archive the operator
//! named is put back under its name when a reset that kept it aside is rolled back. What an
//! earlier reset of the same day left beside its archive (journal, records, log, and the records
//! of each volume it kept) is kept aside the same way by the next one, before it writes its own.

use std::fs::Permissions;
use std::os::unix::fs::PermissionsExt;

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::archive::verify;
use crate::host::files::atomic;

/// The name `keep_aside` gives `archive` now.
pub(crate) fn free_name(archive: &Utf8Path) -> Utf8PathBuf {
    (1u64..)
        .map(|n| Utf8PathBuf::from(format!("{archive}.previous-{n}")))
        .find(|p| !p.exists())
        .unwrap_or_else(|| Utf8PathBuf::from(format!("{archive}.previous")))
}

/// Renames an archive that is there already (from an earlier attempt of this step, of a reset
/// planned again, or the one the operator named) to the first free `.previous-N`; returns the
/// new name. `known` is its sha256 where the reset knows it (the approved archive to restore, a
/// verified one): without it, and without a checksum file beside it, the archive is hashed.
pub(crate) fn keep_aside(archive: &Utf8Path, known: Option<&str>) -> Result<Option<Utf8PathBuf>> {
    if !archive.exists() || archive.metadata().is_ok_and(|m| m.len() == 0) {
        return Ok(None);
    }
    let kept = free_name(archive);
    move_with_checksum(archive, &kept, known)?;
    Ok(Some(kept))
}

/// The first `.previous-N` that none of `paths` has yet.
pub(crate) fn free_suffix(paths: &[Utf8PathBuf]) -> String {
    (1u64..)
        .map(|n| format!(".previous-{n}"))
        .find(|suffix| paths.iter().all(|p| !Utf8PathBuf::from(format!("{p}{suffix}")).exists()))
        .unwrap_or_else(|| ".previous".to_owned())
}

/// The suffix `keep_set_aside` gives what today's earlier reset left in `backup_dir`, where one
/// left a closed journal (finished, or rolled back) where this one writes its own; an unfinished
/// one is resumed, never kept aside.
pub(crate) fn earlier_reset(backup_dir: &Utf8Path, today: time::Date) -> Option<String> {
    let left = left_by_earlier(backup_dir, &crate::plan::date_stamp(today));
    let closed =
        std::fs::read_to_string(&left[0]).is_ok_and(|text| crate::run::record::journal::closed(&text));
    closed.then(|| free_suffix(&left))
}

/// What a reset of the date `stamp` left in `backup_dir` that the next one of that day writes
/// again: `left_by_a_reset`'s three (the journal first), then the records of each volume it kept,
/// found by name, as it may have kept other volumes than the next one does.
pub(crate) fn left_by_earlier(backup_dir: &Utf8Path, stamp: &str) -> Vec<Utf8PathBuf> {
    let mut kept: Vec<Utf8PathBuf> = backup_dir
        .read_dir_utf8()
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| crate::plan::runbook::files::kept_records_volume(entry.file_name(), stamp).is_some())
        .map(|entry| entry.into_path())
        .collect();
    kept.sort();
    crate::plan::left_by_a_reset(backup_dir, stamp).into_iter().chain(kept).collect()
}

/// Keeps what an earlier reset of the same day left (`paths`: its journal, records and log)
/// aside, each under its name with the first `.previous-N` free for all, private; returns that
/// suffix, where any was there.
pub(crate) fn keep_set_aside(paths: &[Utf8PathBuf]) -> Result<Option<String>> {
    let there: Vec<&Utf8PathBuf> = paths.iter().filter(|p| p.exists()).collect();
    if there.is_empty() {
        return Ok(None);
    }
    let suffix = free_suffix(paths);
    for path in there {
        let kept = Utf8PathBuf::from(format!("{path}{suffix}"));
        std::fs::rename(path, &kept).with_context(|| format!("cannot keep {path} as {kept}"))?;
        std::fs::set_permissions(&kept, Permissions::from_mode(atomic::PRIVATE))
            .with_context(|| format!("cannot make {kept} private (`chmod 600 {kept}`)"))?;
    }
    Ok(Some(suffix))
}

/// Moves `from` back to `to`, its checksum file with it, where `to` is free again.
pub(crate) fn put_back(from: &Utf8Path, to: &Utf8Path) -> Result<bool> {
    if !from.exists() || to.exists() {
        return Ok(false);
    }
    move_with_checksum(from, to, None)?;
    Ok(true)
}

/// Renames `from` to `to` and makes it private; its checksum (the file beside `from`, else
/// `known`, else the file's own) is written beside `to`, naming it.
fn move_with_checksum(from: &Utf8Path, to: &Utf8Path, known: Option<&str>) -> Result<()> {
    std::fs::rename(from, to).with_context(|| format!("cannot keep {from} as {to}"))?;
    std::fs::set_permissions(to, Permissions::from_mode(atomic::PRIVATE))
        .with_context(|| format!("cannot make {to} private (`chmod 600 {to}`)"))?;
    let checksum = verify::checksum_path(from);
    let beside = std::fs::read_to_string(&checksum).ok();
    let sha256 = match (beside.as_deref().and_then(|l| l.split_whitespace().next()), known) {
        (Some(written), _) => written.to_owned(),
        (None, Some(known)) => known.to_owned(),
        (None, None) => verify::sha256_of(to)?,
    };
    verify::write_checksum(to, &sha256)?;
    if beside.is_some() {
        std::fs::remove_file(&checksum).with_context(|| format!("cannot remove {checksum}"))?;
    }
    Ok(())
}
