//! Two tar streams compared entry by entry: the archive of /share, and /share itself read back
//! as a tar stream out of a read-only container.
//!
//! Both sides are described by the same reader, so "the same entry" means the same thing on both:
//! type, mode, owner, size, link target and the piecewise SHA-256 of the contents (`pieces`: a
//! big file's is worked out by two cores). Both come from tar walking the volume's directories, so they mostly list entries in the same order: the streams are read
//! in lockstep, and an entry met out of order waits in a small buffer for its twin. Memory grows
//! with how much the orders differ (a few entries the running manager added), not with /share.
//! /share's side is read and hashed on a thread of its own, a bounded number of entries ahead:
//! a big file is hashed on both sides at once, not one after the other.

use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::mpsc;
use std::thread;

use anyhow::{Context, Result, ensure};
use sha2::{Digest, Sha256};

use crate::archive::pieces;

/// How many entries a message names at most.
pub(crate) const NAMED: usize = 5;

/// How many of /share's entries its thread reads ahead of the comparison.
const AHEAD: usize = 256;

/// One entry: what it is (hashed) and when it was last written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Record {
    /// Type, mode, owner, size, link target and the piecewise SHA-256 of the contents, hashed.
    pub(crate) what: [u8; 16],
    pub(crate) mtime: u64,
}

/// Paths, counted, the first few kept for messages.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Names {
    pub(crate) count: usize,
    /// The first `NAMED` paths.
    pub(crate) first: Vec<String>,
}

impl Names {
    fn add(&mut self, path: &str) {
        self.count += 1;
        if self.first.len() < NAMED {
            self.first.push(path.to_owned());
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.count == 0
    }
}

impl std::fmt::Display for Names {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.first.join(", "))?;
        if self.count > self.first.len() {
            write!(f, " and {} more", self.count - self.first.len())?;
        }
        Ok(())
    }
}

/// How /share compares with the archive.
#[derive(Debug, Default)]
pub(crate) struct Comparison {
    /// Entries the archive holds.
    pub(crate) archived: u64,
    /// Archived entries that /share lacks.
    pub(crate) missing: Names,
    /// Archived entries that /share holds otherwise (see `compare` for `changed_since`).
    pub(crate) differing: Names,
    /// Archived entries that /share holds otherwise, written since `changed_since`: the running
    /// manager's own writes.
    pub(crate) changed_since: Names,
    /// Entries of /share that the archive lacks.
    pub(crate) extra: Names,
    /// Archived entries found identical.
    pub(crate) identical: u64,
}

impl Comparison {
    fn judge(&mut self, path: &str, archived: Record, found: Record, changed_since: Option<u64>) {
        if archived.what == found.what {
            self.identical += 1;
        } else if changed_since.is_some_and(|since| found.mtime >= since && found.mtime != archived.mtime) {
            self.changed_since.add(path);
        } else {
            self.differing.add(path);
        }
    }
}

/// Compares the tar stream `share` with the tar stream `archive`, entry by entry, each read to
/// its end.
///
/// An archived entry that differs counts as changed since `changed_since` (Unix seconds) when
/// its mtime in `share` is that late and not the archived one (tar restores mtimes, so a
/// restored entry has the archive's); `None` counts every difference as differing.
pub(crate) fn compare(
    archive: impl Read,
    share: impl Read + Send,
    changed_since: Option<u64>,
) -> Result<Comparison> {
    compare_recording(archive, share, changed_since, |_, _| Ok(()))
}

/// `compare`, handing each archived entry's path and record to `keep` as it goes by.
pub(crate) fn compare_recording(
    archive: impl Read,
    share: impl Read + Send,
    changed_since: Option<u64>,
    mut keep: impl FnMut(&str, &Record) -> Result<()>,
) -> Result<Comparison> {
    let mut archive = tar::Archive::new(archive);
    let comparison = {
        let mut archived = archive.entries().context("cannot read the archive")?;
        let mut hasher = pieces::Hasher::default();
        let archived = || {
            let entry = next(&mut archived, &mut hasher).context("cannot read the archive")?;
            if let Some((path, record)) = &entry {
                keep(path, record)?;
            }
            Ok(entry)
        };
        against_share(archived, share, changed_since)?
    };
    // The end blocks and whatever follows: a compressed stream checks its trailer.
    io::copy(&mut archive.into_inner(), &mut io::sink()).context("cannot read the archive")?;
    Ok(comparison)
}

/// `compare`, the archive's entries given as the records `archived` yields: those its
/// verification kept (`records`), which describe it as reading it would.
pub(crate) fn compare_with_records(
    archived: impl FnMut() -> Result<Option<(String, Record)>>,
    share: impl Read + Send,
    changed_since: Option<u64>,
) -> Result<Comparison> {
    against_share(archived, share, changed_since)
}

/// Compares the entries `archived` yields with those of the tar stream `share`, which a thread
/// reads (to its end: a pipe drains) and hashes, `AHEAD` entries at most ahead.
fn against_share(
    archived: impl FnMut() -> Result<Entry>,
    share: impl Read + Send,
    changed_since: Option<u64>,
) -> Result<Comparison> {
    thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<Result<Entry>>(AHEAD);
        scope.spawn(move || {
            let mut share = tar::Archive::new(share);
            let mut hasher = pieces::Hasher::default();
            let read = share.entries().context("cannot read /share").and_then(|mut entries| {
                loop {
                    let entry = next(&mut entries, &mut hasher).context("cannot read /share")?;
                    let end = entry.is_none();
                    // The comparison ended early (it failed): nothing more to read for it.
                    if tx.send(Ok(entry)).is_err() || end {
                        return Ok(());
                    }
                }
            });
            let drained = read.and_then(|()| {
                io::copy(&mut share.into_inner(), &mut io::sink()).map(drop).context("cannot read /share")
            });
            if let Err(error) = drained {
                let _ = tx.send(Err(error));
            }
        });
        let found = || rx.recv().unwrap_or_else(|_| Ok(None));
        let comparison = lockstep(archived, found, changed_since);
        // The thread may wait to hand over an entry no one takes any more.
        drop(rx);
        comparison
    })
}

/// An entry: its normalized path and record.
type Entry = Option<(String, Record)>;

/// Reads both sides' entries in lockstep and judges each archived entry against its twin.
fn lockstep(
    mut archived: impl FnMut() -> Result<Entry>,
    mut found: impl FnMut() -> Result<Entry>,
    changed_since: Option<u64>,
) -> Result<Comparison> {
    let mut comparison = Comparison::default();
    // Entries met out of order, waiting for their twin from the other stream.
    let mut waiting_archived: HashMap<String, Record> = HashMap::new();
    let mut waiting_found: HashMap<String, Record> = HashMap::new();
    loop {
        let a = archived()?;
        let s = found()?;
        comparison.archived += u64::from(a.is_some());
        match (a, s) {
            (None, None) => break,
            (Some((ap, ar)), Some((sp, sr))) if ap == sp => comparison.judge(&ap, ar, sr, changed_since),
            (a, s) => {
                if let Some((path, record)) = a {
                    match waiting_found.remove(&path) {
                        Some(twin) => comparison.judge(&path, record, twin, changed_since),
                        None => drop(waiting_archived.insert(path, record)),
                    }
                }
                if let Some((path, record)) = s {
                    match waiting_archived.remove(&path) {
                        Some(twin) => comparison.judge(&path, twin, record, changed_since),
                        None => drop(waiting_found.insert(path, record)),
                    }
                }
            }
        }
    }
    let sorted = |waiting: HashMap<String, Record>, names: &mut Names| {
        let mut paths: Vec<String> = waiting.into_keys().collect();
        paths.sort();
        paths.iter().for_each(|p| names.add(p));
    };
    sorted(waiting_archived, &mut comparison.missing);
    sorted(waiting_found, &mut comparison.extra);
    Ok(comparison)
}

/// The next entry's normalized path and record, its contents hashed on the way.
fn next<R: Read>(entries: &mut tar::Entries<'_, R>, hasher: &mut pieces::Hasher) -> Result<Entry> {
    let Some(entry) = entries.next() else { return Ok(None) };
    let mut entry = entry.context("cannot read a tar entry")?;
    let header = entry.header();
    let size = header.size()?;
    let kind = header.entry_type().as_byte();
    let mode = u64::from(header.mode()? & 0o7777);
    let (uid, gid) = (header.uid()?, header.gid()?);
    let mtime = header.mtime()?;
    let link = entry.link_name_bytes().map(|l| l.into_owned()).unwrap_or_default();
    let path = normalize(&String::from_utf8_lossy(&entry.path_bytes())).to_owned();
    let (contents, read) = hasher.of_stream(&mut entry)?;
    ensure!(read == size, "entry {path} ends after {read} of {size} bytes");
    let mut what = Sha256::new();
    what.update([kind]);
    for n in [mode, uid, gid, size] {
        what.update(n.to_le_bytes());
    }
    what.update((link.len() as u64).to_le_bytes());
    what.update(&link);
    what.update(contents);
    let mut short = [0; 16];
    short.copy_from_slice(&what.finalize()[..16]);
    Ok(Some((path, Record { what: short, mtime })))
}

/// `./share/a/` and `share/a` are one entry.
fn normalize(path: &str) -> &str {
    let path = path.strip_prefix("./").unwrap_or(path);
    let path = path.strip_prefix('/').unwrap_or(path);
    path.strip_suffix('/').unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar stream of `(path, contents, mode, mtime)`; a path ending in `/` is a directory.
    fn tar(entries: &[(&str, &str, u32, u64)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, data, mode, mtime) in entries {
            let mut header = tar::Header::new_ustar();
            if path.ends_with('/') {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_size(0);
            } else {
                header.set_size(data.len() as u64);
            }
            header.set_mode(*mode);
            header.set_mtime(*mtime);
            header.set_uid(0);
            header.set_gid(0);
            header.set_cksum();
            builder.append_data(&mut header, path, data.as_bytes()).unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn check(archive: &[u8], share: &[u8], since: Option<u64>) -> Comparison {
        compare(archive, share, since).unwrap()
    }

    const ARCHIVE: &[(&str, &str, u32, u64)] = &[
        ("share/", "", 0o755, 100),
        ("share/known_hosts", "node-0 ssh-ed25519\n", 0o644, 100),
        ("share/ceph/", "", 0o700, 100),
        ("share/ceph/keyring", "[client.admin]\n", 0o600, 100),
    ];

    #[test]
    fn the_same_entries_in_another_order_are_identical() {
        let mut reversed = ARCHIVE.to_vec();
        reversed.reverse();
        let c = check(&tar(ARCHIVE), &tar(&reversed), None);
        assert_eq!((c.identical, c.archived), (4, 4));
        assert!(c.missing.is_empty() && c.differing.is_empty() && c.extra.is_empty());
    }

    #[test]
    fn missing_differing_and_extra_entries_are_named() {
        let share = tar(&[
            ("share/", "", 0o755, 100),
            ("share/known_hosts", "node-0 ssh-ed25519\n", 0o600, 100),
            ("share/ceph/", "", 0o700, 100),
            ("share/new", "x", 0o644, 100),
        ]);
        let c = check(&tar(ARCHIVE), &share, None);
        assert_eq!(c.missing.first, ["share/ceph/keyring"]);
        assert_eq!(c.differing.first, ["share/known_hosts"], "a changed mode is a difference");
        assert_eq!(c.extra.first, ["share/new"]);
        assert_eq!(c.identical, 2);
    }

    #[test]
    fn a_difference_written_since_the_restore_began_is_the_managers() {
        let share = tar(&[
            ("share/", "", 0o755, 100),
            ("share/known_hosts", "node-0 ssh-ed25519\nnode-1 ssh-ed25519\n", 0o644, 500),
            ("share/ceph/", "", 0o700, 100),
            ("share/ceph/keyring", "[client.evil]\n", 0o600, 100),
        ]);
        let c = check(&tar(ARCHIVE), &share, Some(400));
        assert_eq!(c.changed_since.first, ["share/known_hosts"]);
        assert_eq!(c.differing.first, ["share/ceph/keyring"], "old and different is not the manager's");
    }

    #[test]
    fn names_are_counted_beyond_those_shown() {
        let many: Vec<(String, String, u32, u64)> =
            (0..8).map(|i| (format!("share/f{i}"), String::new(), 0o644, 1)).collect();
        let many: Vec<(&str, &str, u32, u64)> =
            many.iter().map(|(p, d, m, t)| (p.as_str(), d.as_str(), *m, *t)).collect();
        let c = check(&tar(&many), &tar(&[("share/", "", 0o755, 1)]), None);
        assert_eq!(c.missing.count, 8);
        assert_eq!(c.missing.to_string(), "share/f0, share/f1, share/f2, share/f3, share/f4 and 3 more");
    }

    #[test]
    fn a_short_entry_is_refused() {
        let mut bytes = tar(ARCHIVE);
        bytes.truncate(512 * 2 + 10);
        assert!(compare(&bytes[..], &tar(ARCHIVE)[..], None).is_err());
        assert!(compare(&tar(ARCHIVE)[..], &bytes[..], None).is_err());
    }
}
