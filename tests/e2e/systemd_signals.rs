//! Signals and kills under the real systemd (`systemd_host.rs`), with the tool run as dragon
//! through the README's sudoers line: Ctrl-C and SIGTERM during step 2, whose rollback starts
//! the manager again with systemd's own `systemctl start`; and SIGKILL at step 4, after `down
//! -v`, while the unit starts, resumed as the next run prints it.

use std::fs;
use std::time::{Duration, Instant};

use regex::Regex;
use rustix::process::Signal;

use crate::fixture::{Share, docker};
use crate::real_systemd::{both, journal_of, printed, since_last_start, wait_healthy};
use crate::systemd_host::{SystemdHost, UNIT};
use crate::{assert_share_kept, during_backup, tar_containers, text};

/// Big enough that the backup (gzip of random bytes: 23 MiB/s on a quiet machine, 5 with other
/// suites on its two cores) still runs when SIGTERM's five seconds of grace are over.
const SLOW_BACKUP: Share = Share { small_files: 2_000, big_file_bytes: 160 * 1024 * 1024 };

fn starts(host: &SystemdHost) -> usize {
    host.journal().matches(&format!("Starting {UNIT}")).count()
}

fn is_active(host: &SystemdHost) -> String {
    text(&host.as_root(&["systemctl", "is-active", UNIT], &[]).stdout).trim().to_owned()
}

/// Ctrl-C, then SIGTERM, to the tool's process group while step 2's tar runs: each run stops
/// before `down -v`, starts the unit again through sudo (systemd's journal shows the start),
/// says so as the README's table of failures does, and exits 130 and 143; /share and the
/// mariadb volume are untouched, no tar container is left; the command it prints, typed, then
/// finishes the reset.
#[test]
fn ctrl_c_and_sigterm_during_the_backup_start_the_manager_again_through_systemd() {
    let host = SystemdHost::new(SLOW_BACKUP);
    let before = host.share_listing();
    let stderr = host.path().join("stderr");
    let mut again = String::new();
    for (signal, code, name) in [(Signal::INT, 130, "SIGINT"), (Signal::TERM, 143, "SIGTERM")] {
        let started = (starts(&host), Instant::now());
        let mut job = host.start_as_dragon(&["osism-manager-reset", "--yes"], &stderr);
        during_backup(&[signal], |signal| job.signal(signal));
        let status = job.wait();
        let err = fs::read_to_string(&stderr).unwrap();
        assert_eq!(status, Some(code), "{name}: {err}");
        let said = err.lines().find(|l| l.starts_with("error: ")).unwrap_or_else(|| panic!("{name}: {err}"));
        let archive = host.backup_dir().join(format!("manager-share-{}.tar.gz", today()));
        let expected = format!(
            "error: interrupted at step 2 (Back up the /share volume) by {name}; the manager was started \
             again and is healthy; nothing was changed (`down -v` did not run, /share is untouched); the \
             partial archive {}, never verified, was removed; when ready run the reset again with `",
            archive.display()
        );
        assert!(said.starts_with(&expected), "{name}:\n{said}\nnot as\n{expected}");
        assert!(!archive.exists(), "{name}: the partial archive is there");
        again = printed(said, "run the reset again with `");

        assert_eq!(
            starts(&host),
            started.0 + 1,
            "{name}: systemd did not start the unit once:\n{}",
            host.journal()
        );
        let last = since_last_start(&host.journal()).to_owned();
        assert!(last.contains(&format!("Started {UNIT}")), "{name}: {last}");
        assert_eq!(is_active(&host), "active", "{name}");
        assert!(host.all_healthy(), "{name}: {}", host.ps());
        let log = host.backup_files().into_iter().find(|f| f.ends_with(".log")).unwrap();
        let log = fs::read_to_string(host.backup_dir().join(log)).unwrap();
        let order = Regex::new(&format!(
            r"(?s)\$ sudo systemctl stop {UNIT}\n.*tar -czvf .*interrupted at step 2 by {name}.*\$ sudo systemctl start {UNIT}\n"
        ))
        .unwrap();
        assert!(
            order.is_match(&log),
            "{name}: not stopped, interrupted in the backup, started again:\n{log}"
        );
        // Ctrl-C lets the backup's tar finish; SIGTERM gives it five seconds, then stops it.
        let cut = log.contains("the command left running");
        assert_eq!(cut, signal == Signal::TERM, "{name}: the tar was stopped, or not, otherwise:\n{log}");
        assert_eq!(tar_containers(), "", "{name}: a tar container outlived the tool");
        assert!(host.volume_dir("manager_mariadb").join("ibdata1").exists(), "{name}: down -v ran");
        assert_share_kept(&before, &host.share_listing());
        eprintln!(
            "figures: {name} in step 2 under systemd, rolled back in {:.1}s",
            started.1.elapsed().as_secs_f64()
        );
    }
    let words = shlex::split(&again).unwrap();
    let out = host.run_as_dragon(&words.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    assert_eq!(out.status.code(), Some(0), "`{again}`: {}", both(&out));
    assert_share_kept(&before, &host.share_listing());
    assert!(host.all_healthy(), "{}", host.ps());
}

/// The tool killed outright (SIGKILL, as the OOM killer does) once step 4 has begun: `down -v`
/// is behind it, and the unit's start, which sudo runs in a process group of its own, goes on
/// without it. The next run refuses and prints the resume; typed as printed, it finishes with
/// /share as it was, the unit active and the manager healthy.
#[test]
fn killed_at_step_4_under_systemd_the_resume_the_next_run_prints_finishes() {
    let host = SystemdHost::new(Share { small_files: 10, big_file_bytes: 0 });
    let before = host.share_listing();
    let stderr = host.path().join("stderr");
    let mut job = host.start_as_dragon(&["osism-manager-reset", "--yes"], &stderr);
    let deadline = Instant::now() + Duration::from_secs(120);
    while journal_of(&host).is_none_or(|j| j["steps"][3]["state"] != "running") {
        let err = fs::read_to_string(&stderr).unwrap_or_default();
        assert!(Instant::now() < deadline && !job.is_finished(), "step 4 never began: {err}");
        std::thread::sleep(Duration::from_millis(20));
    }
    job.kill_outright();
    assert_eq!(job.wait(), Some(128 + 9), "{}", fs::read_to_string(&stderr).unwrap());
    let journal = journal_of(&host).unwrap();
    assert_eq!(journal["steps"][2]["state"], "done", "down -v had not run: {journal}");
    assert_eq!(journal["steps"][3]["state"], "running", "{journal}");

    let out = host.run_as_dragon(&["osism-manager-reset", "--yes"], &[]);
    let said = both(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    let resume = printed(&said, "resume it with `");
    let mut words = shlex::split(&resume).unwrap();
    if !words.iter().any(|w| w == "--yes") {
        words.push("--yes".into());
    }
    let out = host.run_as_dragon(&words.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    assert_eq!(out.status.code(), Some(0), "`{resume}`: {}", both(&out));
    assert_share_kept(&before, &host.share_listing());
    wait_healthy(&host, Duration::from_secs(60));
    assert_eq!(is_active(&host), "active");
    assert_eq!(tar_containers(), "", "a tar container outlived the tool");
    let left = docker(&["ps", "--all", "--quiet", "--filter", "label=org.osism.manager-reset.read-back"]);
    assert_eq!(text(&left.stdout).trim(), "", "a read-back was left");
}

/// Today's date as the runbook's `$(date +%Y%m%d)` gives it.
fn today() -> String {
    let out = std::process::Command::new("date").arg("+%Y%m%d").output().unwrap();
    text(&out.stdout).trim().to_owned()
}
