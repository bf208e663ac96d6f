//! Read-only questions to the host: Docker, Compose and systemd, asked through the executor.
//!
//! Nothing here changes state. `docker run` appears only with the share volume mounted
//! read-only, and only after `docker volume inspect` has shown that the volume exists, because
//! `docker run --mount source=NAME` would silently create a missing volume empty.

use anyhow::{Context, Result, bail, ensure};
use camino::Utf8Path;
use serde::Deserialize;

use crate::exec::Runner;

/// What the share volume holds, counted inside a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShareSize {
    /// Paths under /share, /share itself included: the entries tar writes.
    pub entries: u64,
    pub kib: u64,
}

pub struct Host<'a> {
    runner: &'a Runner,
}

impl<'a> Host<'a> {
    pub fn new(runner: &'a Runner) -> Host<'a> {
        Host { runner }
    }

    pub fn compose_version(&self) -> Result<String> {
        let out = self.runner.read(&["docker", "compose", "version", "--short"])?;
        ensure!(out.success, "`docker compose version` failed: {}", out.stderr.trim());
        Ok(out.stdout.trim().to_owned())
    }

    /// The compose project's name as Compose itself resolves it (`name:`, `.env`, directory).
    pub fn project_name(&self, dir: &Utf8Path) -> Result<String> {
        #[derive(Deserialize)]
        struct Model {
            name: String,
        }
        let out = self.runner.read(&[
            "docker",
            "compose",
            "--project-directory",
            dir.as_str(),
            "config",
            "--format",
            "json",
        ])?;
        ensure!(out.success, "`docker compose config` failed in {dir}: {}", first_line(&out.stderr));
        let model: Model =
            serde_json::from_str(&out.stdout).context("`docker compose config` printed no project name")?;
        Ok(model.name)
    }

    pub fn volume_exists(&self, volume: &str) -> Result<bool> {
        Ok(self.runner.read(&["docker", "volume", "inspect", volume])?.success)
    }

    /// The volumes `docker compose down -v` deletes: those labelled with the project.
    pub fn project_volumes(&self, project: &str) -> Result<Vec<String>> {
        let filter = format!("label=com.docker.compose.project={project}");
        let out = self.runner.read(&["docker", "volume", "ls", "--quiet", "--filter", &filter])?;
        ensure!(out.success, "`docker volume ls` failed: {}", first_line(&out.stderr));
        let mut volumes: Vec<String> =
            out.stdout.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
        volumes.sort();
        Ok(volumes)
    }

    /// Counts and sizes the share volume, mounted read-only; `None` if it does not exist,
    /// which is asked first so that `docker run` never creates it.
    pub fn measure_share(&self, volume: &str, image: &str) -> Result<Option<ShareSize>> {
        if !self.volume_exists(volume)? {
            return Ok(None);
        }
        let mount = format!("source={volume},target=/share,readonly");
        let out = self.runner.read(&[
            "docker",
            "run",
            "--rm",
            "--network",
            "none",
            "--mount",
            &mount,
            image,
            "sh",
            "-c",
            "find /share | wc -l && du -sk /share",
        ])?;
        ensure!(out.success, "cannot measure the share volume {volume}: {}", first_line(&out.stderr));
        let mut numbers = out.stdout.split_whitespace().filter_map(|w| w.parse::<u64>().ok());
        match (numbers.next(), numbers.next()) {
            (Some(entries), Some(kib)) => Ok(Some(ShareSize { entries, kib })),
            _ => bail!("cannot read the size of the share volume {volume} from {:?}", out.stdout.trim()),
        }
    }

    /// Whether `systemctl is-active` or `is-enabled` affirms `unit` (exit 0).
    pub fn unit_is(&self, verb: &str, unit: &str) -> Result<bool> {
        Ok(self.runner.read(&["systemctl", verb, "--quiet", unit])?.success)
    }

    /// `docker compose ps --all --format json`, as printed.
    pub fn compose_ps_json(&self, dir: &Utf8Path) -> Result<String> {
        let out = self.runner.read(&[
            "docker",
            "compose",
            "--project-directory",
            dir.as_str(),
            "ps",
            "--all",
            "--format",
            "json",
        ])?;
        ensure!(out.success, "`docker compose ps` failed: {}", first_line(&out.stderr));
        Ok(out.stdout)
    }
}

fn first_line(text: &str) -> &str {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or("no message").trim()
}
