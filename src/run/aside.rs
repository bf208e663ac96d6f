//! An archive is never overwritten: one in the way is kept aside under the first free
//! `.previous-N`, with a checksum file that `sha256sum -c` still accepts, and an archive the
//! operator named is put back under its name when a reset that kept it aside is rolled back.

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::run::verify;

/// The name `keep_aside` gives `archive` now.
pub fn free_name(archive: &Utf8Path) -> Utf8PathBuf {
    (1u64..)
        .map(|n| Utf8PathBuf::from(format!("{archive}.previous-{n}")))
        .find(|p| !p.exists())
        .unwrap_or_else(|| Utf8PathBuf::from(format!("{archive}.previous")))
}

/// Renames an archive that is there already (from an earlier attempt of this step, of a reset
/// planned again, or the one the operator named) to the first free `.previous-N`; returns the
/// new name.
pub fn keep_aside(archive: &Utf8Path) -> Result<Option<Utf8PathBuf>> {
    if !archive.exists() || archive.metadata().is_ok_and(|m| m.len() == 0) {
        return Ok(None);
    }
    let kept = free_name(archive);
    move_with_checksum(archive, &kept)?;
    Ok(Some(kept))
}

/// Moves `from` back to `to`, its checksum file with it, where `to` is free again.
pub fn put_back(from: &Utf8Path, to: &Utf8Path) -> Result<bool> {
    if !from.exists() || to.exists() {
        return Ok(false);
    }
    move_with_checksum(from, to)?;
    Ok(true)
}

/// Renames `from` to `to`; a checksum file beside `from` is written again beside `to`, naming it.
fn move_with_checksum(from: &Utf8Path, to: &Utf8Path) -> Result<()> {
    std::fs::rename(from, to).with_context(|| format!("cannot keep {from} as {to}"))?;
    let checksum = verify::checksum_path(from);
    if let Ok(line) = std::fs::read_to_string(&checksum) {
        let sha256 = line.split_whitespace().next().unwrap_or_default();
        verify::write_checksum(to, sha256)?;
        std::fs::remove_file(&checksum).with_context(|| format!("cannot remove {checksum}"))?;
    }
    Ok(())
}
