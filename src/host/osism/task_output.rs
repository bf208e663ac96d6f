//! What osism's task commands (`osism reconciler sync`, `osism apply facts`) printed when they
//! failed, read as python-osism (0.20261023.0) prints it: its own idle timeout, after which the
//! Celery task may still run; no vault password; the task lock of `osism lock`; the osismclient
//! container not running, as OSISM's wrapper reports it through `docker exec`; anything else.

use std::fmt;

/// Why an osism command of step 7 failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OsismFailure {
    /// osism stopped waiting for its task, which may still run; `follow` is the `osism wait`
    /// line osism printed, or the one for the task it named.
    Timeout { follow: Option<String> },
    /// No Ansible vault password: every worker Ansible run needs one.
    VaultPassword,
    /// `osism lock` holds the tasks; `by` is who, as osism said.
    Locked { by: String },
    /// The wrapper's `docker exec` found no running osismclient.
    ClientDown { said: String },
    /// Anything else; `said` is the line that says most.
    Other { said: String },
}

impl OsismFailure {
    /// The kind, for the JSON `failed` event.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            OsismFailure::Timeout { .. } => "osism-timeout",
            OsismFailure::VaultPassword => "vault-password-missing",
            OsismFailure::Locked { .. } => "tasks-locked",
            OsismFailure::ClientDown { .. } => "osismclient-down",
            OsismFailure::Other { .. } => "osism-failed",
        }
    }

    /// The `osism wait` line that follows a task that timed out.
    pub(crate) fn follow(&self) -> Option<&str> {
        match self {
            OsismFailure::Timeout { follow } => follow.as_deref(),
            _ => None,
        }
    }
}

impl fmt::Display for OsismFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OsismFailure::Timeout { follow } => {
                write!(f, "osism's own timeout: it stopped waiting, but its task may still run")?;
                match follow {
                    Some(line) => write!(f, " (follow it with `{line}`)"),
                    None => Ok(()),
                }
            }
            OsismFailure::VaultPassword => f.write_str(
                "no Ansible vault password is available: set it with `osism set vault password` (or add \
                 environments/.vault_pass to the configuration)",
            ),
            OsismFailure::Locked { by } => {
                write!(f, "osism's tasks are locked ({by}): `osism unlock` lifts the lock once that is right")
            }
            OsismFailure::ClientDown { said } => {
                write!(f, "osism cannot run, the osismclient container is not up ({said})")
            }
            OsismFailure::Other { said } => f.write_str(said),
        }
    }
}

/// An osism command of step 7 that failed, and why.
#[derive(Debug, Clone)]
pub(crate) struct Failed {
    pub(crate) command: String,
    pub(crate) status: String,
    pub(crate) cause: OsismFailure,
}

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}: {}", self.command, self.status, self.cause)
    }
}

impl std::error::Error for Failed {}

/// How many of its last lines an osism command is judged by: its verdict comes last.
pub(crate) const LINES_KEPT: usize = 200;

/// Reads `lines`, what an osism command printed (both streams), for why it failed.
pub(crate) fn cause(lines: &[String]) -> OsismFailure {
    let find = |needle: &str| lines.iter().find(|l| l.contains(needle));
    if let Some(line) = find("osism wait --output") {
        let follow = line[line.find("osism wait").unwrap_or(0)..].trim().to_owned();
        return OsismFailure::Timeout { follow: Some(follow) };
    }
    if let Some(line) = find("Timeout while waiting for further output of task ") {
        // `reconciler sync` names the task but prints no `osism wait` line of its own.
        let task = line.split("of task ").nth(1).and_then(|rest| rest.split_whitespace().next());
        return OsismFailure::Timeout {
            follow: task.map(|id| format!("osism wait --output --live --delay 2 {id}")),
        };
    }
    if find("No Ansible Vault password is available").is_some() {
        return OsismFailure::VaultPassword;
    }
    if let Some(line) = find("Tasks are currently locked by ") {
        let by = line[line.find("locked by ").map_or(0, |at| at + "locked by ".len())..].trim();
        return OsismFailure::Locked { by: format!("by {by}") };
    }
    let daemon = |l: &&String| {
        l.contains("Error response from daemon")
            && (l.contains("is not running") || l.contains("No such container: osismclient"))
    };
    if let Some(line) = lines.iter().find(daemon) {
        return OsismFailure::ClientDown { said: line.trim().to_owned() };
    }
    let said = lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .find(|l| l.contains("ERROR") || l.contains("Error") || l.contains("error"))
        .or_else(|| lines.iter().map(|l| l.trim()).rfind(|l| !l.is_empty()))
        .unwrap_or("it printed nothing");
    OsismFailure::Other { said: said.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> OsismFailure {
        cause(&text.lines().map(String::from).collect::<Vec<_>>())
    }

    /// `handle_task` in osism/tasks/__init__.py, as loguru prints it.
    #[test]
    fn apply_timing_out_is_a_timeout_with_its_wait_line() {
        let printed = "\
2026-11-28 10:00:00 | INFO     | Task 1c6e-aa is running in background. Output coming soon.
2026-11-28 10:05:00 | INFO     | There has been no output from the task 1c6e-aa for 300 second(s).
2026-11-28 10:05:00 | INFO     | The task timeout of 300 second(s) can be adjusted using the --timeout parameter.
2026-11-28 10:05:00 | INFO     | Task 1c6e-aa is still running in background. Check ARA for further logs. 
2026-11-28 10:05:00 | INFO     | Use this command to continue waiting for this task: osism wait --output --live --delay 2 1c6e-aa";
        let cause = read(printed);
        assert_eq!(cause.follow(), Some("osism wait --output --live --delay 2 1c6e-aa"));
        assert_eq!(cause.kind(), "osism-timeout");
    }

    /// `reconciler.Sync.take_action`: no wait line of its own, but the task's id.
    #[test]
    fn sync_timing_out_is_a_timeout_followed_by_its_task() {
        let cause = read(
            "2026-11-28 | ERROR    | Timeout while waiting for further output of task 77ab-01 (sync inventory)",
        );
        assert_eq!(cause.follow(), Some("osism wait --output --live --delay 2 77ab-01"));
    }

    #[test]
    fn vault_lock_client_and_other_failures_are_told_apart() {
        let vault = "2026-11-28 | ERROR | No Ansible Vault password is available. Run 'osism set vault \
                     password' on the manager, or add environments/.vault_pass to the configuration \
                     repository for unattended operation.";
        assert_eq!(read(vault), OsismFailure::VaultPassword);
        let locked = "2026-11-28 | ERROR | Tasks are currently locked by dragon at 2026-11-28T09:00:00\n\
                      2026-11-28 | ERROR | Use 'osism unlock' to remove the lock";
        assert_eq!(read(locked), OsismFailure::Locked { by: "by dragon at 2026-11-28T09:00:00".into() });
        let down = "Error response from daemon: container 1f2e3d4c is not running";
        assert_eq!(read(down).kind(), "osismclient-down");
        assert_eq!(
            read("Error response from daemon: No such container: osismclient").kind(),
            "osismclient-down"
        );
        assert_eq!(
            read("PLAY RECAP\nfatal: [node-1]: UNREACHABLE!\n"),
            OsismFailure::Other { said: "fatal: [node-1]: UNREACHABLE!".into() }
        );
        assert_eq!(read(""), OsismFailure::Other { said: "it printed nothing".into() });
    }
}
