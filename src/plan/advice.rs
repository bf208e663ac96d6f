//! The commands the tool tells the operator to type next: resume a reset, run one again,
//! check an archive. Each is copy-paste safe and works from any directory.

use camino::Utf8Path;

use crate::plan::Inputs;
use crate::plan::runbook::files::checksum_path;
use crate::plan::runbook::quote;

/// The command that continues the unfinished reset of the manager in `project` recorded in
/// `backup_dir`, typed anywhere: the project directory is named unless it is the default.
pub fn resume_command(backup_dir: &Utf8Path, project: &Utf8Path) -> String {
    let mut argv: Vec<String> =
        ["osism-manager-reset", "--resume", "--backup-dir", backup_dir.as_str()].map(String::from).into();
    if project != crate::plan::options::record::DEFAULT_PROJECT_DIRECTORY {
        argv.extend(["--project-directory".to_owned(), project.to_string()]);
    }
    quote::join(&argv)
}

/// The command that plans and runs a reset anew with the options `inputs` hold, typed anywhere:
/// each option that is not its default, the backup directory always (the runbook's `$(pwd)`).
pub fn again_command(inputs: &Inputs, yes: bool) -> String {
    let mut argv = vec!["osism-manager-reset".to_owned()];
    argv.extend(crate::plan::options::record::typed(inputs, false));
    argv.extend(yes.then(|| "--yes".to_owned()));
    quote::join(&argv)
}

/// The command that saves the plan `inputs` make again into `file`, every option named, so that
/// it does not depend on the environment it is typed in.
pub fn save_again_command(file: &Utf8Path, inputs: &Inputs) -> String {
    let mut argv: Vec<String> = vec!["osism-manager-reset".into(), "--save-plan".into(), file.to_string()];
    argv.extend(crate::plan::options::record::typed(inputs, true));
    quote::join(&argv)
}

/// The command that checks `archive` against its checksum file, typed anywhere: the file names
/// the archive relative to its own directory, as `sha256sum` writes it.
pub fn check_command(archive: &Utf8Path) -> String {
    let dir = archive.parent().map_or_else(|| ".".to_owned(), |d| d.to_string());
    let name = checksum_path(archive).file_name().unwrap_or_default().to_owned();
    format!("cd {} && sha256sum -c {}", quote::join(&[dir]), quote::join(&[name]))
}
