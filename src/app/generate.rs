//! The man page and the shell completions, made from the clap definition in `cli`, so that
//! they always list exactly the options the binary takes, and the environment variables.

use std::io::Write;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;
use roff::{Roff, bold, roman};

use crate::plan::cli::{Args, Generate};
use crate::plan::manual;

/// Variables the tool reads besides its options' own.
const OTHER_VARIABLES: [(&str, &str); 5] = [
    (
        crate::run::record::registry::STATE_DIR_VARIABLE,
        "where unfinished resets are recorded, for runs from any directory and user (default /var/tmp/osism-manager-reset)",
    ),
    ("NO_COLOR", "when set and not empty, no colour, whatever else asks for it"),
    ("CLICOLOR_FORCE", "when set, colour even where the output is no terminal"),
    ("TZ", "the time zone of the archive's date, as for date(1)"),
    ("COLUMNS", "the width the plan's command lines are broken at (default: the terminal's; none elsewhere)"),
];

pub fn write(what: Generate, out: &mut impl Write) -> Result<()> {
    let mut command = Args::command();
    let name = command.get_name().to_owned();
    let shell = match what {
        Generate::Man => return man(out).context("cannot write the man page"),
        Generate::Bash => Shell::Bash,
        Generate::Zsh => Shell::Zsh,
        Generate::Fish => Shell::Fish,
    };
    clap_complete::generate(shell, &mut command, name, out);
    Ok(())
}

/// Every option with its value's name, as `--save-plan FILE`.
fn synopsis(command: &clap::Command) -> Roff {
    let mut roff = Roff::default();
    roff.control("SH", ["SYNOPSIS"]);
    let mut line = vec![bold(command.get_name().to_owned())];
    for arg in command.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        line.push(roman(" ["));
        line.push(bold(format!("--{long}")));
        if arg.get_action().takes_values() {
            let names = arg.get_value_names().map(|n| n.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            let name = names.unwrap_or_else(|| vec![arg.get_id().as_str().to_uppercase()]).join(" ");
            line.push(roman(" "));
            line.push(roff::italic(name));
        }
        line.push(roman("]"));
    }
    roff.text(line);
    roff
}

/// EXAMPLES and SIGNALS as `--help` ends, then EXIT STATUS, FILES and SEE ALSO from `manual`.
fn sections(roff: &mut Roff) {
    let help = Args::command().get_after_help().map(|h| h.to_string()).unwrap_or_default();
    let (examples, rest) = help.split_once("\n\nExit codes:").unwrap_or((&help, ""));
    let signals = rest.split_once("\n\nSignals: ").map_or("", |(_, s)| s);
    roff.control("SH", ["EXAMPLES"]);
    roff.control("nf", []);
    for line in examples.lines() {
        roff.text([roman(line.to_owned())]);
    }
    roff.control("fi", []);
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in manual::EXIT_CODES {
        roff.control("TP", []);
        roff.text([bold(code.to_string())]);
        roff.text([roman(manual::plain(meaning))]);
    }
    roff.control("SH", ["SIGNALS"]);
    roff.text([roman(format!("A {}", signals.replace('\n', " ").trim_start_matches("a ")))]);
    roff.control("SH", ["FILES"]);
    for (file, what) in manual::FILES {
        roff.control("TP", []);
        roff.text([bold(file)]);
        roff.text([roman(manual::plain(what))]);
    }
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roman(format!(
        "{}; the README (/usr/share/doc/osism-manager-reset/README.md).",
        manual::SEE_ALSO.join(", ")
    ))]);
}

/// clap_mangen's sections, with ENVIRONMENT after OPTIONS: every variable, each option's too.
fn man(out: &mut impl Write) -> std::io::Result<()> {
    let command = Args::command();
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    synopsis(&command).to_writer(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    let mut roff = Roff::default();
    roff.control("SH", ["ENVIRONMENT"]);
    let options = command.get_arguments().filter_map(|arg| {
        let env = arg.get_env()?.to_string_lossy().into_owned();
        Some((env, format!("as --{}", arg.get_long()?)))
    });
    for (variable, meaning) in options.chain(OTHER_VARIABLES.map(|(v, m)| (v.to_owned(), m.to_owned()))) {
        roff.control("TP", []);
        roff.text([bold(variable)]);
        roff.text([roman(meaning)]);
    }
    sections(&mut roff);
    roff.to_writer(out)?;
    man.render_version_section(out)
}
