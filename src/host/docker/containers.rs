//! The project's containers as `docker compose ps --all --format json` lists them, and what
//! their states mean: still writing (up), healthy, waiting, or failed.
//!
//! Healthy means running, with a health of `healthy` or no healthcheck at all (`Health` is ""),
//! as OSISM's own deploy waits. An exited or dead container has failed: it will not heal by
//! waiting. Compose before 2.21 prints one JSON array, since then one object per line; both
//! are read.

use anyhow::{Context, Result};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub(crate) struct Container {
    #[serde(rename = "ID", default)]
    pub(crate) id: String,
    #[serde(rename = "Service", default)]
    pub(crate) service: String,
    #[serde(rename = "Name", default)]
    pub(crate) name: String,
    #[serde(rename = "State", default)]
    pub(crate) state: String,
    #[serde(rename = "Health", default)]
    pub(crate) health: String,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Healthy,
    /// Not yet: what each waiting service is doing.
    Waiting(Vec<String>),
    /// Will not get healthy by waiting.
    Failed(Vec<String>),
}

/// Reads both of Compose's `ps --format json` shapes.
pub(crate) fn parse(text: &str) -> Result<Vec<Container>> {
    let text = text.trim();
    if text.starts_with('[') {
        return serde_json::from_str(text).context("cannot read `docker compose ps` JSON");
    }
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).context("cannot read a line of `docker compose ps` JSON"))
        .collect()
}

impl Container {
    /// Whether a process of it may still be writing: running, restarting or paused.
    fn is_up(&self) -> bool {
        matches!(self.state.as_str(), "running" | "restarting" | "paused")
    }

    /// The service's name, or the container's where Compose gave none.
    pub(crate) fn label(&self) -> &str {
        if self.service.is_empty() { &self.name } else { &self.service }
    }
}

/// Whether `container` has stopped: exited, or dead.
pub(crate) fn has_exited(container: &Container) -> bool {
    matches!(container.state.as_str(), "exited" | "dead")
}

/// The services (or containers) of `containers` that may still be writing.
pub(crate) fn up(containers: &[Container]) -> Vec<String> {
    containers.iter().filter(|c| c.is_up()).map(|c| c.label().to_owned()).collect()
}

pub(crate) fn judge(containers: &[Container]) -> Verdict {
    if containers.is_empty() {
        return Verdict::Waiting(vec!["no container yet".into()]);
    }
    let describe = |c: &Container| {
        let what = if c.health.is_empty() { c.state.clone() } else { format!("{}, {}", c.state, c.health) };
        format!("{} ({what})", c.label())
    };
    let failed: Vec<String> = containers.iter().filter(|c| has_exited(c)).map(describe).collect();
    if !failed.is_empty() {
        return Verdict::Failed(failed);
    }
    let waiting: Vec<String> = containers
        .iter()
        .filter(|c| c.state != "running" || !(c.health.is_empty() || c.health == "healthy"))
        .map(describe)
        .collect();
    if waiting.is_empty() { Verdict::Healthy } else { Verdict::Waiting(waiting) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(service: &str, state: &str, health: &str) -> Container {
        Container {
            id: String::new(),
            service: service.into(),
            name: format!("manager-{service}-1"),
            state: state.into(),
            health: health.into(),
        }
    }

    #[test]
    fn both_json_shapes_are_read() {
        let lines = r#"{"Name":"manager-api-1","Service":"api","State":"running","Health":"healthy"}
{"Name":"osismclient","Service":"osismclient","State":"running","Health":""}
"#;
        let array = r#"[{"Name":"manager-api-1","Service":"api","State":"running","Health":"healthy"},
{"Name":"osismclient","Service":"osismclient","State":"running","Health":""}]"#;
        assert_eq!(parse(lines).unwrap(), parse(array).unwrap());
        assert_eq!(parse(lines).unwrap().len(), 2);
        assert_eq!(parse("").unwrap(), []);
        assert!(parse("{not json").is_err());
    }

    #[test]
    fn verdicts() {
        assert_eq!(judge(&[c("api", "running", "healthy"), c("client", "running", "")]), Verdict::Healthy);
        assert_eq!(
            judge(&[c("api", "running", "starting"), c("db", "running", "unhealthy")]),
            Verdict::Waiting(vec!["api (running, starting)".into(), "db (running, unhealthy)".into()])
        );
        assert_eq!(judge(&[c("api", "created", "")]), Verdict::Waiting(vec!["api (created)".into()]));
        assert_eq!(
            judge(&[c("api", "running", "healthy"), c("beat", "exited", "")]),
            Verdict::Failed(vec!["beat (exited)".into()])
        );
        assert!(matches!(judge(&[]), Verdict::Waiting(_)));
    }
}
