//! Which systemd unit runs this manager: the runbook's `docker-compose@manager.service`, or
//! `manager.service` on managers deployed since mid-2024.

use std::fmt;
use std::process::ExitStatus;

use anyhow::Result;
use camino::{Utf8Path, Utf8PathBuf};

use crate::host::docker::inspect::Host;
use crate::plan::{Service, UnitCommand, UnitStart};

pub(crate) const RUNBOOK_UNIT: &str = "docker-compose@manager.service";
pub(crate) const CURRENT_UNIT: &str = "manager.service";

/// What systemd says of one unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct UnitState {
    pub(crate) active: bool,
    pub(crate) enabled: bool,
}

/// How systemctl begins to say that systemd does not run, or that it cannot reach it.
const NO_SYSTEMD: [&str; 2] = ["not been booted with systemd", "Failed to connect to bus"];

/// What systemctl says where systemd does not run (a container, a chroot): it cannot stop or
/// start any unit then.
pub(crate) struct SystemdDown(pub String);

/// The unit the operator named, or the detected one, and whether it is active (`None` without
/// systemctl); `Err` where systemctl answers that systemd is not running.
pub(crate) fn resolve(
    given: Option<&str>,
    host: &Host,
    systemctl_found: bool,
) -> Result<(Service, Option<bool>), SystemdDown> {
    let ask = |unit: &str| host.unit_is("is-active", unit).unwrap_or(false);
    if !systemctl_found {
        let service = match given {
            Some(unit) => Service::new(unit, crate::plan::SERVICE_GIVEN),
            None => Service::new(RUNBOOK_UNIT, "no systemctl to ask: the runbook's"),
        };
        return Ok((service, None));
    }
    // The first question also tells whether systemd runs at all.
    let first = given.unwrap_or(RUNBOOK_UNIT);
    let first_active = match host.unit_answer("is-active", first) {
        Ok(answer) if !answer.success && NO_SYSTEMD.iter().any(|s| answer.stderr.contains(s)) => {
            return Err(SystemdDown(crate::host::process::exec::first_line(&answer.stderr).to_owned()));
        }
        Ok(answer) => answer.success,
        Err(_) => false,
    };
    let is_active = |unit: &str| if unit == first { first_active } else { ask(unit) };
    if let Some(unit) = given {
        let active = Some(first_active);
        return Ok((Service::new(unit, crate::plan::SERVICE_GIVEN), active));
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
pub(crate) fn choose(runbook: UnitState, current: UnitState) -> Service {
    let pick = |unit: &str, why: &str| Service::new(unit, why);
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

/// What `unit` runs when it starts, as systemd has it loaded; `None` where systemctl does not
/// say (a unit not loaded, a systemctl that cannot be asked).
pub(crate) fn unit_start(host: &Host, unit: &str) -> Option<UnitStart> {
    let property = "--property=ExecStartPre,ExecStart,User,WorkingDirectory";
    let out = host.runner.read(&["systemctl", "show", property, unit]).ok()?;
    out.success.then(|| parse_show(&out.stdout)).flatten()
}

/// `systemctl show`'s `KEY=VALUE` lines, an exec property a line for each of its commands:
/// `ExecStartPre={ path=/usr/bin/docker ; argv[]=/usr/bin/docker compose pull ; ignore_errors=no ;
/// start_time=[n/a] ; ... }`. A unit with no `ExecStart=` is none systemd has loaded.
fn parse_show(stdout: &str) -> Option<UnitStart> {
    let mut start = UnitStart { commands: Vec::new(), user: None, working_directory: None };
    let mut main = Vec::new();
    for (key, value) in stdout.lines().filter_map(|line| line.split_once('=')) {
        let field = |name: &str| {
            value.split(" ; ").find_map(|part| part.trim().trim_start_matches("{ ").strip_prefix(name))
        };
        match key {
            "ExecStartPre" | "ExecStart" => {
                let Some(argv) = field("argv[]=") else { continue };
                let command = UnitCommand {
                    argv: argv.split_whitespace().map(String::from).collect(),
                    pre: key == "ExecStartPre",
                    ignore_errors: field("ignore_errors=") == Some("yes"),
                };
                if command.pre { start.commands.push(command) } else { main.push(command) }
            }
            "User" if !value.is_empty() && value != "root" => start.user = Some(value.to_owned()),
            "WorkingDirectory" if !value.is_empty() => {
                // `!` and `-` mark how systemd treats the directory, not the path.
                start.working_directory = Some(value.trim_start_matches(['!', '-']).into());
            }
            _ => {}
        }
    }
    if main.is_empty() {
        return None;
    }
    start.commands.extend(main);
    Some(start)
}

/// The unit failed: its start failed (`systemctl start` exits non-zero where an `ExecStartPre=`,
/// such as OSISM's pull, fails), or it failed after it was started (its `docker compose up` ended:
/// an image missing). Waiting longer would not help.
#[derive(Debug, Clone)]
pub(crate) struct UnitFailed {
    pub(crate) unit: String,
    /// How the start command ended, where it failed; `None` where the unit failed after it.
    pub(crate) start: Option<String>,
    /// The line of its journal that says most.
    pub(crate) why: String,
    /// The last lines of its journal, as this user can read them.
    pub(crate) journal: Vec<String>,
    pub(crate) project_directory: Utf8PathBuf,
}

/// How many of the unit journal's last lines a failure quotes.
const JOURNAL_QUOTED: usize = 6;

impl fmt::Display for UnitFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = &self.unit;
        match &self.start {
            Some(start) => write!(f, "the unit {unit} did not start ({start}): {}", self.why)?,
            None => write!(f, "the unit {unit} failed after it was started: {}", self.why)?,
        }
        if !self.journal.is_empty() {
            let quoted: Vec<String> = self.journal.iter().map(|l| format!("{l:?}")).collect();
            write!(f, "; its journal ends: {}", quoted.join(" / "))?;
        }
        write!(
            f,
            "; `journalctl --unit {unit}` and `docker compose --project-directory {} ps --all` say more (their \
             output is in the log)",
            self.project_directory
        )
    }
}

impl std::error::Error for UnitFailed {}

/// Fails with `UnitFailed` if `unit` has failed, with what its journal and Compose show (both go
/// into the log as well).
pub(crate) fn check_not_failed(host: &Host, unit: &str, project_directory: &Utf8Path) -> Result<()> {
    if !host.unit_failed(unit)? {
        return Ok(());
    }
    Err(failed(host, unit, project_directory, None).into())
}

/// `unit`'s start, `start` the command that started it, ended as `status`: `UnitFailed` with what
/// its journal shows where it failed.
pub(crate) fn check_started(
    host: &Host,
    unit: &str,
    project_directory: &Utf8Path,
    start: &str,
    status: ExitStatus,
) -> Result<()> {
    if status.success() {
        return Ok(());
    }
    Err(failed(host, unit, project_directory, Some(format!("`{start}` {status}"))).into())
}

fn failed(host: &Host, unit: &str, project_directory: &Utf8Path, start: Option<String>) -> UnitFailed {
    let journal = host.unit_journal(unit);
    host.compose_ps_table(project_directory);
    let mut lines: Vec<&str> = journal.lines().map(without_stamp).filter(|l| !l.is_empty()).collect();
    let why = lines.iter().position(|l| l.to_lowercase().contains("error")).or(lines.len().checked_sub(1));
    let why = why.map_or_else(|| "its journal says nothing".to_owned(), |at| lines.remove(at).to_owned());
    let quoted = &lines[lines.len().saturating_sub(JOURNAL_QUOTED)..];
    UnitFailed {
        unit: unit.to_owned(),
        start,
        why,
        journal: quoted.iter().map(|l| (*l).to_owned()).collect(),
        project_directory: project_directory.to_owned(),
    }
}

/// A journal line without journalctl's time and host (`Dec 07 10:00:01 manager `), which say
/// nothing of why the unit failed.
fn without_stamp(line: &str) -> &str {
    let line = line.trim();
    match line.splitn(5, ' ').collect::<Vec<_>>().as_slice() {
        [month, day, clock, _host, rest]
            if month.len() == 3 && day.parse::<u8>().is_ok() && clock.matches(':').count() == 2 =>
        {
            rest.trim()
        }
        _ => line,
    }
}

/// Where OSISM's pull at the unit's start keeps it from starting (a registry that cannot be
/// reached), the commands that start it from the images already here: a runtime drop-in, gone
/// at the next reboot, that clears the unit's `ExecStartPre=`; and the commands that remove it.
pub(crate) fn without_pull(unit: &str, sudo: bool) -> (String, String) {
    let sudo = if sudo { "sudo " } else { "" };
    let dir = format!("/run/systemd/system/{unit}.d");
    let file = crate::plan::quote::join(&[format!("{dir}/osism-manager-reset-no-pull.conf")]);
    let dir = crate::plan::quote::join(&[dir]);
    (
        format!(
            "{sudo}mkdir -p {dir} && printf '[Service]\\nExecStartPre=\\n' | {sudo}tee {file} >/dev/null && \
             {sudo}systemctl daemon-reload"
        ),
        format!("{sudo}rm {file} && {sudo}systemctl daemon-reload"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: UnitState = UnitState { active: false, enabled: false };
    const ENABLED: UnitState = UnitState { active: false, enabled: true };
    const ACTIVE: UnitState = UnitState { active: true, enabled: true };

    /// What systemd 252 prints for OSISM's manager.service (role `manager`, `manager_pre_pull`).
    const OSISM_UNIT: &str = "ExecStartPre={ path=/usr/bin/docker ; argv[]=/usr/bin/docker compose pull ; \
ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }
ExecStart={ path=/usr/bin/docker ; argv[]=/usr/bin/docker compose up --remove-orphans ; ignore_errors=no ; \
start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }
User=dragon
WorkingDirectory=/opt/manager
";

    #[test]
    fn the_units_start_is_read_as_systemd_shows_it() {
        let start = parse_show(OSISM_UNIT).unwrap();
        assert_eq!(start.user.as_deref(), Some("dragon"));
        assert_eq!(start.working_directory.as_deref().map(|d| d.as_str()), Some("/opt/manager"));
        let argv: Vec<String> = start.commands.iter().map(|c| c.argv.join(" ")).collect();
        assert_eq!(argv, ["/usr/bin/docker compose pull", "/usr/bin/docker compose up --remove-orphans"]);
        assert!(start.pull().is_some());

        let lenient = OSISM_UNIT.replacen("ignore_errors=no", "ignore_errors=yes", 1);
        assert!(parse_show(&lenient).unwrap().pull().is_none(), "a pull whose failure is ignored");
        let no_pull = OSISM_UNIT.lines().skip(1).collect::<Vec<_>>().join("\n");
        assert!(parse_show(&no_pull).unwrap().pull().is_none());
        let old = "ExecStart={ path=/usr/bin/docker-compose ; argv[]=/usr/bin/docker-compose up ; \
                   ignore_errors=no }\nUser=\nWorkingDirectory=!/opt/manager\n";
        let old = parse_show(old).unwrap();
        assert_eq!((old.user, old.working_directory.unwrap().as_str()), (None, "/opt/manager"));
        assert_eq!(parse_show("ExecStartPre=\nExecStart=\nUser=\nWorkingDirectory=\n"), None, "not loaded");
    }

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
