//! The files a reset writes in the backup directory, by name: the archive and its checksum, the
//! journal, the records and the log, all named after the plan's date. A plan's own files are
//! its methods, beside `Plan` in `build`.

use camino::{Utf8Path, Utf8PathBuf};

use time::Date;
use time::macros::format_description;

/// How a journal's name begins and ends, the date between.
pub const JOURNAL_PREFIX: &str = "manager-reset-";
pub const JOURNAL_SUFFIX: &str = ".journal.json";

pub fn checksum_path(archive: &Utf8Path) -> Utf8PathBuf {
    Utf8PathBuf::from(format!("{archive}.sha256"))
}

/// The name `$(date +%Y%m%d)` gives `date`.
pub fn date_stamp(date: Date) -> String {
    date.format(format_description!("[year][month][day]")).expect("a date always formats")
}

/// Where `$(pwd)/manager-share-$(date +%Y%m%d).tar.gz` lands, `$(pwd)` being `backup_dir`.
pub fn archive_path(backup_dir: &Utf8Path, date: Date) -> Utf8PathBuf {
    backup_dir.join(archive_name(&date_stamp(date)))
}

/// The runbook's archive name for the date `stamp` (`YYYYMMDD`).
pub fn archive_name(stamp: &str) -> String {
    format!("manager-share-{stamp}.tar.gz")
}

/// What a reset of the date `stamp` leaves beside its archive that the next reset of the same
/// day writes again: the journal, the records of the archive's entries and the log.
pub fn left_by_a_reset(backup_dir: &Utf8Path, stamp: &str) -> [Utf8PathBuf; 3] {
    [
        backup_dir.join(format!("{JOURNAL_PREFIX}{stamp}{JOURNAL_SUFFIX}")),
        backup_dir.join(format!("{JOURNAL_PREFIX}{stamp}.records")),
        backup_dir.join(format!("{JOURNAL_PREFIX}{stamp}.log")),
    ]
}

/// The records of the archive of the kept volume `volume`, as a reset of the date `stamp` names
/// them beside its journal.
pub fn kept_records_path(backup_dir: &Utf8Path, stamp: &str, volume: &str) -> Utf8PathBuf {
    backup_dir.join(format!("{JOURNAL_PREFIX}{stamp}.{volume}.records"))
}

/// The name of a kept volume's records (`kept_records_path`) of the date `stamp`: its volume.
pub fn kept_records_volume<'n>(name: &'n str, stamp: &str) -> Option<&'n str> {
    let volume = name.strip_prefix(JOURNAL_PREFIX)?.strip_prefix(stamp)?.strip_prefix('.')?;
    volume.strip_suffix(".records").filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_kept_volumes_records_of_the_day_name_a_volume() {
        let day = "20240506";
        assert_eq!(
            kept_records_volume("manager-reset-20240506.manager_mariadb.records", day),
            Some("manager_mariadb")
        );
        for other in [
            "manager-reset-20240506.records",
            "manager-reset-20240506..records",
            "manager-reset-20240506.journal.json",
            "manager-reset-20240506.log",
            "manager-reset-20240506.manager_mariadb.records.previous-1",
            "manager-reset-20240505.manager_mariadb.records",
            ".records-a1b2c3",
        ] {
            assert_eq!(kept_records_volume(other, day), None, "{other}");
        }
    }
}
