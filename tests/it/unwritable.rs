//! A journal write that fails (a full disk, a backup directory made read-only meanwhile) is
//! reported, and the advice printed next no longer assumes it worked: a rolled-back reset whose
//! journal could not be closed is never to be resumed, with the manager running again.

use std::process::Output;

use crate::support::{World, is_root, stderr, today};

/// The backup directory unwritable to this user from the matching call on: immutable for root,
/// whom no mode stops, mode 0555 for anyone else. Writable again when dropped, also on a panic,
/// so that the world can be removed.
struct Locked<'w>(&'w World);

impl Locked<'_> {
    fn script(world: &World, how: &str) -> String {
        let dir = world.backup_dir().display().to_string();
        if is_root() {
            format!("chattr {} {dir}", if how == "lock" { "+i" } else { "-i" })
        } else {
            format!("chmod {} {dir}", if how == "lock" { "555" } else { "700" })
        }
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        let path = format!("{}:/usr/bin:/bin:/usr/sbin:/sbin", self.0.bin_dir().display());
        let script = Locked::script(self.0, "unlock");
        let _ = self.0.in_world("bash").arg("-c").arg(script).env("PATH", path).status();
    }
}

/// A reset whose command matching `at` fails, the backup directory made unwritable as it runs;
/// the directory stays so until the guard is dropped.
fn failed_locked<'w>(world: &'w World, at: &str) -> (Output, Locked<'w>) {
    let lock = Locked::script(world, "lock");
    let locked = Locked(world);
    let out = world.run(&["--yes"], &[("FAKE_AT", at), ("FAKE_DO", &lock), ("FAKE_FAIL", at)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    (out, locked)
}

/// The error a run ended with, from its first `error:` on, this world's directory `[WORLD]`.
fn ended_with(world: &World, out: &Output) -> String {
    let err = stderr(out);
    let from = err.find("error:").unwrap_or(0);
    // Refused to root by the immutable directory, to anyone else by its mode.
    let ended = world
        .scrub(&[err[from..].to_owned()])
        .replace("Operation not permitted (os error 1)", "[REFUSED]")
        .replace("Permission denied (os error 13)", "[REFUSED]");
    // The temporary file a write could not make has a random name.
    match ended.find(".journal.json.") {
        Some(at) => {
            format!("{}.journal.json.[RANDOM]{}", &ended[..at], &ended[at + ".journal.json.".len() + 6..])
        }
        None => ended,
    }
}

/// Seen in the code: `let _ = journal.close_rolled_back()`. Step 2 fails with the backup
/// directory read-only: the manager is started again, but the journal cannot be closed, and a
/// resume from it would back up a running /share. The message says so and gives the `rm`; typed,
/// with the run-again command, the reset finishes.
#[test]
fn a_journal_that_cannot_be_closed_after_a_rollback_is_never_resumed() {
    let world = World::new();
    let (out, locked) = failed_locked(&world, "docker run * tar -czvf *");
    let ended = ended_with(&world, &out);
    crate::run_snapshot!("unwritable_rollback_unclosed", ended);
    assert!(world.state().join("up").exists(), "the manager was left stopped");
    drop(locked);
    let typed: Vec<&str> = ended.split('`').skip(1).step_by(2).filter(|c| c.starts_with("rm ")).collect();
    assert_eq!(typed.len(), 2, "the partial archive's and the journal's `rm`: {ended}");
    for rm in typed {
        let rm = rm.replace("[WORLD]", world.path().to_str().unwrap()).replace("[DATE]", &today());
        assert!(world.in_world("bash").arg("-c").arg(&rm).status().unwrap().success(), "`{rm}`");
    }
    let again = ended.rsplit("run the reset again with `").next().and_then(|r| r.split('`').next()).unwrap();
    let argv = shlex::split(&again.replace("[WORLD]", world.path().to_str().unwrap())).unwrap();
    let out = world.run(&argv[1..].iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// After `down -v`, step 3 fails with the backup directory read-only: the journal cannot record
/// that it failed, and the message says the resume runs it again once the directory is
/// writable; it does.
#[test]
fn a_step_end_the_journal_could_not_record_is_said() {
    let world = World::new();
    let (out, locked) = failed_locked(&world, "docker compose * down -v");
    crate::run_snapshot!("unwritable_step_end_unrecorded", ended_with(&world, &out));
    drop(locked);
    let out = world.run(&["--resume", "--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
