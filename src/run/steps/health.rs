//! The waits on what the unit's start makes, as it returns before Compose has made anything
//! (Type=simple): step 4's for the share volume, and step 6's, which polls the project's
//! containers until every one is healthy, an exited one fails the step at once, the unit
//! fails, or the timeout ends it.

use std::thread;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Result, bail, ensure};
use camino::Utf8Path;

use crate::host::docker::containers::{self, Container, Verdict};
use crate::host::docker::inspect::Host;
use crate::plan::{Plan, StepKind};
use crate::view::ui::{Event, Ui};

pub(crate) const POLL_EVERY: Duration = Duration::from_secs(1);

/// How often step 4's check asks whether Compose has created the share volume: `docker volume
/// inspect` answers in about 10 ms, and Compose creates the volume within a second of its start:
/// every poll less is downtime less, a poll's overshoot averages half of this.
const SHARE_VOLUME_POLL: Duration = Duration::from_millis(25);

/// How a wait ends early: on a stop requested (`stop` fails), and whether containers that
/// exited before `started` are still to come back (the manager was stopped, not removed, and
/// its unit started again: Compose starts them again once its `up` runs).
pub(crate) struct Rules {
    pub(crate) stop: fn() -> Result<()>,
    pub(crate) started: Option<SystemTime>,
}

/// Polls until healthy, failed or `timeout`; shows what is still waiting while it waits. A unit
/// that failed ends the wait at once, and so does a stop requested.
pub(crate) fn wait(
    host: &Host,
    unit: &str,
    project_directory: &Utf8Path,
    timeout: Duration,
    ui: &Ui,
    step: usize,
    rules: Rules,
) -> Result<()> {
    let started = Instant::now();
    let mut progress = ui.progress();
    let mut announced: Option<Vec<String>> = None;
    loop {
        let polled = Instant::now();
        if let Err(error) = crate::host::system::service::check_not_failed(host, unit, project_directory) {
            progress.finish("the unit failed");
            return Err(error);
        }
        let verdict = match host.compose_ps_json(project_directory).and_then(|json| containers::parse(&json))
        {
            Ok(found) => match (containers::judge(&found), rules.started) {
                (Verdict::Failed(failed), Some(started)) => {
                    not_back_yet(host, &found, started).map_or(Verdict::Failed(failed), Verdict::Waiting)
                }
                (verdict, _) => verdict,
            },
            // Compose may briefly fail while the service starts; the timeout still bounds it.
            Err(error) => Verdict::Waiting(vec![format!("{error:#}")]),
        };
        match verdict {
            Verdict::Healthy => {
                progress
                    .finish(&format!("every container is healthy after {}s", started.elapsed().as_secs()));
                return Ok(());
            }
            Verdict::Failed(failed) => {
                progress.finish("a container stopped");
                bail!("containers stopped while waiting for health: {}", failed.join(", "));
            }
            Verdict::Waiting(waiting) => {
                if started.elapsed() >= timeout {
                    progress.finish("timed out");
                    bail!(
                        "not healthy after {}s (--health-timeout): {}",
                        timeout.as_secs(),
                        waiting.join(", ")
                    );
                }
                if announced.as_ref() != Some(&waiting) {
                    ui.event(&Event::WaitingForHealth { step, waiting: &waiting });
                    announced = Some(waiting.clone());
                }
                progress.update(|| format!("waiting for {}", waiting.join(", ")));
            }
        }
        (rules.stop)()?;
        thread::sleep(POLL_EVERY.saturating_sub(polled.elapsed()));
    }
}

/// Where every exited container of `found` stopped before `started`, those containers, as
/// waiting for Compose to start them again; `None` where one stopped since (it failed), or
/// Docker cannot tell.
fn not_back_yet(host: &Host, found: &[Container], started: SystemTime) -> Option<Vec<String>> {
    let exited: Vec<&Container> = found.iter().filter(|c| containers::has_exited(c)).collect();
    let ids: Vec<&str> = exited.iter().map(|c| c.id.as_str()).collect();
    let finished = host.finished_at(&ids).ok()?;
    let before = |c: &Container| finished.iter().any(|(id, at)| id.starts_with(&c.id) && *at < started);
    exited
        .iter()
        .all(|c| !c.id.is_empty() && before(c))
        .then(|| exited.iter().map(|c| format!("{} (stopped, to be started again)", c.label())).collect())
}

/// Waits until Compose has created the share volume for this project. The unit's start
/// returns before `docker compose up` has (Type=simple), and the restore's `docker run`
/// would otherwise create the volume itself, without the labels that make it the project's.
pub(crate) fn share_volume(host: &Host, plan: &Plan, timeout: Duration, ui: &Ui) -> Result<()> {
    let started = Instant::now();
    let mut progress = ui.progress();
    let volume = &plan.share_volume;
    let unit = &plan.service.unit;
    loop {
        let created = host.volume_project(volume).and_then(|project| match project {
            Some(project) if project == plan.project => Ok(true),
            Some(other) => {
                let stop = plan.step(StepKind::StopService).map_or("", |s| s.commands[0].display.as_str());
                bail!(
                    "the share volume {volume} exists but Compose did not create it for the project {:?} \
                     (its label: {other:?}), so the restore would go where the manager does not look: stop \
                     the manager (`{stop}`), make sure {volume} holds nothing of value and remove it (`docker \
                     volume rm {volume}`); the resume starts the manager again",
                    plan.project
                )
            }
            None => {
                crate::host::system::service::check_not_failed(host, unit, &plan.project_directory)?;
                ensure!(
                    started.elapsed() < timeout,
                    "Compose did not create the share volume {volume} within {}s of starting {unit} \
                     (--health-timeout), though the unit has not failed: see `journalctl --unit {unit}`",
                    timeout.as_secs()
                );
                Ok(false)
            }
        });
        match created {
            Ok(true) => {
                progress.finish(&format!("Compose created the share volume {volume}"));
                return Ok(());
            }
            Ok(false) => progress.update(|| format!("waiting for Compose to create {volume}")),
            Err(error) => {
                progress.finish("stopped waiting");
                return Err(error);
            }
        }
        crate::host::process::signals::check()?;
        thread::sleep(SHARE_VOLUME_POLL);
    }
}
