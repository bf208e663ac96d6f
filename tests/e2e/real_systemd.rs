//! The fixture manager under a real systemd (`systemd_host.rs`): OSISM's manager.service as its
//! role writes it, started and stopped through the README's sudoers line, pulling from the
//! suite's loopback registry (`registry.rs`); and the stand-in systemctl held against it, so
//! that what the rest of the suite shows on the stand-in holds under systemd.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use regex::Regex;

use crate::fixture::{Fixture, Share, docker};
use crate::systemd_host::{SystemdHost, UNIT, give_to_dragon};
use crate::{HISTORY, assert_share_kept, registry, text};

const SMALL: Share = Share { small_files: 10, big_file_bytes: 0 };

pub(crate) fn both(out: &Output) -> String {
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

/// The manager's containers, running or not.
fn containers() -> String {
    let out = docker(&["ps", "--all", "--quiet", "--filter", "label=com.docker.compose.project=manager"]);
    text(&out.stdout).trim().to_owned()
}

/// What the journal says since the unit's last start.
pub(crate) fn since_last_start(journal: &str) -> &str {
    let from = journal.rfind(&format!("Starting {UNIT}")).unwrap_or_else(|| panic!("no start in {journal}"));
    &journal[from..]
}

#[track_caller]
pub(crate) fn wait_healthy(fixture: &Fixture, within: Duration) {
    let deadline = Instant::now() + within;
    while !fixture.all_healthy() {
        assert!(Instant::now() < deadline, "the manager is not healthy after {within:?}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// (a) dragon starts the unit through sudo; its ExecStartPre pulls from the registry (the local
/// tag was removed, so the pull has to fetch it) before Compose brings the manager up.
#[test]
fn dragon_starts_the_unit_which_pulls_from_the_registry_then_brings_the_manager_up() {
    let host = SystemdHost::new(SMALL);
    let started = Instant::now();
    let stop = host.run_as_dragon(&["sudo", "systemctl", "stop", UNIT], &[]);
    assert_eq!(stop.status.code(), Some(0), "{}", both(&stop));
    assert!(!host.all_healthy(), "stopping the unit left the manager running");
    let untag = docker(&["image", "rm", registry::IMAGE]);
    assert!(untag.status.success(), "{}", text(&untag.stderr));

    let start = host.run_as_dragon(&["sudo", "systemctl", "start", UNIT], &[]);
    assert_eq!(start.status.code(), Some(0), "{}", both(&start));
    // Nothing on the terminal: what the unit's commands print goes to its journal.
    assert_eq!(both(&start), "", "systemctl start printed something");
    assert!(
        docker(&["image", "inspect", registry::IMAGE]).status.success(),
        "the unit did not pull the image"
    );
    let journal = host.journal();
    let last = since_last_start(&journal);
    // Compose pulls the one image once, for whichever service comes first.
    let pulled = Regex::new(r"docker\[\d+\]:  [a-z-]+ Pulled").unwrap().find(last);
    let up = last.find(&format!("Started {UNIT}"));
    assert!(
        pulled.is_some() && up.is_some(),
        "no pull, or no start, in the journal since the start:\n{last}"
    );
    assert!(pulled.unwrap().start() < up.unwrap(), "the unit started before its pull ended:\n{last}");
    let pre = host.unit_property("ExecStartPre");
    assert!(
        pre.contains("argv[]=/usr/bin/docker compose pull ;") && pre.contains("code=exited ; status=0 }"),
        "{pre}"
    );
    wait_healthy(&host, Duration::from_secs(60));
    assert_eq!(text(&host.as_root(&["systemctl", "is-active", UNIT], &[]).stdout).trim(), "active");
    eprintln!("figures: (a) stop, start with a pull, healthy: {:.1}s", started.elapsed().as_secs_f64());
}

/// (b) The field fact the tool must handle: with the registry unreachable, `systemctl start`
/// fails at ExecStartPre, with the control process's exit, and nothing is created, not even the
/// volumes `down -v` deleted. The stand-in systemctl answers alike; once the registry is back,
/// the next start brings the manager up.
#[test]
fn with_the_registry_unreachable_the_units_start_fails_and_creates_nothing() {
    let host = SystemdHost::new(SMALL);
    let started = Instant::now();
    let stop = host.run_as_dragon(&["sudo", "systemctl", "stop", UNIT], &[]);
    assert_eq!(stop.status.code(), Some(0), "{}", both(&stop));
    // As the runbook's step 3 leaves it.
    assert!(host.compose(&["down", "--volumes"]).status.success());
    assert_eq!(containers(), "");

    let properties = "--property=ExecStartPre,Result,ActiveState,SubState";
    let (start, shown) = {
        let _down = registry::stop();
        assert!(!registry::is_up());
        let start = host.run_as_dragon(&["sudo", "systemctl", "start", UNIT], &[]);
        (start, host.as_root(&["systemctl", "show", properties, UNIT], &[]))
    };
    assert!(registry::is_up(), "the registry did not come back");
    assert_eq!(start.status.code(), Some(1), "{}", both(&start));
    assert_eq!(
        text(&start.stderr),
        format!(
            "Job for {UNIT} failed because the control process exited with error code.\n\
             See \"systemctl status {UNIT}\" and \"journalctl -xeu {UNIT}\" for details.\n"
        )
    );
    assert_eq!(containers(), "", "a container was created");
    assert!(!docker(&["volume", "inspect", "manager_share"]).status.success(), "a volume was created");
    let journal = host.journal();
    let last = since_last_start(&journal);
    for line in [
        "dial tcp 127.0.0.1:5000: connect: connection refused",
        &format!("{UNIT}: Control process exited, code=exited, status="),
        &format!("{UNIT}: Failed with result 'exit-code'."),
        &format!("Failed to start {UNIT} - OSISM manager service."),
    ] {
        assert!(last.contains(line), "no {line:?} in the journal since the start:\n{last}");
    }
    assert_eq!(text(&host.as_root(&["systemctl", "is-failed", UNIT], &[]).stdout).trim(), "failed");
    let shown = text(&shown.stdout);
    assert!(Regex::new(r"code=exited ; status=[1-9][0-9]* }").unwrap().is_match(&shown), "{shown}");

    // The stand-in, asked the same on the test machine with the registry away, answers alike.
    let stand_in = |args: &[&str]| {
        Command::new(host.bin().join("systemctl")).args(args).envs(host.stand_in_env()).output().unwrap()
    };
    let (model, model_shown) = {
        let _down = registry::stop();
        (stand_in(&["start", UNIT]), stand_in(&["show", properties, UNIT]))
    };
    assert_eq!(model.status.code(), start.status.code());
    assert_eq!(text(&model.stderr), text(&start.stderr));
    assert_eq!(normalised(&text(&model_shown.stdout)), normalised(&shown));
    assert_eq!(stand_in(&["is-failed", UNIT]).status.code(), Some(0));
    assert_eq!(containers(), "", "the stand-in created a container");

    // The registry back, the next start pulls and brings the manager up.
    let start = host.run_as_dragon(&["sudo", "systemctl", "start", UNIT], &[]);
    assert_eq!(start.status.code(), Some(0), "{}", both(&start));
    wait_healthy(&host, Duration::from_secs(60));
    eprintln!(
        "figures: (b) failed start, the stand-in's, a start again, healthy: {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

/// `systemctl show` output with what differs from run to run made alike: times and pids.
fn normalised(shown: &str) -> String {
    let time = Regex::new(r"\[[A-Z][a-z]{2} \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [A-Z]+\]").unwrap();
    let pid = Regex::new(r"pid=[1-9]\d*").unwrap();
    pid.replace_all(&time.replace_all(shown, "[TIME]"), "pid=PID").into_owned()
}

const PASSWORD: &str = "e2e vault password";

/// (c) The reset as OSISM's operator runs it: dragon, through sudo for the unit alone, the vault
/// password in Redis only (so that it must be set again), the registry reachable. Step 4's start
/// pulls before Compose brings the manager up again.
#[test]
fn a_full_reset_as_dragon_under_systemd_keeps_share_and_the_vault_password() {
    let host = SystemdHost::new(Share::SUITE);
    host.set_vault_password(PASSWORD);
    fs::remove_file(host.vault_pass()).unwrap();
    let file = host.path().join("vault-password");
    fs::write(&file, format!("{PASSWORD}\n")).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    give_to_dragon(&file);
    let before = host.share_listing();
    let starts_before = host.journal().matches(&format!("Starting {UNIT}")).count();

    let started = Instant::now();
    let out = host.run_as_dragon(
        &["osism-manager-reset", "--yes", "--vault-password-file", file.to_str().unwrap()],
        &[],
    );
    let took = started.elapsed();
    let output = both(&out);
    assert_eq!(out.status.code(), Some(0), "{output}\njournal:\n{}", host.journal());

    assert_share_kept(&before, &host.share_listing());
    assert_ne!(
        host.share_listing().get(HISTORY),
        before.get(HISTORY),
        "the manager's own write is not there"
    );
    assert!(host.all_healthy(), "not every service is healthy after the reset");
    assert_eq!(host.vault_password().as_deref(), Some(PASSWORD), "the vault password is not set again");
    assert_eq!(text(&host.as_root(&["systemctl", "is-active", UNIT], &[]).stdout).trim(), "active");
    let journal = host.journal();
    assert_eq!(journal.matches(&format!("Starting {UNIT}")).count(), starts_before + 1, "{journal}");
    let last = since_last_start(&journal);
    assert!(Regex::new(r"[a-z-]+ Pulled").unwrap().is_match(last), "step 4's start did not pull:\n{last}");
    let calls = fs::read_to_string(host.log()).unwrap();
    assert_eq!(
        calls,
        "osism vault check --format script\nosism set vault password\nosism vault check --format script\n\
         osism reconciler sync\nosism apply facts\n",
        "osism was called otherwise"
    );
    let files = host.backup_files();
    assert!(files.iter().any(|f| f.starts_with("manager-share-") && f.ends_with(".tar.gz")), "{files:?}");
    let owner = |f: &str| {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(host.backup_dir().join(f)).unwrap().uid()
    };
    assert!(files.iter().all(|f| owner(f) == crate::systemd_host::DRAGON), "not all dragon's: {files:?}");
    eprintln!("figures: (c) full reset as dragon under systemd {:.1}s", took.as_secs_f64());
}

/// (d) The same runs on the stand-in systemctl and on systemd give the tool the same answers:
/// its dry run as dragon on the systemd host, with the stand-ins first on PATH and without; and a
/// full reset as root (no sudo on either side), on the test machine with the stand-ins and on the
/// systemd host, whose transcripts (the tool's output and its log) match once what differs from
/// run to run is made alike (see `Transcript`).
#[test]
fn the_stand_in_and_systemd_give_the_tool_the_same_transcript() {
    let (real, real_dir, real_took) = {
        let host = SystemdHost::new(SMALL);
        let started = Instant::now();
        let stand_ins = host.path().join("bin-stand-ins");
        fs::create_dir_all(&stand_ins).unwrap();
        for tool in ["systemctl", "journalctl", "osism"] {
            fs::copy(host.bin().join(tool), stand_ins.join(tool)).unwrap();
        }
        give_to_dragon(&stand_ins);
        let path =
            format!("{}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", stand_ins.display());
        let dry = host.run_as_dragon(&["osism-manager-reset", "--dry-run"], &[]);
        let dry_model = host.run_as_dragon(&["osism-manager-reset", "--dry-run"], &[("PATH", &path)]);
        assert_eq!(dry.status.code(), Some(0), "{}", both(&dry));
        let dry = Transcript::of(&host, &dry);
        assert!(dry.output.contains("$ sudo systemctl stop manager.service"), "{}", dry.output);
        dry.assert_same(&Transcript::of(&host, &dry_model));

        let out = host.as_root(&["osism-manager-reset", "--yes"], &[]);
        assert_eq!(out.status.code(), Some(0), "{}", both(&out));
        assert!(host.all_healthy());
        (Transcript::of(&host, &out), host.path().to_owned(), started.elapsed())
    };
    let fixture = Fixture::new(SMALL);
    let started = Instant::now();
    let out = fixture.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(fixture.all_healthy());
    let model = Transcript::of(&fixture, &out);
    assert_ne!(real_dir, fixture.path(), "the two runs were not apart");
    for line in [
        "<T> $ systemctl stop manager.service",
        "<T> $ systemctl start manager.service",
        "<T> # reset finished",
    ] {
        assert!(real.log.contains(line), "{line:?} is not in the log:\n{}", real.log);
    }
    real.assert_same(&model);
    eprintln!(
        "figures: (d) two dry runs and a reset under systemd {:.1}s, the reset on the stand-in {:.1}s",
        real_took.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}

/// (e) The registry unreachable for the whole reset, as when a manager's mirror is down: the
/// unit's start, which pulls, fails. Whatever the tool makes of it, the stand-in and systemd give
/// it the same transcript (as root on both sides, as in (d)); and once the registry is back, what
/// the tool printed to go on ends with /share as it was and the manager healthy.
#[test]
fn with_the_registry_unreachable_the_reset_goes_alike_on_the_stand_in_and_under_systemd() {
    let (real, real_took) = {
        let host = SystemdHost::new(SMALL);
        let before = host.share_listing();
        let started = Instant::now();
        let out = {
            let _down = registry::stop();
            host.as_root(&["osism-manager-reset", "--yes"], &[])
        };
        // Refused before anything stops: the registry, asked through the engine, cannot give the
        // image the unit's start would pull; the manager runs on, untouched.
        let said = both(&out);
        assert_eq!(out.status.code(), Some(2), "{said}");
        assert!(said.contains(&format!("the registry cannot give {}", registry::IMAGE)), "{said}");
        assert!(host.all_healthy(), "the manager was stopped: {said}");
        let transcript = Transcript::of(&host, &out);
        finish_as_printed(&host, &out, &before, |args| host.as_root(args, &[]));
        (transcript, started.elapsed())
    };
    let fixture = Fixture::new(SMALL);
    let started = Instant::now();
    let out = {
        let _down = registry::stop();
        fixture.run(&["--yes"], &[])
    };
    real.assert_same(&Transcript::of(&fixture, &out));
    eprintln!(
        "figures: (e) reset with the registry away and what it printed, under systemd {:.1}s; the reset on \
         the stand-in {:.1}s",
        real_took.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}

/// After a run `out` that met an unreachable registry, the registry back: a run that stopped on
/// the way is resumed as it said, a refused one changed nothing; either way /share is as it was
/// and the manager healthy.
#[track_caller]
fn finish_as_printed(
    fixture: &Fixture,
    out: &Output,
    before: &BTreeMap<String, String>,
    tool: impl Fn(&[&str]) -> Output,
) {
    let err = text(&out.stderr);
    if let Some(at) = err.find("resume with `") {
        let line = err[at..].split('`').nth(1).unwrap();
        let mut words = shlex::split(line).unwrap();
        words.push("--yes".into());
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let again = tool(&words);
        assert_eq!(again.status.code(), Some(0), "{line}: {}", both(&again));
    } else {
        assert_ne!(out.status.code(), Some(0), "the reset passed with the registry away: {}", both(out));
    }
    assert_share_kept(before, &fixture.share_listing());
    wait_healthy(fixture, Duration::from_secs(60));
}

/// The command the tool told the operator to type, in `said` after `lead` (which ends in "`").
#[track_caller]
pub(crate) fn printed(said: &str, lead: &str) -> String {
    said[said.find(lead).unwrap_or_else(|| panic!("no {lead:?}: {said}"))..]
        .split('`')
        .nth(1)
        .unwrap()
        .to_owned()
}

/// The run's journal in the backup directory, once it is there and whole.
pub(crate) fn journal_of(fixture: &Fixture) -> Option<serde_json::Value> {
    let dir = fs::read_dir(fixture.backup_dir()).ok()?;
    let path = dir.flatten().map(|e| e.path()).find(|p| p.to_string_lossy().ends_with(".journal.json"))?;
    serde_json::from_str(&fs::read_to_string(path).ok()?).ok()
}

/// What the tool printed and logged, with what differs from one run to the next made alike: the
/// fixture's directory, times and durations, IDs, the disk's free space, Compose's ages and
/// JSON, the order of lines
/// commands print in parallel (Compose's per container, tar's per directory), how many rounds a
/// wait polled, progress lines, and the running manager's own writes to /share, which its timing
/// decides.
struct Transcript {
    output: String,
    log: String,
}

impl Transcript {
    fn of(fixture: &Fixture, out: &Output) -> Transcript {
        let dir = fixture.path().display().to_string();
        let general = |text: &str| {
            let mut text = text.replace(&dir, "<DIR>");
            for (pattern, with) in [
                (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "<T>"),
                (r"\b[0-9a-f]{64}\b", "<ID>"),
                (r"\b[0-9a-f]{12}\b", "<ID>"),
                (r"\d+(\.\d+)? ?s\b", "<D>s"),
                (r"(\d+|About an?|Less than a) (second|minute)s? ago", "<AGO>"),
                (r"Up (\d+|About an?|Less than a) (second|minute)s?", "Up <AGO>"),
                (r"(?m)^(\s+out\| )\{.*\}$", "${1}<JSON>"),
                (r"(?m)^.*the running manager's own: .*\n", ""),
                (r"\d+ restored as archived", "N restored as archived"),
                (r"\([0-9.]+ [KMGT]iB free there\)", "(<FREE> free there)"),
                // Progress, shown as time goes: what it says depends on when it was shown.
                (r"(?m)^(\s+)\S.* \(<D>s\)$", "${1}<progress>"),
                // Compose's pull before step 1: which service pulls the image the others share
                // is whichever came first.
                (
                    r"(?m)^(.*?\s)\S+ (Pulling|Pulled|Skipped - Image is already being pulled by \S+) *$",
                    "${1}<pull>",
                ),
            ] {
                text = Regex::new(pattern).unwrap().replace_all(&text, with).into_owned();
            }
            text
        };
        let mut err: Vec<String> = general(&text(&out.stderr)).lines().map(str::to_owned).collect();
        err.sort();
        let output = format!("{}\n== stderr, sorted\n{}", general(&text(&out.stdout)), err.join("\n"));
        // The run's log, where it wrote one (a dry run, or a refusal before step 1, writes none).
        let files = fixture.backup_files();
        let log = files.iter().find(|f| f.ends_with(".log")).map_or_else(String::new, |name| {
            blocks(&general(&fs::read_to_string(fixture.backup_dir().join(name)).unwrap()))
        });
        Transcript { output, log }
    }

    #[track_caller]
    fn assert_same(&self, model: &Transcript) {
        for (what, real, model) in [("output", &self.output, &model.output), ("log", &self.log, &model.log)] {
            if real != model {
                let first = real.lines().zip(model.lines()).position(|(a, b)| a != b).unwrap_or(0);
                let around =
                    |t: &str| t.lines().skip(first.saturating_sub(3)).take(12).collect::<Vec<_>>().join("\n");
                panic!(
                    "the {what} differs from line {first} on, under systemd:\n{}\n\non the stand-in:\n{}",
                    around(real),
                    around(model)
                );
            }
        }
    }
}

/// The log as blocks (a note, or a command with what it printed and how it ended), the lines a
/// command printed sorted, and a round of blocks repeated at once kept once: a wait's polling.
fn blocks(log: &str) -> String {
    let mut blocks: Vec<Vec<String>> = Vec::new();
    for line in log.lines() {
        if line.starts_with("<T> $ ") || line.starts_with("<T> # ") || blocks.is_empty() {
            blocks.push(vec![line.to_owned()]);
        } else {
            blocks.last_mut().unwrap().push(line.to_owned());
        }
    }
    for block in &mut blocks {
        let printed = block.iter().position(|l| l.starts_with("  ")).unwrap_or(block.len());
        let end = block.iter().rposition(|l| l.starts_with("  ")).map_or(printed, |i| i + 1);
        block[printed..end].sort();
    }
    let mut at = 0;
    while at < blocks.len() {
        let repeated =
            (1..=3).find(|&k| at + 2 * k <= blocks.len() && blocks[at..at + k] == blocks[at + k..at + 2 * k]);
        match repeated {
            Some(k) => drop(blocks.drain(at + k..at + 2 * k)),
            None => at += 1,
        }
    }
    blocks.concat().join("\n")
}

/// (f) The registry dies after the tool's pull before step 1 and before step 4: the unit's own
/// pull fails its start after `down -v`. The message quotes the unit's journal and gives a drop-in
/// that starts the manager from the images already here: typed as printed, then the resume as
/// printed, the reset finishes with /share whole; the drop-in's removal, typed as printed, leaves
/// the unit pulling again.
#[test]
fn the_registry_dying_after_the_pull_is_got_round_as_the_failure_says() {
    let host = SystemdHost::new(SMALL);
    let before = host.share_listing();
    let out = std::thread::scope(|scope| {
        let run = scope.spawn(|| host.as_root(&["osism-manager-reset", "--yes"], &[]));
        // Once step 2 is done, the pull before step 1 is behind: the registry dies.
        let deadline = Instant::now() + Duration::from_secs(120);
        while journal_of(&host).is_none_or(|j| j["steps"][1]["state"] != "done") {
            assert!(Instant::now() < deadline && !run.is_finished(), "step 2 never ended");
            std::thread::sleep(Duration::from_millis(50));
        }
        let _down = registry::stop();
        run.join().unwrap()
    });
    let said = both(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("step 4 (Start the manager service) failed: the unit manager.service did not start"),
        "{said}"
    );
    assert!(said.contains("its journal ends: "), "{said}");
    let drop_in = printed(&said, "start it from the images already on this host: `");
    let resume = printed(&said, "once the cause is fixed, resume with `");
    let undo = printed(&said, "once the registry is back, `");

    // The registry still away: the drop-in, then the resume, as printed.
    let _down = registry::stop();
    let out = host.as_root(&["sh", "-c", &drop_in], &[]);
    assert!(out.status.success(), "`{drop_in}`: {}", both(&out));
    let mut words = shlex::split(&resume).unwrap();
    words.push("--yes".into());
    let out = host.as_root(&words.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    assert_eq!(out.status.code(), Some(0), "`{resume}`: {}", both(&out));
    assert_share_kept(&before, &host.share_listing());
    wait_healthy(&host, Duration::from_secs(60));
    drop(_down);

    let out = host.as_root(&["sh", "-c", &undo], &[]);
    assert!(out.status.success(), "`{undo}`: {}", both(&out));
    assert!(host.unit_property("ExecStartPre").contains("compose pull"), "the unit pulls no more");
}
