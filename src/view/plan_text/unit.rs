//! What the plan says of the unit's start: what it runs, and where it pulls, what the registry
//! said of what its pull will change.

use std::fmt::Write;

use crate::plan::{Plan, UnitStart};

/// What the registry said, before the pull, of what it will change.
pub(crate) fn forecast(plan: &Plan) -> String {
    let Some(forecast) = &plan.forecast else { return String::new() };
    let mut out = String::new();
    for newer in &forecast.newer {
        let _ = writeln!(
            out,
            "    {} starts on a newer image: the registry holds {} as {}, its container was created from {}",
            newer.service,
            newer.image,
            short_id(&newer.to),
            short_id(&newer.from)
        );
    }
    if forecast.newer.is_empty() && forecast.unasked.is_empty() {
        let _ =
            writeln!(out, "    the registry holds what the containers were created from: nothing changes");
    }
    for unasked in &forecast.unasked {
        let _ = writeln!(out, "    not asked before the pull, {unasked}; the run says after it what changed");
    }
    out
}

/// An image ID or digest as `docker images` shortens it: twelve hex digits.
pub(crate) fn short_id(id: &str) -> String {
    id.trim_start_matches("sha256:").chars().take(12).collect()
}

/// What the unit runs when it starts, as one line of the summary.
pub(crate) fn start(start: &UnitStart) -> String {
    let commands: Vec<String> =
        start.commands.iter().map(|c| format!("`{}`", crate::plan::quote::join(&c.argv))).collect();
    let pulls = if start.pull().is_some() { "pulls every image first: " } else { "" };
    format!(
        "{pulls}{}, as {} in {}",
        commands.join(", then "),
        start.user.as_deref().unwrap_or("root"),
        start.working_directory.as_ref().map_or("/", |d| d.as_str())
    )
}
