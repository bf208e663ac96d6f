//! Checks before anything changes, and the facts they learn on the way (the compose project's
//! name, the service unit, the volumes `down -v` deletes and keeps, whether a vault password is
//! set, the size of /share).
//!
//! Every check runs, so the operator sees every problem at once; any problem refuses the run
//! with exit 2. The dry run shows the same problems without refusing.

use std::sync::mpsc;
use std::{panic, thread};

use anyhow::{Result, anyhow};
use camino::Utf8Path;
use time::Date;

use crate::host::exec::Runner;
use crate::host::inspect::Host;
use crate::host::service;
use crate::host::sudo::Sudo;
use crate::host::vault;
use crate::plan::config::Config;
use crate::plan::{
    self, Facts, Forecast, Inputs, KeptVolume, RestoreSource, Service, ServiceImage, ShareSize, Vault,
    VaultState, Volumes,
};
use crate::run::found;
use crate::run::problems::{
    check_backup_dir, check_unfinished, free_bytes, judge_kept, judge_share, judge_volumes, missing_share,
    share_volume_problem, sudo_for_unit, sudo_problems, vault_problems,
};
use crate::run::project::{self, Compose, Found, default_project_name};
use crate::view::confirm;
use crate::view::outcome::{Code, Failure};
use crate::view::render;

/// OSISM's service that runs kolla-ansible (`enable_kolla_ansible`).
const KOLLA_ANSIBLE: &str = "kolla-ansible";

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
    /// The image is not on this host (the run pulls it before step 1); its ID where it is.
    pub image_missing: bool,
    pub image_id: Option<String>,
    /// sudo needs a password for the unit's commands, and a terminal is there to type it on.
    pub sudo_asks: bool,
    /// The project runs OSISM's kolla-ansible service.
    pub kolla_ansible: bool,
    /// The share volume does not exist.
    pub share_missing: bool,
    /// The archive `--restore-from` names, read whole.
    pub restore: Option<RestoreSource>,
    /// Archives of /share offered where it is missing or empty, and how many more there are:
    /// the problem that names them needs the plan's inputs.
    pub found: Option<(Vec<found::Found>, usize)>,
    /// The project's services and their images.
    pub images: Vec<ServiceImage>,
    /// What the unit's pull will change, where it pulls.
    pub forecast: Option<Forecast>,
    /// The volumes `--keep-volume` names, as Compose declares and labels them.
    pub kept: Vec<KeptVolume>,
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
    programs_on_path(euid, problems) && project::compose_answers(host, problems)
}

/// Checks that every program is on PATH; whether docker is.
fn programs_on_path(euid: u32, problems: &mut Vec<String>) -> bool {
    for program in required_programs(euid) {
        if which::which(program).is_err() {
            problems.push(format!("{program} is not on PATH: install it or add its directory to PATH"));
        }
    }
    which::which("docker").is_ok()
}

/// What the host answered, before it is judged.
struct Answers {
    /// Docker and its Compose plugin answer.
    docker: bool,
    compose: Compose,
    image: Result<Option<String>>,
    share: Option<Result<Option<ShareSize>>>,
    service: Service,
    active: Option<bool>,
    vault: Result<Vault, String>,
    sudo: Option<Result<Vec<(String, Sudo)>>>,
}

/// Runs every check; `terminal` tells whether osism's prompt could ask for the vault password.
pub fn inspect(
    config: &Config,
    euid: u32,
    archive: &Utf8Path,
    resuming: Option<&Utf8Path>,
    terminal: bool,
    host: &Host,
) -> Findings {
    let mut problems = Vec::new();
    let Answers { docker, compose, image, share, service, active, vault, sudo } =
        ask(config, euid, host, &mut problems);
    let sudo_asks = match sudo {
        Some(Ok(answers)) => sudo_problems(&answers, euid, terminal, &mut problems),
        Some(Err(error)) => {
            problems.push(format!("{error:#}: cannot ask sudo whether it runs the unit's stop and start"));
            false
        }
        None => false,
    };
    // First, as it explains others: a reset halfway has deleted the share volume, say.
    let unfinished = check_unfinished(config, euid, resuming, &mut problems);
    let vault = vault_found(config, vault, docker, &mut problems);
    let Compose { project, volumes, images } = compose;
    let forecast = crate::run::unit_start::judge(config, (&service, &images), host, &mut problems);
    let dir = &config.options.project_directory;
    let name = project.as_ref().map_or_else(|| default_project_name(dir), |p| p.name.clone());
    let (volumes, kept) = volumes.map_or_else(Default::default, |found| {
        judged(config, (&name, host), (&service, active), found, &mut problems)
    });
    if let Some(project) = &project {
        problems.extend(share_volume_problem(config, project));
    }
    let Shared { share, share_missing, restore, found } = judge_shared(
        config,
        (euid, host),
        (archive, unfinished),
        docker.then_some(share).flatten(),
        &mut problems,
    );
    let (image_missing, image_id) = match image {
        Ok(id) => (id.is_none(), id),
        Err(error) if docker => {
            problems.push(format!("{error:#}"));
            (false, None)
        }
        Err(_) => (false, None),
    };
    problems.extend(vault_problems(config, &vault, terminal));
    let free_kib = free_bytes(&config.options.backup_dir).ok().map(|bytes| bytes / 1024);
    // An archive found is today's, maybe: the offer to restore it says what to do, not "move it".
    check_backup_dir(config, unfinished || found.is_some(), archive, share, free_kib, &mut problems);
    let kolla_ansible = project.as_ref().is_some_and(|p| p.services.iter().any(|s| s == KOLLA_ANSIBLE));
    Findings {
        project: name,
        service,
        volumes,
        vault,
        share,
        free_kib,
        image_missing,
        image_id,
        sudo_asks,
        kolla_ansible,
        share_missing,
        restore,
        found,
        images,
        forecast,
        kept,
        problems,
    }
}

/// What osism said of the vault password, or that it could not be asked (a problem where Docker
/// answers, as osism runs in a container), with whether `.vault_pass` serves osism's runs.
fn vault_found(
    config: &Config,
    vault: Result<Vault, String>,
    docker: bool,
    problems: &mut Vec<String>,
) -> Vault {
    let vault = vault.unwrap_or_else(|cannot| {
        // OSISM's wrapper runs osism in a container: without Docker it cannot, which is said.
        if docker {
            problems.push(format!(
                "{cannot}: the inventory and facts are rebuilt with osism after `down -v`, which would fail; put \
                 OSISM's wrapper back at /usr/local/bin/osism (the manager role of osism.services writes it), \
                 or the osism the plugin dispatcher chains to on PATH"
            ));
        }
        Vault::new(VaultState::Unknown, cannot)
    });
    Vault { vault_pass: vault::vault_pass(&config.options.configuration_directory).exists(), ..vault }
}

/// The volumes `down -v` deletes, judged, where Compose could list them, and those of them
/// `--keep-volume` names.
fn judged(
    config: &Config,
    (project, host): (&str, &Host),
    unit: (&Service, Option<bool>),
    found: Result<Found>,
    problems: &mut Vec<String>,
) -> (Option<Volumes>, Vec<KeptVolume>) {
    match found {
        Ok(Found { volumes, up, users }) => {
            judge_volumes(config, project, unit, (&volumes, &up, users), problems);
            let kept = judge_kept(config, &volumes, host, problems);
            (Some(volumes), kept)
        }
        Err(error) => {
            problems.push(format!("{error:#}"));
            (None, Vec::new())
        }
    }
}

/// What /share holds, the archive `--restore-from` names, and the archives offered instead of a
/// /share that is missing or holds nothing of its own.
struct Shared {
    share: Option<ShareSize>,
    share_missing: bool,
    restore: Option<RestoreSource>,
    found: Option<(Vec<found::Found>, usize)>,
}

/// Judges /share as measured (`None` where Docker could not be asked), reads the archive to
/// restore, and looks for archives where /share is missing or empty; `archive` is today's, and
/// `unfinished` an unfinished reset's resume, which is the way on where there is one.
fn judge_shared(
    config: &Config,
    (euid, host): (u32, &Host),
    (archive, unfinished): (&Utf8Path, bool),
    share: Option<Result<Option<ShareSize>>>,
    problems: &mut Vec<String>,
) -> Shared {
    let (share, share_missing) = judge_share(share, problems);
    let measured = (share.is_some(), share_missing);
    let restore = crate::run::rescue::inspect(config, (euid, host), archive, measured, problems);
    // Nothing of /share's own to back up: archives of it, if any are here, are offered instead.
    let empty = share_missing || share.is_some_and(|s| s.files_of_value == Some(0));
    let offered = empty && !unfinished && config.options.restore_from.is_none();
    let (found, more) = if offered {
        found::archives(&config.options.backup_dir, &config.options.project_directory, euid)
    } else {
        (Vec::new(), 0)
    };
    if share_missing && !unfinished && config.options.restore_from.is_none() && found.is_empty() {
        problems.push(missing_share(config));
    }
    Shared { share, share_missing, restore, found: (!found.is_empty()).then_some((found, more)) }
}

/// Asks the host everything preflight needs, in groups asked at once (the operator waits for
/// the slowest): Compose's (configuration, containers, volumes; its version where the
/// configuration failed), the image's, the share volume's size, and systemd's, osism's and
/// sudo's. The share volume is measured, where the project directory holds a compose file,
/// while Compose answers: in a running container of the project that mounts it, else in one of
/// the tool's own once the image is known to be here. Its figures count only once Compose says
/// its services mount it.
fn ask(config: &Config, euid: u32, host: &Host, problems: &mut Vec<String>) -> Answers {
    let (mounts_share, mounted) = mpsc::channel::<bool>();
    thread::scope(|scope| {
        let asked = project::start(scope, &config.options.project_directory, host);
        let project = asked.has_project();
        let share = scope.spawn(move || {
            if which::which("docker").is_err() {
                return (Err(anyhow::anyhow!("docker is not installed")), None);
            }
            let image = scope.spawn(|| host.image_id(&config.options.image));
            let (volume, dir) = (&config.options.share_volume, &config.options.project_directory);
            let in_use = project.then(|| host.measure_share_in_use(volume, dir)).flatten();
            let image = joined(image);
            let measured = match in_use {
                Some(size) => Some(Ok(Some(size))),
                None => (project && image.as_ref().is_ok_and(Option::is_some))
                    .then(|| host.measure_share(volume, &config.options.image)),
            };
            (image, measured.filter(|_| mounted.recv().unwrap_or(false)))
        });
        let units = scope.spawn(|| ask_units(config, euid, host));
        let on_path = programs_on_path(euid, problems);
        let (compose, docker) = project::findings(asked, config, on_path, host, problems);
        let _ = mounts_share
            .send(compose.project.as_ref().is_some_and(|p| share_volume_problem(config, p).is_none()));
        let Units { service, active, vault, sudo, systemd_down } = joined(units);
        if let Some(said) = systemd_down {
            problems.push(format!(
                "systemd is not running on this host (systemctl: {said}), so the manager's unit can be neither \
                 stopped nor started: run the reset on the manager host itself, not in a container"
            ));
        }
        let (image, share) = joined(share);
        Answers { docker, compose, image, share, service, active, vault, sudo }
    })
}

/// systemd's, osism's and sudo's answers.
struct Units {
    service: Service,
    active: Option<bool>,
    vault: Result<Vault, String>,
    sudo: Option<Result<Vec<(String, Sudo)>>>,
    /// What systemctl said where systemd does not run.
    systemd_down: Option<String>,
}

/// Asks systemd which unit runs the manager and whether it is active, osism about the vault
/// password, and sudo whether it runs the unit's commands.
fn ask_units(config: &Config, euid: u32, host: &Host) -> Units {
    let systemctl = which::which("systemctl").is_ok();
    let ((service, active), systemd_down) =
        match service::resolve(config.options.service.as_deref(), host, systemctl) {
            Ok(service) => (service, None),
            Err(down) => {
                let unit = config.options.service.clone().unwrap_or_else(|| service::RUNBOOK_UNIT.into());
                ((Service::new(unit, "systemd is not running here"), None), Some(down.0))
            }
        };
    let service = match systemd_down {
        None if systemctl => Service { start: service::unit_start(host, &service.unit), ..service },
        _ => service,
    };
    let vault = if which::which("osism").is_ok() {
        host.vault()
    } else {
        Ok(Vault::new(VaultState::Unknown, "osism is not on PATH".into()))
    };
    let sudo = (euid != 0 && which::which("sudo").is_ok()).then(|| sudo_for_unit(host, &service.unit));
    Units { service, active, vault, sudo, systemd_down }
}

/// What a thread of preflight's found; its panic, if it had one, goes on in the caller.
fn joined<T>(handle: thread::ScopedJoinHandle<'_, T>) -> T {
    handle.join().unwrap_or_else(|payload| panic::resume_unwind(payload))
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
    let archive = plan::archive_path(&config.options.backup_dir, today);
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
        image_missing: findings.image_missing,
        image_id: findings.image_id,
        sudo_asks: findings.sudo_asks,
        kolla_ansible: findings.kolla_ansible,
        share_missing: findings.share_missing,
        restore: findings.restore,
        images: findings.images,
        forecast: findings.forecast,
        exposed: found::exposed(&config.options.backup_dir, config.options.restore_from.as_deref()),
        earlier_reset: crate::run::aside::earlier_reset(&config.options.backup_dir, today),
        kept: findings.kept,
    };
    let inputs = Inputs { options: config.options.clone(), facts };
    let mut problems = findings.problems;
    if let Some((found, more)) = &findings.found {
        problems.push(found::problem(found, *more, &inputs, config.yes));
    }
    (inputs, problems)
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
