//! Files in directories others can write: a backup directory another user may write is refused
//! (the archive and the journal hold the keys, under names anyone can predict); a record in the
//! world-writable state directory counts only when it belongs to the user it names; a journal
//! another user wrote is not resumed.

use std::fs;
use std::os::unix::fs::{PermissionsExt, chown};

use crate::support::{World, is_root, stderr};

#[test]
fn a_backup_directory_others_can_write_is_refused() {
    let mut cases: Vec<(u32, Option<u32>, &str)> = vec![
        (0o775, None, "its group may write it (mode 0775)"),
        (0o1777, None, "every user may write it (mode 1777)"),
    ];
    if is_root() {
        cases.push((0o755, Some(12345), "it belongs to uid 12345, who may write it"));
    }
    for (mode, owner, needle) in cases {
        let world = World::new();
        let dir = world.path().join("shared-backups");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(mode)).unwrap();
        if let Some(uid) = owner {
            chown(&dir, Some(uid), Some(uid)).unwrap();
        }
        let out = world.run(&["--yes", "--backup-dir", dir.to_str().unwrap()], &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{mode:o}: {err}");
        assert!(err.contains("is not private: ") && err.contains(needle), "{mode:o}: {err}");
        if owner.is_none() {
            assert!(err.contains(&format!("`chmod go-w {}`", dir.display())), "{err}");
        }
        assert!(world.runbook_calls().is_empty(), "{mode:o}: ran {:?}", world.runbook_calls());
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0, "{mode:o}: something was written there");
    }
}

/// Seen: a record planted by `nobody` in root's name blocked root's reset, and pointed root's
/// --resume at a journal of the planter's. A record that does not belong to the user it names
/// is ignored, and the log says so.
#[test]
fn a_record_planted_in_roots_name_is_ignored() {
    if !is_root() {
        return; // only root can give a file another owner
    }
    let world = World::new();
    let out = world.run(&["--yes"], &[("FAKE_KILL", "systemctl stop *")]);
    assert_eq!(out.status.code(), None, "{}", stderr(&out));
    let record = fs::read_dir(world.records()).unwrap().next().unwrap().unwrap().path();
    // The planter's own journal, elsewhere, and the record pointing at it, owned by nobody.
    let planted = world.path().join("planted");
    fs::create_dir(&planted).unwrap();
    let journal = world.backup_file(".journal.json");
    let moved = planted.join(journal.file_name().unwrap());
    fs::rename(&journal, &moved).unwrap();
    let text =
        fs::read_to_string(&record).unwrap().replace(journal.to_str().unwrap(), moved.to_str().unwrap());
    fs::write(&record, text).unwrap();
    chown(&record, Some(65534), Some(65534)).unwrap();
    chown(&moved, Some(65534), Some(65534)).unwrap();

    let out = world.run(&["--resume", "--yes"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("nothing to resume"), "{}", stderr(&out));
    world.clear_calls();
    let out = world.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "blocked by a planted record: {}", stderr(&out));
    let log = fs::read_to_string(world.backup_file(".log")).unwrap();
    assert!(
        log.contains(&format!("the record {} names uid 0 but belongs to uid 65534", record.display())),
        "{log}"
    );
}

/// A journal in the backup directory that another user wrote is not resumed.
#[test]
fn a_journal_another_user_wrote_is_not_resumed() {
    if !is_root() {
        return;
    }
    let world = World::new();
    let out = world.run(&["--yes"], &[("FAKE_FAIL", "* down -v")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let journal = world.backup_file(".journal.json");
    chown(&journal, Some(12345), Some(12345)).unwrap();
    world.clear_calls();
    let out = world.run(&["--resume", "--yes"], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("was not written by you, root or the manager's operator"), "{err}");
    assert!(world.runbook_calls().is_empty(), "{:?}", world.runbook_calls());
    chown(&journal, Some(0), Some(0)).unwrap();
    let out = world.run(&["--resume", "--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Seen: with `--restore-from`, preflight read /share back through a named pipe in the backup
/// directory before it had judged that directory, dry runs included: in a directory another user
/// may write, that user could swap the pipe and receive an uncompressed tar of /share. Nothing
/// goes through a directory until it has passed the privacy check.
#[test]
#[allow(clippy::disallowed_methods)] // the operator's own tar makes the archive
fn share_is_never_read_through_a_directory_others_can_write() {
    let world = World::new();
    let private = world.path().join("private");
    fs::create_dir(&private).unwrap();
    fs::set_permissions(&private, fs::Permissions::from_mode(0o700)).unwrap();
    let archive = private.join("manager-share-20261125.tar.gz");
    let state = world.state();
    let mut tar = std::process::Command::new("tar");
    assert!(tar.arg("-czf").arg(&archive).arg("-C").arg(&state).arg("share").status().unwrap().success());
    let shared = world.path().join("shared-backups");
    fs::create_dir(&shared).unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).unwrap();
    let args =
        ["--dry-run", "--backup-dir", shared.to_str().unwrap(), "--restore-from", archive.to_str().unwrap()];
    let out = world.run(&args, &[]);
    let text = crate::support::stdout(&out);
    assert!(text.contains("is not private: every user may write it"), "{text}");
    let reads: Vec<_> = world.calls().into_iter().filter(|c| c.iter().any(|w| w == "-cf")).collect();
    assert!(reads.is_empty(), "/share was read through {}: {reads:?}", shared.display());
    assert_eq!(fs::read_dir(&shared).unwrap().count(), 0, "something was made in the shared directory");
}

/// Seen: a named pipe planted under a journal's name in the backup directory hung a dry run, and
/// a sparse file of hundreds of MiB swelled its memory. Neither is read: the run ends at once,
/// naming the file.
#[test]
fn a_pipe_or_a_huge_file_planted_as_a_journal_is_not_read() {
    for plant in ["pipe", "sparse"] {
        let world = World::new();
        let journal = world.backup_dir().join("manager-reset-20261201.journal.json");
        match plant {
            "pipe" => rustix::fs::mkfifoat(rustix::fs::CWD, &journal, rustix::fs::Mode::from_raw_mode(0o600))
                .unwrap(),
            _ => fs::File::create(&journal).unwrap().set_len(512 << 20).unwrap(),
        }
        let mut tool = world.command(&["--dry-run"]);
        let mut child =
            tool.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while child.try_wait().unwrap().is_none() {
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{plant}: the dry run hangs on the planted journal");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let out = child.wait_with_output().unwrap();
        let text = format!("{}{}", crate::support::stdout(&out), stderr(&out));
        assert!(text.contains(&format!("{}", journal.display())), "{plant}: not named: {text}");
    }
}

/// An archive's entry names are anyone's: one with an escape sequence is shown escaped in the
/// plan, never raw (it could rewrite the lines the operator approves); and a `.sha256` another
/// user planted beside an archive vouches for nothing.
#[test]
#[allow(clippy::disallowed_methods)] // the operator's own tar and sha256sum make the archive
fn an_archives_names_and_checksum_are_not_taken_on_trust() {
    let world = World::new();
    let then = world.path().join("then");
    fs::create_dir_all(then.join("share")).unwrap();
    fs::write(then.join("share/\u{1b}[2Aevil"), "x").unwrap();
    let private = world.path().join("private");
    fs::create_dir(&private).unwrap();
    fs::set_permissions(&private, fs::Permissions::from_mode(0o700)).unwrap();
    let archive = private.join("manager-share-20261125.tar.gz");
    let mut tar = std::process::Command::new("tar");
    assert!(tar.arg("-czf").arg(&archive).arg("-C").arg(&then).arg("share").status().unwrap().success());
    let out = world.run(&["--dry-run", "--restore-from", archive.to_str().unwrap()], &[]);
    let text = crate::support::stdout(&out);
    assert!(!text.contains('\u{1b}'), "an escape sequence reached the terminal: {text:?}");
    assert!(text.contains("share/\\u{1b}[2Aevil"), "{text}");

    if is_root() {
        let sum = std::process::Command::new("sha256sum").arg(&archive).output().unwrap();
        let checksum = private.join("manager-share-20261125.tar.gz.sha256");
        fs::write(&checksum, sum.stdout).unwrap();
        chown(&checksum, Some(12345), Some(12345)).unwrap();
        let out = world.run(&["--dry-run", "--restore-from", archive.to_str().unwrap()], &[]);
        let text = crate::support::stdout(&out);
        assert!(text.contains("belongs to uid 12345, not to you, root or the manager's operator"), "{text}");
    }
}
