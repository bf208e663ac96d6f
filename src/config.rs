//! Parsed flags turned into a checked `Config`: absolute paths, valid names, no I/O.
//!
//! Everything an operator can get wrong by typing is caught here, before anything runs, so bad
//! input always means exit 2 and no change.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use camino::{Utf8Path, Utf8PathBuf};

use crate::cli::{Args, Output};

#[derive(Debug, Clone)]
pub struct Config {
    pub project_directory: Utf8PathBuf,
    /// The unit given by the operator; `None` means detect it.
    pub service: Option<String>,
    pub share_volume: String,
    pub backup_dir: Utf8PathBuf,
    pub image: String,
    pub yes: bool,
    pub output: Output,
    pub health_timeout: Duration,
    /// Piped into `osism set vault password`; never read by the tool.
    pub vault_password_file: Option<Utf8PathBuf>,
}

impl Config {
    /// Checks the flags against `cwd`, the directory the tool was started in.
    pub fn new(args: Args, cwd: &Utf8Path) -> Result<Config> {
        let project_directory = absolute(&args.project_directory, cwd, "--project-directory")?;
        let backup_dir = match &args.backup_dir {
            Some(dir) => absolute(dir, cwd, "--backup-dir")?,
            None => cwd.to_owned(),
        };
        // docker's --volume splits on ':', so such a directory would be mounted wrongly.
        ensure!(
            !backup_dir.as_str().contains(':'),
            "backup directory {backup_dir} contains ':', which docker --volume cannot mount: \
             choose another with --backup-dir"
        );
        let service = args.service.map(check_unit).transpose()?;
        Ok(Config {
            project_directory,
            service,
            share_volume: check_volume(args.share_volume)?,
            backup_dir,
            image: check_image(args.image)?,
            yes: args.yes,
            output: args.output,
            health_timeout: Duration::from_secs(args.health_timeout),
            vault_password_file: match &args.vault_password_file {
                Some(file) => Some(absolute(file, cwd, "--vault-password-file")?),
                None => None,
            },
        })
    }
}

fn absolute(path: &Path, cwd: &Utf8Path, flag: &str) -> Result<Utf8PathBuf> {
    let path = Utf8Path::from_path(path)
        .with_context(|| format!("{flag} {} is not valid UTF-8: rename it", path.display()))?;
    Ok(cwd.join(path))
}

fn check_unit(unit: String) -> Result<String> {
    ensure!(!unit.trim().is_empty(), "--service is empty: give a systemd unit name");
    if let Some(c) = unit.chars().find(|c| c.is_whitespace() || c.is_control() || *c == '/') {
        bail!("--service {unit:?} contains {c:?}, which no systemd unit name has");
    }
    // systemctl would read it as an option, not as the unit to stop.
    ensure!(!unit.starts_with('-'), "--service {unit:?} starts with '-': give a systemd unit name");
    Ok(unit)
}

/// Docker's own rule for volume names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
fn check_volume(volume: String) -> Result<String> {
    ensure!(!volume.is_empty(), "--share-volume is empty: give a docker volume name");
    let mut chars = volume.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    ensure!(
        first_ok && rest_ok && volume.len() > 1,
        "--share-volume {volume:?} is not a docker volume name: see `docker volume ls`"
    );
    Ok(volume)
}

fn check_image(image: String) -> Result<String> {
    ensure!(!image.trim().is_empty(), "--image is empty: give an image with tar, such as busybox");
    if let Some(c) = image.chars().find(|c| c.is_whitespace() || c.is_control()) {
        bail!("--image {image:?} contains {c:?}, which no image reference has");
    }
    ensure!(
        !image.starts_with('-'),
        "--image {image:?} starts with '-', which docker would read as an option"
    );
    Ok(image)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn config(argv: &[&str]) -> Result<Config> {
        let args = Args::try_parse_from(std::iter::once("osism-manager-reset").chain(argv.iter().copied()))?;
        Config::new(args, Utf8Path::new("/home/dragon"))
    }

    #[test]
    fn relative_paths_are_taken_from_the_start_directory() {
        let c = config(&["--backup-dir", "backups", "--project-directory", "m"]).unwrap();
        assert_eq!(c.backup_dir, "/home/dragon/backups");
        assert_eq!(c.project_directory, "/home/dragon/m");
        assert_eq!(config(&[]).unwrap().backup_dir, "/home/dragon");
    }

    #[test]
    fn bad_names_are_refused_with_the_flag_named() {
        for (argv, needle) in [
            (&["--share-volume", ""][..], "--share-volume is empty"),
            (&["--share-volume", "a b"], "not a docker volume name"),
            (&["--service", ""], "--service is empty"),
            (&["--service", "a b.service"], "contains ' '"),
            (&["--service=--now"], "starts with '-'"),
            (&["--health-timeout", "0"], "0 is not in 1.."),
            (&["--image", " "], "--image is empty"),
            (&["--image=-v"], "starts with '-'"),
            (&["--backup-dir", "/a:b"], "contains ':'"),
            (&["--backup-dir", ""], "a value is required for '--backup-dir"),
        ] {
            let err = format!("{:#}", config(argv).unwrap_err());
            assert!(err.contains(needle), "{argv:?}: {err}");
        }
    }
}
