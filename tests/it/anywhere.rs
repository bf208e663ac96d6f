//! One reset per manager, whatever directory and user it is started from: it locks the manager
//! without writing into its directory, and an unfinished reset is found, named and resumed from
//! anywhere, by root or the operator.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::support::{World, advice, is_root, stderr, today};

#[test]
fn a_reset_started_in_the_project_directory_finishes() {
    let world = World::new();
    let out = world.command(&["--yes"]).current_dir(world.project()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(world.runbook_calls().len(), 8, "{:?}", world.runbook_calls());
    assert!(world.project().join(format!("manager-reset-{}.log", today())).exists());
}

/// OSISM makes /opt/manager the operator's, mode 0750: whoever else runs the reset may not
/// write there, and needs not.
#[test]
fn a_project_directory_the_operator_cannot_write_is_no_obstacle() {
    let world = World::new();
    world.hand_to_operator();
    let mode = if is_root() { 0o755 } else { 0o555 };
    if is_root() {
        std::os::unix::fs::chown(world.project(), Some(0), Some(0)).unwrap();
    }
    fs::set_permissions(world.project(), fs::Permissions::from_mode(mode)).unwrap();
    let out = world.run_as_operator(&["--yes"], &[]);
    fs::set_permissions(world.project(), fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(world.runbook_calls().len(), 8, "{:?}", world.runbook_calls());
    let left: Vec<_> = fs::read_dir(world.project()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["compose.yaml"], "the reset wrote into the project directory");
}

/// Killed after `down -v`, the operator logs in again and starts over from another directory:
/// the run names the unfinished reset and the command that resumes it, which, typed there,
/// finishes the reset with /share as it was.
#[test]
fn an_unfinished_reset_is_named_from_another_directory_and_resumed_from_there() {
    for kill_at in ["systemctl start *", "* tar -xzvf *"] {
        let world = World::new();
        let before = world.share_listing();
        let out = world.run(&["--yes"], &[("FAKE_KILL", kill_at)]);
        assert_eq!(out.status.code(), None, "{kill_at}: not killed: {}", stderr(&out));
        let elsewhere = world.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        world.clear_calls();
        for args in [&["--yes"][..], &["--dry-run"]] {
            let out = world.command(args).current_dir(&elsewhere).output().unwrap();
            let text = format!("{}{}", crate::support::stdout(&out), stderr(&out));
            let backup = world.backup_dir().canonicalize().unwrap();
            let journal = backup.join(format!("manager-reset-{}.journal.json", today()));
            let archive = backup.join(format!("manager-share-{}.tar.gz", today()));
            assert!(text.contains(&journal.display().to_string()), "{kill_at} {args:?}: {text}");
            assert!(text.contains(&archive.display().to_string()), "{kill_at} {args:?}: {text}");
            assert_eq!(
                advice("resume it with", &text),
                format!(
                    "osism-manager-reset --resume --backup-dir {} --project-directory {}",
                    backup.display(),
                    world.project().display()
                ),
                "{kill_at} {args:?}"
            );
            let code = if args[0] == "--yes" { 2 } else { 0 };
            assert_eq!(out.status.code(), Some(code), "{kill_at} {args:?}: {text}");
        }
        assert!(world.runbook_calls().is_empty(), "{kill_at}: ran {:?}", world.runbook_calls());
        assert!(!elsewhere.join(format!("manager-share-{}.tar.gz", today())).exists(), "a new backup began");

        let out = world.command(&["--yes"]).current_dir(&elsewhere).output().unwrap();
        let out =
            world.type_line(&format!("{} --yes", advice("resume it with", &stderr(&out))), &elsewhere, &[]);
        assert_eq!(out.status.code(), Some(0), "{kill_at}: {}", stderr(&out));
        assert_eq!(world.share_listing(), before, "{kill_at}: /share differs");
        // A plain --resume from anywhere finds it too; now there is nothing left to resume.
        let out = world.command(&["--resume", "--yes"]).current_dir(&elsewhere).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("nothing to resume"), "{}", stderr(&out));
        let out = world.command(&["--dry-run"]).current_dir(&elsewhere).output().unwrap();
        assert!(!crate::support::stdout(&out).contains("unfinished"), "{}", crate::support::stdout(&out));
    }
}

/// The other user of a manager sees the unfinished reset too: the operator is told to resume
/// root's as root (the journal is root's alone), and root resumes the operator's as it is.
/// Run by a user who is not root, both sides are that user and no `sudo` is needed.
#[test]
fn an_unfinished_reset_is_named_to_the_other_user_with_the_command_that_resumes_it() {
    let two_users = is_root();
    // Root's reset, killed after `down -v`, found by the operator in their home directory.
    let world = World::new();
    world.hand_to_operator();
    let before = world.share_listing();
    let out = world.run(&["--yes"], &[("FAKE_KILL", "systemctl start *")]);
    assert_eq!(out.status.code(), None, "not killed: {}", stderr(&out));
    let home = world.path().to_str().unwrap().to_owned();
    let out = world.run_as_operator(&["--yes", "--backup-dir", &home], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.contains("started by root (uid 0)"), two_users, "{err}");
    let line = advice("resume it with", &err);
    let sudo = if two_users { "sudo " } else { "" };
    assert!(line.starts_with(&format!("{sudo}osism-manager-reset --resume --backup-dir ")), "{line}");
    let out = world.type_line(&format!("{line} --yes"), world.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(world.share_listing(), before);

    // The operator's reset, killed likewise, found by root in another directory.
    let world = World::new();
    world.hand_to_operator();
    let before = world.share_listing();
    let out = world.run_as_operator(&["--yes"], &[("FAKE_KILL", "systemctl start *")]);
    assert_eq!(out.status.code(), None, "not killed: {}", stderr(&out));
    let out = world.run(&["--yes", "--backup-dir", &world.path().display().to_string()], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.contains("started by nobody (uid 65534)"), two_users, "{err}");
    let line = advice("resume it with", &err);
    assert!(line.starts_with("osism-manager-reset --resume --backup-dir "), "{line}");
    let out = world.type_line(&format!("{line} --yes"), world.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(world.share_listing(), before);
}

/// A record whose journal was removed by hand still stops a new reset (the archive may be all
/// that is left of /share), and says how to let go of it once the reset is finished by hand.
#[test]
fn a_record_whose_journal_is_gone_is_named_and_can_be_let_go() {
    let world = World::new();
    let out = world.run(&["--yes"], &[("FAKE_KILL", "systemctl stop *")]);
    assert_eq!(out.status.code(), None, "not killed: {}", stderr(&out));
    fs::remove_file(world.backup_file(".journal.json")).unwrap();
    world.clear_calls();
    let out = world.run(&["--yes"], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("but its journal") && err.contains("is gone"), "{err}");
    let at =
        err.find("remove the record with `").expect("no command to type") + "remove the record with `".len();
    let line = &err[at..at + err[at..].find('`').unwrap()];
    assert!(line.starts_with("rm "), "{line}");
    assert!(world.runbook_calls().is_empty(), "ran {:?}", world.runbook_calls());
    let typed = world.type_line(line, world.path(), &[]);
    assert!(typed.status.success(), "{}", stderr(&typed));
    let out = world.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
