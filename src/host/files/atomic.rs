//! Files the reset writes: either wholly old or wholly new, readable by their owner only, and on
//! disk before the tool relies on them.
//!
//! The journal, the checksum and the log list or hold what /share holds (the vault key, Ceph
//! keys, CAs), so every file the tool creates is mode 0600. An atomic write goes through a unique
//! temporary file that `tempfile` creates with `O_EXCL` (never following a planted symlink),
//! fsyncs it, renames it over the target and fsyncs the directory.

use std::fs::{File, OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

use anyhow::{Context, Result};
use camino::Utf8Path;

/// The mode of every file the tool writes.
pub(crate) const PRIVATE: u32 = 0o600;

pub(crate) fn write(path: &Utf8Path, contents: &[u8]) -> Result<()> {
    write_with_mode(path, contents, PRIVATE)
}

/// `write`, for the one file that others must read: the registry's record, which names paths.
pub(crate) fn write_with_mode(path: &Utf8Path, contents: &[u8], mode: u32) -> Result<()> {
    let dir = path.parent().context("a file without a directory")?;
    let name = path.file_name().context("a path without a file name")?;
    let mut temporary = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .permissions(Permissions::from_mode(mode))
        .tempfile_in(dir)
        .with_context(|| format!("cannot write a temporary file in {dir}"))?;
    // Root resuming the operator's reset leaves the operator's files theirs: an owner is kept
    // where it owns the directory too. A file planted in another's directory (a sticky /tmp) is
    // not handed back to its planter, and a symlink's owner is never given the file.
    if let (Ok(old), Ok(dir_meta)) = (std::fs::symlink_metadata(path), dir.metadata())
        && old.file_type().is_file()
    {
        use std::os::unix::fs::MetadataExt;
        if old.uid() == dir_meta.uid() {
            let _ = std::os::unix::fs::fchown(temporary.as_file(), Some(old.uid()), Some(old.gid()));
        }
    }
    temporary
        .write_all(contents)
        .and_then(|()| temporary.as_file().sync_all())
        .with_context(|| format!("cannot write {}", temporary.path().display()))?;
    temporary.persist(path).with_context(|| format!("cannot replace {path}"))?;
    sync_dir(dir)
}

/// Opens `path` for appending, creating it private; an existing file is made private too.
pub(crate) fn append(path: &Utf8Path) -> Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(PRIVATE)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
        .with_context(|| format!("cannot open {path}"))?;
    file.set_permissions(Permissions::from_mode(PRIVATE))
        .with_context(|| format!("cannot protect {path}"))?;
    Ok(file)
}

/// Flushes `path` and the directory entry that names it to disk.
pub(crate) fn sync(path: &Utf8Path) -> Result<()> {
    File::open(path).and_then(|f| f.sync_all()).with_context(|| format!("cannot sync {path}"))?;
    sync_dir(path.parent().context("a file without a directory")?)
}

/// Flushes the directory entries of `dir` to disk: a rename in it is then there for good.
pub(crate) fn sync_dir(dir: &Utf8Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).with_context(|| format!("cannot sync {dir}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn written_files_are_private_and_a_planted_symlink_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        let victim = dir.join("victim");
        fs::write(&victim, "keep").unwrap();
        // The name an older version used for its temporary file.
        std::os::unix::fs::symlink(&victim, dir.join(".journal.json.tmp")).unwrap();
        write(&dir.join("journal.json"), b"{}").unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(fs::metadata(dir.join("journal.json")).unwrap().mode() & 0o777, PRIVATE);

        let log = dir.join("log");
        fs::write(&log, "").unwrap();
        fs::set_permissions(&log, Permissions::from_mode(0o644)).unwrap();
        append(&log).unwrap();
        assert_eq!(fs::metadata(&log).unwrap().mode() & 0o777, PRIVATE);
        std::os::unix::fs::symlink(&victim, dir.join("link")).unwrap();
        assert!(append(&dir.join("link")).is_err(), "followed a symlink");
    }

    /// As root, a file replaced in its owner's directory keeps its owner (the operator's journal
    /// in the operator's backup directory, resumed by root); as anyone else there is no other
    /// owner to keep.
    #[test]
    fn a_replaced_file_keeps_its_owner_in_its_owners_directory() {
        let dir = tempfile::tempdir().unwrap();
        let file = Utf8Path::from_path(dir.path()).unwrap().join("journal.json");
        fs::write(&file, "old").unwrap();
        let owner =
            if rustix::process::geteuid().is_root() { 65534 } else { rustix::process::geteuid().as_raw() };
        std::os::unix::fs::chown(&file, Some(owner), Some(owner)).unwrap();
        std::os::unix::fs::chown(dir.path(), Some(owner), Some(owner)).unwrap();
        write(&file, b"new").unwrap();
        let meta = fs::metadata(&file).unwrap();
        assert_eq!(
            (meta.uid(), meta.gid(), fs::read_to_string(&file).unwrap().as_str()),
            (owner, owner, "new")
        );
    }

    /// Seen: `nobody` made /tmp/reset.plan in a sticky directory, and root's `--save-plan` to that
    /// path left the plan `nobody`'s. A file planted in a directory its planter does not own is
    /// replaced by one of this user's.
    #[test]
    fn a_file_planted_in_anothers_directory_is_not_handed_back() {
        if !rustix::process::geteuid().is_root() {
            return; // only root can make a file owned by another user
        }
        let dir = tempfile::tempdir().unwrap();
        fs::set_permissions(dir.path(), Permissions::from_mode(0o1777)).unwrap();
        let file = Utf8Path::from_path(dir.path()).unwrap().join("reset.plan");
        fs::write(&file, "planted").unwrap();
        std::os::unix::fs::chown(&file, Some(65534), Some(65534)).unwrap();
        write(&file, b"new").unwrap();
        let meta = fs::metadata(&file).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (0, 0), "the planter owns the plan now");
    }

    /// A symlink planted at the path, owned by whoever planted it, gives the new file no owner:
    /// it is replaced by a file of this user's.
    #[test]
    fn a_planted_symlink_gives_the_replacement_no_owner() {
        if !rustix::process::geteuid().is_root() {
            return; // only root can make a symlink owned by another user
        }
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        let file = dir.join("journal.json");
        std::os::unix::fs::symlink("/etc/hostname", &file).unwrap();
        std::os::unix::fs::lchown(&file, Some(65534), Some(65534)).unwrap();
        write(&file, b"new").unwrap();
        let meta = fs::symlink_metadata(&file).unwrap();
        assert!(meta.file_type().is_file());
        assert_eq!((meta.uid(), meta.gid()), (0, 0), "the planter owns the keys now");
    }
}
