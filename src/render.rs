//! Text the operator reads: the plan as the dry run shows it, and the same lines during a run.
//!
//! The dry run and the real run both print through these functions, so the step headers and
//! `$ command` lines an operator approved are the ones echoed before each command runs.

use std::fmt::Write;

use console::style;

use crate::journal::Figures;
use crate::plan::{Check, Command, Plan, Stdin, Step, StepKind, VaultState};

pub fn plan(plan: &Plan) -> String {
    let mut out = summary(plan);
    for step in &plan.steps {
        let _ = writeln!(out, "\n{}", step_header(step, plan.steps.len()));
        for check in &step.before {
            let _ = writeln!(out, "  before: {}", check_line(*check, plan));
        }
        for command in &step.commands {
            let _ = writeln!(out, "{}", command_line(command));
        }
        match step.kind {
            StepKind::RemoveProject => out.push_str(&volumes(plan)),
            StepKind::SetVaultPassword => out.push_str(
                "    why: Redis held the vault password and `down -v` deleted it with Redis's volume; \
                 `osism apply facts` needs it\n",
            ),
            _ => {}
        }
        for check in &step.after {
            let _ = writeln!(out, "  after:  {}", check_line(*check, plan));
        }
    }
    out
}

/// What a check makes sure of, as the operator approves it.
pub fn check_line(check: Check, plan: &Plan) -> String {
    let archive = &plan.backup_file;
    match check {
        Check::ProjectStopped => "no container of the compose project may still run".into(),
        Check::ArchivePrivate => format!("{archive} is created mode 0600, for tar to write into"),
        Check::ArchiveMatchesShare => format!(
            "the archive is synced to disk, read back whole and compared with /share entry by entry; its \
             sha256 goes to {}",
            crate::verify::checksum_path(archive)
        ),
        Check::ArchiveUnchanged => "the archive still matches its recorded sha256".into(),
        Check::ShareStillMatchesArchive => {
            "/share, while it exists, still holds what the archive holds (compared again, entry by \
             entry, when this run did not make the archive: a resumed one)"
                .into()
        }
        Check::VolumesGone => "none of the volumes `down -v` was to delete is left".into(),
        Check::ShareVolumeCreated { timeout_s } => format!(
            "wait up to {timeout_s}s until Compose has created {} for the project (the unit's start \
             returns before); a failed unit ends the wait",
            plan.share_volume
        ),
        Check::ShareMatchesArchive => {
            "every archived entry is in /share as archived (the running manager's own writes are listed)"
                .into()
        }
        Check::Healthy { timeout_s } => {
            format!(
                "wait up to {timeout_s}s until every container runs and is healthy; a failed unit ends the wait"
            )
        }
        Check::VaultPasses => "`osism vault check --format script` prints PASSED".into(),
    }
}

/// The facts an operator checks before approving: what, where, which unit, which archive.
pub fn summary(plan: &Plan) -> String {
    let mut out = String::new();
    let title = format!("Reset plan for the OSISM manager {:?} in {}", plan.project, plan.project_directory);
    let _ = writeln!(out, "{}", style(title).bold());
    let _ = writeln!(out, "  service unit: {} ({})", plan.service.unit, plan.service.reason);
    let _ = writeln!(out, "  share volume: {}", plan.share_volume);
    let _ = writeln!(out, "  backup file:  {}", plan.backup_file);
    let _ = writeln!(out, "  vault password: {} ({})", vault_state(plan.vault.state), plan.vault.detail);
    for warning in &plan.warnings {
        let _ = writeln!(out, "  {}", style(format!("WARNING: {warning}")).yellow());
    }
    out
}

fn vault_state(state: VaultState) -> &'static str {
    match state {
        VaultState::Set => "set",
        VaultState::NotSet => "not set",
        VaultState::NotInUse => "not in use",
        VaultState::Unknown => "unknown",
    }
}

/// The volumes `down -v` deletes, with Vault's flagged (the runbook backs up only /share), and
/// the project's volumes it keeps.
pub fn volumes(plan: &Plan) -> String {
    let Some(volumes) = &plan.volumes else {
        return "    deletes every volume of the project (not listed: Docker could not be asked)\n".into();
    };
    let mut out = String::new();
    let deleted: Vec<String> = volumes
        .named
        .iter()
        .cloned()
        .chain(volumes.anonymous.iter().map(|a| format!("{} (anonymous, of {})", a.volume, a.service)))
        .collect();
    if deleted.is_empty() {
        out.push_str("    deletes no volume (the project declares none)\n");
    } else {
        let _ = writeln!(out, "    deletes these volumes: {}", deleted.join(", "));
    }
    let vault: Vec<&str> = volumes.deleted().filter(|v| v.to_lowercase().contains("vault")).collect();
    if !vault.is_empty() {
        let warning = format!(
            "    WARNING: this deletes Vault's data ({}), which the runbook does not back up",
            vault.join(", ")
        );
        let _ = writeln!(out, "{}", style(warning).red().bold());
    }
    if !volumes.kept.is_empty() {
        let _ = writeln!(
            out,
            "    keeps these volumes, labelled with the project but no longer declared: {}",
            volumes.kept.join(", ")
        );
    }
    out
}

pub fn problems(problems: &[String]) -> String {
    let mut out = String::new();
    for problem in problems {
        let _ = writeln!(out, "  - {problem}");
    }
    out
}

pub fn step_header(step: &Step, total: usize) -> String {
    let mut header = style(format!("Step {}/{}: {}", step.number, total, step.title)).bold().to_string();
    if step.destructive {
        let _ = write!(header, "  {}", style("[DESTROYS DATA]").red().bold());
    }
    if !step.in_runbook {
        let _ = write!(header, "  {}", style("[NOT IN THE RUNBOOK]").yellow().bold());
    }
    header
}

pub fn command_line(command: &Command) -> String {
    match command.stdin {
        Stdin::Terminal => {
            format!("  $ {}    (osism asks for the password; the tool never sees it)", command.display)
        }
        Stdin::Null | Stdin::File(_) => format!("  $ {}", command.display),
    }
}

/// The closing summary of a finished reset.
pub fn figures(figures: &Figures) -> String {
    let mut out = String::from("Summary:\n");
    let seconds = |s: Option<f64>| s.map_or_else(|| "?".to_owned(), |s| format!("{s:.1} s"));
    for (number, title, took) in &figures.steps {
        let _ = writeln!(out, "  step {number}  {title:<45} {:>9}", seconds(*took));
    }
    let _ = writeln!(
        out,
        "  the manager was down {} (from step 1 to healthy again)",
        seconds(figures.downtime_s)
    );
    let count = |n: Option<u64>| n.map_or_else(|| "?".to_owned(), |n| n.to_string());
    let _ = writeln!(
        out,
        "  /share: {} entries verified after the backup, {} restored as archived",
        count(figures.verified),
        count(figures.restored)
    );
    out
}
