//! The run from argv to exit code: parse, check, plan, then either show or run the plan.
//!
//! The mode is decided here once; the dry run and the real run share the plan and the renderer.

use std::ffi::OsString;
use std::process::ExitCode;

use anyhow::{Context, ensure};
use camino::Utf8PathBuf;
use clap::Parser;
use time::Date;

use crate::cli::{Args, Output};
use crate::config::Config;
use crate::outcome::{Code, Failure, OrExit};
use crate::plan::{self, Facts, Plan, Service};
use crate::{confirm, render, reset};

/// The runbook's unit, used unless told or detected otherwise.
pub const RUNBOOK_UNIT: &str = "docker-compose@manager.service";

/// Runs the tool. `today` is read by `main` before any thread exists (see `main.rs`).
pub fn main(today: Date, argv: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args = match Args::try_parse_from(argv) {
        Ok(args) => args,
        Err(error) => {
            let _ = error.print();
            // clap exits 0 for --help and --version and 2 for usage errors, as documented.
            return ExitCode::from(error.exit_code() as u8);
        }
    };
    match run(today, args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{} {failure}", console::style("error:").red().bold());
            failure.exit_code()
        }
    }
}

fn run(today: Date, args: Args) -> Result<(), Failure> {
    let dry_run = args.dry_run;
    let config = checked_config(args).or_exit(Code::Refused)?;
    let plan = plan::build(&config, &facts(&config, today));
    if dry_run {
        show(&plan, config.output);
        return Ok(());
    }
    confirm::confirm(&plan.project, config.yes).or_exit(Code::Refused)?;
    reset::run(&plan)
}

fn checked_config(args: Args) -> anyhow::Result<Config> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let cwd = Utf8PathBuf::from_path_buf(cwd)
        .map_err(|cwd| anyhow::anyhow!("current directory {} is not valid UTF-8", cwd.display()))?;
    let config = Config::new(args, &cwd)?;
    let dir = &config.backup_dir;
    ensure!(
        dir.exists(),
        "backup directory {dir} does not exist: create it or pick another with --backup-dir"
    );
    ensure!(dir.is_dir(), "backup directory {dir} is not a directory: pick one with --backup-dir");
    Ok(config)
}

fn facts(config: &Config, date: Date) -> Facts {
    let service = match &config.service {
        Some(unit) => Service { unit: unit.clone(), reason: "given by --service".into() },
        None => Service { unit: RUNBOOK_UNIT.into(), reason: "the runbook's unit".into() },
    };
    Facts {
        date,
        euid: rustix::process::geteuid().as_raw(),
        project: default_project_name(config.project_directory.file_name().unwrap_or_default()),
        service,
    }
}

/// Compose's default project name: the directory's name, lowercased, with only `[a-z0-9_-]`.
fn default_project_name(dir_name: &str) -> String {
    dir_name.to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect()
}

fn show(plan: &Plan, output: Output) {
    match output {
        Output::Text => print!("{}", render::plan(plan)),
        Output::Json => println!("{}", serde_json::to_string_pretty(plan).expect("a plan always serializes")),
    }
}
