//! The archive of /share, read back before anything is destroyed.
//!
//! Every byte is decompressed and every tar header parsed in-process (flate2 and tar), each
//! entry is compared with /share's as it goes by (`compare`), the compressed file is hashed in
//! the same single pass, and `<archive>.sha256` is written in `sha256sum` format so
//! that `sha256sum -c` checks it too. Contents are streamed through, never held. Step 2's
//! archive is read on its way from tar to the file (`live_check`, `tee`).

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, BufReader, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail, ensure};
use camino::{Utf8Path, Utf8PathBuf};
use flate2::read::GzDecoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::archive::compare::{self, Comparison};

/// What reading the archive back found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Archive {
    pub(crate) entries: u64,
    pub(crate) sha256: String,
    /// Each entry as the verification read it, for the check after the restore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) records: Option<crate::archive::records::Stored>,
}

/// Reads the whole archive (gzip stream to its CRC, every tar entry to its end) and compares it
/// with `share`, /share's own tar stream, entry by entry. The file is synced to disk first:
/// between `down -v` and the restore it is the only copy of /share.
pub(crate) fn read_back(path: &Utf8Path, share: impl Read + Send) -> Result<(Archive, Comparison)> {
    let file = open(path).with_context(|| format!("cannot open the archive {path}"))?;
    file.sync_all().with_context(|| format!("cannot sync {path}"))?;
    crate::host::files::atomic::sync_dir(path.parent().context("an archive without a directory")?)?;
    let mut hashed = HashingReader::new(BufReader::with_capacity(1 << 16, file));
    let comparison = compare::compare(GzDecoder::new(&mut hashed), share, None)
        .with_context(|| format!("the archive {path} is damaged"))?;
    ensure!(comparison.archived > 0, "the archive {path} is damaged: it holds no entry");
    // Whatever follows the gzip stream still belongs to the file the checksum names.
    io::copy(&mut hashed, &mut io::sink()).with_context(|| format!("cannot read the archive {path}"))?;
    let archive = Archive { entries: comparison.archived, sha256: hashed.finish(), records: None };
    Ok((archive, comparison))
}

/// Opens an archive for reading without waiting: a named pipe in its place (where a killed
/// backup's tar was to write) reads as empty instead of waiting for a writer that never comes.
fn open(path: &Utf8Path) -> io::Result<File> {
    OpenOptions::new().read(true).custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32).open(path)
}

/// The archive's tar stream, decompressed.
pub(crate) fn entries(path: &Utf8Path) -> Result<impl Read + use<>> {
    let file = open(path).with_context(|| format!("cannot open the archive {path}"))?;
    Ok(GzDecoder::new(BufReader::with_capacity(1 << 16, file)))
}

pub fn sha256_of(path: &Utf8Path) -> Result<String> {
    let file = open(path).with_context(|| format!("cannot open {path}"))?;
    let mut hasher = Sha256::new();
    io::copy(&mut BufReader::with_capacity(1 << 16, file), &mut hasher)
        .with_context(|| format!("cannot read {path}"))?;
    Ok(format!("{:x}", hasher.finalize()))
}

/// A file's sha256, and the file as it was while it was read.
#[derive(Debug, Clone)]
pub(crate) struct Hashed {
    pub(crate) sha256: String,
    identity: Identity,
}

/// What changes whenever a file is written or replaced: the kernel sets ctime on every write,
/// and no one but root can set it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Identity {
    fn of(meta: &Metadata) -> Identity {
        Identity {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// The identity of `file`, read once a write in the same tick as its last one could no
    /// longer leave ctime as it was: any later write shows.
    fn settled(file: &File) -> Result<Identity> {
        let before = Identity::of(&file.metadata()?);
        before.wait_for_the_next_tick();
        Ok(before)
    }

    fn wait_for_the_next_tick(&self) {
        let (secs, nanos) = self.ctime;
        let written = UNIX_EPOCH + Duration::new(secs.max(0) as u64, nanos.clamp(0, 999_999_999) as u32);
        if let Ok(wait) = (written + CLOCK_TICK).duration_since(SystemTime::now()) {
            thread::sleep(wait);
        }
    }

    /// Fails unless `file` is still as it was when its identity was taken.
    fn unchanged(self, file: &File, path: &Utf8Path) -> Result<Identity> {
        ensure!(Identity::of(&file.metadata()?) == self, "{path} was written while it was hashed");
        Ok(self)
    }
}

/// Longer than a tick of the coarse clock the kernel stamps ctime from (up to 10 ms).
const CLOCK_TICK: Duration = Duration::from_millis(20);

impl Hashed {
    /// The sha256 of what this process wrote into `file` and synced, its identity taken now.
    /// Its mtime is that of the last write, which `past_the_last_write` let a tick pass since
    /// before anyone else could find the file: any other write shows in it.
    pub(crate) fn written(file: &File, sha256: String) -> Result<Hashed> {
        Ok(Hashed { sha256, identity: Identity::of(&file.metadata()?) })
    }
}

/// Returns once a write to `file` could no longer bear the mtime of its last one.
pub(crate) fn past_the_last_write(file: &File) -> Result<()> {
    Identity::of(&file.metadata()?).wait_for_the_next_tick();
    Ok(())
}

/// `path`'s sha256, with the file's identity while it was read.
fn hash(path: &Utf8Path) -> Result<Hashed> {
    let file = open(path).with_context(|| format!("cannot open {path}"))?;
    let identity = Identity::settled(&file)?;
    let mut file = BufReader::with_capacity(1 << 16, file);
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher).with_context(|| format!("cannot read {path}"))?;
    let identity = identity.unchanged(file.get_ref(), path)?;
    Ok(Hashed { sha256: format!("{:x}", hasher.finalize()), identity })
}

impl Hashed {
    /// Whether `path` is still the very file hashed, not written since.
    pub(crate) fn still_at(&self, path: &Utf8Path) -> bool {
        std::fs::metadata(path).is_ok_and(|meta| Identity::of(&meta) == self.identity)
    }
}

pub(crate) use crate::plan::{check_command, checksum_path};

/// Removes an archive that was never verified, and a checksum file beside it: a partial one
/// takes the space the next run needs, and the next run would not overwrite it.
pub(crate) fn remove_unverified(archive: &Utf8Path) -> std::io::Result<()> {
    std::fs::remove_file(archive)?;
    let _ = std::fs::remove_file(checksum_path(archive));
    Ok(())
}

/// Writes `<archive>.sha256` as `sha256sum` would, with the archive's name relative to it.
pub(crate) fn write_checksum(archive: &Utf8Path, sha256: &str) -> Result<Utf8PathBuf> {
    let path = checksum_path(archive);
    let name = archive.file_name().context("the archive has no file name")?;
    crate::host::files::atomic::write(&path, format!("{sha256}  {name}\n").as_bytes())?;
    Ok(path)
}

/// The archive can no longer be trusted: it, or its checksum file, is not what was verified.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Untrusted;

impl std::fmt::Display for Untrusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the archive no longer matches the checksum it was verified with")
    }
}

/// Checks the archive against its `.sha256` file and the checksum recorded at verification;
/// any failure is `Untrusted`. `hashed`, the file's sha256 worked out earlier, stands for
/// hashing it again only while the file is the one it was worked out from, unwritten since.
/// Returns the hash that stands for the file now, for the next check.
pub(crate) fn check(archive: &Utf8Path, recorded: &str, hashed: Option<Hashed>) -> Result<Hashed> {
    matches_checksum(archive, recorded, hashed).context(Untrusted)
}

fn matches_checksum(archive: &Utf8Path, recorded: &str, hashed: Option<Hashed>) -> Result<Hashed> {
    let path = checksum_path(archive);
    let line =
        crate::host::files::untrusted::read_text(&path).with_context(|| format!("cannot read {path}"))?;
    let written = line.split_whitespace().next().unwrap_or_default();
    ensure!(written == recorded, "{path} says {written}, the journal says {recorded}");
    let hashed = match hashed.filter(|h| h.still_at(archive)) {
        Some(hashed) => hashed,
        None => hash(archive)?,
    };
    if hashed.sha256 != recorded {
        bail!(
            "the archive {archive} changed since it was verified (sha256 {}, expected {recorded})",
            hashed.sha256
        );
    }
    Ok(hashed)
}

/// A reader that hashes what passes through it.
pub(crate) struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R> HashingReader<R> {
    pub(crate) fn new(inner: R) -> HashingReader<R> {
        HashingReader { inner, hasher: Sha256::new() }
    }

    /// The sha256 of what was read, as `sha256sum` prints it.
    pub(crate) fn finish(self) -> String {
        format!("{:x}", self.hasher.finalize())
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;

    fn archive(dir: &Utf8Path, files: usize) -> Utf8PathBuf {
        let path = dir.join("a.tar.gz");
        let mut builder =
            tar::Builder::new(GzEncoder::new(File::create(&path).unwrap(), Compression::fast()));
        for i in 0..files {
            let data = vec![b'x'; 1000 + i];
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_uid(0);
            header.set_gid(0);
            header.set_mtime(0);
            header.set_cksum();
            builder.append_data(&mut header, format!("share/f{i}"), &data[..]).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap();
        path
    }

    fn scratch() -> (tempfile::TempDir, Utf8PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = Utf8PathBuf::from_path_buf(dir.path().to_owned()).unwrap();
        (dir, path)
    }

    #[test]
    fn a_good_archive_is_counted_and_hashed_like_sha256sum() {
        let (_guard, dir) = scratch();
        let path = archive(&dir, 3);
        let (read, comparison) = read_back(&path, entries(&path).unwrap()).unwrap();
        assert_eq!(read.entries, 3);
        assert_eq!(comparison.identical, 3);
        assert_eq!(read.sha256, sha256_of(&path).unwrap());
        write_checksum(&path, &read.sha256).unwrap();
        check(&path, &read.sha256, None).unwrap();
    }

    #[test]
    fn truncated_and_corrupted_archives_are_refused() {
        let (_guard, dir) = scratch();
        let path = archive(&dir, 5);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 20]).unwrap();
        std::fs::create_dir(dir.join("share")).unwrap();
        let share = || entries(&archive(&dir.join("share"), 5)).unwrap();
        assert!(read_back(&path, share()).is_err(), "truncated");
        let mut flipped = bytes.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0xff;
        std::fs::write(&path, &flipped).unwrap();
        assert!(read_back(&path, share()).is_err(), "corrupted");
        std::fs::write(&path, b"").unwrap();
        assert!(read_back(&path, share()).is_err(), "empty");
        std::fs::remove_file(&path).unwrap();
        crate::host::files::fifo::make(&path).unwrap();
        assert!(read_back(&path, share()).is_err(), "a pipe");
    }

    #[test]
    fn a_changed_archive_fails_the_check() {
        let (_guard, dir) = scratch();
        let path = archive(&dir, 1);
        let (read, _) = read_back(&path, entries(&path).unwrap()).unwrap();
        write_checksum(&path, &read.sha256).unwrap();
        let hashed = hash(&path).unwrap();
        check(&path, &read.sha256, Some(hashed.clone())).unwrap();
        archive(&dir, 2);
        for hashed in [None, Some(hashed)] {
            let err = check(&path, &read.sha256, hashed).unwrap_err();
            assert!(err.downcast_ref::<Untrusted>().is_some());
            assert!(format!("{err:#}").contains("changed since it was verified"), "{err:#}");
        }
    }

    #[test]
    fn a_hash_stands_only_for_the_file_it_was_made_from_unwritten_since() {
        let (_guard, dir) = scratch();
        let path = archive(&dir, 1);
        let hashed = hash(&path).unwrap();
        assert_eq!(hashed.sha256, sha256_of(&path).unwrap());
        assert!(hashed.still_at(&path));
        let bytes = std::fs::read(&path).unwrap();
        // The same bytes written again: a write is a write.
        std::fs::write(&path, &bytes).unwrap();
        assert!(!hashed.still_at(&path));
    }
}
