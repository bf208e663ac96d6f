//! Reading a file others may have planted (a journal, a record, a saved plan, a checksum file):
//! opened without following a symlink and without blocking (a named pipe planted under the name
//! never hangs the tool), taken only when it is a regular file, and read only up to a bound (a
//! sparse file of gigabytes never fills memory). What the tool writes itself is far smaller.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;

use camino::Utf8Path;

/// The most of a journal, record, plan or checksum file read: a journal of a manager with a
/// hundred services is a few hundred KiB.
pub(crate) const TEXT_LIMIT: u64 = 16 << 20;

/// Opens `path` for reading as a file the tool may have written: no symlink followed, no
/// waiting on a pipe, a regular file only.
pub(crate) fn open(path: &Utf8Path) -> io::Result<File> {
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    let file = OpenOptions::new().read(true).custom_flags(flags.bits() as i32).open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "it is not a regular file"));
    }
    Ok(file)
}

/// The text of the file at `path`, read as `open` opens it, at most `TEXT_LIMIT` bytes: a larger
/// one is no file of the tool's.
pub(crate) fn read_text(path: &Utf8Path) -> io::Result<String> {
    let file = open(path)?;
    if file.metadata()?.len() > TEXT_LIMIT {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("it is larger than {} MiB, which no file of this tool is", TEXT_LIMIT >> 20),
        ));
    }
    let mut text = String::new();
    file.take(TEXT_LIMIT).read_to_string(&mut text)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_regular_file_of_sane_size_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let at = |name: &str| camino::Utf8PathBuf::from_path_buf(dir.path().join(name)).unwrap();
        std::fs::write(at("journal"), "{}").unwrap();
        assert_eq!(read_text(&at("journal")).unwrap(), "{}");
        std::os::unix::fs::symlink(at("journal"), at("link")).unwrap();
        assert!(read_text(&at("link")).is_err(), "a symlink is followed");
        rustix::fs::mkfifoat(rustix::fs::CWD, at("fifo").as_str(), rustix::fs::Mode::from_raw_mode(0o600))
            .unwrap();
        assert!(read_text(&at("fifo")).is_err(), "a pipe is read");
        let sparse = File::create(at("sparse")).unwrap();
        sparse.set_len(TEXT_LIMIT + 1).unwrap();
        assert!(read_text(&at("sparse")).is_err(), "a huge file is read");
        assert!(read_text(&at("missing")).is_err_and(|e| e.kind() == io::ErrorKind::NotFound));
    }
}
