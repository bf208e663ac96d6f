//! A plan shown and nothing run: the dry run, and `--resume --dry-run`'s look at a resume. One
//! function for both, in text or as one JSON document; what a real run (or the resume) would
//! refuse on comes last.

use serde::Serialize;

use crate::plan::Plan;
use crate::plan::cli::Output;
use crate::view::out;
use crate::view::render;

/// Shows `plan` with the `problems` a real run would refuse on; `resume` is what a resume would
/// do, for a look at one.
pub fn plan(plan: &Plan, resume: Option<&str>, problems: &[String], output: Output) {
    #[derive(Serialize)]
    struct Shown<'a> {
        #[serde(flatten)]
        plan: &'a Plan,
        #[serde(skip_serializing_if = "Option::is_none")]
        resume: Option<&'a str>,
        problems: &'a [String],
    }
    match output {
        Output::Text => {
            out::text(&render::plan(plan));
            let what = match resume {
                Some(what) => {
                    out::line(&format!("\n{what}."));
                    "A resume"
                }
                None => "\nA real run",
            };
            if !problems.is_empty() {
                out::line(&format!(
                    "{what} would refuse to start:\n{}",
                    render::problems(problems).trim_end()
                ));
            }
        }
        Output::Json => {
            let shown = Shown { plan, resume, problems };
            out::line(&serde_json::to_string_pretty(&shown).expect("a plan always serializes"));
        }
    }
}
