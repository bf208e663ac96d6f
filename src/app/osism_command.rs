//! Enabling the `osism manager reset` spelling where the Debian package installed the plugin
//! dispatcher out of the way, as `/usr/lib/osism-manager-reset/osism`.
//!
//! OSISM's wrapper is `/usr/local/bin/osism`, which a package may not touch, and `/usr/sbin`
//! comes after `/usr/local/bin` on PATH. Enabling links `/usr/local/sbin/osism` to the
//! dispatcher: an administrator's act (as `ln -s` would be), never the package's. Then it asks the
//! login shells that will type `osism` (root's, the operator's, and sudo's with its
//! `secure_path`) what `type -a osism` finds, and says for each what to change when the
//! dispatcher is not first or OSISM's wrapper not after it. Disabling removes the link, if it is
//! this one.

use std::os::unix::fs::MetadataExt;

use anyhow::{Context, Result, anyhow, bail};
use camino::{Utf8Path, Utf8PathBuf};

use crate::host::process::exec::Runner;
use crate::view::print;

/// Where the link goes: first on PATH for root and in sudo's `secure_path`, and where
/// Ubuntu's login PATH has it first for every user.
pub(crate) const LINK: &str = "/usr/local/sbin/osism";

/// The dispatcher the package installs, beside the binary's `/usr/bin`.
fn dispatcher() -> Result<Utf8PathBuf> {
    let exe = std::env::current_exe().context("cannot tell where this program is")?;
    let exe = Utf8PathBuf::from_path_buf(exe).map_err(|p| anyhow!("{} is not UTF-8", p.display()))?;
    let prefix = exe.parent().and_then(Utf8Path::parent).context("this program is in no bin directory")?;
    let dispatcher = prefix.join("lib/osism-manager-reset/osism");
    if !dispatcher.is_file() {
        bail!(
            "no plugin dispatcher at {dispatcher}: this is for the Debian package; from a source checkout, \
             `make install-wrapper` installs the dispatcher itself"
        );
    }
    Ok(dispatcher)
}

/// Links the dispatcher first on PATH and checks, per user, that `osism` finds it. Returns
/// whether every check passed.
pub(crate) fn enable(runner: &Runner, operator: Option<&str>) -> Result<bool> {
    must_be_root("--enable-osism-command")?;
    let dispatcher = dispatcher()?;
    let link = Utf8Path::new(LINK);
    match link.read_link_utf8() {
        Ok(target) if target == dispatcher => print::line(&format!("{link} links to {dispatcher} already")),
        Ok(_) | Err(_) if link.symlink_metadata().is_ok() => bail!(
            "{link} is there and is not the link to {dispatcher}: remove it first (a dispatcher from `make \
             install-wrapper`: `make uninstall`)"
        ),
        _ => {
            std::fs::create_dir_all(link.parent().unwrap_or(Utf8Path::new("/")))
                .with_context(|| format!("cannot create {}", link.parent().unwrap_or(link)))?;
            std::os::unix::fs::symlink(&dispatcher, link).with_context(|| format!("cannot link {link}"))?;
            print::line(&format!("linked {link} to {dispatcher}"));
        }
    }
    let operator = operator.map(String::from).or_else(default_operator);
    let mut shells: Vec<(String, Vec<String>)> = vec![(
        "root's login shell".into(),
        argv(&["runuser", "--login", "root", "--command", "type -a osism"]),
    )];
    match &operator {
        Some(user) => shells.push((
            format!("{user}'s login shell"),
            argv(&["runuser", "--login", user, "--command", "type -a osism"]),
        )),
        None => print::line("no operator user to check: name the one who runs osism with --operator USER"),
    }
    if which::which("sudo").is_ok() {
        shells.push(("sudo (its secure_path)".into(), argv(&["sudo", "sh", "-c", "type osism"])));
    }
    let mut all = true;
    for (who, argv) in shells {
        let verdict = match runner.read(&argv) {
            Ok(found) => judge(&found.stdout),
            Err(error) => Err(format!("cannot ask: {error:#}")),
        };
        match verdict {
            Ok(note) => print::line(&format!("  {who}: `osism` runs the dispatcher{note}")),
            Err(why) => {
                all = false;
                print::line(&format!("  {who}: {why}"));
            }
        }
    }
    if all {
        print::line(
            "`osism manager reset` runs this tool; undo with `osism-manager-reset --disable-osism-command`",
        );
    } else {
        print::line(&format!(
            "where `osism` does not run the dispatcher, put {} before /usr/local/bin on that user's PATH (the \
             package's /etc/profile.d/osism-manager-reset.sh does so for login shells, unless a dotfile sets \
             PATH after it: there, in ~/.profile: `export PATH=/usr/local/sbin:$PATH`), or type \
             `osism-manager-reset` instead of `osism manager reset`; undo with `osism-manager-reset \
             --disable-osism-command`",
            Utf8Path::new(LINK).parent().unwrap_or(Utf8Path::new("/"))
        ));
    }
    Ok(all)
}

/// Removes the link, if it is the one to this package's dispatcher.
pub(crate) fn disable() -> Result<()> {
    must_be_root("--disable-osism-command")?;
    let link = Utf8Path::new(LINK);
    let dispatcher = dispatcher()?;
    match link.read_link_utf8() {
        Ok(target) if target == dispatcher => {
            std::fs::remove_file(link).with_context(|| format!("cannot remove {link}"))?;
            print::line(&format!("removed {link}: `osism` is OSISM's wrapper again"));
            Ok(())
        }
        _ if link.symlink_metadata().is_err() => {
            print::line(&format!("{link} is not there: nothing to disable"));
            Ok(())
        }
        _ => bail!("{link} is not the link to {dispatcher}: it was not made here, so it stays"),
    }
}

/// What `type -a osism` (or `type osism`) printed, judged: the dispatcher must come first, and,
/// with `-a`, OSISM's wrapper after it (else a note). `Err` says what is wrong.
fn judge(printed: &str) -> Result<String, String> {
    let found: Vec<&str> = printed.lines().filter_map(|l| l.trim().strip_prefix("osism is ")).collect();
    match found.as_slice() {
        [] => Err("no `osism` at all on its PATH".into()),
        [first, ..] if *first != LINK => Err(format!("`osism` is {first}, found before {LINK}")),
        [_] => Ok(String::new()),
        [_, next, ..] => Ok(format!(", which chains to {next}")),
    }
}

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

fn must_be_root(option: &str) -> Result<()> {
    if !rustix::process::geteuid().is_root() {
        bail!("{option} changes {LINK}: run it as root (sudo osism-manager-reset {option})");
    }
    Ok(())
}

/// The operator: who ran sudo, else the owner of OSISM's manager directory.
fn default_operator() -> Option<String> {
    if let Ok(user) = std::env::var("SUDO_USER")
        && !user.is_empty()
        && user != "root"
    {
        return Some(user);
    }
    let uid = std::fs::metadata(crate::plan::options::record::DEFAULT_PROJECT_DIRECTORY).ok()?.uid();
    if uid == 0 {
        return None;
    }
    crate::host::files::users::user_of(uid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_a_is_judged_by_what_comes_first() {
        let both = "osism is /usr/local/sbin/osism\nosism is /usr/local/bin/osism\n";
        assert_eq!(judge(both), Ok(", which chains to /usr/local/bin/osism".into()));
        assert_eq!(judge("osism is /usr/local/sbin/osism\n"), Ok(String::new()));
        assert_eq!(
            judge("osism is /usr/local/bin/osism\n"),
            Err("`osism` is /usr/local/bin/osism, found before /usr/local/sbin/osism".into())
        );
        assert_eq!(judge("sh: 1: type: osism: not found\n"), Err("no `osism` at all on its PATH".into()));
    }
}
