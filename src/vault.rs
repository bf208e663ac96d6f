//! The Ansible vault password, which lives in the manager's Redis and so does not survive
//! `down -v`: what `osism vault check --format script` says of it, and the password file.
//!
//! The tool never reads the password. It asks osism whether one is set, hands the operator's
//! file to `osism set vault password` as its standard input (osism reads stdin when it is not a
//! terminal), or leaves the operator's terminal to osism's own prompt.

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use camino::Utf8Path;

use crate::plan::{Vault, VaultState};

/// Reads what `osism vault check --format script` printed: `PASSED`, or `FAILED: <reason>`.
/// An osism without `vault check`, or an osismclient that is not running, answers neither.
pub fn judge(stdout: &str, stderr: &str) -> Vault {
    let said = |detail: &str| format!("osism vault check: {detail}");
    for line in stdout.lines().map(str::trim) {
        if line == "PASSED" {
            return Vault { state: VaultState::Set, detail: said(line) };
        }
        if let Some(reason) = line.strip_prefix("FAILED:") {
            let state = match reason.trim() {
                "keyfile_missing" => VaultState::NotInUse,
                "password_not_set" => VaultState::NotSet,
                // A password is stored but does not work: the reset needs the right one.
                _ => VaultState::Unknown,
            };
            return Vault { state, detail: said(line) };
        }
    }
    let why = stderr.lines().chain(stdout.lines()).map(str::trim).find(|l| !l.is_empty());
    Vault { state: VaultState::Unknown, detail: said(why.unwrap_or("no answer")) }
}

/// Problems with the password file, as ssh judges a private key: it must be a regular file the
/// tool's user can open, readable by no group and no other user.
pub fn check_password_file(path: &Utf8Path) -> Option<String> {
    let fix = "give a file readable by its owner only (chmod 600)";
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(error) => return Some(format!("--vault-password-file {path}: {error}: {fix}")),
    };
    if !meta.is_file() {
        return Some(format!("--vault-password-file {path} is not a regular file: {fix}"));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Some(format!(
            "--vault-password-file {path} is mode {mode:04o}, open to other users (owner uid {}): {fix}",
            meta.uid()
        ));
    }
    if let Err(error) = std::fs::File::open(path) {
        return Some(format!("--vault-password-file {path} cannot be opened: {error}: {fix}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_format_is_read() {
        let state = |out: &str, err: &str| judge(out, err).state;
        assert_eq!(state("PASSED\n", ""), VaultState::Set);
        assert_eq!(state("FAILED: password_not_set\n", ""), VaultState::NotSet);
        assert_eq!(state("FAILED: keyfile_missing\n", ""), VaultState::NotInUse);
        assert_eq!(state("FAILED: wrong_password\n", ""), VaultState::Unknown);
        let old = judge("", "Unknown command: ['vault', 'check', '--format', 'script']\n");
        assert_eq!(old.state, VaultState::Unknown);
        assert_eq!(
            old.detail,
            "osism vault check: Unknown command: ['vault', 'check', '--format', 'script']"
        );
        assert_eq!(judge("", "").detail, "osism vault check: no answer");
    }

    #[test]
    fn a_password_file_open_to_others_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = Utf8Path::from_path(dir.path()).unwrap().join("pw");
        std::fs::write(&file, "secret\n").unwrap();
        for (mode, ok) in [(0o600, true), (0o400, true), (0o640, false), (0o604, false)] {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
            assert_eq!(
                check_password_file(&file).is_none(),
                ok,
                "{mode:o}: {:?}",
                check_password_file(&file)
            );
        }
        let missing = check_password_file(&file.with_file_name("nope")).unwrap();
        assert!(missing.contains("No such file"), "{missing}");
        assert!(check_password_file(Utf8Path::from_path(dir.path()).unwrap()).is_some());
    }
}
