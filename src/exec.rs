//! The executor: runs a plan's commands in order through xshell, and nothing else spawns the
//! runbook's commands.
//!
//! Each command is built with xshell and spawned with its output piped; the lines are streamed,
//! one at a time, to whoever watches them, so memory stays flat however much a command prints.

use std::io::{BufRead, BufReader, Read};
use std::process::{ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;

use anyhow::{Context, Result};
use xshell::Shell;

use crate::plan::Command;

/// Which stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

pub struct Runner {
    sh: Shell,
}

impl Runner {
    pub fn new() -> Result<Runner> {
        Ok(Runner { sh: Shell::new().context("cannot set up a shell to run commands")? })
    }

    /// Runs `command`, handing each line it prints to `on_line` as it arrives.
    pub fn run(&self, command: &Command, mut on_line: impl FnMut(Stream, &str)) -> Result<ExitStatus> {
        let (program, args) = command.argv.split_first().context("a command without a program")?;
        let mut std_command: std::process::Command = self.sh.cmd(program).args(args).quiet().into();
        let mut child = std_command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {program}"))?;

        let (tx, rx) = mpsc::channel();
        let readers = [
            (Stream::Stdout, child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>)),
            (Stream::Stderr, child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>)),
        ]
        .into_iter()
        .filter_map(|(stream, pipe)| pipe.map(|pipe| (stream, pipe)))
        .map(|(stream, pipe)| {
            let tx = tx.clone();
            thread::spawn(move || forward_lines(stream, pipe, &tx))
        })
        .collect::<Vec<_>>();
        drop(tx);
        for (stream, line) in rx {
            on_line(stream, &line);
        }
        for reader in readers {
            let _ = reader.join();
        }
        child.wait().with_context(|| format!("lost track of {program}"))
    }
}

fn forward_lines(stream: Stream, pipe: impl Read, tx: &mpsc::Sender<(Stream, String)>) {
    let mut reader = BufReader::new(pipe);
    let mut buf = Vec::new();
    while let Ok(n) = reader.read_until(b'\n', &mut buf) {
        if n == 0 {
            break;
        }
        let line = String::from_utf8_lossy(&buf).trim_end_matches(['\n', '\r']).to_owned();
        if tx.send((stream, line)).is_err() {
            break;
        }
        buf.clear();
    }
}
