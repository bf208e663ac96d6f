#![allow(clippy::disallowed_methods)] // tests start the built binary, which is the point
//! One integration-test binary (see STYLE.md 6): the plan, the built binary against fakes, and
//! the project's housekeeping.

mod support;

mod dry_run;
mod plan;
mod run;
mod tidy;
