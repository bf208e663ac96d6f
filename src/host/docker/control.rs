//! The state changes the tool makes on the host besides the plan's own commands: stopping the
//! containers a command, or a killed run, left behind. Only these and `exec`'s run of the plan's
//! commands change anything; `inspect` only asks.

use anyhow::{Result, ensure};

use crate::host::process::exec::{Runner, first_line};

pub(crate) struct Control<'a> {
    runner: &'a Runner,
}

impl<'a> Control<'a> {
    pub(crate) fn new(runner: &'a Runner) -> Control<'a> {
        Control { runner }
    }

    pub(crate) fn kill_containers(&self, ids: &[String]) -> Result<()> {
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        // One that ended meanwhile makes `docker kill` fail; the caller looks again.
        self.runner.act(&[&["docker", "kill"][..], &ids].concat()).map(drop)
    }

    /// Stops and removes the containers `ids` (`docker rm --force` returns once they are gone).
    pub(crate) fn remove_containers(&self, ids: &[String]) -> Result<()> {
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let out = self.runner.act(&[&["docker", "rm", "--force"][..], &ids].concat())?;
        ensure!(out.success, "`docker rm --force {}` failed: {}", ids.join(" "), first_line(&out.stderr));
        Ok(())
    }
}
