//! A plan shown and nothing run: the dry run, and `--resume --dry-run`'s look at a resume. One
//! function for both, in text or as one JSON document; what a real run (or the resume) would
//! refuse on comes first, and again in one line at the end.

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
            let what = if resume.is_some() { "A resume" } else { "A real run" };
            // Problems first, as `terraform plan` puts its errors: they decide what to do next.
            if !problems.is_empty() {
                out::line(&render::refusal(what, problems));
            }
            out::text(&render::plan(plan));
            if let Some(what) = resume {
                out::line(&format!("\n{what}."));
            }
            if !problems.is_empty() {
                out::line(&render::refusal_line(what, problems.len()));
            }
        }
        Output::Json => {
            let shown = Shown { plan, resume, problems };
            out::line(&serde_json::to_string_pretty(&shown).expect("a plan always serializes"));
        }
    }
}
