//! What `--help`, the man page and the README say alike: the exit codes, the files the tool
//! reads and writes, and where to read on. Each is defined here once; the man page's EXIT
//! STATUS, FILES and SEE ALSO sections and `--help`'s exit codes are made from it, and a tidy
//! test holds the README's tables to it.

/// Every exit code and what it means, as the README's table has it (Markdown).
pub const EXIT_CODES: [(i32, &str); 6] = [
    (0, "the reset finished, or the dry run was shown"),
    (
        1,
        "a step failed; the message names the step, the archive and the command to resume (or, where the reset \
         stopped before `down -v`, says that the manager was started again and nothing was changed, and gives \
         the command that runs the reset again) (for `--enable-osism-command`: a user's `osism` does not find \
         the dispatcher yet, and the message says what to change)",
    ),
    (
        2,
        "refused before changing anything: bad input, failed preflight, no confirmation, an unfinished reset to \
         resume first, a journal that is not as the tool wrote it, options given with `--resume` that are not \
         the recorded ones once `down -v` has begun (but `--vault-password-file`), a saved plan (`--plan`) that is not the plan made now or \
         not this tool's, an archive to restore that could write outside `/share` or that changed since it was \
         approved; with `--detailed-exitcode`, a dry run whose real run would refuse",
    ),
    (3, "another reset of this manager is running"),
    (
        130,
        "stopped by Ctrl-C (SIGINT) between commands; the message gives the resume command (before `down -v`: \
         the manager was started again, and the command that runs the reset again)",
    ),
    (143, "stopped by SIGTERM (the running command gets five seconds); as for 130"),
];

/// Every file the tool writes or reads besides its options' own, and what it is (Markdown).
/// `DIR` is the backup directory, `YYYYMMDD` the date the reset was planned on.
pub const FILES: [(&str, &str); 15] = [
    ("DIR/manager-share-YYYYMMDD.tar.gz", "the archive of `/share`, the runbook's name (mode 0600)"),
    ("DIR/manager-share-YYYYMMDD.tar.gz.sha256", "its checksum, for `sha256sum -c`"),
    (
        "DIR/manager-share-YYYYMMDD.tar.gz.previous-N",
        "an archive kept aside (one is never overwritten), mode 0600, with its `.sha256` beside it",
    ),
    (
        "DIR/.manager-share-YYYYMMDD.tar.gz.partial",
        "the archive while step 2 writes it, from what tar writes into the named pipe at the archive's \
         name; renamed to that name once tar ends",
    ),
    (
        "DIR/manager-reset-YYYYMMDD.journal.json",
        "the plan, each step's state, the archive's checksum, for `--resume`",
    ),
    (
        "DIR/manager-reset-YYYYMMDD.records",
        "each archived entry's path, type, mode, owner, size, contents' piecewise SHA-256 and mtime, from \
         the check after the backup, for the check after the restore (its SHA-256 in the journal)",
    ),
    ("DIR/manager-reset-YYYYMMDD.log", "every command with its start time, duration, exit status and output"),
    (
        "DIR/kept-VOLUME-YYYYMMDD.tar.gz",
        "the archive of a volume `--keep-volume` keeps (mode 0600), made and checked as `/share`'s, with its \
         `.sha256` beside it",
    ),
    (
        "DIR/manager-reset-YYYYMMDD.VOLUME.records",
        "each entry of a kept volume's archive, as the check after it was made read it",
    ),
    (
        "DIR/manager-reset-YYYYMMDD.*.previous-N",
        "the journal, records and log of an earlier reset of the same day, finished or rolled back, kept \
         aside by the next one (mode 0600): none is overwritten",
    ),
    (
        "/var/tmp/osism-manager-reset/",
        "a record of each unfinished reset, found from any directory (`OSISM_MANAGER_RESET_STATE_DIR`); \
         root's and sticky, as the package makes it; one another user owns, or others may write without the sticky bit, is refused",
    ),
    (
        "/usr/lib/tmpfiles.d/osism-manager-reset.conf",
        "the package's entry that makes the state directory root's and sticky at every boot",
    ),
    (
        "/usr/share/osism/plugins/manager-reset.toml",
        "the plugin manifest (`plugin.toml`), as the package installs it",
    ),
    ("/usr/lib/osism-manager-reset/osism", "the plugin dispatcher, which runs `osism manager reset`"),
    (
        "/usr/local/sbin/osism",
        "its link, made by `--enable-osism-command`, removed by `--disable-osism-command`",
    ),
];

/// Where to read on.
pub const SEE_ALSO: [&str; 7] =
    ["osism(1)", "docker(1)", "docker-compose(1)", "systemctl(1)", "sudoers(5)", "sha256sum(1)", "tar(1)"];

/// `text` without Markdown's code marks, for `--help` and the man page.
pub fn plain(text: &str) -> String {
    text.replace('`', "")
}

/// The exit codes as `--help` lists them, wrapped at 96 columns.
pub fn exit_codes_help() -> String {
    let mut out = String::from("Exit codes:\n");
    for (code, meaning) in EXIT_CODES {
        let mut line = format!("  {code:<4} ");
        for word in plain(meaning).split(' ') {
            if line.len() + word.len() + 1 > 96 {
                out.push_str(line.trim_end());
                out.push('\n');
                line = " ".repeat(7);
            }
            line.push_str(word);
            line.push(' ');
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
