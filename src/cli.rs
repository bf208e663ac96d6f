//! The command line: every flag is defined here once, with its environment fallback and help.
//!
//! Nothing here touches the system; `config` turns the parsed flags into a checked `Config`.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// Reset a broken OSISM manager the runbook's way, without ever losing /share.
#[derive(Debug, Parser)]
#[command(
    name = "osism-manager-reset",
    version,
    about = "Reset a broken OSISM manager the runbook's way, without ever losing /share",
    long_about = "Reset a broken OSISM manager by the runbook's eight commands: stop the \
manager service, back up the /share volume, `docker compose down -v`, start the service, restore \
/share, wait until the manager is healthy, rebuild inventory and facts. Where a vault password \
is set, one step the runbook lacks sets it again before the facts are rebuilt. Every archived \
entry of /share is checked after the backup and after the restore. Run it on the manager host \
(not in the osismclient container, which step 1 stops).",
    after_help = AFTER_HELP
)]
pub struct Args {
    /// Show the plan (every step and command) and what preflight finds; change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Run without asking for confirmation (needed when there is no terminal).
    #[arg(long, short = 'y', env = "OSISM_MANAGER_RESET_YES")]
    pub yes: bool,

    /// Continue an interrupted reset from the journal in the backup directory: same plan, same
    /// date, from the step that did not finish.
    #[arg(long, conflicts_with = "dry_run")]
    pub resume: bool,

    /// Output format: text, or JSON (the dry run's plan as one document; a run's events, one
    /// per line, with human text on stderr).
    #[arg(long, value_enum, default_value_t = Output::Text, env = "OSISM_MANAGER_RESET_OUTPUT")]
    pub output: Output,

    /// Compose project directory of the manager.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "/opt/manager",
        env = "OSISM_MANAGER_RESET_PROJECT_DIRECTORY"
    )]
    pub project_directory: PathBuf,

    /// systemd unit of the manager [default: detected, docker-compose@manager.service or
    /// manager.service]
    #[arg(long, value_name = "UNIT", env = "OSISM_MANAGER_RESET_SERVICE")]
    pub service: Option<String>,

    /// Docker volume mounted at /share in the manager.
    #[arg(
        long,
        value_name = "VOLUME",
        default_value = "manager_share",
        env = "OSISM_MANAGER_RESET_SHARE_VOLUME"
    )]
    pub share_volume: String,

    /// Directory for the archive, its checksum, the journal and the log [default: current
    /// directory]
    #[arg(long, value_name = "DIR", env = "OSISM_MANAGER_RESET_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,

    /// Image whose tar makes and restores the archive.
    #[arg(long, value_name = "IMAGE", default_value = "busybox", env = "OSISM_MANAGER_RESET_IMAGE")]
    pub image: String,

    /// Seconds the reset waits for the started manager: for Compose to create the share volume
    /// before step 5, and for every container to be running and healthy in step 6.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 1000,
        value_parser = clap::value_parser!(u64).range(1..),
        env = "OSISM_MANAGER_RESET_HEALTH_TIMEOUT"
    )]
    pub health_timeout: u64,

    /// File holding the Ansible vault password (mode 0600 or stricter). `down -v` empties the
    /// manager's Redis, which held it: the reset pipes this file into `osism set vault password`
    /// after step 6. Without it, osism's own prompt asks on a terminal.
    #[arg(long, value_name = "FILE", env = "OSISM_MANAGER_RESET_VAULT_PASSWORD_FILE")]
    pub vault_password_file: Option<PathBuf>,

    /// Print this plugin's manifest (plugin.toml) as JSON, for the osism wrapper and tooling,
    /// and exit.
    #[arg(long)]
    pub plugin_metadata: bool,

    /// Print the man page or a shell completion script, made from these very options, and exit.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub generate: Option<Generate>,
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

const AFTER_HELP: &str = "\
Examples:
  By hand, on the manager host:
    osism manager reset --dry-run        read the plan
    osism manager reset                  run it, confirming with the project's name
  In a CI pipeline:
    osism manager reset --yes --output json
  After a failure:
    osism manager reset --resume --backup-dir DIR

Exit codes:
  0    the reset finished (or the dry run was shown)
  1    a step failed; the archive is kept, resume with --resume
  2    refused before changing anything (bad input, failed preflight, no confirmation,
       an unfinished reset to resume first, a journal not as the tool wrote it)
  3    another reset of this manager, or from this backup directory, is running
  130  stopped by Ctrl-C (SIGINT) between commands; resume with --resume
  143  stopped by SIGTERM between commands; resume with --resume

Signals: a hang-up (SIGHUP) does not stop a reset. The first Ctrl-C or SIGTERM lets the running
command finish and stops before the next; a second one stops the running command at once.";
