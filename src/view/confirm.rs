//! The operator's consent: typed on a terminal, or given up front with `--yes`.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Result, bail};

/// Whether an operator sits at a terminal: standard input to type on, standard error to read.
pub(crate) fn at_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// What the operator agrees to lose with the reset, asked after the project's name.
const VAULT_WORDS: &str = "delete vault data";

/// The archive step 5 restores in place of today's, for the confirmation to name.
pub(crate) struct Restoring<'a> {
    pub(crate) path: &'a str,
    /// No checksum vouches for it: its file name is typed too.
    pub(crate) unvouched: bool,
}

/// Asks the operator to type `word` (the compose project's name) before anything changes; where
/// `down -v` deletes HashiCorp Vault's storage (`vault`), to type that they agree; and where an
/// archive no checksum vouches for is to be restored, to type its file name.
/// A resume past `down -v` names the steps it runs (`harmless`) and says that nothing destructive is left.
pub(crate) fn confirm(
    word: &str,
    vault: &[String],
    restoring: Option<Restoring>,
    yes: bool,
    harmless: Option<&str>,
) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !at_terminal() {
        bail!("no terminal to confirm the reset on: pass --yes to run without confirmation");
    }
    if let Some(steps) = harmless {
        let question = format!(
            "The resume runs {steps}; nothing it does deletes anything (`down -v` ran already). Type {word:?} \
             to go on: "
        );
        return ask(&question, word);
    }
    let restored = restoring.as_ref().map_or_else(String::new, |r| {
        format!(" /share comes back from {}, not from today's archive.", r.path)
    });
    ask(
        &format!(
            "This deletes the manager's containers and volumes; queued and running osism tasks are lost with \
             Redis.{restored} Type {word:?} to go on: "
        ),
        word,
    )?;
    if !vault.is_empty() {
        let question = format!(
            "This also deletes HashiCorp Vault's storage ({}) for good. Type {VAULT_WORDS:?} to go on: ",
            vault.join(", ")
        );
        ask(&question, VAULT_WORDS)?;
    }
    if let Some(name) = restoring.filter(|r| r.unvouched).and_then(|r| r.path.rsplit('/').next()) {
        let question = format!(
            "Step 5 restores /share from {name}, which no checksum vouches for; you read what it holds above. \
             Type its file name, {name:?}, to go on: "
        );
        ask(&question, name)?;
    }
    Ok(())
}

fn ask(question: &str, expected: &str) -> Result<()> {
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "{question}");
    let _ = stderr.flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != expected {
        bail!("the reset was not confirmed (expected {expected:?}): nothing was changed");
    }
    Ok(())
}
