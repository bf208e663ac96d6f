//! Which systemd unit runs this manager: the runbook's `docker-compose@manager.service`, or
//! `manager.service` on managers deployed since mid-2024.

use std::fmt;

use anyhow::Result;
use camino::{Utf8Path, Utf8PathBuf};

use crate::host::inspect::Host;
use crate::plan::Service;

pub const RUNBOOK_UNIT: &str = "docker-compose@manager.service";
pub const CURRENT_UNIT: &str = "manager.service";

/// What systemd says of one unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnitState {
    pub active: bool,
    pub enabled: bool,
}

/// How systemctl begins to say that systemd does not run, or that it cannot reach it.
const NO_SYSTEMD: [&str; 2] = ["not been booted with systemd", "Failed to connect to bus"];

/// What systemctl says where systemd does not run (a container, a chroot): it cannot stop or
/// start any unit then.
pub struct SystemdDown(pub String);

/// The unit the operator named, or the detected one, and whether it is active (`None` without
/// systemctl); `Err` where systemctl answers that systemd is not running.
pub fn resolve(
    given: Option<&str>,
    host: &Host,
    systemctl_found: bool,
) -> Result<(Service, Option<bool>), SystemdDown> {
    let ask = |unit: &str| host.unit_is("is-active", unit).unwrap_or(false);
    if !systemctl_found {
        let service = match given {
            Some(unit) => Service { unit: unit.to_owned(), reason: crate::plan::SERVICE_GIVEN.into() },
            None => {
                Service { unit: RUNBOOK_UNIT.into(), reason: "no systemctl to ask: the runbook's".into() }
            }
        };
        return Ok((service, None));
    }
    // The first question also tells whether systemd runs at all.
    let first = given.unwrap_or(RUNBOOK_UNIT);
    let first_active = match host.unit_answer("is-active", first) {
        Ok(answer) if !answer.success && NO_SYSTEMD.iter().any(|s| answer.stderr.contains(s)) => {
            return Err(SystemdDown(crate::host::exec::first_line(&answer.stderr).to_owned()));
        }
        Ok(answer) => answer.success,
        Err(_) => false,
    };
    let is_active = |unit: &str| if unit == first { first_active } else { ask(unit) };
    if let Some(unit) = given {
        let active = Some(first_active);
        return Ok((Service { unit: unit.to_owned(), reason: crate::plan::SERVICE_GIVEN.into() }, active));
    }
    let state = |unit| UnitState {
        active: is_active(unit),
        enabled: host.unit_is("is-enabled", unit).unwrap_or(false),
    };
    let (runbook, current) = (state(RUNBOOK_UNIT), state(CURRENT_UNIT));
    let service = choose(runbook, current);
    let active = if service.unit == RUNBOOK_UNIT { runbook.active } else { current.active };
    Ok((service, Some(active)))
}

/// Active beats enabled; when the two units cannot be told apart, the runbook's unit stays.
pub fn choose(runbook: UnitState, current: UnitState) -> Service {
    let pick = |unit: &str, why: &str| Service { unit: unit.into(), reason: why.into() };
    match (runbook.active, current.active) {
        (true, false) => return pick(RUNBOOK_UNIT, "the active one"),
        (false, true) => return pick(CURRENT_UNIT, "the active one"),
        _ => {}
    }
    match (runbook.enabled, current.enabled) {
        (true, false) => pick(RUNBOOK_UNIT, "the enabled one"),
        (false, true) => pick(CURRENT_UNIT, "the enabled one"),
        _ => pick(
            RUNBOOK_UNIT,
            if runbook.active || runbook.enabled {
                "both are active or enabled: the runbook's; choose with --service"
            } else {
                "neither is active or enabled: the runbook's; choose with --service"
            },
        ),
    }
}

/// The unit failed after it was started: its `docker compose up` ended (an image missing, a
/// registry unreachable). Waiting longer would not help.
#[derive(Debug, Clone)]
pub struct UnitFailed {
    pub unit: String,
    /// The line of its journal that says most.
    pub why: String,
    pub project_directory: Utf8PathBuf,
}

impl fmt::Display for UnitFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the unit {unit} failed after it was started: {}; `journalctl --unit {unit}` and `docker compose \
             --project-directory {} ps --all` say more (their output is in the log)",
            self.why,
            self.project_directory,
            unit = self.unit
        )
    }
}

impl std::error::Error for UnitFailed {}

/// Fails with `UnitFailed` if `unit` has failed, with what its journal and Compose show (both go
/// into the log as well).
pub fn check_not_failed(host: &Host, unit: &str, project_directory: &Utf8Path) -> Result<()> {
    if !host.unit_failed(unit)? {
        return Ok(());
    }
    let journal = host.unit_journal(unit);
    host.compose_ps_table(project_directory);
    let lines = || journal.lines().map(str::trim).filter(|l| !l.is_empty());
    let why = lines()
        .find(|l| l.to_lowercase().contains("error"))
        .or_else(|| lines().next_back())
        .unwrap_or("its journal says nothing");
    Err(UnitFailed {
        unit: unit.to_owned(),
        why: why.to_owned(),
        project_directory: project_directory.to_owned(),
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: UnitState = UnitState { active: false, enabled: false };
    const ENABLED: UnitState = UnitState { active: false, enabled: true };
    const ACTIVE: UnitState = UnitState { active: true, enabled: true };

    #[test]
    fn active_wins_then_enabled_then_the_runbook() {
        assert_eq!(choose(ACTIVE, NONE).unit, RUNBOOK_UNIT);
        assert_eq!(choose(NONE, ACTIVE).unit, CURRENT_UNIT);
        assert_eq!(choose(ENABLED, ACTIVE).unit, CURRENT_UNIT);
        assert_eq!(choose(NONE, ENABLED).reason, "the enabled one");
        let undecided = choose(NONE, NONE);
        assert_eq!(undecided.unit, RUNBOOK_UNIT);
        assert!(undecided.reason.contains("choose with --service"), "{}", undecided.reason);
        assert!(choose(ACTIVE, ACTIVE).reason.starts_with("both are active"));
    }
}
