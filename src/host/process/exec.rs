//! The executor: the one place that starts processes, always through xshell.
//!
//! Every command runs in a process group of its own, so that the signals a terminal sends its
//! foreground group (Ctrl-C, a hang-up) reach the tool alone, which decides (see `signals`); the
//! one exception reads the operator's terminal, which needs the foreground.
//!
//! `run` streams a command's output line by line to whoever watches (the terminal shows less,
//! the transcript keeps everything), so memory stays flat however much a command prints. `read`
//! captures the small output of read-only queries. Both record into the transcript when there
//! is one; a dry run has none and starts only queries.

use std::io::{BufRead, BufReader, Read};
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};
use xshell::Shell;

use crate::host::files::fifo;
use crate::host::process::signals;
use crate::host::process::transcript::{Stream, Transcript};
use crate::plan::{Command, Stdin};

/// How long a command may print nothing before its watcher hears of it.
const QUIET_TICK: Duration = Duration::from_secs(1);

/// Lines read ahead of the one being handled, per command.
const LINES_IN_FLIGHT: usize = 256;

/// What a read-only query printed and how it ended.
#[derive(Debug)]
pub(crate) struct Captured {
    pub(crate) success: bool,
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Shared by the threads preflight asks its questions from; the transcript, which only a real
/// run's steps write, keeps each record whole.
pub(crate) struct Runner {
    sh: Mutex<Shell>,
    transcript: Option<Mutex<Transcript>>,
}

impl Runner {
    pub(crate) fn new() -> Result<Runner> {
        let sh = Shell::new().context("cannot set up a shell to run commands")?;
        Ok(Runner { sh: Mutex::new(sh), transcript: None })
    }

    /// From now on every command and its output also go to `transcript`.
    pub(crate) fn record_into(&mut self, transcript: Transcript) {
        self.transcript = Some(Mutex::new(transcript));
    }

    /// A line of the tool's own in the transcript, if there is one.
    pub(crate) fn note(&self, text: &str) {
        self.record(|t| t.note(text));
    }

    /// Runs a planned command, handing each line it prints to `on_line` as it arrives, and calling
    /// `on_quiet` after each second it printed nothing (a command that hangs is still watched). A
    /// command that reads the terminal also writes to it, unrecorded: what is typed there is not
    /// ours.
    pub(crate) fn run(
        &self,
        command: &Command,
        mut on_line: impl FnMut(Stream, &str),
        mut on_quiet: impl FnMut(),
    ) -> Result<ExitStatus> {
        let (program, args) = command.argv.split_first().context("a command without a program")?;
        let started = Instant::now();
        self.record(|t| t.command(&command.display));
        let mut process = self.process(program, args);
        match &command.stdin {
            Stdin::Null => process.stdin(Stdio::null()),
            // Never through a symlink, never a pipe: as the step's check found it.
            Stdin::File(path) => process.stdin(
                crate::host::files::untrusted::open(path)
                    .with_context(|| format!("cannot open {path} for {}", command.display))?,
            ),
            Stdin::Terminal => {
                // stdout may carry the JSON events; the prompt belongs on the terminal, stderr.
                let terminal =
                    std::io::stderr().as_fd().try_clone_to_owned().context("cannot reach the terminal")?;
                let status =
                    process.stdin(Stdio::inherit()).stdout(terminal).stderr(Stdio::inherit()).status();
                let status = status.with_context(|| format!("cannot start {program}"))?;
                self.record(|t| {
                    t.note("(at the operator's terminal: its input and output are not recorded)")
                });
                self.record(|t| t.status(&status.to_string(), started.elapsed()));
                return Ok(status);
            }
        };
        let spawned = process.process_group(0).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(error) => {
                self.record(|t| t.status(&format!("not started: {error}"), started.elapsed()));
                return Err(error).with_context(|| format!("cannot start {program}"));
            }
        };
        let _running = signals::Running::new(child.id());
        // Bounded: a command that prints faster than the lines are handled waits for us,
        // instead of piling its output up in memory.
        let (tx, rx) = mpsc::sync_channel(LINES_IN_FLIGHT);
        let pipes: [(Stream, Option<Box<dyn Read + Send>>); 2] = [
            (Stream::Stdout, child.stdout.take().map(|p| Box::new(p) as _)),
            (Stream::Stderr, child.stderr.take().map(|p| Box::new(p) as _)),
        ];
        let readers: Vec<_> = pipes
            .into_iter()
            .filter_map(|(stream, pipe)| pipe.map(|pipe| (stream, pipe)))
            .map(|(stream, pipe)| {
                let tx = tx.clone();
                thread::spawn(move || forward_lines(stream, pipe, &tx))
            })
            .collect();
        drop(tx);
        loop {
            match rx.recv_timeout(QUIET_TICK) {
                Ok((stream, line)) => {
                    self.record(|t| t.line(stream, &line));
                    on_line(stream, &line);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => on_quiet(),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        for reader in readers {
            let _ = reader.join();
        }
        let status = child.wait().with_context(|| format!("lost track of {program}"))?;
        self.record(|t| t.status(&status.to_string(), started.elapsed()));
        Ok(status)
    }

    /// Runs a read-only query and captures its output.
    pub(crate) fn read(&self, argv: &[impl AsRef<str>]) -> Result<Captured> {
        self.capture(argv)
    }

    /// Runs one of the few changes the tool makes beside the plan's commands (see `control`) and
    /// captures its output; the log says it changed something.
    pub(crate) fn act(&self, argv: &[impl AsRef<str>]) -> Result<Captured> {
        self.note("a change beside the plan's commands:");
        self.capture(argv)
    }

    fn capture(&self, argv: &[impl AsRef<str>]) -> Result<Captured> {
        let argv: Vec<&str> = argv.iter().map(AsRef::as_ref).collect();
        let (program, args) = argv.split_first().context("a command without a program")?;
        let started = Instant::now();
        self.record(|t| t.command(&display(&argv)));
        let mut process = self.process(program, args);
        let output = process
            .process_group(0)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("cannot run {program}"));
        let output = match output {
            Ok(output) => output,
            Err(error) => {
                self.record(|t| t.status(&format!("not started: {error:#}"), started.elapsed()));
                return Err(error);
            }
        };
        let captured = Captured {
            success: output.status.success(),
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        self.record(|t| {
            for line in captured.stdout.lines() {
                t.line(Stream::Stdout, line);
            }
            for line in captured.stderr.lines() {
                t.line(Stream::Stderr, line);
            }
            t.status(&output.status.to_string(), started.elapsed());
        });
        Ok(captured)
    }

    /// Starts a read-only query that writes a stream (a tar stream out of a container) into the
    /// named pipe `fifo`, which this creates and the returned handle removes. The command waits
    /// in open(2) until `FifoRead::finish` opens the other end, so it can start (a container
    /// takes a few hundred milliseconds) while something else runs, and read only after.
    /// A pipe in a bind-mounted directory, because Docker's attach stream carries a container's
    /// stdout at a few dozen MB/s.
    pub(crate) fn start_fifo_read(&self, argv: &[impl AsRef<str>], fifo: &Utf8Path) -> Result<FifoRead<'_>> {
        let argv: Vec<&str> = argv.iter().map(AsRef::as_ref).collect();
        let (program, args) = argv.split_first().context("a command without a program")?;
        let display = display(&argv);
        let _ = std::fs::remove_file(fifo);
        fifo::make(fifo)?;
        let removed = Removed(fifo.to_owned());
        let spawned = self
            .process(program, args)
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(error) => {
                self.record(|t| {
                    t.command(&display);
                    t.status(&format!("not started: {error}"), Duration::ZERO);
                });
                return Err(error).with_context(|| format!("cannot start {program}"));
            }
        };
        let mut stderr = child.stderr.take().context("no stderr pipe")?;
        let errors = thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let running = signals::Running::new(child.id());
        let waiting = Arc::new(AtomicBool::new(true));
        let watcher = {
            let (waiting, fifo) = (Arc::clone(&waiting), fifo.to_owned());
            thread::spawn(move || {
                let status = child.wait();
                fifo::let_reader_see_the_end(&fifo, &waiting);
                status
            })
        };
        Ok(FifoRead {
            runner: self,
            pending: Some(Pending { display, watcher, errors, waiting, _running: running, removed }),
        })
    }

    /// `program args` as xshell builds it, handed over as a std command so
    /// that the executor can choose process group and streams. The one place a command is made.
    #[expect(clippy::disallowed_methods, reason = "the executor is where commands are made")]
    fn process(&self, program: &str, args: &[impl AsRef<std::ffi::OsStr>]) -> std::process::Command {
        let sh = self.sh.lock().unwrap_or_else(PoisonError::into_inner);
        sh.cmd(program).args(args).into()
    }

    fn record(&self, f: impl FnOnce(&mut Transcript)) {
        if let Some(t) = &self.transcript {
            f(&mut t.lock().unwrap_or_else(PoisonError::into_inner));
        }
    }
}

/// A query started by `Runner::start_fifo_read`, waiting for its pipe to be read. Dropped
/// unread (the step it was to check failed), it is let go: its writer finds the pipe closed.
pub(crate) struct FifoRead<'r> {
    runner: &'r Runner,
    pending: Option<Pending>,
}

struct Pending {
    display: String,
    watcher: thread::JoinHandle<std::io::Result<ExitStatus>>,
    errors: thread::JoinHandle<String>,
    /// Set until the reader's open(2) has returned.
    waiting: Arc<AtomicBool>,
    _running: signals::Running,
    removed: Removed,
}

impl FifoRead<'_> {
    /// Reads the stream (never held whole) into `consume`, then waits for the command; its
    /// standard error goes into the message if it failed. Recorded once it ended.
    pub(crate) fn finish<T>(
        mut self,
        consume: impl FnOnce(&mut (dyn Read + Send)) -> Result<T>,
    ) -> Result<T> {
        let pending = self.pending.take().context("the read was finished already")?;
        self.runner.finish(pending, consume)
    }
}

impl Drop for FifoRead<'_> {
    fn drop(&mut self) {
        if let Some(pending) = self.pending.take() {
            self.runner
                .note("the read-back of /share below was let go unread: the step it checks did not finish");
            let _ = self.runner.finish(pending, |_| Ok(()));
        }
    }
}

impl Runner {
    fn finish<T>(
        &self,
        pending: Pending,
        consume: impl FnOnce(&mut (dyn Read + Send)) -> Result<T>,
    ) -> Result<T> {
        let Pending { display, watcher, errors, waiting, _running: running, removed } = pending;
        let started = Instant::now();
        let consumed = fifo::open_reader(&removed.0, &waiting)
            .and_then(|reader| consume(&mut BufReader::with_capacity(fifo::BUFFER, reader)));
        let lost = || anyhow::anyhow!("lost track of `{display}`");
        let status = watcher.join().map_err(|_| lost())?.map_err(|_| lost())?;
        drop((running, removed));
        let errors = errors.join().unwrap_or_default();
        // Recorded whole once read, so that it does not split the lines of the command it ran
        // beside (step 2's archive is read while tar writes it).
        self.record(|t| {
            t.note("the read-back below, started beside the step's command, ended here:");
            t.command(&display);
            for line in errors.lines() {
                t.line(Stream::Stderr, line);
            }
            t.status(&status.to_string(), started.elapsed());
        });
        let first = first_line(&errors);
        match consumed {
            Ok(_) if !status.success() => bail!("`{display}` {status}: {first}"),
            Ok(value) => Ok(value),
            Err(error) if status.success() => Err(error),
            Err(error) => Err(error.context(format!("`{display}` {status}: {first}"))),
        }
    }
}

/// `argv` as the transcript shows a query: shell-quoted.
fn display(argv: &[&str]) -> String {
    crate::plan::quote::join(&argv.iter().map(|a| a.to_string()).collect::<Vec<_>>())
}

/// The first line of a command's message that says something, for an error.
pub(crate) fn first_line(text: &str) -> &str {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or("no message").trim()
}

/// Removes a file when dropped.
struct Removed(Utf8PathBuf);

impl Drop for Removed {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn forward_lines(stream: Stream, pipe: impl Read, tx: &mpsc::SyncSender<(Stream, String)>) {
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
