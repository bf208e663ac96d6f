//! Shell quoting of display lines: what the operator reads, pastes and approves.
//!
//! `shlex` does the quoting. It also quotes `=`, `,` and `%` everywhere, which would turn the
//! runbook's `source=manager_share,target=/share` into a quoted word that no longer reads like
//! the runbook. Those three are literal in any word after the first (no assignment, brace or job
//! syntax can start there), so such words are left bare; everything else is shlex's call.

use std::borrow::Cow;

/// Joins argv into one line that a POSIX shell splits back into exactly the same argv.
pub fn join(argv: &[String]) -> String {
    argv.iter().enumerate().map(|(i, word)| quote(word, i == 0)).collect::<Vec<_>>().join(" ")
}

fn quote(word: &str, first: bool) -> Cow<'_, str> {
    let bare = |c: char| c.is_ascii_alphanumeric() || "+-./:@_".contains(c);
    let bare_after_first = |c: char| bare(c) || "=,%".contains(c);
    let leading_ok = word.chars().next().is_some_and(bare);
    if !first && leading_ok && word.chars().all(bare_after_first) {
        return Cow::Borrowed(word);
    }
    // argv elements come from Rust strings built by the planner or from OsStr converted to
    // UTF-8; neither can hold a NUL, the only input shlex refuses.
    shlex::try_quote(word).unwrap_or_else(|_| Cow::Owned(word.replace('\0', "")))
}

#[cfg(test)]
mod tests {
    use super::join;

    fn words(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn runbook_words_stay_bare() {
        let argv = words(&["docker", "--mount", "source=manager_share,target=/share", "+%Y%m%d"]);
        assert_eq!(join(&argv), "docker --mount source=manager_share,target=/share +%Y%m%d");
    }

    #[test]
    fn risky_words_round_trip_through_a_shell_parser() {
        for word in ["my dir:/backup", "a'b", "$(rm -rf /)", "=x", "~root", "", "a,{b,c}", "é ü"] {
            let argv = words(&["tar", word]);
            let line = join(&argv);
            assert_eq!(shlex::split(&line).unwrap(), argv, "{line}");
        }
    }

    #[test]
    fn an_assignment_looking_program_is_quoted() {
        assert_eq!(join(&words(&["A=b", "c"])), "'A=b' c");
    }
}
