//! A real run of a plan: each step between its checks, recorded in the journal.
//!
//! The checks that make /share safe sit around the runbook's commands:
//! - before step 2, /share is counted (services stopped, so it holds still);
//! - after step 2, the archive is read back whole, its entries must match that count, and its
//!   checksum goes into `<archive>.sha256` and the journal;
//! - step 3 (`down -v`) and step 5 (restore) run only while the archive still matches that
//!   checksum; after step 5, /share must hold as many entries as the archive;
//! - step 6 first waits for every container to be healthy, then runs the runbook's `ps`.
//!
//! Every step is safe to run again, because `--resume` repeats the one the tool died in.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};

use crate::exec::{Runner, Stream};
use crate::health;
use crate::inspect::{Host, ShareSize};
use crate::journal::Journal;
use crate::outcome::{Code, Failure};
use crate::plan::{Command, Plan, Step, StepKind};
use crate::quote;
use crate::ui::{Event, Ui};
use crate::verify;

pub struct Reset<'a> {
    pub runner: &'a Runner,
    pub ui: &'a Ui,
    pub health_timeout: Duration,
}

impl Reset<'_> {
    /// Runs the journal's plan from its first unfinished step to the end.
    pub fn run(&self, journal: &mut Journal) -> Result<(), Failure> {
        let plan = journal.plan.clone();
        let from = journal.first_unfinished().unwrap_or(plan.steps.len());
        for (index, step) in plan.steps.iter().enumerate().skip(from) {
            self.ui.step(step, plan.steps.len());
            self.runner.note(&format!("step {}: {}", step.number, step.title));
            let started = Instant::now();
            let result = journal.started(index).and_then(|()| self.step(&plan, step, journal));
            let result = result.and_then(|()| journal.done(index));
            let status = if result.is_ok() { "done" } else { "failed" };
            let duration_s = started.elapsed().as_secs_f64();
            self.ui.event(&Event::StepFinished { step: step.number, status, duration_s });
            if let Err(error) = result {
                let _ = journal.failed(index, &format!("{error:#}"));
                self.runner.note(&format!("step {} failed: {error:#}", step.number));
                return Err(failure(&plan, step, journal, error));
            }
        }
        self.runner.note("reset finished");
        Ok(())
    }

    fn step(&self, plan: &Plan, step: &Step, journal: &mut Journal) -> Result<()> {
        let host = Host::new(self.runner);
        self.before(&host, plan, step, journal)?;
        for command in &step.commands {
            self.ui.command(step, command);
            self.command(step, command)?;
        }
        self.after(&host, plan, step, journal)
    }

    /// The checks that must pass before a step's commands may run.
    fn before(&self, host: &Host, plan: &Plan, step: &Step, journal: &mut Journal) -> Result<()> {
        match step.kind {
            StepKind::BackupShare => {
                let share = measure(host, plan)?;
                self.ui.say(&format!("    /share holds {} entries ({} KiB)", share.entries, share.kib));
                journal.share_entries = Some(share.entries);
                journal.save()
            }
            StepKind::RemoveProject | StepKind::RestoreShare => {
                let archive = journal.archive.as_ref().ok_or_else(|| {
                    anyhow!("the archive {} was never verified: refusing to go on", plan.backup_file)
                })?;
                verify::check(&plan.backup_file, &archive.sha256)
            }
            StepKind::CheckHealth => {
                health::wait(host, &plan.project_directory, self.health_timeout, self.ui, step.number)
                    .map(drop)
            }
            StepKind::StopService | StepKind::StartService | StepKind::RebuildInventory => Ok(()),
        }
    }

    /// The checks that must pass before a step counts as done.
    fn after(&self, host: &Host, plan: &Plan, step: &Step, journal: &mut Journal) -> Result<()> {
        match step.kind {
            StepKind::BackupShare => {
                let reading = Instant::now();
                let archive = verify::read_back(&plan.backup_file)?;
                self.runner.note(&format!(
                    "read the archive back in {:.3}s: {} entries, sha256 {}",
                    reading.elapsed().as_secs_f64(),
                    archive.entries,
                    archive.sha256
                ));
                let counted = journal.share_entries.context("/share was not counted before the backup")?;
                ensure!(
                    archive.entries == counted,
                    "the archive {} holds {} entries but /share held {counted}",
                    plan.backup_file,
                    archive.entries
                );
                let checksum = verify::write_checksum(&plan.backup_file, &archive.sha256)?;
                self.ui.say(&format!("    verified {} entries; sha256 in {checksum}", archive.entries));
                journal.archive = Some(archive);
                journal.save()
            }
            StepKind::RemoveProject => {
                // `down -v` exits 0 even when a volume it could not remove is still there.
                let left = host.project_volumes(&plan.project)?;
                ensure!(
                    left.is_empty(),
                    "`down -v` left the volumes {}: stop what still uses them (docker ps --all --filter \
                     volume=NAME), then resume",
                    left.join(", ")
                );
                Ok(())
            }
            StepKind::RestoreShare => {
                let archive = journal.archive.as_ref().context("the archive was never verified")?;
                let share = measure(host, plan)?;
                if share.entries != archive.entries {
                    bail!(
                        "/share holds {} entries after the restore, the archive {}",
                        share.entries,
                        archive.entries
                    );
                }
                self.ui.say(&format!("    /share holds all {} entries of the archive", archive.entries));
                Ok(())
            }
            StepKind::StopService
            | StepKind::StartService
            | StepKind::CheckHealth
            | StepKind::RebuildInventory => Ok(()),
        }
    }

    /// Runs one command; tar's one line per file is counted, not printed.
    fn command(&self, step: &Step, command: &Command) -> Result<()> {
        let started = Instant::now();
        let counts_files = matches!(step.kind, StepKind::BackupShare | StepKind::RestoreShare);
        let status = if counts_files {
            let mut progress = self.ui.progress();
            let mut files = 0u64;
            let status = self.runner.run(command, |stream, line| match stream {
                Stream::Stdout => {
                    files += 1;
                    progress.update(|| format!("{files} entries"));
                }
                Stream::Stderr => progress.println(stream, line),
            })?;
            progress.finish(&format!("tar listed {files} entries"));
            status
        } else {
            self.runner.run(command, |stream, line| self.ui.output(stream, line))?
        };
        self.ui.event(&Event::CommandFinished {
            step: step.number,
            command: &command.display,
            exit_code: status.code(),
            duration_s: started.elapsed().as_secs_f64(),
        });
        ensure!(status.success(), "`{}` {status}", command.display);
        Ok(())
    }
}

/// Counts and sizes the share volume, which must exist.
fn measure(host: &Host, plan: &Plan) -> Result<ShareSize> {
    host.measure_share(&plan.share_volume, &plan.image)?
        .with_context(|| format!("the share volume {} does not exist", plan.share_volume))
}

fn failure(plan: &Plan, step: &Step, journal: &Journal, error: anyhow::Error) -> Failure {
    let archive = match (&journal.archive, step.kind) {
        // osism's Celery tasks exit 1 on their own timeouts; /share is back by then.
        (_, StepKind::RebuildInventory) => format!(
            "/share is restored and the manager is healthy, only the inventory and facts are left \
             (osism exits 1 when its task times out); the archive is {}",
            plan.backup_file
        ),
        (Some(archive), _) => {
            format!("the verified archive of /share is {} (sha256 {})", plan.backup_file, archive.sha256)
        }
        (None, _) => format!("/share is untouched ({} is not verified)", plan.backup_file),
    };
    let resume = quote::join(&[
        "osism-manager-reset".into(),
        "--resume".into(),
        "--backup-dir".into(),
        plan.backup_dir.to_string(),
    ]);
    Failure::new(
        Code::StepFailed,
        anyhow!("step {} ({}) failed: {error:#}; {archive}; resume with `{resume}`", step.number, step.title),
    )
}
