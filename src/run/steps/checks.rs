//! The safeguards around the runbook's commands, one function each, run by `step_loop` from the
//! plan's `before` and `after` lists, so that what guards `down -v` is read in one place:
//! - after step 1, `project_stopped`: no container of the project runs (a live /share is never
//!   backed up; a unit that stopped nothing is named);
//! - before step 2, `archive_private`: the archive's path is made a pipe 0600 for tar to write
//!   into, an older archive kept aside;
//! - after step 2, `archive_matches_share`: the archive, read back whole on its way from tar to
//!   the file the tool writes (`archive::live_check`, `archive::tee`), is equal to /share entry by entry both
//!   ways, and synced; its checksum is recorded;
//! - before steps 3 and 5, `archive_unchanged` (the hash of what step 2 wrote stands for the
//!   file while nothing has written it since; a resumed run hashes again); before step 3 also
//!   `share_still_matches_archive` (a resumed run compares again); after step 3, `volumes_gone`;
//! - after step 4, `share_volume_created` (watching the unit); after step 5,
//!   `share_matches_archive` (against the records step 2's read kept, or the archive); before
//!   step 6, `healthy`; after the vault step, `vault_passes`.

use std::time::{Duration, Instant, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail, ensure};

use crate::archive::compare::{self, Comparison};
use crate::archive::live_check::Followed;
use crate::archive::records;
use crate::archive::verify::{self, Archive};
use crate::host::files::fifo;
use crate::host::process::exec::FifoRead;
use crate::host::process::{signals, transcript};
use crate::host::system::service;
use crate::plan::{Check, Plan, StepKind, VaultState};
use crate::run::record::previous;
use crate::run::steps::guarded::{Guarded, judge_against, mismatch};
use crate::run::steps::health;
use crate::run::steps::kept_volumes;
use crate::run::steps::stop::{Outdated, WrongUnit};

/// Whether `check` compares /share, read back through a container started with the commands.
pub(crate) fn reads_share(check: Check) -> bool {
    matches!(check, Check::ArchiveMatchesShare | Check::ShareMatchesArchive)
}

/// Runs one of the plan's checks.
pub(crate) fn run(check: Check, cx: &mut Guarded) -> Result<()> {
    match check {
        Check::ProjectStopped => project_stopped(cx),
        Check::ArchivePrivate => archive_private(cx),
        Check::ArchiveMatchesShare => archive_matches_share(cx),
        Check::ArchiveUnchanged => archive_unchanged(cx),
        Check::RestoreSourceUnchanged => restore_source_unchanged(cx.at.plan),
        Check::ImageUnchanged => crate::run::steps::drift::image(cx.with.host, cx.at.plan, cx.journal),
        Check::PasswordFileTrusted => crate::run::steps::drift::password_file(cx.at.plan),
        Check::ShareStillMatchesArchive => share_still_matches_archive(cx),
        Check::VolumesGone => volumes_gone(cx),
        Check::ShareVolumeCreated { timeout_s } => share_volume_created(cx, Duration::from_secs(timeout_s)),
        Check::ShareMatchesArchive => share_matches_archive(cx),
        Check::Healthy { timeout_s } => healthy(cx, Duration::from_secs(timeout_s)),
        Check::VaultPasses => vault_passes(cx),
        Check::KeptArchivesPrivate => kept_volumes::checks::archives_private(cx),
        Check::KeptArchivesMatchVolumes => kept_volumes::checks::archives_match(cx),
        Check::KeptArchivesUnchanged => kept_volumes::checks::archives_unchanged(cx),
        Check::KeptVolumesStillMatchArchives => {
            kept_volumes::checks::volumes_still_match(cx).context(Outdated)
        }
        Check::KeptVolumesMatchArchives => kept_volumes::checks::volumes_restored(cx),
    }
}

fn share_read<'r>(cx: &mut Guarded<'_, 'r>) -> Result<FifoRead<'r>> {
    cx.share_read.take().context("the read-back of /share was not started with the step")
}

/// The project's containers must all have stopped: a live /share is never backed up, and a unit
/// whose stop leaves them running does not run this manager (the other of OSISM's two is named,
/// when it is active).
fn project_stopped(cx: &mut Guarded) -> Result<()> {
    let (host, plan) = (cx.with.host, cx.at.plan);
    let up = crate::host::docker::containers::up(&host.containers(&plan.project_directory)?);
    if up.is_empty() {
        return Ok(());
    }
    let stopped = plan.service.unit.clone();
    let running = [service::RUNBOOK_UNIT, service::CURRENT_UNIT]
        .into_iter()
        .find(|u| *u != stopped && host.unit_is("is-active", u).unwrap_or(false))
        .map(String::from);
    Err(WrongUnit { stopped, up, running }.into())
}

/// Where the archive goes is a pipe, private, before tar writes into it: the tool reads it and
/// writes the file. An archive already there is kept aside, never overwritten.
fn archive_private(cx: &mut Guarded) -> Result<()> {
    let archive = &cx.at.plan.backup_file;
    // The archive the operator named, approved by its sha256, may be the one in the way.
    let restore = cx.at.plan.restore.as_ref().filter(|r| r.path == *archive);
    if let Some(kept) = previous::keep_aside(archive, restore.map(|r| r.sha256.as_str()))? {
        let line = format!("an archive is never overwritten: the one there is kept as {kept}");
        cx.with.ui.tell(cx.with.runner, &line);
    }
    // The archive the operator named bears today's name: step 5 restores it from where the plan
    // said it would be kept.
    if let Some(kept) = cx.at.plan.restore.as_ref().and_then(|r| r.kept_as.as_ref()) {
        ensure!(
            kept.exists(),
            "the archive to restore was to be kept as {kept}, which is not there: run the reset again"
        );
    }
    fifo::make(archive)
}

/// The archive, read on its way from tar to the file, holds exactly what /share holds; the file,
/// synced, is what was read. Its checksum goes beside it and into the journal.
fn archive_matches_share(cx: &mut Guarded) -> Result<()> {
    let path = &cx.at.plan.backup_file;
    let Followed { archive, comparison, tar_ended, written } =
        cx.followed.take().context("the archive was not read back with the step")??;
    cx.with.runner.note(&format!(
        "compared the archive with /share after the backup in {:.3}s after tar ended (read from tar's pipe \
         while tar wrote it, entry by entry, written to the file and synced): {} entries, sha256 {}",
        tar_ended.elapsed().as_secs_f64(),
        archive.entries,
        archive.sha256
    ));
    judge(path, &comparison)?;
    let checksum = verify::write_checksum(path, &archive.sha256)?;
    cx.with.ui.say(&format!(
        "    verified all {} entries against /share, one by one; sha256 in {checksum}",
        archive.entries
    ));
    cx.this_run.hashed.replace(Some(written));
    cx.journal.archive = Some(archive);
    cx.this_run.compared.set(true);
    cx.journal.save()
}

/// The archive was verified after step 2 and still matches its checksum: hashed again, unless
/// this process hashed it once tar had ended and nothing has written it since.
fn archive_unchanged(cx: &mut Guarded) -> Result<()> {
    let plan = cx.at.plan;
    let never = || anyhow!("the archive {} was never verified: refusing to go on", plan.backup_file);
    let archive = cx.journal.archive.as_ref().ok_or_else(never)?;
    let hashed = verify::check(&plan.backup_file, &archive.sha256, cx.this_run.hashed.take())?;
    cx.this_run.hashed.replace(Some(hashed));
    Ok(())
}

/// The archive `--restore-from` named still has the sha256 the plan was approved with.
fn restore_source_unchanged(plan: &Plan) -> Result<()> {
    let restore = plan.restore.as_ref().context("the plan names no archive to restore")?;
    crate::run::preflight::rescue::still_approved(restore, restore.file())
}

/// Before `down -v`, while /share exists: unless this run compared them itself, /share is
/// compared with the archive again, as a journal that says step 2 was done may be edited.
fn share_still_matches_archive(cx: &mut Guarded) -> Result<()> {
    let plan = cx.at.plan;
    if cx.this_run.compared.get() {
        return Ok(());
    }
    if !cx.with.host.volume_exists(&plan.share_volume)? {
        // `down -v` ran before this resume: the archive is all there is of /share.
        cx.with.runner.note("the share volume is gone, `down -v` ran before: nothing to compare");
        return Ok(());
    }
    let read = cx.with.host.start_share_read(&plan.share_volume, &plan.image, &plan.backup_dir)?;
    compare_with_share(cx, read, "again, as this run did not make it").context(Outdated)?;
    cx.this_run.compared.set(true);
    cx.with.ui.say("    /share still holds exactly what the archive holds");
    Ok(())
}

/// None of the volumes `down -v` was to delete is left: it exits 0 even when one it could not
/// remove is still there.
fn volumes_gone(cx: &mut Guarded) -> Result<()> {
    let planned = cx.at.plan.volumes.as_ref().context("the plan does not list the volumes to delete")?;
    let left = cx.with.host.existing_volumes(planned.deleted())?;
    ensure!(
        left.is_empty(),
        "`down -v` left the volumes {}: stop what still uses them (docker ps --all --filter volume=NAME), \
         then resume",
        left.join(", ")
    );
    Ok(())
}

/// Every archived entry is in /share as archived, but for what the running manager wrote.
fn share_matches_archive(cx: &mut Guarded) -> Result<()> {
    let read = share_read(cx)?;
    cx.journal.restored = Some(check_restore(cx, read)?);
    cx.journal.save()
}

/// Every container runs and is healthy, within the timeout, the unit not failed.
fn healthy(cx: &mut Guarded, timeout: Duration) -> Result<()> {
    let plan = cx.at.plan;
    let (unit, dir) = (&plan.service.unit, &plan.project_directory);
    // A container stopped before the unit's start (by hand, before a resume) is Compose's to
    // start again, not a failure.
    let start = plan.steps.iter().position(|s| s.kind == StepKind::StartService);
    let started = start.and_then(|i| cx.journal.steps[i].started_at.as_deref()).and_then(transcript::parse);
    let rules = health::Rules { stop: signals::check, started };
    health::wait(cx.with.host, unit, dir, timeout, cx.with.ui, cx.at.step.number, rules)?;
    cx.journal.healthy_at = Some(transcript::now());
    cx.journal.save()
}

/// `osism vault check` passes after `osism set vault password`.
fn vault_passes(cx: &mut Guarded) -> Result<()> {
    let vault =
        cx.with.host.vault().map_err(|cannot| anyhow!("after `osism set vault password`, {cannot}"))?;
    ensure!(
        vault.state == VaultState::Set,
        "after `osism set vault password`, {}: check the password{}, then resume",
        vault.detail,
        cx.at.plan.vault_password_file().map(|f| format!(" in {f}")).unwrap_or_default()
    );
    cx.with.ui.say(&format!("    {}", vault.detail));
    Ok(())
}

/// Reads the archive back whole and compares it with /share, read back by `share_read`: with
/// the manager stopped, nothing may differ either way. Returns what the archive holds.
fn compare_with_share(cx: &Guarded, share_read: FifoRead, when: &str) -> Result<Archive> {
    let plan = cx.at.plan;
    let reading = Instant::now();
    let (archive, comparison) = share_read.finish(|share| verify::read_back(&plan.backup_file, share))?;
    cx.with.runner.note(&format!(
        "compared the archive with /share {when} in {:.3}s (read back, entry by entry): {} entries, \
         sha256 {}",
        reading.elapsed().as_secs_f64(),
        archive.entries,
        archive.sha256
    ));
    judge(&plan.backup_file, &comparison)?;
    Ok(archive)
}

/// With the manager stopped, nothing may differ either way between `archive` and /share.
fn judge(archive: &camino::Utf8Path, comparison: &Comparison) -> Result<()> {
    judge_against(archive, comparison, "/share")
}

/// Every archived entry must be in /share as archived; what the running manager wrote since
/// the restore began, and what it added, is its own.
/// Returns how many archived entries /share holds as archived.
fn check_restore(cx: &Guarded, share_read: FifoRead) -> Result<u64> {
    let (plan, began) = (cx.at.plan, cx.at.began);
    let checking = Instant::now();
    // Tar headers hold whole seconds: a write in the second the restore began counts.
    let since = began.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()).saturating_sub(1);
    let records = restored_records(cx);
    let against = if records.is_some() { "the archive's records" } else { "the archive" };
    let comparison = share_read.finish(|share| match records {
        Some(mut records) => compare::compare_with_records(|| records.next_record(), share, Some(since)),
        None => compare::compare(verify::entries(plan.restored_file())?, share, Some(since)),
    })?;
    let Comparison { archived, missing, differing, changed_since, extra, identical } = comparison;
    let mut wrong = Vec::new();
    mismatch(&mut wrong, &missing, "archived entries are missing");
    mismatch(&mut wrong, &differing, "archived entries differ");
    if !wrong.is_empty() {
        bail!(
            "/share does not hold the archive {} after the restore: {}",
            plan.restored_file(),
            wrong.join("; ")
        );
    }
    cx.with.runner.note(&format!(
        "checked /share after the restore in {:.3}s (compared with {against} entry by entry)",
        checking.elapsed().as_secs_f64()
    ));
    cx.with.ui.say(&format!("    /share holds all {archived} archived entries as archived"));
    debug_assert_eq!(identical + changed_since.count as u64, archived);
    for (names, what) in
        [(&changed_since, "changed since the restore began"), (&extra, "added, not from the archive")]
    {
        if !names.is_empty() {
            let line = format!("the running manager's own: {} entries {what} ({names})", names.count);
            cx.with.ui.tell(cx.with.runner, &line);
        }
    }
    Ok(identical)
}

/// The records step 2's read kept of the archive step 5 restores, where they stand for it: its
/// sha256 was checked before the restore, and the records are what was written. Otherwise the
/// archive is read instead, and the log says why.
fn restored_records(cx: &Guarded) -> Option<records::Reader> {
    let plan = cx.at.plan;
    let checked =
        plan.restored_file() == plan.backup_file && cx.at.step.before.contains(&Check::ArchiveUnchanged);
    let stored = cx.journal.archive.as_ref().and_then(|a| a.records.as_ref()).filter(|_| checked)?;
    records::open(&plan.records_path(), stored)
        .inspect_err(|why| {
            cx.with.runner.note(&format!("the archive itself is read instead of its records: {why:#}"))
        })
        .ok()
}

/// Compose has created the share volume for this project (see `health::share_volume`).
fn share_volume_created(cx: &mut Guarded, timeout: Duration) -> Result<()> {
    health::share_volume(cx.with.host, cx.at.plan, timeout, cx.with.ui)?;
    cx.this_run.share_volume_seen.set(true);
    Ok(())
}
