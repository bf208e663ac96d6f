//! The saved plan on disk: `--save-plan FILE` writes it (private, as the tool's every file),
//! `--plan FILE` reads it, refuses another format or tool version and options that would shape
//! another plan, and refuses to run unless the plan made now is the saved one.

use anyhow::anyhow;
use camino::{Utf8Path, Utf8PathBuf};

use crate::host::files::atomic;
use crate::plan::cli::Sources;
use crate::plan::config::Config;
use crate::plan::saved::{self, FORMAT, SavedPlan};
use crate::plan::{Inputs, Plan};
use crate::view::outcome::{Code, Failure};

fn refused(error: anyhow::Error) -> Failure {
    Failure::new(Code::Refused, error)
}

/// `file` as given, from the current directory, made absolute.
pub(crate) fn path(file: &std::path::Path) -> Result<Utf8PathBuf, Failure> {
    let cwd = std::env::current_dir()
        .map_err(|error| refused(anyhow!("cannot read the current directory: {error}")))?;
    Utf8PathBuf::from_path_buf(cwd.join(file))
        .map_err(|file| refused(anyhow!("{} is not valid UTF-8: rename it", file.display())))
}

/// Writes the plan made from `inputs` to `file`, private. A file another user put at that path
/// is refused, not replaced: the plan is never handed to anyone.
pub(crate) fn save(file: &Utf8Path, inputs: Inputs, plan: &Plan) -> Result<(), Failure> {
    use std::os::unix::fs::MetadataExt;
    let euid = rustix::process::geteuid().as_raw();
    if let Ok(there) = std::fs::symlink_metadata(file)
        && (there.uid() != euid || !there.file_type().is_file())
    {
        let owner = crate::host::files::users::name_of(there.uid());
        return Err(refused(anyhow!(
            "{file} is there already and is not a file of yours (it belongs to {owner}): the plan is never \
             written over another's file; save it in a directory only you can write"
        )));
    }
    let text = serde_json::to_string_pretty(&SavedPlan::new(inputs, plan.clone()))
        .map_err(|error| refused(anyhow!("cannot encode the plan: {error}")))?;
    atomic::write(file, text.as_bytes()).map_err(|error| refused(error.context("cannot save the plan")))
}

/// Reads the plan saved in `file`; refuses one that this tool did not save, and one that
/// someone else than you, root and the manager's operator (the owner of `project`) wrote or
/// could have replaced.
pub(crate) fn load(file: &Utf8Path, project: &Utf8Path) -> Result<(Utf8PathBuf, SavedPlan), Failure> {
    let again = "save the plan again with --save-plan, review it, and apply that";
    if let Some(problem) = untrusted(file, project) {
        return Err(refused(anyhow!(
            "the plan {file} {problem}: a plan decides what runs as you, so only one that you, root or the \
             manager's operator wrote, in a directory others cannot write, is taken; {again}, in such a \
             directory"
        )));
    }
    let text = crate::host::files::untrusted::read_text(file)
        .map_err(|error| refused(anyhow!("cannot read the plan {file}: {error}")))?;
    let header: serde_json::Value = serde_json::from_str(&text)
        .map_err(|error| refused(anyhow!("{file} is not a saved plan ({error}): {again}")))?;
    let format = header.get("format").and_then(serde_json::Value::as_u64);
    if format != Some(u64::from(FORMAT)) {
        return Err(refused(anyhow!(
            "{file} is a plan of format {}, and this tool reads format {FORMAT}: {again}",
            format.map_or_else(|| "unknown".to_owned(), |f| f.to_string())
        )));
    }
    let ours = env!("CARGO_PKG_VERSION");
    let version = header.get("tool_version").and_then(serde_json::Value::as_str);
    if version != Some(ours) {
        let by = version.map_or_else(
            || "does not say which version of osism-manager-reset saved it".to_owned(),
            |version| format!("was saved by osism-manager-reset {version}"),
        );
        return Err(refused(anyhow!("{file} {by}, and this is {ours}, which may plan otherwise: {again}")));
    }
    let saved: SavedPlan = serde_json::from_value(header)
        .map_err(|error| refused(anyhow!("{file} is not a saved plan ({error}): {again}")))?;
    crate::plan::config::check_recorded(&saved.inputs, "the plan")
        .map_err(|error| refused(anyhow!("{error:#}: {again}")))?;
    Ok((file.to_owned(), saved))
}

/// Why the plan file at `file` cannot be trusted, if it cannot: a symlink, another user's, or
/// writable by others, or on a path others may replace it through.
fn untrusted(file: &Utf8Path, project: &Utf8Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(file).ok()?;
    if meta.file_type().is_symlink() {
        return Some("is a symlink".to_owned());
    }
    let euid = rustix::process::geteuid().as_raw();
    if !crate::host::files::trust::writers(project, euid).contains(&meta.uid()) {
        let owner = crate::host::files::users::name_of(meta.uid());
        return Some(format!("belongs to {owner}"));
    }
    if crate::host::files::trust::others_may_write(&meta).is_some() {
        return Some(format!("may be written by others (mode {:04o})", meta.mode() & 0o7777));
    }
    crate::host::files::trust::above_problem(file, &crate::host::files::trust::writers(project, euid), euid)
        .map(|why| format!("lies where others may replace it: {why}"))
}

/// Refuses options given with values other than the saved plan's: it runs with its own.
pub(crate) fn refuse_changed(config: &Config, saved: &SavedPlan, sources: &Sources) -> Result<(), Failure> {
    let changed = config.changed_from(&saved.inputs, sources);
    if changed.is_empty() {
        return Ok(());
    }
    Err(refused(anyhow!(
        "--plan runs with the options the plan was saved with, but {}: drop them, or save a plan with them",
        changed.join("; ")
    )))
}

/// Refuses, listing every difference, unless `plan` (made now) is the saved one.
pub(crate) fn matches(file: &Utf8Path, saved: &SavedPlan, plan: &Plan) -> Result<(), Failure> {
    let differences = saved::differences(&saved.plan, plan);
    if differences.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = differences.iter().map(|d| format!("  - {d}")).collect();
    let stale = if saved.plan.date != plan.date {
        format!(
            "\nthe plan was saved on {} and names its archive after that day: a plan is for the day it is made; ",
            saved.plan.date
        )
    } else {
        "\n".to_owned()
    };
    Err(refused(anyhow!(
        "the plan saved in {file} is not the plan for this manager as it is now, so nothing was changed:\n{}{stale}\
         save it again, review it and apply that: `{}`",
        listed.join("\n"),
        crate::plan::save_again_command(file, &saved.inputs)
    ))
    .with_differences(differences))
}
