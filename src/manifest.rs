//! What a tar stream holds, entry by entry, and how two such streams compare.
//!
//! The archive and /share (read back as a tar stream out of a read-only container) are described
//! by the same reader, so "the same entry" means the same thing on both sides: type, mode, owner,
//! size, link target and the SHA-256 of the contents. Each entry is kept as one fixed-size record
//! (hashes of its path and of its description, plus its mtime), so memory grows by a few dozen
//! bytes per entry, not by its path or contents. Names are only read again, in a second pass, for
//! the few entries a failure message shows.

use std::collections::HashSet;
use std::io::{self, Read};

use anyhow::{Context, Result, ensure};
use sha2::{Digest, Sha256};

/// How many entries a message names at most.
pub const NAMED: usize = 5;

/// One entry: which path (hashed), what it is (hashed), and when it was last written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Record {
    path: u64,
    what: [u8; 16],
    mtime: u64,
}

/// Every entry of a tar stream, sorted by path hash for lookups.
#[derive(Debug, Default)]
pub struct Manifest {
    records: Vec<Record>,
}

/// An entry as the comparison saw it, for naming it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Names {
    pub count: usize,
    /// The first `NAMED` paths.
    pub first: Vec<String>,
}

impl Names {
    fn add(&mut self, path: impl FnOnce() -> String) {
        self.count += 1;
        if self.first.len() < NAMED {
            self.first.push(path());
        }
    }

    pub fn is_empty(&self) -> bool {
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
pub struct Comparison {
    /// Archived entries that /share lacks.
    pub missing: Names,
    /// Archived entries that /share holds otherwise, written before `changed_since`.
    pub differing: Names,
    /// Archived entries that /share holds otherwise, written since `changed_since`: the running
    /// manager's own writes.
    pub changed_since: Names,
    /// Entries of /share that the archive lacks.
    pub extra: Names,
    /// Archived entries found identical.
    pub identical: u64,
}

impl Manifest {
    pub fn len(&self) -> u64 {
        self.records.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Reads a tar stream to its end; every file's contents are hashed on the way.
    pub fn read(stream: impl Read) -> Result<Manifest> {
        let mut records = Vec::new();
        for_each_entry(stream, |path, record| {
            records.push(record(path));
            Ok(())
        })?;
        records.sort_unstable_by_key(|r| r.path);
        Ok(Manifest { records })
    }

    fn find(&self, path: u64) -> Option<usize> {
        self.records.binary_search_by_key(&path, |r| r.path).ok()
    }

    /// Compares the tar stream `share` with this manifest, entry by entry.
    ///
    /// An archived entry that differs counts as changed since `changed_since` (Unix seconds) when
    /// its mtime in `share` is that late and not the archived one (tar restores mtimes, so a
    /// restored entry has the archive's); `None` counts every difference as differing. Names of
    /// archived entries that /share lacks are read again from `archive_again`, only if any.
    pub fn compare(
        &self,
        share: impl Read,
        changed_since: Option<u64>,
        archive_again: impl FnOnce() -> Result<Box<dyn Read>>,
    ) -> Result<Comparison> {
        let mut seen = vec![false; self.records.len()];
        let mut comparison = Comparison::default();
        for_each_entry(share, |path, record| {
            let found = record(path);
            match self.find(found.path) {
                None => comparison.extra.add(|| display(path)),
                Some(i) => {
                    seen[i] = true;
                    if self.records[i].what == found.what {
                        comparison.identical += 1;
                    } else if changed_since
                        .is_some_and(|since| found.mtime >= since && found.mtime != self.records[i].mtime)
                    {
                        comparison.changed_since.add(|| display(path));
                    } else {
                        comparison.differing.add(|| display(path));
                    }
                }
            }
            Ok(())
        })?;
        let lacking: HashSet<u64> =
            self.records.iter().zip(&seen).filter(|(_, seen)| !**seen).map(|(r, _)| r.path).collect();
        if !lacking.is_empty() {
            for_each_entry(archive_again()?, |path, _| {
                if lacking.contains(&path_hash(path)) {
                    comparison.missing.add(|| display(path));
                }
                Ok(())
            })?;
        }
        Ok(comparison)
    }
}

/// Calls `f` with each entry's normalized path and a maker of its record.
fn for_each_entry(
    stream: impl Read,
    mut f: impl FnMut(&[u8], &dyn Fn(&[u8]) -> Record) -> Result<()>,
) -> Result<()> {
    let mut archive = tar::Archive::new(stream);
    for entry in archive.entries().context("cannot read the tar stream")? {
        let mut entry = entry.context("cannot read a tar entry")?;
        let header = entry.header();
        let size = header.size()?;
        let kind = header.entry_type().as_byte();
        let mode = u64::from(header.mode()? & 0o7777);
        let (uid, gid) = (header.uid()?, header.gid()?);
        let mtime = header.mtime()?;
        let link = entry.link_name_bytes().map(|l| l.into_owned()).unwrap_or_default();
        let path = entry.path_bytes().into_owned();
        let mut contents = Sha256::new();
        let read = io::copy(&mut entry, &mut contents)?;
        ensure!(read == size, "entry {} ends after {read} of {size} bytes", display(&path));
        let contents = contents.finalize();
        let record = |path: &[u8]| {
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
            Record { path: path_hash(path), what: short, mtime }
        };
        f(normalize(&path), &record)?;
    }
    // The end blocks: reading to the end lets a compressed stream check its trailer.
    io::copy(&mut archive.into_inner(), &mut io::sink())?;
    Ok(())
}

/// `./share/a/` and `share/a` are one entry.
fn normalize(path: &[u8]) -> &[u8] {
    let path = path.strip_prefix(b"./").unwrap_or(path);
    let path = path.strip_prefix(b"/").unwrap_or(path);
    path.strip_suffix(b"/").unwrap_or(path)
}

fn path_hash(path: &[u8]) -> u64 {
    let digest = Sha256::digest(path);
    u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
}

fn display(path: &[u8]) -> String {
    String::from_utf8_lossy(path).into_owned()
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

    fn compare(archive: &[u8], share: &[u8], since: Option<u64>) -> Comparison {
        let manifest = Manifest::read(archive).unwrap();
        let again = archive.to_vec();
        manifest.compare(share, since, || Ok(Box::new(io::Cursor::new(again)))).unwrap()
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
        let c = compare(&tar(ARCHIVE), &tar(&reversed), None);
        assert_eq!(c.identical, 4);
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
        let c = compare(&tar(ARCHIVE), &share, None);
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
        let c = compare(&tar(ARCHIVE), &share, Some(400));
        assert_eq!(c.changed_since.first, ["share/known_hosts"]);
        assert_eq!(c.differing.first, ["share/ceph/keyring"], "old and different is not the manager's");
    }

    #[test]
    fn names_are_counted_beyond_those_shown() {
        let many: Vec<(String, String, u32, u64)> =
            (0..8).map(|i| (format!("share/f{i}"), String::new(), 0o644, 1)).collect();
        let many: Vec<(&str, &str, u32, u64)> =
            many.iter().map(|(p, d, m, t)| (p.as_str(), d.as_str(), *m, *t)).collect();
        let c = compare(&tar(&many), &tar(&[("share/", "", 0o755, 1)]), None);
        assert_eq!(c.missing.count, 8);
        assert_eq!(c.missing.to_string(), "share/f0, share/f1, share/f2, share/f3, share/f4 and 3 more");
    }

    #[test]
    fn a_short_entry_is_refused() {
        let mut bytes = tar(ARCHIVE);
        bytes.truncate(512 * 2 + 10);
        assert!(Manifest::read(&bytes[..]).is_err());
    }
}
