//! The volumes the operator keeps across the reset (`--keep-volume`), as plan data: the step
//! that archives them once step 1 (or 2) has stopped the project, and the step that creates each
//! again as Compose created it, with its labels, and restores it before step 4 starts the manager.
//! Neither is in the runbook; its own command lines stay as they are.

use camino::{Utf8Path, Utf8PathBuf};

use crate::plan::facts::KeptVolume;
use crate::plan::runbook::command::Command;

/// Where a kept volume is mounted in the tar containers, as /share is at /share.
pub const MOUNT: &str = "/volume";

/// Its archive beside /share's: `kept-VOLUME-YYYYMMDD.tar.gz`, the date being `stamp`.
pub fn archive_path(backup_dir: &Utf8Path, stamp: &str, volume: &str) -> Utf8PathBuf {
    backup_dir.join(format!("kept-{volume}-{stamp}.tar.gz"))
}

/// Where the kept volumes' tar commands run: the backup directory at /backup, the date their
/// archives are named after, the image whose tar runs.
pub struct Tar<'a> {
    pub backup_dir: &'a Utf8Path,
    pub stamp: &'a str,
    pub image: &'a str,
}

impl Tar<'_> {
    /// `docker run` of the image's tar with `volume` at /volume and the backup directory at
    /// /backup, the runbook's shape for /share.
    fn run(&self, volume: &str, tar_args: &[&str]) -> Command {
        let mount = format!("source={volume},target={MOUNT}");
        let bind = format!("{}:/backup", self.backup_dir);
        let head = ["docker", "run", "--rm", "--mount", &mount, "--volume", &bind, self.image, "tar"];
        Command::new(head.into_iter().chain(tar_args.iter().copied()))
    }

    /// A kept volume's archive, inside the container.
    fn in_container(&self, volume: &KeptVolume) -> String {
        let archive = archive_path(self.backup_dir, self.stamp, &volume.name);
        format!("/backup/{}", archive.file_name().unwrap_or_default())
    }

    /// One tar a kept volume, into its archive beside /share's.
    pub fn archive(&self, kept: &[KeptVolume]) -> Vec<Command> {
        kept.iter()
            .map(|volume| self.run(&volume.name, &["-czvf", &self.in_container(volume), MOUNT]))
            .collect()
    }

    /// For each kept volume: created with the labels Compose gave it, then restored from its
    /// archive.
    pub fn restore(&self, kept: &[KeptVolume]) -> Vec<Command> {
        kept.iter()
            .flat_map(|volume| {
                let labels =
                    volume.labels.iter().flat_map(|(k, v)| ["--label".to_owned(), format!("{k}={v}")]);
                let create = ["docker", "volume", "create"].map(String::from).into_iter().chain(labels);
                [
                    Command::new(create.chain([volume.name.clone()])),
                    self.run(&volume.name, &["-xzvf", &self.in_container(volume), "-C", "/"]),
                ]
            })
            .collect()
    }
}
