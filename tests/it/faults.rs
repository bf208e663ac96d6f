//! The fault matrix: each runbook command failing, the tool killed in each step, a spoiled
//! archive, two runs at once. /share must survive all of them, and `--resume` must finish.

use std::process::Stdio;
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::calls_snapshot;
use crate::support::{World, advice, stderr};

/// Each runbook command: its step, a glob matching its call, and its snapshot name.
const COMMANDS: [(usize, &str, &str); 8] = [
    (1, "systemctl stop *", "stop"),
    (2, "* tar -czvf *", "backup"),
    (3, "* down -v", "down"),
    (4, "systemctl start *", "start"),
    (5, "* tar -xzvf *", "restore"),
    (6, "* ps", "ps"),
    (7, "osism reconciler sync", "sync"),
    (7, "osism apply facts", "facts"),
];

#[test]
fn each_failing_command_stops_the_run_and_resume_finishes_it() {
    for (step, glob, name) in COMMANDS {
        let world = World::new();
        let before = world.share_listing();
        let out = world.run(&["--yes"], &[("FAKE_FAIL", glob)]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(&format!("step {step} (")), "{name}: {}", stderr(&out));
        let failed_run = world.runbook_calls();
        if step == 7 {
            assert!(
                stderr(&out).contains("/share is restored and the manager is healthy"),
                "{}",
                stderr(&out)
            );
        }
        let states = world.journal_states();
        assert!(states.contains(&format!("{step}:failed")), "{name}: {states}");
        world.clear_calls();
        let out = if step <= 2 {
            // Stopped before `down -v`: the manager runs again, nothing changed, and the reset
            // is run again afresh, as the message says.
            assert!(!world.ran("down -v"), "{name}: down -v ran without a verified backup");
            assert_eq!(world.share_listing(), before, "{name}: /share changed");
            let err = stderr(&out);
            assert!(failed_run.last().unwrap().contains("systemctl start"), "{name}: {failed_run:?}");
            assert!(
                err.contains("the manager was started again and is healthy; nothing was changed"),
                "{name}: {err}"
            );
            assert!(world.journal()["rolled_back"].is_string(), "{name}");
            world.type_line(&advice("run the reset again with", &err), &world.path().join("state"), &[])
        } else {
            world.run(&["--resume", "--yes"], &[])
        };
        assert_eq!(out.status.code(), Some(0), "{name} resume: {}", stderr(&out));
        assert_eq!(world.share_listing(), before, "{name}: /share differs after the resume");
        assert!(world.journal()["finished"].as_bool().unwrap(), "{name}");
        let resumed = world.runbook_calls();
        calls_snapshot!(
            format!("fault_{step}_{name}"),
            format!("failed run:\n{}\n\nresumed run:\n{}", world.scrub(&failed_run), world.scrub(&resumed))
        );
    }
}

#[test]
fn a_truncated_archive_stops_the_run_before_down() {
    let world = World::new();
    let before = world.share_listing();
    let out = world.run(&["--yes"], &[("FAKE_CORRUPT", "truncate")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("is damaged"), "{}", stderr(&out));
    assert!(stderr(&out).contains("/share is untouched"), "{}", stderr(&out));
    assert!(!world.ran("down -v"));
    assert_eq!(world.share_listing(), before);
    assert_eq!(world.journal_states(), "1:done 2:failed 3:pending 4:pending 5:pending 6:pending 7:pending");
}

/// The archive cannot be written (its partial file's name taken by a directory, where a full
/// disk would fail the writes): tar writes into the pipe to its end all the same, and the run
/// stops before `down -v`, the manager started again and nothing left bearing the archive's name.
#[test]
fn an_archive_that_cannot_be_written_stops_the_run_before_down() {
    let world = World::new();
    let before = world.share_listing();
    let stamp = crate::support::today();
    let partial = world.backup_dir().join(format!(".manager-share-{stamp}.tar.gz.partial"));
    std::fs::create_dir_all(partial.join("in the way")).unwrap();
    let out = world.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("step 2 (Back up the /share volume) failed"), "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot write the archive"), "{}", stderr(&out));
    assert!(stderr(&out).contains("/share is untouched"), "{}", stderr(&out));
    assert!(world.ran("tar -czvf"), "tar never ran");
    assert!(!world.ran("down -v"));
    assert!(world.ran("systemctl start"), "the manager was not started again");
    assert_eq!(world.share_listing(), before);
    let archive = world.backup_dir().join(format!("manager-share-{stamp}.tar.gz"));
    assert!(std::fs::symlink_metadata(&archive).is_err(), "{} is there", archive.display());
    assert_eq!(world.journal_states(), "1:done 2:failed 3:pending 4:pending 5:pending 6:pending 7:pending");
}

/// The tool writes the archive from tar's pipe and takes its sha256 as it goes; a byte of the
/// file changing once it is in place (the size kept, before tar's container is gone) is caught
/// before `down -v`: the file is hashed again, as it was written since.
#[test]
fn an_archive_written_once_in_place_stops_the_run_before_down() {
    let world = World::new();
    let before = world.share_listing();
    let out = world.run(&["--yes"], &[("FAKE_CORRUPT", "rewrite-behind")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("step 3 (Delete the manager service and its volumes) failed"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("changed since it was verified"), "{}", stderr(&out));
    assert!(!world.ran("down -v"));
    assert!(world.ran("systemctl start"), "the manager was not started again");
    assert_eq!(world.share_listing(), before);
    assert_eq!(world.journal_states(), "1:done 2:done 3:failed 4:pending 5:pending 6:pending 7:pending");
}

/// Before the restore, the archive's sha256 taken as step 2 wrote it stands for it only while
/// nothing has written it since: a write after that (here while the manager starts), its size
/// kept, has it hashed again, and stops the restore.
#[test]
fn an_archive_changed_after_its_sha256_was_worked_out_ahead_is_not_restored() {
    let world = World::new();
    let out = world.run(&["--yes"], &[("FAKE_TAMPER_AT_START", world.backup_dir().to_str().unwrap())]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("changed since it was verified"), "{}", stderr(&out));
    assert!(world.ran("down -v"));
    assert!(!world.ran("tar -xzvf"), "a changed archive was restored");
    assert!(world.journal_states().contains("5:failed"), "{}", world.journal_states());
}

/// After the restore /share is compared with the records the verification kept of each entry;
/// records missing or not as written are not used: the archive itself is read, and a bad
/// restore is still caught.
#[test]
fn the_check_after_the_restore_reads_the_archive_when_its_records_are_missing_or_changed() {
    for (spoil, why) in [("remove", "cannot open"), ("change", "is not what was written")] {
        let world = World::new();
        let out = world.run(&["--yes"], &[("FAKE_FAIL", "systemctl start *")]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let records = world.backup_file(".records");
        match spoil {
            "remove" => std::fs::remove_file(&records).unwrap(),
            _ => {
                let mut bytes = std::fs::read(&records).unwrap();
                *bytes.last_mut().unwrap() ^= 1;
                std::fs::write(&records, bytes).unwrap();
            }
        }
        let out = world.run(&["--resume", "--yes"], &[("FAKE_RESTORE", "drop-one")]);
        assert_eq!(out.status.code(), Some(1), "{spoil}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("1 archived entries are missing (share/a.txt)"),
            "{spoil}: {}",
            stderr(&out)
        );
        let log = std::fs::read_to_string(world.backup_file(".log")).unwrap();
        assert!(log.contains("the archive itself is read instead of its records: "), "{spoil}: {log}");
        assert!(log.contains(why), "{spoil}: {log}");
    }
}

#[test]
fn an_archive_missing_a_file_stops_the_run_before_down() {
    let world = World::new();
    let out = world.run(&["--yes"], &[("FAKE_CORRUPT", "drop-one")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 entries of /share are not in the archive (share/a.txt)"),
        "{}",
        stderr(&out)
    );
    assert!(!world.ran("down -v"));
    assert!(world.share().join("a.txt").exists());
}

#[test]
fn an_archive_changed_after_verification_is_not_restored_and_down_does_not_run() {
    let world = World::new();
    let out = world.run(&["--yes"], &[("FAKE_FAIL", "* down -v")]);
    assert_eq!(out.status.code(), Some(1));
    std::fs::write(world.backup_file(".tar.gz"), b"tampered").unwrap();
    world.clear_calls();
    let out = world.run(&["--resume", "--yes"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("changed since it was verified"), "{}", stderr(&out));
    assert!(!world.ran("down -v"));
}

#[test]
fn killed_in_each_step_then_resumed_keeps_share() {
    for (step, glob, name) in COMMANDS {
        let world = World::new();
        let before = world.share_listing();
        let out = world.run(&["--yes"], &[("FAKE_KILL", glob)]);
        assert_eq!(out.status.code(), None, "{name}: the tool was not killed: {}", stderr(&out));
        let states = world.journal_states();
        assert!(states.contains(&format!("{step}:running")), "{name}: {states}");
        world.clear_calls();
        let out = world.run(&["--resume", "--yes"], &[]);
        assert_eq!(out.status.code(), Some(0), "{name} resume: {}", stderr(&out));
        assert_eq!(world.share_listing(), before, "{name}: /share differs after the resume");
        // Killed while the read-back of /share waited on its pipe beside the tar (steps 2 and
        // 5), the tool leaves that container running, holding the share volume: the resume
        // stops it before anything else.
        let (stopped, calls): (Vec<String>, Vec<String>) =
            world.runbook_calls().into_iter().partition(|c| c.starts_with("docker rm --force "));
        assert_eq!(stopped.len(), usize::from(matches!(step, 2 | 5)), "{name}: {stopped:?}");
        // The whole step runs again: for step 7 that is both osism commands.
        let first_of_step = COMMANDS.iter().position(|c| c.0 == step).unwrap();
        assert_eq!(calls.len(), COMMANDS.len() - first_of_step, "{name}: {calls:?}");
    }
}

#[test]
fn a_new_reset_refuses_while_one_is_unfinished() {
    let world = World::new();
    world.run(&["--yes"], &[("FAKE_FAIL", "systemctl start *")]);
    world.clear_calls();
    let out = world.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("resume it with `osism-manager-reset --resume"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("move it away"), "{}", stderr(&out));
    assert!(world.runbook_calls().is_empty());
}

#[test]
fn resume_without_a_journal_is_refused() {
    let world = World::new();
    let out = world.run(&["--resume", "--yes"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nothing to resume"), "{}", stderr(&out));
}

#[test]
fn a_second_run_exits_3_naming_the_first() {
    let world = World::new();
    let mut first = world.command(&["--yes"]);
    first.env("FAKE_HANG", "osism reconciler sync").env("FAKE_HANG_SECONDS", "5").stdout(Stdio::null());
    let mut first = first.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !world.ran("reconciler sync") && Instant::now() < deadline {
        sleep(Duration::from_millis(50));
    }
    let second = world.run(&["--yes"], &[]);
    assert_eq!(second.status.code(), Some(3), "{}", stderr(&second));
    assert!(stderr(&second).contains(&format!("pid {}", first.id())), "{}", stderr(&second));
    assert!(first.wait().unwrap().success());
}

#[test]
fn resume_keeps_the_plan_and_date_of_the_interrupted_reset() {
    let world = World::new();
    let out = world.run(&["--yes"], &[("FAKE_FAIL", "systemctl start *")]);
    assert_eq!(out.status.code(), Some(1));
    // Move the interrupted reset to another day, as if it had started before midnight.
    let today = world.journal()["plan"]["date"].as_str().unwrap().to_owned();
    for entry in std::fs::read_dir(world.backup_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().replace(&today, "20000101");
        let moved = path.with_file_name(name);
        std::fs::rename(&path, &moved).unwrap();
        if !moved.to_string_lossy().ends_with(".tar.gz") && !moved.to_string_lossy().ends_with(".records") {
            let text = std::fs::read_to_string(&moved).unwrap().replace(&today, "20000101");
            std::fs::write(&moved, text).unwrap();
        }
    }
    // The record that names the journal, for runs from elsewhere, names the moved one.
    for entry in std::fs::read_dir(world.records()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::write(&path, std::fs::read_to_string(&path).unwrap().replace(&today, "20000101")).unwrap();
    }
    // The date the plan was made from, as the journal records it: (year, day of the year).
    let journal = world.backup_file(".journal.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&journal).unwrap()).unwrap();
    json["inputs"]["facts"]["date"] = serde_json::json!([2000, 1]);
    std::fs::write(&journal, serde_json::to_string_pretty(&json).unwrap()).unwrap();
    world.clear_calls();
    let out = world.run(&["--resume", "--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let restore = &world.runbook_calls()[1];
    assert!(restore.contains("tar -xzvf /backup/manager-share-20000101.tar.gz"), "{restore}");
}

#[test]
fn a_volume_that_down_could_not_remove_fails_step_3() {
    let world = World::new();
    let before = world.share_listing();
    let out = world.run(&["--yes"], &[("FAKE_DOWN_LEAVES", "manager_mariadb")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("step 3 (") && stderr(&out).contains("left the volumes manager_mariadb"),
        "{}",
        stderr(&out)
    );
    assert!(!world.ran("systemctl start"), "the service started on a half-removed project");
    world.clear_calls();
    let out = world.run(&["--resume", "--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(world.runbook_calls()[0].ends_with("down -v"));
    assert_eq!(world.share_listing(), before);
}

#[test]
fn a_read_back_container_that_fails_before_writing_stops_the_run_without_hanging() {
    let world = World::new();
    let started = Instant::now();
    let out = world.run(&["--yes"], &[("FAKE_FAIL", "docker run * tar -cf *")]);
    assert!(started.elapsed() < Duration::from_secs(20), "the reader hung on its pipe");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("step 2 (") && stderr(&out).contains("failing as told"),
        "{}",
        stderr(&out)
    );
    assert!(!world.ran("down -v"));
    let left: Vec<_> =
        std::fs::read_dir(world.backup_dir()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!left.iter().any(|n| n.to_string_lossy().ends_with(".fifo")), "the pipe was left: {left:?}");
}

/// The read-back of /share starts beside the backup's tar, and is read as tar writes the
/// archive; when that tar fails, the read stops (its writer finds the pipe closed): nothing
/// hangs, nothing is left running, and the log says why it stopped.
#[test]
fn a_failed_backup_lets_the_waiting_read_back_go() {
    let world = World::new();
    let trace = world.path().join("trace");
    let started = Instant::now();
    let out = world.run(
        &["--yes"],
        &[("FAKE_FAIL", "docker run * tar -czvf *"), ("FAKE_TRACE", trace.to_str().unwrap())],
    );
    assert!(started.elapsed() < Duration::from_secs(20), "the read-back hung on its pipe");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("step 2 ("), "{}", stderr(&out));
    let trace = std::fs::read_to_string(trace).unwrap();
    let begun = trace.lines().filter(|l| l.starts_with("begin ")).count();
    let ended = trace.lines().filter(|l| l.starts_with("end ")).count();
    assert_eq!(begun, ended, "a call outlived the tool:\n{trace}");
    assert!(trace.contains("tar -cf /backup/.osism-manager-reset-share.fifo"), "{trace}");
    let log = std::fs::read_to_string(world.backup_file(".log")).unwrap();
    assert!(
        log.contains("reading the archive back stopped with the step's command, which did not finish"),
        "{log}"
    );
    let left: Vec<_> =
        std::fs::read_dir(world.backup_dir()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!left.iter().any(|n| n.to_string_lossy().ends_with(".fifo")), "the pipe was left: {left:?}");
}

/// Step 7's osism commands fail for reasons the operator handles differently: osism's own idle
/// timeout (its task runs on: follow it, or resume), the task lock, osismclient not running,
/// anything else. Each says which, in the message and the JSON event, and is never blamed on a
/// timeout it was not; the resume it gives, once the cause is gone, finishes the reset.
#[test]
fn step_7s_failures_say_what_failed_and_the_resume_finishes() {
    for (how, kind, needle) in [
        ("timeout", "osism-timeout", "osism's own timeout: it stopped waiting, but its task may still run"),
        ("locked", "tasks-locked", "osism's tasks are locked (by dragon at 2026-11-28T09:00:00)"),
        ("client-down", "osismclient-down", "the osismclient container is not up"),
    ] {
        let world = World::new();
        let out = world.run(&["--yes", "--output", "json"], &[("FAKE_OSISM_FAILS", how)]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{how}: {err}");
        assert!(err.contains("step 7 (Rebuild the inventory and the fact cache) failed"), "{how}: {err}");
        assert!(err.contains(needle), "{how}: {needle} not in {err}");
        assert_eq!(err.contains("timeout"), how == "timeout", "{how}: a timeout is named or missed: {err}");
        let events = crate::support::stdout(&out);
        let failed: serde_json::Value = serde_json::from_str(events.lines().last().unwrap()).unwrap();
        assert_eq!(failed["cause"], kind, "{how}: {failed}");
        let follow = "osism wait --output --live --delay 2 1c6e55aa-9d2f-4f4e-8b1a-3b2a9f0e7c11";
        assert_eq!(failed["follow"].as_str(), (how == "timeout").then_some(follow), "{how}: {failed}");
        assert_eq!(err.contains(&format!("follow it with `{follow}`")), how == "timeout", "{how}: {err}");
        world.clear_calls();
        let out =
            world.type_line(&format!("{} --yes", advice("resume with", &err)), &world.backup_dir(), &[]);
        assert_eq!(out.status.code(), Some(0), "{how}: {}", stderr(&out));
        assert_eq!(world.runbook_calls(), ["osism reconciler sync", "osism apply facts"], "{how}");
    }
}

/// The plan says how to get /share back should the tool itself not run: typed as it stands
/// after a reset killed once `down -v` had deleted /share, with the service started by hand, it
/// checks the archive and restores /share as it was.
#[test]
fn the_plans_way_back_without_the_tool_restores_share() {
    let world = World::new();
    let before = world.share_listing();
    let plan = crate::support::stdout(&world.run(&["--dry-run"], &[]));
    let check = advice("check the archive with", &plan);
    let restore = advice("restore /share with step 5's command:", &plan);
    let out = world.run(&["--yes"], &[("FAKE_KILL", "systemctl start *")]);
    assert_eq!(out.status.code(), None, "not killed: {}", stderr(&out));
    assert!(!world.share().exists(), "down -v did not run");
    for line in ["systemctl start docker-compose@manager.service", &check, &restore] {
        let typed = world.type_line(line, world.path(), &[]);
        assert!(typed.status.success(), "{line}: {}", stderr(&typed));
    }
    assert_eq!(world.share_listing(), before);
}
