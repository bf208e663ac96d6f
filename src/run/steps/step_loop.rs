//! A real run of a plan: the step loop. Each step runs between the checks the plan lists for it
//! (`checks`, one function per safeguard), its state recorded in the journal before and after.
//! Before the first step, what a killed run left running is stopped; after a second Ctrl-C, the
//! container a `docker run` left behind its CLI. A failure that undoes earlier steps' work (a
//! backup that no longer holds /share, a manager that did not start) marks them to do again, so
//! the resume the message gives repeats them. `execute` closes a finished reset.
//!
//! Every step is safe to run again, because `--resume` repeats the one the tool died in.

use std::cell::Cell;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, ensure};

use crate::archive::live_check;
use crate::host::docker::control::Control;
use crate::host::docker::inspect::Host;
use crate::host::osism::task_output;
use crate::host::process::exec::Runner;
use crate::host::process::signals;
use crate::host::process::transcript::Stream;
use crate::plan;
use crate::plan::{Check, Command, Plan, Step, StepKind};
use crate::run::record::journal::Journal;
use crate::run::record::registry;
use crate::run::steps::failure::{failure, interrupted, rolled_back, unrecorded};
use crate::run::steps::rollback;
use crate::run::steps::stop::{StepError, Why};
use crate::run::steps::{checks, guarded};
use crate::view::outcome::Failure;
use crate::view::plan_text::render;
use crate::view::ui::{Event, Ui};

pub(crate) struct Reset<'a> {
    runner: &'a Runner,
    ui: &'a Ui,
    /// What this process knows of the archive beyond the journal's word.
    this_run: guarded::ThisRun,
    /// Whether the operator agreed with `--yes`: the command that runs the reset again does too.
    yes: bool,
}

impl<'a> Reset<'a> {
    pub(crate) fn new(runner: &'a Runner, ui: &'a Ui, yes: bool) -> Reset<'a> {
        Reset { runner, ui, this_run: guarded::ThisRun::default(), yes }
    }

    /// Runs the journal's plan from its first unfinished step to the end.
    pub(crate) fn run(&self, journal: &mut Journal) -> Result<(), Failure> {
        let plan = journal.plan.clone();
        let from = journal.first_unfinished().unwrap_or(plan.steps.len());
        if let Some(first) = plan.steps.get(from) {
            self.nothing_deleted_yet(&plan, from, journal)
                .map_err(|error| failure(&plan, first, journal, StepError::of(error)))?;
            let resumed =
                journal.steps.iter().any(|s| s.state != crate::run::record::journal::State::Pending);
            self.stop_leftovers(&Host::new(self.runner), &plan, resumed)
                .map_err(|error| failure(&plan, first, journal, StepError::of(error)))?;
        }
        if journal.steps.iter().all(|s| s.started_at.is_none()) {
            crate::run::steps::prelude::Prepare { runner: self.runner, ui: self.ui, yes: self.yes }
                .run(&plan, journal)?;
        }
        let mut hangups = signals::hangups();
        for (index, step) in plan.steps.iter().enumerate().skip(from) {
            if let Some(gone) = crate::run::steps::failure::terminal_gone(&plan, step) {
                self.runner.note(&format!("step {} did not begin: the terminal is gone", step.number));
                return Err(gone);
            }
            self.ui.step(step, plan.steps.len());
            if signals::hangups() > hangups {
                hangups = signals::hangups();
                self.runner
                    .note("the terminal hung up (SIGHUP): the reset goes on, its output only in this log");
            }
            self.runner.note(&format!("step {}: {}", step.number, step.title));
            // One time for the step, its checks included, in the journal and the event alike:
            // the summary is made from the journal.
            let (started, checked_at) = (Instant::now(), crate::host::process::transcript::now());
            let result = self.step(&plan, index, step, journal);
            let duration_s = started.elapsed().as_secs_f64();
            let result = result.and_then(|()| journal.done(index, checked_at, duration_s));
            let status = if result.is_ok() { "done" } else { "failed" };
            self.ui.event(&Event::StepFinished { step: step.number, status, duration_s });
            if let Err(error) = result {
                return Err(self.ended(&plan, index, step, journal, StepError::of(error)));
            }
        }
        self.runner.note("reset finished");
        Ok(())
    }

    /// A run killed as `down -v`'s step began may have died before `down -v` deleted anything: the
    /// journal says the destructive step began, the engine still holds every volume it deletes.
    /// That step is then recorded as not begun, so that a stop before its command, in this run,
    /// starts the manager again as any stop before `down -v` does.
    fn nothing_deleted_yet(&self, plan: &Plan, from: usize, journal: &mut Journal) -> Result<()> {
        let (Some(step), Some(volumes)) = (plan.steps.get(from), &plan.volumes) else { return Ok(()) };
        if !step.destructive || journal.steps[from].started_at.is_none() {
            return Ok(());
        }
        let deleted: Vec<&str> = volumes.deleted().collect();
        if deleted.is_empty()
            || Host::new(self.runner).existing_volumes(deleted.iter().copied())?.len() != deleted.len()
        {
            return Ok(());
        }
        self.runner.note(&format!(
            "step {} began in the run before, but every volume `down -v` deletes is still there: nothing was \
             deleted, and the step counts as not begun",
            step.number
        ));
        journal.undo(from..from + 1, false)
    }

    /// Records how `step` ended and says what to do next. A stop before `down -v` leaves the
    /// manager running, as it was found (a unit that did not stop it left it running already);
    /// later, a failure that undoes earlier steps' work marks them to do again.
    fn ended(
        &self,
        plan: &Plan,
        index: usize,
        step: &Step,
        journal: &mut Journal,
        error: StepError,
    ) -> Failure {
        let detail = &error.error;
        let ending = if let Why::Stopped(stop) = error.why {
            self.runner.note(&format!("interrupted at step {} by {}", step.number, stop.name()));
            journal.interrupted(index, stop.name()).err()
        } else {
            self.runner.note(&format!("step {} failed: {detail:#}", step.number));
            journal.failed(index, &format!("{detail:#}")).err()
        };
        if rollback::needed(journal) && !matches!(error.why, Why::WrongUnit(_)) {
            let outcome = rollback::start_again(self.runner, self.ui, journal, step, &error.why);
            let again = plan::again_command(&journal.inputs, self.yes);
            return rolled_back(journal, step, &error, outcome, &again);
        }
        let redo = match error.why {
            Why::Stopped(stop) => {
                return unrecorded(interrupted(plan, step, journal, stop), journal, ending, None);
            }
            // The backup does not hold /share: steps 1 and 2 are to be done again.
            Why::Outdated => journal.undo(0..index, true).err().map(|e| (e, 1)),
            // The manager did not start: the resume starts it again, from step 4.
            Why::UnitFailed => {
                let start = plan.steps.iter().position(|s| s.kind == StepKind::StartService).unwrap_or(index);
                (start < index)
                    .then(|| journal.undo(start..index, false).err().map(|e| (e, start + 1)))
                    .flatten()
            }
            _ => None,
        };
        unrecorded(failure(plan, step, journal, error), journal, ending, redo)
    }

    fn step(&self, plan: &Plan, index: usize, step: &Step, journal: &mut Journal) -> Result<()> {
        let host = Host::new(self.runner);
        let mut cx = guarded::Guarded {
            with: guarded::With { runner: self.runner, host: &host, ui: self.ui },
            at: guarded::At { plan, step, began: SystemTime::now() },
            journal,
            share_read: None,
            followed: None,
            this_run: &self.this_run,
            kept_followed: Vec::new(),
        };
        for check in &step.before {
            checks::run(*check, &mut cx)?;
        }
        // Begun once its checks let it: a step whose checks stopped it changed nothing, which is
        // what lets a resume take corrected options until `down -v` has begun.
        cx.journal.started(index)?;
        // The read-back an after-check needs starts with the commands, so that its container is
        // up when they end; tar in it reads /share only once the check reads the pipe.
        if step.after.iter().any(|c| checks::reads_share(*c)) {
            let (volume, image, dir) = (&plan.share_volume, &plan.image, &plan.backup_dir);
            cx.share_read = Some(if self.this_run.share_volume_seen.get() {
                host.start_share_read_of_seen(volume, image, dir)?
            } else {
                host.start_share_read(volume, image, dir)?
            });
        }
        cx.at.began = SystemTime::now();
        let commands = || self.commands(plan, step, &host);
        if step.after.contains(&Check::ArchiveMatchesShare) {
            // Step 2's archive is read back on its way from tar to the file.
            let share_read = cx.share_read.take().context("the read-back of /share was not started")?;
            let (archive, records) = live_check::Target::share(plan);
            let target = live_check::Target { archive: &archive, records: &records };
            let (ran, followed) = live_check::during(self.runner, target, share_read, commands);
            cx.followed = Some(followed);
            ran?;
        } else if step.kind == StepKind::ArchiveKeptVolumes {
            let one = |command: &Command| self.command_checked(plan, step, command, &host);
            cx.kept_followed =
                crate::run::steps::kept_volumes::archive::run(self.runner, &host, plan, step, one)?;
        } else {
            commands()?;
        }
        for check in &step.after {
            checks::run(*check, &mut cx)?;
        }
        Ok(())
    }

    /// Runs the step's commands, one after the other.
    fn commands(&self, plan: &Plan, step: &Step, host: &Host) -> Result<()> {
        for command in &step.commands {
            self.command_checked(plan, step, command, host)?;
        }
        Ok(())
    }

    /// Runs one of the step's commands, between checks for a stop asked for.
    fn command_checked(&self, plan: &Plan, step: &Step, command: &Command, host: &Host) -> Result<()> {
        signals::check()?;
        self.sudo_still_cached(plan, command)?;
        self.ui.command(step, command);
        let result = self.command(plan, step, command, host);
        if signals::cut_short() && is_container_run(command) {
            // The CLI is gone, its container is not: a `docker run` keeps running without it.
            self.stop_containers(host, plan)?;
        }
        signals::check()?;
        result
    }

    /// Where sudo asked for the password before step 1, makes sure it still has it before a
    /// command runs through sudo: its cache lasts minutes (`timestamp_timeout`), a backup may
    /// last longer, and a sudo that asks from a command's own process group, not the terminal's
    /// foreground, would hang. Asked again, it asks here, in the foreground.
    fn sudo_still_cached(&self, plan: &Plan, command: &Command) -> Result<()> {
        let Some(ask) = plan.prepare.iter().find(|c| c.is_sudo_password()) else { return Ok(()) };
        if command.argv.first().is_none_or(|p| p != "sudo")
            || self.runner.read(&["sudo", "-n", "-v"])?.success
        {
            return Ok(());
        }
        self.ui.say("    sudo no longer has your password (its cache ran out): it asks again");
        self.ui.say(&render::command_line(ask));
        let status = self.runner.run(ask, |_, _| {}, || {})?;
        ensure!(
            status.success(),
            "`{}` {status}: sudo did not take the password; type it when you resume",
            ask.display
        );
        Ok(())
    }

    /// Stops what a run that was killed left running: a read-back of /share (or of a kept volume) waiting on its pipe
    /// (it holds the share volume, which `down -v` could not delete then) and, when resuming, a
    /// tar container of the plan's whose CLI died with the tool (it would write the archive
    /// beside the repeated step's).
    fn stop_leftovers(&self, host: &Host, plan: &Plan, resumed: bool) -> Result<()> {
        let mut left = host.read_backs(&plan.share_volume)?;
        for kept in &plan.kept {
            left.extend(host.read_backs(&kept.name)?);
        }
        if resumed {
            left.extend(host.tar_containers(&plan.image)?);
        }
        left.sort();
        left.dedup();
        if left.is_empty() {
            return Ok(());
        }
        let line = format!("stopping the container(s) {} that a killed run left behind", left.join(", "));
        self.ui.tell(self.runner, &line);
        Control::new(self.runner).remove_containers(&left)?;
        let _ = std::fs::remove_file(crate::host::docker::inspect::read_back_fifo(&plan.backup_dir));
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
            self.ui.tell(self.runner, &line);
            Control::new(self.runner).kill_containers(&running)?;
            ensure!(
                started.elapsed() < CONTAINERS_GONE_WITHIN,
                "the container(s) {} still run: stop them (docker kill) before resuming",
                running.join(", ")
            );
            thread::sleep(Duration::from_millis(200));
        }
    }

    /// Runs one command; tar's one line per file is counted, not printed, and an osism command's
    /// last lines are kept to tell why it failed.
    fn command(&self, plan: &Plan, step: &Step, command: &Command, host: &Host) -> Result<()> {
        let started = Instant::now();
        let counts_files = matches!(step.kind, StepKind::BackupShare | StepKind::RestoreShare);
        let mut last = std::collections::VecDeque::new();
        let status = if counts_files {
            let progress = std::cell::RefCell::new(self.ui.progress());
            let files = Cell::new(0u64);
            let status = self.runner.run(
                command,
                |stream, line| match stream {
                    Stream::Stdout => {
                        files.set(files.get() + 1);
                        progress.borrow_mut().update(|| format!("{} entries", files.get()));
                    }
                    Stream::Stderr => progress.borrow().println(stream, line),
                },
                || {
                    let files = files.get();
                    progress
                        .borrow_mut()
                        .update(|| format!("{files} entries so far, `{}` runs", command.display))
                },
            )?;
            progress.into_inner().finish(&format!("tar listed {} entries", files.get()));
            status
        } else {
            let mut heartbeat = self.ui.heartbeat();
            self.runner.run(
                command,
                |stream, line| {
                    if last.len() == task_output::LINES_KEPT {
                        last.pop_front();
                    }
                    last.push_back(line.to_owned());
                    self.ui.output(stream, line)
                },
                || heartbeat.update(|| format!("still running: `{}`", command.display)),
            )?
        };
        self.ui.event(&Event::CommandFinished {
            step: step.number,
            command: &command.display,
            exit_code: status.code(),
            duration_s: started.elapsed().as_secs_f64(),
        });
        if !status.success() && matches!(step.kind, StepKind::RebuildInventory | StepKind::RefreshKollaFacts)
        {
            let cause = task_output::cause(&Vec::from(last));
            return Err(task_output::Failed {
                command: command.display.clone(),
                status: status.to_string(),
                cause,
            }
            .into());
        }
        if step.kind == StepKind::StartService {
            let (unit, dir) = (&plan.service.unit, &plan.project_directory);
            return crate::host::system::service::check_started(host, unit, dir, &command.display, status);
        }
        ensure!(status.success(), "`{}` {status}", command.display);
        Ok(())
    }
}

/// Runs the journal's plan, then closes the reset: the record goes, a summary is shown and
/// logged, and `done` ends the JSON events.
pub(crate) fn execute(runner: &Runner, ui: &Ui, journal: &mut Journal, yes: bool) -> Result<(), Failure> {
    Reset::new(runner, ui, yes).run(journal)?;
    registry::forget(&journal.plan.project_directory, journal.path());
    let figures = journal.figures();
    let summary = crate::view::summary::figures(&figures);
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
        kept: &figures.kept,
    });
    Ok(())
}

/// How long the containers of an interrupted command may take to go.
const CONTAINERS_GONE_WITHIN: Duration = Duration::from_secs(30);

/// Whether `command` runs a container that outlives its CLI.
fn is_container_run(command: &Command) -> bool {
    command.argv.iter().take(2).eq(["docker", "run"].iter())
}
