//! Users by name: the password database, read for messages (who started a reset, who may
//! write a directory) and for the unit user's home (its registry credentials). Nothing here
//! decides anything.

use std::fs;

/// The name the password database gives `uid`, if it names it.
pub(crate) fn user_of(uid: u32) -> Option<String> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.get(2).and_then(|u| u.parse::<u32>().ok()) == Some(uid))
        .and_then(|fields| fields.first().map(|name| name.to_string()))
}

/// The home directory the password database gives `user`, if it names the user.
pub(crate) fn home_of(user: &str) -> Option<camino::Utf8PathBuf> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.first() == Some(&user))
        .and_then(|fields| fields.get(5).map(camino::Utf8PathBuf::from))
}

/// The name of `uid` for a message: its name, or `uid N` where the database has none.
pub(crate) fn name_of(uid: u32) -> String {
    user_of(uid).unwrap_or_else(|| format!("uid {uid}"))
}

/// The tool's effective user: root plans without sudo, and records are kept per user.
pub(crate) fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}
