//! What preflight finds wrong, area by area, from what the host answered: an unfinished reset of
//! this manager, the backup directory, the share volume the options name, containers outside
//! the project on its volumes, sudo, the vault password's way back. Each problem says what is wrong and how to fix it.

use anyhow::Result;
use camino::Utf8Path;
use rustix::fs::{Access, access, statvfs};

use crate::host::inspect::{Host, Project, ShareMount};
use crate::host::sudo::Sudo;
use crate::host::vault;
use crate::host::volumes::VolumeUser;
use crate::plan::config::Config;
use crate::plan::{KeptVolume, Service, ShareSize, Vault, VaultState, Volumes};
use crate::run::{lock, registry};
use crate::view::amount;

/// Checks that no reset of this manager is unfinished, wherever and by whomever it was started:
/// a new one would archive what is left of a half-restored /share. Returns whether one is.
pub fn check_unfinished(
    config: &Config,
    euid: u32,
    resuming: Option<&Utf8Path>,
    problems: &mut Vec<String>,
) -> bool {
    let unfinished =
        match registry::unfinished(&config.options.project_directory, &config.options.backup_dir, euid) {
            Ok(found) => found,
            Err(error) => {
                problems.push(format!("{error:#}"));
                Vec::new()
            }
        };
    let running = lock::holder(&config.options.project_directory).filter(|&pid| pid != std::process::id());
    // The archive of an unfinished reset is what its resume needs: never advise moving it.
    for found in unfinished.iter().filter(|f| Some(f.journal.as_path()) != resuming) {
        problems.push(found.describe(euid, running));
    }
    problems.extend(registry::state_problems(&config.options.project_directory, euid));
    !unfinished.is_empty()
}

pub fn check_backup_dir(
    config: &Config,
    unfinished: bool,
    archive: &Utf8Path,
    share: Option<ShareSize>,
    free_kib: Option<u64>,
    problems: &mut Vec<String>,
) {
    let dir = &config.options.backup_dir;
    if let Some(problem) =
        not_a_directory(dir, "the backup directory", "create it or choose another with --backup-dir")
    {
        problems.push(problem);
        return;
    }
    if !unfinished && archive.exists() && !restores_it(config, archive) {
        problems.push(format!(
            "the archive {archive} exists already and is never overwritten: move it away or choose \
             another --backup-dir"
        ));
    }
    problems.extend(crate::run::trust::backup_dir_problem(
        dir,
        &config.options.project_directory,
        rustix::process::geteuid().as_raw(),
    ));
    if access(dir.as_std_path(), Access::WRITE_OK).is_err() {
        problems
            .push(format!("the backup directory {dir} is not writable: choose another with --backup-dir"));
    }
    if let (Some(share), Some(free)) = (share, free_kib)
        && free <= share.kib
    {
        problems.push(format!(
            "{dir} has {} free but /share holds {}: free some space or choose another --backup-dir",
            amount::size(free),
            amount::size(share.kib)
        ));
    }
}

/// The operator named today's archive to restore: step 2 keeps it aside, it is not in the way.
fn restores_it(config: &Config, archive: &Utf8Path) -> bool {
    config.options.restore_from.as_deref() == Some(archive)
}

/// What keeps the vault step from setting the password again after `down -v`: a password file
/// that will not do, no file and no terminal for osism to ask on, a key file osism cannot use.
pub fn vault_problems(config: &Config, vault: &Vault, terminal: bool) -> Vec<String> {
    let option = config.sources.name("vault-password-file");
    let euid = rustix::process::geteuid().as_raw();
    let project = &config.options.project_directory;
    let mut problems: Vec<String> = config
        .options
        .vault_password_file
        .iter()
        .filter_map(|file| crate::run::trust::password_file_problem(file, &option, project, euid))
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
pub fn share_volume_problem(config: &Config, project: &Project) -> Option<String> {
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
            if one.volume == crate::plan::cli::DEFAULT_SHARE_VOLUME {
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

/// The volumes `down -v` deletes, judged: a unit that is not active while the project's
/// containers run, containers outside the project on them, Vault's storage not agreed to.
/// `up` are the services whose containers run, `users` every container on a deleted volume.
pub fn judge_volumes(
    config: &Config,
    project: &str,
    (service, active): (&Service, Option<bool>),
    (volumes, up, users): (&Volumes, &[String], Result<Vec<VolumeUser>>),
    problems: &mut Vec<String>,
) {
    if active == Some(false) && !up.is_empty() {
        problems.push(format!(
            "the unit {} is not active, yet the project's containers run ({}): stopping it would not stop the \
             manager; name the unit that runs it with --service",
            service.unit,
            up.join(", ")
        ));
    }
    match users {
        Ok(users) => problems.extend(strangers(config, project, volumes, &users)),
        Err(error) => {
            problems.push(format!("{error:#}: cannot tell what uses the volumes `down -v` deletes"))
        }
    }
    let kept: Vec<&str> = config.options.keep_volumes.iter().filter_map(|k| volumes.named_as(k)).collect();
    let unkept: Vec<&str> = volumes.vault.iter().map(String::as_str).filter(|v| !kept.contains(v)).collect();
    if !unkept.is_empty() && !config.options.delete_vault_data {
        let keys: Vec<&str> = unkept.iter().map(|v| volumes.key_of(v)).collect();
        problems.push(format!(
            "the manager runs HashiCorp Vault, and `down -v` deletes its storage ({}) for good: the runbook \
             does not back it up and OSISM does not initialise Vault again; keep it across the reset with {} {}, \
             or agree that it is lost with {}",
            unkept.join(", "),
            config.sources.name("keep-volume"),
            keys.join(","),
            config.sources.name("delete-vault-data")
        ));
    }
}

/// The volumes `--keep-volume` names, each resolved to one `down -v` deletes, with the labels
/// Compose gave it: one that is not such a volume is a problem.
pub fn judge_kept(
    config: &Config,
    volumes: &Volumes,
    host: &Host,
    problems: &mut Vec<String>,
) -> Vec<KeptVolume> {
    let flag = config.sources.name("keep-volume");
    let mut kept: Vec<KeptVolume> = Vec::new();
    for asked in &config.options.keep_volumes {
        let Some(name) = volumes.named_as(asked) else {
            let keys: Vec<&str> = volumes
                .named
                .iter()
                .filter(|v| **v != config.options.share_volume)
                .map(|v| volumes.key_of(v))
                .collect();
            let keys = if keys.is_empty() { "none".to_owned() } else { keys.join(", ") };
            problems.push(format!(
                "{flag} {asked} is not a named volume of the project that `down -v` deletes (those are: {keys}): \
                 name one as the compose file does"
            ));
            continue;
        };
        if name == config.options.share_volume {
            problems.push(format!(
                "{flag} {asked} is the share volume, which the runbook's own archive carries across: leave it out"
            ));
            continue;
        }
        if kept.iter().any(|k| k.name == name) {
            continue;
        }
        match host.volume_labels(name) {
            Ok(labels) => {
                kept.push(KeptVolume { name: name.to_owned(), key: volumes.key_of(name).to_owned(), labels })
            }
            Err(error) => {
                problems.push(format!("{error:#}: cannot tell how Compose created {name}, to keep it"))
            }
        }
    }
    kept
}

/// What /share holds, where it was measured, and whether the share volume is missing; a
/// measurement that failed is a problem (the caller judges a missing volume). Without a working
/// Compose the engine is likely not answering either: the caller passes no measurement then,
/// as a failed one would only repeat that problem.
pub fn judge_share(
    share: Option<Result<Option<ShareSize>>>,
    problems: &mut Vec<String>,
) -> (Option<ShareSize>, bool) {
    match share {
        Some(Ok(Some(size))) => (Some(size), false),
        Some(Ok(None)) => (None, true),
        Some(Err(error)) => {
            problems.push(format!("{error:#}"));
            (None, false)
        }
        None => (None, false),
    }
}

/// The share volume does not exist, and no archive of it is here to restore: unless an
/// unfinished reset deleted it (its resume, named already, is the way on), the options name
/// the wrong volume.
pub fn missing_share(config: &Config) -> String {
    format!(
        "the share volume {} does not exist: name the manager's volume with --share-volume (see docker volume \
         ls)",
        config.options.share_volume
    )
}

/// Containers outside the compose project that use a volume `down -v` is to delete: `down -v`
/// cannot remove a volume in use and exits 0 all the same, so a reset would stop after it, and
/// one holding the share volume may write to /share while it is backed up. The tool's own
/// containers (a read-back, or preflight's measurement running at this moment) and the plan's tar containers (the image, the backup directory mounted), which a
/// killed run may leave, are stopped by the run itself.
pub fn strangers(config: &Config, project: &str, volumes: &Volumes, users: &[VolumeUser]) -> Vec<String> {
    let deleted: Vec<&str> = volumes.deleted().collect();
    let ours = |u: &VolumeUser| {
        u.own
            || (u.image == config.options.image
                && u.mounts.iter().any(|m| m == config.options.backup_dir.as_str()))
    };
    users
        .iter()
        .filter(|u| u.project != project && !ours(u))
        .map(|u| {
            let held: Vec<&str> = u.mounts.iter().map(String::as_str).filter(|m| deleted.contains(m)).collect();
            format!(
                "the container {} (image {}, {}) is not the compose project's but uses {}, which `down -v` \
                 deletes: `down -v` could not delete it{}; remove the container with `docker rm --force {}` (or \
                 stop what made it), then run again",
                u.name,
                u.image,
                u.state,
                held.join(", "),
                if held.contains(&config.options.share_volume.as_str()) {
                    ", and it may write to /share while it is backed up"
                } else {
                    ""
                },
                u.name
            )
        })
        .collect()
}

/// What sudo says of the unit's stop and start, each with its command line.
pub fn sudo_for_unit(host: &Host, unit: &str) -> Result<Vec<(String, Sudo)>> {
    ["stop", "start"]
        .into_iter()
        .map(|verb| Ok((format!("systemctl {verb} {unit}"), host.sudo(&["systemctl", verb, unit])?)))
        .collect()
}

/// What keeps sudo from running the unit's commands in the middle of the reset: a command it
/// does not permit, or a password with no terminal to type it on. Returns whether it asks for
/// a password that the terminal can give (the run asks it right after consent).
pub fn sudo_problems(
    answers: &[(String, Sudo)],
    euid: u32,
    terminal: bool,
    problems: &mut Vec<String>,
) -> bool {
    let user = crate::host::users::name_of(euid);
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
        return false;
    }
    !password.is_empty()
}

/// What is wrong with `dir` as a directory, if anything.
pub fn not_a_directory(dir: &Utf8Path, what: &str, fix: &str) -> Option<String> {
    match dir.metadata() {
        Ok(meta) if meta.is_dir() => None,
        Ok(_) => Some(format!("{what} {dir} is not a directory: {fix}")),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            Some(format!("{what} {dir} does not exist: {fix}"))
        }
        Err(error) => Some(format!("{what} {dir} cannot be read ({error}): {fix}")),
    }
}

pub fn free_bytes(dir: &Utf8Path) -> Result<u64> {
    let stat = statvfs(dir.as_std_path())?;
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}
