//! Command lines broken for the terminal's width as the runbook prints its `docker run`: words
//! kept whole (an option with its value), each line but the last ending in ` \`, so that a
//! command pasted from the plan still runs as one.

use crate::plan::{Command, Stdin, quote};

/// The width to break command lines at: `COLUMNS` where it is set (as shells export it), else
/// the terminal's; `None` (no breaking) where the output is no terminal.
pub(crate) fn width() -> Option<usize> {
    let columns = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<usize>().ok());
    columns
        .or_else(|| console::Term::stdout().size_checked().map(|(_, w)| usize::from(w)))
        .filter(|&w| w >= 40)
}

/// `command` after `lead` (such as `  $ `), broken at `width` where it is too long for it; the
/// lines that follow are indented four more than `lead`.
pub(crate) fn command_line(lead: &str, command: &Command, width: Option<usize>) -> String {
    let whole = format!("{lead}{}", command.display);
    let Some(width) = width.filter(|&w| whole.chars().count() > w) else { return whole };
    let mut words = quote::words(&command.argv);
    if let Stdin::File(path) = &command.stdin {
        // Quoted as the display line quotes it.
        words.extend(["<".to_owned(), quote::join(&[path.to_string()])]);
    }
    let indent = " ".repeat(lead.chars().count() + 4);
    let mut lines = vec![lead.to_owned()];
    for (i, group) in groups(&words).into_iter().enumerate() {
        let line = lines.last_mut().expect("a line");
        // Room for the group, a space before it and the ` \` after it.
        if i > 0 && line.chars().count() + 1 + group.chars().count() + 2 > width {
            line.push_str(" \\");
            lines.push(format!("{indent}{group}"));
        } else {
            if i > 0 {
                line.push(' ');
            }
            line.push_str(&group);
        }
    }
    lines.join("\n")
}

/// The words, an option joined with the value after it (`--mount source=...`, `-C /`), the rest
/// one by one.
fn groups(words: &[String]) -> Vec<String> {
    let mut groups: Vec<String> = Vec::new();
    let mut words = words.iter().peekable();
    while let Some(word) = words.next() {
        match words.peek() {
            Some(value) if word.starts_with('-') && !value.starts_with('-') && *value != "<" => {
                groups.push(format!("{word} {value}"));
                words.next();
            }
            _ => groups.push(word.clone()),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docker_run() -> Command {
        let argv = [
            "docker",
            "run",
            "--rm",
            "--mount",
            "source=manager_share,target=/share",
            "--volume",
            "/home/dragon:/backup",
            "busybox",
            "tar",
            "-czvf",
            "/backup/manager-share-20261202.tar.gz",
            "/share",
        ];
        Command {
            argv: argv.map(String::from).into(),
            display: quote::join(&argv.map(String::from)),
            stdin: Stdin::Null,
        }
    }

    #[test]
    fn a_long_command_is_broken_as_the_runbook_breaks_it_and_a_short_one_is_not() {
        let command = docker_run();
        assert_eq!(command_line("  $ ", &command, None), format!("  $ {}", command.display));
        assert_eq!(command_line("  $ ", &command, Some(200)), format!("  $ {}", command.display));
        assert_eq!(
            command_line("  $ ", &command, Some(60)),
            "  $ docker run --rm \\\n        --mount source=manager_share,target=/share \\\n        --volume \
             /home/dragon:/backup busybox tar \\\n        -czvf /backup/manager-share-20261202.tar.gz /share"
        );
    }
}
