//! The terminal: step headers, echoed command lines, condensed progress.
//!
//! On a terminal, progress is a spinner; elsewhere (CI logs, pipes) it is a plain line at most
//! every ten seconds. Colour follows `console`, which honours `NO_COLOR` and non-terminals.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::exec::Stream;
use crate::plan::{Command, Step};
use crate::render;

/// How often a plain (non-terminal) progress line is printed.
const PLAIN_EVERY: Duration = Duration::from_secs(10);

pub struct Ui {
    terminal: bool,
}

impl Ui {
    pub fn new() -> Ui {
        Ui { terminal: std::io::stdout().is_terminal() }
    }

    pub fn say(&self, text: &str) {
        println!("{text}");
    }

    pub fn step(&self, step: &Step, total: usize) {
        println!("\n{}", render::step_header(step, total));
    }

    pub fn command(&self, command: &Command) {
        println!("{}", render::command_line(command));
    }

    pub fn output(&self, stream: Stream, line: &str) {
        match stream {
            Stream::Stdout => println!("    {line}"),
            Stream::Stderr => eprintln!("    {line}"),
        }
    }

    /// Progress that updates in place on a terminal and prints now and then elsewhere.
    pub fn progress(&self) -> Progress {
        let bar = if self.terminal {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("    {spinner} {msg} ({elapsed})").expect("a valid template"),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            Some(bar)
        } else {
            None
        };
        Progress { bar, last_plain: Instant::now() }
    }
}

impl Default for Ui {
    fn default() -> Self {
        Ui::new()
    }
}

pub struct Progress {
    bar: Option<ProgressBar>,
    last_plain: Instant,
}

impl Progress {
    /// Shows `message`; `message` is only built when it will be shown.
    pub fn update(&mut self, message: impl FnOnce() -> String) {
        match &self.bar {
            Some(bar) => bar.set_message(message()),
            None if self.last_plain.elapsed() >= PLAIN_EVERY => {
                self.last_plain = Instant::now();
                println!("    {}", message());
            }
            None => {}
        }
    }

    pub fn finish(self, message: &str) {
        match self.bar {
            Some(bar) => bar.finish_with_message(message.to_owned()),
            None => println!("    {message}"),
        }
    }
}
