//! The Ansible vault password, which every worker Ansible run of osism needs (python-osism
//! 0.20261023.0, `osism/tasks/__init__.py`) and which lives in the manager's Redis, so that
//! `down -v` deletes it: where it comes from, what `osism vault check --format script` says of
//! it, and the password file that gives it back.
//!
//! osism's runs take the password from Redis, or from `environments/.vault_pass` in the
//! configuration repository. With `.vault_pass` nothing is lost; without it the password has to
//! be set again after every reset, whatever `vault check` said before. The tool hands the
//! operator's file to `osism set vault password` as its standard input (osism reads stdin when it
//! is not a terminal), or leaves the operator's terminal to osism's own prompt. It reads the file
//! only to refuse a blank one, which osism would store as the password with exit 0.

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use camino::{Utf8Path, Utf8PathBuf};

use crate::plan::{Vault, VaultState};

/// The line OSISM's wrapper prints on stderr whenever root runs it: never osism's answer.
const ROOT_WARNING: &str = "WARNING: OSISM CLI should not be used as root user";

/// Where osism's Ansible runs find the password when Redis has none.
pub(crate) fn vault_pass(configuration: &Utf8Path) -> Utf8PathBuf {
    configuration.join("environments/.vault_pass")
}

/// Reads what `osism vault check --format script` printed: `PASSED`, or `FAILED: <reason>`.
/// When it cannot tell (osismclient not running, Redis unreachable, an osism without `vault
/// check`) it prints neither; its reason, on stderr, is kept, never taken for a state.
pub(crate) fn judge(stdout: &str, stderr: &str) -> Vault {
    let said = |detail: &str| format!("osism vault check: {detail}");
    for line in stdout.lines().map(str::trim) {
        if line == "PASSED" {
            return Vault::new(VaultState::Set, said(line));
        }
        if let Some(reason) = line.strip_prefix("FAILED:") {
            let state = match reason.trim() {
                "keyfile_missing" => VaultState::NoKeyFile,
                "password_not_set" => VaultState::NotSet,
                "invalid_keyfile" => VaultState::InvalidKeyFile,
                // A password is stored, but does not work: the reset needs the right one.
                _ => VaultState::Broken,
            };
            return Vault::new(state, said(line));
        }
    }
    let why = stderr
        .lines()
        .chain(stdout.lines())
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with(ROOT_WARNING));
    Vault::new(VaultState::Unknown, said(&format!("cannot tell ({})", why.unwrap_or("no answer"))))
}

/// Problems with the password file: as ssh judges a private key, it must be a regular file the
/// tool's user can open, readable by no group and no other user; and it must hold a password,
/// as osism stores a blank one, stripped to nothing, and reports success.
pub(crate) fn check_password_file(path: &Utf8Path, option: &str) -> Option<String> {
    let fix = "give a file readable by its owner only (chmod 600) that holds the password";
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(error) => return Some(format!("{option} {path}: {error}: {fix}")),
    };
    if !meta.is_file() {
        return Some(format!("{option} {path} is not a regular file: {fix}"));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Some(format!(
            "{option} {path} is mode {mode:04o}, open to other users (owner uid {}): {fix}",
            meta.uid()
        ));
    }
    match std::fs::read(path) {
        Err(error) => Some(format!("{option} {path} cannot be read: {error}: {fix}")),
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Some(format!(
            "{option} {path} holds no password (osism would store an empty one and report success): {fix}"
        )),
        Ok(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_format_is_read() {
        let state = |out: &str, err: &str| judge(out, err).state;
        assert_eq!(state("PASSED\n", ""), VaultState::Set);
        assert_eq!(state("FAILED: password_not_set\n", ""), VaultState::NotSet);
        assert_eq!(state("FAILED: keyfile_missing\n", ""), VaultState::NoKeyFile);
        assert_eq!(state("FAILED: invalid_keyfile\n", ""), VaultState::InvalidKeyFile);
        for broken in ["decryption_failed", "password_empty", "wrong_password"] {
            assert_eq!(state(&format!("FAILED: {broken}\n"), ""), VaultState::Broken, "{broken}");
        }
        let old = judge("", "Unknown command: ['vault', 'check', '--format', 'script']\n");
        assert_eq!(old.state, VaultState::Unknown);
        assert_eq!(
            old.detail,
            "osism vault check: cannot tell (Unknown command: ['vault', 'check', '--format', 'script'])"
        );
        assert_eq!(judge("", "").detail, "osism vault check: cannot tell (no answer)");
    }

    /// As root, OSISM's wrapper warns first; the reason is what follows.
    #[test]
    fn the_wrappers_root_warning_is_not_the_reason() {
        let stopped = judge(
            "",
            "WARNING: OSISM CLI should not be used as root user\n\nError response from daemon: container 5b1d is not running\n",
        );
        assert_eq!(stopped.state, VaultState::Unknown);
        assert_eq!(
            stopped.detail,
            "osism vault check: cannot tell (Error response from daemon: container 5b1d is not running)"
        );
        assert_eq!(
            judge("PASSED\n", "WARNING: OSISM CLI should not be used as root user\n").state,
            VaultState::Set
        );
    }

    #[test]
    fn a_password_file_open_to_others_or_blank_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = Utf8Path::from_path(dir.path()).unwrap().join("pw");
        std::fs::write(&file, "secret\n").unwrap();
        let check = |file: &Utf8Path| check_password_file(file, "--vault-password-file");
        for (mode, ok) in [(0o600, true), (0o400, true), (0o640, false), (0o604, false)] {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
            assert_eq!(check(&file).is_none(), ok, "{mode:o}: {:?}", check(&file));
        }
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        for blank in ["", "\n", " \t \n"] {
            std::fs::write(&file, blank).unwrap();
            assert!(check(&file).is_some_and(|p| p.contains("holds no password")), "{blank:?}");
        }
        let missing = check(&file.with_file_name("nope")).unwrap();
        assert!(missing.contains("No such file"), "{missing}");
        assert!(check(Utf8Path::from_path(dir.path()).unwrap()).is_some());
    }
}
