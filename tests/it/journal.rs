//! The journal cannot make the tool run what was not planned: an edited, cut or malformed
//! journal is refused before anything runs, and `--resume` holds the lock before it reads one.

use std::fs;
use std::process::Stdio;
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{World, advice, stderr, stdout};

/// A reset that failed at step 3, its journal edited by `edit`, then resumed.
fn resume_after_edit(edit: impl FnOnce(&mut Value)) -> (World, std::process::Output) {
    let world = World::new();
    let out = world.run(&["--yes"], &[("FAKE_FAIL", "* down -v")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let path = world.backup_file(".journal.json");
    let mut journal: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut journal);
    fs::write(&path, serde_json::to_string_pretty(&journal).unwrap()).unwrap();
    world.clear_calls();
    let out = world.run(&["--resume", "--yes"], &[]);
    (world, out)
}

#[track_caller]
fn assert_refused(world: &World, out: &std::process::Output, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(needle), "{needle} not in: {err}");
    assert!(err.contains("Finish the reset by hand"), "{err}");
    assert!(
        err.contains("sha256sum -c") && err.contains(".tar.gz.sha256"),
        "the archive is not named: {err}"
    );
    assert!(world.runbook_calls().is_empty(), "ran {:?}", world.runbook_calls());
}

#[test]
fn a_journal_whose_command_was_edited_is_refused() {
    let (world, out) = resume_after_edit(|j| {
        let command = &mut j["plan"]["steps"][2]["commands"][0];
        command["argv"] = json!(["docker", "volume", "rm", "-f", "precious"]);
        command["display"] = json!("docker compose --project-directory /opt/manager down -v");
    });
    assert_refused(&world, &out, "its step 3 is not the one its inputs make");
}

#[test]
fn a_journal_missing_a_step_is_refused() {
    let (world, out) = resume_after_edit(|j| drop(j["steps"].as_array_mut().unwrap().pop()));
    assert_refused(&world, &out, "its step states do not list the plan's steps");
    let (world, out) = resume_after_edit(|j| drop(j["plan"]["steps"].as_array_mut().unwrap().remove(1)));
    assert_refused(&world, &out, "is not the one its inputs make");
}

#[test]
fn a_journal_with_an_extra_field_is_refused() {
    let (world, out) = resume_after_edit(|j| j["run_first"] = json!(["rm", "-rf", "/"]));
    assert_refused(&world, &out, "unknown field `run_first`");
    let (world, out) = resume_after_edit(|j| j["plan"]["steps"][4]["commands"][0]["shell"] = json!(true));
    assert_refused(&world, &out, "unknown field `shell`");
}

#[test]
fn a_malformed_journal_is_refused_without_a_panic() {
    for garbage in ["{not json", "", "[]", r#"{"finished": false}"#] {
        let (world, out) = resume_after_edit(|j| *j = Value::Null);
        fs::write(world.backup_file(".journal.json"), garbage).unwrap();
        let out2 = world.run(&["--resume", "--yes"], &[]);
        for out in [&out, &out2] {
            assert_refused(&world, out, "is damaged");
        }
    }
}

#[test]
fn resume_takes_the_lock_before_it_reads_the_journal() {
    let world = World::new();
    let mut first = world.command(&["--yes"]);
    first
        .env("FAKE_HANG", "* down -v")
        .env("FAKE_HANG_SECONDS", "4")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut first = first.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !world.ran("down -v") {
        assert!(Instant::now() < deadline, "down -v never ran");
        sleep(Duration::from_millis(20));
    }
    // Half-written, as a reader that does not wait for the lock could see it.
    let journal = world.backup_file(".journal.json");
    let whole = fs::read_to_string(&journal).unwrap();
    fs::write(&journal, &whole[..whole.len() / 2]).unwrap();

    let resume = world.run(&["--resume", "--yes"], &[]);
    assert_eq!(resume.status.code(), Some(3), "{}", stderr(&resume));
    assert!(stderr(&resume).contains(&format!("running (pid {}", first.id())), "{}", stderr(&resume));

    let dry = world.run(&["--dry-run"], &[]);
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    let text = stdout(&dry);
    assert!(text.contains(&format!("that reset is running now (pid {})", first.id())), "{text}");
    assert!(text.contains("resume it with `osism-manager-reset --resume"), "{text}");
    assert!(!text.contains("move it away"), "{text}");
    assert!(first.wait().unwrap().success());
}

/// A resumed reset keeps its recorded plan; an option given again must agree with it, else the
/// operator would believe a value the reset does not use. The same value, or none, goes on.
#[test]
fn resume_refuses_options_that_differ_from_the_recorded_plan() {
    let world = World::new();
    let out = world.run(&["--yes", "--health-timeout", "600"], &[("FAKE_FAIL", "* down -v")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    world.clear_calls();

    let out = world.run(&["--resume", "--yes", "--health-timeout", "30", "--image", "busybox:1.36"], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--health-timeout 30 is not the recorded 600"), "{err}");
    assert!(err.contains("--image busybox:1.36 is not the recorded busybox"), "{err}");
    assert!(err.contains("drop them, or give the recorded values"), "{err}");
    assert!(world.runbook_calls().is_empty(), "ran {:?}", world.runbook_calls());

    let out = world.run(&["--resume", "--yes"], &[("OSISM_MANAGER_RESET_SERVICE", "manager.service")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("OSISM_MANAGER_RESET_SERVICE (--service) manager.service is not the recorded docker-compose@manager.service"),
        "{err}"
    );
    assert!(world.runbook_calls().is_empty(), "ran {:?}", world.runbook_calls());

    let out = world.run(&["--resume", "--yes", "--health-timeout", "600", "--image", "busybox"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(world.journal()["finished"].as_bool().unwrap());
}

/// Step states are the journal's word, which anyone who can write the backup directory can
/// change: steps 1 and 2 marked done, with an archive that lacks a file and its checksum to
/// match, must not let `--resume` run `down -v`. While /share still exists, a resumed run
/// compares it with the archive again; a mismatch starts the manager again, keeps the archive
/// aside, and the run the message gives backs /share up anew and finishes.
#[test]
fn a_journal_that_says_the_backup_was_verified_is_checked_against_share_again() {
    let world = World::new();
    let before = world.share_listing();
    // Killed in step 2, so that the journal stays open for the forger.
    let out = world.run(&["--yes"], &[("FAKE_KILL", "* tar -czvf *")]);
    assert_eq!(out.status.code(), None, "{}", stderr(&out));
    let archive = world
        .backup_dir()
        .join(format!("manager-share-{}.tar.gz", world.journal()["plan"]["date"].as_str().unwrap()));
    // Where the killed run's tar wrote: its pipe, which the forger replaces.
    let _ = fs::remove_file(&archive);
    #[allow(clippy::disallowed_methods)] // the forger's own tar
    let forged = std::process::Command::new("tar")
        .args(["-czf", archive.to_str().unwrap(), "--exclude", "share/a.txt", "-C"])
        .arg(world.state())
        .arg("share")
        .status()
        .unwrap();
    assert!(forged.success());
    let sha256 =
        osism_manager_reset::archive::verify::sha256_of(camino::Utf8Path::from_path(&archive).unwrap())
            .unwrap();
    fs::write(
        format!("{}.sha256", archive.display()),
        format!("{sha256}  {}\n", archive.file_name().unwrap().to_str().unwrap()),
    )
    .unwrap();
    let path = world.backup_file(".journal.json");
    let mut journal: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    journal["steps"][0]["state"] = json!("done");
    journal["steps"][1]["state"] = json!("done");
    journal["steps"][1].as_object_mut().unwrap().remove("error");
    journal["archive"] = json!({"entries": 6, "sha256": sha256});
    fs::write(&path, serde_json::to_string_pretty(&journal).unwrap()).unwrap();
    world.clear_calls();

    let out = world.run(&["--resume", "--yes"], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!world.ran("down -v"), "down -v ran on an archive never compared with /share");
    assert!(err.contains("share/a.txt"), "{err}");
    assert_eq!(world.share_listing(), before);
    assert!(world.journal_states().starts_with("1:done 2:done 3:failed"), "{}", world.journal_states());
    assert!(world.journal()["rolled_back"].is_string());
    // `down -v` did not begin: the manager runs again, and the archive is kept aside.
    assert!(err.contains("the manager was started again and is healthy"), "{err}");
    assert!(err.contains("(verified, but /share has changed since) was kept as"), "{err}");
    world.clear_calls();
    let out = world.type_line(&advice("run the reset again with", &err), &world.backup_dir(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(world.runbook_calls()[0].contains("systemctl stop"), "{:?}", world.runbook_calls());
    assert_eq!(world.share_listing(), before);
    // The archive that was there was not overwritten: it is kept aside, with a checksum
    // `sha256sum -c` takes.
    let kept = format!("{}.previous-1", archive.display());
    assert_eq!(
        osism_manager_reset::archive::verify::sha256_of(camino::Utf8Path::new(&kept)).unwrap(),
        sha256
    );
    #[allow(clippy::disallowed_methods)] // sha256sum, as the operator would run it
    let check = std::process::Command::new("sha256sum")
        .args(["--check", &format!("{kept}.sha256")])
        .current_dir(world.backup_dir())
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", stdout(&check));
}

/// A second reset the same day keeps what the first one left (its journal, records and log)
/// aside under `.previous-N`, as it keeps its archive, and the plan says so beforehand (issue 38,
/// item 4).
#[test]
fn a_second_reset_the_same_day_keeps_the_first_ones_journal_records_and_log_aside() {
    use std::os::unix::fs::PermissionsExt;
    let world = World::new();
    let first = world.run(&["--yes"], &[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let left: Vec<(String, Vec<u8>)> = [".journal.json", ".records", ".log"]
        .into_iter()
        .map(|what| (what.to_owned(), fs::read(world.backup_file(what)).unwrap()))
        .collect();
    // As the refusal of a second reset says: the archive moved away first.
    let archive = world.backup_file(".tar.gz");
    fs::create_dir_all(world.path().join("elsewhere")).unwrap();
    fs::rename(&archive, world.path().join("elsewhere").join(archive.file_name().unwrap())).unwrap();

    let dry = world.run(&["--dry-run"], &[]);
    let said = "today's earlier reset left its journal, records and log there: each is kept aside with \
                .previous-1 added to its name, never overwritten";
    assert!(stdout(&dry).contains(said), "{}", stdout(&dry));

    let second = world.run(&["--yes"], &[]);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    for (what, bytes) in &left {
        let kept = format!("{}.previous-1", world.backup_file(what).display());
        assert_eq!(&fs::read(&kept).unwrap(), bytes, "{what} is not kept aside as it was");
        assert_eq!(fs::metadata(&kept).unwrap().permissions().mode() & 0o777, 0o600, "{kept}");
    }
    // The records of the same /share may be the same bytes: the journal says which reset wrote them.
    let journal = fs::read_to_string(world.backup_file(".journal.json")).unwrap();
    assert_ne!(journal.as_bytes(), &left[0].1[..], "the journal is the first reset's");
    let log = fs::read_to_string(world.backup_file(".log")).unwrap();
    assert_eq!(log.matches("reset finished").count(), 1, "the log holds both resets: {log}");
}

/// Seen: after `down -v`, a resume showed every step as what would happen, step 3 with
/// `[DESTROYS DATA]`, and asked the destructive question again, the line that said only step 7
/// was left coming last. A resume leads with what is done and what is left, shows done steps as
/// done, and asks about what it will do.
#[test]
fn a_resume_leads_with_what_is_left_and_asks_about_that_alone() {
    let world = World::new();
    let out = world.run(&["--yes"], &[("FAKE_FAIL", "osism apply*")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let look = world.run(&["--resume", "--dry-run"], &[]);
    assert_eq!(look.status.code(), Some(0), "{}", stderr(&look));
    crate::run_snapshot!("resume_dry_run_after_down", world.scrub(&[crate::support::stdout(&look)]));

    world.clear_calls();
    let out = crate::support::at_terminal(&world, &["--resume"], "manager\n");
    let said = crate::support::stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains(
            "The resume runs step 7; nothing it does deletes anything (`down -v` ran already). Type \"manager\" \
             to go on: "
        ),
        "{said}"
    );
    assert!(!said.contains("This deletes the manager's containers"), "{said}");
    assert!(said.find("goes on with step 7").unwrap() < said.find("Step 1/7").unwrap(), "{said}");
}
