//! The kept volumes archived, each as step 2 archives /share: its tar writes into a pipe at the
//! archive's path while the tool writes the file, reads it whole and compares it with the volume,
//! read back read-only through a container of the same image (`archive::live_check`).

use anyhow::{Result, ensure};

use crate::archive::live_check::{self, Followed, Target};
use crate::host::docker::inspect::Host;
use crate::host::process::exec::Runner;
use crate::plan::kept::MOUNT;
use crate::plan::{Command, Plan, Step};

/// Runs the archive step's commands, one a kept volume, each followed on its way to the file;
/// `run` runs one command. Returns what each read found, in the plan's order.
pub(crate) fn run(
    runner: &Runner,
    host: &Host,
    plan: &Plan,
    step: &Step,
    run: impl Fn(&Command) -> Result<()>,
) -> Result<Vec<Result<Followed>>> {
    let mut found = Vec::new();
    for (volume, command) in plan.kept.iter().zip(&step.commands) {
        ensure!(host.volume_exists(&volume.name)?, "the kept volume {} does not exist", volume.name);
        let read = host.start_volume_read(&volume.name, MOUNT, &plan.image, &plan.backup_dir)?;
        let (archive, records) = (plan.kept_archive(volume), super::records_path(plan, volume));
        let target = Target { archive: &archive, records: &records };
        let (ran, followed) = live_check::during(runner, target, read, || run(command));
        ran?;
        found.push(followed);
    }
    Ok(found)
}
