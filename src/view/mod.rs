//! Layer 3, the operator's view: what is printed, asked and returned.
//!
//! - `render`: the plan's text, one renderer for the dry run and the real run; `shown`: a plan
//!   shown and nothing run (the dry run, a look at a resume); `rescue`: what the plan says of
//!   the archive `--restore-from` names; `summary`: the closing summary of a finished reset; `unit`: what the plan says of the
//!   unit's start and its pull; `volumes`: what `down -v` deletes, what is lost and what is kept;
//! - `ui`: step headers, echoed commands, progress, JSON events; `out`: writes a closed pipe
//!   cannot turn into a panic; `confirm`: the operator's consent; `outcome`: exit codes;
//!   `amount`: sizes as the operator reads them; `wrap`: command lines broken for the terminal.
//!
//! Uses `plan` and `host`.

pub mod amount;
pub mod confirm;
pub mod out;
pub mod outcome;
pub mod render;
pub mod rescue;
pub mod shown;
pub mod summary;
pub mod ui;
pub mod unit;
pub mod volumes;
pub mod wrap;
