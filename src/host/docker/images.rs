//! Read-only questions about images: which the services name, which their containers were
//! created from, and which are on this host. Part of `inspect`'s `Host`; nothing here pulls.

use anyhow::{Result, ensure};

use crate::host::docker::containers::Container;
use crate::host::docker::inspect::{Host, SERVICE_LABEL};
use crate::host::process::exec::first_line;

impl Host<'_> {
    /// The image ID each of `containers` was created from, by its service.
    pub(crate) fn created_from(&self, containers: &[Container]) -> Result<Vec<(String, String)>> {
        let ids: Vec<&str> = containers.iter().map(|c| c.id.as_str()).filter(|id| !id.is_empty()).collect();
        let format = format!("{{{{index .Config.Labels \"{SERVICE_LABEL}\"}}}} {{{{.Image}}}}");
        self.inspect_pairs(&format, &ids)
    }

    /// The image ID `image` names on this host now, `None` where it is not here: the tool's own
    /// containers never pull it (`--pull=never`), and a dry run changes nothing.
    pub(crate) fn image_id(&self, image: &str) -> Result<Option<String>> {
        let out = self.runner.read(&["docker", "image", "inspect", "--format", "{{.Id}}", image])?;
        if out.success {
            return Ok(Some(out.stdout.trim().to_owned()));
        }
        ensure!(
            out.stderr.to_lowercase().contains("no such image"),
            "`docker image inspect {image}` failed: {}",
            first_line(&out.stderr)
        );
        Ok(None)
    }

    /// The repository digests (`REPO@sha256:...`) image `id` was pulled as: what a registry held
    /// under its tag then. None for an image loaded or built here.
    pub(crate) fn repo_digests(&self, id: &str) -> Result<Vec<String>> {
        let out =
            self.runner.read(&["docker", "image", "inspect", "--format", "{{json .RepoDigests}}", id])?;
        ensure!(out.success, "`docker image inspect {id}` failed: {}", first_line(&out.stderr));
        Ok(serde_json::from_str::<Option<Vec<String>>>(out.stdout.trim()).ok().flatten().unwrap_or_default())
    }
}
