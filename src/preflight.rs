//! Checks before anything changes, and the facts they learn on the way (the compose project's
//! name, the service unit, the volumes `down -v` deletes and keeps, whether a vault password is
//! set, the size of /share).
//!
//! Every check runs, so the operator sees every problem at once; any problem refuses the run
//! with exit 2. The dry run shows the same problems without refusing.

use std::{panic, thread};

use anyhow::{Result, anyhow};
use camino::Utf8Path;
use rustix::fs::{Access, access, statvfs};
use time::Date;

use crate::config::Config;
use crate::exec::Runner;
use crate::inspect::{Host, Project, ShareMount};
use crate::outcome::{Code, Failure};
use crate::plan::{self, Facts, Inputs, Service, ShareSize, Vault, VaultState, Volumes};
use crate::{confirm, lock, registry, render, service, vault};

/// Compose file names Compose looks for, in its order.
const COMPOSE_FILES: [&str; 4] = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

#[derive(Debug, Clone)]
pub struct Findings {
    pub project: String,
    pub service: Service,
    /// `None` when Docker could not be asked.
    pub volumes: Option<Volumes>,
    pub vault: Vault,
    /// What /share holds, and the free space in the backup directory (KiB), where measured.
    pub share: Option<ShareSize>,
    pub free_kib: Option<u64>,
    /// Each says what is wrong and how to fix it.
    pub problems: Vec<String>,
}

/// The programs a plan runs; `sudo` only when not root.
pub fn required_programs(euid: u32) -> Vec<&'static str> {
    let mut programs = vec!["docker", "systemctl", "osism"];
    if euid != 0 {
        programs.push("sudo");
    }
    programs
}

/// Checks that every program is on PATH and that Compose v2 answers.
pub fn check_programs(euid: u32, host: &Host, problems: &mut Vec<String>) -> bool {
    for program in required_programs(euid) {
        if which::which(program).is_err() {
            problems.push(format!("{program} is not on PATH: install it or add its directory to PATH"));
        }
    }
    if which::which("docker").is_err() {
        return false;
    }
    match host.compose_version() {
        Ok(_) => true,
        Err(error) => {
            problems.push(format!("{error:#}: install the Docker Compose v2 plugin"));
            false
        }
    }
}

/// Runs every check; `terminal` tells whether osism's prompt could ask for the vault password.
///
/// Three groups of questions do not depend on each other and are asked at once, since the
/// operator waits for them all before the plan shows: Compose's (version, configuration,
/// containers, volumes), the share volume's size (a container), and systemd's and osism's.
pub fn inspect(
    config: &Config,
    euid: u32,
    archive: &Utf8Path,
    resuming: Option<&Utf8Path>,
    terminal: bool,
    host: &Host,
) -> Findings {
    let mut problems = Vec::new();
    let (docker, compose, share, (service, active), vault) = thread::scope(|scope| {
        let share = scope.spawn(|| {
            which::which("docker").is_ok().then(|| host.measure_share(&config.share_volume, &config.image))
        });
        let units = scope.spawn(|| {
            let systemctl = which::which("systemctl").is_ok();
            let service = service::resolve(config.service.as_deref(), host, systemctl);
            let vault = if which::which("osism").is_ok() {
                host.vault()
            } else {
                Ok(Vault::new(VaultState::Unknown, "osism is not on PATH".into()))
            };
            (service, vault)
        });
        let docker = check_programs(euid, host, &mut problems);
        let compose = compose_findings(config, docker, host, &mut problems);
        let (service, vault) = joined(units);
        (docker, compose, joined(share), service, vault)
    });
    let vault = vault.unwrap_or_else(|cannot| {
        problems.push(format!(
            "{cannot}: step 7 runs osism, and would fail after `down -v`; install OSISM's wrapper \
             (`osism update manager`) or put the osism the plugin dispatcher chains to on PATH"
        ));
        Vault::new(VaultState::Unknown, cannot)
    });
    let vault = Vault { vault_pass: vault::vault_pass(&config.configuration_directory).exists(), ..vault };
    let Compose { project, volumes } = compose;
    let name =
        project.as_ref().map_or_else(|| default_project_name(&config.project_directory), |p| p.name.clone());
    let volumes = match volumes {
        Some(Ok((volumes, up))) => {
            if active == Some(false) && !up.is_empty() {
                problems.push(format!(
                    "the unit {} is not active, yet the project's containers run ({}): stopping it would \
                     not stop the manager; name the unit that runs it with --service",
                    service.unit,
                    up.join(", ")
                ));
            }
            if !volumes.vault.is_empty() && !config.delete_vault_data {
                problems.push(format!(
                    "the manager runs HashiCorp Vault, and `down -v` deletes its storage ({}) for good: the \
                     runbook does not back it up and OSISM does not initialise Vault again; keep what you need \
                     of it, then agree with {}",
                    volumes.vault.join(", "),
                    config.sources.name("delete-vault-data")
                ));
            }
            Some(volumes)
        }
        Some(Err(error)) => {
            problems.push(format!("{error:#}"));
            None
        }
        None => None,
    };
    if let Some(project) = &project {
        problems.extend(share_volume_problem(config, project));
    }
    // Without a working Compose the engine is likely not answering either: that problem is
    // listed already, and a failed measurement would only repeat it.
    let share = match share.filter(|_| docker) {
        Some(Ok(Some(size))) => Some(size),
        Some(Ok(None)) => {
            problems.push(format!(
                "the share volume {} does not exist: name the manager's volume with --share-volume \
                 (see docker volume ls)",
                config.share_volume
            ));
            None
        }
        Some(Err(error)) => {
            problems.push(format!(
                "{error:#}: check that the image {} is present (docker image ls)",
                config.image
            ));
            None
        }
        None => None,
    };
    problems.extend(vault_problems(config, &vault, terminal));
    let unfinished = check_unfinished(config, euid, resuming, &mut problems);
    let free_kib = free_bytes(&config.backup_dir).ok().map(|bytes| bytes / 1024);
    check_backup_dir(config, unfinished, archive, share, free_kib, &mut problems);
    Findings { project: name, service, volumes, vault, share, free_kib, problems }
}

/// What a thread of preflight's found; its panic, if it had one, goes on in the caller.
fn joined<T>(handle: thread::ScopedJoinHandle<'_, T>) -> T {
    handle.join().unwrap_or_else(|payload| panic::resume_unwind(payload))
}

/// What Compose says of the project: its model, and (when there is one) the volumes `down -v`
/// deletes and keeps with the services whose containers are up.
struct Compose {
    project: Option<Project>,
    volumes: Option<Result<(Volumes, Vec<String>)>>,
}

fn compose_findings(config: &Config, docker: bool, host: &Host, problems: &mut Vec<String>) -> Compose {
    let dir = &config.project_directory;
    let compose_file = COMPOSE_FILES.iter().map(|f| dir.join(f)).find(|f| f.is_file());
    if let Some(problem) =
        not_a_directory(dir, "the project directory", "point --project-directory at the manager's directory")
    {
        problems.push(problem);
    } else if compose_file.is_none() {
        problems.push(format!(
            "{dir} holds no compose file ({}): point --project-directory at the manager's directory",
            COMPOSE_FILES.join(", ")
        ));
    }
    let project = match (docker && compose_file.is_some()).then(|| host.project(dir)) {
        Some(Ok(project)) => Some(project),
        Some(Err(error)) => {
            problems.push(format!("{error:#}: fix the compose project first"));
            None
        }
        None => None,
    };
    let volumes = project.as_ref().map(|project| project_volumes(dir, project, host));
    Compose { project, volumes }
}

/// The volumes `down -v` deletes and keeps, and the services whose containers are up.
fn project_volumes(dir: &Utf8Path, project: &Project, host: &Host) -> Result<(Volumes, Vec<String>)> {
    let containers = host.containers(dir)?;
    let up = crate::health::up(&containers);
    let anonymous = host.anonymous_volumes(&containers, &project.volumes)?;
    let kept = host
        .labelled_volumes(&project.name)?
        .into_iter()
        .filter(|v| !project.volumes.contains(v) && !anonymous.iter().any(|a| &a.volume == v))
        .collect();
    let volumes = Volumes {
        named: project.volumes.clone(),
        anonymous,
        kept,
        vault: project.vault_volumes.clone(),
        bind_mounts: project.bind_mounts.clone(),
    };
    Ok((volumes, up))
}

/// Checks that no reset of this manager is unfinished, wherever and by whomever it was started:
/// a new one would archive what is left of a half-restored /share. Returns whether one is.
fn check_unfinished(
    config: &Config,
    euid: u32,
    resuming: Option<&Utf8Path>,
    problems: &mut Vec<String>,
) -> bool {
    let unfinished = match registry::unfinished(&config.project_directory, &config.backup_dir, euid) {
        Ok(found) => found,
        Err(error) => {
            problems.push(format!("{error:#}"));
            Vec::new()
        }
    };
    let running = lock::holder(&config.project_directory).filter(|&pid| pid != std::process::id());
    // The archive of an unfinished reset is what its resume needs: never advise moving it.
    for found in unfinished.iter().filter(|f| Some(f.journal.as_path()) != resuming) {
        problems.push(found.describe(euid, running));
    }
    problems.extend(registry::check_writable());
    !unfinished.is_empty()
}

fn check_backup_dir(
    config: &Config,
    unfinished: bool,
    archive: &Utf8Path,
    share: Option<ShareSize>,
    free_kib: Option<u64>,
    problems: &mut Vec<String>,
) {
    let dir = &config.backup_dir;
    if let Some(problem) =
        not_a_directory(dir, "the backup directory", "create it or choose another with --backup-dir")
    {
        problems.push(problem);
        return;
    }
    if !unfinished && archive.exists() {
        problems.push(format!(
            "the archive {archive} exists already and is never overwritten: move it away or choose \
             another --backup-dir"
        ));
    }
    if access(dir.as_std_path(), Access::WRITE_OK).is_err() {
        problems
            .push(format!("the backup directory {dir} is not writable: choose another with --backup-dir"));
    }
    if let (Some(share), Some(free)) = (share, free_kib)
        && free <= share.kib
    {
        problems.push(format!(
            "{dir} has {} free but /share holds {}: free some space or choose another --backup-dir",
            mib(free * 1024),
            mib(share.kib * 1024)
        ));
    }
}

/// What keeps the vault step from setting the password again after `down -v`: a password file
/// that will not do, no file and no terminal for osism to ask on, a key file osism cannot use.
fn vault_problems(config: &Config, vault: &Vault, terminal: bool) -> Vec<String> {
    let option = config.sources.name("vault-password-file");
    let mut problems: Vec<String> = config
        .vault_password_file
        .iter()
        .filter_map(|file| vault::check_password_file(file, &option))
        .collect();
    if !vault.needs_setting() {
        return problems;
    }
    if config.vault_password_file.is_none() && !terminal {
        problems.push(format!(
            "osism's Ansible runs need the vault password after the reset, as `down -v` empties Redis, \
             which holds it ({}), and there is no terminal for osism to ask for it on: pass {option} FILE, \
             or add {} for unattended runs",
            vault.detail,
            vault::vault_pass(&config.configuration_directory)
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
fn share_volume_problem(config: &Config, project: &Project) -> Option<String> {
    let option = config.sources.name("share-volume");
    let given = &config.share_volume;
    let mounted = |m: &ShareMount| format!("{} (mounted by {})", m.volume, m.services.join(", "));
    match project.share_mounts.as_slice() {
        [] => Some(format!(
            "no volume of the compose project {:?} is mounted at /share, so it is not an OSISM manager: \
             point --project-directory at the manager's directory",
            project.name
        )),
        [one] if &one.volume == given => None,
        [one] => Some(format!(
            "{option} {given} is not the volume the manager mounts at /share: that is {}; drop the option \
             or name that volume",
            mounted(one)
        )),
        many if many.iter().any(|m| &m.volume == given) => None,
        many => Some(format!(
            "{option} {given} is not a volume the manager mounts at /share: those are {}",
            many.iter().map(mounted).collect::<Vec<_>>().join("; ")
        )),
    }
}

/// What is wrong with `dir` as a directory, if anything.
fn not_a_directory(dir: &Utf8Path, what: &str, fix: &str) -> Option<String> {
    match dir.metadata() {
        Ok(meta) if meta.is_dir() => None,
        Ok(_) => Some(format!("{what} {dir} is not a directory: {fix}")),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            Some(format!("{what} {dir} does not exist: {fix}"))
        }
        Err(error) => Some(format!("{what} {dir} cannot be read ({error}): {fix}")),
    }
}

fn free_bytes(dir: &Utf8Path) -> Result<u64> {
    let stat = statvfs(dir.as_std_path())?;
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Compose's default project name: the directory's name, lowercased, with only `[a-z0-9_-]`.
pub fn default_project_name(dir: &Utf8Path) -> String {
    dir.file_name()
        .unwrap_or_default()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

/// Asks the host what the plan needs to know; returns the planner's inputs and the preflight
/// problems. `resuming` is the journal of the reset being planned again, which is not in the way.
pub fn survey(
    config: &Config,
    today: Date,
    runner: &Runner,
    resuming: Option<&Utf8Path>,
) -> (Inputs, Vec<String>) {
    let euid = euid();
    let archive = plan::archive_path(&config.backup_dir, today);
    let terminal = confirm::at_terminal();
    let findings = inspect(config, euid, &archive, resuming, terminal, &Host::new(runner));
    let facts = Facts {
        date: today,
        euid,
        project: findings.project,
        service: findings.service,
        volumes: findings.volumes,
        vault: findings.vault,
        terminal,
        share: findings.share,
        free_kib: findings.free_kib,
    };
    (Inputs { options: config.into(), facts }, findings.problems)
}

/// The tool's effective user: root plans without sudo, and records are kept per user.
pub fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Refuses (exit 2) with `heading` and the list of `problems`, if there are any.
pub fn refuse_on(problems: &[String], heading: &str) -> Result<(), Failure> {
    if problems.is_empty() {
        return Ok(());
    }
    Err(Failure::new(Code::Refused, anyhow!("{heading}:\n{}", render::problems(problems).trim_end())))
}
