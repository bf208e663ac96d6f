//! Named pipes in the backup directory that a container writes and the tool reads: the read-back
//! of /share, and step 2's archive, which tar writes through a pipe at the archive's path.
//!
//! A container's bind mount is the way in: Docker's attach stream carries a container's stdout
//! at a few dozen MB/s. The reader waits in open(2) for its writer, so a writer that ends without
//! ever opening the pipe (its container failed to start) would leave it waiting for good: once
//! the writer's command has ended, `let_reader_see_the_end` opens and closes the write end.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use camino::Utf8Path;

/// The pipe's size once open: 1 MiB, the most `/proc/sys/fs/pipe-max-size` lets an unprivileged
/// process have by default. In Linux's default pipe of 64 KiB tar and its reader take turns all
/// the time; in one of 1 MiB, 2 GiB of /share came through in 1.5 s, not 3.6 s.
const PIPE_SIZE: usize = 1 << 20;

/// The buffer a pipe is read with: no smaller than the pieces contents are hashed in, which
/// then go past it straight into their own buffer.
pub(crate) const BUFFER: usize = 1 << 19;

/// Makes the pipe `path`, mode 0600: only its owner (and root, as the container's tar is) may
/// open it. Anything empty in its place (an earlier run's placeholder or pipe) goes first.
pub(crate) fn make(path: &Utf8Path) -> Result<()> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.len() == 0 && !m.is_dir()) {
        std::fs::remove_file(path).with_context(|| format!("cannot remove {path}"))?;
    }
    rustix::fs::mkfifoat(rustix::fs::CWD, path.as_std_path(), rustix::fs::Mode::from_raw_mode(0o600))
        .with_context(|| format!("cannot make the pipe {path}"))
}

/// Opens the pipe `path` for reading, waiting for its writer; `waiting` is cleared once the wait
/// is over, however it ended.
pub(crate) fn open_reader(path: &Utf8Path, waiting: &AtomicBool) -> Result<File> {
    let opened = OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
        .with_context(|| format!("cannot open the pipe {path}"));
    waiting.store(false, Ordering::SeqCst);
    let reader = opened?;
    // Only speed depends on it.
    let _ = rustix::pipe::fcntl_setpipe_size(&reader, PIPE_SIZE);
    Ok(reader)
}

/// Called once the writer's command has ended: a reader still waiting in open(2) for a writer
/// that never came is let through, to the end of an empty stream.
pub(crate) fn let_reader_see_the_end(path: &Utf8Path, waiting: &AtomicBool) {
    while waiting.load(Ordering::SeqCst) {
        // Succeeds only while a reader has the pipe open, or waits to: it is then let through.
        let write_end = OpenOptions::new()
            .write(true)
            .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
            .open(path);
        if write_end.is_ok() || std::fs::symlink_metadata(path).is_err() {
            return;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::sync::Arc;

    fn scratch() -> (tempfile::TempDir, camino::Utf8PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = Utf8Path::from_path(dir.path()).unwrap().join("pipe");
        (dir, path)
    }

    /// A thread that opens the pipe `path` for reading and reads it to its end.
    fn read_all(path: &Utf8Path) -> (thread::JoinHandle<Vec<u8>>, Arc<AtomicBool>) {
        let waiting = Arc::new(AtomicBool::new(true));
        let (path, flag) = (path.to_owned(), Arc::clone(&waiting));
        let reader = thread::spawn(move || {
            let mut all = Vec::new();
            open_reader(&path, &flag).unwrap().read_to_end(&mut all).unwrap();
            all
        });
        (reader, waiting)
    }

    #[test]
    fn a_reader_gets_what_the_writer_writes() {
        let (_guard, path) = scratch();
        std::fs::write(&path, "").unwrap();
        make(&path).unwrap();
        let (reader, waiting) = read_all(&path);
        OpenOptions::new().write(true).open(&path).unwrap().write_all(b"tar stream").unwrap();
        let_reader_see_the_end(&path, &waiting);
        assert_eq!(reader.join().unwrap(), b"tar stream");
    }

    #[test]
    fn a_reader_whose_writer_never_came_sees_the_end() {
        let (_guard, path) = scratch();
        make(&path).unwrap();
        let (reader, waiting) = read_all(&path);
        let_reader_see_the_end(&path, &waiting);
        assert_eq!(reader.join().unwrap(), b"");
    }

    #[test]
    fn what_is_not_empty_is_never_replaced() {
        let (_guard, path) = scratch();
        std::fs::write(&path, "an archive").unwrap();
        assert!(make(&path).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "an archive");
    }
}
