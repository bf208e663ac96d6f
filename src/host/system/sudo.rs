//! Whether sudo runs a command for this user, asked without a prompt (`sudo -n -l COMMAND`):
//! where it needs a password and no terminal is there to type it on, the reset must not start,
//! as step 1 would stop the manager and step 4 could not start it. Part of `inspect`'s `Host`.

use anyhow::Result;

use crate::host::docker::inspect::Host;
use crate::host::process::exec::first_line;

/// What sudo's policy says of one command for this user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sudo {
    /// It runs without a password (NOPASSWD, or credentials cached now).
    Allowed,
    /// It runs once the user's password is typed.
    Password,
    /// It does not run at all; sudo's words.
    Denied(String),
}

impl Host<'_> {
    /// Whether sudo would run `argv`; `sudo -n -l` lists a permitted command and exits 0, says
    /// "a password is required" where one is, and exits 1 for a command it does not permit.
    pub(crate) fn sudo(&self, argv: &[&str]) -> Result<Sudo> {
        let out = self.runner.read(&[&["sudo", "-n", "-l"][..], argv].concat())?;
        if out.success {
            return Ok(Sudo::Allowed);
        }
        let said = format!("{}{}", out.stderr, out.stdout);
        if said.contains("password is required") {
            return Ok(Sudo::Password);
        }
        Ok(Sudo::Denied(first_line(&said).to_owned()))
    }
}
