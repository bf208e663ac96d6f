//! A file read while another process still writes it: the archive step 2's tar writes, read
//! back as it grows, so that checking it overlaps the compression instead of following it.
//!
//! A read that catches up with the writer waits and looks again, until the writer is known to
//! have ended; only then is the end of the file its end. What was read is synced to disk as the
//! reading goes, so that the fsync once the writer ends has little left to write.

use std::fs::File;
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

/// How long a read that caught up with the writer waits before it looks again: short next to
/// a compression of many seconds, long next to a read of the file's page cache.
const POLL: Duration = Duration::from_millis(20);

/// How many bytes are read between two syncs of the file to disk.
const SYNC_EVERY: u64 = 64 << 20;

pub struct Growing {
    file: File,
    /// Set once the writer has ended (its process was waited for): no byte comes after.
    ended: Arc<AtomicBool>,
    unsynced: u64,
}

impl Growing {
    pub fn new(file: File, ended: Arc<AtomicBool>) -> Growing {
        Growing { file, ended, unsynced: 0 }
    }
}

impl Read for Growing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let ended = self.ended.load(Ordering::SeqCst);
            // Read after looking at the flag: whatever the writer wrote before it ended is seen.
            let n = self.file.read(buf)?;
            if n > 0 {
                self.unsynced += n as u64;
                if self.unsynced >= SYNC_EVERY {
                    self.file.sync_data()?;
                    self.unsynced = 0;
                }
                return Ok(n);
            }
            if ended || buf.is_empty() {
                return Ok(0);
            }
            thread::sleep(POLL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_read_waits_for_what_the_writer_adds_until_it_has_ended() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("growing");
        let mut writer = File::create(&path).unwrap();
        let ended = Arc::new(AtomicBool::new(false));
        let mut reader = Growing::new(File::open(&path).unwrap(), Arc::clone(&ended));
        let read = thread::spawn(move || {
            let mut all = Vec::new();
            reader.read_to_end(&mut all).map(|_| all)
        });
        for part in [&b"first "[..], b"second ", b"last"] {
            thread::sleep(POLL * 3);
            writer.write_all(part).unwrap();
        }
        ended.store(true, Ordering::SeqCst);
        assert_eq!(read.join().unwrap().unwrap(), b"first second last");
    }
}
