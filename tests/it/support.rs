//! Test helpers: inputs for the planner, the built binary, and fake programs on PATH.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use camino::Utf8Path;
use clap::Parser;
use osism_manager_reset::cli::Args;
use osism_manager_reset::config::Config;
use osism_manager_reset::plan::{self, Facts, Plan, Service};
use time::macros::date;

/// Snapshots live in the top-level `snapshots/` folder, whatever module asserts them.
#[macro_export]
macro_rules! snapshot {
    ($name:expr, $value:expr) => {{
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| insta::assert_snapshot!($name, $value));
    }};
}

/// A snapshot of a run of the binary, which names files after today's date: the date is
/// written `[DATE]` so that the snapshot holds on any day.
#[macro_export]
macro_rules! run_snapshot {
    ($name:expr, $value:expr) => {{
        let mut settings = insta::Settings::clone_current();
        settings.add_filter(r"\b20\d{6}\b", "[DATE]");
        settings.bind(|| $crate::snapshot!($name, $value));
    }};
}

/// The plan for `argv`, run by `euid` in `cwd` on 2024-05-06.
pub fn plan_for(argv: &[&str], euid: u32, cwd: &str) -> Plan {
    let args = Args::try_parse_from(std::iter::once("osism-manager-reset").chain(argv.iter().copied()))
        .expect("test arguments parse");
    let config = Config::new(args, Utf8Path::new(cwd)).expect("test arguments are valid");
    let service = match &config.service {
        Some(unit) => Service { unit: unit.clone(), reason: "given by --service".into() },
        None => {
            Service { unit: "docker-compose@manager.service".into(), reason: "the runbook's unit".into() }
        }
    };
    let facts = Facts { date: date!(2024 - 05 - 06), euid, project: "manager".into(), service };
    plan::build(&config, &facts)
}

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_osism-manager-reset"))
}

/// A scratch world: a backup directory, a bin directory of fakes first on PATH, a call log.
pub struct World {
    pub root: tempfile::TempDir,
}

const FAKE: &str = r#"#!/bin/bash
# A stand-in that records its argv (fields split by \x1f) and fails when told to.
name=$(basename "$0")
line="$name $*"
if [ -z "$FAKE_INNER" ]; then
    (IFS=$'\x1f'; printf '%s\n' "$name${IFS}$*") >> "$FAKE_LOG"
fi
if [ -n "$FAKE_FAIL" ] && [[ "$line" == *"$FAKE_FAIL"* ]]; then
    echo "$name: failing as told" >&2
    exit "${FAKE_FAIL_CODE:-1}"
fi
if [ "$name" = sudo ]; then
    FAKE_INNER=1 exec "$@"
fi
echo "$name: ok"
"#;

impl World {
    pub fn new() -> World {
        let root = tempfile::Builder::new().prefix("omr-").tempdir().expect("temp dir");
        let world = World { root };
        fs::create_dir_all(world.bin_dir()).unwrap();
        fs::create_dir_all(world.backup_dir()).unwrap();
        for name in ["sudo", "systemctl", "docker", "osism"] {
            world.fake(name, FAKE);
        }
        world
    }

    pub fn fake(&self, name: &str, script: &str) {
        let path = self.bin_dir().join(name);
        fs::write(&path, script).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }

    pub fn bin_dir(&self) -> PathBuf {
        self.root.path().join("bin")
    }

    pub fn backup_dir(&self) -> PathBuf {
        self.root.path().join("backup")
    }

    pub fn log(&self) -> PathBuf {
        self.root.path().join("calls.log")
    }

    /// The binary, started in the backup directory with the fakes first on PATH.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = bin();
        cmd.args(args)
            .current_dir(self.backup_dir())
            .env("PATH", format!("{}:/usr/bin:/bin", self.bin_dir().display()))
            .env("FAKE_LOG", self.log())
            .env_remove("FAKE_FAIL")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        for (key, _) in std::env::vars() {
            if key.starts_with("OSISM_MANAGER_RESET_") {
                cmd.env_remove(key);
            }
        }
        cmd
    }

    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(args);
        cmd.envs(env.iter().copied());
        cmd.output().expect("the binary starts")
    }

    /// The recorded calls, one argv each.
    pub fn calls(&self) -> Vec<Vec<String>> {
        let Ok(log) = fs::read_to_string(self.log()) else { return Vec::new() };
        log.lines().map(|line| line.split('\x1f').map(str::to_owned).collect()).collect()
    }

    /// The recorded calls as shell lines, with the scratch directory written `[WORLD]`.
    pub fn call_lines(&self) -> String {
        self.calls()
            .iter()
            .map(|argv| osism_manager_reset::quote::join(argv))
            .map(|line| self.scrub(&line))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Replaces this world's directory with a stable placeholder.
    pub fn scrub(&self, text: &str) -> String {
        text.replace(&self.root.path().display().to_string(), "[WORLD]")
    }
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
