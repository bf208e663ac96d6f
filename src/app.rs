//! The run from argv to exit code: parse, check, plan, then show the plan, run it, or resume it.
//!
//! The mode is decided here once. The dry run and the real run build the plan the same way and
//! print it through the same renderer; only the real run takes the lock, refuses on preflight
//! problems, asks for consent, and hands the plan to the executor.

use std::ffi::OsString;
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;
use time::Date;

use crate::cli::{self, Args, Output, Sources};
use crate::config::Config;
use crate::exec::Runner;
use crate::inspect::Host;
use crate::journal::Journal;
use crate::outcome::{Code, Failure, OrExit};
use crate::plan::{self, Facts, Inputs, Plan};
use crate::reset::Reset;
use crate::transcript::Transcript;
use crate::ui::{Event, Ui};
use crate::{confirm, generate, lock, out, plugin, preflight, registry, render, signals, verify};

/// Runs the tool. `today` is read by `main` before any thread exists (see `main.rs`).
pub fn main(today: Date, argv: impl IntoIterator<Item = OsString>) -> ExitCode {
    let argv: Vec<OsString> = argv.into_iter().collect();
    // NO_COLOR wins over everything, CLICOLOR_FORCE included (https://no-color.org); decided
    // before parsing, as help and usage errors are printed from there.
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        console::set_colors_enabled(false);
        console::set_colors_enabled_stderr(false);
    }
    let (args, sources) = match cli::parse(argv.iter().cloned()) {
        Ok(parsed) => parsed,
        Err(stop) => return stopped(&stop, cli::wants_json(&argv)),
    };
    let json = args.output == Output::Json;
    match run(today, args, &sources) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            out::line_err(&format!("{} {failure}", console::style("error:").for_stderr().red().bold()));
            if json {
                let error = failure.to_string();
                Ui::new(json).event(&Event::Failed { exit_code: failure.code as u8, error: &error });
            }
            failure.exit_code()
        }
    }
}

/// Ends the run where parsing stopped it: help and version on stdout (exit 0), a usage error on
/// stderr (exit 2), followed by a `failed` event when JSON output was asked for.
fn stopped(stop: &cli::Stop, json: bool) -> ExitCode {
    // console's verdict: a terminal (or CLICOLOR_FORCE), and not NO_COLOR.
    if stop.exit_code == 0 {
        out::text(if console::colors_enabled() { &stop.styled } else { &stop.text });
        return ExitCode::SUCCESS;
    }
    out::text_err(if console::colors_enabled_stderr() { &stop.styled } else { &stop.text });
    if json {
        let error = stop.text.lines().next().unwrap_or_default().trim_start_matches("error: ");
        Ui::new(json).event(&Event::Failed { exit_code: Code::Refused as u8, error });
    }
    ExitCode::from(Code::Refused as u8)
}

fn run(today: Date, args: Args, sources: &Sources) -> Result<(), Failure> {
    if args.plugin_metadata {
        out::line(&plugin::metadata_json().or_exit(Code::Refused)?);
        return Ok(());
    }
    if let Some(what) = args.generate {
        return generate::write(what, &mut std::io::stdout().lock()).or_exit(Code::Refused);
    }
    let (dry_run, resume) = (args.dry_run, args.resume);
    let config = checked_config(args, sources).or_exit(Code::Refused)?;
    let mut runner = Runner::new().or_exit(Code::Refused)?;
    if resume {
        return resume_reset(&config, sources, runner);
    }
    if dry_run {
        let (inputs, problems) = survey(&config, today, &runner);
        show(&plan::build(&inputs), &problems, config.output);
        return Ok(());
    }
    let _lock = lock::acquire(&config.project_directory)?;
    let ui = Ui::new(config.output == Output::Json);
    ui.say("Checking the manager before anything changes ...");
    let (inputs, problems) = survey(&config, today, &runner);
    let plan = plan::build(&inputs);
    // The operator approves the whole plan, commands and checks, as the dry run shows it.
    ui.say(&render::plan(&plan));
    refuse_on(&problems, &format!("preflight found {} problem(s), nothing was changed", problems.len()))?;
    confirm::confirm(&plan.project, config.yes).or_exit(Code::Refused)?;
    // From consent on, a signal stops the reset where it can be stopped cleanly.
    signals::install().or_exit(Code::Refused)?;
    // The log opens first: a journal without a log would block the next reset for nothing.
    runner.record_into(Transcript::open(&plan.log_path()).or_exit(Code::Refused)?);
    // Preflight's queries ran before there was a log to keep; what they found goes in it.
    runner.note(&format!("preflight passed:\n{}{}", render::summary(&plan), render::volumes(&plan)));
    let mut journal = Journal::create(inputs).or_exit(Code::Refused)?;
    if let Err(error) = registry::record(&journal, euid()) {
        journal.abandon();
        return Err(Failure::new(Code::Refused, error.context("nothing was changed")));
    }
    // Stopped before step 1 began: nothing to resume, and a journal would block the next reset.
    if let Some(stop) = signals::requested() {
        runner.note(&format!("stopped by {} before step 1: nothing was changed", stop.name()));
        registry::forget(&journal.plan.project_directory, journal.path());
        journal.abandon();
        return Err(Failure::new(
            Code::from(stop),
            anyhow!("stopped by {} before step 1: nothing was changed", stop.name()),
        ));
    }
    execute(&runner, &ui, &mut journal)
}

/// Continues the unfinished reset of this manager, found wherever it was started (the registry)
/// or in the backup directory, with its own plan.
fn resume_reset(config: &Config, sources: &Sources, mut runner: Runner) -> Result<(), Failure> {
    let euid = euid();
    let refused = |error: anyhow::Error| Failure::new(Code::Refused, error);
    // Before any journal is read: a reset of this manager running now may be writing one.
    let _lock = lock::acquire(&config.project_directory)?;
    let mut found =
        registry::unfinished(&config.project_directory, &config.backup_dir, euid).map_err(refused)?;
    if sources.given("backup-dir") {
        found.retain(|f| f.backup_dir() == config.backup_dir);
    }
    let unfinished = match found.as_slice() {
        [] => {
            return Err(refused(anyhow!(
                "no unfinished reset of the manager in {} is recorded in {} or in {}: nothing to resume",
                config.project_directory,
                registry::state_dir(),
                config.backup_dir
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
    let mut journal = Journal::load(path).map_err(|error| untrusted_journal(path, error))?;
    let project = &journal.plan.project_directory;
    if *project != config.project_directory {
        return Err(refused(anyhow!(
            "the reset recorded in {path} is of the manager in {project}, not {}: resume it with `{}`",
            config.project_directory,
            Journal::resume_command(unfinished.backup_dir(), project)
        )));
    }
    let changed = changed_options(&journal, config, sources);
    if !changed.is_empty() {
        return Err(refused(anyhow!(
            "the reset recorded in {path} goes on with the plan it was approved with, but {}: drop them, or \
             give the recorded values",
            changed.join("; ")
        )));
    }
    let mut problems = Vec::new();
    preflight::check_programs(euid, &Host::new(&runner), &mut problems);
    refuse_on(&problems, "cannot resume")?;
    let ui = Ui::new(config.output == Output::Json);
    let next = journal.first_unfinished().map_or(0, |i| journal.plan.steps[i].number);
    ui.say(&render::plan(&journal.plan));
    ui.say(&format!("\nResuming the reset of {} from step {next} (journal {path})", journal.plan.date));
    confirm::confirm(&journal.plan.project, config.yes).or_exit(Code::Refused)?;
    signals::install().or_exit(Code::Refused)?;
    runner.record_into(Transcript::open(&journal.plan.log_path()).or_exit(Code::Refused)?);
    // This user's record as well: the reset may have been started by another user.
    registry::record(&journal, euid).or_exit(Code::Refused)?;
    execute(&runner, &ui, &mut journal)
}

/// The options the operator gave again with `--resume` whose values are not the ones the
/// recorded plan was made from: taking them silently would show a value the reset does not use.
fn changed_options(journal: &Journal, config: &Config, sources: &Sources) -> Vec<String> {
    let recorded = &journal.inputs.options;
    let file = |f: &Option<Utf8PathBuf>| f.as_ref().map_or_else(|| "none".to_owned(), ToString::to_string);
    [
        ("project-directory", config.project_directory.to_string(), recorded.project_directory.to_string()),
        ("service", config.service.clone().unwrap_or_default(), journal.inputs.facts.service.unit.clone()),
        ("share-volume", config.share_volume.clone(), recorded.share_volume.clone()),
        ("image", config.image.clone(), recorded.image.clone()),
        (
            "health-timeout",
            config.health_timeout.as_secs().to_string(),
            recorded.health_timeout_s.to_string(),
        ),
        ("vault-password-file", file(&config.vault_password_file), file(&recorded.vault_password_file)),
    ]
    .into_iter()
    .filter(|(long, given, recorded)| sources.given(long) && given != recorded)
    .map(|(long, given, recorded)| format!("{} {given} is not the recorded {recorded}", sources.name(long)))
    .collect()
}

/// Refuses a journal that is not as the tool wrote it, saying how to finish by hand.
fn untrusted_journal(path: &Utf8Path, error: anyhow::Error) -> Failure {
    let archive = Journal::archive_beside(path).map_or_else(
        || "the archive of /share beside it".to_owned(),
        |a| {
            format!("the archive of /share, {a} (check it with `sha256sum -c {}`)", verify::checksum_path(&a))
        },
    );
    Failure::new(
        Code::Refused,
        anyhow!(
            "{error:#}: the tool runs only what it planned, so it will not resume from it. Finish the reset \
             by hand, following the runbook from the step the journal names, with {archive}"
        ),
    )
}

fn execute(runner: &Runner, ui: &Ui, journal: &mut Journal) -> Result<(), Failure> {
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

/// Refuses (exit 2) with `heading` and the list of `problems`, if there are any.
fn refuse_on(problems: &[String], heading: &str) -> Result<(), Failure> {
    if problems.is_empty() {
        return Ok(());
    }
    Err(Failure::new(Code::Refused, anyhow!("{heading}:\n{}", render::problems(problems).trim_end())))
}

fn checked_config(args: Args, sources: &Sources) -> anyhow::Result<Config> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let cwd = Utf8PathBuf::from_path_buf(cwd)
        .map_err(|cwd| anyhow!("current directory {} is not valid UTF-8", cwd.display()))?;
    Config::new(args, &cwd, sources)
}

/// Asks the host what the plan needs to know; returns the planner's inputs and the preflight
/// problems.
fn survey(config: &Config, today: Date, runner: &Runner) -> (Inputs, Vec<String>) {
    let euid = euid();
    let archive = plan::archive_path(&config.backup_dir, today);
    let terminal = confirm::at_terminal();
    let findings = preflight::inspect(config, euid, &archive, terminal, &Host::new(runner));
    let facts = Facts {
        date: today,
        euid,
        project: findings.project,
        service: findings.service,
        volumes: findings.volumes,
        vault: findings.vault,
        terminal,
    };
    (Inputs { options: config.into(), facts }, findings.problems)
}

/// The tool's effective user: root plans without sudo, and records are kept per user.
fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Whether this user may read `path`.
fn is_readable(path: &Utf8Path) -> bool {
    std::fs::File::open(path).is_ok()
}

fn show(plan: &Plan, problems: &[String], output: Output) {
    #[derive(Serialize)]
    struct DryRun<'a> {
        #[serde(flatten)]
        plan: &'a Plan,
        problems: &'a [String],
    }
    match output {
        Output::Text => {
            out::text(&render::plan(plan));
            if !problems.is_empty() {
                out::line(&format!(
                    "\nA real run would refuse to start:\n{}",
                    render::problems(problems).trim_end()
                ));
            }
        }
        Output::Json => {
            let json =
                serde_json::to_string_pretty(&DryRun { plan, problems }).expect("a plan always serializes");
            out::line(&json);
        }
    }
}
