//! One reset per manager: an exclusive flock(2) on the manager's compose project directory itself.
//!
//! Nothing is written there: OSISM makes `/opt/manager` the operator's (mode 0750), and a reset
//! run by anyone else who may read it, or started from inside it, needs no file of its own there.
//! The kernel drops the lock when the process dies, however it dies, so nothing stale ever blocks
//! a later reset. A directory lock holds no pid; the kernel's table of locks (`/proc/locks`) names
//! the process that holds it, for the message of the run that has to wait.

use std::fs::{File, TryLockError};
use std::os::unix::fs::MetadataExt;

use anyhow::anyhow;
use camino::Utf8Path;

use crate::view::outcome::{Code, Failure};

/// Held for as long as it lives.
#[derive(Debug)]
pub(crate) struct Lock {
    /// `None` for a directory that does not exist: there is nothing to guard, and preflight
    /// refuses the run with that problem among the others.
    _dir: Option<File>,
}

/// Takes the lock of the manager whose compose project is `dir`, or says who holds it.
pub(crate) fn acquire(dir: &Utf8Path) -> Result<Lock, Failure> {
    if !dir.is_dir() {
        return Ok(Lock { _dir: None });
    }
    let file = File::open(dir).map_err(|error| {
        Failure::new(
            Code::Refused,
            anyhow!("cannot open the project directory {dir} to lock it ({error}): run the reset as its owner or root"),
        )
    })?;
    match file.try_lock() {
        Ok(()) => Ok(Lock { _dir: Some(file) }),
        Err(TryLockError::WouldBlock) => {
            let holder = holder(dir).map_or_else(|| "pid unknown".to_owned(), |pid| format!("pid {pid}"));
            Err(Failure::new(
                Code::Locked,
                anyhow!(
                    "another reset of this manager is running ({holder}, it holds the lock on {dir}): wait for it to end"
                ),
            ))
        }
        Err(TryLockError::Error(error)) => {
            Err(Failure::new(Code::Refused, anyhow!("cannot lock the project directory {dir}: {error}")))
        }
    }
}

/// The pid of the process that holds the lock on `dir` now, if one does.
pub(crate) fn holder(dir: &Utf8Path) -> Option<u32> {
    let meta = std::fs::metadata(dir).ok()?;
    let dev = rustix::fs::Dev::from(meta.dev());
    // As the kernel prints it: major and minor in hex, the inode in decimal.
    let key = format!("{:02x}:{:02x}:{}", rustix::fs::major(dev), rustix::fs::minor(dev), meta.ino());
    let table = std::fs::read_to_string("/proc/locks").ok()?;
    holder_in(&table, &key)
}

/// In `/proc/locks`, the pid of the held (not waiting, `->`) flock on the file `key` names.
fn holder_in(table: &str, key: &str) -> Option<u32> {
    table.lines().find_map(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [_, "FLOCK", _, _, pid, file, ..] if *file == key => pid.parse().ok(),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holder_is_read_from_the_kernels_table_and_waiters_are_not_holders() {
        let table = "1: POSIX  ADVISORY  WRITE 900 fe:00:42 0 EOF\n\
                     2: FLOCK  ADVISORY  WRITE 1234 fe:00:10011739 0 EOF\n\
                     2: -> FLOCK  ADVISORY  WRITE 5678 fe:00:10011739 0 EOF\n";
        assert_eq!(holder_in(table, "fe:00:10011739"), Some(1234));
        assert_eq!(holder_in(table, "fe:00:42"), None, "a POSIX lock is not ours");
        assert_eq!(holder_in(&table.replace("2: FLOCK", "2: -> FLOCK"), "fe:00:10011739"), None);
    }

    #[test]
    fn a_second_lock_of_the_same_directory_names_the_first_holder() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        let _held = acquire(dir).unwrap();
        let second = acquire(dir).unwrap_err();
        assert_eq!(second.code, Code::Locked);
        assert!(second.to_string().contains(&format!("pid {}", std::process::id())), "{second}");
        assert_eq!(std::fs::read_dir(dir).unwrap().count(), 0, "the lock wrote into the directory");
    }
}
