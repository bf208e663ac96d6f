//! Read-only questions about volumes: which exist, whose they are, which containers use them,
//! and what they hold, read back as one tar stream. Part of `inspect`'s `Host`; nothing here
//! changes state.

use anyhow::{Result, ensure};

use camino::Utf8Path;

use crate::host::docker::inspect::{FIFO_NAME, Host, MEASURE_LABEL, PROJECT_LABEL, READ_BACK_LABEL};
use crate::host::docker::inspect::{read_back_fifo, read_only_mount};
use crate::host::process::exec::{FifoRead, first_line};

/// A container that mounts one of the volumes asked about, as `docker ps` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VolumeUser {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) image: String,
    /// `running`, `exited`, `created`, ...
    pub(crate) state: String,
    /// Its compose project label, empty when it has none.
    pub(crate) project: String,
    /// One of the tool's own containers: a read-back or a measurement of /share.
    pub(crate) own: bool,
    /// The names of its volumes and the sources of its bind mounts.
    pub(crate) mounts: Vec<String>,
}

impl<'a> Host<'a> {
    /// Starts reading the share volume, mounted read-only, as one tar stream made by the image's
    /// own tar (as the backup was); `FifoRead::finish` reads it. The stream comes through a named
    /// pipe in `backup_dir`, mounted at /backup as the runbook mounts it, and tar opens that pipe
    /// before it reads /share: started early, it reads nothing until it is finished. The volume
    /// must exist: `docker run` would create it.
    pub(crate) fn start_share_read(
        &self,
        volume: &str,
        image: &str,
        backup_dir: &Utf8Path,
    ) -> Result<FifoRead<'a>> {
        ensure!(self.volume_exists(volume)?, "the share volume {volume} does not exist");
        self.start_share_read_of_seen(volume, image, backup_dir)
    }

    /// As `start_share_read`, of a volume this process saw Compose create moments ago (step 4):
    /// the restore's own `docker run` mounts it at once, so the read-back, which waits for it,
    /// creates nothing that command would not.
    pub(crate) fn start_share_read_of_seen(
        &self,
        volume: &str,
        image: &str,
        backup_dir: &Utf8Path,
    ) -> Result<FifoRead<'a>> {
        self.start_volume_read(volume, "/share", image, backup_dir)
    }

    /// As `start_share_read_of_seen`, of any volume, mounted read-only at `target`: a volume the
    /// reset keeps, read back as its archive holds it. The volume must exist: `docker run` would
    /// create it.
    pub(crate) fn start_volume_read(
        &self,
        volume: &str,
        target: &str,
        image: &str,
        backup_dir: &Utf8Path,
    ) -> Result<FifoRead<'a>> {
        let fifo = read_back_fifo(backup_dir);
        let label = format!("{READ_BACK_LABEL}={fifo}");
        let bind = format!("{backup_dir}:/backup");
        let pipe = format!("/backup/{FIFO_NAME}");
        let rest = ["--label", &label, "--volume", &bind, image, "tar", "-cf", &pipe, target];
        self.runner.start_fifo_read(&read_only_mount(volume, target, &rest), &fifo)
    }

    /// Of `volumes`, those that exist.
    pub(crate) fn existing_volumes<'v>(
        &self,
        volumes: impl IntoIterator<Item = &'v str>,
    ) -> Result<Vec<String>> {
        let out = self.runner.read(&["docker", "volume", "ls", "--quiet"])?;
        ensure!(out.success, "`docker volume ls` failed: {}", first_line(&out.stderr));
        let existing: Vec<&str> = out.stdout.lines().map(str::trim).collect();
        Ok(volumes.into_iter().filter(|v| existing.contains(v)).map(String::from).collect())
    }

    /// The compose project `volume` is labelled with: `None` if the volume does not exist,
    /// `Some("")` if it exists without the label (not created by Compose).
    pub(crate) fn volume_project(&self, volume: &str) -> Result<Option<String>> {
        let format = format!("{{{{ index .Labels \"{PROJECT_LABEL}\" }}}}");
        let out = self.runner.read(&["docker", "volume", "inspect", "--format", &format, volume])?;
        if !out.success {
            return no_such_volume(volume, &out.stderr).map(|()| None);
        }
        // A missing label prints "<no value>".
        let label = out.stdout.trim();
        Ok(Some(if label == "<no value>" { String::new() } else { label.to_owned() }))
    }

    /// Every container, running or not, that mounts one of `volumes`: whichever is not the
    /// project's keeps its volumes from `down -v`, which exits 0 all the same.
    pub(crate) fn volume_users<'v>(
        &self,
        volumes: impl IntoIterator<Item = &'v str>,
    ) -> Result<Vec<VolumeUser>> {
        let filters: Vec<String> = volumes.into_iter().map(|v| format!("volume={v}")).collect();
        if filters.is_empty() {
            return Ok(Vec::new());
        }
        let format = format!(
            "{{{{.ID}}}}\t{{{{.Names}}}}\t{{{{.Image}}}}\t{{{{.State}}}}\t{{{{.Label \"{PROJECT_LABEL}\"}}}}\t\
             {{{{.Label \"{READ_BACK_LABEL}\"}}}}{{{{.Label \"{MEASURE_LABEL}\"}}}}\t{{{{.Mounts}}}}"
        );
        let mut argv = vec!["docker", "ps", "--all", "--no-trunc"];
        for filter in &filters {
            argv.extend(["--filter", filter]);
        }
        argv.extend(["--format", &format]);
        let out = self.runner.read(&argv)?;
        ensure!(out.success, "`docker ps` failed: {}", first_line(&out.stderr));
        Ok(out
            .stdout
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let mut fields = line.split('\t').map(str::trim);
                let mut next = || fields.next().unwrap_or_default().to_owned();
                let (id, name, image, state, project, own) = (next(), next(), next(), next(), next(), next());
                let mounts =
                    next().split(',').map(str::trim).filter(|m| !m.is_empty()).map(String::from).collect();
                VolumeUser { id, name, image, state, project, own: !own.is_empty(), mounts }
            })
            .collect())
    }

    /// Whether `volume` exists; an answer other than "no such volume" is an error.
    pub(crate) fn volume_exists(&self, volume: &str) -> Result<bool> {
        let out = self.runner.read(&["docker", "volume", "inspect", volume])?;
        if out.success {
            return Ok(true);
        }
        no_such_volume(volume, &out.stderr).map(|()| false)
    }

    /// The labels of `volume`, as the engine holds them.
    pub(crate) fn volume_labels(&self, volume: &str) -> Result<std::collections::BTreeMap<String, String>> {
        let out =
            self.runner.read(&["docker", "volume", "inspect", "--format", "{{json .Labels}}", volume])?;
        ensure!(out.success, "`docker volume inspect {volume}` failed: {}", first_line(&out.stderr));
        let labels: Option<_> = serde_json::from_str(out.stdout.trim())
            .map_err(|e| anyhow::anyhow!("`docker volume inspect {volume}` printed no labels: {e}"))?;
        Ok(labels.unwrap_or_default())
    }

    /// The volumes labelled with the project, declared or not.
    pub(crate) fn labelled_volumes(&self, project: &str) -> Result<Vec<String>> {
        let filter = format!("label={PROJECT_LABEL}={project}");
        let out = self.runner.read(&["docker", "volume", "ls", "--quiet", "--filter", &filter])?;
        ensure!(out.success, "`docker volume ls` failed: {}", first_line(&out.stderr));
        let mut volumes: Vec<String> =
            out.stdout.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
        volumes.sort();
        Ok(volumes)
    }
}

/// Docker's answer for a volume that does not exist, or the error its answer is.
pub(super) fn no_such_volume(volume: &str, stderr: &str) -> Result<()> {
    ensure!(
        stderr.to_lowercase().contains("no such volume"),
        "`docker volume inspect {volume}` failed: {}",
        first_line(stderr)
    );
    Ok(())
}
