//! Step 2's archive as the tool writes it. Tar in the container writes into a named pipe at the
//! archive's path (`host::files::fifo`); what comes through is hashed, handed to the check that
//! compares it with /share, and written to `.NAME.partial` beside the archive, which takes the
//! pipe's place once tar has closed it. The file holds the bytes whose sha256 was read because
//! the tool wrote them: a file read while tar wrote it proved only what was read (a writer may
//! go back over it), and had to be hashed again once finished, in the manager's downtime.
//!
//! What comes through is read to its end whatever the check makes of it, so that tar never finds
//! its pipe closed and the file is what tar wrote, as the runbook's would be; one that cannot be
//! written whole (the disk full) is removed, and with it the pipe, so that nothing half-written
//! bears the archive's name.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};

use anyhow::{Context, Result, anyhow};
use camino::{Utf8Path, Utf8PathBuf};
use sha2::{Digest, Sha256};

use crate::archive::verify::{self, Hashed};
use crate::host::files::atomic;

/// How many bytes are written between two syncs of the file to disk: the sync once tar has
/// ended then has little left to write.
const SYNC_EVERY: u64 = 64 << 20;

/// Where the archive is written until it is whole: hidden beside it, in the same directory so
/// that a rename puts it in place.
pub(crate) fn partial_path(archive: &Utf8Path) -> Utf8PathBuf {
    let name = archive.file_name().unwrap_or("archive");
    archive.with_file_name(format!(".{name}.partial"))
}

/// Removes what a write of `archive` that never finished left: its partial file, and the pipe
/// where it was to go (a killed run's, or one whose file could not be written).
pub(crate) fn remove_unfinished(archive: &Utf8Path) {
    let _ = std::fs::remove_file(partial_path(archive));
    if std::fs::symlink_metadata(archive).is_ok_and(|m| m.file_type().is_fifo()) {
        let _ = std::fs::remove_file(archive);
    }
}

/// A reader of tar's pipe that hashes what it reads and writes it to the partial file.
pub(crate) struct Tee {
    pipe: File,
    /// The partial file, or why it could not be made or written: reading goes on regardless.
    file: io::Result<File>,
    hasher: Sha256,
    unsynced: u64,
    partial: Utf8PathBuf,
}

impl Tee {
    /// Reads `pipe`, writing the partial file of `archive`, made afresh (mode 0600: it holds the
    /// vault key and Ceph keys) in place of one a killed run left.
    pub(crate) fn new(pipe: File, archive: &Utf8Path) -> Tee {
        let partial = partial_path(archive);
        let _ = std::fs::remove_file(&partial);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(atomic::PRIVATE)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(&partial);
        Tee { pipe, file, hasher: Sha256::new(), unsynced: 0, partial }
    }

    fn write(&mut self, bytes: &[u8]) {
        let Ok(file) = &mut self.file else { return };
        let mut written = file.write_all(bytes);
        self.unsynced += bytes.len() as u64;
        if written.is_ok() && self.unsynced >= SYNC_EVERY {
            written = file.sync_data();
            self.unsynced = 0;
        }
        if let Err(error) = written {
            self.file = Err(error);
        }
    }

    /// Once the pipe's stream has been read to its end: syncs the file, puts it in the pipe's
    /// place as `archive` and returns its sha256, which stands for it while nothing writes it.
    pub(crate) fn finish(self, archive: &Utf8Path) -> Result<Hashed> {
        let Tee { file, hasher, partial, .. } = self;
        let sha256 = format!("{:x}", hasher.finalize());
        let placed = match file {
            Ok(file) => file
                .sync_all()
                .map_err(anyhow::Error::from)
                // Renamed a tick after its last write, the file is found only by writes whose
                // mtime differs from that write's: `Hashed` sees them.
                .and_then(|()| verify::past_the_last_write(&file))
                .and_then(|()| Ok(std::fs::rename(&partial, archive)?))
                .map(|()| file)
                .with_context(|| format!("cannot write the archive {archive}")),
            Err(error) => {
                Err(anyhow!(error).context(format!("cannot write the archive {archive} (as {partial})")))
            }
        };
        match placed {
            Ok(file) => {
                atomic::sync_dir(archive.parent().context("an archive without a directory")?)?;
                Hashed::written(&file, sha256).with_context(|| format!("cannot read {archive}"))
            }
            Err(error) => {
                remove_unfinished(archive);
                Err(error)
            }
        }
    }
}

impl Read for Tee {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.pipe.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.write(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    use std::thread;

    use crate::host::files::fifo;

    fn scratch() -> (tempfile::TempDir, Utf8PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let archive = Utf8Path::from_path(dir.path()).unwrap().join("manager-share-20261202.tar.gz");
        (dir, archive)
    }

    /// What a writer put into the pipe at `archive`, read half by a check and half by the drain.
    fn through(archive: &Utf8Path, bytes: &'static [u8]) -> Result<Hashed> {
        fifo::make(archive).unwrap();
        let writer = {
            let archive = archive.to_owned();
            thread::spawn(move || {
                OpenOptions::new().write(true).open(&archive).unwrap().write_all(bytes).unwrap()
            })
        };
        let pipe = fifo::open_reader(archive, &Arc::new(AtomicBool::new(true))).unwrap();
        let mut tee = Tee::new(pipe, archive);
        let mut half = vec![0; bytes.len() / 2];
        tee.read_exact(&mut half).unwrap();
        io::copy(&mut tee, &mut io::sink()).unwrap();
        writer.join().unwrap();
        tee.finish(archive)
    }

    #[test]
    fn the_archive_is_what_came_through_the_pipe_in_its_place_private_and_hashed() {
        use std::os::unix::fs::MetadataExt;
        let (_guard, archive) = scratch();
        let hashed = through(&archive, b"a gzip stream, as tar wrote it").unwrap();
        assert_eq!(std::fs::read(&archive).unwrap(), b"a gzip stream, as tar wrote it");
        let meta = std::fs::metadata(&archive).unwrap();
        assert!(meta.file_type().is_file());
        assert_eq!(meta.mode() & 0o777, atomic::PRIVATE);
        assert_eq!(hashed.sha256, crate::archive::verify::sha256_of(&archive).unwrap());
        assert!(hashed.still_at(&archive));
        assert!(!partial_path(&archive).exists());
        std::fs::write(&archive, b"a gzip stream, as tar wrote it").unwrap();
        assert!(!hashed.still_at(&archive), "a write after it was placed went unseen");
    }

    /// A partial file a killed run left is not what the next run writes into.
    #[test]
    fn a_killed_runs_partial_file_is_made_afresh() {
        let (_guard, archive) = scratch();
        std::fs::write(partial_path(&archive), b"an older, longer stream of a killed run").unwrap();
        through(&archive, b"this run's").unwrap();
        assert_eq!(std::fs::read(&archive).unwrap(), b"this run's");
    }

    /// The file could not be written: nothing bears the archive's name, and the pipe was read
    /// to its end all the same, so that the writer finished.
    #[test]
    fn an_archive_that_cannot_be_written_leaves_neither_it_nor_the_pipe() {
        let (_guard, archive) = scratch();
        // A directory where the partial file goes: it cannot be made.
        std::fs::create_dir(partial_path(&archive)).unwrap();
        std::fs::write(partial_path(&archive).join("x"), b"").unwrap();
        let error = through(&archive, b"a stream with nowhere to go").unwrap_err();
        assert!(format!("{error:#}").contains("cannot write the archive"), "{error:#}");
        assert!(std::fs::symlink_metadata(&archive).is_err(), "the pipe or a file is left");
    }
}
