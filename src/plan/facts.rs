//! What the planner reads besides the options: the facts preflight learned of the host (date,
//! user, unit, volumes, vault password, /share's size). The journal records them with the
//! options (`Inputs`), and `--resume` runs only the plan that the planner makes again from them.

use camino::Utf8PathBuf;
use serde::{Deserialize, Serialize};
use time::Date;

/// What the share volume holds, counted inside a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareSize {
    /// Paths under /share, /share itself included: the entries tar writes.
    pub entries: u64,
    pub kib: u64,
    /// Files a fresh manager does not write itself (all but directories, `known_hosts` and
    /// `ansible-execution-history.json`): none means /share holds nothing of its own yet.
    #[serde(default)]
    pub files_of_value: Option<u64>,
}

/// The files a fresh manager's osism commands write into an empty /share from the start.
pub const FRESH_MANAGER_FILES: [&str; 2] = ["known_hosts", "ansible-execution-history.json"];

/// What the planner needs to know about the world besides the options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    /// Today's local date, read once: backup and restore name the same file past midnight.
    pub date: Date,
    pub euid: u32,
    /// The compose project's name, which the operator types to confirm.
    pub project: String,
    pub service: Service,
    /// The volumes `down -v` deletes and keeps; `None` when Docker could not be asked.
    pub volumes: Option<Volumes>,
    /// Where the vault password comes from, and whether one is set in Redis, which `down -v`
    /// empties.
    pub vault: Vault,
    /// Whether the operator sits at a terminal (standard input and error), where osism's own
    /// prompt can ask for the vault password.
    pub terminal: bool,
    /// What /share holds; `None` when it could not be measured.
    #[serde(default)]
    pub share: Option<ShareSize>,
    /// The free space where the archive goes, in KiB; `None` when it could not be read.
    #[serde(default)]
    pub free_kib: Option<u64>,
    /// The image the tar commands run is not on this host: the run pulls it before step 1.
    #[serde(default)]
    pub image_missing: bool,
    /// The ID of the image the tar commands run, as this host had it: the steps that run it
    /// check that its tag still names it (the runbook's command line names the tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// sudo needs the operator's password for the unit's stop and start: the run asks for it
    /// at the terminal right after consent (`sudo -v`), not in the middle of step 1.
    #[serde(default)]
    pub sudo_asks: bool,
    /// The project runs a kolla-ansible service, whose generation of the fact cache `down -v`
    /// empties and `osism apply facts` does not fill.
    #[serde(default)]
    pub kolla_ansible: bool,
    /// The share volume does not exist (a `down -v` by hand, say): there is no /share to back up.
    #[serde(default)]
    pub share_missing: bool,
    /// The archive `--restore-from` names, read whole.
    #[serde(default)]
    pub restore: Option<crate::plan::RestoreSource>,
    /// The project's services and their images, where Compose named them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<ServiceImage>,
    /// What the unit's pull will change, as the registry said before the pull; `None` where the
    /// unit does not pull.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forecast: Option<Forecast>,
    /// Archives of /share the reset reads or keeps aside that others may read: each holds the
    /// vault key and Ceph keys, and the plan names it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exposed: Vec<Exposed>,
    /// Today's earlier reset, closed, left its journal where this one writes its own: the
    /// suffix (`.previous-N`) its journal, records and log are kept aside with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier_reset: Option<String>,
    /// The volumes `--keep-volume` names, as Compose declares them and the engine labels them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept: Vec<KeptVolume>,
}

/// A volume `down -v` deletes that the reset keeps: archived before, created again as Compose
/// creates it and restored after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeptVolume {
    /// Its real name (`manager_mariadb`).
    pub name: String,
    /// Its key in the compose file (`mariadb`).
    pub key: String,
    /// Its labels as the engine holds them, which Compose set when it created the volume: the
    /// same on the volume made again, so that `up` adopts it as its own.
    pub labels: std::collections::BTreeMap<String, String>,
}

/// An archive of /share found readable by others than its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exposed {
    pub path: Utf8PathBuf,
    /// Its permission bits, as `ls` shows them in octal.
    pub mode: u32,
}

/// What the registry holds under the services' tags, asked before the pull.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Forecast {
    /// The services that will start on another image than their container was created from:
    /// `to` is the digest the registry holds under the tag.
    pub newer: Vec<NewerImage>,
    /// The images the registry could not be asked about, each with why: the pull will tell.
    pub unasked: Vec<String>,
}

/// The reason of a unit the operator named, rather than one detected.
pub const SERVICE_GIVEN: &str = "given by --service";

/// The systemd unit that runs the manager, and why this one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub unit: String,
    pub reason: String,
    /// What it runs when it starts, as systemd has it loaded; `None` where systemd could not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<UnitStart>,
}

impl Service {
    pub fn new(unit: impl Into<String>, reason: impl Into<String>) -> Service {
        Service { unit: unit.into(), reason: reason.into(), start: None }
    }
}

/// What a unit runs when it starts, as `systemctl show` has it: OSISM's `manager.service` pulls
/// every image of the project (`ExecStartPre=docker compose pull`, the role's `manager_pre_pull`)
/// before `docker compose up`, as its `User=`, in its `WorkingDirectory=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitStart {
    /// `ExecStartPre=` then `ExecStart=`, in order.
    pub commands: Vec<UnitCommand>,
    /// `User=`; `None` for root.
    pub user: Option<String>,
    /// `WorkingDirectory=`, where Compose finds the project.
    pub working_directory: Option<Utf8PathBuf>,
}

/// One of a unit's start commands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitCommand {
    /// Its words, as systemd holds them (`argv[]`).
    pub argv: Vec<String>,
    /// Before the main one (`ExecStartPre=`).
    pub pre: bool,
    /// Its failure does not fail the start (a `-` before it).
    pub ignore_errors: bool,
}

impl UnitCommand {
    /// Whether it is Compose's pull (`docker compose pull`, or the older `docker-compose pull`).
    pub fn is_pull(&self) -> bool {
        let words: Vec<&str> = self.argv.iter().map(|w| w.rsplit('/').next().unwrap_or(w)).collect();
        let compose = words.iter().position(|w| *w == "compose" || *w == "docker-compose");
        compose.is_some_and(|at| words[at + 1..].contains(&"pull"))
    }
}

impl UnitStart {
    /// The pull the unit runs before it starts the manager, whose failure fails the start.
    pub fn pull(&self) -> Option<&UnitCommand> {
        self.commands.iter().find(|c| c.pre && !c.ignore_errors && c.is_pull())
    }
}

/// A service of the compose project, the image it names, and the image its container was
/// created from, where it has one: what the unit's pull may change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceImage {
    pub service: String,
    pub image: String,
    /// The image ID (`sha256:...`) of its container; `None` without a container.
    pub created_from: Option<String>,
}

/// A service that starts on another image than its container was created from, once pulled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewerImage {
    pub service: String,
    pub image: String,
    pub from: String,
    pub to: String,
}

/// What `docker compose down -v` deletes: the named volumes the compose configuration declares
/// (their real names, external ones excluded) and the anonymous volumes of the project's
/// containers. Volumes labelled with the project that the configuration no longer declares are
/// kept by `down -v`, and by the reset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Volumes {
    pub named: Vec<String>,
    pub anonymous: Vec<AnonymousVolume>,
    pub kept: Vec<String>,
    /// Of `named`, HashiCorp Vault's storage: nothing brings it back.
    #[serde(default)]
    pub vault: Vec<String>,
    /// What the services bind-mount from the host: `down -v` leaves it alone.
    #[serde(default)]
    pub bind_mounts: Vec<String>,
    /// Of `named`, each real name with its key in the compose file, which `--keep-volume` takes.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub keys: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnonymousVolume {
    /// The compose service whose container holds it.
    pub service: String,
    pub volume: String,
}

impl Volumes {
    /// Every volume `down -v` deletes, named first.
    pub fn deleted(&self) -> impl Iterator<Item = &str> {
        self.named.iter().map(String::as_str).chain(self.anonymous.iter().map(|a| a.volume.as_str()))
    }

    /// The named volume `--keep-volume NAME` means: NAME is its key or its real name.
    pub fn named_as(&self, name: &str) -> Option<&str> {
        let key = |real: &String| self.keys.get(real).is_some_and(|k| k == name);
        self.named.iter().find(|real| *real == name || key(real)).map(String::as_str)
    }

    /// What `--keep-volume` names `volume` by: its key, else its real name.
    pub fn key_of<'v>(&'v self, volume: &'v str) -> &'v str {
        self.keys.get(volume).map_or(volume, String::as_str)
    }
}

/// Where osism's Ansible runs get the vault password, and what `osism vault check --format
/// script` said of the one in Redis, which `down -v` deletes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vault {
    pub state: VaultState,
    /// What osism printed, or why it could not be asked.
    pub detail: String,
    /// `environments/.vault_pass` is in the configuration repository: the runs read the password
    /// there, and the reset takes nothing from them.
    #[serde(default)]
    pub vault_pass: bool,
}

impl Vault {
    pub fn new(state: VaultState, detail: String) -> Vault {
        Vault { state, detail, vault_pass: false }
    }

    /// Whether the password has to be set again after `down -v`: unless `.vault_pass` serves
    /// the runs, they have none once Redis is empty, whatever `vault check` said before.
    pub fn needs_setting(&self) -> bool {
        !self.vault_pass
    }
}

/// What `osism vault check --format script` said (python-osism 0.20261023.0's reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VaultState {
    /// `PASSED`: a working password is in Redis.
    Set,
    /// `password_not_set`: a key file, no password: osism's runs fail already.
    NotSet,
    /// `keyfile_missing`: no key file in /share, so no password was set with osism.
    NoKeyFile,
    /// `invalid_keyfile`: the key file is no Fernet key; `osism set vault password` fails with it.
    InvalidKeyFile,
    /// `decryption_failed`, `password_empty`, `wrong_password`: a password that does not work.
    Broken,
    /// osism could not tell (osismclient not running, Redis unreachable, an older osism).
    Unknown,
}
