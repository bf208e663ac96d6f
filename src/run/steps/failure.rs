//! What the operator is told when a step fails or is interrupted: what happened, where /share
//! stands (untouched, in its verified archive, restored), and the command to type next.

use anyhow::anyhow;

use crate::archive::verify;
use crate::host::process::signals::{self, Stop};
use crate::plan::{Plan, Stdin, Step, StepKind};
use crate::run::record::journal::Journal;
use crate::run::steps::rollback::Rollback;
use crate::run::steps::stop::{StepError, Why};
use crate::view::outcome::{Cause, Code, Failure};

pub(crate) fn interrupted(plan: &Plan, step: &Step, journal: &Journal, stop: Stop) -> Failure {
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

/// `failure`, telling where the journal could not record how its step ended (`ending`) or
/// which steps are to run again (`redo`: why, and the first of them), as the advice in it
/// assumed: a full disk or a directory made read-only meanwhile.
pub(crate) fn unrecorded(
    failure: Failure,
    journal: &Journal,
    ending: Option<anyhow::Error>,
    redo: Option<(anyhow::Error, usize)>,
) -> Failure {
    let path = journal.path();
    let dir = path.parent().unwrap_or(path);
    let said = match (ending, redo) {
        (_, Some((error, first))) => format!(
            "; but the journal {path} could not record that the reset must go on from step {first} ({error:#}), \
             and that resume would go on after it: do not type it; finish the reset by hand, following the \
             runbook from step {first}"
        ),
        (Some(error), None) => format!(
            "; the journal {path} could not record how the step ended ({error:#}): it still says the step was \
             running, which a resume runs again; make {dir} writable again (free space, its permissions) before \
             you resume"
        ),
        (None, None) => return failure,
    };
    Failure { error: anyhow!("{:#}{said}", failure.error), ..failure }
}

/// A step that reads the operator's terminal (osism's prompt for the vault password) cannot run
/// once the terminal is gone (it hung up, or the run has none): osism would read nothing and
/// store an empty password. The step does not begin; the message says how to go on without the
/// terminal, or at a new one.
pub(crate) fn terminal_gone(plan: &Plan, step: &Step) -> Option<Failure> {
    if !step.commands.iter().any(|c| c.stdin == Stdin::Terminal) {
        return None;
    }
    let why = if signals::hangups() > 0 {
        "the terminal hung up (SIGHUP) during the reset"
    } else if !crate::view::confirm::at_terminal() {
        "the run has no terminal"
    } else {
        return None;
    };
    let resume = plan.resume_command();
    Some(Failure::new(
        Code::StepFailed,
        anyhow!(
            "step {} ({}) did not begin: {why}, and `osism set vault password` reads the password from it: it \
             would read nothing and store an empty password; /share is restored and the manager is healthy; \
             resume at a terminal with `{resume}` (in tmux or screen, which a lost connection does not end), \
             or, without one, give the password in a file: `{resume} --vault-password-file FILE` (FILE readable \
             by you only)",
            step.number,
            step.title
        ),
    ))
}

/// A reset that stopped before `down -v` (failed, or stopped by `stop`) and started the manager
/// again: nothing was changed, and the reset is run again afresh; or the start failed, and the
/// resume starts over from step 1.
pub(crate) fn rolled_back(
    journal: &Journal,
    step: &Step,
    ended: &StepError,
    outcome: Rollback,
    again: &str,
) -> Failure {
    let (error, stop) = (&ended.error, if let Why::Stopped(stop) = ended.why { Some(stop) } else { None });
    let (code, what) = match stop {
        Some(stop) => (
            Code::from(stop),
            format!("interrupted at step {} ({}) by {}", step.number, step.title, stop.name()),
        ),
        None => (Code::StepFailed, format!("step {} ({}) failed: {error:#}", step.number, step.title)),
    };
    let restarted = matches!(outcome, Rollback::Restarted { .. });
    let message = match outcome {
        Rollback::Restarted { unhealthy, archive, unclosed } => {
            let started = match unhealthy {
                None => "the manager was started again and is healthy".to_owned(),
                Some(why) => format!("the manager was started again, but is not healthy yet ({why})"),
            };
            let next = if stop.is_some() { "when ready" } else { "fix the cause, then" };
            let next = match unclosed {
                None => next.to_owned(),
                Some(error) => format!(
                    "but the journal {path} could not be closed ({error:#}), and says the reset is unfinished: \
                     never resume from it, as the manager runs again; once {dir} can be written, remove it with \
                     `rm {path}`; {next}",
                    path = journal.path(),
                    dir = journal.plan.backup_dir,
                ),
            };
            format!(
                "{what}; {started}; nothing was changed (`down -v` did not run, /share is untouched); {archive}; \
                 {next} run the reset again with `{again}`"
            )
        }
        Rollback::StartFailed { error: start, archive, unrecorded } => format!(
            "{what}; /share is untouched (`down -v` did not run), but starting the manager again failed: \
             {start:#}; {archive}; once that is fixed, {}resume with `{}`: {}{}",
            unrecorded.as_ref().map_or_else(String::new, |error| format!(
                "and the journal, which could not record that every step is to run again ({error:#}), can be \
                 written again, "
            )),
            journal.plan.resume_command(),
            // The journal on disk still names the step that stopped: the resume runs it again,
            // its checks first, with the manager down as the failed start left it.
            if unrecorded.is_some() {
                "it goes on from the step that stopped"
            } else {
                "it starts over from step 1"
            },
            without_pull(&journal.plan)
        ),
    };
    let failure = Failure::new(code, anyhow!("{message}"));
    if restarted { failure.with_cause(Cause::RolledBack) } else { failure }
}

pub(crate) fn failure(plan: &Plan, step: &Step, journal: &Journal, ended: StepError) -> Failure {
    // Until `down -v` begins, a resume may take corrected options and plan again.
    let correctable = !journal.destruction_began();
    let (what, next) = where_share_is_and_next(plan, step, journal, &ended.why);
    let hint = if correctable && !matches!(ended.why, Why::WrongUnit(_)) {
        let down = plan.step(StepKind::RemoveProject).map_or(3, |s| s.number);
        format!(
            "; until step {down} begins, --resume also takes corrected options (such as --service or --image) \
             and plans the reset again from step 1"
        )
    } else {
        String::new()
    };
    let error = &ended.error;
    let failure = Failure::new(
        Code::StepFailed,
        anyhow!("step {} ({}) failed: {error:#}; {what}; {next}{hint}", step.number, step.title),
    );
    match ended.why {
        Why::Osism(cause) => failure.with_cause(Cause::Osism(cause)),
        _ => failure,
    }
}

/// Where /share stands after `step` failed with `error`, and what to type next.
fn where_share_is_and_next(plan: &Plan, step: &Step, journal: &Journal, why: &Why) -> (String, String) {
    let archive = &plan.backup_file;
    let checksum = verify::checksum_path(archive);
    let resume = format!("resume with `{}`", plan.resume_command());
    let command = plan.resume_command();
    if let Why::KeptDamaged(damaged) = why {
        return crate::run::steps::kept_volumes::fault::where_and_next(plan, journal, damaged);
    }
    if let Why::WrongUnit(wrong) = why {
        let next = match &wrong.running {
            Some(unit) => {
                format!("resume with `{command} --service {unit}`, which plans the reset again with it")
            }
            None => format!(
                "name the unit that runs the manager (see `systemctl list-units`) and resume with `{command} \
                 --service UNIT`, which plans the reset again with it"
            ),
        };
        return ("/share is untouched".to_owned(), next);
    }
    match (&journal.archive, step.kind) {
        (verified, _) if matches!(why, Why::UnitFailed) => (
            match (journal.restored, verified) {
                (Some(_), _) => format!("/share is restored; its archive is {archive}"),
                (None, Some(verified)) => format!(
                    "the verified archive of /share is {archive} (sha256 {} in {checksum}), safe",
                    verified.sha256
                ),
                (None, None) => format!("/share is untouched ({archive} is not verified)"),
            },
            format!(
                "once the cause is fixed, resume with `{}`: it starts the manager again{}",
                plan.resume_command(),
                without_pull(plan)
            ),
        ),
        _ if matches!(why, Why::Outdated) => (
            "/share is untouched (`down -v` did not run); the reset goes back to step 1 to stop the manager \
             and back /share up anew"
                .to_owned(),
            resume,
        ),
        (_, StepKind::RemoveProject) if matches!(why, Why::Untrusted) => (
            format!(
                "/share is untouched (`down -v` did not run), but the archive {archive} is not what was verified"
            ),
            format!(
                "do not resume; move {archive}, {checksum} and the journal {} away, then start a new reset",
                journal.path()
            ),
        ),
        (_, _) if matches!(why, Why::Untrusted) => (
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
        (_, StepKind::RebuildInventory | StepKind::RefreshKollaFacts) => (
            format!(
                "/share is restored and the manager is healthy, only the inventory and facts are left; the \
                 archive is {archive}, its checksum {checksum}"
            ),
            format!("{resume}: {}", repeats(step)),
        ),
        (Some(verified), _) => (
            format!("the verified archive of /share is {archive} (sha256 {} in {checksum})", verified.sha256),
            resume,
        ),
        (None, _) => (format!("/share is untouched ({archive} is not verified)"), resume),
    }
}

/// Where the unit pulls when it starts, how to start it from the images already here, should
/// its pull be what failed: the registry may stay out of reach longer than the operator can wait.
fn without_pull(plan: &Plan) -> String {
    if plan.service.start.as_ref().and_then(|s| s.pull()).is_none() {
        return String::new();
    }
    let start = plan.step(StepKind::StartService).and_then(|s| s.commands.first());
    let sudo = start.is_some_and(|c| c.argv.first().is_some_and(|p| p == "sudo"));
    let (drop_in, undo) = crate::host::system::service::without_pull(&plan.service.unit, sudo);
    format!(
        "; where the unit's own pull is what failed (a registry that cannot be reached), start it from the images \
         already on this host: `{drop_in}` (a drop-in in /run that clears its ExecStartPre until the next reboot), \
         then resume; once the registry is back, `{undo}`"
    )
}

/// What a resume runs again of `step`, numbered as the plan numbers it.
fn repeats(step: &Step) -> String {
    match step.commands.len() {
        1 => format!("it runs step {}'s command again", step.number),
        2 => format!("it runs both commands of step {} again", step.number),
        n => format!("it runs the {n} commands of step {} again", step.number),
    }
}
