//! What a signal does to a running reset.
//!
//! - SIGHUP (the operator's SSH session drops) does nothing: the reset carries on to its end or
//!   its next failure, writing to its log. The commands it runs are in process groups of their
//!   own, so the hang-up the terminal sends to its foreground group does not reach them either.
//! - The first SIGINT (Ctrl-C) or SIGTERM asks the reset to stop: the running command finishes
//!   (it is in its own group: Ctrl-C at the terminal does not reach it), and the reset stops
//!   before the next one. After a SIGTERM, which whoever sent it may follow with SIGKILL, the
//!   running command gets five seconds, then is stopped as by a second request.
//! - The second one stops the running command now: its process group gets SIGTERM, then SIGKILL
//!   after a grace period; the reset itself then stops what the command had started (a
//!   container, see `run::steps::step_loop`). So does the read-back of /share that waits beside a tar command
//!   for the pipe it writes into.
//!
//! Handlers are installed once the operator has agreed to the reset, before the journal exists;
//! before that a signal ends the tool as usual, with nothing changed. A stop asked for before
//! step 1 began ends the run with nothing changed and no journal left to block the next reset.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use rustix::process::{Pid, Signal, kill_process_group};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// How long a command stopped by a second Ctrl-C has between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(2);
/// How long the command running when a first SIGTERM came may take to finish on its own.
const TERM_GRACE: Duration = Duration::from_secs(5);
/// Whether a SIGTERM's grace ran out and stopped the commands then running.
static CUT_SHORT: AtomicBool = AtomicBool::new(false);

/// How many stop requests (SIGINT or SIGTERM) have arrived.
static STOPS: AtomicUsize = AtomicUsize::new(0);
/// The first stop request's signal number, 0 before one arrives.
static FIRST: AtomicI32 = AtomicI32::new(0);
/// How many hang-ups have arrived.
static HANGUPS: AtomicUsize = AtomicUsize::new(0);
/// The process groups of the commands running now.
static RUNNING: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// A stop the operator (or the system) asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Interrupt,
    Terminate,
}

impl Stop {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Stop::Interrupt => "SIGINT",
            Stop::Terminate => "SIGTERM",
        }
    }
}

/// The error a step ends with when a stop was asked for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stopped(pub Stop);

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "stopped by {}", self.0.name())
    }
}

impl std::error::Error for Stopped {}

/// Takes over SIGINT, SIGTERM and SIGHUP for the rest of the run.
pub(crate) fn install() -> Result<()> {
    let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP]).context("cannot handle signals")?;
    thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                if signal == SIGHUP {
                    HANGUPS.fetch_add(1, Ordering::SeqCst);
                    continue;
                }
                let _ = FIRST.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
                let earlier = STOPS.fetch_add(1, Ordering::SeqCst);
                if earlier >= 1 {
                    stop_running_commands();
                } else if signal == SIGTERM {
                    cut_short_after_grace();
                }
            }
        })
        .context("cannot start the signal thread")?;
    Ok(())
}

/// The stop asked for, if any.
pub(crate) fn requested() -> Option<Stop> {
    match FIRST.load(Ordering::SeqCst) {
        0 => None,
        SIGTERM => Some(Stop::Terminate),
        _ => Some(Stop::Interrupt),
    }
}

/// Fails with `Stopped` if a stop was asked for: the reset goes no further.
pub(crate) fn check() -> Result<()> {
    match requested() {
        Some(stop) => Err(Stopped(stop).into()),
        None => Ok(()),
    }
}

/// Fails with `Stopped` only if a second request came: for what the tool does after a first one
/// stopped the reset (starting the manager again), which only a second one cuts short.
pub(crate) fn check_forced() -> Result<()> {
    match requested() {
        Some(stop) if forced() => Err(Stopped(stop).into()),
        _ => Ok(()),
    }
}

/// Takes a second request as answered, once the command it stopped is gone: what the tool does
/// next to leave the manager as it was (starting it again) runs, and a further request stops
/// that at once in turn.
pub(crate) fn rearm() {
    let _ = STOPS.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n > 1).then_some(1));
}

/// A first SIGTERM (systemd, a CI job cancelled, `timeout`) does not wait long for the command
/// that runs: whatever sent it may kill the tool soon. The commands running now get a grace
/// period to finish, then are stopped as by a second request; what starts later (the manager
/// started again) is not touched.
fn cut_short_after_grace() {
    let groups = running().clone();
    if groups.is_empty() {
        return;
    }
    let _ = thread::Builder::new().name("sigterm".into()).spawn(move || {
        thread::sleep(TERM_GRACE);
        let left: Vec<i32> = running().iter().copied().filter(|g| groups.contains(g)).collect();
        if !left.is_empty() {
            CUT_SHORT.store(true, Ordering::SeqCst);
            stop_groups(&left);
        }
    });
}

/// Whether a command was stopped before it finished (a second request, or a SIGTERM's grace
/// ran out): the container a `docker run` started may still run without its CLI.
pub(crate) fn cut_short() -> bool {
    forced() || CUT_SHORT.load(Ordering::SeqCst)
}

/// Whether a second request asked to stop the running command at once.
pub(crate) fn forced() -> bool {
    STOPS.load(Ordering::SeqCst) >= 2
}

/// How many hang-ups the reset has carried on through.
pub(crate) fn hangups() -> usize {
    HANGUPS.load(Ordering::SeqCst)
}

/// Marks `pid`, leader of its own process group, as a running command while it lives.
pub(crate) struct Running(i32);

impl Running {
    pub(crate) fn new(pid: u32) -> Running {
        let group = pid as i32;
        running().push(group);
        // A request may have come while the command was being started.
        if forced() {
            stop_running_commands();
        }
        Running(group)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        running().retain(|&group| group != self.0);
    }
}

fn running() -> std::sync::MutexGuard<'static, Vec<i32>> {
    RUNNING.lock().unwrap_or_else(PoisonError::into_inner)
}

fn stop_running_commands() {
    let groups = running().clone();
    stop_groups(&groups);
}

/// SIGTERM to each process group, then SIGKILL to those still running after the grace period.
fn stop_groups(groups: &[i32]) {
    let groups: Vec<Pid> = groups.iter().filter_map(|&group| Pid::from_raw(group)).collect();
    let signalled: Vec<Pid> =
        groups.into_iter().filter(|&group| kill_process_group(group, Signal::TERM).is_ok()).collect();
    if signalled.is_empty() {
        return;
    }
    thread::sleep(GRACE);
    for group in signalled {
        if running().contains(&group.as_raw_nonzero().get()) {
            let _ = kill_process_group(group, Signal::KILL);
        }
    }
}
