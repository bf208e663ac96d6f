//! What runs after the operator's consent and before step 1, each not in the runbook: sudo's
//! password asked once, the tar image's pull where it is not on this host, the unit's own pull
//! where its start pulls. One that fails refuses the reset with nothing changed.

use crate::plan::facts::Facts;
use crate::plan::options::record::Options;
use crate::plan::runbook::command::{Command, Stdin};

pub(crate) fn commands(config: &Options, facts: &Facts) -> Vec<Command> {
    [
        facts.sudo_asks.then(|| Command::with_stdin(["sudo", "-v"], Stdin::Terminal)),
        facts.image_missing.then(|| Command::new(["docker", "pull", config.image.as_str()])),
        unit_pull(config, facts),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The pull the unit runs when it starts (OSISM's `ExecStartPre=docker compose pull`), run
/// before step 1 instead, while the manager still runs: its download leaves the downtime, and a
/// registry that cannot be reached refuses the reset before anything stops, where after `down -v`
/// it would fail the unit's start. As the unit's user where the tool runs as root, so that the
/// registry credentials are the ones the unit's own pull uses.
fn unit_pull(config: &Options, facts: &Facts) -> Option<Command> {
    let start = facts.service.start.as_ref()?;
    start.pull()?;
    let user = start.user.as_deref().filter(|_| facts.euid == 0);
    let runuser = user.map(|user| ["runuser", "-u", user, "--"]).into_iter().flatten();
    let pull = ["docker", "compose", "--project-directory", config.project_directory.as_str(), "pull"];
    Some(Command::new(runuser.chain(pull)))
}
