//! The run from argv to exit code: parse, check, plan, then show the plan, run it, or resume it.
//!
//! The mode is decided once (`plan::mode`), and `run` is one `match` over it. The dry run and
//! the real run build the plan the same way and print it through the same renderer; only the
//! real run takes the lock, and ends as a resume does (`run::approval`): refused on problems,
//! agreed to, handed to the executor.

pub mod generate;
pub(crate) mod osism_command;
pub(crate) mod plugin;
pub(crate) mod saved;

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use camino::Utf8PathBuf;
use time::Date;

use crate::host::process::exec::Runner;
use crate::host::process::signals;
use crate::plan;
use crate::plan::cli::{self, Args, Output, Sources};
use crate::plan::config::Config;
use crate::plan::mode::Mode;
use crate::run::approval::{self, Proposal};
use crate::run::preflight::{self, Survey};
use crate::run::record::journal::Journal;
use crate::run::record::lock;
use crate::run::record::registry;
use crate::run::resume;
use crate::view::outcome::{Code, Failure, OrExit};
use crate::view::plan_text::render;
use crate::view::preview;
use crate::view::print;
use crate::view::ui::{Event, Ui};

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
            print::line_err(&format!("{} {failure}", console::style("error:").for_stderr().red().bold()));
            if json && failure.event {
                let error = failure.to_string();
                let (cause, follow) =
                    failure.cause.as_ref().map_or((None, None), |cause| (Some(cause.kind()), cause.follow()));
                Ui::new(json).event(&Event::Failed {
                    exit_code: failure.code as u8,
                    error: &error,
                    cause,
                    follow,
                    differences: &failure.differences,
                });
            }
            failure.exit_code()
        }
    }
}

/// Ends the run where parsing stopped it: help and version on stdout (exit 0), a usage error on
/// stderr (exit 2), followed by a `failed` event when JSON output was asked for.
fn stopped(stop: &cli::Ended, json: bool) -> ExitCode {
    // console's verdict: a terminal (or CLICOLOR_FORCE), and not NO_COLOR.
    if stop.exit_code == 0 {
        print::text(if console::colors_enabled() { &stop.styled } else { &stop.text });
        return ExitCode::SUCCESS;
    }
    print::text_err(if console::colors_enabled_stderr() { &stop.styled } else { &stop.text });
    if json {
        let error = stop.text.lines().next().unwrap_or_default().trim_start_matches("error: ");
        Ui::new(json).event(&Event::Failed {
            exit_code: Code::Refused as u8,
            error,
            cause: None,
            follow: None,
            differences: &[],
        });
    }
    ExitCode::from(Code::Refused as u8)
}

fn run(today: Date, args: Args, sources: &Sources) -> Result<(), Failure> {
    match Mode::of(&args) {
        Mode::PluginMetadata => {
            print::line(&plugin::metadata_json().or_exit(Code::Refused)?);
            Ok(())
        }
        Mode::Generate(what) => generate::write(what, &mut std::io::stdout().lock()).or_exit(Code::Refused),
        Mode::DisableOsismCommand => osism_command::disable().or_exit(Code::Refused),
        Mode::EnableOsismCommand { operator } => {
            let runner = Runner::new().or_exit(Code::Refused)?;
            let all = osism_command::enable(&runner, operator.as_deref()).or_exit(Code::Refused)?;
            if all {
                Ok(())
            } else {
                Err(Failure::new(
                    Code::StepFailed,
                    anyhow!("`osism` does not run the dispatcher for every user"),
                ))
            }
        }
        Mode::Plan { save, detailed_exitcode } => {
            let config = checked_config(args, sources).or_exit(Code::Refused)?;
            dry_run(today, &config, save.as_deref(), detailed_exitcode)
        }
        Mode::Apply { saved } => {
            let config = checked_config(args, sources).or_exit(Code::Refused)?;
            apply(today, config, sources, saved.as_deref())
        }
        Mode::Resume { look_only } => {
            let config = checked_config(args, sources).or_exit(Code::Refused)?;
            let runner = Runner::new().or_exit(Code::Refused)?;
            if look_only {
                resume::look(&config, sources, runner)
            } else {
                resume::resume(&config, sources, runner)
            }
        }
    }
}

/// The dry run: the plan and what preflight finds, saved to `save` where asked; nothing changes.
fn dry_run(
    today: Date,
    config: &Config,
    save: Option<&Path>,
    detailed_exitcode: bool,
) -> Result<(), Failure> {
    let runner = Runner::new().or_exit(Code::Refused)?;
    let Survey { inputs, problems, .. } = preflight::survey(config, today, &runner, None);
    let plan = plan::build(&inputs);
    if let Some(file) = save {
        saved::save(&saved::path(file)?, inputs.clone(), &plan)?;
    }
    preview::plan(&plan, None, &problems, config.output);
    if detailed_exitcode && !problems.is_empty() {
        let error =
            anyhow!("a real run would refuse to start: preflight found {} problem(s)", problems.len());
        return Err(Failure::new(Code::Refused, error).without_event());
    }
    Ok(())
}

/// The real run: preflight again under the lock, the plan approved (and, from a saved plan,
/// found to be the one saved), then run.
fn apply(today: Date, config: Config, sources: &Sources, saved_file: Option<&Path>) -> Result<(), Failure> {
    let saved = match saved_file {
        Some(file) => Some(saved::load(&saved::path(file)?, &config.options.project_directory)?),
        None => None,
    };
    // A saved plan runs with its own options.
    let config = match &saved {
        Some((_, saved)) => {
            saved::refuse_changed(&config, saved, sources)?;
            let mut config = config.with_recorded(&saved.inputs, sources);
            crate::host::files::trust::resolve_paths(&mut config);
            config
        }
        None => config,
    };
    let runner = Runner::new().or_exit(Code::Refused)?;
    let _lock = lock::acquire(&config.options.project_directory)?;
    let ui = Ui::new(config.output == Output::Json);
    ui.say("Checking the manager before anything changes ...");
    let Survey { inputs, problems, notes } = preflight::survey(&config, today, &runner, None);
    let plan = plan::build(&inputs);
    if let Some((file, saved)) = &saved {
        saved::matches(file, saved, &plan)?;
    }
    let heading = format!("preflight found {} problem(s), nothing was changed", problems.len());
    let proposal = Proposal { plan: &plan, resume: None, problems: &problems, notes: &notes, heading };
    approval::approve_and_run(runner, &ui, &config, proposal, |runner| {
        // Preflight's queries ran before there was a log to keep; what they found goes in it.
        runner.note(&format!(
            "preflight passed:\n{}{}",
            render::summary(&plan),
            crate::view::plan_text::volumes::deleted(&plan)
        ));
        let journal = Journal::create(inputs).or_exit(Code::Refused)?;
        if let Err(error) = registry::record(&journal, crate::host::files::users::euid()) {
            journal.abandon();
            return Err(Failure::new(Code::Refused, error.context("nothing was changed")));
        }
        // Stopped before step 1 began: nothing to resume, and a journal would block the next reset.
        if let Some(stop) = signals::requested() {
            let stopped = format!("stopped by {} before step 1: nothing was changed", stop.name());
            runner.note(&stopped);
            registry::forget(&journal.plan.project_directory, journal.path());
            journal.abandon();
            return Err(Failure::new(Code::from(stop), anyhow!("{stopped}")));
        }
        Ok(journal)
    })
}

fn checked_config(args: Args, sources: &Sources) -> anyhow::Result<Config> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let cwd = Utf8PathBuf::from_path_buf(cwd)
        .map_err(|cwd| anyhow!("current directory {} is not valid UTF-8", cwd.display()))?;
    let mut config = Config::new(args, &cwd, sources)?;
    crate::host::files::trust::resolve_paths(&mut config);
    Ok(config)
}
