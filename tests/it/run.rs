//! Real runs of the built binary against the fakes: the commands, their order, their echo.

use crate::calls_snapshot;
use crate::support::{World, is_query, stderr, stdout};

/// The display lines the dry run shows, in order.
fn dry_run_lines(world: &World) -> Vec<String> {
    let out = world.run(&["--dry-run", "--output", "json"], &[]);
    let plan: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    world.clear_calls();
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["commands"].as_array().unwrap().iter())
        .map(|c| c["display"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn yes_runs_exactly_the_dry_run_lines_in_order() {
    let world = World::new();
    let planned = dry_run_lines(&world);
    let out = world.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(world.runbook_calls(), planned);
    assert_eq!(planned.len(), 8);
    calls_snapshot!("run_yes_calls", world.scrub(&world.runbook_calls()));
}

/// Every call: preflight's queries, which run at once and so in no fixed order, sorted; then
/// from the first runbook command on, everything in the order it ran, except that the read-back
/// of /share, started beside the tar command it checks and so logged just before or just after
/// it, is listed after it.
#[test]
fn every_call_including_queries_in_order() {
    let world = World::new();
    let out = world.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let calls = world.calls();
    let first = calls.iter().position(|argv| !is_query(argv)).expect("a runbook command ran");
    let join = |argv: &Vec<String>| osism_manager_reset::plan::quote::join(argv);
    let mut preflight: Vec<String> = calls[..first].iter().map(join).collect();
    preflight.sort();
    // sudo is asked only by an operator who is not root: one snapshot for both.
    let asked_sudo = preflight.iter().filter(|c| c.starts_with("sudo -n -l systemctl ")).count();
    assert_eq!(asked_sudo, if crate::support::is_root() { 0 } else { 2 }, "{preflight:?}");
    preflight.retain(|c| !c.starts_with("sudo -n -l "));
    let mut steps: Vec<String> = calls[first..].iter().map(join).collect();
    for i in 1..steps.len() {
        if steps[i - 1].contains("tar -cf /backup/.osism-manager-reset-share.fifo")
            && steps[i].contains(" tar -")
        {
            steps.swap(i - 1, i);
        }
    }
    let all = format!(
        "preflight, sorted:\n{}\n\nsteps, in order:\n{}",
        world.scrub(&preflight),
        world.scrub(&steps)
    );
    calls_snapshot!("run_yes_all_calls", all);
}

#[test]
fn every_command_is_echoed_before_it_runs_and_tar_lines_are_counted() {
    let world = World::new();
    let planned = dry_run_lines(&world);
    let out = world.run(&["--yes"], &[]);
    let text = stdout(&out);
    for line in planned {
        assert!(text.contains(&format!("$ {line}")), "{line} not echoed in\n{text}");
    }
    assert!(!text.contains("share/dir/deeper/empty"), "tar's file list reached the terminal:\n{text}");
    assert!(text.contains("tar listed 7 entries"), "{text}");
}

#[test]
fn transcript_holds_every_command_with_status_and_output() {
    let world = World::new();
    // Tar's last line comes after tar has closed the archive's pipe, as Docker may pass it on.
    let out = world.run(&["--yes"], &[("FAKE_TAR_LATE", "1")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let log = std::fs::read_to_string(world.backup_file(".log")).unwrap();
    assert!(log.contains("out| share/ (listed late)"), "{log}");
    for line in dry_run_lines(&world) {
        assert!(log.contains(&format!("$ {line}")), "{line} not in the log");
    }
    assert!(log.contains("out| share/dir/deeper/empty"), "tar's file list is not in the log");
    assert!(log.contains("= exit status: 0 after"), "{log}");
    // The check after the restore compares /share with what step 2's read-back recorded.
    assert!(log.contains("(compared with the archive's records entry by entry)"), "{log}");
    // Each read-back of /share is recorded whole once it ended, after its tar's status (step 2's
    // reads while tar writes): it never splits tar's lines.
    let lines: Vec<&str> = log.lines().collect();
    let read_backs: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("$ docker run") && lines[i].contains(".fifo"))
        .collect();
    assert_eq!(read_backs.len(), 2, "{log}");
    for i in read_backs {
        assert!(
            lines[i - 1].ends_with("# the read-back below, started beside the step's command, ended here:"),
            "{log}"
        );
        assert!(lines[i - 2].contains("= exit status: 0 after"), "{log}");
        assert!(
            lines[..i - 2].iter().rev().find(|l| l.contains(" $ ")).is_some_and(|l| l.contains(" tar -")),
            "{log}"
        );
        assert!(lines[i + 1].contains("= exit status: 0 after"), "{log}");
    }
}

#[test]
fn a_failing_command_stops_the_run_with_exit_1() {
    let world = World::new();
    let out = world.run(&["--yes"], &[("FAKE_FAIL", "*down -v")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("step 3 (Delete the manager service and its volumes) failed"), "{err}");
    assert!(err.contains("manager-share-"), "the archive is not named: {err}");
    assert!(err.contains("resume with `osism-manager-reset --resume --backup-dir"), "{err}");
    let calls = world.runbook_calls();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert!(calls[2].ends_with("down -v"));
}

#[test]
fn no_terminal_and_no_yes_is_refused_before_anything_runs() {
    let world = World::new();
    let out = world.run(&[], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("pass --yes"), "{}", stderr(&out));
    assert!(world.runbook_calls().is_empty());
}

#[test]
fn odd_backup_directory_is_passed_as_one_argument() {
    let world = World::new();
    let odd = world.backup_dir().join("my backups; $(touch pwned)");
    std::fs::create_dir(&odd).unwrap();
    let out = world.run(&["--yes", "--backup-dir", odd.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let volume = format!("{}:/backup", odd.display());
    let backup = world.calls().into_iter().find(|argv| argv.iter().any(|a| a == "-czvf")).unwrap();
    assert!(backup.contains(&volume), "{backup:?}");
    assert!(!world.backup_dir().join("pwned").exists());
}

#[test]
fn the_log_starts_with_what_preflight_found() {
    let world = World::new();
    let out = world.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let log = std::fs::read_to_string(world.backup_file(".log")).unwrap();
    let first: Vec<&str> = log.lines().take(12).map(|l| l.split_once(' ').unwrap().1).collect();
    assert_eq!(first[0], "# preflight passed:");
    assert!(
        first.iter().any(|l| l.starts_with("#   service unit: docker-compose@manager.service")),
        "{first:?}"
    );
    assert!(first.iter().any(|l| l.contains("deletes these volumes: manager_mariadb")), "{first:?}");
}

#[test]
fn a_closed_stdout_does_not_stop_the_reset() {
    use std::io::{BufRead, BufReader};
    let world = World::new();
    // `osism-manager-reset --yes | head -5`
    let mut child = world.command(&["--yes"]).stdout(std::process::Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for _ in 0..5 {
        lines.next().unwrap().unwrap();
    }
    drop(lines);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "the reset did not finish");
    assert_eq!(world.runbook_calls().len(), 8, "{:?}", world.runbook_calls());
    let log = std::fs::read_to_string(world.backup_file(".log")).unwrap();
    assert!(
        log.contains("# reset finished") && log.contains("restored as archived"),
        "the log is not complete:\n{log}"
    );
}

#[test]
fn the_log_is_plain_text_even_with_colour_forced() {
    let world = World::new();
    let out = world.command(&["--yes"]).env_remove("NO_COLOR").env("CLICOLOR_FORCE", "1").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains('\x1b'), "no colour was forced, so this test proves nothing");
    let log = std::fs::read_to_string(world.backup_file(".log")).unwrap();
    assert!(!log.contains('\x1b'), "escape codes in the log:\n{log}");
}

#[test]
fn a_finished_run_ends_with_a_summary() {
    let world = World::new();
    let out = world.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let summary = &text[text.find("Summary:").expect("no summary")..];
    for step in 1..=7 {
        assert!(summary.contains(&format!("  step {step}  ")), "step {step} missing:\n{summary}");
    }
    assert!(summary.contains("the manager was down ") && !summary.contains("down ?"), "{summary}");
    assert!(
        summary.contains("/share: 7 entries verified after the backup, 7 restored as archived"),
        "{summary}"
    );
}
