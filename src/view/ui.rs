//! What the run tells the operator: step headers, echoed command lines, condensed progress,
//! and, with `--output json`, one JSON event per line for pipelines.
//!
//! In JSON mode stdout carries the events and nothing else; human text goes to stderr. Progress
//! is a spinner where it is drawn, on a terminal's standard error; elsewhere (CI logs, pipes,
//! `2>file`) a plain line at once and then at most every ten seconds, saying for how long, as
//! the JSON progress event does. A command that prints nothing is still heard of every ten
//! seconds. Colour follows `console`:
//! off for non-terminals and under `NO_COLOR`.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::host::process::transcript::Stream;
use crate::plan::{Command, Step};
use crate::view::plan_text::render;
use crate::view::print;

/// How often a plain (non-terminal) progress line is printed.
const PLAIN_EVERY: Duration = Duration::from_secs(10);

/// One line of the `--output json` stream.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(crate) enum Event<'a> {
    StepStarted {
        step: usize,
        title: &'a str,
        destructive: bool,
    },
    CommandStarted {
        step: usize,
        command: &'a str,
    },
    CommandFinished {
        step: usize,
        command: &'a str,
        exit_code: Option<i32>,
        duration_s: f64,
    },
    WaitingForHealth {
        step: usize,
        waiting: &'a [String],
    },
    /// A command or a wait still going on, at most every ten seconds: what, and for how long.
    Progress {
        message: &'a str,
        elapsed_s: u64,
    },
    StepFinished {
        step: usize,
        status: &'a str,
        duration_s: f64,
    },
    /// The unit's pull before step 1 ended: the services that start on a newer image.
    ImagesPulled {
        newer: &'a [crate::plan::NewerImage],
    },
    Done {
        backup_file: &'a str,
        journal: &'a str,
        log: &'a str,
        downtime_s: Option<f64>,
        entries_verified: Option<u64>,
        entries_restored: Option<u64>,
        /// The volumes kept across the reset (`--keep-volume`), with their entries.
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        kept: &'a [crate::view::summary::Kept],
    },
    Failed {
        exit_code: u8,
        error: &'a str,
        /// What failed, where the tool can tell: `osism-timeout`, `vault-password-missing`, ...
        #[serde(skip_serializing_if = "Option::is_none")]
        cause: Option<&'a str>,
        /// The command that follows a task osism stopped waiting for.
        #[serde(skip_serializing_if = "Option::is_none")]
        follow: Option<&'a str>,
        /// Where a saved plan is not the one made now: what differs, saved and now.
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        differences: &'a [crate::plan::saved::PlanChange],
    },
}

pub(crate) struct Ui {
    /// Standard error, where indicatif draws the spinner, is a terminal.
    spinner: bool,
    json: bool,
}

impl Ui {
    pub(crate) fn new(json: bool) -> Ui {
        Ui { spinner: std::io::stderr().is_terminal(), json }
    }

    /// Events go to stdout as JSON, and human text to stderr.
    pub(crate) fn json(&self) -> bool {
        self.json
    }

    pub(crate) fn say(&self, text: &str) {
        if self.json {
            print::line_err(text);
        } else {
            print::line(text);
        }
    }

    /// A line of the run's own, for the operator (indented under its step) and the log alike.
    pub(crate) fn tell(&self, runner: &crate::host::process::exec::Runner, line: &str) {
        runner.note(line);
        self.say(&format!("    {line}"));
    }

    pub(crate) fn event(&self, event: &Event) {
        if self.json {
            print::line(&serde_json::to_string(event).expect("events always serialize"));
        }
    }

    pub(crate) fn step(&self, step: &Step, total: usize) {
        self.say(&format!("\n{}", render::step_header(step, total)));
        self.event(&Event::StepStarted {
            step: step.number,
            title: &step.title,
            destructive: step.destructive,
        });
    }

    pub(crate) fn command(&self, step: &Step, command: &Command) {
        self.say(&render::command_line(command));
        self.event(&Event::CommandStarted { step: step.number, command: &command.display });
    }

    pub(crate) fn output(&self, stream: Stream, line: &str) {
        match stream {
            Stream::Stdout => self.say(&format!("    {line}")),
            Stream::Stderr => print::line_err(&format!("    {line}")),
        }
    }

    /// Progress that updates in place on a terminal and prints now and then elsewhere.
    pub(crate) fn progress(&self) -> Progress<'_> {
        let bar = self.spinner.then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("    {spinner} {msg} ({elapsed})").expect("a valid template"),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress { ui: self, bar, last_plain: None, started: Instant::now() }
    }

    /// Progress for a command whose own output is shown: no spinner to tear it, and nothing
    /// said before it has run ten seconds; then, like `progress`, a line every ten seconds.
    pub(crate) fn heartbeat(&self) -> Progress<'_> {
        let now = Instant::now();
        Progress { ui: self, bar: None, last_plain: Some(now), started: now }
    }
}

pub(crate) struct Progress<'a> {
    ui: &'a Ui,
    bar: Option<ProgressBar>,
    /// When the last plain line (or JSON progress event) was given; `None` before the first.
    last_plain: Option<Instant>,
    started: Instant,
}

impl Progress<'_> {
    /// Shows `message`, which is only built when it will be shown: on the spinner at once, else
    /// as a line with how long it has gone on, at most every ten seconds, as the JSON progress
    /// event is.
    pub(crate) fn update(&mut self, message: impl FnOnce() -> String) {
        let due = self.last_plain.is_none_or(|at| at.elapsed() >= PLAIN_EVERY);
        if self.bar.is_none() && !due && !self.ui.json {
            return;
        }
        let message = message();
        if let Some(bar) = &self.bar {
            bar.set_message(message.clone());
        }
        if !due {
            return;
        }
        self.last_plain = Some(Instant::now());
        let elapsed_s = self.started.elapsed().as_secs();
        if self.bar.is_none() {
            self.ui.say(&format!("    {message} ({elapsed_s}s)"));
        }
        self.ui.event(&Event::Progress { message: &message, elapsed_s });
    }

    /// Prints a line above the spinner, which a plain print would tear.
    pub(crate) fn println(&self, stream: Stream, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| self.ui.output(stream, line)),
            None => self.ui.output(stream, line),
        }
    }

    /// Replaces the spinner, if any, with `message`, indented like every other progress line.
    pub(crate) fn finish(self, message: &str) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
        self.ui.say(&format!("    {message}"));
    }
}
