//! The plan's text, one renderer for the dry run and the real run: `render` lays it out, from
//! the parts that `volumes` (what `down -v` deletes, what is lost and what is kept), `unit` (the
//! unit's start and its pull) and `rescue` (the archive `--restore-from` names) say; `wrap`
//! breaks command lines for the terminal, `amount` gives sizes as the operator reads them.
//!
//! Uses nothing of the view but itself.

pub(crate) mod amount;
pub(crate) mod render;
pub(crate) mod rescue;
pub(crate) mod unit;
pub(crate) mod volumes;
pub(crate) mod wrap;
