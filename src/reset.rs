//! A real run of a plan: each step between its checks, recorded in the journal.
//!
//! The checks that make /share safe sit around the runbook's commands:
//! - after step 1, no container of the project may still run: a live /share is not backed up;
//! - before step 2, the archive file is created private (0600): tar in the container writes
//!   into it and keeps that mode;
//! - after step 2, the archive is synced to disk and read back whole, every entry is compared with
//!   /share read back read-only (services stopped: both must hold exactly the same entries), and
//!   its checksum goes into `<archive>.sha256` and the journal;
//! - step 3 (`down -v`) and step 5 (restore) run only while the archive still matches that
//!   checksum; after step 3 none of the volumes `down -v` was to delete may be left;
//! - before step 5, Compose must have created the share volume (the unit's start returns before
//!   it has); after step 5 every archived entry must be in /share as archived, except those the
//!   running manager wrote since the restore began, which are listed like the entries it added;
//! - step 6 first waits for every container to be healthy, then runs the runbook's `ps`;
//! - after the vault step, `osism vault check` must pass.
//!
//! Every step is safe to run again, because `--resume` repeats the one the tool died in.

use std::cell::Cell;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail, ensure};
use camino::{Utf8Path, Utf8PathBuf};

use crate::compare::{self, Comparison, Names};
use crate::exec::{FifoRead, Runner};
use crate::health;
use crate::inspect::Host;
use crate::journal::Journal;
use crate::outcome::{Code, Failure};
use crate::plan::{Check, Command, Plan, Step, StepKind, VaultState};
use crate::service::UnitFailed;
use crate::signals::{self, Stop, Stopped};
use crate::transcript::Stream;
use crate::ui::{Event, Ui};
use crate::verify::{Archive, Untrusted};
use crate::{atomic, osism, registry, render, verify};

pub struct Reset<'a> {
    runner: &'a Runner,
    ui: &'a Ui,
    /// Whether this process compared the archive with /share after step 2: a journal's word
    /// that it was done is not enough to run `down -v` on.
    compared: Cell<bool>,
}

impl<'a> Reset<'a> {
    pub fn new(runner: &'a Runner, ui: &'a Ui) -> Reset<'a> {
        Reset { runner, ui, compared: Cell::new(false) }
    }

    /// Runs the journal's plan from its first unfinished step to the end.
    pub fn run(&self, journal: &mut Journal) -> Result<(), Failure> {
        let plan = journal.plan.clone();
        let from = journal.first_unfinished().unwrap_or(plan.steps.len());
        if let Some(first) = plan.steps.get(from) {
            let resumed = journal.steps.iter().any(|s| s.state != crate::journal::State::Pending);
            self.stop_leftovers(&Host::new(self.runner), &plan, resumed)
                .map_err(|error| failure(&plan, first, journal, error))?;
        }
        let mut hangups = signals::hangups();
        for (index, step) in plan.steps.iter().enumerate().skip(from) {
            self.ui.step(step, plan.steps.len());
            if signals::hangups() > hangups {
                hangups = signals::hangups();
                self.runner
                    .note("the terminal hung up (SIGHUP): the reset goes on, its output only in this log");
            }
            self.runner.note(&format!("step {}: {}", step.number, step.title));
            let started = Instant::now();
            let result = self.step(&plan, index, step, journal);
            let result = result.and_then(|()| journal.done(index));
            let status = if result.is_ok() { "done" } else { "failed" };
            let duration_s = started.elapsed().as_secs_f64();
            self.ui.event(&Event::StepFinished { step: step.number, status, duration_s });
            if let Err(error) = result {
                if let Some(&Stopped(stop)) = error.downcast_ref::<Stopped>() {
                    let _ = journal.interrupted(index, stop.name());
                    self.runner.note(&format!("interrupted at step {} by {}", step.number, stop.name()));
                    return Err(interrupted(&plan, step, journal, stop));
                }
                if error.downcast_ref::<Outdated>().is_some() {
                    // The backup does not hold /share: steps 1 and 2 are to be done again.
                    let _ = journal.undo(0..index, true);
                }
                if error.downcast_ref::<UnitFailed>().is_some() {
                    // The manager did not start: the resume starts it again, from step 4.
                    let start = plan.steps.iter().position(|s| s.kind == StepKind::StartService);
                    let _ = journal.undo(start.unwrap_or(index)..index, false);
                }
                let _ = journal.failed(index, &format!("{error:#}"));
                self.runner.note(&format!("step {} failed: {error:#}", step.number));
                return Err(failure(&plan, step, journal, error));
            }
        }
        self.runner.note("reset finished");
        Ok(())
    }

    fn step(&self, plan: &Plan, index: usize, step: &Step, journal: &mut Journal) -> Result<()> {
        let host = Host::new(self.runner);
        let began = SystemTime::now();
        for check in &step.before {
            self.check(&host, plan, step, journal, *check, began, &mut None)?;
        }
        // Begun once its checks let it: a step whose checks stopped it changed nothing, which is
        // what lets a resume take corrected options until `down -v` has begun.
        journal.started(index)?;
        // The read-back an after-check needs starts with the commands, so that its container is
        // up when they end; tar in it reads /share only once the check reads the pipe.
        let mut share_read = if step.after.iter().any(|c| reads_share(*c)) {
            Some(host.start_share_read(&plan.share_volume, &plan.image, &plan.backup_dir)?)
        } else {
            None
        };
        let began = SystemTime::now();
        for command in &step.commands {
            signals::check()?;
            self.ui.command(step, command);
            let result = self.command(step, command);
            if signals::forced() && is_container_run(command) {
                // The CLI is gone, its container is not: a `docker run` keeps running without it.
                self.stop_containers(&host, plan)?;
            }
            signals::check()?;
            result?;
        }
        for check in &step.after {
            self.check(&host, plan, step, journal, *check, began, &mut share_read)?;
        }
        Ok(())
    }

    /// Runs one of the plan's checks; `began` is when the step's commands began, `share_read`
    /// the read-back of /share started with them, for the checks that compare it.
    #[expect(clippy::too_many_arguments, reason = "a check sees the whole step it guards")]
    fn check(
        &self,
        host: &Host,
        plan: &Plan,
        step: &Step,
        journal: &mut Journal,
        check: Check,
        began: SystemTime,
        share_read: &mut Option<FifoRead>,
    ) -> Result<()> {
        let mut share = || share_read.take().context("the read-back of /share was not started with the step");
        match check {
            Check::ProjectStopped => {
                let up = health::up(&host.containers(&plan.project_directory)?);
                if up.is_empty() {
                    return Ok(());
                }
                let stopped = plan.service.unit.clone();
                // The unit that runs the manager instead, if it is the other of OSISM's two.
                let running = [crate::service::RUNBOOK_UNIT, crate::service::CURRENT_UNIT]
                    .into_iter()
                    .find(|u| *u != stopped && host.unit_is("is-active", u).unwrap_or(false))
                    .map(String::from);
                Err(WrongUnit { stopped, up, running }.into())
            }
            Check::ArchivePrivate => {
                if let Some(kept) = keep_aside(&plan.backup_file)? {
                    let line = format!("an archive is never overwritten: the one there is kept as {kept}");
                    self.runner.note(&line);
                    self.ui.say(&format!("    {line}"));
                }
                atomic::private_placeholder(&plan.backup_file)
            }
            Check::ArchiveMatchesShare => {
                let archive = self.compare_with_share(share()?, plan, "after the backup")?;
                let checksum = verify::write_checksum(&plan.backup_file, &archive.sha256)?;
                self.ui.say(&format!(
                    "    verified all {} entries against /share, one by one; sha256 in {checksum}",
                    archive.entries
                ));
                journal.archive = Some(archive);
                self.compared.set(true);
                journal.save()
            }
            Check::ArchiveUnchanged => verified(plan, journal),
            Check::ShareStillMatchesArchive if self.compared.get() => Ok(()),
            // `down -v` ran before this resume: the archive is all there is of /share.
            Check::ShareStillMatchesArchive if !host.volume_exists(&plan.share_volume)? => {
                self.runner.note("the share volume is gone, `down -v` ran before: nothing to compare");
                Ok(())
            }
            Check::ShareStillMatchesArchive => {
                let read = host.start_share_read(&plan.share_volume, &plan.image, &plan.backup_dir)?;
                self.compare_with_share(read, plan, "again, as this run did not make it")
                    .context(Outdated)?;
                self.compared.set(true);
                self.ui.say("    /share still holds exactly what the archive holds");
                Ok(())
            }
            Check::VolumesGone => {
                // `down -v` exits 0 even when a volume it could not remove is still there.
                let planned =
                    plan.volumes.as_ref().context("the plan does not list the volumes to delete")?;
                let left = host.existing_volumes(planned.deleted())?;
                ensure!(
                    left.is_empty(),
                    "`down -v` left the volumes {}: stop what still uses them (docker ps --all --filter \
                     volume=NAME), then resume",
                    left.join(", ")
                );
                Ok(())
            }
            Check::ShareVolumeCreated { timeout_s } => {
                self.wait_for_share_volume(host, plan, Duration::from_secs(timeout_s))
            }
            Check::ShareMatchesArchive => {
                journal.restored = Some(self.check_restore(share()?, plan, began)?);
                journal.save()
            }
            Check::Healthy { timeout_s } => {
                let timeout = Duration::from_secs(timeout_s);
                health::wait(
                    host,
                    &plan.service.unit,
                    &plan.project_directory,
                    timeout,
                    self.ui,
                    step.number,
                )?;
                journal.healthy_at = Some(crate::transcript::now());
                journal.save()
            }
            Check::VaultPasses => {
                let vault =
                    host.vault().map_err(|cannot| anyhow!("after `osism set vault password`, {cannot}"))?;
                ensure!(
                    vault.state == VaultState::Set,
                    "after `osism set vault password`, {}: check the password{}, then resume",
                    vault.detail,
                    plan.vault_password_file().map(|f| format!(" in {f}")).unwrap_or_default()
                );
                self.ui.say(&format!("    {}", vault.detail));
                Ok(())
            }
        }
    }

    /// Reads the archive back whole and compares it with /share, read back by `share_read`: with
    /// the manager stopped, nothing may differ either way. Returns what the archive holds.
    fn compare_with_share(&self, share_read: FifoRead, plan: &Plan, when: &str) -> Result<Archive> {
        let reading = Instant::now();
        let (archive, comparison) = share_read.finish(|share| verify::read_back(&plan.backup_file, share))?;
        self.runner.note(&format!(
            "compared the archive with /share {when} in {:.3}s (read back, entry by entry): {} entries, \
             sha256 {}",
            reading.elapsed().as_secs_f64(),
            archive.entries,
            archive.sha256
        ));
        let mut wrong = Vec::new();
        mismatch(&mut wrong, &comparison.extra, "entries of /share are not in the archive");
        mismatch(&mut wrong, &comparison.missing, "archived entries are not in /share");
        mismatch(&mut wrong, &comparison.differing, "archived entries differ from /share");
        if !wrong.is_empty() {
            bail!("the archive {} does not match /share: {}", plan.backup_file, wrong.join("; "));
        }
        Ok(archive)
    }

    /// Stops what a run that was killed left running: a read-back of /share waiting on its pipe
    /// (it holds the share volume, which `down -v` could not delete then) and, when resuming, a
    /// tar container of the plan's whose CLI died with the tool (it would write the archive
    /// beside the repeated step's).
    fn stop_leftovers(&self, host: &Host, plan: &Plan, resumed: bool) -> Result<()> {
        let mut left = host.read_backs(&plan.share_volume)?;
        if resumed {
            left.extend(host.tar_containers(&plan.image)?);
        }
        left.sort();
        left.dedup();
        if left.is_empty() {
            return Ok(());
        }
        let line = format!("stopping the container(s) {} that a killed run left behind", left.join(", "));
        self.runner.note(&line);
        self.ui.say(&format!("    {line}"));
        host.remove_containers(&left)?;
        let _ = std::fs::remove_file(crate::inspect::read_back_fifo(&plan.backup_dir));
        Ok(())
    }

    /// Stops the containers of the plan's tar commands (mounting the backup directory at
    /// /backup, made from the plan's image) and waits until they are gone.
    fn stop_containers(&self, host: &Host, plan: &Plan) -> Result<()> {
        let started = Instant::now();
        loop {
            let running = host.tar_containers(&plan.image)?;
            if running.is_empty() {
                return Ok(());
            }
            let line = format!("stopping the container(s) {} the command left running", running.join(", "));
            self.runner.note(&line);
            self.ui.say(&format!("    {line}"));
            host.kill_containers(&running)?;
            ensure!(
                started.elapsed() < CONTAINERS_GONE_WITHIN,
                "the container(s) {} still run: stop them (docker kill) before resuming",
                running.join(", ")
            );
            thread::sleep(Duration::from_millis(200));
        }
    }

    /// Every archived entry must be in /share as archived; what the running manager wrote since
    /// the restore began, and what it added, is its own.
    /// Returns how many archived entries /share holds as archived.
    fn check_restore(&self, share_read: FifoRead, plan: &Plan, began: SystemTime) -> Result<u64> {
        let checking = Instant::now();
        // Tar headers hold whole seconds: a write in the second the restore began counts.
        let since = began.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()).saturating_sub(1);
        let comparison = share_read
            .finish(|share| compare::compare(verify::entries(&plan.backup_file)?, share, Some(since)))?;
        let Comparison { archived, missing, differing, changed_since, extra, identical } = comparison;
        let mut wrong = Vec::new();
        mismatch(&mut wrong, &missing, "archived entries are missing");
        mismatch(&mut wrong, &differing, "archived entries differ");
        if !wrong.is_empty() {
            bail!(
                "/share does not hold the archive {} after the restore: {}",
                plan.backup_file,
                wrong.join("; ")
            );
        }
        self.runner.note(&format!(
            "checked /share after the restore in {:.3}s (compared with the archive entry by entry)",
            checking.elapsed().as_secs_f64()
        ));
        self.ui.say(&format!("    /share holds all {archived} archived entries as archived"));
        debug_assert_eq!(identical + changed_since.count as u64, archived);
        for (names, what) in
            [(&changed_since, "changed since the restore began"), (&extra, "added, not from the archive")]
        {
            if !names.is_empty() {
                let line = format!("the running manager's own: {} entries {what} ({names})", names.count);
                self.runner.note(&line);
                self.ui.say(&format!("    {line}"));
            }
        }
        Ok(identical)
    }

    /// Waits until Compose has created the share volume for this project. The unit's start
    /// returns before `docker compose up` has (Type=simple), and the restore's `docker run`
    /// would otherwise create the volume itself, without the labels that make it the project's.
    fn wait_for_share_volume(&self, host: &Host, plan: &Plan, timeout: Duration) -> Result<()> {
        let started = Instant::now();
        let mut progress = self.ui.progress();
        let volume = &plan.share_volume;
        let unit = &plan.service.unit;
        loop {
            let created = host.volume_project(volume).and_then(|project| match project {
                Some(project) if project == plan.project => Ok(true),
                Some(other) => {
                    let stop = plan.step(StepKind::StopService).map_or("", |s| s.commands[0].display.as_str());
                    bail!(
                        "the share volume {volume} exists but Compose did not create it for the project {:?} \
                         (its label: {other:?}), so the restore would go where the manager does not look: stop \
                         the manager (`{stop}`), make sure {volume} holds nothing of value and remove it (`docker \
                         volume rm {volume}`); the resume starts the manager again",
                        plan.project
                    )
                }
                None => {
                    crate::service::check_not_failed(host, unit, &plan.project_directory)?;
                    ensure!(
                        started.elapsed() < timeout,
                        "Compose did not create the share volume {volume} within {}s of starting {unit} \
                         (--health-timeout), though the unit has not failed: see `journalctl --unit {unit}`",
                        timeout.as_secs()
                    );
                    Ok(false)
                }
            });
            match created {
                Ok(true) => {
                    progress.finish(&format!("Compose created the share volume {volume}"));
                    return Ok(());
                }
                Ok(false) => progress.update(|| format!("waiting for Compose to create {volume}")),
                Err(error) => {
                    progress.finish("stopped waiting");
                    return Err(error);
                }
            }
            signals::check()?;
            thread::sleep(SHARE_VOLUME_POLL);
        }
    }

    /// Runs one command; tar's one line per file is counted, not printed, and an osism command's
    /// last lines are kept to tell why it failed.
    fn command(&self, step: &Step, command: &Command) -> Result<()> {
        let started = Instant::now();
        let counts_files = matches!(step.kind, StepKind::BackupShare | StepKind::RestoreShare);
        let mut last = std::collections::VecDeque::new();
        let status = if counts_files {
            let mut progress = self.ui.progress();
            let mut files = 0u64;
            let status = self.runner.run(command, |stream, line| match stream {
                Stream::Stdout => {
                    files += 1;
                    progress.update(|| format!("{files} entries"));
                }
                Stream::Stderr => progress.println(stream, line),
            })?;
            progress.finish(&format!("tar listed {files} entries"));
            status
        } else {
            self.runner.run(command, |stream, line| {
                if last.len() == osism::LINES_KEPT {
                    last.pop_front();
                }
                last.push_back(line.to_owned());
                self.ui.output(stream, line)
            })?
        };
        self.ui.event(&Event::CommandFinished {
            step: step.number,
            command: &command.display,
            exit_code: status.code(),
            duration_s: started.elapsed().as_secs_f64(),
        });
        if !status.success() && step.kind == StepKind::RebuildInventory {
            let cause = osism::cause(&Vec::from(last));
            return Err(osism::Failed {
                command: command.display.clone(),
                status: status.to_string(),
                cause,
            }
            .into());
        }
        ensure!(status.success(), "`{}` {status}", command.display);
        Ok(())
    }
}

/// Runs the journal's plan, then closes the reset: the record goes, a summary is shown and
/// logged, and `done` ends the JSON events.
pub fn execute(runner: &Runner, ui: &Ui, journal: &mut Journal) -> Result<(), Failure> {
    Reset::new(runner, ui).run(journal)?;
    registry::forget(&journal.plan.project_directory, journal.path());
    let figures = journal.figures();
    let summary = render::figures(&figures);
    runner.note(&summary);
    ui.say(&format!("\n{summary}"));
    let log = journal.plan.log_path();
    let (archive, journal) = (journal.plan.backup_file.as_str(), journal.path().as_str());
    ui.say(&format!("The manager was reset. Archive {archive}, journal {journal}, log {log}"));
    ui.event(&Event::Done {
        backup_file: archive,
        journal,
        log: log.as_str(),
        downtime_s: figures.downtime_s,
        entries_verified: figures.verified,
        entries_restored: figures.restored,
    });
    Ok(())
}

/// How often step 4's check asks whether Compose has created the share volume: `docker volume inspect`
/// answers in about 10 ms, and Compose creates the volume within a second of its start.
const SHARE_VOLUME_POLL: Duration = Duration::from_millis(100);

/// How long the containers of an interrupted command may take to go.
const CONTAINERS_GONE_WITHIN: Duration = Duration::from_secs(30);

/// Whether `check` compares /share, read back through a container.
fn reads_share(check: Check) -> bool {
    matches!(check, Check::ArchiveMatchesShare | Check::ShareMatchesArchive)
}

/// Whether `command` runs a container that outlives its CLI.
fn is_container_run(command: &Command) -> bool {
    command.argv.iter().take(2).eq(["docker", "run"].iter())
}

/// Adds "N `what` (the first names)" to `wrong` if there are any.
fn mismatch(wrong: &mut Vec<String>, names: &Names, what: &str) {
    if !names.is_empty() {
        wrong.push(format!("{} {what} ({names})", names.count));
    }
}

/// The archive was verified after step 2 and still matches its checksum.
fn verified(plan: &Plan, journal: &Journal) -> Result<()> {
    let archive = journal
        .archive
        .as_ref()
        .ok_or_else(|| anyhow!("the archive {} was never verified: refusing to go on", plan.backup_file))?;
    verify::check(&plan.backup_file, &archive.sha256)
}

fn interrupted(plan: &Plan, step: &Step, journal: &Journal, stop: Stop) -> Failure {
    let archive = match &journal.archive {
        Some(archive) => format!(
            "the verified archive of /share is {} (sha256 {} in {})",
            plan.backup_file,
            archive.sha256,
            verify::checksum_path(&plan.backup_file)
        ),
        None => format!("/share is untouched ({} is not verified)", plan.backup_file),
    };
    Failure::new(
        Code::from(stop),
        anyhow!(
            "interrupted at step {} ({}) by {}; {archive}; resume with `{}`",
            step.number,
            step.title,
            stop.name(),
            plan.resume_command()
        ),
    )
}

/// Renames an archive that is there already (from an earlier attempt of this step, or of a reset
/// planned again) to the first free `.previous-N`, with a checksum file that `sha256sum -c` still
/// accepts; returns the new name.
fn keep_aside(archive: &Utf8Path) -> Result<Option<Utf8PathBuf>> {
    if !archive.exists() || archive.metadata().is_ok_and(|m| m.len() == 0) {
        return Ok(None);
    }
    let free = (1..).map(|n| Utf8PathBuf::from(format!("{archive}.previous-{n}"))).find(|p| !p.exists());
    let kept = free.context("no free name to keep the archive under")?;
    std::fs::rename(archive, &kept).with_context(|| format!("cannot keep {archive} as {kept}"))?;
    let checksum = verify::checksum_path(archive);
    if let Ok(line) = std::fs::read_to_string(&checksum) {
        let sha256 = line.split_whitespace().next().unwrap_or_default();
        verify::write_checksum(&kept, sha256)?;
        std::fs::remove_file(&checksum).with_context(|| format!("cannot remove {checksum}"))?;
    }
    Ok(Some(kept))
}

/// Step 1 stopped a unit, yet the project's containers run on: that unit does not run this
/// manager (an old docker-compose@manager.service active beside manager.service, say).
#[derive(Debug, Clone)]
pub struct WrongUnit {
    pub stopped: String,
    /// The services still running.
    pub up: Vec<String>,
    /// The other of OSISM's units, when it is active: the one to name.
    pub running: Option<String>,
}

impl std::fmt::Display for WrongUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the project's containers still run after stopping {} ({}): that unit does not run this manager",
            self.stopped,
            self.up.join(", ")
        )?;
        match &self.running {
            Some(unit) => write!(f, "; {unit} is active and does"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for WrongUnit {}

/// The archive, though unchanged, does not hold what /share holds: the backup is to be made
/// again before anything is deleted.
#[derive(Debug, Clone, Copy)]
pub struct Outdated;

impl std::fmt::Display for Outdated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("/share is not what the archive holds")
    }
}

fn failure(plan: &Plan, step: &Step, journal: &Journal, error: anyhow::Error) -> Failure {
    let archive = &plan.backup_file;
    let checksum = verify::checksum_path(archive);
    let resume = format!("resume with `{}`", plan.resume_command());
    let command = plan.resume_command();
    // Until `down -v` begins, a resume may take corrected options and plan again.
    let correctable = !journal.destruction_began();
    let (what, next) = match (&journal.archive, step.kind) {
        _ if let Some(wrong) = error.downcast_ref::<WrongUnit>() => (
            "/share is untouched".to_owned(),
            match &wrong.running {
                Some(unit) => {
                    format!("resume with `{command} --service {unit}`, which plans the reset again with it")
                }
                None => format!(
                    "name the unit that runs the manager (see `systemctl list-units`) and resume with \
                     `{command} --service UNIT`, which plans the reset again with it"
                ),
            },
        ),
        (verified, _) if error.downcast_ref::<UnitFailed>().is_some() => (
            match (journal.restored, verified) {
                (Some(_), _) => format!("/share is restored; its archive is {archive}"),
                (None, Some(verified)) => format!(
                    "the verified archive of /share is {archive} (sha256 {} in {checksum}), safe",
                    verified.sha256
                ),
                (None, None) => format!("/share is untouched ({archive} is not verified)"),
            },
            format!(
                "once the cause is fixed, resume with `{}`: it starts the manager again",
                plan.resume_command()
            ),
        ),
        _ if error.downcast_ref::<Outdated>().is_some() => (
            "/share is untouched (`down -v` did not run); the reset goes back to step 1 to stop the manager \
             and back /share up anew"
                .to_owned(),
            resume,
        ),
        (_, StepKind::RemoveProject) if error.downcast_ref::<Untrusted>().is_some() => (
            format!(
                "/share is untouched (`down -v` did not run), but the archive {archive} is not what was verified"
            ),
            format!(
                "do not resume; move {archive}, {checksum} and the journal {} away, then start a new reset",
                journal.path()
            ),
        ),
        (_, _) if error.downcast_ref::<Untrusted>().is_some() => (
            format!(
                "the only copy of /share, the archive {archive}, is damaged: it no longer matches {checksum}, \
                 and `down -v` has deleted the share volume"
            ),
            format!(
                "still intact: the checksum in {checksum} and the list of archived paths in the log {}; \
                 resuming repeats this failure: put a copy of the archive that passes `{}` \
                 in its place first, then {resume}",
                plan.log_path(),
                verify::check_command(archive)
            ),
        ),
        // /share is back and the manager healthy by then; osism said why it failed.
        (_, StepKind::RebuildInventory) => (
            format!(
                "/share is restored and the manager is healthy, only the inventory and facts are left; the \
                 archive is {archive}, its checksum {checksum}"
            ),
            format!("{resume}: it runs both commands of step 7 again"),
        ),
        (Some(verified), _) => (
            format!("the verified archive of /share is {archive} (sha256 {} in {checksum})", verified.sha256),
            resume,
        ),
        (None, _) => (format!("/share is untouched ({archive} is not verified)"), resume),
    };
    let hint = if correctable && error.downcast_ref::<WrongUnit>().is_none() {
        "; until step 3 begins, --resume also takes corrected options (such as --service or --image) and \
         plans the reset again from step 1"
    } else {
        ""
    };
    let cause =
        error.downcast_ref::<osism::Failed>().map(|f| (f.cause.kind(), f.cause.follow().map(String::from)));
    let failure = Failure::new(
        Code::StepFailed,
        anyhow!("step {} ({}) failed: {error:#}; {what}; {next}{hint}", step.number, step.title),
    );
    match cause {
        Some((kind, follow)) => failure.with_cause(kind, follow),
        None => failure,
    }
}
