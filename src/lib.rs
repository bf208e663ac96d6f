//! `osism-manager-reset`: the OSISM manager reset runbook, run as a checked plan.
//!
//! Codemap: six layers, each a folder whose `mod.rs` says what it owns; a layer uses only the
//! layers above it in this list, and a layer's rooms (its subfolders) only the rooms its
//! `mod.rs` lists before them (a tidy test holds every `use` to that, and no module cycle):
//! - `plan`: the flags, the checked config, the runbook as data built by a pure function;
//! - `host`: the processes, files and signals, in rooms: `osism` (what osism says), `files`
//!   (private writes, untrusted reads, pipes, whose files to trust), `process` (`exec` starts
//!   every process, the transcript, signals), `docker` (Docker and Compose asked; the one
//!   change besides the plan's commands), `system` (the systemd unit, sudo);
//! - `archive`: /share's archive proven to hold what /share holds, read back, compared entry by
//!   entry, hashed and recorded: a library that knows nothing of the run, and owns the archive
//!   files;
//! - `view`: what the operator reads and types, and the exit codes; the plan's text a room;
//! - `run`: the rooms `record` (journal, registry, lock, what is kept aside: the reset's own
//!   files), `preflight` (every check before anything changes) and `steps` (the runbook's
//!   commands between their checks, failure advice, rollback), then the approval every real run
//!   shares and resume;
//! - `app`: argv to exit code, the dry run or the real run decided once; the man page and the
//!   plugin manifest.
//!
//! Reach: `plan` is the crate's library API, the pure planner the tests drive (its crate-only
//! items `pub(crate)`); in every other layer everything is `pub(crate)`, so that the compiler
//! finds dead code, save what `main` and the tests call: `app::main`, `app::generate::write`,
//! `view::print::line_err` and `archive::verify::sha256_of`.
//!
//! xshell's `Shell::cmd` builder, not its `cmd!` macro: every command is argv data (the plan's
//! or a query's), and the executor turns each xshell command into a `std::process::Command` to
//! choose its process group and stream its output.
//!
//! Invariants: nothing but `host::process::exec` spawns processes; nothing prints with a macro that can
//! panic; the plan the dry run shows is the plan that runs, and `--resume` runs only a plan the
//! planner makes again from the journal's inputs; bad input and failed preflight are refused
//! with exit 2 before anything changes; `down -v` never runs unless the archive was read back
//! whole, matched /share entry by entry and still matches its checksum; the tool reads the vault
//! password file only to refuse a blank one, and passes it nowhere but to osism's standard input;
//! every file it writes is private (0600), but the registry's record, which names paths and must
//! be read by root and the operator alike.

pub mod app;
pub mod archive;
pub mod host;
pub mod plan;
pub mod run;
pub mod view;
