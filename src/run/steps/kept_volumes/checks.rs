//! The safeguards around the kept volumes, each the kept volumes' side of one of /share's:
//! before their archive step, `archives_private` (each path a pipe 0600, an older archive kept
//! aside); after it, `archives_match` (each archive, read on its way from tar, equal to its
//! volume entry by entry both ways, synced, its sha256 beside it and in the journal); before
//! `down -v` and before their restore, `archives_unchanged`; before `down -v` also
//! `volumes_still_match` (a resumed run compares again); after the restore, `volumes_restored`
//! (each volume made again with Compose's labels and holding exactly its archive).

use anyhow::{Context, Result, anyhow, ensure};

use crate::archive::{compare, verify};
use crate::host::files::fifo;
use crate::plan::KeptVolume;
use crate::plan::kept::MOUNT;
use crate::run::record::previous;
use crate::run::steps::guarded::{Guarded, judge_against};
use crate::run::steps::kept_volumes::fault::Damaged;

/// What a kept volume is called in messages.
fn named(volume: &KeptVolume) -> String {
    format!("the kept volume {}", volume.name)
}

/// Each kept volume's archive path is a pipe, mode 0600; an archive there is kept aside.
pub(crate) fn archives_private(cx: &mut Guarded) -> Result<()> {
    for volume in &cx.at.plan.kept {
        let archive = cx.at.plan.kept_archive(volume);
        if let Some(kept) = previous::keep_aside(&archive, None)? {
            let line = format!("an archive is never overwritten: the one there is kept as {kept}");
            cx.with.ui.tell(cx.with.runner, &line);
        }
        fifo::make(&archive)?;
    }
    Ok(())
}

/// Each archive, read on its way from tar to the file, holds exactly what its volume holds; its
/// checksum goes beside it and into the journal.
pub(crate) fn archives_match(cx: &mut Guarded) -> Result<()> {
    let plan = cx.at.plan;
    let followed = std::mem::take(&mut cx.kept_followed);
    ensure!(followed.len() == plan.kept.len(), "the kept volumes' archives were not read back with the step");
    for (volume, followed) in plan.kept.iter().zip(followed) {
        let path = plan.kept_archive(volume);
        let followed = followed?;
        let archive = followed.archive;
        cx.with.runner.note(&format!(
            "compared the archive of {} with the volume in {:.3}s after tar ended: {} entries, sha256 {}",
            volume.name,
            followed.tar_ended.elapsed().as_secs_f64(),
            archive.entries,
            archive.sha256
        ));
        judge_against(&path, &followed.comparison, &named(volume))?;
        let checksum = verify::write_checksum(&path, &archive.sha256)?;
        cx.with.ui.say(&format!(
            "    verified all {} entries of {} against its archive, one by one; sha256 in {checksum}",
            archive.entries, volume.name
        ));
        cx.this_run.kept_hashed.borrow_mut().insert(volume.name.clone(), followed.written);
        cx.journal.kept.insert(volume.name.clone(), archive);
    }
    cx.this_run.kept_compared.set(true);
    cx.journal.save()
}

/// Each kept archive was verified and still matches its checksum: hashed again, unless this
/// process hashed it and nothing has written it since.
pub(crate) fn archives_unchanged(cx: &mut Guarded) -> Result<()> {
    let plan = cx.at.plan;
    for volume in &plan.kept {
        let path = plan.kept_archive(volume);
        let never = || anyhow!("the archive {path} of {} was never verified: refusing to go on", volume.name);
        let archive = cx.journal.kept.get(&volume.name).ok_or_else(never)?;
        let hashed = cx.this_run.kept_hashed.borrow_mut().remove(&volume.name);
        let damaged = || Damaged { volume: volume.name.clone(), archive: path.clone() };
        let hashed = verify::check(&path, &archive.sha256, hashed).with_context(damaged)?;
        cx.this_run.kept_hashed.borrow_mut().insert(volume.name.clone(), hashed);
    }
    Ok(())
}

/// Before `down -v`, while they exist: unless this run compared them itself, each kept volume is
/// compared with its archive again, as a journal that says they were archived may be edited.
pub(crate) fn volumes_still_match(cx: &mut Guarded) -> Result<()> {
    let plan = cx.at.plan;
    if cx.this_run.kept_compared.get() {
        return Ok(());
    }
    for volume in &plan.kept {
        if !cx.with.host.volume_exists(&volume.name)? {
            cx.with
                .runner
                .note(&format!("{} is gone, `down -v` ran before: nothing to compare", volume.name));
            continue;
        }
        let path = plan.kept_archive(volume);
        let read = cx.with.host.start_volume_read(&volume.name, MOUNT, &plan.image, &plan.backup_dir)?;
        let (_, comparison) = read.finish(|held| verify::read_back(&path, held))?;
        judge_against(&path, &comparison, &named(volume))?;
        cx.with.ui.say(&format!("    {} still holds exactly what its archive holds", volume.name));
    }
    cx.this_run.kept_compared.set(true);
    Ok(())
}

/// Each kept volume, made again, bears the labels Compose gave it and holds exactly what its
/// archive holds: nothing runs on it yet, so nothing may differ either way.
pub(crate) fn volumes_restored(cx: &mut Guarded) -> Result<()> {
    let plan = cx.at.plan;
    for volume in &plan.kept {
        let labels = cx.with.host.volume_labels(&volume.name)?;
        ensure!(
            labels == volume.labels,
            "{} was not created with the labels Compose gave it: `docker volume rm {}`, then resume",
            volume.name,
            volume.name
        );
        let path = plan.kept_archive(volume);
        let read = cx.with.host.start_volume_read(&volume.name, MOUNT, &plan.image, &plan.backup_dir)?;
        let comparison = read
            .finish(|held| compare::compare(verify::entries(&path)?, held, None))
            .with_context(|| format!("cannot compare {} with its archive", volume.name))?;
        judge_against(&path, &comparison, &named(volume))?;
        cx.with.ui.say(&format!(
            "    {} holds all {} archived entries as archived, and Compose's labels",
            volume.name, comparison.archived
        ));
    }
    Ok(())
}
