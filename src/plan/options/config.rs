//! Parsed flags turned into a checked `Config`: absolute paths, valid names, no I/O.
//!
//! Everything an operator can get wrong by typing is caught here, before anything runs, so bad
//! input always means exit 2 and no change.

use std::sync::LazyLock;

use anyhow::{Result, ensure};
use camino::{Utf8Path, Utf8PathBuf};
use regex::Regex;

use crate::plan::Inputs;
use crate::plan::options::cli::{Args, Output, Sources};
use crate::plan::options::record::{Options, in_order, long};

#[derive(Debug, Clone)]
pub struct Config {
    /// The options that shape the plan, checked: absolute paths, valid names. `service` is the
    /// unit given by the operator; `None` means detect it.
    pub options: Options,
    pub yes: bool,
    pub output: Output,
    /// Which options the environment set, for naming them in messages.
    pub sources: Sources,
}

impl Config {
    /// Checks the flags against `cwd`, the directory the tool was started in; a message names
    /// an option by its environment variable where that set it (`sources`).
    pub fn new(args: Args, cwd: &Utf8Path, sources: &Sources) -> Result<Config> {
        let name = |long: &str| sources.name(long);
        let given = args.options;
        // "." is the default: the directory the tool was started in, as the runbook's `$(pwd)`.
        let backup_dir = if given.backup_dir == "." { cwd.to_owned() } else { cwd.join(&given.backup_dir) };
        // docker's --volume splits on ':', so such a directory would be mounted wrongly.
        ensure!(
            !backup_dir.as_str().contains(':'),
            "backup directory {backup_dir} contains ':', which docker --volume cannot mount: \
             choose another with {}",
            name("backup-dir")
        );
        let options = Options {
            project_directory: cwd.join(&given.project_directory),
            service: given.service.map(|unit| check_unit(unit, &name("service"))).transpose()?,
            share_volume: check_volume(given.share_volume, &name("share-volume"))?,
            backup_dir,
            image: check_image(given.image, &name("image"))?,
            health_timeout_s: given.health_timeout_s,
            configuration_directory: cwd.join(&given.configuration_directory),
            vault_password_file: given.vault_password_file.map(|file| cwd.join(file)),
            delete_vault_data: given.delete_vault_data,
            keep_volumes: check_kept(given.keep_volumes, &name("keep-volume"))?,
            restore_from: given
                .restore_from
                .as_deref()
                .map(|file| check_restore_from(file, cwd, &name("restore-from")))
                .transpose()?,
            restore_sha256: given
                .restore_sha256
                .map(|hex| check_sha256(&hex, &name("restore-sha256")))
                .transpose()?,
        };
        Ok(Config { options, yes: args.yes, output: args.output, sources: sources.clone() })
    }

    /// The options the operator gave (on the command line or in the environment) whose values
    /// are not the ones a recorded plan (a journal's, a saved one's) was made from: taking them
    /// silently would show a value the reset does not use.
    pub fn changed_from(&self, inputs: &Inputs, sources: &Sources) -> Vec<String> {
        self.changes(inputs, sources)
            .into_iter()
            .map(|(long, given, recorded)| {
                format!("{} {given} is not the recorded {recorded}", sources.name(long))
            })
            .collect()
    }

    /// The long names of the options `changed_from` lists.
    pub fn changed_options(&self, inputs: &Inputs, sources: &Sources) -> Vec<&'static str> {
        self.changes(inputs, sources).into_iter().map(|(long, _, _)| long).collect()
    }

    /// Each option given whose value is not the recorded one: its long name and both values as
    /// shown. The recorded unit is the one the plan stops and starts, whether given or detected.
    fn changes(&self, inputs: &Inputs, sources: &Sources) -> Vec<(&'static str, String, String)> {
        let shown = |value: Option<String>| value.unwrap_or_else(|| "none".to_owned());
        let mut planned = inputs.options.clone();
        planned.service = Some(inputs.facts.service.unit.clone());
        in_order(self.options.values())
            .into_iter()
            .zip(in_order(planned.values()))
            .map(|((id, given), (_, recorded))| (long(id), shown(given), shown(recorded)))
            .filter(|(long, given, recorded)| sources.given(long) && given != recorded)
            .collect()
    }

    /// This run's options where the operator gave them, the recorded ones where not: the
    /// options a reset planned again with corrections goes on with. The directories locate the
    /// reset, and so are always the recorded ones.
    pub fn with_recorded(&self, recorded: &Inputs, sources: &Sources) -> Config {
        let typed = recorded.typed_options();
        let mut config = self.clone();
        for (id, _) in typed.values() {
            if crate::plan::options::record::LOCATING.contains(&id) || !sources.given(long(id)) {
                config.options.take(&typed, id);
            }
        }
        config
    }
}

/// The archive to restore, absolute: its directory is mounted like the backup directory.
fn check_restore_from(file: &Utf8Path, cwd: &Utf8Path, flag: &str) -> Result<Utf8PathBuf> {
    // Cleaned by its words, so that today's archive is known under any spelling of its path.
    let mut file = cwd.join(file).components().fold(Utf8PathBuf::new(), |mut clean, part| {
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

/// The options a recorded plan (a saved plan's, a journal's) was made from, held to the rules
/// the command line's flags are: a value read from a file another user may have edited passes
/// the same checks as one typed. `from` names the file, for the message.
pub fn check_recorded(inputs: &Inputs, from: &str) -> Result<()> {
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
        assert_eq!(c.options.backup_dir, "/home/dragon/backups");
        assert_eq!(c.options.project_directory, "/home/dragon/m");
        assert_eq!(config(&[]).unwrap().options.backup_dir, "/home/dragon");
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
