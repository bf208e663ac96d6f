//! What a directory tree holds, entry by entry, for comparing /share before and after a reset:
//! path, type, size, mode, owner, symlink target and the SHA-256 of file contents.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use sha2::{Digest, Sha256};

/// Every entry below `root` (not `root` itself), keyed by its path relative to `root`.
pub fn listing(root: &Path) -> BTreeMap<String, String> {
    let mut listing = BTreeMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            let kind = if meta.file_type().is_symlink() {
                format!("link -> {}", fs::read_link(&path).unwrap().display())
            } else if meta.is_dir() {
                stack.push(path.clone());
                "dir".to_owned()
            } else {
                format!("file {} bytes sha256 {:x}", meta.len(), Sha256::digest(fs::read(&path).unwrap()))
            };
            let mode = meta.permissions().mode() & 0o7777;
            listing.insert(rel, format!("{kind} mode {mode:o} owner {}:{}", meta.uid(), meta.gid()));
        }
    }
    listing
}
