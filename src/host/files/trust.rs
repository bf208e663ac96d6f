//! Who may have written what the reset reads, and where it writes: this user, root, and the
//! manager's operator (the owner of the project directory, `dragon` on OSISM). The archive, its
//! checksum, the journal and the log hold the keys to the cloud under names anyone can predict,
//! so, as ssh does with key files, a backup directory another user can write is refused, and a
//! record or journal another user wrote is not taken for this reset's.
//!
//! A directory is only as private as the directories above it: whoever may rename one of them
//! may put another tree in its place between a check and `docker run --volume DIR:/backup`. So,
//! as ssh's StrictModes and sudo judge a path, every directory from `/` down must belong to a
//! user the reset trusts and be writable by no one else, unless it is sticky (as `/tmp` is: only
//! an entry's owner may rename it, and the entry below is judged in turn). Paths are judged as
//! resolved, symlinks followed once (`resolved`): the resolved path is the one the run uses.

use std::os::unix::fs::MetadataExt;

use camino::{Utf8Path, Utf8PathBuf};

/// The users whose files the reset trusts: root, `euid`, and the owner of `project`; as root
/// through sudo, also the user who ran sudo (`SUDO_UID`: root's own environment, which only root
/// and sudo set), from whose directory an administrator starts the reset.
pub(crate) fn writers(project: &Utf8Path, euid: u32) -> Vec<u32> {
    let mut users = vec![0, euid];
    users.extend(project.metadata().ok().map(|m| m.uid()));
    if euid == 0 {
        users.extend(std::env::var("SUDO_UID").ok().and_then(|uid| uid.parse::<u32>().ok()));
    }
    users.sort_unstable();
    users.dedup();
    users
}

/// `path` with every symlink in it followed and `..` taken away, as the run then uses it, so
/// that a link re-pointed later changes nothing; where the path's end is missing, its existing
/// start resolved and the rest kept (the checks that need it say it is missing).
pub(crate) fn resolved(path: &Utf8Path) -> Utf8PathBuf {
    if let Ok(found) = path.canonicalize_utf8() {
        return found;
    }
    match path.parent().zip(path.file_name()) {
        Some((dir, name)) => resolved(dir).join(name),
        None => path.to_owned(),
    }
}

/// The paths the options name, resolved once, here: every check judges, and every command
/// uses, the same directories, whatever a symlink on the way points at later. Made again for
/// the values a saved plan or a journal brings.
pub(crate) fn resolve_paths(config: &mut crate::plan::config::Config) {
    config.options.backup_dir = resolved(&config.options.backup_dir);
    config.options.restore_from = config.options.restore_from.as_deref().map(resolved);
    config.options.vault_password_file = config.options.vault_password_file.as_deref().map(resolved);
}

/// Who besides its owner may write the file or directory `meta` describes: "every user", "its
/// group", or no one.
pub(crate) fn others_may_write(meta: &std::fs::Metadata) -> Option<&'static str> {
    match meta.mode() {
        mode if mode & 0o002 != 0 => Some("every user"),
        mode if mode & 0o020 != 0 => Some("its group"),
        _ => None,
    }
}

/// Whether others may rename what is in the directory `meta` describes: they may write it, and
/// it is not sticky (in a sticky one, as `/tmp`, only an entry's owner may).
pub(crate) fn others_may_replace(meta: &std::fs::Metadata) -> bool {
    others_may_write(meta).is_some() && meta.mode() & 0o1000 == 0
}

/// Why another user could replace `path` through a directory above it, if one could: a
/// directory on the way (resolved) belongs to a user the reset does not trust, or its group or
/// everyone may write it without the sticky bit. Says which directory, and the fix.
pub(crate) fn above_problem(path: &Utf8Path, trusted: &[u32], euid: u32) -> Option<String> {
    let resolved = resolved(path);
    let elsewhere = "choose a path whose directories only you, root or the manager's operator can write";
    for dir in resolved.ancestors().skip(1) {
        let Ok(meta) = dir.metadata() else { continue };
        if !trusted.contains(&meta.uid()) {
            let owner = crate::host::files::users::name_of(meta.uid());
            return Some(format!(
                "the directory {dir} above it belongs to {owner}, who may replace what is in it: {elsewhere}"
            ));
        }
        if let Some(who) = others_may_write(&meta).filter(|_| others_may_replace(&meta)) {
            let sudo = if meta.uid() == euid { "" } else { "sudo " };
            return Some(format!(
                "{who} may write the directory {dir} above it (mode {:04o}) and replace what is in it: {elsewhere}, \
                 or, where {dir} is yours to change, `{sudo}chmod go-w {dir}` (`{sudo}chmod +t {dir}` where others \
                 must create files there)",
                meta.mode() & 0o7777,
            ));
        }
    }
    None
}

/// Why `dir` will not do as the backup directory, if it will not: a user the reset does not
/// trust owns it, or its group or everyone may write it (sticky or not), or a directory above
/// it is not as private.
pub(crate) fn backup_dir_problem(dir: &Utf8Path, project: &Utf8Path, euid: u32) -> Option<String> {
    let resolved = resolved(dir);
    let dir = resolved.as_path();
    let meta = dir.metadata().ok()?;
    let mode = meta.mode() & 0o7777;
    let owner = crate::host::files::users::name_of(meta.uid());
    let trusted = writers(project, euid);
    let why = if let Some(who) = others_may_write(&meta) {
        format!("{who} may write it (mode {mode:04o}): `chmod go-w {dir}`")
    } else if !trusted.contains(&meta.uid()) {
        format!("it belongs to {owner}, who may write it")
    } else {
        above_problem(dir, &trusted, euid)?
    };
    Some(format!(
        "the backup directory {dir} is not private: {why}; the archive, its checksum, the journal and the log \
         hold the vault key and Ceph keys under names anyone can predict, so choose a directory only you and \
         root can write with --backup-dir (such as `mkdir -m 700 ~/manager-backups`)"
    ))
}

/// Whether the file at `path` was written by a user the reset trusts.
pub(crate) fn written_by_trusted(path: &Utf8Path, project: &Utf8Path, euid: u32) -> bool {
    std::fs::symlink_metadata(path)
        .is_ok_and(|m| m.file_type().is_file() && writers(project, euid).contains(&m.uid()))
}

/// What is wrong with the vault password file `file` (named by `option`): as well as the mode
/// and content `vault::check_password_file` judges, it must be a trusted user's, on a path no one
/// else may replace it through; the password it holds becomes every Ansible run's.
pub(crate) fn password_file_problem(
    file: &Utf8Path,
    option: &str,
    project: &Utf8Path,
    euid: u32,
) -> Option<String> {
    let trusted = writers(project, euid);
    let fix = "give a file of yours, root's or the operator's, readable by its owner only (chmod 600), in a \
               directory only they can write";
    if let Ok(meta) = std::fs::symlink_metadata(file) {
        if meta.file_type().is_symlink() {
            return Some(format!(
                "{option} {file} has become a symlink since the reset resolved it: give the file itself ({fix})"
            ));
        }
        if !trusted.contains(&meta.uid()) {
            let owner = crate::host::files::users::name_of(meta.uid());
            return Some(format!("{option} {file} belongs to {owner}, whom the reset does not trust: {fix}"));
        }
        if let Some(why) = above_problem(file, &trusted, euid) {
            return Some(format!("{option} {file} lies where others may replace it: {why}"));
        }
    }
    crate::host::osism::vault::check_password_file(file, option)
}
