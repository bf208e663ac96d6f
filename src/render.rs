//! Text the operator reads: the plan as the dry run shows it, and the same lines during a run.
//!
//! The dry run and the real run both print through these functions, so the step headers and
//! `$ command` lines an operator approved are the ones echoed before each command runs.

use std::fmt::Write;

use console::style;

use crate::plan::{Command, Plan, Step, StepKind};

pub fn plan(plan: &Plan) -> String {
    let mut out = summary(plan);
    for step in &plan.steps {
        let _ = writeln!(out, "\n{}", step_header(step, plan.steps.len()));
        for command in &step.commands {
            let _ = writeln!(out, "{}", command_line(command));
        }
        if step.kind == StepKind::RemoveProject {
            out.push_str(&volumes_deleted(plan));
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
    out
}

/// The volumes `down -v` deletes, with Vault's flagged: the runbook backs up only /share.
pub fn volumes_deleted(plan: &Plan) -> String {
    let Some(volumes) = &plan.volumes_deleted else {
        return "    deletes every volume of the project (not listed: Docker could not be asked)\n".into();
    };
    if volumes.is_empty() {
        return "    deletes no volume (none is labelled with the project)\n".into();
    }
    let mut out = format!("    deletes these volumes: {}\n", volumes.join(", "));
    let vault: Vec<&str> =
        volumes.iter().map(String::as_str).filter(|v| v.to_lowercase().contains("vault")).collect();
    if !vault.is_empty() {
        let warning = format!(
            "    WARNING: this deletes Vault's data ({}), which the runbook does not back up",
            vault.join(", ")
        );
        let _ = writeln!(out, "{}", style(warning).red().bold());
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
    let header = style(format!("Step {}/{}: {}", step.number, total, step.title)).bold();
    if step.destructive {
        format!("{header}  {}", style("[DESTROYS DATA]").red().bold())
    } else {
        header.to_string()
    }
}

pub fn command_line(command: &Command) -> String {
    format!("  $ {}", command.display)
}
