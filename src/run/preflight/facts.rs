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

use crate::host::docker::inspect::Host;
use crate::host::osism::vault;
use crate::host::process::exec::Runner;
use crate::host::system::service;
use crate::host::system::sudo::Sudo;
use crate::plan::config::Config;
use crate::plan::problem::{Kind, Problem};
use crate::plan::{Facts, Inputs, KeptVolume, RestoreSource, Service, ShareSize, Vault, VaultState, Volumes};
use crate::run::preflight::earlier_archives::{self, Offered};
use crate::run::preflight::problems::{
    free_bytes, missing_share, share_volume_problem, sudo_for_unit, sudo_problems, vault_problems,
};
use crate::run::preflight::project::{self, Compose, ProjectVolumes, default_project_name};
use crate::run::preflight::{Preflight, Survey};
use crate::view::outcome::{Code, Failure};
use crate::view::plan_text::render;

/// OSISM's service that runs kolla-ansible (`enable_kolla_ansible`).
const KOLLA_ANSIBLE: &str = "kolla-ansible";

/// The programs a plan runs; `sudo` only when not root.
pub(crate) fn required_programs(euid: u32) -> Vec<&'static str> {
    let mut programs = vec!["docker", "systemctl", "osism"];
    if euid != 0 {
        programs.push("sudo");
    }
    programs
}

impl Preflight<'_> {
    /// Checks that every program is on PATH and that Compose v2 answers.
    pub(crate) fn check_programs(&mut self) -> bool {
        self.programs_on_path() && self.compose_answers()
    }

    /// Checks that every program is on PATH; whether docker is.
    fn programs_on_path(&mut self) -> bool {
        for program in required_programs(self.euid) {
            if which::which(program).is_err() {
                self.problem(
                    Kind::Program,
                    format!("{program} is not on PATH: install it or add its directory to PATH"),
                );
            }
        }
        which::which("docker").is_ok()
    }
}

/// What the host answered, before it is judged.
struct Answers {
    compose: Compose,
    image: Result<Option<String>>,
    share: Option<Result<Option<ShareSize>>>,
    service: Service,
    active: Option<bool>,
    vault: Result<Vault, String>,
    sudo: Option<Result<Vec<(String, Sudo)>>>,
}

impl Preflight<'_> {
    /// Runs every check, and judges what the host answered into the facts the planner reads;
    /// with the archives offered where /share is missing or empty, whose problem needs the
    /// plan's inputs.
    fn facts(&mut self, today: Date) -> (Facts, Option<Offered>) {
        let config = self.config;
        let Answers { compose, image, share, service, active, vault, sudo } = self.ask();
        // Docker and its Compose plugin answer.
        let docker = compose.v2;
        let sudo_asks = self.judge_sudo(sudo);
        // First, as it explains others: a reset halfway has deleted the share volume, say.
        let unfinished = self.check_unfinished();
        let vault = self.vault_found(vault, docker);
        let Compose { project, volumes, images, .. } = compose;
        let forecast = self.judge_unit_start(&service, &images);
        let name = project
            .as_ref()
            .map_or_else(|| default_project_name(&config.options.project_directory), |p| p.name.clone());
        let (volumes, kept) = match volumes {
            Some(found) => self.judged(&name, &service, active, found),
            None => Default::default(),
        };
        if let Some(project) = &project
            && let Some(problem) = share_volume_problem(config, project)
        {
            // No volume at /share at all: not a manager's project. Otherwise the option is wrong.
            let kind = if project.share_mounts.is_empty() { Kind::Project } else { Kind::Share };
            self.problem(kind, problem);
        }
        let Shared { share, share_missing, restore, offered } =
            self.judge_shared(unfinished, docker.then_some(share).flatten());
        let (image_missing, image_id) = match image {
            Ok(id) => (id.is_none(), id),
            Err(error) if docker => {
                self.problem(Kind::Image, format!("{error:#}"));
                (false, None)
            }
            Err(_) => (false, None),
        };
        self.problems(Kind::Vault, vault_problems(config, &vault, self.terminal, self.euid));
        let free_kib = free_bytes(&config.options.backup_dir).ok().map(|bytes| bytes / 1024);
        // An archive found is today's, maybe: the offer to restore it says what to do, not "move it".
        self.check_backup_dir(unfinished || offered.is_some(), share, free_kib);
        let kolla_ansible = project.as_ref().is_some_and(|p| p.services.iter().any(|s| s == KOLLA_ANSIBLE));
        let facts = Facts {
            date: today,
            euid: self.euid,
            project: name,
            service,
            volumes,
            vault,
            terminal: self.terminal,
            share,
            free_kib,
            image_missing,
            image_id,
            sudo_asks,
            kolla_ansible,
            share_missing,
            restore,
            images,
            forecast,
            exposed: earlier_archives::exposed(
                &config.options.backup_dir,
                config.options.restore_from.as_deref(),
            ),
            earlier_reset: crate::run::record::previous::earlier_reset(&config.options.backup_dir, today),
            kept,
        };
        (facts, offered)
    }

    /// What sudo said of the unit's stop and start, where it was asked, judged; whether it asks
    /// for a password that the terminal can give.
    fn judge_sudo(&mut self, sudo: Option<Result<Vec<(String, Sudo)>>>) -> bool {
        match sudo {
            Some(Ok(answers)) => {
                let (problems, asks) = sudo_problems(&answers, self.euid, self.terminal);
                self.problems(Kind::Sudo, problems);
                asks
            }
            Some(Err(error)) => {
                self.problem(
                    Kind::Sudo,
                    format!("{error:#}: cannot ask sudo whether it runs the unit's stop and start"),
                );
                false
            }
            None => false,
        }
    }

    /// What osism said of the vault password, or that it could not be asked (a problem where
    /// Docker answers, as osism runs in a container), with whether `.vault_pass` serves osism's
    /// runs.
    fn vault_found(&mut self, vault: Result<Vault, String>, docker: bool) -> Vault {
        let vault = vault.unwrap_or_else(|cannot| {
            // OSISM's wrapper runs osism in a container: without Docker it cannot, which is said.
            if docker {
                self.problem(
                    Kind::Vault,
                    format!(
                        "{cannot}: the inventory and facts are rebuilt with osism after `down -v`, which would \
                         fail; put OSISM's wrapper back at /usr/local/bin/osism (the manager role of \
                         osism.services writes it), or the osism the plugin dispatcher chains to on PATH"
                    ),
                );
            }
            Vault::new(VaultState::Unknown, cannot)
        });
        Vault {
            vault_pass: vault::vault_pass(&self.config.options.configuration_directory).exists(),
            ..vault
        }
    }

    /// The volumes `down -v` deletes, judged, where Compose could list them, and those of them
    /// `--keep-volume` names.
    fn judged(
        &mut self,
        project: &str,
        service: &Service,
        active: Option<bool>,
        found: Result<ProjectVolumes>,
    ) -> (Option<Volumes>, Vec<KeptVolume>) {
        match found {
            Ok(found) => {
                self.judge_volumes(project, service, active, &found);
                let kept = self.judge_kept(&found.volumes);
                (Some(found.volumes), kept)
            }
            Err(error) => {
                self.problem(Kind::Volumes, format!("{error:#}"));
                (None, Vec::new())
            }
        }
    }

    /// Judges /share as measured (`None` where Docker could not be asked), reads the archive to
    /// restore, and looks for archives where /share is missing or empty; `unfinished` is whether
    /// an unfinished reset's resume is the way on.
    fn judge_shared(&mut self, unfinished: bool, share: Option<Result<Option<ShareSize>>>) -> Shared {
        let config = self.config;
        let (share, share_missing) = self.judge_share(share);
        let restore = self.restore_source(share.is_some(), share_missing);
        // Nothing of /share's own to back up: archives of it, if any are here, are offered instead.
        let empty = share_missing || share.is_some_and(|s| s.files_of_value == Some(0));
        let offered = empty && !unfinished && config.options.restore_from.is_none();
        let offered = if offered {
            earlier_archives::archives(
                &config.options.backup_dir,
                &config.options.project_directory,
                self.euid,
            )
        } else {
            Offered::default()
        };
        if share_missing
            && !unfinished
            && config.options.restore_from.is_none()
            && offered.archives.is_empty()
        {
            self.problem(Kind::Share, missing_share(config));
        }
        let offered = (!offered.archives.is_empty()).then_some(offered);
        Shared { share, share_missing, restore, offered }
    }
}

/// What /share holds, the archive `--restore-from` names, and the archives offered instead of a
/// /share that is missing or holds nothing of its own.
struct Shared {
    share: Option<ShareSize>,
    share_missing: bool,
    restore: Option<RestoreSource>,
    offered: Option<Offered>,
}

impl Preflight<'_> {
    /// Asks the host everything preflight needs, in groups asked at once (the operator waits for
    /// the slowest): Compose's (configuration, containers, volumes; its version where the
    /// configuration failed), the image's, the share volume's size, and systemd's, osism's and
    /// sudo's. The share volume is measured, where the project directory holds a compose file,
    /// while Compose answers: in a running container of the project that mounts it, else in one of
    /// the tool's own once the image is known to be here. Its figures count only once Compose says
    /// its services mount it.
    fn ask(&mut self) -> Answers {
        let (config, euid, host) = (self.config, self.euid, self.host);
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
            let on_path = self.programs_on_path();
            let compose = self.compose(asked, on_path);
            let _ = mounts_share
                .send(compose.project.as_ref().is_some_and(|p| share_volume_problem(config, p).is_none()));
            let Units { service, active, vault, sudo, systemd_down } = joined(units);
            if let Some(said) = systemd_down {
                self.problem(
                    Kind::Unit,
                    format!(
                        "systemd is not running on this host (systemctl: {said}), so the manager's unit can be \
                         neither stopped nor started: run the reset on the manager host itself, not in a container"
                    ),
                );
            }
            let (image, share) = joined(share);
            Answers { compose, image, share, service, active, vault, sudo }
        })
    }
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

/// Asks the host what the plan needs to know: the planner's inputs, the problems, and the
/// notes for the log. `resuming` is the journal of the reset being planned again, which is not
/// in the way.
pub(crate) fn survey(config: &Config, today: Date, runner: &Runner, resuming: Option<&Utf8Path>) -> Survey {
    let host = Host::new(runner);
    let mut preflight = Preflight::new(config, &host, today, resuming);
    let (facts, offered) = preflight.facts(today);
    let inputs = Inputs { options: config.options.clone(), facts };
    if let Some(offered) = &offered {
        preflight.problem(Kind::ArchivesFound, earlier_archives::problem(offered, &inputs, config.yes));
    }
    Survey { inputs, problems: preflight.problems, notes: preflight.notes }
}

/// Refuses (exit 2) with `heading` and the list of `problems`, if there are any.
pub(crate) fn refuse_on(problems: &[Problem], heading: &str) -> Result<(), Failure> {
    if problems.is_empty() {
        return Ok(());
    }
    Err(Failure::new(Code::Refused, anyhow!("{heading}:\n{}", render::problems(problems).trim_end())))
}
