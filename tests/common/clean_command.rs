//! The set-up both test worlds share: a program started with none of the tool's variables nor
//! the stand-ins' from the tests' own environment, no colour and no standard input.

use std::ffi::OsStr;
use std::process::{Command, Stdio};

/// Environment variables of the tool (`OSISM_MANAGER_RESET_`) and of the stand-ins.
const PREFIXES: [&str; 3] = ["OSISM_MANAGER_RESET_", "FAKE_", "E2E_"];

/// `program`, started clean: whatever the world needs is set on the returned command.
pub fn clean_command(program: impl AsRef<OsStr>) -> Command {
    #[allow(clippy::disallowed_methods)] // tests start the binary and the tools around it
    let mut command = Command::new(program);
    for (key, _) in std::env::vars_os() {
        if PREFIXES.iter().any(|p| key.to_string_lossy().starts_with(p)) {
            command.env_remove(key);
        }
    }
    command.env("NO_COLOR", "1").stdin(Stdio::null());
    command
}
