//! Text the operator reads: the plan as the dry run shows it, and the same lines during a run.
//!
//! The dry run and the real run both print through these functions, so the step headers and
//! `$ command` lines an operator approved are the ones echoed before each command runs.

use std::fmt::Write;

use console::style;

use crate::plan::{Command, Plan, Stdin, Step, StepKind, VaultState};

pub fn plan(plan: &Plan) -> String {
    let mut out = summary(plan);
    for step in &plan.steps {
        let _ = writeln!(out, "\n{}", step_header(step, plan.steps.len()));
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
    }
    out
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
