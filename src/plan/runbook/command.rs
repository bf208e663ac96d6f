//! A command of the plan: its argv, the line the operator reads (pasted into a shell, it runs
//! the same command), and where its standard input comes from.

use camino::Utf8PathBuf;
use serde::{Deserialize, Serialize};

use crate::plan::runbook::quote;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Command {
    pub argv: Vec<String>,
    /// `argv` shell-quoted, with its redirection: pasted into a shell, it runs the same command.
    pub display: String,
    #[serde(default, skip_serializing_if = "Stdin::is_null")]
    pub stdin: Stdin,
}

/// Where a command's standard input comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "from", content = "path")]
pub enum Stdin {
    /// Nothing: no command of the runbook reads its input.
    #[default]
    Null,
    /// A file, opened by the tool and handed over; the tool never reads it.
    File(Utf8PathBuf),
    /// The operator's terminal, for a prompt of the command's own.
    Terminal,
}

impl Stdin {
    fn is_null(&self) -> bool {
        *self == Stdin::Null
    }
}

impl Command {
    /// Whether this is sudo's own command (`sudo -v`), not one that runs through sudo.
    pub fn is_sudo_password(&self) -> bool {
        self.argv.iter().map(String::as_str).eq(["sudo", "-v"])
    }

    /// Whether this is the unit's pull of the project's images (`docker compose ... pull`).
    pub fn is_unit_pull(&self) -> bool {
        self.argv.last().is_some_and(|w| w == "pull") && self.argv.iter().any(|w| w == "compose")
    }

    pub(crate) fn new<S: Into<String>>(argv: impl IntoIterator<Item = S>) -> Command {
        Command::with_stdin(argv, Stdin::Null)
    }

    pub(crate) fn with_stdin<S: Into<String>>(argv: impl IntoIterator<Item = S>, stdin: Stdin) -> Command {
        let argv: Vec<String> = argv.into_iter().map(Into::into).collect();
        let mut display = quote::join(&argv);
        if let Stdin::File(path) = &stdin {
            display = format!("{display} < {}", quote::join(&[path.to_string()]));
        }
        Command { display, argv, stdin }
    }
}
