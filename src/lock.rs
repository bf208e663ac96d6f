//! One reset at a time per manager and per backup directory: an exclusive lock on a file in the
//! project directory, and one in the backup directory (taken first: `--resume` must hold it
//! before it reads the journal there).
//!
//! The kernel drops the lock when the process dies, however it dies, so a stale lock file never
//! blocks a later reset. The file holds the holder's pid, for the message of the run that waits.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;

use anyhow::{Context, anyhow};
use camino::{Utf8Path, Utf8PathBuf};

use crate::outcome::{Code, Failure, OrExit};

pub const FILE_NAME: &str = ".osism-manager-reset.lock";

/// Held for as long as it lives.
#[derive(Debug)]
pub struct Lock {
    /// `None` for a directory that does not exist: there is nothing to guard, and preflight
    /// refuses the run with that problem among the others.
    _file: Option<File>,
}

/// Which directory a lock is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Project,
    Backups,
}

pub fn path(dir: &Utf8Path) -> Utf8PathBuf {
    dir.join(FILE_NAME)
}

/// The pid of the process that holds the lock in `dir` now, if one does.
pub fn holder(dir: &Utf8Path) -> Option<String> {
    let mut file = OpenOptions::new().read(true).open(path(dir)).ok()?;
    match file.try_lock_shared() {
        Err(TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            Some(pid.trim().to_owned()).filter(|p| !p.is_empty())
        }
        Ok(()) | Err(TryLockError::Error(_)) => None,
    }
}

pub fn acquire(dir: &Utf8Path, place: Place) -> Result<Lock, Failure> {
    let (what, fix) = match place {
        Place::Project => {
            ("the project directory", "point --project-directory at the manager's compose project")
        }
        Place::Backups => ("the backup directory", "choose another with --backup-dir"),
    };
    if !dir.is_dir() {
        return Ok(Lock { _file: None });
    }
    let path = path(dir);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(crate::atomic::PRIVATE)
        .open(&path)
        .with_context(|| format!("{what} {dir} is not writable (cannot open the lock file {path}): {fix}"))
        .or_exit(Code::Refused)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let holder = pid.trim();
            let holder = if holder.is_empty() { "unknown pid".to_owned() } else { format!("pid {holder}") };
            return Err(Failure::new(
                Code::Locked,
                anyhow!(
                    "another reset of this manager is running ({holder}, lock {path}): wait for it to end"
                ),
            ));
        }
        Err(TryLockError::Error(error)) => {
            return Err(Failure::new(Code::Refused, anyhow!("cannot lock {path}: {error}")));
        }
    }
    let pid = std::process::id();
    file.set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| writeln!(file, "{pid}"))
        .and_then(|()| file.flush())
        .with_context(|| format!("cannot write the lock file {path}"))
        .or_exit(Code::Refused)?;
    Ok(Lock { _file: Some(file) })
}
