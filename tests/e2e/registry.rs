//! The suite's loopback image registry (`registry.sh`, started by `setup.sh`): the registry the
//! fixture manager's images come from, and a guard that takes it away for one test and always
//! brings it back, also when the test fails.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The fixture manager's image, as its services name it (`fixture/compose.yaml`).
pub const IMAGE: &str = "127.0.0.1:5000/library/busybox:latest";

fn script(verb: &str) -> Output {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/registry.sh");
    Command::new("bash").arg(script).arg(verb).stdin(Stdio::null()).output().expect("bash runs")
}

/// Whether the registry answers on 127.0.0.1:5000.
pub fn is_up() -> bool {
    script("status").status.success()
}

/// The registry stopped until this guard is dropped: nothing answers on 127.0.0.1:5000, as for
/// a manager whose registry is unreachable.
#[must_use = "the registry starts again when the guard is dropped"]
pub struct Stopped(());

/// Stops the registry; it starts again when the returned guard is dropped.
pub fn stop() -> Stopped {
    let out = script("stop");
    // Built first, so that even a failed stop starts the registry again.
    let guard = Stopped(());
    assert!(out.status.success(), "registry.sh stop: {}", String::from_utf8_lossy(&out.stderr));
    guard
}

impl Drop for Stopped {
    fn drop(&mut self) {
        let out = script("start");
        if !out.status.success() {
            let said = format!("registry.sh start: {}", String::from_utf8_lossy(&out.stderr));
            // A second panic while unwinding would abort the whole run: say it instead.
            if std::thread::panicking() {
                eprintln!("{said}");
            } else {
                panic!("{said}");
            }
        }
    }
}
