//! Read-only questions to the host: Docker, Compose and systemd, asked through the executor.
//!
//! Nothing here changes state. `docker run` appears only with the share volume mounted
//! read-only, and only after `docker volume inspect` has shown that the volume exists, because
//! `docker run --mount source=NAME` would silently create a missing volume empty.

use std::collections::BTreeMap;
use std::time::SystemTime;

use anyhow::{Context, Result, ensure};
use camino::Utf8Path;
use serde::Deserialize;

use crate::host::docker::containers::{self, Container};
use crate::host::osism::vault;
use crate::host::process::exec::{Runner, first_line};
use crate::plan::{AnonymousVolume, Vault};

pub(super) const PROJECT_LABEL: &str = "com.docker.compose.project";
/// The label of the tool's read-back containers, whose value is the pipe they write into: they
/// outlive a tool that was killed, waiting on the pipe and holding the share volume.
pub(super) const READ_BACK_LABEL: &str = "org.osism.manager-reset.read-back";
/// The label of the tool's measuring container, whose value is the tool's process ID: it mounts
/// /share while preflight asks, at the same moment, which containers outside the project use the
/// volumes `down -v` deletes, and must not be taken for one of them.
pub(super) const MEASURE_LABEL: &str = "org.osism.manager-reset.measure";
pub(super) const SERVICE_LABEL: &str = "com.docker.compose.service";

/// The compose project as its configuration declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Project {
    pub(crate) name: String,
    /// Real names of the named volumes, external ones left out: what `down -v` removes.
    pub(crate) volumes: Vec<String>,
    /// Each of `volumes` with its key in the compose file.
    pub(crate) volume_keys: BTreeMap<String, String>,
    /// The named volumes its services mount at /share (real names), each with those services.
    pub(crate) share_mounts: Vec<ShareMount>,
    /// The named volumes of HashiCorp Vault's service (OSISM's `vault`, with `enable_vault`):
    /// its storage, which `down -v` deletes and OSISM does not initialise again.
    pub(crate) vault_volumes: Vec<String>,
    /// The host directories and files its services bind-mount: what `down -v` leaves alone.
    pub(crate) bind_mounts: Vec<String>,
    /// Its services' names.
    pub(crate) services: Vec<String>,
    /// Each service that names an image `compose pull` pulls, with that image.
    pub(crate) images: Vec<(String, String)>,
}

/// A named volume mounted at /share, and the services that mount it there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShareMount {
    pub(crate) volume: String,
    pub(crate) services: Vec<String>,
}

/// `docker compose config --format json`, as much of it as the reset reads.
#[derive(Deserialize)]
struct Model {
    name: String,
    #[serde(default)]
    services: BTreeMap<String, ComposeService>,
    #[serde(default)]
    volumes: BTreeMap<String, ComposeVolume>,
}

#[derive(Deserialize)]
struct ComposeService {
    #[serde(default)]
    volumes: Vec<ComposeMount>,
    image: Option<String>,
    /// `never` and `build` images are not pulled by `compose pull`.
    pull_policy: Option<String>,
}

#[derive(Deserialize)]
struct ComposeMount {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    target: String,
}

#[derive(Deserialize)]
struct ComposeVolume {
    name: Option<String>,
    #[serde(default)]
    external: serde_json::Value,
}

pub(crate) struct Host<'a> {
    pub(crate) runner: &'a Runner,
}

impl<'a> Host<'a> {
    pub(crate) fn new(runner: &'a Runner) -> Host<'a> {
        Host { runner }
    }

    pub(crate) fn compose_version(&self) -> Result<String> {
        let out = self.runner.read(&["docker", "compose", "version", "--short"])?;
        ensure!(out.success, "`docker compose version` failed: {}", out.stderr.trim());
        Ok(out.stdout.trim().to_owned())
    }

    /// The compose project as Compose itself resolves it (`name:`, `.env`, directory): its name
    /// and the real names of the named volumes it declares, external ones left out.
    pub(crate) fn project(&self, dir: &Utf8Path) -> Result<Project> {
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
        let real_name =
            |key: &str, v: &ComposeVolume| v.name.clone().unwrap_or_else(|| format!("{}_{key}", model.name));
        let volume_keys: BTreeMap<String, String> = model
            .volumes
            .iter()
            // `external: true`, or the older `external: {name: ...}`.
            .filter(|(_, v)| matches!(v.external, serde_json::Value::Null | serde_json::Value::Bool(false)))
            .map(|(key, v)| (real_name(key, v), key.clone()))
            .collect();
        let volumes: Vec<String> = volume_keys.keys().cloned().collect();
        let mut share_mounts: Vec<ShareMount> = Vec::new();
        let (mut vault_volumes, mut bind_mounts) = (Vec::new(), Vec::new());
        for (service, mount) in
            model.services.iter().flat_map(|(s, def)| def.volumes.iter().map(move |m| (s, m)))
        {
            if mount.kind == "bind" {
                bind_mounts.push(mount.source.clone());
                continue;
            }
            let Some(declared) = model.volumes.get(&mount.source) else { continue };
            if mount.kind != "volume" {
                continue;
            }
            let volume = real_name(&mount.source, declared);
            if service == "vault" {
                vault_volumes.push(volume.clone());
            }
            if mount.target.trim_end_matches('/') != "/share" {
                continue;
            }
            match share_mounts.iter_mut().find(|m| m.volume == volume) {
                Some(known) => known.services.push(service.clone()),
                None => share_mounts.push(ShareMount { volume, services: vec![service.clone()] }),
            }
        }
        for list in [&mut vault_volumes, &mut bind_mounts] {
            list.sort();
            list.dedup();
        }
        let services = model.services.keys().cloned().collect();
        let images = model
            .services
            .iter()
            // What the unit's `compose pull` pulls: not a service's image it never pulls.
            .filter(|(_, def)| !matches!(def.pull_policy.as_deref(), Some("never" | "build")))
            .filter_map(|(service, def)| Some((service.clone(), def.image.clone()?)))
            .collect();
        Ok(Project {
            name: model.name,
            volumes,
            volume_keys,
            share_mounts,
            vault_volumes,
            bind_mounts,
            services,
            images,
        })
    }

    /// The containers of the project, running or not (`docker compose ps --all`).
    pub(crate) fn containers(&self, dir: &Utf8Path) -> Result<Vec<Container>> {
        containers::parse(&self.compose_ps_json(dir)?)
    }

    /// The anonymous volumes of `containers`: volume mounts whose volume is not among `named`.
    pub(crate) fn anonymous_volumes(
        &self,
        containers: &[Container],
        named: &[String],
    ) -> Result<Vec<AnonymousVolume>> {
        #[derive(Deserialize)]
        struct Inspected {
            #[serde(rename = "Config")]
            config: ContainerConfig,
            #[serde(rename = "Mounts", default)]
            mounts: Vec<Mount>,
        }
        #[derive(Deserialize)]
        struct ContainerConfig {
            #[serde(rename = "Labels", default)]
            labels: BTreeMap<String, String>,
        }
        #[derive(Deserialize)]
        struct Mount {
            #[serde(rename = "Type")]
            kind: String,
            #[serde(rename = "Name", default)]
            name: String,
        }
        let ids: Vec<&str> = containers.iter().map(|c| c.id.as_str()).filter(|id| !id.is_empty()).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let out = self.runner.read(&[&["docker", "inspect"][..], &ids].concat())?;
        ensure!(
            out.success,
            "`docker inspect` of the project's containers failed: {}",
            first_line(&out.stderr)
        );
        let inspected: Vec<Inspected> =
            serde_json::from_str(&out.stdout).context("cannot read `docker inspect` JSON")?;
        let mut anonymous: Vec<AnonymousVolume> = inspected
            .into_iter()
            .flat_map(|c| {
                let service = c.config.labels.get(SERVICE_LABEL).cloned().unwrap_or_default();
                c.mounts
                    .into_iter()
                    .filter(|m| m.kind == "volume" && !m.name.is_empty() && !named.contains(&m.name))
                    .map(move |m| AnonymousVolume { service: service.clone(), volume: m.name })
            })
            .collect();
        anonymous.sort_by(|a, b| (&a.service, &a.volume).cmp(&(&b.service, &b.volume)));
        anonymous.dedup();
        Ok(anonymous)
    }

    /// Whether the Ansible vault password is set: `osism vault check --format script`.
    /// `Err` when osism cannot run at all (exit 126 or 127: not installed, or the plugin
    /// dispatcher with no osism after it), which step 7 would meet after `down -v`.
    pub(crate) fn vault(&self) -> Result<Vault, String> {
        match self.runner.read(&["osism", "vault", "check", "--format", "script"]) {
            Ok(out) if matches!(out.status.code(), Some(126 | 127)) => {
                Err(format!("osism cannot run ({}: {})", out.status, first_line(&out.stderr)))
            }
            Ok(out) => Ok(vault::judge(&out.stdout, &out.stderr)),
            Err(error) => Err(format!("osism cannot run ({error:#})")),
        }
    }

    /// The tool's read-back containers that mount `volume`, running or not: left by a run that
    /// was killed while one waited on its pipe.
    pub(crate) fn read_backs(&self, volume: &str) -> Result<Vec<String>> {
        let label = format!("label={READ_BACK_LABEL}");
        let volume = format!("volume={volume}");
        let out = self
            .runner
            .read(&["docker", "ps", "--all", "--quiet", "--filter", &label, "--filter", &volume])?;
        ensure!(out.success, "`docker ps` failed: {}", first_line(&out.stderr));
        Ok(out.stdout.split_whitespace().map(String::from).collect())
    }

    /// Running containers of the plan's tar commands: made from `image`, with something
    /// mounted at /backup (the manager's own containers mount nothing there).
    pub(crate) fn tar_containers(&self, image: &str) -> Result<Vec<String>> {
        let ancestor = format!("ancestor={image}");
        let out = self.runner.read(&[
            "docker",
            "ps",
            "--quiet",
            "--filter",
            "volume=/backup",
            "--filter",
            &ancestor,
        ])?;
        ensure!(out.success, "`docker ps` failed: {}", first_line(&out.stderr));
        Ok(out.stdout.split_whitespace().map(String::from).collect())
    }

    /// When each of the containers `ids` last stopped (`State.FinishedAt`), for those that did.
    pub(crate) fn finished_at(&self, ids: &[&str]) -> Result<Vec<(String, SystemTime)>> {
        Ok(self
            .inspect_pairs("{{.Id}} {{.State.FinishedAt}}", ids)?
            .into_iter()
            .filter_map(|(id, at)| {
                let at =
                    time::OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339).ok()?;
                // Docker's zero time for a container that never stopped.
                (at.year() > 1).then(|| (id, SystemTime::from(at)))
            })
            .collect())
    }

    /// `docker inspect --format FORMAT` of the project's containers `ids`, whose format prints
    /// two words a line: each line's pair.
    pub(super) fn inspect_pairs(&self, format: &str, ids: &[&str]) -> Result<Vec<(String, String)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let out = self.runner.read(&[&["docker", "inspect", "--format", format][..], ids].concat())?;
        ensure!(
            out.success,
            "`docker inspect` of the project's containers failed: {}",
            first_line(&out.stderr)
        );
        Ok(out
            .stdout
            .lines()
            .filter_map(|line| line.trim().split_once(' '))
            .map(|(first, second)| (first.to_owned(), second.to_owned()))
            .collect())
    }

    /// Whether `unit` has failed (`systemctl is-failed`): a Type=simple unit fails after its start
    /// returned, when its `docker compose up` does.
    pub(crate) fn unit_failed(&self, unit: &str) -> Result<bool> {
        self.unit_is("is-failed", unit)
    }

    /// The last lines of the unit's journal, or what journalctl said instead (it may not let this
    /// user read the journal).
    pub(crate) fn unit_journal(&self, unit: &str) -> String {
        match self.runner.read(&["journalctl", "--unit", unit, "--lines", "20", "--no-pager"]) {
            Ok(out) => format!("{}{}", out.stdout, out.stderr),
            Err(error) => format!("{error:#}"),
        }
    }

    /// `docker compose ps --all` as an operator reads it; here for the log, where its output goes.
    pub(crate) fn compose_ps_table(&self, dir: &Utf8Path) {
        let _ = self.runner.read(&["docker", "compose", "--project-directory", dir.as_str(), "ps", "--all"]);
    }

    /// Whether `systemctl is-active` or `is-enabled` affirms `unit` (exit 0).
    pub(crate) fn unit_is(&self, verb: &str, unit: &str) -> Result<bool> {
        Ok(self.unit_answer(verb, unit)?.success)
    }

    /// `systemctl VERB --quiet UNIT` as it answered, for what it says besides its exit code.
    pub(crate) fn unit_answer(&self, verb: &str, unit: &str) -> Result<crate::host::process::exec::Captured> {
        self.runner.read(&["systemctl", verb, "--quiet", unit])
    }

    /// `docker compose ps --all --format json`, as printed.
    pub(crate) fn compose_ps_json(&self, dir: &Utf8Path) -> Result<String> {
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

/// The read-back's pipe, in the backup directory; the lock keeps any other run from using it.
pub(super) const FIFO_NAME: &str = ".osism-manager-reset-share.fifo";

pub(crate) fn read_back_fifo(backup_dir: &Utf8Path) -> camino::Utf8PathBuf {
    backup_dir.join(FIFO_NAME)
}

/// `docker run` with no network, never pulling, and the share volume mounted read-only at /share,
/// then `rest` (more options, the image, its command): the only way the tool's own containers
/// touch /share (its one other look, in `measure`, is `find` and `du` in the manager's own).
pub(super) fn read_only_share(volume: &str, rest: &[&str]) -> Vec<String> {
    read_only_mount(volume, "/share", rest)
}

/// As `read_only_share`, with `volume` at `target`.
pub(super) fn read_only_mount(volume: &str, target: &str, rest: &[&str]) -> Vec<String> {
    let mount = format!("source={volume},target={target},readonly");
    ["docker", "run", "--rm", "--pull=never", "--network", "none", "--mount", &mount]
        .iter()
        .chain(rest)
        .map(|w| w.to_string())
        .collect()
}
