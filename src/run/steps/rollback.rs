//! A reset that stops after step 1 began and before `down -v`'s command began leaves the
//! manager as it found it: running. The unit is started again (the plan's own start command),
//! the manager waited for by step 6's health rules, and the archive this run left is removed when
//! it was never verified (a partial one takes the space the next run needs) or kept aside when it
//! was, and so is each kept volume's (`kept::fault`); an archive the operator named that step 2
//! kept aside goes back under its name. The
//! journal then says rolled back, which closes the reset: nothing was changed, so the
//! next run starts afresh. A start that fails leaves the reset open, every step to do again, for
//! the resume to start over from step 1.
//!
//! A killed run (SIGKILL) cannot do this: its resume goes on from the step it died in.

use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, anyhow};

use crate::archive::verify;
use crate::host::docker::inspect::Host;
use crate::host::process::exec::Runner;
use crate::host::process::signals;
use crate::plan::{Plan, Step, StepKind};
use crate::run::record::journal::Journal;
use crate::run::record::registry;
use crate::run::steps::health;
use crate::run::steps::stop::{StepError, Why};
use crate::view::ui::{Event, Ui};

/// What starting the manager again came to.
pub(crate) enum Rollback {
    /// The manager runs again; the reset is closed. `unhealthy` says why it is not healthy yet,
    /// where it is not; `archive` what became of this run's archive.
    /// `unclosed`: why the journal could not be closed, nor removed: it still says unfinished.
    Restarted { unhealthy: Option<String>, archive: String, unclosed: Option<anyhow::Error> },
    /// The unit did not start: the manager stays down, /share untouched, the reset open;
    /// `unrecorded`: why the journal could not record that every step is to run again.
    StartFailed { error: anyhow::Error, archive: String, unrecorded: Option<anyhow::Error> },
}

/// Whether a run that stopped in `journal`'s state must start the manager again: step 1 began
/// and `down -v` did not.
pub(crate) fn needed(journal: &Journal) -> bool {
    let stop_began = journal.steps.first().is_some_and(|s| s.started_at.is_some());
    stop_began && !journal.destruction_began()
}

/// Starts the manager again after a reset that stopped before `down -v`, at `step`, for `why`:
/// what the stop found says what the archive is, where the journal holds it as verified, and
/// which kept volume's archive changed since it was verified, where that stopped it.
pub(crate) fn start_again(
    runner: &Runner,
    ui: &Ui,
    journal: &mut Journal,
    step: &Step,
    why: &Why,
) -> Rollback {
    let verified = match why {
        Why::Untrusted => "changed since it was verified",
        Why::Outdated => "verified, but /share has changed since",
        _ => "verified",
    };
    let damaged = if let Why::KeptDamaged(d) = why { Some(d.volume.as_str()) } else { None };
    let plan = journal.plan.clone();
    signals::rearm();
    ui.say("\nNothing was deleted: starting the manager again, as it was before the reset");
    runner.note("the reset stopped before `down -v`: starting the manager again");
    let mut archive = clear_the_way(&plan, journal, verified);
    archive.push_str(&crate::run::steps::kept_volumes::fault::clear_the_way(&plan, journal, damaged));
    runner.note(&archive);
    let host = Host::new(runner);
    match start(runner, ui, &host, &plan, step) {
        Ok(unhealthy) => {
            // A journal left unfinished would be resumed with the manager running: closed, or
            // else gone, as nothing is left to resume.
            let unclosed =
                journal.close_rolled_back().err().filter(|_| std::fs::remove_file(journal.path()).is_err());
            registry::forget(&plan.project_directory, journal.path());
            runner.note("rolled back: the manager was started again; nothing was changed");
            if let Some(error) = &unclosed {
                runner.note(&format!("the journal could not be closed: {error:#}"));
            }
            Rollback::Restarted { unhealthy, archive, unclosed }
        }
        Err(error) => {
            // Every step is to do again: nothing was deleted, and the manager is down.
            let unrecorded = journal.undo(0..journal.steps.len(), true).err();
            runner.note(&format!("starting the manager again failed: {error:#}"));
            Rollback::StartFailed { error, archive, unrecorded }
        }
    }
}

/// Runs the plan's start command and waits as step 6 does; returns why the manager is not
/// healthy yet where it runs but is not (it may have been as broken before the reset).
fn start(runner: &Runner, ui: &Ui, host: &Host, plan: &Plan, step: &Step) -> Result<Option<String>> {
    let start =
        plan.step(StepKind::StartService).and_then(|s| s.commands.first()).context("no start step")?;
    ui.command(step, start);
    let (began, started) = (Instant::now(), SystemTime::now());
    let mut heartbeat = ui.heartbeat();
    let status = runner.run(
        start,
        |stream, line| ui.output(stream, line),
        || heartbeat.update(|| format!("still running: `{}`", start.display)),
    )?;
    ui.event(&Event::CommandFinished {
        step: step.number,
        command: &start.display,
        exit_code: status.code(),
        duration_s: began.elapsed().as_secs_f64(),
    });
    let (unit, dir) = (&plan.service.unit, &plan.project_directory);
    crate::host::system::service::check_started(host, unit, dir, &start.display, status)?;
    let timeout = Duration::from_secs(plan.health_timeout_s);
    let rules = health::Rules { stop: signals::check_forced, started: Some(started) };
    let Err(error) = health::wait(host, unit, dir, timeout, ui, step.number, rules) else { return Ok(None) };
    let ended = StepError::of(error);
    match ended.why {
        Why::UnitFailed => Err(ended.error),
        Why::Stopped(_) => Ok(Some("a second stop request ended the wait for its health".to_owned())),
        _ => Ok(Some(format!("{:#}", ended.error))),
    }
}

/// What step 2 left where the next run archives /share is cleared (`set_archive_aside`) and the
/// archive the operator named goes back under its name (`put_back_named`): for a rollback, and
/// for a resume that plans again from step 1. Says what became of both.
pub(crate) fn clear_the_way(plan: &Plan, journal: &Journal, verified: &str) -> String {
    let mut archive = set_archive_aside(plan, journal, verified).unwrap_or_else(|error| format!("{error:#}"));
    archive.push_str(&put_back_named(plan));
    archive
}

/// The archive `--restore-from` named, which step 2 kept aside as it bore today's name, goes
/// back under that name: the run again names it so. Says so, where it was.
fn put_back_named(plan: &Plan) -> String {
    let Some((kept, path)) = plan.restore.as_ref().and_then(|r| Some((r.kept_as.as_ref()?, &r.path))) else {
        return String::new();
    };
    match crate::run::record::previous::put_back(kept, path) {
        Ok(true) => format!("; the archive you named is back as {path}"),
        Ok(false) => String::new(),
        Err(error) => format!("; the archive you named stays {kept} ({error:#})"),
    }
}

/// Clears the way for the next run, which never overwrites an archive: one this reset verified
/// is kept aside (it is a good copy of /share), one it never verified is removed (partial, or
/// damaged). Returns what became of it, for the operator.
fn set_archive_aside(plan: &Plan, journal: &Journal, verified: &str) -> Result<String> {
    let archive = &plan.backup_file;
    let backup_began = plan
        .steps
        .iter()
        .zip(&journal.steps)
        .any(|(s, r)| s.kind == StepKind::BackupShare && r.started_at.is_some());
    crate::archive::tee::remove_unfinished(archive);
    if !backup_began || !archive.exists() {
        return Ok(format!("no archive was written ({archive} is not there)"));
    }
    if let Some(verified_as) = &journal.archive {
        let kept = crate::run::record::previous::keep_aside(archive, Some(&verified_as.sha256))?
            .ok_or_else(|| anyhow!("{archive} went missing"))?;
        return Ok(format!("the archive {archive} ({verified}) was kept as {kept}"));
    }
    verify::remove_unverified(archive).map_err(|error| {
        let rm = crate::plan::quote::join(&["rm".to_owned(), archive.to_string()]);
        anyhow!(
            "the partial archive {archive}, which the next run would not overwrite, cannot be removed ({error}): \
             `{rm}` once it can be"
        )
    })?;
    Ok(format!("the partial archive {archive}, never verified, was removed"))
}
