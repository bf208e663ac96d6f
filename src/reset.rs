//! A real run of a plan: step headers, the echoed display line, then the command.

use anyhow::anyhow;

use crate::exec::{Runner, Stream};
use crate::outcome::{Code, Failure, OrExit};
use crate::plan::Plan;
use crate::render;

/// Runs every step in order and stops at the first failure.
pub fn run(plan: &Plan) -> Result<(), Failure> {
    let runner = Runner::new().or_exit(Code::Refused)?;
    let total = plan.steps.len();
    for step in &plan.steps {
        println!("\n{}", render::step_header(step, total));
        for command in &step.commands {
            println!("{}", render::command_line(command));
            let status = runner.run(command, |stream, line| match stream {
                Stream::Stdout => println!("    {line}"),
                Stream::Stderr => eprintln!("    {line}"),
            });
            let error = match status {
                Ok(status) if status.success() => continue,
                Ok(status) => anyhow!("`{}` {status}", command.display),
                Err(error) => error,
            };
            return Err(Failure::new(
                Code::StepFailed,
                error.context(format!(
                    "step {} ({}) failed; the archive of /share is {}",
                    step.number, step.title, plan.backup_file
                )),
            ));
        }
    }
    Ok(())
}
