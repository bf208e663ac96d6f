//! Text to standard output and standard error that cannot stop a reset: a pager or `jq` that
//! exits, `| head`, a terminal that hung up lose the text, never the run. (`println!` panics on
//! a closed pipe; `clippy.toml` keeps it out of the crate.)
//!
//! The log in the backup directory keeps the whole record whatever happens here.

use std::io::{self, Write};

/// `text` and a newline on standard output, if it can still be written.
pub(crate) fn line(text: &str) {
    let _ = writeln!(io::stdout().lock(), "{text}");
}

/// `text` as it is on standard output, if it can still be written.
pub(crate) fn text(text: &str) {
    let mut stdout = io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}

/// `text` and a newline on standard error, if it can still be written.
pub fn line_err(text: &str) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}

/// `text` as it is on standard error, if it can still be written.
pub(crate) fn text_err(text: &str) {
    let mut stderr = io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes()).and_then(|()| stderr.flush());
}
