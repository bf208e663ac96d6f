//! The archive the operator names with `--restore-from`, as preflight read it: where it is, its
//! sha256 and how that was vouched for, what it holds, and how it differs from /share now. The
//! planner puts it into step 5 in place of today's archive; the plan shows it for approval.

use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestoreSource {
    /// The file as given, absolute.
    pub path: Utf8PathBuf,
    /// The sha256 of the file read whole, the one the restore must still find.
    pub sha256: String,
    /// How the sha256 was vouched for before the reset reads it again.
    pub vouched: Vouched,
    pub summary: ArchiveSummary,
    /// How it differs from /share now; `None` where the share volume does not exist.
    pub difference: Option<ShareDifference>,
    /// Where step 2 keeps it, when it bears today's archive's name: step 2 writes there, and an
    /// archive is never overwritten.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_as: Option<Utf8PathBuf>,
}

/// Who said the archive is the one meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Vouched {
    /// A `.sha256` beside it, as this tool writes one, matched.
    ChecksumFile,
    /// No `.sha256` beside it: the sha256 given with `--restore-sha256` matched.
    Given,
    /// No `.sha256` beside it and none given: the operator types the archive's name to approve it.
    Nobody,
}

/// What an archive holds, read from its tar headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveSummary {
    pub entries: u64,
    /// The regular files' contents, in bytes.
    pub bytes: u64,
    /// The newest modification time of an entry, Unix seconds.
    pub newest_mtime: u64,
    /// `share/ansible_vault_password.key` is in it.
    pub vault_key: bool,
}

/// How an archive's entries and /share's compare, by path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareDifference {
    /// In the archive only: they come back.
    pub only_archive: Listed,
    /// In /share only: gone after the reset (`down -v` deletes the volume); today's archive
    /// keeps them.
    pub only_share: Listed,
    /// In both, not the same: the archive's come back.
    pub differing: Listed,
}

/// Paths, counted, the first few kept for the plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listed {
    pub count: u64,
    pub first: Vec<String>,
}

impl std::fmt::Display for Listed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.count)?;
        if !self.first.is_empty() {
            let names: Vec<String> = self.first.iter().map(|name| printable(name)).collect();
            write!(f, " ({}", names.join(", "))?;
            let more = self.count.saturating_sub(self.first.len() as u64);
            if more > 0 {
                write!(f, " and {more} more")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// An entry name of an archive, which anyone may have made, as it may reach a terminal: control
/// characters (an escape sequence could rewrite the lines of the plan shown for approval) are
/// written as Rust escapes, `\u{1b}` and the like; everything else stays as it is.
pub fn printable(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() })
        .collect()
}

impl RestoreSource {
    /// The file step 5 restores: where step 2 keeps it, or where it is.
    pub fn file(&self) -> &Utf8Path {
        self.kept_as.as_deref().unwrap_or(&self.path)
    }

    /// Where it is now: where step 2 kept it once that ran, or where it was given.
    pub fn on_disk(&self) -> &Utf8Path {
        match &self.kept_as {
            Some(kept) if kept.exists() => kept,
            _ => &self.path,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_name_never_reaches_the_terminal_raw() {
        assert_eq!(printable("share/\u{1b}[2Aok\ttab"), "share/\\u{1b}[2Aok\\ttab");
        assert_eq!(printable("octavia/Grüße ñ/ca cert.pem"), "octavia/Grüße ñ/ca cert.pem");
        let listed = Listed { count: 2, first: vec!["share/\u{1b}]0;owned\u{7}".into()] };
        assert_eq!(listed.to_string(), "2 (share/\\u{1b}]0;owned\\u{7} and 1 more)");
    }
}
