//! Layer 4, the operator's view: what is printed, asked and returned.
//!
//! - `plan_text`: the plan's text (a room of its own), one renderer for the dry run and the
//!   real run; `preview`: a plan shown and nothing run (the dry run, a look at a resume);
//!   `summary`: the closing summary of a finished reset;
//! - `ui`: step headers, echoed commands, progress, JSON events; `print`: writes a closed pipe
//!   cannot turn into a panic; `confirm`: the operator's consent; `outcome`: exit codes.
//!
//! Uses `plan` and `host`.

pub(crate) mod confirm;
pub(crate) mod outcome;
pub(crate) mod plan_text;
pub(crate) mod preview;
pub mod print;
pub(crate) mod summary;
pub(crate) mod ui;
