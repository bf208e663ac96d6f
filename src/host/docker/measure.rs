//! What /share holds (its entries, KiB and files of value), counted without writing to it.
//!
//! A running container of the project that mounts the share volume at /share answers in a
//! tenth of a second (`docker exec`); a container of the tool's own, the volume mounted
//! read-only, takes half a second to make and remove (`docker run`). The first is asked where
//! there is one, the second otherwise or where the first could not answer (no shell in its
//! image, stopped meanwhile). The operator waits for this before every run, dry or not.

use anyhow::{Result, bail, ensure};
use camino::Utf8Path;

use crate::host::docker::inspect::{Host, MEASURE_LABEL, read_only_share};
use crate::host::process::exec::first_line;
use crate::plan::ShareSize;

/// What /share holds, in a POSIX shell (busybox's or the manager's images' own), walking it
/// twice (each walk of 20,000 files costs a tenth of a second of the operator's wait): the
/// files a fresh manager does not write itself (`plan::FRESH_MANAGER_FILES`), which tell a
/// /share of value from a new one, and its entries, then its KiB. `find` ends the directories
/// and those two files with a NUL, every other entry with a newline; with all but the ends
/// deleted, `wc` counts the newlines (the files of value) and the bytes (every entry).
fn measure_share_script() -> String {
    let fresh: String = crate::plan::FRESH_MANAGER_FILES
        .iter()
        .map(|file| format!(" -o -path /share/{file} -print0"))
        .collect();
    format!("find /share -type d -print0{fresh} -o -print | tr -dc '\\n\\000' | wc -lc && du -sk /share")
}

/// Compose's label naming the directory a container's project was brought up from.
const WORKING_DIR_LABEL: &str = "com.docker.compose.project.working_dir";

impl Host<'_> {
    /// Counts and sizes the share volume in its own container, mounted read-only; `None` if
    /// it does not exist, which is asked first so that `docker run` never creates it.
    pub(crate) fn measure_share(&self, volume: &str, image: &str) -> Result<Option<ShareSize>> {
        if !self.volume_exists(volume)? {
            return Ok(None);
        }
        let label = format!("{MEASURE_LABEL}={}", std::process::id());
        let out = self.runner.read(&read_only_share(
            volume,
            &["--label", &label, image, "sh", "-c", &measure_share_script()],
        ))?;
        ensure!(out.success, "cannot measure the share volume {volume}: {}", first_line(&out.stderr));
        share_size(volume, &out.stdout).map(Some)
    }

    /// Counts and sizes the share volume in a running container of the project in `dir` that
    /// mounts it at /share, as root there (a user of the image could not read all of /share);
    /// `None` where there is none or it could not answer (what it printed is not the script's,
    /// or it failed, which the log says): the caller asks `measure_share`.
    /// Only the project's own containers are asked, never another's that uses the volume.
    pub(crate) fn measure_share_in_use(&self, volume: &str, dir: &Utf8Path) -> Option<ShareSize> {
        let id = self.share_mounter(volume, dir)?;
        let out = self
            .runner
            .read(&["docker", "exec", "--user", "0", &id, "sh", "-c", &measure_share_script()])
            .ok()?;
        if !out.success {
            self.runner.note("that container could not measure /share: a container of the tool's own will");
            return None;
        }
        share_size(volume, &out.stdout).ok()
    }

    /// A running container of the project in `dir` that mounts `volume` at /share.
    fn share_mounter(&self, volume: &str, dir: &Utf8Path) -> Option<String> {
        let (volume_filter, label) = (format!("volume={volume}"), format!("label={WORKING_DIR_LABEL}={dir}"));
        let ps = ["docker", "ps", "--no-trunc", "--filter", &volume_filter, "--filter", "status=running"];
        let out = self.runner.read(&[&ps[..], &["--filter", &label, "--format", "{{.ID}}"]].concat()).ok()?;
        let ids: Vec<&str> = out.stdout.split_whitespace().filter(|id| is_id(id)).collect();
        if !out.success || ids.is_empty() {
            return None;
        }
        // The volume filter matches a mount anywhere: /share is where it must be.
        let format = "{{.Id}}{{range .Mounts}}{{if eq .Destination \"/share\"}} {{.Name}}{{end}}{{end}}";
        let out = self.runner.read(&[&["docker", "inspect", "--format", format][..], &ids].concat()).ok()?;
        out.stdout.lines().find_map(|line| match line.split_whitespace().collect::<Vec<_>>()[..] {
            [id, mounted] if mounted == volume && is_id(id) => Some(id.to_owned()),
            _ => None,
        })
    }
}

/// A container's ID as Docker prints it whole: 64 hex digits.
fn is_id(word: &str) -> bool {
    word.len() == 64 && word.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `measure_share_script`'s three numbers, as printed: `wc`'s two on a line, then `du`'s KiB and path.
fn share_size(volume: &str, stdout: &str) -> Result<ShareSize> {
    let numbers: Vec<u64> = stdout.split_whitespace().map_while(|w| w.parse().ok()).collect();
    match (numbers.as_slice(), stdout.trim_end().ends_with("\t/share")) {
        (&[files_of_value, entries, kib], true) if files_of_value < entries => {
            Ok(ShareSize { entries, kib, files_of_value: Some(files_of_value) })
        }
        _ => bail!("cannot read the size of the share volume {volume} from {:?}", stdout.trim()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The script as it ran before it was made from `FRESH_MANAGER_FILES`, which the
    /// real-engine suite runs in busybox.
    #[test]
    fn the_script_ends_the_fresh_managers_files_with_a_nul() {
        assert_eq!(
            measure_share_script(),
            "find /share -type d -print0 -o -path /share/known_hosts -print0 -o -path \
             /share/ansible-execution-history.json -print0 -o -print | tr -dc '\\n\\000' | wc -lc && du -sk /share"
        );
    }

    #[test]
    fn the_three_numbers_are_read_as_busybox_and_coreutils_print_them() {
        for out in ["    3    12\n340\t/share\n", "      3      12\n340\t/share\n"] {
            let size = share_size("v", out).unwrap();
            assert_eq!((size.entries, size.kib, size.files_of_value), (12, 340, Some(3)), "{out:?}");
        }
        for garbage in ["sh: find: not found\n", "3 12\n", "3 12 340\t/share\n7\n", "12 3\n340\t/share\n"] {
            assert!(share_size("v", garbage).is_err(), "{garbage:?}");
        }
    }

    #[test]
    fn only_a_whole_id_is_an_id() {
        assert!(is_id(&"0a".repeat(32)));
        assert!(!is_id("c0ffee01"));
        assert!(!is_id(&format!("-{}", "0".repeat(63))));
    }
}
