//! Step 6's wait: poll the project's containers until every one is healthy, an exited one
//! fails the step at once, the unit fails, or the timeout ends it.

use std::thread;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Result, bail};
use camino::Utf8Path;

use crate::host::containers::{self, Container, Verdict};
use crate::host::inspect::Host;
use crate::view::ui::{Event, Ui};

pub const POLL_EVERY: Duration = Duration::from_secs(1);

/// How a wait ends early: on a stop requested (`stop` fails), and whether containers that
/// exited before `started` are still to come back (the manager was stopped, not removed, and
/// its unit started again: Compose starts them again once its `up` runs).
pub struct Rules {
    pub stop: fn() -> Result<()>,
    pub started: Option<SystemTime>,
}

/// Polls until healthy, failed or `timeout`; shows what is still waiting while it waits. A unit
/// that failed ends the wait at once, and so does a stop requested.
pub fn wait(
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
        if let Err(error) = crate::host::service::check_not_failed(host, unit, project_directory) {
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
