//! The man page and the shell completions, made from the clap definition in `cli`, so that
//! they always list exactly the options the binary takes, and the environment variables.

use std::io::Write;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;
use roff::{Roff, bold, roman};

use crate::plan::cli::{Args, Generate};

/// Variables the tool reads besides its options' own.
const OTHER_VARIABLES: [(&str, &str); 4] = [
    (
        crate::run::registry::STATE_DIR_VARIABLE,
        "where unfinished resets are recorded, for runs from any directory and user (default /var/tmp/osism-manager-reset)",
    ),
    ("NO_COLOR", "when set and not empty, no colour, whatever else asks for it"),
    ("CLICOLOR_FORCE", "when set, colour even where the output is no terminal"),
    ("TZ", "the time zone of the archive's date, as for date(1)"),
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

/// clap_mangen's sections, with ENVIRONMENT after OPTIONS: every variable, each option's too.
fn man(out: &mut impl Write) -> std::io::Result<()> {
    let command = Args::command();
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
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
    roff.to_writer(out)?;
    man.render_extra_section(out)?;
    man.render_version_section(out)
}
