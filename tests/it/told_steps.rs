//! The scenarios of `told`'s table that end in a step (exit 1), or after one: a run killed, a
//! pipe left. Each returns what the operator is told, whole; where the message gives a command
//! to type and no other test types it, the scenario types it too.

use std::fs;

use crate::rescue::{as_it_was, earlier_archive};
use crate::support::{World, advice, stderr};
use crate::told::told;

/// Killed as `down -v` begins: the archive verified, nothing deleted yet.
fn killed_at_down(world: &World) {
    let out = world.run(&["--yes"], &[("FAKE_KILL", "* down -v")]);
    assert_eq!(out.status.code(), None, "not killed: {}", stderr(&out));
    world.clear_calls();
}

/// The command after `lead` in what the run said, typed; the reset it starts finishes.
fn typed_finishes(world: &World, lead: &str, out: &std::process::Output) {
    let mut line = advice(lead, &stderr(out));
    if !line.ends_with(" --yes") {
        line.push_str(" --yes"); // as a pipeline types it: no terminal here to confirm at
    }
    let typed = world.type_line(&line, world.path(), &[]);
    assert_eq!(typed.status.code(), Some(0), "{line}: {}", stderr(&typed));
}

/// manager.rs types the resume it gives.
pub fn unit_that_does_not_stop_the_manager(world: &World) -> String {
    let env = [
        ("FAKE_ACTIVE", "docker-compose@manager.service manager.service"),
        ("FAKE_RUNS_UNDER", "manager.service"),
    ];
    told(world, &world.run(&["--yes"], &env))
}

/// faults.rs types the command it gives.
pub fn stopped_before_down(world: &World) -> String {
    told(world, &world.run(&["--yes"], &[("FAKE_FAIL", "* tar -czvf *")]))
}

pub fn starting_again_failed(world: &World) -> String {
    let env = [("FAKE_CORRUPT", "short-write"), ("FAKE_START_FAILS", "before-volumes")];
    let out = world.run(&["--yes"], &env);
    typed_finishes(world, "resume with", &out);
    told(world, &out)
}

/// A resume finds /share changed since the killed run archived it.
pub fn share_not_what_the_archive_holds(world: &World) -> String {
    killed_at_down(world);
    fs::write(world.share().join("written-since"), "the manager ran meanwhile\n").unwrap();
    let out = world.run(&["--resume", "--yes"], &[]);
    typed_finishes(world, "run the reset again with", &out);
    told(world, &out)
}

/// A resume finds the killed run's archive damaged.
pub fn archive_no_longer_matches(world: &World) -> String {
    killed_at_down(world);
    let archive = world.backup_file(".tar.gz");
    let bytes = fs::read(&archive).unwrap();
    fs::write(&archive, [&bytes[..], b"appended"].concat()).unwrap();
    let out = world.run(&["--resume", "--yes"], &[]);
    typed_finishes(world, "run the reset again with", &out);
    told(world, &out)
}

/// faults.rs resumes once nothing holds the volume.
pub fn down_left_volumes(world: &World) -> String {
    told(world, &world.run(&["--yes"], &[("FAKE_DOWN_LEAVES", "manager_mariadb")]))
}

/// Before the volumes (step 4) and after them (step 6); waiting.rs resumes.
pub fn unit_failed_after_start(_: &World) -> String {
    let mut seen = Vec::new();
    for when in ["before-volumes", "after-volumes"] {
        let world = World::new();
        let out = world.run(&["--yes", "--health-timeout", "30"], &[("FAKE_START_FAILS", when)]);
        seen.push(format!("--- {when}\n{}", told(&world, &out)));
    }
    seen.join("\n")
}

/// waiting.rs types the two commands and the resume.
pub fn share_volume_not_composes(world: &World) -> String {
    told(world, &world.run(&["--yes"], &[("FAKE_STRAY_SHARE", "1")]))
}

pub fn share_volume_late(world: &World) -> String {
    let out = world.run(&["--yes", "--health-timeout", "2"], &[("FAKE_SHARE_LATE", "1000")]);
    typed_finishes(world, "resume with", &out);
    told(world, &out)
}

/// faults.rs resumes, as it says.
pub fn osism_timeout(world: &World) -> String {
    told(world, &world.run(&["--yes"], &[("FAKE_OSISM_FAILS", "timeout")]))
}

/// Redis emptied and the configuration's .vault_pass gone while the reset ran: `osism set vault
/// password`, then the resume.
pub fn no_vault_password(world: &World) -> String {
    let env = [
        ("FAKE_AT", "osism apply facts"),
        ("FAKE_DO", "rm \"$FAKE_CONFIGURATION/environments/.vault_pass\""),
    ];
    told(world, &world.run(&["--yes"], &env))
}

/// faults.rs resumes, as they say.
pub fn osism_locked_or_client_down(_: &World) -> String {
    let mut seen = Vec::new();
    for how in ["locked", "client-down"] {
        let world = World::new();
        seen.push(format!(
            "--- {how}\n{}",
            told(&world, &world.run(&["--yes"], &[("FAKE_OSISM_FAILS", how)]))
        ));
    }
    seen.join("\n")
}

/// The archive changed after `down -v` deleted the share volume.
pub fn only_copy_damaged(world: &World) -> String {
    let backup = world.backup_dir();
    told(world, &world.run(&["--yes"], &[("FAKE_TAMPER_AT_START", backup.to_str().unwrap())]))
}

/// rescue.rs puts the approved archive back and resumes.
pub fn restore_from_changed_since_approved(world: &World) -> String {
    let archive = earlier_archive(world, &world.path().join("kept"), true, as_it_was);
    let restore = archive.to_str().unwrap();
    let out = world.run(&["--yes", "--restore-from", restore], &[("FAKE_FAIL", "systemctl start*")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let approved = fs::read(&archive).unwrap();
    fs::write(&archive, [&approved[..], b"appended"].concat()).unwrap();
    told(world, &world.run(&["--resume", "--yes"], &[]))
}

/// Killed in step 3 as `down -v` ran: the resume's exit code and what it ran.
pub fn killed(world: &World) -> String {
    let out = world.run(&["--yes"], &[("FAKE_KILL", "* down -v")]);
    assert_eq!(out.status.code(), None, "not killed: {}", stderr(&out));
    world.clear_calls();
    let out = world.run(&["--resume", "--yes"], &[]);
    let ran = world.scrub(&world.runbook_calls()).replace("sudo systemctl", "systemctl");
    format!("exit code: {:?}\nthe resume ran:\n{ran}", out.status.code())
}

/// The backup directory's names, a pipe marked as such.
fn names(world: &World) -> String {
    let mut names: Vec<String> = fs::read_dir(world.backup_dir())
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let pipe = std::os::unix::fs::FileTypeExt::is_fifo(&e.file_type().unwrap());
            format!("{}{}", e.file_name().to_string_lossy(), if pipe { " (a named pipe)" } else { "" })
        })
        .collect();
    names.sort();
    names.join("\n")
}

/// Killed in step 2: the named pipe in the archive's place and the partial file, which the resume
/// removes.
pub fn tar_by_hand_waits(world: &World) -> String {
    let out = world.run(&["--yes"], &[("FAKE_KILL", "* tar -czvf *")]);
    assert_eq!(out.status.code(), None, "not killed: {}", stderr(&out));
    let left = names(world);
    let out = world.run(&["--resume", "--yes"], &[]);
    format!(
        "left by the killed run:\n{left}\n\nthe resume's exit code: {:?}\nleft after it:\n{}",
        out.status.code(),
        names(world)
    )
}
