//! What preflight finds wrong, area by area, from what the host answered: an unfinished reset of
//! this manager, the backup directory, the share volume the options name and what it holds,
//! sudo, the vault password's way back. Each problem says what is wrong and how to fix it,
//! under the kind a test or a pipeline matches on.

use anyhow::Result;
use camino::Utf8Path;
use rustix::fs::{Access, access, statvfs};

use crate::host::docker::inspect::{Host, Project, ShareMount};
use crate::host::osism::vault;
use crate::host::system::sudo::Sudo;
use crate::plan::config::Config;
use crate::plan::problem::Kind;
use crate::plan::{ShareSize, Vault, VaultState};
use crate::run::preflight::Preflight;
use crate::run::record::{lock, registry};
use crate::view::plan_text::amount;

impl Preflight<'_> {
    /// Checks that no reset of this manager is unfinished, wherever and by whomever it was
    /// started: a new one would archive what is left of a half-restored /share. Returns whether
    /// one is.
    pub(crate) fn check_unfinished(&mut self) -> bool {
        let (config, euid, resuming) = (self.config, self.euid, self.resuming);
        let unfinished =
            match registry::unfinished(&config.options.project_directory, &config.options.backup_dir, euid) {
                Ok(resets) => {
                    self.notes.extend(resets.set_aside);
                    resets.unfinished
                }
                Err(error) => {
                    self.problem(Kind::Unfinished, format!("{error:#}"));
                    Vec::new()
                }
            };
        let running =
            lock::holder(&config.options.project_directory).filter(|&pid| pid != std::process::id());
        // The archive of an unfinished reset is what its resume needs: never advise moving it.
        for found in unfinished.iter().filter(|f| Some(f.journal.as_path()) != resuming) {
            self.problem(Kind::Unfinished, found.describe(euid, running));
        }
        self.problems(Kind::StateDir, registry::state_problems(&config.options.project_directory, euid));
        !unfinished.is_empty()
    }

    /// The backup directory: there, private, writable, with room for /share's archive, and
    /// without today's archive in the way (`unfinished`: an unfinished reset's resume needs it).
    pub(crate) fn check_backup_dir(
        &mut self,
        unfinished: bool,
        share: Option<ShareSize>,
        free_kib: Option<u64>,
    ) {
        let (config, archive) = (self.config, self.archive.clone());
        let dir = &config.options.backup_dir;
        if let Some(problem) =
            not_a_directory(dir, "the backup directory", "create it or choose another with --backup-dir")
        {
            self.problem(Kind::BackupDir, problem);
            return;
        }
        if !unfinished && archive.exists() && !restores_it(config, &archive) {
            self.problem(
                Kind::BackupDir,
                format!(
                    "the archive {archive} exists already and is never overwritten: move it away or choose \
                     another --backup-dir"
                ),
            );
        }
        self.problems(
            Kind::BackupDir,
            crate::host::files::trust::backup_dir_problem(dir, &config.options.project_directory, self.euid),
        );
        if access(dir.as_std_path(), Access::WRITE_OK).is_err() {
            self.problem(
                Kind::BackupDir,
                format!("the backup directory {dir} is not writable: choose another with --backup-dir"),
            );
        }
        if let (Some(share), Some(free)) = (share, free_kib)
            && free <= share.kib
        {
            self.problem(
                Kind::BackupDir,
                format!(
                    "{dir} has {} free but /share holds {}: free some space or choose another --backup-dir",
                    amount::size(free),
                    amount::size(share.kib)
                ),
            );
        }
    }
}

/// The operator named today's archive to restore: step 2 keeps it aside, it is not in the way.
fn restores_it(config: &Config, archive: &Utf8Path) -> bool {
    config.options.restore_from.as_deref() == Some(archive)
}

/// What keeps the vault step from setting the password again after `down -v`: a password file
/// that will not do, no file and no terminal for osism to ask on, a key file osism cannot use.
pub(crate) fn vault_problems(config: &Config, vault: &Vault, terminal: bool, euid: u32) -> Vec<String> {
    let option = config.sources.name("vault-password-file");
    let project = &config.options.project_directory;
    let mut problems: Vec<String> = config
        .options
        .vault_password_file
        .iter()
        .filter_map(|file| crate::host::files::trust::password_file_problem(file, &option, project, euid))
        .collect();
    if !vault.needs_setting() {
        return problems;
    }
    if config.options.vault_password_file.is_none() && !terminal {
        problems.push(format!(
            "osism's Ansible runs need the vault password after the reset, as `down -v` empties Redis, \
             which holds it ({}), and there is no terminal for osism to ask for it on: pass {option} FILE, \
             or add {} for unattended runs",
            vault.detail,
            vault::vault_pass(&config.options.configuration_directory)
        ));
    }
    if vault.state == VaultState::InvalidKeyFile {
        problems.push(format!(
            "the vault key file in /share is no Fernet key ({}): `osism set vault password` would fail with \
             it after `down -v`; replace it with a valid key, or remove it (osism then makes one), and set \
             the password again before the reset",
            vault.detail
        ));
    }
    problems
}

/// What is wrong with the share volume the options name: it must be the named volume the
/// project's services mount at /share, or the backup archives another volume and `down -v`
/// deletes /share unsaved.
pub(crate) fn share_volume_problem(config: &Config, project: &Project) -> Option<String> {
    let option = config.sources.name("share-volume");
    let given = &config.options.share_volume;
    let mounted = |m: &ShareMount| format!("{} (mounted by {})", m.volume, m.services.join(", "));
    match project.share_mounts.as_slice() {
        [] => Some(format!(
            "no volume of the compose project {:?} is mounted at /share, so it is not an OSISM manager: \
             point --project-directory at the manager's directory",
            project.name
        )),
        [one] if &one.volume == given => None,
        [one] if !config.sources.given("share-volume") => Some(format!(
            "the manager mounts {} at /share, not the runbook's {given} (its compose project is named {:?}): \
             name it with `--share-volume {}`",
            mounted(one),
            project.name,
            one.volume
        )),
        [one] => Some(format!(
            "{option} {given} is not the volume the manager mounts at /share: that is {}; {}",
            mounted(one),
            if one.volume == crate::plan::options::record::DEFAULT_SHARE_VOLUME {
                "drop the option".to_owned()
            } else {
                format!("name it with `--share-volume {}`", one.volume)
            }
        )),
        many if many.iter().any(|m| &m.volume == given) => None,
        many => Some(format!(
            "{option} {given} is not a volume the manager mounts at /share: those are {}",
            many.iter().map(mounted).collect::<Vec<_>>().join("; ")
        )),
    }
}

impl Preflight<'_> {
    /// What /share holds, where it was measured, and whether the share volume is missing; a
    /// measurement that failed is a problem (the caller judges a missing volume). Without a
    /// working Compose the engine is likely not answering either: the caller passes no
    /// measurement then, as a failed one would only repeat that problem.
    pub(crate) fn judge_share(
        &mut self,
        share: Option<Result<Option<ShareSize>>>,
    ) -> (Option<ShareSize>, bool) {
        match share {
            Some(Ok(Some(size))) => (Some(size), false),
            Some(Ok(None)) => (None, true),
            Some(Err(error)) => {
                self.problem(Kind::Share, format!("{error:#}"));
                (None, false)
            }
            None => (None, false),
        }
    }
}

/// The share volume does not exist, and no archive of it is here to restore: unless an
/// unfinished reset deleted it (its resume, named already, is the way on), the options name
/// the wrong volume.
pub(crate) fn missing_share(config: &Config) -> String {
    format!(
        "the share volume {} does not exist: name the manager's volume with --share-volume (see docker volume \
         ls)",
        config.options.share_volume
    )
}

/// What sudo says of the unit's stop and start, each with its command line.
pub(crate) fn sudo_for_unit(host: &Host, unit: &str) -> Result<Vec<(String, Sudo)>> {
    ["stop", "start"]
        .into_iter()
        .map(|verb| Ok((format!("systemctl {verb} {unit}"), host.sudo(&["systemctl", verb, unit])?)))
        .collect()
}

/// What keeps sudo from running the unit's commands in the middle of the reset: a command it
/// does not permit, or a password with no terminal to type it on; and whether it asks for a
/// password that the terminal can give (the run asks it right after consent).
pub(crate) fn sudo_problems(answers: &[(String, Sudo)], euid: u32, terminal: bool) -> (Vec<String>, bool) {
    let mut problems = Vec::new();
    let user = crate::host::files::users::name_of(euid);
    let systemctl =
        which::which("systemctl").map_or_else(|_| "/usr/bin/systemctl".into(), |p| p.display().to_string());
    let sudoers = format!(
        "`{user} ALL=(root) NOPASSWD: {}`",
        answers
            .iter()
            .map(|(line, _)| line.replacen("systemctl", &systemctl, 1))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let quoted =
        |lines: Vec<&String>| lines.iter().map(|l| format!("`{l}`")).collect::<Vec<_>>().join(" and ");
    let password: Vec<&String> =
        answers.iter().filter(|(_, a)| *a == Sudo::Password).map(|(l, _)| l).collect();
    let denied: Vec<&String> =
        answers.iter().filter(|(_, a)| matches!(a, Sudo::Denied(_))).map(|(l, _)| l).collect();
    let said = answers.iter().find_map(|(_, a)| match a {
        Sudo::Denied(said) => Some(said.as_str()),
        _ => None,
    });
    if !denied.is_empty() {
        problems.push(format!(
            "sudo does not let {user} run {} ({}): allow it (a sudoers line such as {sudoers}), or run the \
             reset as root",
            quoted(denied),
            said.unwrap_or_default()
        ));
    }
    if !password.is_empty() && !terminal {
        problems.push(format!(
            "sudo asks {user} for a password to run {}, and there is no terminal to type it on: let {user} run \
             the unit's stop and start without one (a sudoers line such as {sudoers}), or run the reset at a \
             terminal or as root",
            quoted(password)
        ));
        return (problems, false);
    }
    (problems, !password.is_empty())
}

/// What is wrong with `dir` as a directory, if anything.
pub(crate) fn not_a_directory(dir: &Utf8Path, what: &str, fix: &str) -> Option<String> {
    match dir.metadata() {
        Ok(meta) if meta.is_dir() => None,
        Ok(_) => Some(format!("{what} {dir} is not a directory: {fix}")),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            Some(format!("{what} {dir} does not exist: {fix}"))
        }
        Err(error) => Some(format!("{what} {dir} cannot be read ({error}): {fix}")),
    }
}

pub(crate) fn free_bytes(dir: &Utf8Path) -> Result<u64> {
    let stat = statvfs(dir.as_std_path())?;
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}
