//! Continuing an unfinished reset: finding it (the registry, the backup directory), taking the
//! manager's lock before its journal is read, refusing a journal that is not as the tool wrote
//! it, and holding the reset to the plan that was approved. Until `down -v` begins nothing is
//! lost by starting over, so there options given again replace the recorded ones: the reset is
//! planned again, preflight and all, and starts again from step 1.

use anyhow::anyhow;
use camino::Utf8Path;

use crate::archive::verify;
use crate::host::docker::inspect::Host;
use crate::host::files::trust;
use crate::host::process::exec::Runner;
use crate::plan::StepKind;
use crate::plan::cli::{Output, Sources};
use crate::plan::config::Config;
use crate::plan::problem::{Kind, Problem};
use crate::run::approval::{self, Proposal};
use crate::run::preflight::{self, Preflight, Survey};
use crate::run::record::journal::Journal;
use crate::run::record::lock;
use crate::run::record::registry;
use crate::view::outcome::{Code, Failure, OrExit};
use crate::view::preview;
use crate::view::preview::Resumed;
use crate::view::ui::Ui;

/// Continues the unfinished reset of this manager, found wherever it was started (the registry)
/// or in the backup directory, with its own plan.
pub(crate) fn resume(config: &Config, sources: &Sources, runner: Runner) -> Result<(), Failure> {
    // Before any journal is read: a reset of this manager running now may be writing one.
    let _lock = lock::acquire(&config.options.project_directory)?;
    let (mut journal, set_aside) = find(config, sources)?;
    let ui = Ui::new(config.output == Output::Json);
    let changed = config.changed_from(&journal.inputs, sources);
    let path = journal.path().to_owned();
    let Decision { what, problems, notes } =
        decide(config, sources, &runner, &ui, &mut journal, &path, &changed);
    let heading = format!("the resume found {} problem(s), nothing was changed", problems.len());
    let plan = journal.plan.clone();
    let done = done_steps(&journal);
    let resumed = Resumed { what: &what, done: &done };
    let notes = [set_aside, notes].concat();
    let proposal =
        Proposal { plan: &plan, resume: Some(resumed), problems: &problems, notes: &notes, heading };
    approval::approve_and_run(runner, &ui, config, proposal, |runner| {
        // This user's record as well: the reset may have been started by another user.
        registry::record(&journal, crate::host::files::users::euid()).or_exit(Code::Refused)?;
        if !changed.is_empty() {
            journal.save().or_exit(Code::Refused)?;
            let how = if journal.destruction_began() {
                "the vault step's input changed"
            } else {
                "planned again before anything was deleted"
            };
            runner.note(&format!("{how}: {}", changed.join("; ")));
        }
        Ok(journal)
    })
}

/// `--resume --dry-run`: what a resume would do (the plan, from which step, with which checks)
/// and what would refuse it; nothing is locked or changed. A journal is replaced whole, never
/// half written, so reading one without the lock is safe.
pub(crate) fn look(config: &Config, sources: &Sources, runner: Runner) -> Result<(), Failure> {
    let (mut journal, _) = find(config, sources)?;
    let ui = Ui::new(config.output == Output::Json);
    let changed = config.changed_from(&journal.inputs, sources);
    let path = journal.path().to_owned();
    let Decision { what, problems, .. } =
        decide(config, sources, &runner, &ui, &mut journal, &path, &changed);
    let done = done_steps(&journal);
    preview::plan(&journal.plan, Some(Resumed { what: &what, done: &done }), &problems, config.output);
    Ok(())
}

/// The journal of this manager's one unfinished reset, found and checked: as the tool wrote it,
/// by a user the reset trusts, of this manager; with the records set aside on the way, for the
/// log.
fn find(config: &Config, sources: &Sources) -> Result<(Journal, Vec<String>), Failure> {
    let euid = crate::host::files::users::euid();
    let refused = |error: anyhow::Error| Failure::new(Code::Refused, error);
    let resets = registry::unfinished(&config.options.project_directory, &config.options.backup_dir, euid)
        .map_err(refused)?;
    let mut found = resets.unfinished;
    if sources.given("backup-dir") {
        found.retain(|f| f.backup_dir() == config.options.backup_dir);
    }
    let unfinished = match found.as_slice() {
        [] => {
            return Err(refused(anyhow!(
                "no unfinished reset of the manager in {} is recorded in {} or in {}: nothing to resume",
                config.options.project_directory,
                registry::state_dir(),
                config.options.backup_dir
            )));
        }
        [one] => one,
        many => {
            let names: Vec<String> = many.iter().map(|f| f.journal.to_string()).collect();
            return Err(refused(anyhow!(
                "several unfinished resets of this manager are recorded ({}): name the one to resume by its \
                 directory with --backup-dir",
                names.join(", ")
            )));
        }
    };
    let path = &unfinished.journal;
    if !unfinished.journal_exists || (unfinished.other_user.is_some() && !is_readable(path)) {
        return Err(refused(anyhow!("{}", unfinished.describe(euid, None))));
    }
    if !trust::written_by_trusted(path, &config.options.project_directory, euid) {
        return Err(refused(anyhow!(
            "the journal {path} was not written by you, root or the manager's operator, so it is not taken for a \
             reset of this manager: look at it, and remove it (`rm {}`) if it is no one's you know",
            crate::plan::quote::join(&[path.to_string()])
        )));
    }
    let journal = Journal::load(path).map_err(|error| untrusted_journal(path, error))?;
    let project = &journal.plan.project_directory;
    if *project != config.options.project_directory {
        return Err(refused(anyhow!(
            "the reset recorded in {path} is of the manager in {project}, not {}: resume it with `{}`",
            config.options.project_directory,
            crate::plan::resume_command(unfinished.backup_dir(), project)
        )));
    }
    Ok((journal, resets.set_aside))
}

/// Refuses a journal that is not as the tool wrote it, saying how to finish by hand.
fn untrusted_journal(path: &Utf8Path, error: anyhow::Error) -> Failure {
    let archive = Journal::archive_beside(path).map_or_else(
        || "the archive of /share beside it".to_owned(),
        |a| format!("the archive of /share, {a} (check it with `{}`)", verify::check_command(&a)),
    );
    Failure::new(
        Code::Refused,
        anyhow!(
            "{error:#}: the tool runs only what it planned, so it will not resume from it. Finish the reset \
             by hand, following the runbook from the step the journal names, with {archive}"
        ),
    )
}

/// What a resume of `journal` does, decided once for the run and for the look at it: it goes on
/// with the approved plan from its first unfinished step; or, options corrected before `down -v`
/// began, it plans again (preflight and all) and starts from step 1; or, `down -v` begun, it
/// refuses other options. The journal holds the plan a resume runs.
fn decide(
    config: &Config,
    sources: &Sources,
    runner: &Runner,
    ui: &Ui,
    journal: &mut Journal,
    path: &Utf8Path,
    changed: &[String],
) -> Decision {
    if changed.is_empty() {
        let host = Host::new(runner);
        let mut preflight = Preflight::new(config, &host, journal.inputs.facts.date, Some(path));
        preflight.check_programs();
        let mut problems = preflight.problems;
        let from = journal.first_unfinished().unwrap_or(journal.plan.steps.len());
        problems.extend(restore_source_changed(journal, from).map(|p| Problem::new(Kind::RestoreFrom, p)));
        problems.extend(privacy_problems(journal, path, from));
        let steps = &journal.plan.steps[from..];
        let done = match from {
            0 => String::new(),
            1 => "has done step 1; it ".to_owned(),
            n if journal.destruction_began() => format!("has done steps 1 to {n}, `down -v` among them; it "),
            n => format!("has done steps 1 to {n}; it "),
        };
        let what = match (steps.first(), steps.last()) {
            (Some(first), Some(last)) if first.number == last.number => format!(
                "The reset recorded in {path} {done}goes on with step {} ({}), the last, with the checks shown \
                 under it",
                first.number, first.title
            ),
            (Some(first), Some(last)) => format!(
                "The reset recorded in {path} {done}goes on from step {} ({}) to step {}, each with the checks \
                 shown under it",
                first.number, first.title, last.number
            ),
            _ => format!("The reset recorded in {path} has no step left to run"),
        };
        return Decision { what, problems, notes: Vec::new() };
    }
    if journal.destruction_began()
        && config.changed_options(&journal.inputs, sources) == ["vault-password-file"]
    {
        return another_vault_password_file(config, sources, journal, path);
    }
    if journal.destruction_began() {
        let problem = format!(
            "`down -v` has begun, so the reset goes on with the plan it was approved with, but {}: drop them, \
             or give the recorded values",
            changed.join("; ")
        );
        return Decision {
            what: format!("The reset recorded in {path} goes on only with its approved plan"),
            problems: vec![Problem::new(Kind::Resume, problem)],
            notes: Vec::new(),
        };
    }
    // Nothing is lost yet: plan again with the corrected options, preflight and all.
    ui.say("Checking the manager again before anything changes ...");
    // The archive the operator named, kept aside by step 2 as it bore today's name, goes back
    // under that name, so that the plan made again reads the archive that was named.
    if journal.plan.restore.as_ref().and_then(|r| r.kept_as.as_ref()).is_some_and(|kept| kept.exists()) {
        runner.note(&crate::run::steps::rollback::clear_the_way(&journal.plan, journal, "verified"));
    }
    let mut config = config.with_recorded(&journal.inputs, sources);
    trust::resolve_paths(&mut config);
    let Survey { inputs, problems, notes } =
        preflight::survey(&config, journal.inputs.facts.date, runner, Some(path));
    journal.replan(inputs);
    let what = format!(
        "The reset recorded in {path} is planned again with {}; it starts again from step 1",
        changed.join("; ").replace(" is not the recorded ", " instead of ")
    );
    Decision { what, problems, notes }
}

/// What a resume does, in a sentence; what would refuse it; what preflight set aside, for the log.
struct Decision {
    what: String,
    problems: Vec<Problem>,
    notes: Vec<String>,
}

/// After `down -v`, the one option a resume may change: how the vault password reaches osism,
/// which deletes nothing (a run whose terminal hung up before the vault step goes on with the
/// password in a file). The plan is made again with it, and must differ from the approved one
/// in the vault step's input alone.
fn another_vault_password_file(
    config: &Config,
    sources: &Sources,
    journal: &mut Journal,
    path: &Utf8Path,
) -> Decision {
    let option = sources.name("vault-password-file");
    let mut problems: Vec<Problem> = config
        .options
        .vault_password_file
        .iter()
        .filter_map(|file| {
            trust::password_file_problem(
                file,
                &option,
                &config.options.project_directory,
                crate::host::files::users::euid(),
            )
        })
        .map(|problem| Problem::new(Kind::Vault, problem))
        .collect();
    let mut inputs = journal.inputs.clone();
    inputs.options.vault_password_file = config.options.vault_password_file.clone();
    let plan = crate::plan::build(&inputs);
    let mut same = plan.clone();
    for (step, approved) in same.steps.iter_mut().zip(&journal.plan.steps) {
        if step.kind == StepKind::SetVaultPassword && approved.kind == step.kind {
            step.commands = approved.commands.clone();
            step.before = approved.before.clone();
        }
    }
    if same != journal.plan {
        problems.push(Problem::new(
            Kind::Resume,
            format!(
                "`down -v` has begun, and with {option} the plan would differ from the approved one beyond the \
                 vault step: drop it"
            ),
        ));
        let what = format!("The reset recorded in {path} goes on only with its approved plan");
        return Decision { what, problems, notes: Vec::new() };
    }
    let from = journal.first_unfinished().unwrap_or(journal.plan.steps.len());
    problems.extend(privacy_problems(journal, path, from));
    let reads = config
        .options
        .vault_password_file
        .as_ref()
        .map_or_else(|| "osism's prompt".to_owned(), |f| f.to_string());
    journal.inputs = inputs;
    journal.plan = plan;
    let what = match journal.plan.steps.get(from) {
        Some(first) => format!(
            "The reset recorded in {path} goes on from step {} ({}), its vault step reading the password from \
             {reads}",
            first.number, first.title
        ),
        None => format!("The reset recorded in {path} has no step left to run"),
    };
    Decision { what, problems, notes: Vec::new() }
}

/// The archive `--restore-from` named no longer has the sha256 the plan was approved with, and
/// step 5 has yet to restore it: the resume would restore another file than was approved.
fn restore_source_changed(journal: &Journal, from: usize) -> Option<String> {
    let plan = &journal.plan;
    let restore = plan.restore.as_ref()?;
    let restore_step = plan.steps.iter().position(|s| s.kind == StepKind::RestoreShare)?;
    if from > restore_step {
        return None;
    }
    crate::run::preflight::rescue::still_approved(restore, restore.on_disk())
        .err()
        .map(|error| format!("{error:#}"))
}

/// The privacy checks of a fresh run, made again for what the steps left to run use: the
/// state directory, the backup directory (the journal's), the archive `--restore-from` named, the vault password
/// file. That they passed when the reset began is no proof: directories change hands.
fn privacy_problems(journal: &Journal, path: &Utf8Path, from: usize) -> Vec<Problem> {
    let plan = &journal.plan;
    let project = &plan.project_directory;
    let euid = crate::host::files::users::euid();
    let left = |kind: StepKind| plan.steps[from..].iter().any(|s| s.kind == kind);
    let of = |kind: Kind| move |text: String| Problem::new(kind, text);
    let mut problems: Vec<Problem> =
        registry::state_problems(project, euid).into_iter().map(of(Kind::StateDir)).collect();
    problems.extend(
        path.parent().and_then(|dir| trust::backup_dir_problem(dir, project, euid)).map(of(Kind::BackupDir)),
    );
    if left(StepKind::RestoreShare) {
        // Where step 2 kept it aside, as it bore today's name, that copy is the one restored.
        let named = plan.restore.as_ref().map(|restore| restore.on_disk());
        problems.extend(
            named
                .and_then(|file| crate::run::preflight::rescue::file_problem(file, project, euid))
                .map(of(Kind::RestoreFrom)),
        );
    }
    if left(StepKind::SetVaultPassword) {
        let file = plan.vault_password_file();
        problems.extend(
            file.and_then(|f| trust::password_file_problem(f, "--vault-password-file", project, euid))
                .map(of(Kind::Vault)),
        );
    }
    problems
}

/// The numbers of the steps the journal's reset has done.
fn done_steps(journal: &Journal) -> Vec<usize> {
    journal
        .steps
        .iter()
        .filter(|s| s.state == crate::run::record::journal::State::Done)
        .map(|s| s.number)
        .collect()
}

/// Whether this user may read `path`.
fn is_readable(path: &Utf8Path) -> bool {
    std::fs::File::open(path).is_ok()
}
