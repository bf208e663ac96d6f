//! The volumes `down -v` deletes and those `--keep-volume` keeps, judged from what Compose and
//! the engine answered: a unit that is not active while the project's containers run,
//! containers outside the project on the deleted volumes, Vault's storage deleted without the
//! operator's choice, a kept volume that is not one of the project's.

use crate::host::docker::volumes::VolumeUser;
use crate::plan::config::Config;
use crate::plan::problem::Kind;
use crate::plan::{KeptVolume, Service, Volumes};
use crate::run::preflight::Preflight;
use crate::run::preflight::project::ProjectVolumes;

impl Preflight<'_> {
    /// The volumes `down -v` deletes, judged: a unit that is not active while the project's
    /// containers run, containers outside the project on them, Vault's storage not agreed to.
    pub(crate) fn judge_volumes(
        &mut self,
        project: &str,
        service: &Service,
        active: Option<bool>,
        found: &ProjectVolumes,
    ) {
        let config = self.config;
        let ProjectVolumes { volumes, up, users } = found;
        if active == Some(false) && !up.is_empty() {
            self.problem(
                Kind::Unit,
                format!(
                    "the unit {} is not active, yet the project's containers run ({}): stopping it would not \
                     stop the manager; name the unit that runs it with --service",
                    service.unit,
                    up.join(", ")
                ),
            );
        }
        match users {
            Ok(users) => self.problems(Kind::Volumes, strangers(config, project, volumes, users)),
            Err(error) => self.problem(
                Kind::Volumes,
                format!("{error:#}: cannot tell what uses the volumes `down -v` deletes"),
            ),
        }
        let kept: Vec<&str> =
            config.options.keep_volumes.iter().filter_map(|k| volumes.named_as(k)).collect();
        let unkept: Vec<&str> =
            volumes.vault.iter().map(String::as_str).filter(|v| !kept.contains(v)).collect();
        if !unkept.is_empty() && !config.options.delete_vault_data {
            let keys: Vec<&str> = unkept.iter().map(|v| volumes.key_of(v)).collect();
            self.problem(
                Kind::VaultStorage,
                format!(
                    "the manager runs HashiCorp Vault, and `down -v` deletes its storage ({}) for good: the \
                     runbook does not back it up and OSISM does not initialise Vault again; keep it across the \
                     reset with {} {}, or agree that it is lost with {}",
                    unkept.join(", "),
                    config.sources.name("keep-volume"),
                    keys.join(","),
                    config.sources.name("delete-vault-data")
                ),
            );
        }
    }

    /// The volumes `--keep-volume` names, each resolved to one `down -v` deletes, with the
    /// labels Compose gave it: one that is not such a volume is a problem.
    pub(crate) fn judge_kept(&mut self, volumes: &Volumes) -> Vec<KeptVolume> {
        let config = self.config;
        let flag = config.sources.name("keep-volume");
        let mut kept: Vec<KeptVolume> = Vec::new();
        for asked in &config.options.keep_volumes {
            let Some(name) = volumes.named_as(asked) else {
                let keys: Vec<&str> = volumes
                    .named
                    .iter()
                    .filter(|v| **v != config.options.share_volume)
                    .map(|v| volumes.key_of(v))
                    .collect();
                let keys = if keys.is_empty() { "none".to_owned() } else { keys.join(", ") };
                self.problem(
                    Kind::KeepVolume,
                    format!(
                        "{flag} {asked} is not a named volume of the project that `down -v` deletes (those are: \
                         {keys}): name one as the compose file does"
                    ),
                );
                continue;
            };
            if name == config.options.share_volume {
                self.problem(
                    Kind::KeepVolume,
                    format!(
                        "{flag} {asked} is the share volume, which the runbook's own archive carries across: \
                         leave it out"
                    ),
                );
                continue;
            }
            if kept.iter().any(|k| k.name == name) {
                continue;
            }
            match self.host.volume_labels(name) {
                Ok(labels) => kept.push(KeptVolume {
                    name: name.to_owned(),
                    key: volumes.key_of(name).to_owned(),
                    labels,
                }),
                Err(error) => self.problem(
                    Kind::KeepVolume,
                    format!("{error:#}: cannot tell how Compose created {name}, to keep it"),
                ),
            }
        }
        kept
    }
}

/// Containers outside the compose project that use a volume `down -v` is to delete: `down -v`
/// cannot remove a volume in use and exits 0 all the same, so a reset would stop after it, and
/// one holding the share volume may write to /share while it is backed up. The tool's own
/// containers (a read-back, or preflight's measurement running at this moment) and the plan's tar containers (the image, the backup directory mounted), which a
/// killed run may leave, are stopped by the run itself.
pub(crate) fn strangers(
    config: &Config,
    project: &str,
    volumes: &Volumes,
    users: &[VolumeUser],
) -> Vec<String> {
    let deleted: Vec<&str> = volumes.deleted().collect();
    let ours = |u: &VolumeUser| {
        u.own
            || (u.image == config.options.image
                && u.mounts.iter().any(|m| m == config.options.backup_dir.as_str()))
    };
    users
        .iter()
        .filter(|u| u.project != project && !ours(u))
        .map(|u| {
            let held: Vec<&str> = u.mounts.iter().map(String::as_str).filter(|m| deleted.contains(m)).collect();
            format!(
                "the container {} (image {}, {}) is not the compose project's but uses {}, which `down -v` \
                 deletes: `down -v` could not delete it{}; remove the container with `docker rm --force {}` (or \
                 stop what made it), then run again",
                u.name,
                u.image,
                u.state,
                held.join(", "),
                if held.contains(&config.options.share_volume.as_str()) {
                    ", and it may write to /share while it is backed up"
                } else {
                    ""
                },
                u.name
            )
        })
        .collect()
}
