//! Files that are either wholly old or wholly new: write a temporary file, fsync, rename, fsync
//! the directory. The journal and the checksum file survive a crash at any instant.

use std::fs::{self, File};
use std::io::Write;

use anyhow::{Context, Result};
use camino::Utf8Path;

pub fn write(path: &Utf8Path, contents: &[u8]) -> Result<()> {
    let dir = path.parent().context("a file without a directory")?;
    let name = path.file_name().context("a path without a file name")?;
    let temporary = dir.join(format!(".{name}.tmp"));
    let mut file = File::create(&temporary).with_context(|| format!("cannot write {temporary}"))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {temporary}"))?;
    fs::rename(&temporary, path).with_context(|| format!("cannot replace {path}"))?;
    File::open(dir).and_then(|d| d.sync_all()).with_context(|| format!("cannot sync {dir}"))?;
    Ok(())
}
