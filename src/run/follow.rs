//! Step 2's archive read back while its tar still writes it: decompressing, hashing and
//! comparing it with /share run on the second core beside the compression, instead of after it,
//! so that the manager's downtime grows by the tail of the read, not by all of it.
//!
//! Reading a file as it is written proves what was read, not what the file holds once tar has
//! ended (a writer may go back and change what was read already). So the read works out the
//! file's piecewise SHA-256 beside its sha256, once tar has ended the finished file's is worked
//! out again by every core at once while the read's tail and the fsync run, and the check after
//! step 2 requires both to be one (`checks`): the file holds the bytes whose sha256 was read.

use std::fs::File;
use std::io::{self, BufReader};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, ensure};
use flate2::read::GzDecoder;

use crate::host::exec::{FifoRead, Runner};
use crate::host::growing::Growing;
use crate::plan::Plan;
use crate::run::compare::{self, Comparison};
use crate::run::pieces::{self, Digest32};
use crate::run::records;
use crate::run::verify::{self, Archive, HashingReader, Settling};

/// What reading the archive while tar wrote it found.
pub struct Followed {
    /// Its entries and sha256 as read, and the records kept of them.
    pub archive: Archive,
    /// Its piecewise SHA-256 as read.
    pub pieces: Digest32,
    pub comparison: Comparison,
    /// When tar ended: what follows it is what the check adds to the step.
    pub tar_ended: Instant,
    /// The finished file, hashed from tar's end on.
    pub settling: Settling,
}

/// Sets the flag when dropped: the commands ended, however they did.
struct Ends<'a>(&'a AtomicBool);

impl Drop for Ends<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Runs `commands` (step 2's tar) while a thread reads the archive they write and compares it
/// with `share_read`, /share read back through a container started with them. Returns how the
/// commands ended, then what the read found.
pub fn during(
    runner: &Runner,
    plan: &Plan,
    share_read: FifoRead<'_>,
    commands: impl FnOnce() -> Result<()>,
) -> (Result<()>, Result<Followed>) {
    let ended = Arc::new(AtomicBool::new(false));
    thread::scope(|scope| {
        let reader = {
            let ended = Arc::clone(&ended);
            scope.spawn(move || read(plan, share_read, ended))
        };
        let ran = {
            let _ends = Ends(&ended);
            commands()
        };
        let tar_ended = Instant::now();
        let settling = ran.is_ok().then(|| verify::start_settling(&plan.backup_file));
        let read = reader.join().unwrap_or_else(|_| Err(anyhow!("the read-back of the archive failed")));
        let followed = match settling {
            Some(settling) => read.map(|(archive, pieces, comparison)| Followed {
                archive,
                pieces,
                comparison,
                tar_ended,
                settling,
            }),
            None => {
                runner.note("reading the archive back stopped with the step's command, which did not finish");
                Err(anyhow!("the backup did not finish"))
            }
        };
        (ran, followed)
    })
}

/// Reads the archive as it grows (gzip stream to its CRC, every tar entry to its end, the file
/// hashed both ways), compares it with /share entry by entry and keeps the records of its entries.
fn read(
    plan: &Plan,
    share_read: FifoRead<'_>,
    ended: Arc<AtomicBool>,
) -> Result<(Archive, Digest32, Comparison)> {
    let path = &plan.backup_file;
    let file = File::open(path).with_context(|| format!("cannot open the archive {path}"))?;
    let growing = BufReader::with_capacity(1 << 16, Growing::new(file, ended));
    let mut hashed = pieces::Reading::new(HashingReader::new(growing));
    let records_path = plan.records_path();
    let mut records = records::Writer::create(&records_path)?;
    let comparison = share_read
        .finish(|share| {
            compare::compare_recording(GzDecoder::new(&mut hashed), share, None, |p, r| records.add(p, r))
        })
        .with_context(|| format!("the archive {path} is damaged"))?;
    ensure!(comparison.archived > 0, "the archive {path} is damaged: it holds no entry");
    // Whatever follows the gzip stream still belongs to the file the checksum names.
    io::copy(&mut hashed, &mut io::sink()).with_context(|| format!("cannot read the archive {path}"))?;
    let records = records.finish(&records_path)?;
    let (pieces, hashed) = hashed.finish();
    let archive = Archive { entries: comparison.archived, sha256: hashed.finish(), records: Some(records) };
    Ok((archive, pieces, comparison))
}
