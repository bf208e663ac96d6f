//! Parsed flags turned into a checked `Config`: absolute paths, valid names, no I/O.
//!
//! Everything an operator can get wrong by typing is caught here, before anything runs, so bad
//! input always means exit 2 and no change.

use std::path::Path;
use std::time::Duration;

use std::sync::LazyLock;

use anyhow::{Context, Result, ensure};
use camino::{Utf8Path, Utf8PathBuf};
use regex::Regex;

use crate::plan::Options;
use crate::plan::options::cli::{Args, Output, Sources};

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
    /// Piped into `osism set vault password`; read by the tool only to refuse a blank one.
    pub vault_password_file: Option<Utf8PathBuf>,
    /// Where `environments/.vault_pass` may be.
    pub configuration_directory: Utf8PathBuf,
    /// The operator agreed that `down -v` deletes Vault's storage.
    pub delete_vault_data: bool,
    /// The volumes `down -v` deletes that the operator keeps, as named (`--keep-volume`).
    pub keep_volumes: Vec<String>,
    /// The archive step 5 restores instead of today's, and the sha256 it must have.
    pub restore_from: Option<Utf8PathBuf>,
    pub restore_sha256: Option<String>,
    /// Which options the environment set, for naming them in messages.
    pub sources: Sources,
}

impl Config {
    /// Checks the flags against `cwd`, the directory the tool was started in; a message names
    /// an option by its environment variable where that set it (`sources`).
    pub fn new(args: Args, cwd: &Utf8Path, sources: &Sources) -> Result<Config> {
        let name = |long: &str| sources.name(long);
        let project_directory = absolute(&args.project_directory, cwd, &name("project-directory"))?;
        let backup_dir = match &args.backup_dir {
            Some(dir) => absolute(dir, cwd, &name("backup-dir"))?,
            None => cwd.to_owned(),
        };
        // docker's --volume splits on ':', so such a directory would be mounted wrongly.
        ensure!(
            !backup_dir.as_str().contains(':'),
            "backup directory {backup_dir} contains ':', which docker --volume cannot mount: \
             choose another with {}",
            name("backup-dir")
        );
        let service = args.service.map(|unit| check_unit(unit, &name("service"))).transpose()?;
        Ok(Config {
            project_directory,
            service,
            share_volume: check_volume(args.share_volume, &name("share-volume"))?,
            backup_dir,
            image: check_image(args.image, &name("image"))?,
            yes: args.yes,
            output: args.output,
            health_timeout: Duration::from_secs(args.health_timeout),
            vault_password_file: match &args.vault_password_file {
                Some(file) => Some(absolute(file, cwd, &name("vault-password-file"))?),
                None => None,
            },
            configuration_directory: absolute(
                &args.configuration_directory,
                cwd,
                &name("configuration-directory"),
            )?,
            delete_vault_data: args.delete_vault_data,
            keep_volumes: check_kept(args.keep_volume, &name("keep-volume"))?,
            restore_from: args
                .restore_from
                .as_deref()
                .map(|file| check_restore_from(file, cwd, &name("restore-from")))
                .transpose()?,
            restore_sha256: args
                .restore_sha256
                .map(|hex| check_sha256(&hex, &name("restore-sha256")))
                .transpose()?,
            sources: sources.clone(),
        })
    }
}

impl From<&Config> for Options {
    fn from(config: &Config) -> Options {
        Options {
            project_directory: config.project_directory.clone(),
            share_volume: config.share_volume.clone(),
            image: config.image.clone(),
            backup_dir: config.backup_dir.clone(),
            vault_password_file: config.vault_password_file.clone(),
            health_timeout_s: config.health_timeout.as_secs(),
            configuration_directory: config.configuration_directory.clone(),
            delete_vault_data: config.delete_vault_data,
            keep_volumes: config.keep_volumes.clone(),
            restore_from: config.restore_from.clone(),
            restore_sha256: config.restore_sha256.clone(),
        }
    }
}

/// The archive to restore, absolute: its directory is mounted like the backup directory.
fn check_restore_from(file: &Path, cwd: &Utf8Path, flag: &str) -> Result<Utf8PathBuf> {
    // Cleaned by its words, so that today's archive is known under any spelling of its path.
    let mut file = absolute(file, cwd, flag)?.components().fold(Utf8PathBuf::new(), |mut clean, part| {
        match part {
            camino::Utf8Component::ParentDir => drop(clean.pop()),
            camino::Utf8Component::CurDir => {}
            other => clean.push(other),
        }
        clean
    });
    if file.as_str().is_empty() {
        file.push("/");
    }
    ensure!(
        file.file_name().is_some_and(|name| name.ends_with(".tar.gz") || name.ends_with(".tgz")),
        "{flag} {file} is not a .tar.gz: give the gzip-compressed tar archive of /share"
    );
    ensure!(
        !file.as_str().contains(':'),
        "{flag} {file} contains ':', which docker --volume cannot mount: move it to a path without one"
    );
    Ok(file)
}

/// A sha256 as `sha256sum` prints it: 64 hexadecimal digits, taken in lower case.
fn check_sha256(hex: &str, flag: &str) -> Result<String> {
    let hex = hex.trim().to_ascii_lowercase();
    ensure!(
        hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "{flag} {hex:?} is not a sha256: give the 64 hexadecimal digits `sha256sum ARCHIVE` prints"
    );
    Ok(hex)
}

fn absolute(path: &Path, cwd: &Utf8Path, flag: &str) -> Result<Utf8PathBuf> {
    let path = Utf8Path::from_path(path)
        .with_context(|| format!("{flag} {} is not valid UTF-8: rename it", path.display()))?;
    Ok(cwd.join(path))
}

/// The options a recorded plan (a saved plan's, a journal's) was made from, held to the rules
/// the command line's flags are: a value read from a file another user may have edited passes
/// the same checks as one typed. `from` names the file, for the message.
pub fn check_recorded(inputs: &crate::plan::Inputs, from: &str) -> Result<()> {
    let options = &inputs.options;
    let flag = |long: &str| format!("--{long} (as {from} records it)");
    check_image(options.image.clone(), &flag("image"))?;
    check_volume(options.share_volume.clone(), &flag("share-volume"))?;
    check_kept(options.keep_volumes.clone(), &flag("keep-volume"))?;
    if inputs.facts.service.reason == crate::plan::SERVICE_GIVEN {
        check_unit(inputs.facts.service.unit.clone(), &flag("service"))?;
    }
    Ok(())
}

/// systemd's rule for unit names: ASCII letters, digits and `:-_.\`, one `@` before a template's
/// instance, at most 255 characters, and (ours) no leading `-`, which systemctl reads as an option.
fn check_unit(unit: String, flag: &str) -> Result<String> {
    static UNIT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[A-Za-z0-9:_.\\][A-Za-z0-9:_.\\-]*(@[A-Za-z0-9:_.\\-]*)?$").expect("a regex")
    });
    ensure!(!unit.trim().is_empty(), "{flag} is empty: give a systemd unit name");
    ensure!(!unit.starts_with('-'), "{flag} {unit:?} starts with '-': give a systemd unit name");
    ensure!(
        unit.len() <= 255 && UNIT.is_match(&unit),
        "{flag} {unit:?} is not a systemd unit name (letters, digits, \":-_.\\\", one '@'): see `systemctl \
         list-units`"
    );
    Ok(unit)
}

/// The volumes to keep, each a docker volume name, each once, in the order given.
fn check_kept(volumes: Vec<String>, flag: &str) -> Result<Vec<String>> {
    let mut kept: Vec<String> = Vec::new();
    for volume in volumes {
        let volume = check_volume(volume.trim().to_owned(), flag)?;
        if !kept.contains(&volume) {
            kept.push(volume);
        }
    }
    Ok(kept)
}

/// Docker's own rule for volume names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
fn check_volume(volume: String, flag: &str) -> Result<String> {
    ensure!(!volume.is_empty(), "{flag} is empty: give a docker volume name");
    let mut chars = volume.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    ensure!(
        first_ok && rest_ok && volume.len() > 1,
        "{flag} {volume:?} is not a docker volume name: see `docker volume ls`"
    );
    Ok(volume)
}

/// Docker's image reference grammar (distribution/reference, `ReferenceRegexp`): an optional
/// registry host and port, lowercase path components, an optional tag and digest.
fn check_image(image: String, flag: &str) -> Result<String> {
    static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
        let component = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
        let domain_component = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
        let host = format!(r"(?:{domain_component}(?:\.{domain_component})*|\[[a-fA-F0-9:]+\])");
        let name = format!(r"(?:{host}(?::[0-9]+)?/)?{component}(?:/{component})*");
        // Go's \w, ASCII only: the regex crate's is Unicode, a large automaton to build at start.
        let tag = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
        let digest = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
        Regex::new(&format!(r"^({name})(?::{tag})?(?:@{digest})?$")).expect("a regex")
    });
    ensure!(!image.trim().is_empty(), "{flag} is empty: give an image with tar, such as busybox");
    let name_len = REFERENCE.captures(&image).and_then(|c| c.get(1)).map(|n| n.len());
    ensure!(
        name_len.is_some_and(|len| len <= 255),
        "{flag} {image:?} is not a docker image reference (such as busybox or \
         registry.example:5000/library/busybox:1.36): names are lowercase"
    );
    Ok(image)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn config(argv: &[&str]) -> Result<Config> {
        let args = Args::try_parse_from(std::iter::once("osism-manager-reset").chain(argv.iter().copied()))?;
        Config::new(args, Utf8Path::new("/home/dragon"), &Sources::default())
    }

    #[test]
    fn relative_paths_are_taken_from_the_start_directory() {
        let c = config(&["--backup-dir", "backups", "--project-directory", "m"]).unwrap();
        assert_eq!(c.backup_dir, "/home/dragon/backups");
        assert_eq!(c.project_directory, "/home/dragon/m");
        assert_eq!(config(&[]).unwrap().backup_dir, "/home/dragon");
    }

    #[test]
    fn good_names_pass() {
        for image in [
            "busybox",
            "busybox:1.36",
            "library/busybox:latest",
            "registry.example:5000/library/busybox:1.36",
            "quay.io/osism/osism:latest",
            "[::1]:5000/busybox",
            "busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(config(&["--image", image]).is_ok(), "{image}");
        }
        for unit in ["manager.service", "docker-compose@manager.service", "manager", "a:b\\x2d.service"] {
            assert!(config(&["--service", unit]).is_ok(), "{unit}");
        }
    }

    #[test]
    fn bad_names_are_refused_with_the_flag_named() {
        for (argv, needle) in [
            (&["--share-volume", ""][..], "--share-volume is empty"),
            (&["--share-volume", "a b"], "not a docker volume name"),
            (&["--service", ""], "--service is empty"),
            (&["--service", "a b.service"], "is not a systemd unit name"),
            (&["--service=--now"], "starts with '-'"),
            (&["--health-timeout", "0"], "give at least 1 second"),
            (&["--health-timeout", "ten"], "give a whole number of seconds"),
            (&["--image", " "], "--image is empty"),
            (&["--image=-v"], "is not a docker image reference"),
            (&["--image", "busybox;id"], "is not a docker image reference"),
            (&["--image", "BusyBox"], "is not a docker image reference"),
            (&["--image", "busybox:"], "is not a docker image reference"),
            (&["--service", "manager service"], "is not a systemd unit name"),
            (&["--service", "a@b@c.service"], "is not a systemd unit name"),
            (&["--backup-dir", "/a:b"], "contains ':'"),
            (&["--backup-dir", ""], "a value is required for '--backup-dir"),
        ] {
            let err = format!("{:#}", config(argv).unwrap_err());
            assert!(err.contains(needle), "{argv:?}: {err}");
        }
    }
}
