//! The plugin's manifest, `plugin.toml`, built into the binary so that the metadata request
//! (`--plugin-metadata`, in the spirit of Docker CLI plugins' `docker-cli-plugin-metadata`)
//! always answers with the facts of the binary that answers.

use anyhow::{Context, Result};

const MANIFEST: &str = include_str!("../../plugin.toml");

/// plugin.toml as one JSON object.
pub(crate) fn metadata_json() -> Result<String> {
    let manifest: toml::Table = toml::from_str(MANIFEST).context("the built-in plugin.toml is not TOML")?;
    serde_json::to_string(&manifest).context("cannot encode plugin.toml as JSON")
}
