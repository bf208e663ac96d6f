//! The end every real run shares, fresh or resumed: the plan shown (with what a resume does),
//! refused on any problem, agreed to, signals taken over, the log opened, the journal made
//! ready, then the reset run and closed. What differs between the two is only how the journal
//! comes to be, which the caller hands in.

use crate::host::process::exec::Runner;
use crate::host::process::signals;
use crate::host::process::transcript::Transcript;
use crate::plan::config::Config;
use crate::plan::problem::Problem;
use crate::plan::{Plan, Vouched};
use crate::run::preflight;
use crate::run::record::journal::Journal;
use crate::run::steps::step_loop;
use crate::view::confirm;
use crate::view::outcome::{Code, Failure, OrExit};
use crate::view::plan_text::render;
use crate::view::preview::Resumed;
use crate::view::print;
use crate::view::ui::Ui;

/// What the operator approves and what refuses it.
pub(crate) struct Proposal<'a> {
    pub(crate) plan: &'a Plan,
    /// What a resume does with the plan, said before it, and the steps it has done.
    pub(crate) resume: Option<Resumed<'a>>,
    pub(crate) problems: &'a [Problem],
    /// What preflight set aside on the way (records that do not count), for the log.
    pub(crate) notes: &'a [String],
    /// How the refusal begins, where there are problems.
    pub(crate) heading: String,
}

/// Shows the proposal, refuses on its problems, asks for consent, then runs the reset with the
/// journal `ready` makes once the log is open (the log first: a journal without a log would
/// block the next reset for nothing).
pub(crate) fn approve_and_run(
    mut runner: Runner,
    ui: &Ui,
    config: &Config,
    proposal: Proposal,
    ready: impl FnOnce(&Runner) -> Result<Journal, Failure>,
) -> Result<(), Failure> {
    let plan = proposal.plan;
    let refused = !proposal.problems.is_empty();
    // What refuses the run first, on stderr with the refusal itself, as the dry run shows it.
    if refused {
        let what = if proposal.resume.is_some() { "A resume" } else { "This run" };
        print::line_err(&render::refusal(what, proposal.problems));
    }
    // The operator approves the whole plan, commands and checks, as the dry run shows it; a
    // resume leads with what it does, and shows what is done as done.
    if let Some(resumed) = proposal.resume {
        ui.say(&format!("{}.\n", resumed.what));
    }
    ui.say(&render::resumed_plan(plan, proposal.resume.map_or(&[], |r| r.done)));
    if refused && !ui.json() {
        // Listed once, at the top; a JSON event carries the list whole.
        return Err(Failure::new(
            Code::Refused,
            anyhow::anyhow!("{} (listed above the plan)", proposal.heading),
        ));
    }
    preflight::refuse_on(proposal.problems, &proposal.heading)?;
    let restoring = plan
        .restore
        .as_ref()
        .map(|r| confirm::Restoring { path: r.path.as_str(), unvouched: r.vouched == Vouched::Nobody });
    // A resume past `down -v` asks about what it will do, which deletes nothing.
    let harmless = proposal.resume.filter(|r| r.nothing_destructive_left(plan)).map(|r| r.left(plan));
    let (vault, restoring) = match harmless {
        Some(_) => (Vec::new(), None),
        None => (plan.vault_storage(), restoring),
    };
    confirm::confirm(&plan.project, &vault, restoring, config.yes, harmless.as_deref())
        .or_exit(Code::Refused)?;
    // From consent on, a signal stops the reset where it can be stopped cleanly.
    signals::install().or_exit(Code::Refused)?;
    // A fresh reset (a resume's plan is its own reset's) keeps what today's earlier one left
    // aside, as the plan said, before it writes its own log and journal there.
    let kept = match (proposal.resume, &plan.earlier_reset) {
        (None, Some(_)) => {
            let left = crate::run::record::previous::left_by_earlier(&plan.backup_dir, &plan.date);
            crate::run::record::previous::keep_set_aside(&left).or_exit(Code::Refused)?
        }
        _ => None,
    };
    runner.record_into(Transcript::open(&plan.log_path()).or_exit(Code::Refused)?);
    if let Some(suffix) = kept {
        let line =
            format!("today's earlier reset's journal, records and log are kept aside, each with {suffix}");
        ui.tell(&runner, &line);
    }
    // Each once: a resume that plans again reads the records twice.
    for (i, note) in proposal.notes.iter().enumerate() {
        if !proposal.notes[..i].contains(note) {
            runner.note(note);
        }
    }
    let mut journal = ready(&runner)?;
    step_loop::execute(&runner, ui, &mut journal, config.yes)
}
