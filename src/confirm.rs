//! The operator's consent: typed on a terminal, or given up front with `--yes`.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Result, bail};

/// Whether an operator sits at a terminal: standard input to type on, standard error to read.
pub fn at_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks the operator to type `word` (the compose project's name) before anything changes.
pub fn confirm(word: &str, yes: bool) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !at_terminal() {
        bail!("no terminal to confirm the reset on: pass --yes to run without confirmation");
    }
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "This deletes the manager's containers and volumes. Type {word:?} to go on: ");
    let _ = stderr.flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != word {
        bail!("the reset was not confirmed (expected {word:?}): nothing was changed");
    }
    Ok(())
}
