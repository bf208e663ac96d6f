//! Signals sent as a terminal sends them, to the tool's whole process group: a hang-up does not
//! stop the reset, Ctrl-C and SIGTERM stop it between commands (a second Ctrl-C at once), and
//! `--resume` finishes it. The fakes' trace shows nothing ran twice at once or outlived the tool.

use std::fs;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process_group};

use crate::support::{World, advice, is_query, stderr};

/// Each step a signal is sent in, and the call the fakes hang in meanwhile.
const STEPS: [(usize, &str); 3] = [(2, "* tar -czvf *"), (3, "* down -v"), (5, "* tar -xzvf *")];

/// The tool, leader of its own process group as a shell's foreground job is, with `hang` held
/// for `seconds` and every call traced.
fn start(world: &World, hang: &str, seconds: u32) -> Child {
    let mut command = world.command(&["--yes"]);
    command
        .env("FAKE_HANG", hang)
        .env("FAKE_HANG_SECONDS", seconds.to_string())
        .env("FAKE_TRACE", world.path().join("trace"))
        .stdout(Stdio::null())
        .stderr(fs::File::create(world.path().join("stderr")).unwrap())
        .process_group(0);
    command.spawn().unwrap()
}

/// Waits until the fakes have started the call matching `glob`'s text.
fn wait_for_call(world: &World, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !world.ran(needle) {
        assert!(Instant::now() < deadline, "{needle} never ran: {:?}", world.runbook_calls());
        sleep(Duration::from_millis(20));
    }
}

/// The terminal's signal: to every process of the tool's group.
fn signal_group(child: &Child, signal: Signal) {
    kill_process_group(Pid::from_child(child), signal).unwrap();
}

/// Checks the trace: one runbook command at a time (queries may overlap, as preflight's do and
/// as the read-back of /share waits beside the tar it checks), and every call ended before the
/// tool did.
#[track_caller]
fn assert_one_at_a_time_and_none_left(world: &World) {
    let trace = fs::read_to_string(world.path().join("trace")).unwrap_or_default();
    let mut open: Vec<(String, String)> = Vec::new();
    let is_runbook = |call: &str| !is_query(&shlex::split(call).expect("a call as bash quoted it"));
    for line in trace.lines() {
        let mut words = line.splitn(3, ' ');
        match (words.next(), words.next(), words.next()) {
            (Some("begin"), Some(pid), call) => {
                let call = call.unwrap_or_default();
                let running = open.iter().find(|(_, other)| is_runbook(other));
                assert!(
                    !(is_runbook(call) && running.is_some()),
                    "{line} began while {running:?} ran:\n{trace}"
                );
                open.push((pid.to_owned(), call.to_owned()));
            }
            (Some("end"), Some(pid), _) => {
                let at = open.iter().position(|(p, _)| p == pid);
                assert!(at.is_some(), "{line} ended unbegun:\n{trace}");
                open.remove(at.unwrap_or_default());
            }
            _ => panic!("a trace line of no shape: {line}"),
        }
    }
    assert!(open.is_empty(), "{open:?} still ran when the tool had exited:\n{trace}");
}

fn the_stderr(world: &World) -> String {
    fs::read_to_string(world.path().join("stderr")).unwrap()
}

#[test]
fn ctrl_c_and_sigterm_stop_between_commands_and_resume_finishes() {
    for (signal, code, name) in [(Signal::INT, 130, "SIGINT"), (Signal::TERM, 143, "SIGTERM")] {
        for (step, hang) in STEPS {
            let world = World::new();
            let before = world.share_listing();
            let mut tool = start(&world, hang, 2);
            wait_for_call(&world, hang.trim_matches('*').trim());
            signal_group(&tool, signal);
            let status = tool.wait().unwrap();
            let what = format!("{name} at step {step}");
            assert_eq!(status.code(), Some(code), "{what}: {}", the_stderr(&world));
            assert_one_at_a_time_and_none_left(&world);
            let err = the_stderr(&world);
            assert!(err.contains(&format!("interrupted at step {step} (")), "{what}: {err}");
            let mut calls = world.runbook_calls();
            // Before `down -v`, the manager is started again and the reset is run again afresh.
            let before_down = step < 3;
            if before_down {
                let start = calls.pop().unwrap();
                assert!(start.ends_with("systemctl start docker-compose@manager.service"), "{what}: {start}");
                assert!(err.contains("the manager was started again and is healthy"), "{what}: {err}");
            } else {
                assert!(err.contains("resume with `osism-manager-reset --resume"), "{what}: {err}");
            }
            assert!(
                calls.last().unwrap().contains(hang.trim_matches('*').trim()),
                "{what}: went on: {calls:?}"
            );
            assert!(world.journal_states().contains(&format!("{step}:interrupted")), "{what}");
            let log = fs::read_to_string(world.backup_file(".log")).unwrap();
            assert!(log.contains(&format!("interrupted at step {step} by {name}")), "{what}: {log}");

            fs::remove_file(world.path().join("trace")).unwrap();
            world.clear_calls();
            let trace = world.path().join("trace");
            let out = if before_down {
                let line = advice("run the reset again with", &err);
                let trace = trace.display().to_string();
                world.type_line(&line, &world.backup_dir(), &[("FAKE_TRACE", trace.as_str())])
            } else {
                world.command(&["--resume", "--yes"]).env("FAKE_TRACE", trace).output().unwrap()
            };
            assert_eq!(out.status.code(), Some(0), "{what} resume: {}", stderr(&out));
            assert_one_at_a_time_and_none_left(&world);
            assert_eq!(world.share_listing(), before, "{what}: /share differs after the resume");
        }
    }
}

#[test]
fn a_hang_up_does_not_stop_the_reset() {
    for (step, hang) in STEPS {
        let world = World::new();
        let before = world.share_listing();
        let mut tool = start(&world, hang, 2);
        wait_for_call(&world, hang.trim_matches('*').trim());
        signal_group(&tool, Signal::HUP);
        let status = tool.wait().unwrap();
        assert_eq!(status.code(), Some(0), "SIGHUP at step {step}: {}", the_stderr(&world));
        assert_one_at_a_time_and_none_left(&world);
        assert_eq!(world.runbook_calls().len(), 8, "{:?}", world.runbook_calls());
        assert_eq!(world.share_listing(), before);
        let log = fs::read_to_string(world.backup_file(".log")).unwrap();
        assert!(log.contains("the terminal hung up (SIGHUP): the reset goes on"), "{log}");
        assert!(log.contains("# reset finished") && log.contains("restored as archived"), "{log}");
    }
}

#[test]
fn a_second_ctrl_c_stops_the_running_command_at_once() {
    let world = World::new();
    let before = world.share_listing();
    let mut tool = start(&world, "* tar -czvf *", 60);
    wait_for_call(&world, "tar -czvf");
    let started = Instant::now();
    signal_group(&tool, Signal::INT);
    sleep(Duration::from_millis(200));
    signal_group(&tool, Signal::INT);
    let status = tool.wait().unwrap();
    assert!(started.elapsed() < Duration::from_secs(20), "the command was not stopped");
    assert_eq!(status.code(), Some(130), "{}", the_stderr(&world));
    assert_one_at_a_time_and_none_left(&world);
    assert!(!world.ran("down -v"));
    assert!(world.journal_states().contains("2:interrupted"), "{}", world.journal_states());
    // The command stopped at once; the manager is started again all the same.
    let err = the_stderr(&world);
    assert!(err.contains("the manager was started again and is healthy"), "{err}");
    assert!(world.ran("systemctl start"), "{:?}", world.runbook_calls());
    world.clear_calls();
    let out = world.type_line(&advice("run the reset again with", &err), &world.backup_dir(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(world.share_listing(), before);
}

/// A Ctrl-C after the operator agreed but before step 1 began stops the reset with nothing
/// changed and nothing left behind that would block the next one. The log being a named pipe
/// holds the run right there, in open(2), until the test has sent the signal.
#[test]
fn a_ctrl_c_before_step_1_changes_nothing_and_leaves_nothing_behind() {
    let world = World::new();
    let stamp = crate::support::today();
    let log = world.backup_dir().join(format!("manager-reset-{stamp}.log"));
    rustix::fs::mkfifoat(rustix::fs::CWD, &log, rustix::fs::Mode::from_raw_mode(0o600)).unwrap();
    let mut tool = world.command(&["--yes"]);
    tool.stdout(Stdio::null())
        .stderr(fs::File::create(world.path().join("stderr")).unwrap())
        .process_group(0);
    let mut tool = tool.spawn().unwrap();
    let wchan = format!("/proc/{}/wchan", tool.id());
    let deadline = Instant::now() + Duration::from_secs(20);
    while fs::read_to_string(&wchan).unwrap_or_default() != "wait_for_partner" {
        assert!(Instant::now() < deadline, "the tool never opened its log");
        sleep(Duration::from_millis(20));
    }
    signal_group(&tool, Signal::INT);
    sleep(Duration::from_millis(200));
    // Non-blocking, so that a tool that died of the signal leaves no reader waiting for it.
    let reader = fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(&log)
        .unwrap();
    let status = tool.wait().unwrap();
    drop(reader);
    fs::remove_file(&log).unwrap();
    let err = the_stderr(&world);
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("before step 1") && err.contains("nothing was changed"), "{err}");
    assert!(world.runbook_calls().is_empty(), "ran {:?}", world.runbook_calls());
    let left: Vec<String> = fs::read_dir(world.backup_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".journal.json"))
        .collect();
    assert!(left.is_empty(), "a journal was left: {left:?}");
    assert_eq!(fs::read_dir(world.records()).map(|d| d.count()).unwrap_or(0), 0, "a record was left");
    let out = world.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "the next reset: {}", stderr(&out));
}

/// A command that prints nothing for long (a `down -v` that hangs) is still heard of every ten
/// seconds: what runs and for how long, as text and as a JSON event.
#[test]
fn a_command_that_hangs_is_heard_of_every_ten_seconds() {
    let world = World::new();
    let env = [("FAKE_HANG", "* down -v"), ("FAKE_HANG_SECONDS", "12")];
    let out = world.run(&["--yes", "--output", "json"], &env);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("    still running: `docker compose"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(line.ends_with(" down -v` (10s)") || line.ends_with(" down -v` (11s)"), "{line}");
    let events: Vec<serde_json::Value> =
        crate::support::stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let heard = events
        .iter()
        .find(|e| {
            e["event"] == "progress"
                && e["message"].as_str().unwrap().starts_with("still running: `docker compose")
        })
        .unwrap_or_else(|| panic!("no progress event: {events:?}"));
    assert!((10..=11).contains(&heard["elapsed_s"].as_u64().unwrap()), "{heard}");
}

/// A first SIGTERM (a cancelled pipeline, `timeout`, systemd) does not wait for a command that
/// hangs: it is stopped after a short grace, and the usual advice follows; the resume finishes.
#[test]
fn a_first_sigterm_stops_a_hung_command_within_seconds() {
    let world = World::new();
    let before = world.share_listing();
    let tool = start(&world, "* down -v", 120);
    wait_for_call(&world, "down -v");
    let started = Instant::now();
    rustix::process::kill_process(Pid::from_child(&tool), Signal::TERM).unwrap();
    let mut tool = tool;
    let status = tool.wait().unwrap();
    assert!(started.elapsed() < Duration::from_secs(15), "took {:?}", started.elapsed());
    let err = the_stderr(&world);
    assert_eq!(status.code(), Some(143), "{err}");
    assert!(err.contains("interrupted at step 3 (") && err.contains("by SIGTERM"), "{err}");
    assert_one_at_a_time_and_none_left(&world);
    world.clear_calls();
    let out = world.type_line(&format!("{} --yes", advice("resume with", &err)), &world.backup_dir(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(world.share_listing(), before);
}

/// Seen: with the vault password to come from osism's prompt, the terminal closing during step 4
/// (SIGHUP; the reset carries on) handed osism a dead terminal: step 7 failed where the operator
/// never saw it. The run stops before the vault step instead, and its advice, typed with the
/// password in a file (no terminal needed), finishes the reset with that password.
#[test]
fn a_lost_terminal_stops_before_the_vault_step_and_a_file_finishes_it() {
    let world = World::new();
    let before = world.share_listing();
    // No environments/.vault_pass: the password comes back through osism's prompt.
    fs::remove_file(world.configuration().join("environments/.vault_pass")).unwrap();
    let args = ["--yes"];
    let out = crate::support::at_terminal_with(&world, &args, "", &[("FAKE_HUP", "systemctl start *")]);
    let said = crate::support::stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(!world.ran("osism set vault password"), "osism read a dead terminal: {said}");
    assert!(
        said.contains(
            "    osism asks for it at this terminal: run the reset in tmux or screen, which a lost connection does \
             not end (without the terminal the run stops before this step)"
        ),
        "the plan does not recommend tmux: {said}"
    );
    assert_eq!(world.share_listing(), before);
    let states = world.journal_states();
    assert!(states.ends_with("5:done 6:done 7:pending 8:pending"), "{states}");
    let failed = said.lines().find(|l| l.starts_with("error:")).unwrap_or_default().to_owned();
    crate::calls_snapshot!("vault_step_without_terminal", world.scrub(&[failed]));

    let file = world.path().join("vault-password");
    fs::write(&file, "vault secret\n").unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    let line =
        advice("without one, give the password in a file:", &said).replace("FILE", file.to_str().unwrap());
    world.clear_calls();
    let out = world.type_line(&format!("{line} --yes"), Path::new("/"), &[]);
    assert_eq!(out.status.code(), Some(0), "`{line}`: {}", stderr(&out));
    assert!(world.ran("osism set vault password"), "{:?}", world.runbook_calls());
    assert!(world.journal()["finished"].as_bool().unwrap());
}
