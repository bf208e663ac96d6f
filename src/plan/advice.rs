//! The commands the tool tells the operator to type next: resume a reset, run one again,
//! check an archive. Each is copy-paste safe and works from any directory.

use camino::Utf8Path;

use crate::plan::facts::Inputs;
use crate::plan::quote;
use crate::plan::runbook::checksum_path;

/// The command that continues the unfinished reset of the manager in `project` recorded in
/// `backup_dir`, typed anywhere: the project directory is named unless it is the default.
pub fn resume_command(backup_dir: &Utf8Path, project: &Utf8Path) -> String {
    let mut argv: Vec<String> =
        ["osism-manager-reset", "--resume", "--backup-dir", backup_dir.as_str()].map(String::from).into();
    if project != crate::plan::cli::DEFAULT_PROJECT_DIRECTORY {
        argv.extend(["--project-directory".to_owned(), project.to_string()]);
    }
    quote::join(&argv)
}

/// The command that plans and runs a reset anew with the options `inputs` hold, typed anywhere:
/// each option that is not its default, the backup directory always (the runbook's `$(pwd)`).
pub fn again_command(inputs: &Inputs, yes: bool) -> String {
    use crate::plan::cli::{
        DEFAULT_CONFIGURATION_DIRECTORY, DEFAULT_HEALTH_TIMEOUT_S, DEFAULT_IMAGE, DEFAULT_PROJECT_DIRECTORY,
        DEFAULT_SHARE_VOLUME,
    };
    let (options, service) = (&inputs.options, &inputs.facts.service);
    let mut argv: Vec<String> = vec!["osism-manager-reset".into()];
    let mut option = |long: &str, value: String, default: &str| {
        if value != default {
            argv.extend([format!("--{long}"), value]);
        }
    };
    option("project-directory", options.project_directory.to_string(), DEFAULT_PROJECT_DIRECTORY);
    option("backup-dir", options.backup_dir.to_string(), "");
    if service.reason == crate::plan::SERVICE_GIVEN {
        option("service", service.unit.clone(), "");
    }
    option("share-volume", options.share_volume.clone(), DEFAULT_SHARE_VOLUME);
    option("image", options.image.clone(), DEFAULT_IMAGE);
    option("health-timeout", options.health_timeout_s.to_string(), &DEFAULT_HEALTH_TIMEOUT_S.to_string());
    if let Some(file) = &options.vault_password_file {
        option("vault-password-file", file.to_string(), "");
    }
    option(
        "configuration-directory",
        options.configuration_directory.to_string(),
        DEFAULT_CONFIGURATION_DIRECTORY,
    );
    argv.extend(options.delete_vault_data.then(|| "--delete-vault-data".to_owned()));
    argv.extend(yes.then(|| "--yes".to_owned()));
    quote::join(&argv)
}

/// The command that checks `archive` against its checksum file, typed anywhere: the file names
/// the archive relative to its own directory, as `sha256sum` writes it.
pub fn check_command(archive: &Utf8Path) -> String {
    let dir = archive.parent().map_or_else(|| ".".to_owned(), |d| d.to_string());
    let name = checksum_path(archive).file_name().unwrap_or_default().to_owned();
    format!("cd {} && sha256sum -c {}", quote::join(&[dir]), quote::join(&[name]))
}
