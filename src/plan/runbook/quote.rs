//! Shell quoting of display lines: what the operator reads, pastes and approves.
//!
//! A word of safe characters stays bare; any other is put in POSIX single quotes, inside which
//! every character is literal but `'` itself (closed, escaped and opened again). `=`, `,` and
//! `%` are safe in any word after the first (no assignment, brace or job syntax can start there),
//! so the runbook's `source=manager_share,target=/share` reads as the runbook has it.

use std::borrow::Cow;

/// Joins argv into one line that a POSIX shell splits back into exactly the same argv.
pub fn join(argv: &[String]) -> String {
    words(argv).join(" ")
}

/// Each word of argv quoted for its place in the line (the first as the program's name).
pub fn words(argv: &[String]) -> Vec<String> {
    argv.iter().enumerate().map(|(i, word)| quote(word, i == 0).into_owned()).collect()
}

fn quote(word: &str, first: bool) -> Cow<'_, str> {
    let bare = |c: char| c.is_ascii_alphanumeric() || "+-./:@_".contains(c);
    let bare_here = |c: char| bare(c) || (!first && "=,%".contains(c));
    let leading_ok = word.chars().next().is_some_and(bare);
    if leading_ok && word.chars().all(bare_here) {
        return Cow::Borrowed(word);
    }
    Cow::Owned(format!("'{}'", word.replace('\'', r"'\''")))
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
