//! What the verification after the backup learnt of each archived entry, kept on disk beside
//! the journal (`manager-reset-YYYYMMDD.records`, its sha256 in the journal): the check after
//! the restore compares /share with these records instead of decompressing the archive again,
//! and a resumed run finds them too.
//!
//! A record is what `compare` reads of an entry (its path, the hash of its type, mode, owner,
//! size, link target and contents, and its mtime), so comparing with the records is comparing
//! with the archive they were made from, as long as the archive still has the sha256 it was
//! verified with. Records that are missing, or not what was written, are not used: the caller
//! reads the archive itself.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};

use anyhow::{Context, Result, bail, ensure};
use camino::Utf8Path;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::archive::compare::Record;

/// What the file starts with: the format, so that another one is never misread (1 hashed
/// contents whole, 2 in pieces of 1 MiB, 3 in pieces of 512 KiB).
const MAGIC: &[u8] = b"osism-manager-reset records 3\n";

/// The longest path a record may name: far beyond any tar's, short enough to refuse garbage.
const LONGEST_PATH: usize = 1 << 20;

/// The records as the journal names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Stored {
    pub(crate) entries: u64,
    pub(crate) sha256: String,
}

/// Writes the records to a temporary file beside `path`, which `finish` puts in its place.
pub(crate) struct Writer {
    file: BufWriter<tempfile::NamedTempFile>,
    hasher: Sha256,
    entries: u64,
}

impl Writer {
    pub(crate) fn create(path: &Utf8Path) -> Result<Writer> {
        let dir = path.parent().context("the records have no directory")?;
        let file = tempfile::Builder::new()
            .prefix(".records-")
            .tempfile_in(dir)
            .with_context(|| format!("cannot write in {dir}"))?;
        let mut writer =
            Writer { file: BufWriter::with_capacity(1 << 16, file), hasher: Sha256::new(), entries: 0 };
        writer.write(MAGIC)?;
        Ok(writer)
    }

    pub(crate) fn add(&mut self, path: &str, record: &Record) -> Result<()> {
        self.write(&(path.len() as u32).to_le_bytes())?;
        self.write(path.as_bytes())?;
        self.write(&record.what)?;
        self.write(&record.mtime.to_le_bytes())?;
        self.entries += 1;
        Ok(())
    }

    /// Syncs the records to disk under `path`.
    pub(crate) fn finish(self, path: &Utf8Path) -> Result<Stored> {
        let file = self.file.into_inner().map_err(|e| e.into_error()).context("cannot write the records")?;
        file.as_file().sync_all().context("cannot sync the records")?;
        file.persist(path).with_context(|| format!("cannot write {path}"))?;
        crate::host::files::atomic::sync(path)?;
        Ok(Stored { entries: self.entries, sha256: format!("{:x}", self.hasher.finalize()) })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.hasher.update(bytes);
        self.file.write_all(bytes).context("cannot write the records")
    }
}

/// The records at `path`, once their sha256 is the one `stored` names.
pub(crate) struct Reader {
    file: BufReader<File>,
    left: u64,
}

pub(crate) fn open(path: &Utf8Path, stored: &Stored) -> Result<Reader> {
    let mut file =
        crate::host::files::untrusted::open(path).with_context(|| format!("cannot open {path}"))?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher).with_context(|| format!("cannot read {path}"))?;
    let sha256 = format!("{:x}", hasher.finalize());
    ensure!(sha256 == stored.sha256, "{path} is not what was written (sha256 {sha256})");
    file.rewind().with_context(|| format!("cannot read {path}"))?;
    let mut reader = Reader { file: BufReader::with_capacity(1 << 16, file), left: stored.entries };
    let mut magic = [0; MAGIC.len()];
    reader.file.read_exact(&mut magic).with_context(|| format!("{path} is damaged"))?;
    ensure!(magic == MAGIC, "{path} holds no records of this tool");
    Ok(reader)
}

impl Reader {
    /// The next record, as `compare` reads an entry.
    pub(crate) fn next_record(&mut self) -> Result<Option<(String, Record)>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let mut len = [0; 4];
        self.file.read_exact(&mut len).context("the records end early")?;
        let len = u32::from_le_bytes(len) as usize;
        if len > LONGEST_PATH {
            bail!("the records name a path of {len} bytes");
        }
        let mut path = vec![0; len];
        self.file.read_exact(&mut path).context("the records end early")?;
        let path = String::from_utf8(path).context("the records name a path that is not UTF-8")?;
        let mut what = [0; 16];
        self.file.read_exact(&mut what).context("the records end early")?;
        let mut mtime = [0; 8];
        self.file.read_exact(&mut mtime).context("the records end early")?;
        Ok(Some((path, Record { what, mtime: u64::from_le_bytes(mtime) })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use camino::Utf8PathBuf;

    fn scratch() -> (tempfile::TempDir, Utf8PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = Utf8PathBuf::from_path_buf(dir.path().join("r.records")).unwrap();
        (dir, path)
    }

    fn written(path: &Utf8Path) -> Stored {
        let mut writer = Writer::create(path).unwrap();
        writer.add("share/a", &Record { what: [1; 16], mtime: 7 }).unwrap();
        writer.add("share/Grüße", &Record { what: [2; 16], mtime: 8 }).unwrap();
        writer.finish(path).unwrap()
    }

    #[test]
    fn records_read_back_as_written() {
        let (_guard, path) = scratch();
        let stored = written(&path);
        assert_eq!(stored.entries, 2);
        let mut reader = open(&path, &stored).unwrap();
        assert_eq!(
            reader.next_record().unwrap(),
            Some(("share/a".into(), Record { what: [1; 16], mtime: 7 }))
        );
        assert_eq!(reader.next_record().unwrap().unwrap().0, "share/Grüße");
        assert_eq!(reader.next_record().unwrap(), None);
    }

    #[test]
    fn records_that_are_not_what_was_written_are_refused() {
        let (_guard, path) = scratch();
        let stored = written(&path);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let err = open(&path, &stored).err().unwrap();
        assert!(format!("{err:#}").contains("is not what was written"), "{err:#}");
        std::fs::remove_file(&path).unwrap();
        assert!(open(&path, &stored).is_err(), "missing");
    }

    #[test]
    fn a_record_naming_a_huge_path_is_an_error_not_an_allocation() {
        let (_guard, path) = scratch();
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&u32::MAX.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let stored = Stored { entries: 1, sha256: format!("{:x}", Sha256::digest(&bytes)) };
        let err = open(&path, &stored).unwrap().next_record().unwrap_err();
        assert!(err.to_string().contains("a path of"), "{err:#}");
    }
}
