//! What the plan tells the operator to know before approving that is not a step: an archive of
//! /share others may read, a vault password that does not simply come back.

use crate::plan::facts::{Vault, VaultState};

/// What the plan says of an archive others may read.
pub fn exposed(exposed: &crate::plan::Exposed) -> String {
    let path = &exposed.path;
    let chmod = crate::plan::runbook::quote::join(&["chmod".into(), "600".into(), path.to_string()]);
    format!(
        "others may read the archive {path} (mode {:04o}), which holds the vault key and Ceph keys: `{chmod}`",
        exposed.mode
    )
}

/// What the operator should know of the password the step sets, where it is not simply the one
/// set now coming back.
pub fn vault(vault: &Vault) -> Option<String> {
    let why = match vault.state {
        VaultState::Set | VaultState::InvalidKeyFile => return None,
        VaultState::NotSet => "no vault password is set now, so osism's Ansible runs fail already",
        VaultState::NoKeyFile => {
            "no vault key file is in /share and no environments/.vault_pass in the configuration, so \
             osism's Ansible runs fail already (osism makes a key file when the password is set)"
        }
        VaultState::Broken => "the vault password set now does not work",
        VaultState::Unknown => "whether a vault password is set cannot be told",
    };
    Some(format!("{why} ({}): the step after the health check sets the one given", vault.detail))
}
