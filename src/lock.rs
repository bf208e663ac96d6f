//! One reset at a time per manager: an exclusive lock on a file in the project directory.
//!
//! The kernel drops the lock when the process dies, however it dies, so a stale lock file never
//! blocks a later reset. The file holds the holder's pid, for the message of the run that waits.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};

use anyhow::{Context, anyhow};
use camino::{Utf8Path, Utf8PathBuf};

use crate::outcome::{Code, Failure, OrExit};

pub const FILE_NAME: &str = ".osism-manager-reset.lock";

/// Held for as long as it lives.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

pub fn path(project_directory: &Utf8Path) -> Utf8PathBuf {
    project_directory.join(FILE_NAME)
}

pub fn acquire(project_directory: &Utf8Path) -> Result<Lock, Failure> {
    if !project_directory.is_dir() {
        return Err(Failure::new(
            Code::Refused,
            anyhow!(
                "the project directory {project_directory} does not exist: point --project-directory at \
                 the manager's compose project"
            ),
        ));
    }
    let path = path(project_directory);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| {
            format!("cannot open the lock file {path}: run as a user who can write {project_directory}")
        })
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
    Ok(Lock { _file: file })
}
