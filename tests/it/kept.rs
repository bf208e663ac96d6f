//! `--keep-volume`: the volumes `down -v` deletes that the operator keeps, shown in the plan and
//! carried across the reset with /share's proof, on every path a reset can take.

use std::collections::BTreeMap;

use crate::calls_snapshot;
use crate::support::{World, stderr, stdout, with_vault};

/// What the fake's manager_mariadb holds, file by file.
fn mariadb(world: &World) -> BTreeMap<String, String> {
    crate::listing::listing(&world.state().join("kept/manager_mariadb/volume"))
}

/// The labels the engine holds for `volume`, as the fake prints them.
fn labels(world: &World, volume: &str) -> String {
    std::fs::read_to_string(world.state().join("labels").join(volume)).unwrap_or_default()
}

#[test]
fn the_plan_says_which_option_keeps_each_volume_lost_and_shows_the_added_steps() {
    let world = World::new();
    let out = world.run(&["--dry-run"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("manager_mariadb (ARA's database: --keep-volume mariadb keeps it)"),
        "{}",
        stdout(&out)
    );
    for keep in ["mariadb", "manager_mariadb"] {
        let out = world.run(&["--dry-run", "--keep-volume", keep], &[]);
        assert_eq!(out.status.code(), Some(0), "{keep}: {}", stderr(&out));
        calls_snapshot!("dry_run_text_keep_mariadb", world.scrub(&[stdout(&out)]));
    }
}

#[test]
fn a_volume_down_v_does_not_delete_is_refused_by_name() {
    let world = World::new();
    for (keep, needle) in [
        (
            "redis",
            "--keep-volume redis is not a named volume of the project that `down -v` deletes (those are: mariadb)",
        ),
        ("share", "--keep-volume share is the share volume, which the runbook's own archive carries across"),
        ("a b", "--keep-volume \"a b\" is not a docker volume name"),
    ] {
        let out = world.run(&["--yes", "--keep-volume", keep], &[]);
        assert_eq!(out.status.code(), Some(2), "{keep}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{keep}: {}", stderr(&out));
        assert!(!world.ran("systemctl stop"), "{keep}: it went on");
    }
}

#[test]
fn with_vault_the_refusal_offers_keeping_and_keeping_it_plans_the_reset() {
    let world = World::new();
    with_vault(&world);
    world.fill_volume("manager_vault_file", &[("core/_keyring", "keyring")]);
    world.fill_volume("manager_vault_logs", &[("audit.log", "audit")]);
    let out = world.run(&["--yes"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let offered = "keep it across the reset with --keep-volume vault_file,vault_logs, or agree that it is lost \
                   with --delete-vault-data";
    assert!(stderr(&out).contains(offered), "{}", stderr(&out));
    // The advice, typed: the dry run finds nothing wrong, and the plan keeps both.
    let out = world.run(&["--dry-run", "--keep-volume", "vault_file,vault_logs"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stdout(&out).contains("would refuse"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("WARNING: this deletes HashiCorp Vault"), "{}", stdout(&out));
    let out = world.run(&["--yes", "--keep-volume", "vault_file", "--keep-volume", "vault_logs"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for (volume, file) in [("manager_vault_file", "core/_keyring"), ("manager_vault_logs", "audit.log")] {
        let kept = world.state().join("kept").join(volume).join("volume").join(file);
        assert!(kept.exists(), "{volume} lost {file}");
    }
}

#[test]
fn a_run_keeping_mariadb_restores_it_with_composes_labels_before_the_start() {
    let world = World::new();
    let before = mariadb(&world);
    let out = world.run(&["--yes", "--keep-volume", "mariadb"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(mariadb(&world), before);
    assert_eq!(
        labels(&world, "manager_mariadb").trim(),
        r#"{"com.docker.compose.project":"manager","com.docker.compose.version":"2.26.1","com.docker.compose.volume":"mariadb"}"#
    );
    calls_snapshot!("run_yes_keep_calls", world.scrub(&world.runbook_calls()));
    let journal = world.journal();
    // The volume's root, ibdata1, ara/ and ara/playbooks.ibd.
    assert_eq!(journal["kept"]["manager_mariadb"]["entries"], 4);
    let archive = world.backup_file(".tar.gz.sha256");
    let sums = std::fs::read_to_string(world.backup_dir().join(&archive)).unwrap_or_default();
    assert!(!sums.is_empty());
    let kept = std::fs::read_dir(world.backup_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("kept-manager_mariadb-"))
        .count();
    assert_eq!(kept, 2, "the archive and its checksum");
}

/// Killed after `down -v`, before the kept volume came back: the resume restores it before it
/// starts the manager, and the summary and the `done` event say what was kept.
#[test]
fn killed_between_down_and_the_restore_the_resume_restores_before_the_start() {
    let world = World::new();
    let before = mariadb(&world);
    let out = world.run(&["--yes", "--keep-volume", "mariadb"], &[("FAKE_KILL", "docker volume create *")]);
    assert_eq!(out.status.code(), None, "not killed: {}", stderr(&out));
    assert!(world.ran("down -v") && !world.ran("systemctl start"));
    assert!(!world.state().join("kept/manager_mariadb").exists(), "down -v left the volume");
    world.clear_calls();
    let out = world.run(&["--resume", "--yes", "--output", "json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(mariadb(&world), before);
    let calls = world.runbook_calls();
    let restored = calls.iter().position(|c| c.contains("tar -xzvf /backup/kept-manager_mariadb-")).unwrap();
    let started = calls.iter().position(|c| c.contains("systemctl start")).unwrap();
    assert!(restored < started, "{calls:?}");
    assert!(stderr(&out).contains("kept: manager_mariadb, 4 entries archived and restored as archived"));
    let done = stdout(&out).lines().find(|l| l.contains(r#""event":"done""#)).unwrap().to_owned();
    assert!(done.contains(r#""kept":[{"volume":"manager_mariadb","entries":4}]"#), "{done}");
}

/// The kept volume's archive fails before `down -v`: nothing is deleted, the manager runs again
/// on its untouched volumes, and the archive is where the message says.
#[test]
fn a_failed_archive_of_a_kept_volume_rolls_back_with_every_volume_untouched() {
    let world = World::new();
    let before = mariadb(&world);
    let fail = "docker run --rm --mount source=manager_mariadb,target=/volume *";
    let out = world.run(&["--yes", "--keep-volume", "mariadb"], &[("FAKE_FAIL", fail)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!world.ran("down -v"));
    assert!(world.ran("systemctl start"), "the manager was not started again");
    assert!(stderr(&out).contains("step 3 (Archive the volumes kept) failed"), "{}", stderr(&out));
    assert_eq!(mariadb(&world), before);
}

/// A saved plan keeps the volume with the labels read then: labels changed since refuse it.
#[test]
fn a_saved_plan_keeping_a_volume_is_refused_when_its_labels_changed() {
    let world = World::new();
    let saved = world.path().join("plan.json");
    let saved = saved.to_str().unwrap();
    let out = world.run(&["--save-plan", saved, "--keep-volume", "mariadb"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    std::fs::create_dir_all(world.state().join("labels")).unwrap();
    world.set_state(
        "labels/manager_mariadb",
        r#"{"com.docker.compose.project":"manager","com.docker.compose.version":"2.30.0","com.docker.compose.volume":"mariadb"}"#,
    );
    let out = world.run(&["--plan", saved, "--yes"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("volumes kept across the reset, with their labels"), "{}", stderr(&out));
    assert!(!world.ran("systemctl stop"));
}

/// `--restore-from` with `--keep-volume`: /share comes back from the archive named, the kept
/// volume from this run's own archive of it, made before `down -v`. A kept archive under today's
/// name in the named archive's directory (an older one, copied there) is never what comes back.
#[test]
fn with_restore_from_the_kept_volume_comes_from_this_runs_archive_and_share_from_the_named_one() {
    let world = World::new();
    let earlier = world.path().join("earlier");
    let archive = crate::rescue::earlier_archive(&world, &earlier, true, crate::rescue::as_it_was);
    let decoy = world.path().join("decoy/volume");
    std::fs::create_dir_all(&decoy).unwrap();
    std::fs::write(decoy.join("ibdata1"), "an older database").unwrap();
    let name = format!("kept-manager_mariadb-{}.tar.gz", crate::support::today());
    #[allow(clippy::disallowed_methods)] // the operator's own tar copies an older archive there
    let tar = std::process::Command::new("tar")
        .arg("-czf")
        .arg(earlier.join(name))
        .arg("-C")
        .arg(decoy.parent().unwrap())
        .arg("volume")
        .status();
    assert!(tar.unwrap().success());
    let before = mariadb(&world);
    let restore = archive.to_str().unwrap();
    let args = ["--restore-from", restore, "--keep-volume", "mariadb"];

    let dry = world.run(&[&["--dry-run"][..], &args].concat(), &[]);
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    calls_snapshot!("kept_restore_from_dry_run_text", world.scrub(&[stdout(&dry)]));

    let out = world.run(&[&["--yes"][..], &args].concat(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        world.share_listing(),
        crate::rescue::listing_of(&archive, &world),
        "/share is not the named archive"
    );
    assert_eq!(mariadb(&world), before, "manager_mariadb is not what it held before the reset");
    calls_snapshot!("kept_restore_from_calls", world.scrub(&world.runbook_calls()));
    let journal = world.journal();
    assert_eq!(journal["plan"]["restore"]["path"], restore);
    assert_eq!(journal["kept"]["manager_mariadb"]["entries"], 4);
}

/// The kept volume's archive is damaged on its way to the file (its read-back finds it cut
/// short), before `down -v`: the reset rolls back, the manager runs again on every volume as it
/// was, the damaged archive is removed (never kept aside as if it were a copy), and the advice,
/// typed, runs a reset that keeps the volume.
#[test]
fn a_kept_archive_damaged_before_down_rolls_back_with_every_volume_untouched() {
    let world = World::new();
    let (before, share) = (mariadb(&world), world.share_listing());
    let damaged = [("FAKE_CORRUPT", "truncate"), ("FAKE_CORRUPT_VOLUME", "manager_mariadb")];
    let out = world.run(&["--yes", "--keep-volume", "mariadb"], &damaged);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!world.ran("down -v"));
    assert!(world.state().join("up").exists(), "the manager was left stopped");
    assert_eq!(mariadb(&world), before);
    assert_eq!(world.share_listing(), share);
    crate::run_snapshot!("kept_archive_damaged_before_down", world.error_of(&out));
    let kept: Vec<String> = std::fs::read_dir(world.backup_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("kept-"))
        .collect();
    assert!(kept.is_empty(), "a damaged archive was left: {kept:?}");

    world.clear_calls();
    let line = crate::support::advice("run the reset again with", &stderr(&out));
    let again = world.type_line(&line, std::path::Path::new("/"), &[]);
    assert_eq!(again.status.code(), Some(0), "`{line}`: {}", stderr(&again));
    assert!(world.ran("down -v"));
    assert_eq!(mariadb(&world), before);
}

/// Killed between `down -v` and the kept volume's restore, its archive damaged meanwhile (a byte
/// of it changed, its size kept): the resume's check refuses to restore it before anything is
/// restored or started, the message names that archive (not /share's) and says what to do, and
/// the advice, typed once a good copy is back in its place, restores the volume as it was.
#[test]
fn a_kept_archive_damaged_after_down_is_refused_and_the_advice_typed_restores_it() {
    let world = World::new();
    let before = mariadb(&world);
    let out = world.run(&["--yes", "--keep-volume", "mariadb"], &[("FAKE_KILL", "docker volume create *")]);
    assert_eq!(out.status.code(), None, "not killed: {}", stderr(&out));
    let archive = world.backup_file(".tar.gz");
    let archive = archive.with_file_name(format!("kept-manager_mariadb-{}.tar.gz", crate::support::today()));
    let copy = world.path().join("a copy.tar.gz");
    std::fs::copy(&archive, &copy).unwrap();
    let mut bytes = std::fs::read(&archive).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(&archive, bytes).unwrap();

    world.clear_calls();
    let out = world.run(&["--resume", "--yes"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!world.ran("tar -xzvf") && !world.ran("systemctl start"), "{:?}", world.runbook_calls());
    crate::run_snapshot!("kept_archive_damaged_after_down", world.error_of(&out));

    let err = stderr(&out);
    let check = crate::support::advice("a copy of the archive that passes", &err);
    let here = std::path::Path::new("/");
    assert_ne!(
        world.type_line(&check, here, &[]).status.code(),
        Some(0),
        "`{check}` passes a damaged archive"
    );
    std::fs::copy(&copy, &archive).unwrap();
    let checked = world.type_line(&check, here, &[]);
    assert_eq!(checked.status.code(), Some(0), "`{check}`: {}", stderr(&checked));
    // Without a terminal to confirm at, as the other typed resumes: the run's own consent.
    let resume = format!("{} --yes", crate::support::advice("then resume with", &err));
    let resumed = world.type_line(&resume, here, &[]);
    assert_eq!(resumed.status.code(), Some(0), "`{resume}`: {}", stderr(&resumed));
    assert_eq!(mariadb(&world), before);
    assert!(world.journal()["finished"].as_bool().unwrap());
}

/// A second reset on the same day keeps aside what the first left where it writes its own: the
/// records of the first one's kept volume with its journal, records and log, all under one
/// `.previous-N`, and the first one's kept archive: nothing of the first reset is overwritten.
#[test]
fn a_second_reset_of_the_day_keeps_aside_what_the_first_left_kept_records_too() {
    let world = World::new();
    let keep = ["--yes", "--keep-volume", "mariadb"];
    let out = world.run(&keep, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let day = crate::support::today();
    let records = world.backup_dir().join(format!("manager-reset-{day}.manager_mariadb.records"));
    let first = std::fs::read(&records).unwrap();
    // The first reset's archive of /share moved away, as the refusal of a second one says.
    let elsewhere = world.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    for name in [format!("manager-share-{day}.tar.gz"), format!("manager-share-{day}.tar.gz.sha256")] {
        std::fs::rename(world.backup_dir().join(&name), elsewhere.join(&name)).unwrap();
    }
    let out = world.run(&keep, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let aside = world.backup_dir().join(format!("manager-reset-{day}.manager_mariadb.records.previous-1"));
    let kept_aside = std::fs::read(&aside).is_ok_and(|bytes| bytes == first);
    assert!(kept_aside, "the first reset's kept records are not {}", aside.display());
    let mut names: Vec<String> = std::fs::read_dir(world.backup_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    crate::run_snapshot!("kept_second_reset_of_the_day_files", names.join("\n"));
}
