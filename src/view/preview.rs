//! A plan shown and nothing run: the dry run, and `--resume --dry-run`'s look at a resume. One
//! function for both, in text or as one JSON document; what a real run (or the resume) would
//! refuse on comes first, and again in one line at the end. A resume (`Resumed`) leads with what
//! it does, its done steps shown as done; a real resume shows it so before it asks.

use serde::Serialize;

use crate::plan::Plan;
use crate::plan::cli::Output;
use crate::plan::problem::Problem;
use crate::view::plan_text::render;
use crate::view::print;

/// Shows `plan` with the `problems` a real run would refuse on; `resume` is what a resume would
/// do, for a look at one.
pub(crate) fn plan(plan: &Plan, resume: Option<Resumed>, problems: &[Problem], output: Output) {
    #[derive(Serialize)]
    struct Shown<'a> {
        #[serde(flatten)]
        plan: &'a Plan,
        #[serde(skip_serializing_if = "Option::is_none")]
        resume: Option<&'a str>,
        problems: &'a [Problem],
    }
    match output {
        Output::Text => {
            let what = if resume.is_some() { "A resume" } else { "A real run" };
            // Problems first, as `terraform plan` puts its errors: they decide what to do next.
            if !problems.is_empty() {
                print::line(&render::refusal(what, problems));
            }
            // A resume leads with what it does: what is done and what is left.
            if let Some(resumed) = resume {
                print::line(&format!("{}.\n", resumed.what));
            }
            print::text(&render::resumed_plan(plan, resume.map_or(&[], |r| r.done)));
            if !problems.is_empty() {
                print::line(&render::refusal_line(what, problems.len()));
            }
        }
        Output::Json => {
            let shown = Shown { plan, resume: resume.map(|r| r.what), problems };
            print::line(&serde_json::to_string_pretty(&shown).expect("a plan always serializes"));
        }
    }
}

/// What a resume does with its journal's plan, said before the plan, and the steps (by number)
/// its reset has done already, shown as done rather than as what will happen.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Resumed<'a> {
    pub(crate) what: &'a str,
    pub(crate) done: &'a [usize],
}

impl Resumed<'_> {
    /// Whether what is left deletes nothing: the destructive step is done.
    pub(crate) fn nothing_destructive_left(&self, plan: &Plan) -> bool {
        plan.steps.iter().filter(|s| s.destructive).all(|s| self.done.contains(&s.number))
    }

    /// The steps left, as the confirmation names them.
    pub(crate) fn left(&self, plan: &Plan) -> String {
        let left: Vec<usize> =
            plan.steps.iter().map(|s| s.number).filter(|n| !self.done.contains(n)).collect();
        match left.as_slice() {
            [] => "no step".to_owned(),
            [one] => format!("step {one}"),
            [first, .., last] => format!("steps {first} to {last}"),
        }
    }
}
