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
        assert!(err.contains(&format!("`chmod go-w {}`", dir.display())), "{err}");
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
