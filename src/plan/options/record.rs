//! The options that shape the plan, each defined once, as the fields of `Options`: clap parses
//! them (`cli::Args` flattens the struct, so help, the man page and the completions show them),
//! `config` checks them in place, the planner reads them, the journal and saved plans record
//! them (`inputs.options`, by serde), and what compares a run's options with a recorded plan's,
//! plans again with corrections, and types the commands the operator is told to type walks the
//! same fields by the names clap gives them. Adding an option is adding a field here. `Inputs`
//! is the record: the options with the facts the planner read.

use std::path::PathBuf;
use std::sync::LazyLock;

use camino::Utf8PathBuf;
use clap::builder::{PathBufValueParser, TypedValueParser};
use clap::{ArgAction, Args as _, ValueHint};
use serde::{Deserialize, Serialize};

use crate::plan::facts::{Facts, SERVICE_GIVEN};

/// Where OSISM's manager role puts the manager's compose project.
pub const DEFAULT_PROJECT_DIRECTORY: &str = "/opt/manager";
/// The runbook's share volume, image, and OSISM's configuration repository.
pub const DEFAULT_SHARE_VOLUME: &str = "manager_share";
pub const DEFAULT_IMAGE: &str = "busybox";
pub const DEFAULT_CONFIGURATION_DIRECTORY: &str = "/opt/configuration";
/// As long as OSISM's own role waits for a fresh manager, in seconds.
pub const DEFAULT_HEALTH_TIMEOUT: &str = "1000";

/// Defines `Options` with its fields, and walks over the same fields (`values`, `take`), so that
/// a field added is compared, taken and typed again as the others are.
macro_rules! plan_options {
    ($(#[$outer:meta])* pub struct Options { $($(#[$meta:meta])* pub $field:ident: $type:ty,)* }) => {
        $(#[$outer])*
        pub struct Options { $($(#[$meta])* pub $field: $type,)* }

        impl Options {
            /// Each option's clap id with its value as typed after `--LONG`, in the order above.
            pub(crate) fn values(&self) -> Vec<(&'static str, Option<String>)> {
                vec![$((stringify!($field), Typed::typed(&self.$field))),*]
            }

            /// Gives `self` the value of the option `id` that `from` has.
            pub(crate) fn take(&mut self, from: &Options, id: &str) {
                $(if id == stringify!($field) { self.$field = from.$field.clone(); })*
            }
        }
    };
}

plan_options! {
    /// What the planner reads of the operator's options: as parsed, then as `Config` checked them
    /// (absolute paths, valid names), and as the journal records them.
    #[derive(Debug, Clone, PartialEq, Eq, clap::Args, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Options {
        /// Compose project directory of the manager.
        #[arg(
            long,
            value_name = "DIR",
            default_value = DEFAULT_PROJECT_DIRECTORY,
            value_parser = utf8_path(),
            value_hint = ValueHint::AnyPath,
            env = "OSISM_MANAGER_RESET_PROJECT_DIRECTORY"
        )]
        pub project_directory: Utf8PathBuf,

        /// systemd unit of the manager [default: detected, docker-compose@manager.service or
        /// manager.service]
        #[arg(long, value_name = "UNIT", env = "OSISM_MANAGER_RESET_SERVICE")]
        // Recorded as a fact, `facts.service`, with why that unit (given, or found).
        #[serde(skip)]
        pub service: Option<String>,

        /// Docker volume mounted at /share in the manager.
        #[arg(
            long,
            value_name = "VOLUME",
            default_value = DEFAULT_SHARE_VOLUME,
            env = "OSISM_MANAGER_RESET_SHARE_VOLUME"
        )]
        pub share_volume: String,

        /// Directory for the archive, its checksum, the journal and the log [default: current
        /// directory]
        // "." stands for the directory the tool was started in, which `Config` puts in its place.
        #[arg(
            long,
            value_name = "DIR",
            default_value = ".",
            hide_default_value = true,
            value_parser = utf8_path(),
            value_hint = ValueHint::AnyPath,
            env = "OSISM_MANAGER_RESET_BACKUP_DIR"
        )]
        pub backup_dir: Utf8PathBuf,

        /// Image whose tar makes and restores the archive.
        #[arg(long, value_name = "IMAGE", default_value = DEFAULT_IMAGE, env = "OSISM_MANAGER_RESET_IMAGE")]
        pub image: String,

        /// Seconds the reset waits for the started manager: for Compose to create the share volume
        /// after step 4, and for every container to be running and healthy in step 6.
        #[arg(
            long = "health-timeout",
            value_name = "SECONDS",
            default_value = DEFAULT_HEALTH_TIMEOUT,
            value_parser = seconds,
            env = "OSISM_MANAGER_RESET_HEALTH_TIMEOUT"
        )]
        pub health_timeout_s: u64,

        /// File holding the Ansible vault password (mode 0600 or stricter, not blank). `down -v`
        /// empties the manager's Redis, which held it: unless environments/.vault_pass serves
        /// osism's runs, the reset pipes this file into `osism set vault password` after step 6.
        /// Without it, osism's own prompt asks on a terminal.
        #[arg(
            long,
            value_name = "FILE",
            value_parser = utf8_path(),
            value_hint = ValueHint::AnyPath,
            env = "OSISM_MANAGER_RESET_VAULT_PASSWORD_FILE"
        )]
        pub vault_password_file: Option<Utf8PathBuf>,

        /// Agree that `down -v` deletes HashiCorp Vault's storage (OSISM's vault service, with
        /// enable_vault), which the runbook does not back up and OSISM does not initialise again.
        /// The environment variable takes 1/0, true/false, yes/no, on/off.
        #[arg(long, env = "OSISM_MANAGER_RESET_DELETE_VAULT_DATA", value_parser = boolish)]
        #[serde(default)]
        pub delete_vault_data: bool,

        /// Keep VOLUME, which `down -v` deletes, across the reset: ARA's database (mariadb) or,
        /// with HashiCorp Vault, its storage (vault_file, vault_logs). Named as the compose file
        /// names it, or in full (manager_mariadb); repeat the option or separate names with
        /// commas. Each is archived beside /share's archive and compared with it after step 1,
        /// and after `down -v` created again with Compose's labels, restored and compared before
        /// the manager starts.
        #[arg(
            long = "keep-volume",
            value_name = "VOLUME",
            value_delimiter = ',',
            env = "OSISM_MANAGER_RESET_KEEP_VOLUME"
        )]
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub keep_volumes: Vec<String>,

        /// Restore /share from ARCHIVE (a .tar.gz of /share, such as an earlier day's
        /// manager-share-YYYYMMDD.tar.gz) in step 5, instead of today's archive, which step 2
        /// still makes. ARCHIVE is read whole first; one that could write outside /share is
        /// refused.
        #[arg(
            long,
            value_name = "ARCHIVE",
            value_parser = utf8_path(),
            value_hint = ValueHint::AnyPath,
            env = "OSISM_MANAGER_RESET_RESTORE_FROM"
        )]
        #[serde(default)]
        pub restore_from: Option<Utf8PathBuf>,

        /// The sha256 that ARCHIVE must have. Needed with --yes when no ARCHIVE.sha256 is beside
        /// it, so that a pipeline restores exactly the file a person approved.
        #[arg(long, value_name = "HEX", requires = "restore_from", env = "OSISM_MANAGER_RESET_RESTORE_SHA256")]
        #[serde(default)]
        pub restore_sha256: Option<String>,

        /// The manager's configuration repository: where osism's Ansible runs find
        /// environments/.vault_pass, which spares the reset setting the vault password again.
        #[arg(
            long,
            value_name = "DIR",
            default_value = DEFAULT_CONFIGURATION_DIRECTORY,
            value_parser = utf8_path(),
            value_hint = ValueHint::AnyPath,
            env = "OSISM_MANAGER_RESET_CONFIGURATION_DIRECTORY"
        )]
        pub configuration_directory: Utf8PathBuf,
    }
}

/// Everything the planner reads: the journal records it, and `--resume` runs only the plan it
/// makes again from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inputs {
    pub options: Options,
    pub facts: Facts,
}

/// The options that locate a reset (its compose project, its journal): typed first, and kept
/// from the record when a reset is planned again, whatever is given.
pub(crate) const LOCATING: [&str; 2] = ["project_directory", "backup_dir"];

/// A value as a command line types it after `--LONG`; `None` for no value (no file, a unit
/// detected, no volume named).
trait Typed {
    fn typed(&self) -> Option<String>;
}

impl Typed for String {
    fn typed(&self) -> Option<String> {
        Some(self.clone())
    }
}

impl Typed for Utf8PathBuf {
    fn typed(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl Typed for u64 {
    fn typed(&self) -> Option<String> {
        Some(self.to_string())
    }
}

/// A switch: "true" or "false".
impl Typed for bool {
    fn typed(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl<T: Typed> Typed for Option<T> {
    fn typed(&self) -> Option<String> {
        self.as_ref().and_then(Typed::typed)
    }
}

/// Names as one value, comma-separated, as `--keep-volume` takes them.
impl Typed for Vec<String> {
    fn typed(&self) -> Option<String> {
        (!self.is_empty()).then(|| self.join(","))
    }
}

/// The options alone, as clap has them: each one's long name, default and kind.
static OPTIONS: LazyLock<clap::Command> =
    LazyLock::new(|| Options::augment_args(clap::Command::new("options")));

/// The option whose clap id is `id`, a field of `Options`.
pub(crate) fn option(id: &str) -> &'static clap::Arg {
    OPTIONS.get_arguments().find(|arg| arg.get_id() == id).expect("each field of Options is an option")
}

/// `--LONG` without its dashes, for the option whose clap id is `id`.
pub(crate) fn long(id: &str) -> &'static str {
    option(id).get_long().expect("each option has a long name")
}

/// `values` in the order commands name them: the options that locate the reset first.
pub(crate) fn in_order(values: Vec<(&'static str, Option<String>)>) -> Vec<(&'static str, Option<String>)> {
    let (locating, others): (Vec<_>, Vec<_>) = values.into_iter().partition(|(id, _)| LOCATING.contains(id));
    locating.into_iter().chain(others).collect()
}

impl Inputs {
    /// The options as a command line typed them for this plan: `--service` only where the
    /// operator named the unit.
    pub(crate) fn typed_options(&self) -> Options {
        let service = &self.facts.service;
        let mut options = self.options.clone();
        options.service = (service.reason == SERVICE_GIVEN).then(|| service.unit.clone());
        options
    }
}

/// The options `inputs` were planned with, as a command line types them; with `defaults`,
/// those at their default too (a command that must not depend on them), else only the others.
pub fn typed(inputs: &Inputs, defaults: bool) -> Vec<String> {
    let mut argv = Vec::new();
    for (id, value) in in_order(inputs.typed_options().values()) {
        let Some(value) = value else { continue };
        let option = option(id);
        let long = long(id);
        if matches!(option.get_action(), ArgAction::SetTrue) {
            if value == "true" {
                argv.push(format!("--{long}"));
            }
        } else if defaults || !option.get_default_values().iter().any(|d| d.to_str() == Some(&value)) {
            argv.extend([format!("--{long}"), value]);
        }
    }
    argv
}

/// A path option's value, which must be UTF-8 to be typed into the commands the plan shows;
/// empty is refused as clap refuses an empty path.
fn utf8_path() -> impl TypedValueParser<Value = Utf8PathBuf> {
    PathBufValueParser::new().try_map(|path: PathBuf| {
        Utf8PathBuf::from_path_buf(path)
            .map_err(|path| format!("{} is not valid UTF-8: rename it", path.display()))
    })
}

/// A switch's value from its environment variable, as systemd and most tools read one.
pub(crate) fn boolish(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "y" | "on" => Ok(true),
        "0" | "false" | "no" | "n" | "off" | "" => Ok(false),
        _ => Err("give one of 1/0, true/false, yes/no, on/off".into()),
    }
}

/// A number of seconds to wait, one at the least: the started manager needs time.
fn seconds(value: &str) -> Result<u64, String> {
    match value.trim().parse::<u64>() {
        Ok(0) => Err("give at least 1 second (a fresh manager takes about a minute)".into()),
        Ok(seconds) => Ok(seconds),
        Err(_) => Err("give a whole number of seconds, such as 1000".into()),
    }
}
