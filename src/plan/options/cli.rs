//! The command line: every flag defined once, with its environment fallback and help; those
//! that decide the mode and the output here, those that shape the plan in `record`'s `Options`,
//! which `Args` flattens.
//!
//! Nothing here touches the system; `config` turns the parsed flags into a checked `Config`.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::error::ContextKind;
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, ValueEnum};

use crate::plan::options::record::{Options, boolish};

/// Reset a broken OSISM manager the runbook's way, without ever losing /share.
#[derive(Debug, Parser)]
#[command(
    name = "osism-manager-reset",
    group = clap::ArgGroup::new("dry_runs").args(["dry_run", "save_plan"]).multiple(true),
    version,
    about = "Reset a broken OSISM manager the runbook's way, without ever losing /share",
    long_about = "Reset a broken OSISM manager by the runbook's eight commands: stop the \
manager service, back up the /share volume, `docker compose down -v`, start the service, restore \
/share, wait until the manager is healthy, rebuild inventory and facts. Unless \
environments/.vault_pass in the configuration repository serves osism's runs, one step the \
runbook lacks sets the Ansible vault password again before the facts are rebuilt (from \
--vault-password-file, else at osism's own prompt), whether or not one is set now. Every archived \
entry of /share is checked after the backup and after the restore. Run it on the manager host \
(not in the osismclient container, which step 1 stops).",
    after_help = after_help()
)]
pub struct Args {
    /// Show the plan (every step and command) and what preflight finds; change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Run without asking for confirmation (needed when there is no terminal). The environment
    /// variable takes 1/0, true/false, yes/no, on/off.
    #[arg(long, short = 'y', env = "OSISM_MANAGER_RESET_YES", value_parser = boolish)]
    pub yes: bool,

    /// Continue this manager's unfinished reset, found from any directory: same plan, same date,
    /// from the step that did not finish. Until step 3 (down -v) begins, options given replace
    /// the recorded ones and the reset is planned again from step 1; after, they must have their
    /// recorded values, but --vault-password-file, which deletes nothing.
    #[arg(long)]
    pub resume: bool,

    /// With the dry run: also write the plan to FILE (mode 0600; paths, never a secret), for a
    /// later run to apply with --plan once it is approved. Implies --dry-run.
    #[arg(long, value_name = "FILE", conflicts_with = "resume")]
    pub save_plan: Option<PathBuf>,

    /// Run the plan saved in FILE, with its options, only if the plan made now from them and
    /// from the host as it is now is the same; any difference refuses (exit 2), listing it.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["dry_run", "resume", "save_plan"])]
    pub plan: Option<PathBuf>,

    /// With the dry run: exit 2 when a real run would refuse to start, 0 when it would start (for
    /// a pipeline's plan stage, as terraform plan -detailed-exitcode).
    #[arg(long, requires = "dry_runs")]
    pub detailed_exitcode: bool,

    /// Output format: text, or JSON (the dry run's plan as one document; a run's events, one
    /// per line, with human text on stderr).
    #[arg(long, value_enum, default_value_t = Output::Text, env = "OSISM_MANAGER_RESET_OUTPUT")]
    pub output: Output,

    // The options that shape the plan, each defined once (`record`).
    #[command(flatten)]
    pub options: Options,

    /// Print this plugin's manifest (plugin.toml) as JSON, for the osism wrapper and tooling,
    /// and exit.
    #[arg(long)]
    pub plugin_metadata: bool,

    /// As root, where the Debian package is installed: make `osism manager reset` run this tool,
    /// by linking /usr/local/sbin/osism to the plugin dispatcher, and check for root, the
    /// operator and sudo that `osism` finds it; then exit (1 if a check failed, saying what to do).
    #[arg(long, conflicts_with = "disable_osism_command")]
    pub enable_osism_command: bool,

    /// As root: remove the link --enable-osism-command made, and exit.
    #[arg(long)]
    pub disable_osism_command: bool,

    /// The operator user whose `osism` --enable-osism-command checks [default: who ran sudo,
    /// else the owner of /opt/manager]
    #[arg(long, value_name = "USER", requires = "enable_osism_command")]
    pub operator: Option<String>,

    /// Print the man page or a shell completion script, made from these very options, and exit.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub generate: Option<Generate>,
}

/// Which options took their value from their environment variable, so that a message about
/// one names what the operator actually set.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    /// `(long option, environment variable)` of each option set through the environment.
    from_env: Vec<(String, String)>,
    /// Long names of the options the operator set, on the command line or in the environment.
    given: Vec<String>,
}

impl Sources {
    /// Whether the operator set `--LONG`, rather than leaving it to its default.
    pub fn given(&self, long: &str) -> bool {
        self.given.iter().any(|g| g == long)
    }

    /// `--LONG`, or the environment variable that set it, for messages.
    pub fn name(&self, long: &str) -> String {
        match self.from_env.iter().find(|(l, _)| l == long) {
            Some((_, env)) => format!("{env} (--{long})"),
            None => format!("--{long}"),
        }
    }
}

/// Why parsing ended the run: help or version (exit 0), or a usage error (exit 2).
#[derive(Debug)]
pub struct Ended {
    pub exit_code: i32,
    /// What clap prints, with an environment variable named where one caused the error.
    pub text: String,
    /// `text` with its styles, for a terminal.
    pub styled: String,
}

/// Parses argv and the environment into flags, noting which came from the environment.
pub fn parse(argv: impl IntoIterator<Item = OsString>) -> Result<(Args, Sources), Ended> {
    let argv: Vec<OsString> = argv.into_iter().collect();
    let stop = |error: clap::Error| {
        let (text, styled) = match env_cause(&error, &argv) {
            Some((shown, env)) => {
                let blame = format!("{shown}' (set by the environment variable {env})");
                let text = error.render().to_string().replacen(&format!("{shown}'"), &blame, 1);
                (text.clone(), text)
            }
            None => (error.render().to_string(), error.render().ansi().to_string()),
        };
        Ended { exit_code: error.exit_code(), text, styled }
    };
    let mut matches = Args::command().try_get_matches_from(&argv).map_err(stop)?;
    // Asked before the values are taken out of `matches`, which forgets their sources then.
    let source = |arg: &clap::Arg| matches.value_source(arg.get_id().as_str());
    let from_env = Args::command()
        .get_arguments()
        .filter(|arg| source(arg) == Some(ValueSource::EnvVariable))
        .filter_map(|arg| Some((arg.get_long()?.to_owned(), arg.get_env()?.to_string_lossy().into_owned())))
        .collect();
    let given = Args::command()
        .get_arguments()
        .filter(|arg| matches!(source(arg), Some(ValueSource::CommandLine | ValueSource::EnvVariable)))
        .filter_map(|arg| Some(arg.get_long()?.to_owned()))
        .collect();
    let args = Args::from_arg_matches_mut(&mut matches).map_err(stop)?;
    Ok((args, Sources { from_env, given }))
}

/// The option as clap shows it and its environment variable, when an invalid value came from
/// that variable rather than from argv.
fn env_cause(error: &clap::Error, argv: &[OsString]) -> Option<(String, String)> {
    let clap::error::ContextValue::String(shown) = error.get(ContextKind::InvalidArg)? else { return None };
    let long = shown.strip_prefix("--")?.split([' ', '=']).next()?;
    let command = Args::command();
    let arg = command.get_arguments().find(|a| a.get_long() == Some(long))?;
    let given = argv.iter().skip(1).filter_map(|a| a.to_str()).any(|a| {
        a == format!("--{long}")
            || a.starts_with(&format!("--{long}="))
            || arg
                .get_short()
                .is_some_and(|short| a.starts_with('-') && !a.starts_with("--") && a.contains(short))
    });
    (!given).then(|| Some((shown.clone(), arg.get_env()?.to_string_lossy().into_owned()))).flatten()
}

/// Whether argv or the environment ask for JSON output, read without clap: for reporting a
/// usage error as a JSON event when clap refused the arguments.
pub fn wants_json(argv: &[OsString]) -> bool {
    let mut from_argv = None;
    let mut words = argv.iter().skip(1).filter_map(|a| a.to_str());
    while let Some(word) = words.next() {
        match word.strip_prefix("--output") {
            Some("") => from_argv = words.next().map(|v| v == "json"),
            Some(value) if value.starts_with('=') => from_argv = Some(value == "=json"),
            _ => {}
        }
    }
    from_argv.unwrap_or_else(|| std::env::var("OSISM_MANAGER_RESET_OUTPUT").is_ok_and(|v| v == "json"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Generate {
    Man,
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Text,
    Json,
}

/// The examples, the exit codes (`manual`'s) and how signals stop a reset, after the options.
fn after_help() -> String {
    let (examples, signals) = AFTER_HELP.split_once("\n\n").expect("examples, then signals");
    format!("{examples}\n\n{}\n{signals}", crate::plan::options::manual::exit_codes_help())
}

const AFTER_HELP: &str = "\
Examples (`osism manager reset` is the same, where the plugin dispatcher is enabled):
  By hand, on the manager host:
    osism-manager-reset --dry-run        read the plan
    osism-manager-reset                  run it, confirming with the project's name
  In a CI pipeline:
    osism-manager-reset --yes --output json
  After a failure, from any directory:
    osism-manager-reset --resume --dry-run   see what it would do
    osism-manager-reset --resume
  A pipeline: plan, approve, apply (docs/pipelines.md):
    osism-manager-reset --save-plan FILE --detailed-exitcode --output json
    osism-manager-reset --plan FILE --yes --output json
  /share back from an earlier archive (see the README's Rescue):
    osism-manager-reset --restore-from ARCHIVE --dry-run

Signals: a hang-up (SIGHUP) does not stop a reset. The first Ctrl-C lets the running command
finish and stops before the next; the first SIGTERM gives it five seconds; a second one stops
it at once. Stopped before down -v, the reset starts the manager again.";
