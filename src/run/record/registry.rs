//! Where every run looks for a manager's unfinished reset, whatever its directory and user.
//!
//! The journal lives beside the archive, in the backup directory the reset was started with; an
//! operator who logs in again elsewhere, or as root, would not look there. So a reset also keeps a
//! record in the state directory (`/var/tmp/osism-manager-reset`, or
//! `OSISM_MANAGER_RESET_STATE_DIR`), from before its first step until its journal says finished:
//! a small JSON file, named after the manager's project directory and the user, naming the
//! journal, the archive and who started it. `/var/tmp` survives reboots; the directory is
//! world-writable and sticky, as `/var/tmp` is, so root and the operator can both keep records
//! there, each its own. A record is readable by all (it names paths, holds nothing of /share):
//! the operator learns of root's reset even where root's journal is private.
//!
//! A record whose journal says finished is stale (the run died between the two writes) and is
//! dropped. Journals left in the backup directory without a record count as well.

use std::fs;
use std::io::ErrorKind;

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::run::record::journal::Journal;

/// The variable that moves the state directory.
pub(crate) const STATE_DIR_VARIABLE: &str = "OSISM_MANAGER_RESET_STATE_DIR";
const DEFAULT_STATE_DIR: &str = "/var/tmp/osism-manager-reset";

/// What a record file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegistryRecord {
    pub(crate) project_directory: Utf8PathBuf,
    pub(crate) journal: Utf8PathBuf,
    pub(crate) archive: Utf8PathBuf,
    pub(crate) uid: u32,
    pub(crate) user: String,
    pub(crate) started_at: String,
}

/// An unfinished reset of a manager, as a run finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unfinished {
    pub(crate) project_directory: Utf8PathBuf,
    pub(crate) journal: Utf8PathBuf,
    pub(crate) archive: Utf8PathBuf,
    /// Who started it, when that was another user than the one asking: `(name, uid)`.
    pub(crate) other_user: Option<(String, u32)>,
    /// Whether the journal is there: a record can outlive a backup directory removed by hand.
    pub(crate) journal_exists: bool,
    /// The record that names it, if it has one.
    pub(crate) record: Option<Utf8PathBuf>,
}

impl Unfinished {
    /// The backup directory the reset keeps its files in.
    pub(crate) fn backup_dir(&self) -> &Utf8Path {
        self.journal.parent().unwrap_or(Utf8Path::new("/"))
    }

    /// The command that resumes it, typed by the user asking: through sudo when the journal is
    /// another user's and this one is not root (the journal is private to its owner, and root).
    pub(crate) fn resume_command(&self, euid: u32) -> String {
        let command = crate::plan::resume_command(self.backup_dir(), &self.project_directory);
        if self.other_user.is_some() && euid != 0 { format!("sudo {command}") } else { command }
    }

    /// One line for the operator: what is unfinished, where, by whom, and what to type next.
    pub(crate) fn describe(&self, euid: u32, running: Option<u32>) -> String {
        let by = self.other_user.as_ref().map(|(name, uid)| format!(", started by {name} (uid {uid}),"));
        let running = running.map(|pid| format!(", and that reset is running now (pid {pid})"));
        if !self.journal_exists {
            let record = self.record.as_ref().map_or_else(String::new, |r| r.to_string());
            return format!(
                "an unfinished reset of this manager{} is recorded in {record}, but its journal {} is gone: \
                 its archive of /share is {}; once the reset is finished by hand, remove the record with \
                 `rm {}`",
                by.unwrap_or_default(),
                self.journal,
                self.archive,
                crate::plan::quote::join(std::slice::from_ref(&record))
            );
        }
        format!(
            "an unfinished reset of this manager{} is recorded in {} (its archive of /share: {}){}: resume it \
             with `{}`",
            by.unwrap_or_default(),
            self.journal,
            self.archive,
            running.unwrap_or_default(),
            self.resume_command(euid)
        )
    }
}

/// The state directory records live in.
pub(crate) fn state_dir() -> Utf8PathBuf {
    match std::env::var(STATE_DIR_VARIABLE) {
        Ok(dir) if !dir.is_empty() => Utf8PathBuf::from(dir),
        _ => Utf8PathBuf::from(DEFAULT_STATE_DIR),
    }
}

/// Records `journal`'s reset as unfinished, as this user's record of its manager.
pub(crate) fn record(journal: &Journal, euid: u32) -> Result<()> {
    let dir = state_dir();
    ensure_state_dir(&dir)?;
    let plan = &journal.plan;
    // Judged again now, after the wait for the operator's consent: what preflight found may
    // have been replaced meanwhile.
    if let Some(problem) = state_problems(&plan.project_directory, euid).into_iter().next() {
        anyhow::bail!("{problem}");
    }
    let record = RegistryRecord {
        project_directory: plan.project_directory.clone(),
        journal: journal.path().to_owned(),
        archive: plan.backup_file.clone(),
        uid: euid,
        user: crate::host::files::users::name_of(euid),
        started_at: crate::host::process::transcript::now(),
    };
    let text = serde_json::to_string_pretty(&record).context("cannot encode the record")?;
    let path = dir.join(file_name(&plan.project_directory, euid));
    crate::host::files::atomic::write_with_mode(&path, text.as_bytes(), 0o644).with_context(|| {
        format!("cannot record the reset in {dir} (set {STATE_DIR_VARIABLE} to another directory)")
    })
}

/// Drops the records of `project`'s reset whose journal is `journal`, those this user may remove.
pub(crate) fn forget(project: &Utf8Path, journal: &Utf8Path) {
    for (path, record) in records(project).counted {
        if record.journal == journal {
            let _ = fs::remove_file(path);
        }
    }
}

/// The unfinished resets of a manager, and the records that were set aside on the way (each
/// saying why, for the run's log).
#[derive(Debug, Default)]
pub(crate) struct Resets {
    pub(crate) unfinished: Vec<Unfinished>,
    pub(crate) set_aside: Vec<String>,
}

/// The unfinished resets of the manager in `project`: from the records of every user, and from
/// the journals in `backup_dir`, each once.
pub(crate) fn unfinished(project: &Utf8Path, backup_dir: &Utf8Path, euid: u32) -> Result<Resets> {
    let mut found: Vec<Unfinished> = Vec::new();
    let RegistryRecords { counted, set_aside } = records(project);
    for (path, record) in counted {
        match closed(&record.journal) {
            Some(true) => {
                // Closed, but the run ended before it could drop the record.
                let _ = fs::remove_file(&path);
            }
            state => found.push(Unfinished {
                project_directory: record.project_directory,
                journal: record.journal,
                archive: record.archive,
                other_user: (record.uid != euid).then_some((record.user, record.uid)),
                journal_exists: state.is_some(),
                record: Some(path),
            }),
        }
    }
    let in_backup_dir = if backup_dir.is_dir() { Journal::unfinished_in(backup_dir)? } else { Vec::new() };
    for journal in in_backup_dir {
        if !found.iter().any(|f| f.journal == journal) {
            let archive = Journal::archive_beside(&journal).unwrap_or_default();
            found.push(Unfinished {
                project_directory: project.to_owned(),
                journal,
                archive,
                other_user: None,
                journal_exists: true,
                record: None,
            });
        }
    }
    // Two users' records of the same reset are one reset.
    found.sort_by(|a, b| (&a.journal, a.other_user.is_some()).cmp(&(&b.journal, b.other_user.is_some())));
    found.dedup_by(|later, first| later.journal == first.journal);
    Ok(Resets { unfinished: found, set_aside })
}

/// Whether the journal at `path` says its reset is over: `None` if it is gone. One this user may
/// not read is taken as unfinished: its owner has not said otherwise.
fn closed(path: &Utf8Path) -> Option<bool> {
    match crate::host::files::untrusted::read_text(path) {
        Ok(text) => Some(crate::run::record::journal::closed(&text)),
        Err(error) if error.kind() == ErrorKind::NotFound => None,
        Err(_) => Some(false),
    }
}

/// The records of `project` that can be read and count: each a file owned by the user it names,
/// one the reset trusts (root, this user, the manager's operator). The state directory is every
/// user's to write, so any other is a plant: set aside, and said so in the log.
fn records(project: &Utf8Path) -> RegistryRecords {
    use std::os::unix::fs::MetadataExt;
    let dir = state_dir();
    let prefix = format!("{}.", project_key(project));
    let Ok(entries) = dir.read_dir_utf8() else { return RegistryRecords::default() };
    let trusted = crate::host::files::trust::writers(project, rustix::process::geteuid().as_raw());
    let mut records = RegistryRecords::default();
    for entry in entries.filter_map(|entry| entry.ok()) {
        if !entry.file_name().starts_with(&prefix) || !entry.file_name().ends_with(".json") {
            continue;
        }
        let Some(owner) = fs::symlink_metadata(entry.path()).ok().filter(|m| m.is_file()).map(|m| m.uid())
        else {
            continue;
        };
        let Ok(text) = crate::host::files::untrusted::read_text(entry.path()) else { continue };
        let Ok(record) = serde_json::from_str::<RegistryRecord>(&text) else { continue };
        if record.project_directory != project {
            continue;
        }
        if owner != record.uid || !trusted.contains(&owner) {
            records.set_aside.push(format!(
                "the record {} names uid {} but belongs to uid {owner}, or to a user this reset does not trust: \
                 ignored",
                entry.path(),
                record.uid
            ));
            continue;
        }
        records.counted.push((entry.into_path(), record));
    }
    records.counted.sort_by(|a, b| a.0.cmp(&b.0));
    records
}

/// The records of a manager that count, by path, and why the others were set aside.
#[derive(Default)]
struct RegistryRecords {
    counted: Vec<(Utf8PathBuf, RegistryRecord)>,
    set_aside: Vec<String>,
}

/// A record's name: the project directory's hash (any path fits), and the user's uid.
fn file_name(project: &Utf8Path, uid: u32) -> String {
    format!("{}.{uid}.json", project_key(project))
}

fn project_key(project: &Utf8Path) -> String {
    let digest = Sha256::digest(project.as_str().as_bytes());
    format!("manager-{}", &format!("{digest:x}")[..16])
}

/// What keeps this user's reset from keeping its record of the manager in `project` in the
/// state directory, each naming the fix: it cannot be written; it, or a directory above it, is
/// another user's to rewrite (records name the journal a resume trusts); something else lies
/// where this user's record goes. A reset that could not be found from elsewhere is not started.
pub(crate) fn state_problems(project: &Utf8Path, euid: u32) -> Vec<String> {
    use std::os::unix::fs::MetadataExt;
    let dir = state_dir();
    let trusted = crate::host::files::trust::writers(project, euid);
    let sudo = if euid == 0 { "" } else { "sudo " };
    let or_elsewhere = format!("or set {STATE_DIR_VARIABLE} to a directory of yours");
    let mut problems: Vec<String> = crate::host::files::trust::above_problem(&dir, &trusted, euid)
        .map(|why| {
            format!("the state directory {dir} lies where others may replace it: {why}; {or_elsewhere}")
        })
        .into_iter()
        .collect();
    let remade = "the reset makes it again, sticky and open to every user's records, as /var/tmp is";
    match fs::symlink_metadata(&dir) {
        Ok(meta) if !meta.is_dir() => problems.push(format!(
            "the state directory {dir} is {}: remove it with `{sudo}rm {dir}` ({remade}), {or_elsewhere}",
            what_is(&meta, euid)
        )),
        Ok(meta) if !trusted.contains(&meta.uid()) => problems.push(format!(
            "the state directory {dir} belongs to {}, whom the reset does not trust with the records that name \
             journals: remove it with `{sudo}rm -r {dir}` ({remade}), {or_elsewhere}",
            crate::host::files::users::name_of(meta.uid())
        )),
        Ok(meta) if crate::host::files::trust::others_may_replace(&meta) => problems.push(format!(
            "others may replace the records in the state directory {dir} (mode {:04o}, not sticky): `{sudo}chmod +t \
             {dir}`, {or_elsewhere}",
            meta.mode() & 0o7777
        )),
        Ok(_) => {
            let record = dir.join(file_name(project, euid));
            match fs::symlink_metadata(&record) {
                // Root replaces another's file there (the rename is root's to make, and the new
                // file stays root's); another user may not, in a sticky directory.
                Ok(meta) if !meta.is_file() || (euid != 0 && meta.uid() != euid) => problems.push(format!(
                    "the state directory holds {record} where this reset's record of the manager goes, and it is \
                     {}: remove it with `{sudo}rm -r {record}`",
                    what_is(&meta, euid)
                )),
                _ => {}
            }
        }
        Err(_) => {}
    }
    problems.extend(check_writable());
    problems
}

/// What a planted entry is, for a message: the kind of file, and whose where it is not ours.
fn what_is(meta: &fs::Metadata, euid: u32) -> String {
    use std::os::unix::fs::MetadataExt;
    let kind = if meta.is_dir() {
        "a directory"
    } else if meta.is_symlink() {
        "a symlink"
    } else if meta.is_file() {
        "a file"
    } else {
        "a special file"
    };
    if meta.uid() == euid {
        kind.to_owned()
    } else {
        format!("{kind} of {}", crate::host::files::users::name_of(meta.uid()))
    }
}

/// What keeps this user from writing in the state directory, if anything.
fn check_writable() -> Option<String> {
    let dir = state_dir();
    let existing = dir.ancestors().find(|d| d.exists()).unwrap_or(Utf8Path::new("/"));
    let writable = rustix::fs::access(existing.as_std_path(), rustix::fs::Access::WRITE_OK).is_ok();
    (!writable || !existing.is_dir()).then(|| {
        format!(
            "the state directory {dir}, where a reset records itself for runs from anywhere, cannot be \
             written ({existing} is not a writable directory): set {STATE_DIR_VARIABLE} to one that can"
        )
    })
}

/// Creates the state directory world-writable and sticky, as `/var/tmp` is, when it is missing:
/// made by this run, then opened without following a link to set its mode, so that nothing
/// another user puts at the name in between is given that mode. One that is there already is
/// judged by `state_problems`.
fn ensure_state_dir(dir: &Utf8Path) -> Result<()> {
    use rustix::fs::{Mode, OFlags};
    if fs::symlink_metadata(dir).is_ok() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {parent} for the state directory"))?;
    }
    match fs::create_dir(dir) {
        Ok(()) => {}
        // Another run made it meanwhile.
        Err(error) if error.kind() == ErrorKind::AlreadyExists => return Ok(()),
        Err(error) => {
            return Err(error).with_context(|| {
                format!(
                    "cannot create the state directory {dir} (set {STATE_DIR_VARIABLE} to another directory)"
                )
            });
        }
    }
    let made = rustix::fs::open(
        dir.as_std_path(),
        OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::RDONLY,
        Mode::empty(),
    )
    .with_context(|| format!("cannot open the state directory {dir}"))?;
    rustix::fs::fchmod(&made, Mode::from_raw_mode(0o1777))
        .with_context(|| format!("cannot open the state directory {dir} to every user"))
}
