//! README's "What can go wrong, and what to type", row by row: each row's message produced
//! against the fakes and pinned whole (the exit code and standard error from the message on), as
//! `just` pins whole stderr. One table: a row's first cell as README has it, then either the
//! scenario here (`told_before`, `told_steps`) whose snapshot is `told_<test>`, or the existing
//! test that pins it whole already and its snapshots. A row added to README without a test, or a
//! test left for a row README no longer has, fails `every_row_has_a_test`.

use std::path::Path;
use std::process::Output;

use crate::calls_snapshot;
use crate::support::{World, stderr};
use crate::told_before::*;
use crate::told_steps::*;

/// How a row is pinned.
enum Pinned {
    /// By the scenario of this test, into the snapshot `told_<test>`.
    Here(fn(&World) -> String),
    /// As `Here`, pinned only where the tests run as root: only root can give a file to
    /// another user.
    AsRoot(fn(&World) -> String),
    /// By an existing test (`module::test`), into these snapshots.
    By(&'static str, &'static [&'static str]),
}

/// The table: each row's test, its first cell as README has it, and how it is pinned. A row
/// pinned here is its own test, so that the rows run at once and each fails alone.
macro_rules! rows {
    ($($test:ident: $says:literal => $pinned:expr;)*) => {
        const ROWS: &[(&str, &str, Pinned)] = &[$((stringify!($test), $says, $pinned)),*];
        /// One test a row, named as the row's scenario.
        mod row {
            $(
                #[test]
                fn $test() {
                    super::pin(stringify!($test));
                }
            )*
        }
    };
}

rows! {
    share_volume_not_mounted: r#"`--share-volume X is not the volume the manager mounts at /share: that is manager_share (mounted by ...); drop the option` (exit 2)"# =>
        Pinned::By("refusals::a_share_volume_not_mounted_at_share", &["refusal_share_volume"]);
    project_of_another_name: r#"`` the manager mounts prod_share (...) at /share, not the runbook's manager_share (its compose project is named "prod"): name it with `--share-volume prod_share` `` (exit 2)"# =>
        Pinned::Here(project_of_another_name);
    container_outside_the_project: r#"`` the container NAME (image IMAGE, running) is not the compose project's but uses VOLUME, which `down -v` deletes: ... remove the container with `docker rm --force NAME` `` (exit 2)"# =>
        Pinned::Here(container_outside_the_project);
    backup_dir_not_private: r#"`the backup directory DIR is not private: its group may write it (mode 0775) ...` / `... every user may write it (mode 1777)` / `... it belongs to USER ...` / `... every user may write the directory ABOVE above it (mode 0777) ...` (exit 2; also on `--resume`)"# =>
        Pinned::Here(backup_dir_not_private);
    vault_storage_deleted: r#"`` the manager runs HashiCorp Vault, and `down -v` deletes its storage (manager_vault_file, manager_vault_logs) for good: ... keep it across the reset with --keep-volume vault_file,vault_logs, or agree that it is lost with --delete-vault-data `` (exit 2)"# =>
        Pinned::Here(vault_storage_deleted);
    keep_volume_not_of_the_project: r#"`` --keep-volume X is not a named volume of the project that `down -v` deletes (those are: ...): name one as the compose file does `` / `--keep-volume share is the share volume, ...: leave it out` (exit 2)"# =>
        Pinned::Here(keep_volume_not_of_the_project);
    vault_password_file_untrusted: r#"`--vault-password-file FILE belongs to USER, whom the reset does not trust ...` / `... lies where others may replace it: ...` / `... is mode 0644, open to other users ...` (exit 2; exit 1 in the vault step when it changed after preflight)"# =>
        Pinned::By("paths::a_vault_password_file_others_could_replace_is_refused, paths::the_vault_password_file_is_judged_again_at_its_step", &["paths_vault_password_file_other_owner", "paths_vault_password_file_open_dir", "paths_vault_password_file_opened_at_its_step"]);
    state_dir_untrusted: r#"`the state directory DIR belongs to USER, whom the reset does not trust ...` / `others may replace the records in the state directory DIR (mode 0777, not sticky) ...` / `the state directory holds DIR/manager-....json where this reset's record of the manager goes, and it is a directory ...` (exit 2)"# =>
        Pinned::By("paths::a_state_directory_others_could_rewrite_or_a_planted_record_is_named", &["paths_state_dir_owner", "paths_state_dir_open", "paths_state_dir_planted_dir"]);
    image_moved: r#"`` step 2 (or 5) ... failed: busybox names the image sha256:... now, not sha256:..., the one the plan was approved with ...; put the approved one back with `docker tag sha256:... busybox` `` (exit 1)"# =>
        Pinned::By("image::a_tar_image_moved_after_approval_is_never_run", &["image_moved_before_step_2", "image_moved_before_step_5"]);
    sudo_would_ask_or_refuse: r#"`sudo asks dragon for a password to run ... and there is no terminal to type it on ...` / `sudo does not let dragon run ...` (exit 2)"# =>
        Pinned::Here(sudo_would_ask_or_refuse);
    sudo_password_wrong: r#"``` `sudo -v` exit status: 1: nothing was changed; sudo did not take the password ``` (exit 2)"# =>
        Pinned::Here(sudo_password_wrong);
    image_cannot_be_pulled: r#"`` `docker pull IMAGE` exit status: 1: nothing was changed; get an image with tar onto this host first ... `` (exit 2)"# =>
        Pinned::Here(image_cannot_be_pulled);
    plan_file_untrusted: r#"`the plan FILE belongs to USER` / `... may be written by others (mode ...)` / `... lies where others may replace it: ...` / `... is a symlink` (exit 2)"# =>
        Pinned::Here(plan_file_untrusted);
    save_plan_over_anothers_file: r#"`FILE is there already and is not a file of yours ...` (exit 2)"# =>
        Pinned::AsRoot(save_plan_over_anothers_file);
    recorded_value_breaks_its_rules: r#"`--image (as the plan records it) "..." is not a docker image reference ...` / `... (as the journal records it) ...` (exit 2)"# =>
        Pinned::Here(recorded_value_breaks_its_rules);
    systemd_not_running: r#"`systemd is not running on this host ...` (exit 2)"# =>
        Pinned::Here(systemd_not_running);
    another_reset_running: r#"`another reset of this manager is running (pid N, ...)` (exit 3)"# =>
        Pinned::Here(another_reset_running);
    unfinished_reset_recorded: r#"`` an unfinished reset of this manager[, started by root (uid 0),] is recorded in JOURNAL (its archive of /share: ARCHIVE): resume it with `...` `` (exit 2)"# =>
        Pinned::By("refusals::an_unfinished_reset_started_elsewhere", &["refusal_unfinished"]);
    recorded_journal_gone: r#"`` ... but its journal ... is gone ...: once the reset is finished by hand, remove the record with `rm ...` `` (exit 2)"# =>
        Pinned::Here(recorded_journal_gone);
    unit_that_does_not_stop_the_manager: r#"`` step 1 ... the project's containers still run after stopping UNIT ...; manager.service is active and does; ... resume with `... --service manager.service` `` (exit 1)"# =>
        Pinned::Here(unit_that_does_not_stop_the_manager);
    stopped_before_down: r#"`` step 2 (Back up the /share volume) failed: ...; the manager was started again and is healthy; nothing was changed ...; fix the cause, then run the reset again with `...` `` (exit 1; 130 or 143 when interrupted)"# =>
        Pinned::Here(stopped_before_down);
    starting_again_failed: r#"`... but starting the manager again failed: the unit UNIT failed ...; once that is fixed, resume with `...`: it starts over from step 1` (exit 1)"# =>
        Pinned::Here(starting_again_failed);
    share_not_what_the_archive_holds: r#"`step 3 ... /share is not what the archive holds ...; the manager was started again ...` (exit 1)"# =>
        Pinned::Here(share_not_what_the_archive_holds);
    archive_no_longer_matches: r#"`step 3 ... the archive no longer matches the checksum it was verified with ...; the manager was started again and is healthy; nothing was changed ...` (exit 1)"# =>
        Pinned::Here(archive_no_longer_matches);
    down_left_volumes: r#"`` `down -v` left the volumes ... `` (exit 1)"# =>
        Pinned::Here(down_left_volumes);
    pull_before_step_1_failed: r#"`` `docker compose --project-directory DIR pull` exit status: 18: nothing was changed; the manager runs on as it was; it could not pull SERVICE (IMAGE): <the registry's answer>; ... then run the reset again with `...` `` (exit 2)"# =>
        Pinned::By("unit_pull::a_registry_that_cannot_be_reached_refuses_the_reset_before_anything_stops", &["unit_pull_refused"]);
    unit_did_not_start: r#"`` step 4 ... the unit UNIT did not start (`systemctl start UNIT` exit status: 1): <its journal's telling line>; its journal ends: ...; ... once the cause is fixed, resume with `...`; where the unit's own pull is what failed ..., start it from the images already on this host: `mkdir -p /run/systemd/system/UNIT.d && printf ... && systemctl daemon-reload` ... `` (exit 1)"# =>
        Pinned::By("unit_pull::a_start_whose_pull_fails_after_down_says_why_and_the_resume_finishes", &["unit_start_pull_failed"]);
    unit_failed_after_start: r#"`the unit UNIT failed after it was started: <its journal's line> ...` (exit 1, in step 4 or 6, within seconds)"# =>
        Pinned::Here(unit_failed_after_start);
    share_volume_not_composes: r#"`the share volume ... exists but Compose did not create it ...` (exit 1)"# =>
        Pinned::Here(share_volume_not_composes);
    share_volume_late: r#"`Compose did not create the share volume ... within Ns ..., though the unit has not failed` (exit 1)"# =>
        Pinned::Here(share_volume_late);
    osism_timeout: r#"`` step 7 ... osism's own timeout: it stopped waiting, but its task may still run (follow it with `osism wait ...`) `` (exit 1)"# =>
        Pinned::Here(osism_timeout);
    no_vault_password: r#"`step 7 ... no Ansible vault password is available ...` (exit 1)"# =>
        Pinned::Here(no_vault_password);
    osism_locked_or_client_down: r#"`step 7 ... osism's tasks are locked (by ...)` / `... the osismclient container is not up ...` (exit 1)"# =>
        Pinned::Here(osism_locked_or_client_down);
    osism_cannot_run: r#"`osism cannot run (exit status: 127: ...)` (exit 2)"# =>
        Pinned::Here(osism_cannot_run);
    only_copy_damaged: r#"`the only copy of /share, the archive ..., is damaged ...` (exit 1)"# =>
        Pinned::Here(only_copy_damaged);
    kept_archive_damaged: r#"`the only copy of VOLUME, the archive kept-VOLUME-YYYYMMDD.tar.gz, is damaged ...` (exit 1)"# =>
        Pinned::By("kept::a_kept_archive_damaged_after_down_is_refused_and_the_advice_typed_restores_it", &["kept_archive_damaged_after_down"]);
    share_fresh_or_missing: r#"`` the share volume manager_share holds nothing a fresh manager does not write itself ...; archives of /share are in DIR: ...; restore the newest with `osism-manager-reset --restore-from ...` `` (exit 2) / `the share volume manager_share does not exist ...` with the same"# =>
        Pinned::Here(share_fresh_or_missing);
    restore_from_hostile_entry: r#"`--restore-from ARCHIVE is refused: the entry "..." has a `..` in its name ...` (and: an absolute name, is not under share/, is for backup/, runs through ..., a symlink the archive made earlier, is a device node, ...) (exit 2)"# =>
        Pinned::Here(restore_from_hostile_entry);
    restore_from_not_the_one_checked: r#"`--restore-from ARCHIVE does not match ARCHIVE.sha256 ...` / `... has sha256 X, not the Y given with --restore-sha256 ...` (exit 2)"# =>
        Pinned::Here(restore_from_not_the_one_checked);
    checksum_of_another_user: r#"`ARCHIVE.sha256 belongs to USER, not to you, root or the manager's operator, so it vouches for nothing ...` (exit 2)"# =>
        Pinned::AsRoot(checksum_of_another_user);
    restore_from_unvouched: r#"`--restore-from ARCHIVE has no ARCHIVE.sha256 beside it, and --yes leaves no one to approve it by name ...` (exit 2)"# =>
        Pinned::Here(restore_from_unvouched);
    restore_from_changed_since_approved: r#"`the archive to restore, ARCHIVE, changed since the reset was approved ...: put the approved archive back there, then resume` (exit 2 on resume, exit 1 in step 3 or 5)"# =>
        Pinned::Here(restore_from_changed_since_approved);
    journal_not_written: r#"`` ... but the journal JOURNAL could not be closed (...), and says the reset is unfinished: never resume from it, as the manager runs again; once DIR can be written, remove it with `rm JOURNAL` ... `` / `... the journal JOURNAL could not record how the step ended (...) ...` (exit 1)"# =>
        Pinned::By("unwritable::a_journal_that_cannot_be_closed_after_a_rollback_is_never_resumed, unwritable::a_step_end_the_journal_could_not_record_is_said", &["unwritable_rollback_unclosed", "unwritable_step_end_unrecorded"]);
    killed: r#"the tool was killed (`kill -9`, the OOM killer, a power cut)"# =>
        Pinned::Here(killed);
    tar_by_hand_waits: r#"a `tar -czvf` into `DIR/manager-share-YYYYMMDD.tar.gz` by hand waits for ever"# =>
        Pinned::Here(tar_by_hand_waits);
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Row `test`'s scenario run in a world of its own and its snapshot compared (`sudo` before
/// `systemctl` written without it, as where the tests run as root: a message that names the
/// unit's stop holds it for others), or, for a row an existing test pins, that test and its
/// snapshots there.
fn pin(test: &str) {
    let (_, _, pinned) = ROWS.iter().find(|(name, ..)| *name == test).expect("a row of the table");
    match pinned {
        Pinned::Here(scenario) => {
            let world = World::new();
            calls_snapshot!(format!("told_{test}"), scenario(&world));
        }
        Pinned::AsRoot(scenario) if crate::support::is_root() => {
            let world = World::new();
            calls_snapshot!(format!("told_{test}"), scenario(&world));
        }
        Pinned::AsRoot(_) => {}
        Pinned::By(tests, snapshots) => {
            for path in tests.split(", ") {
                let (module, function) = path.split_once("::").expect("module::test");
                let source = std::fs::read_to_string(root().join(format!("tests/it/{module}.rs"))).unwrap();
                assert!(source.contains(&format!("#[test]\nfn {function}()")), "no test {path}");
            }
            for snapshot in *snapshots {
                let file = root().join(format!("snapshots/{snapshot}.snap"));
                assert!(file.is_file(), "no snapshot {}", file.display());
            }
        }
    }
}

/// README's rows and the table's are the same, each once.
#[test]
fn every_row_has_a_test() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let rows = crate::tidy::table_rows(&readme, "## What can go wrong, and what to type");
    let readmes: Vec<&str> = rows.iter().map(|cells| cells[0].as_str()).collect();
    let ours: Vec<&str> = ROWS.iter().map(|(_, says, _)| *says).collect();
    let untested: Vec<&&str> = readmes.iter().filter(|row| !ours.contains(row)).collect();
    let gone: Vec<&&str> = ours.iter().filter(|row| !readmes.contains(row)).collect();
    assert!(untested.is_empty(), "README's rows without a test in told.rs: {untested:#?}");
    assert!(gone.is_empty(), "rows in told.rs that README does not have: {gone:#?}");
    assert_eq!(readmes.len(), ours.len(), "a row twice");
}

/// What the operator is told when a run ends: its exit code and its standard error from the
/// message on (the list of problems of a refusal, a run's or a resume's, else the `error:`; what
/// ran before is the log's, pinned by the calls snapshots), this world's directory written
/// `[WORLD]`.
pub(crate) fn told(world: &World, out: &Output) -> String {
    let err = stderr(out);
    let refusal = ["This run would refuse", "A resume would refuse"].iter().find_map(|lead| err.find(lead));
    let from = refusal.or_else(|| err.find("error:")).unwrap_or(0);
    format!("exit code: {:?}\n{}", out.status.code(), world.scrub(&[err[from..].to_owned()]))
}
