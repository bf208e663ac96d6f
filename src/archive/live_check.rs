//! Step 2's archive read back on its way from tar to the file: decompressing, hashing and
//! comparing it with /share run on the second core beside the compression, instead of after it,
//! so that the manager's downtime grows by the tail of the read, not by all of it.
//!
//! Tar writes into a named pipe at the archive's path, which the tool reads and writes the file
//! from (`tee`): the bytes compared are the file's, and nothing needs reading again once tar
//! has ended.

use std::io::{self, BufReader};
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, ensure};
use camino::{Utf8Path, Utf8PathBuf};
use flate2::read::GzDecoder;

use crate::archive::compare::{self, Comparison};
use crate::archive::records;
use crate::archive::tee::Tee;
use crate::archive::verify::{Archive, Hashed};
use crate::host::files::fifo;
use crate::host::process::exec::{FifoRead, Runner};
use crate::plan::Plan;

/// What reading the archive on its way from tar found.
pub(crate) struct Followed {
    /// Its entries and sha256, and the records kept of them.
    pub(crate) archive: Archive,
    pub(crate) comparison: Comparison,
    /// When tar ended: what follows it is what the check adds to the step.
    pub(crate) tar_ended: Instant,
    /// The file written, synced and in place, with the sha256 that stands for it.
    pub(crate) written: Hashed,
}

/// The archive a tar writes into its pipe, and where the records of its entries go.
#[derive(Clone, Copy)]
pub(crate) struct Target<'p> {
    pub(crate) archive: &'p Utf8Path,
    pub(crate) records: &'p Utf8Path,
}

impl<'p> Target<'p> {
    /// Step 2's: /share's archive and the records beside the journal.
    pub(crate) fn share(plan: &Plan) -> (Utf8PathBuf, Utf8PathBuf) {
        (plan.backup_file.clone(), plan.records_path())
    }
}

/// Runs `commands` (step 2's tar, or a kept volume's) while a thread reads the archive they
/// write into its pipe, writes the file and compares it with `share_read`, the volume read back
/// through a container started with them. Returns how the commands ended, then what the read
/// found.
pub(crate) fn during(
    runner: &Runner,
    target: Target<'_>,
    share_read: FifoRead<'_>,
    commands: impl FnOnce() -> Result<()>,
) -> (Result<()>, Result<Followed>) {
    let waiting = AtomicBool::new(true);
    // Dropped once the commands have ended, whatever became of them.
    let (ended, has_ended) = mpsc::channel::<()>();
    thread::scope(|scope| {
        let reader = scope.spawn(|| read(target, share_read, &waiting, has_ended));
        let ran = commands();
        drop(ended);
        let tar_ended = Instant::now();
        fifo::let_reader_see_the_end(target.archive, &waiting);
        let read = reader.join().unwrap_or_else(|_| Err(anyhow!("the read-back of the archive failed")));
        let followed = if ran.is_ok() {
            read.map(|(archive, comparison, written)| Followed { archive, comparison, tar_ended, written })
        } else {
            runner.note("reading the archive back stopped with the step's command, which did not finish");
            Err(anyhow!("the backup did not finish"))
        };
        (ran, followed)
    })
}

/// Reads tar's pipe to its end (gzip stream to its CRC, every tar entry to its end), writing and
/// hashing the file, compares it with /share entry by entry and keeps the records of its entries.
fn read(
    target: Target<'_>,
    share_read: FifoRead<'_>,
    waiting: &AtomicBool,
    has_ended: mpsc::Receiver<()>,
) -> Result<(Archive, Comparison, Hashed)> {
    let path = target.archive;
    let pipe = fifo::open_reader(path, waiting)?;
    let mut tee = Some(BufReader::with_capacity(fifo::BUFFER, Tee::new(pipe, path)));
    // Read to the end whatever the comparison found (tar never finds its pipe closed, and what
    // follows the gzip stream still belongs to the file the checksum names), then put in place.
    let finish = |mut tee: BufReader<Tee>| {
        let drained = io::copy(&mut tee, &mut io::sink());
        tee.into_inner().finish(path).map(|written| (written, drained))
    };
    let mut finished = None;
    let records_path = target.records;
    let compared = records::Writer::create(records_path).and_then(|mut records| {
        let comparison = share_read
            .finish(|share| {
                let mut reading = tee.take().context("the archive was read already")?;
                let compared =
                    compare::compare_recording(GzDecoder::new(&mut reading), share, None, |p, r| {
                        records.add(p, r)
                    });
                finished = Some(finish(reading));
                // The read-back is recorded as it returns: once the step's command has ended, so
                // that its record never comes between that command's lines (which Docker may
                // still be passing on after tar has closed the pipe) and its exit status.
                let _ = has_ended.recv();
                compared
            })
            .with_context(|| format!("the archive {path} is damaged"))?;
        Ok((comparison, records))
    });
    let (written, drained) = match (finished, tee) {
        (Some(finished), _) => finished?,
        (None, Some(tee)) => finish(tee)?,
        (None, None) => anyhow::bail!("the archive {path} was not read"),
    };
    let (comparison, records) = compared?;
    drained.with_context(|| format!("cannot read the archive {path}"))?;
    ensure!(comparison.archived > 0, "the archive {path} is damaged: it holds no entry");
    let records = records.finish(records_path)?;
    let archive =
        Archive { entries: comparison.archived, sha256: written.sha256.clone(), records: Some(records) };
    Ok((archive, comparison, written))
}
