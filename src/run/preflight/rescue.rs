//! The archive the operator names with `--restore-from`, read whole before anything changes.
//!
//! It comes from outside, so it is hostile until read: the runbook's restore runs `tar -x -C /`
//! in a container that also mounts the archive's directory at /backup, and an entry that is not
//! under `share/` would write there, or anywhere the container sees. Every entry is judged as it
//! is read (its name as tar's header holds it and as the extensions make it, both): no absolute
//! name, no `..`, nothing outside `share/`, no path through a symlink the archive made earlier,
//! no hard link out of `share/`, no device node, FIFO or other special file. The gzip stream is
//! read to its CRC and the file hashed in the same pass; the sha256 must match the `.sha256`
//! beside it, or the one given.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::os::unix::fs::MetadataExt;

use anyhow::{Context, Result, bail, ensure};
use camino::Utf8Path;
use flate2::read::GzDecoder;

use crate::archive::compare::{self, Comparison, Names};
use crate::archive::verify::{self, HashingReader};
use crate::host::docker::inspect::Host;
use crate::plan::config::Config;
use crate::plan::problem::Kind;
use crate::plan::{ArchiveSummary, Listed, RestoreSource, ShareDifference, Vouched};
use crate::run::preflight::Preflight;
use crate::run::record::previous;

/// What reading the named archive whole found: its sha256 and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Whole {
    pub(crate) sha256: String,
    pub(crate) summary: ArchiveSummary,
}

/// Why the archive may not be restored, naming the archive (and the entry) and the fix.
pub(crate) type Refusal = String;

/// Whether `path` may be read as the operator's archive: a regular file (not a link: the
/// container sees only its directory), written by a user the reset trusts, on a path no one
/// else may replace it through (`trust::above_problem`).
pub(crate) fn file_problem(path: &Utf8Path, project: &Utf8Path, euid: u32) -> Option<Refusal> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Some(format!("--restore-from {path} does not exist: give the archive's path"));
        }
        Err(error) => return Some(format!("--restore-from {path} cannot be read ({error})")),
    };
    let writers = crate::host::files::trust::writers(project, euid);
    let owner = crate::host::files::users::name_of;
    let why = if !meta.file_type().is_file() {
        "it is not a regular file (give the archive itself, not a link to it)".to_owned()
    } else if meta.len() == 0 {
        "it is empty".to_owned()
    } else if !writers.contains(&meta.uid()) {
        format!("it belongs to {}, whom the reset does not trust with /share", owner(meta.uid()))
    } else if crate::host::files::trust::others_may_write(&meta).is_some() {
        format!("others may write it (mode {:04o}): `chmod go-w {path}`", meta.mode() & 0o7777)
    } else {
        crate::host::files::trust::above_problem(path, &writers, euid)?
    };
    Some(format!("--restore-from {path} will not do: {why}"))
}

/// Reads the archive whole: every entry judged, the gzip stream to its CRC, the file hashed.
pub(crate) fn read(path: &Utf8Path) -> Result<Whole, Refusal> {
    let file = File::open(path).map_err(|e| format!("cannot open --restore-from {path}: {e}"))?;
    let mut hashed = HashingReader::new(BufReader::with_capacity(1 << 16, file));
    let summary = judge_all(GzDecoder::new(&mut hashed))
        .map_err(|error| format!("--restore-from {path} is refused: {error:#}; nothing was changed"))?;
    io::copy(&mut hashed, &mut io::sink()).map_err(|e| format!("cannot read --restore-from {path}: {e}"))?;
    Ok(Whole { sha256: hashed.finish(), summary })
}

/// Who vouches for `sha256`: the `.sha256` file beside the archive, else the one given; either
/// must match. Without both, nobody does. A checksum file vouches only where a user the reset
/// trusts (`trusted`: you, root, the manager's operator) wrote it: in a shared directory, anyone
/// could plant one beside an archive of their making.
pub(crate) fn vouch(
    path: &Utf8Path,
    sha256: &str,
    given: Option<&str>,
    trusted: &[u32],
) -> Result<Vouched, Refusal> {
    if let Some(given) = given
        && given != sha256
    {
        return Err(format!(
            "--restore-from {path} has sha256 {sha256}, not the {given} given with --restore-sha256: it is not \
             the archive that was approved"
        ));
    }
    let beside = verify::checksum_path(path);
    let owner = std::fs::symlink_metadata(&beside).map(|m| std::os::unix::fs::MetadataExt::uid(&m));
    if let Ok(owner) = owner
        && !trusted.contains(&owner)
    {
        let owner = crate::host::files::users::name_of(owner);
        return Err(format!(
            "{beside} belongs to {owner}, not to you, root or the manager's operator, so it vouches for nothing: \
             check the archive yourself and give its sha256 with --restore-sha256, or move the archive to a \
             directory of yours"
        ));
    }
    match crate::host::files::untrusted::read_text(&beside) {
        Ok(line) => {
            let written = line.split_whitespace().next().unwrap_or_default();
            if written != sha256 {
                return Err(format!(
                    "--restore-from {path} does not match {beside} (sha256 {sha256}, the file says {written}): \
                     the archive changed since its checksum was written; find the copy that passes `{}`",
                    verify::check_command(path)
                ));
            }
            Ok(Vouched::ChecksumFile)
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            Ok(if given.is_some() { Vouched::Given } else { Vouched::Nobody })
        }
        Err(error) => Err(format!("cannot read {beside}: {error}")),
    }
}

/// `file`, where the archive `restore` names is now, still has the sha256 the reset was approved
/// with: the step that restores it and a resume both ask.
pub(crate) fn still_approved(restore: &RestoreSource, file: &Utf8Path) -> Result<()> {
    let actual = verify::sha256_of(file)?;
    ensure!(
        actual == restore.sha256,
        "the archive to restore, {file}, changed since the reset was approved (sha256 {actual}, approved {}): \
         put the approved archive back there, then resume",
        restore.sha256
    );
    Ok(())
}

/// How the archive's entries compare with /share's, by path, as the plan shows it.
fn difference(comparison: &Comparison) -> ShareDifference {
    let listed = |names: &Names| Listed { count: names.count as u64, first: names.first.clone() };
    ShareDifference {
        only_archive: listed(&comparison.missing),
        only_share: listed(&comparison.extra),
        differing: listed(&comparison.differing),
    }
}

impl Preflight<'_> {
    /// The archive `--restore-from` names, read whole and vouched for, with how it differs from
    /// /share now (read back through a container, where the share volume exists and the image is
    /// here: `measured`); what is wrong is a problem. Today's archive, which step 2 writes, is
    /// kept aside first where the share volume exists (`!share_missing`).
    pub(crate) fn restore_source(&mut self, measured: bool, share_missing: bool) -> Option<RestoreSource> {
        let (config, euid, host, today) = (self.config, self.euid, self.host, self.archive.clone());
        let path = config.options.restore_from.as_ref()?;
        let mut refused = |refusal: Refusal| {
            self.problem(Kind::RestoreFrom, refusal);
            None
        };
        if let Some(problem) = file_problem(path, &config.options.project_directory, euid) {
            return refused(problem);
        }
        let whole = match read(path) {
            Ok(whole) => whole,
            Err(refusal) => return refused(refusal),
        };
        let trusted = crate::host::files::trust::writers(&config.options.project_directory, euid);
        let vouched = match vouch(path, &whole.sha256, config.options.restore_sha256.as_deref(), &trusted) {
            Ok(vouched) => vouched,
            Err(refusal) => return refused(refusal),
        };
        if vouched == Vouched::Nobody && config.yes {
            self.problem(
                Kind::RestoreFrom,
                format!(
                    "--restore-from {path} has no {} beside it, and --yes leaves no one to approve it by name: \
                     give the sha256 of the archive a person approved with --restore-sha256 (the dry run shows \
                     it: {})",
                    verify::checksum_path(path),
                    whole.sha256
                ),
            );
        }
        // /share is read back through a pipe in the backup directory: only once that directory
        // has passed the privacy check (its problem, if any, is listed by the backup directory's).
        let dir = &config.options.backup_dir;
        let private = dir.is_dir()
            && crate::host::files::trust::backup_dir_problem(dir, &config.options.project_directory, euid)
                .is_none();
        let difference = match (measured && private).then(|| compare_with_share(config, path, host)) {
            Some(Ok(difference)) => Some(difference),
            Some(Err(error)) => {
                self.problem(
                    Kind::RestoreFrom,
                    format!("{error:#}: cannot compare --restore-from {path} with /share"),
                );
                None
            }
            None => None,
        };
        let kept_as = (*path == today && !share_missing).then(|| previous::free_name(&today));
        Some(RestoreSource {
            path: path.clone(),
            sha256: whole.sha256,
            vouched,
            summary: whole.summary,
            difference,
            kept_as,
        })
    }
}

/// How the archive's entries and /share's differ, /share read back as a tar stream.
fn compare_with_share(config: &Config, path: &Utf8Path, host: &Host) -> Result<ShareDifference> {
    let read = host.start_share_read(
        &config.options.share_volume,
        &config.options.image,
        &config.options.backup_dir,
    )?;
    let comparison = read.finish(|share| compare::compare(verify::entries(path)?, share, None))?;
    Ok(difference(&comparison))
}

/// Judges every entry of the tar stream `tar`, each read to its end, then the stream's end.
fn judge_all(tar: impl Read) -> Result<ArchiveSummary> {
    let mut archive = tar::Archive::new(tar);
    let mut summary = ArchiveSummary { entries: 0, bytes: 0, newest_mtime: 0, vault_key: false };
    let mut symlinks: HashSet<String> = HashSet::new();
    for entry in archive.entries().context("it is no tar archive")? {
        let mut entry = entry.context("it is damaged")?;
        let name = judge(&entry, &symlinks)?;
        let header = entry.header();
        let kind = header.entry_type();
        summary.entries += 1;
        summary.newest_mtime = summary.newest_mtime.max(header.mtime().unwrap_or(0));
        if kind.is_symlink() {
            symlinks.insert(name.clone());
        }
        if kind.is_file() {
            summary.bytes += header.size().unwrap_or(0);
        }
        summary.vault_key |= name == "share/ansible_vault_password.key";
        io::copy(&mut entry, &mut io::sink()).with_context(|| format!("it is damaged in {name}"))?;
    }
    ensure!(summary.entries > 0, "it holds no entry");
    // The end blocks and the gzip trailer, whose CRC a damaged stream fails.
    io::copy(&mut archive.into_inner(), &mut io::sink()).context("it is damaged after its last entry")?;
    Ok(summary)
}

/// The entry's name, cleaned, if it may be extracted under /share; else why not.
fn judge<R: Read>(entry: &tar::Entry<'_, R>, symlinks: &HashSet<String>) -> Result<String> {
    let header = entry.header();
    let shown = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
    let kind = header.entry_type();
    let special = match kind {
        tar::EntryType::Char | tar::EntryType::Block => Some("a device node"),
        tar::EntryType::Fifo => Some("a FIFO"),
        kind if kind.is_file() || kind.is_dir() || kind.is_symlink() || kind.is_hard_link() => None,
        _ => Some("a special entry (neither file, directory nor link)"),
    };
    if let Some(what) = special {
        bail!("the entry {shown:?} is {what}, which /share never holds");
    }
    // What the header says and what its extensions say, both: tars disagree on which wins.
    let name = under_share(&entry.path_bytes(), symlinks).and_then(|name| {
        under_share(&header.path_bytes(), symlinks)?;
        Ok(name)
    });
    let name = name.map_err(|why| anyhow::anyhow!("the entry {shown:?} {why}"))?;
    if name == "share" && !kind.is_dir() {
        bail!("the entry {shown:?} would replace /share itself");
    }
    if kind.is_hard_link() {
        let targets = [entry.link_name_bytes(), header.link_name_bytes()];
        for target in targets.into_iter().flatten() {
            under_share(&target, symlinks).map_err(|why| {
                anyhow::anyhow!(
                    "the hard link {shown:?} to {:?}: its target {why}",
                    String::from_utf8_lossy(&target)
                )
            })?;
        }
    }
    Ok(name)
}

/// `path` cleaned (no `.`, no empty words) if it lies under `share/` and runs through no symlink
/// in `symlinks`; else why not.
fn under_share(path: &[u8], symlinks: &HashSet<String>) -> Result<String, String> {
    if path.first() == Some(&b'/') {
        return Err("has an absolute name".into());
    }
    let text = std::str::from_utf8(path).map_err(|_| "has a name that is not UTF-8".to_owned())?;
    let words: Vec<&str> = text.split('/').filter(|w| !w.is_empty() && *w != ".").collect();
    if words.contains(&"..") {
        return Err("has a `..` in its name".into());
    }
    match words.first() {
        Some(&"share") => {}
        Some(&"backup") => {
            return Err("is for backup/, the directory the restore mounts the archive from".into());
        }
        _ => return Err("is not under share/".into()),
    }
    for end in 1..words.len() {
        let through = words[..end].join("/");
        if symlinks.contains(&through) {
            return Err(format!("runs through {through}, a symlink the archive made earlier"));
        }
    }
    Ok(words.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar stream built entry by entry: `(kind, path, link target)`.
    fn tar(entries: &[(tar::EntryType, &str, &str)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (kind, path, link) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(*kind);
            header.set_size(0);
            header.set_mode(0o644);
            header.set_mtime(1_700_000_000);
            // The builder's own setters refuse `..` and absolute names: written raw, as an
            // attacker's tar would.
            let name = &mut header.as_old_mut().name;
            name[..path.len()].copy_from_slice(path.as_bytes());
            if !link.is_empty() {
                header.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
            }
            header.set_cksum();
            builder.append(&header, &[][..]).unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn judged(entries: &[(tar::EntryType, &str, &str)]) -> Result<ArchiveSummary, String> {
        judge_all(&tar(entries)[..]).map_err(|e| format!("{e:#}"))
    }

    use tar::EntryType::{Block, Char, Directory, Fifo, Link, Regular, Symlink};

    #[test]
    fn an_archive_of_share_passes_and_is_summed_up() {
        let summary = judged(&[
            (Directory, "share/", ""),
            (Regular, "share/ansible_vault_password.key", ""),
            (Symlink, "share/any", "/etc"),
            (Link, "share/hard", "share/ansible_vault_password.key"),
        ])
        .unwrap();
        assert_eq!(summary.entries, 4);
        assert!(summary.vault_key);
        assert_eq!(summary.newest_mtime, 1_700_000_000);
    }

    #[test]
    fn every_entry_that_could_write_outside_share_is_refused_by_name() {
        for (entries, why) in [
            (vec![(Regular, "/share/x", "")], "\"/share/x\" has an absolute name"),
            (vec![(Regular, "share/../etc/x", "")], "has a `..`"),
            (vec![(Regular, "etc/passwd", "")], "is not under share/"),
            (vec![(Regular, "backup/manager-share-20261202.tar.gz", "")], "is for backup/"),
            (
                vec![(Link, "share/h", "etc/shadow")],
                "hard link \"share/h\" to \"etc/shadow\": its target is not under",
            ),
            (vec![(Link, "share/h", "/etc/shadow")], "its target has an absolute name"),
            (
                vec![(Symlink, "share/l", "/backup"), (Regular, "share/l/x", "")],
                "runs through share/l, a symlink",
            ),
            (
                vec![(Symlink, "share/l", "/"), (Link, "share/h", "share/l/etc/shadow")],
                "its target runs through share/l",
            ),
            (vec![(Char, "share/null", "")], "is a device node"),
            (vec![(Block, "share/sda", "")], "is a device node"),
            (vec![(Fifo, "share/pipe", "")], "is a FIFO"),
            (vec![(Symlink, "share", "/backup")], "would replace /share itself"),
            (vec![], "it holds no entry"),
        ] {
            let error = judged(&entries).unwrap_err();
            assert!(error.contains(why), "{entries:?}: {error}");
        }
    }
}
