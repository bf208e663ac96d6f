//! One integration-test binary (see STYLE.md 6): the plan, the built binary against fakes, and
//! the project's housekeeping.

#[path = "../common/clean_command.rs"]
mod clean_command;
#[path = "../common/listing.rs"]
mod listing;
#[path = "../common/support.rs"]
mod support;

mod anywhere;
mod dispatcher;
mod documented;
mod dry_run;
mod facts;
mod faults;
mod image;
mod journal;
mod kept;
mod manager;
mod messages;
mod operator;
mod paths;
mod pipelines;
mod plan;
mod plugin;
mod preflight;
mod refusals;
mod rescue;
mod rollback;
mod run;
mod saved_plan;
mod signals;
mod stand_ins;
mod tidy;
mod told;
mod told_before;
mod told_steps;
mod trust;
mod unit_pull;
mod unwritable;
mod waiting;
