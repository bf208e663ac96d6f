//! What the plan says of the archive `--restore-from` names: which file goes back, who vouched
//! for it, what it holds, and how it differs from /share now, read before the operator approves.

use std::fmt::Write;

use console::style;
use time::OffsetDateTime;

use crate::plan::{Plan, RestoreSource, StepKind, Vouched};
use crate::view::plan_text::amount;

/// The lines the plan's summary shows of the archive to restore.
pub(crate) fn summary(plan: &Plan) -> String {
    let Some(restore) = &plan.restore else { return String::new() };
    let mut out = String::new();
    let step = |kind: StepKind, runbook: usize| plan.step(kind).map_or(runbook, |s| s.number);
    let restores = step(StepKind::RestoreShare, 5);
    let _ = writeln!(out, "  {}", style(format!("restores:     {} in step {restores}", restore.path)).bold());
    if let Some(kept) = &restore.kept_as {
        let _ = writeln!(
            out,
            "                it bears today's archive's name: step {} keeps it as {kept} and step {restores} \
             restores that",
            step(StepKind::BackupShare, 2)
        );
    }
    let _ = writeln!(out, "                sha256 {}, {}", restore.sha256, vouched(restore));
    let _ = writeln!(out, "                holds {}", holds(restore));
    let _ = writeln!(out, "                {}", against_share(plan, restore));
    if restore.vouched == Vouched::Nobody {
        let _ = writeln!(
            out,
            "  {}",
            style(format!(
                "WARNING: no checksum vouches for {}: check what it holds above; you type its file name to approve it",
                restore.path
            ))
            .yellow()
        );
    }
    out
}

fn vouched(restore: &RestoreSource) -> String {
    match restore.vouched {
        Vouched::ChecksumFile => format!("matching {}", crate::plan::checksum_path(&restore.path)),
        Vouched::Given => "as given with --restore-sha256 (no .sha256 beside it)".to_owned(),
        Vouched::Nobody => {
            "vouched for by nothing: no .sha256 beside it, none given (made by hand?)".to_owned()
        }
    }
}

/// Entries, size, newest change, the vault key.
pub(crate) fn holds(restore: &RestoreSource) -> String {
    let summary = &restore.summary;
    let newest = OffsetDateTime::from_unix_timestamp(summary.newest_mtime as i64)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC")).ok()
        })
        .unwrap_or_else(|| "unknown".to_owned());
    format!(
        "{} entries, {} of files, the newest changed {newest}; {}",
        summary.entries,
        amount::size(summary.bytes / 1024),
        if summary.vault_key {
            "share/ansible_vault_password.key is in it"
        } else {
            "share/ansible_vault_password.key is NOT in it"
        }
    )
}

/// How it differs from /share now.
fn against_share(plan: &Plan, restore: &RestoreSource) -> String {
    match &restore.difference {
        Some(d) if d.only_archive.count + d.only_share.count + d.differing.count == 0 => {
            "against /share now: the same entries, the same contents".to_owned()
        }
        Some(d) => format!(
            "against /share now: {} only in the archive (they come back), {} only in /share (gone after the \
             reset: `down -v` deletes the volume; today's archive keeps them), {} different (the archive's come \
             back)",
            d.only_archive, d.only_share, d.differing
        ),
        None if plan.step(crate::plan::StepKind::BackupShare).is_none() => {
            "against /share now: there is no share volume; all of /share comes from this archive".to_owned()
        }
        None => "against /share now: not compared (/share could not be read)".to_owned(),
    }
}
