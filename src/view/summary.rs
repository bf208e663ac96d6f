//! The closing summary of a finished reset: each step's time, the downtime, the entries
//! verified and restored, the volumes kept, and each service that started on a newer image.

use std::fmt::Write;

/// A finished reset in figures (the journal's times and counts).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Figures {
    /// Number, title and seconds of each step (`None` for a time not recorded).
    pub(crate) steps: Vec<(usize, String, Option<f64>)>,
    pub(crate) downtime_s: Option<f64>,
    pub(crate) verified: Option<u64>,
    pub(crate) restored: Option<u64>,
    pub(crate) newer_images: Vec<crate::plan::NewerImage>,
    /// Each volume kept across the reset, with the entries its archive holds and it held again.
    pub(crate) kept: Vec<Kept>,
}

/// A volume kept across the reset, as the summary and the `done` event tell it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Kept {
    pub(crate) volume: String,
    pub(crate) entries: u64,
}

/// The closing summary of a finished reset.
pub(crate) fn figures(figures: &Figures) -> String {
    let mut out = String::from("Summary:\n");
    let seconds = |s: Option<f64>| s.map_or_else(|| "?".to_owned(), |s| format!("{s:.1} s"));
    for (number, title, took) in &figures.steps {
        let _ = writeln!(out, "  step {number}  {title:<45} {:>9}", seconds(*took));
    }
    let _ = writeln!(
        out,
        "  the manager was down {} (from step 1 to healthy again)",
        seconds(figures.downtime_s)
    );
    let count = |n: Option<u64>| n.map_or_else(|| "?".to_owned(), |n| n.to_string());
    let _ = writeln!(
        out,
        "  /share: {} entries verified after the backup, {} restored as archived",
        count(figures.verified),
        count(figures.restored)
    );
    for kept in &figures.kept {
        let _ = writeln!(
            out,
            "  kept: {}, {} entries archived and restored as archived",
            kept.volume, kept.entries
        );
    }
    for newer in &figures.newer_images {
        let _ = writeln!(out, "  {}", newer_image(newer));
    }
    out
}

/// A service that starts on a newer image, as the transcript, the log and the summary say it.
pub(crate) fn newer_image(newer: &crate::plan::NewerImage) -> String {
    let short = crate::view::plan_text::unit::short_id;
    format!(
        "{} starts on a newer image: {} is now {}, its container was created from {}",
        newer.service,
        newer.image,
        short(&newer.to),
        short(&newer.from)
    )
}
