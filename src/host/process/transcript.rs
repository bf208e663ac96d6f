//! The run's transcript, `manager-reset-YYYYMMDD.log` beside the archive: every command with its
//! start time, duration, exit status and full output, whatever the terminal was spared.
//!
//! Lines are appended as they arrive (a resumed run appends to the same file), so the log holds
//! what happened up to the moment the tool died, and memory stays flat.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::time::Duration;

use anyhow::{Context, Result};
use camino::Utf8Path;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Which stream of a command a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

pub(crate) struct Transcript {
    file: BufWriter<File>,
}

impl Transcript {
    pub(crate) fn open(path: &Utf8Path) -> Result<Transcript> {
        let file = crate::host::files::atomic::append(path).context("cannot open the log")?;
        Ok(Transcript { file: BufWriter::new(file) })
    }

    /// A line of the tool's own, `#`-marked; every line of a longer text is marked. The log is
    /// plain text: what was styled for the terminal loses its escape codes here.
    pub(crate) fn note(&mut self, text: &str) {
        let now = now();
        for line in console::strip_ansi_codes(text).lines() {
            self.write(format_args!("{now} # {line}\n"));
        }
    }

    pub(crate) fn command(&mut self, display: &str) {
        self.write(format_args!("{} $ {display}\n", now()));
    }

    pub(crate) fn line(&mut self, stream: Stream, line: &str) {
        let tag = match stream {
            Stream::Stdout => "out",
            Stream::Stderr => "err",
        };
        self.write(format_args!("  {tag}| {line}\n"));
    }

    pub(crate) fn status(&mut self, status: &str, took: Duration) {
        self.write(format_args!("{} = {status} after {:.3}s\n", now(), took.as_secs_f64()));
        // A command's record is complete on disk before the next one starts.
        let _ = self.file.flush();
    }

    fn write(&mut self, args: std::fmt::Arguments<'_>) {
        // The log is a record, not a step: a full disk must not fail a reset halfway.
        let _ = self.file.write_fmt(args);
    }
}

/// The time stamp of the tool's records, the log and the journal alike: RFC 3339 in UTC.
pub(crate) fn now() -> String {
    OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default()
}

/// A time stamp `now` wrote, as a point in time; `None` for anything else.
pub(crate) fn parse(stamp: &str) -> Option<std::time::SystemTime> {
    OffsetDateTime::parse(stamp, &Rfc3339).ok().map(std::time::SystemTime::from)
}
