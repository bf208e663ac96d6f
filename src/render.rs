//! Text the operator reads: the plan as the dry run shows it, and the same lines during a run.
//!
//! The dry run and the real run both print through these functions, so the step headers and
//! `$ command` lines an operator approved are the ones echoed before each command runs.

use std::fmt::Write;

use console::style;

use crate::plan::{Command, Plan, Step};

pub fn plan(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        style(format!("Reset plan for the OSISM manager in {}", plan.project_directory)).bold()
    );
    let _ = writeln!(out, "  service unit: {} ({})", plan.service.unit, plan.service.reason);
    let _ = writeln!(out, "  share volume: {}", plan.share_volume);
    let _ = writeln!(out, "  backup file:  {}", plan.backup_file);
    for step in &plan.steps {
        let _ = writeln!(out, "\n{}", step_header(step, plan.steps.len()));
        for command in &step.commands {
            let _ = writeln!(out, "{}", command_line(command));
        }
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
