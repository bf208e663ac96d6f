//! The man page and the shell completions, made from the clap definition in `cli`, so that
//! they always list exactly the options the binary takes.

use std::io::Write;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Args, Generate};

pub fn write(what: Generate, out: &mut impl Write) -> Result<()> {
    let mut command = Args::command();
    let name = command.get_name().to_owned();
    let shell = match what {
        Generate::Man => {
            return clap_mangen::Man::new(command).render(out).context("cannot write the man page");
        }
        Generate::Bash => Shell::Bash,
        Generate::Zsh => Shell::Zsh,
        Generate::Fish => Shell::Fish,
    };
    clap_complete::generate(shell, &mut command, name, out);
    Ok(())
}
