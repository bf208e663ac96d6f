//! Who may have written what the reset reads, and where it writes: this user, root, and the
//! manager's operator (the owner of the project directory, `dragon` on OSISM). The archive, its
//! checksum, the journal and the log hold the keys to the cloud under names anyone can predict,
//! so, as ssh does with key files, a backup directory another user can write is refused, and a
//! record or journal another user wrote is not taken for this reset's.

use std::os::unix::fs::MetadataExt;

use camino::Utf8Path;

/// The users whose files the reset trusts: root, `euid`, and the owner of `project`.
pub fn writers(project: &Utf8Path, euid: u32) -> Vec<u32> {
    let mut users = vec![0, euid];
    users.extend(project.metadata().ok().map(|m| m.uid()));
    users.sort_unstable();
    users.dedup();
    users
}

/// Why `dir` will not do as the backup directory, if it will not: a user the reset does not
/// trust owns it, or its group or everyone may write it (sticky or not).
pub fn backup_dir_problem(dir: &Utf8Path, project: &Utf8Path, euid: u32) -> Option<String> {
    let meta = dir.metadata().ok()?;
    let mode = meta.mode() & 0o7777;
    let owner = crate::host::users::name_of(meta.uid());
    let why = if meta.mode() & 0o022 != 0 {
        let who = if meta.mode() & 0o002 != 0 { "every user" } else { "its group" };
        format!("{who} may write it (mode {mode:04o})")
    } else if !writers(project, euid).contains(&meta.uid()) {
        format!("it belongs to {owner}, who may write it")
    } else {
        return None;
    };
    Some(format!(
        "the backup directory {dir} is not private: {why}, and the archive, its checksum, the journal and the \
         log hold the vault key and Ceph keys under names anyone can predict; choose a directory only you and \
         root can write with --backup-dir (such as `mkdir -m 700 ~/manager-backups`), or `chmod go-w {dir}`"
    ))
}

/// Whether the file at `path` was written by a user the reset trusts.
pub fn written_by_trusted(path: &Utf8Path, project: &Utf8Path, euid: u32) -> bool {
    std::fs::symlink_metadata(path)
        .is_ok_and(|m| m.file_type().is_file() && writers(project, euid).contains(&m.uid()))
}
