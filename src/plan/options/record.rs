//! The options that shape the plan, each defined once: its long name, its value in a recorded
//! plan's inputs and in this run's config (as typed after `--LONG`), how a config takes the
//! recorded value, and its default. What compares a run's options with a recorded plan, what
//! plans again with corrections, and every command the operator is told to type that names
//! options, loop over this one table.

use std::time::Duration;

use crate::plan::options::cli::Sources;
use crate::plan::options::cli::{
    DEFAULT_CONFIGURATION_DIRECTORY, DEFAULT_HEALTH_TIMEOUT, DEFAULT_IMAGE, DEFAULT_PROJECT_DIRECTORY,
    DEFAULT_SHARE_VOLUME,
};
use crate::plan::options::config::Config;
use crate::plan::{Inputs, SERVICE_GIVEN};

/// One option that shapes the plan. Values are as typed after `--LONG`; a switch's is "true"
/// or "false", and `None` is an option with no value (no file, a unit detected, not named).
pub struct PlanOption {
    pub long: &'static str,
    /// `--LONG` alone turns it on.
    pub switch: bool,
    /// Its value in the plan made from `inputs`, for comparing.
    pub recorded: fn(&Inputs) -> Option<String>,
    /// What the operator typed for it to be planned so, where that is not simply `recorded`:
    /// a detected unit, say, was typed as nothing.
    pub typed: Option<fn(&Inputs) -> Option<String>>,
    /// Its value in this run's config.
    pub given: fn(&Config) -> Option<String>,
    /// Gives `config` the recorded value.
    pub take: fn(&mut Config, &Inputs),
    /// Its default, as typed, if it has one a command line may leave out.
    pub default: Option<&'static str>,
    /// It locates the reset: a plan made again keeps the recorded value, whatever is given.
    pub locates: bool,
}

fn path_of(path: &camino::Utf8Path) -> Option<String> {
    Some(path.to_string())
}

/// Names as one value, comma-separated, as `--keep-volume` takes them; `None` for none.
fn listed(names: &[String]) -> Option<String> {
    (!names.is_empty()).then(|| names.join(","))
}

/// Every option that shapes the plan, in the order commands name them.
pub const PLAN_OPTIONS: [PlanOption; 12] = [
    PlanOption {
        long: "project-directory",
        switch: false,
        recorded: |i| path_of(&i.options.project_directory),
        typed: None,
        given: |c| path_of(&c.project_directory),
        take: |c, i| c.project_directory = i.options.project_directory.clone(),
        default: Some(DEFAULT_PROJECT_DIRECTORY),
        locates: true,
    },
    PlanOption {
        long: "backup-dir",
        switch: false,
        recorded: |i| path_of(&i.options.backup_dir),
        typed: None,
        given: |c| path_of(&c.backup_dir),
        take: |c, i| c.backup_dir = i.options.backup_dir.clone(),
        default: None,
        locates: true,
    },
    PlanOption {
        long: "service",
        switch: false,
        recorded: |i| Some(i.facts.service.unit.clone()),
        typed: Some(|i| (i.facts.service.reason == SERVICE_GIVEN).then(|| i.facts.service.unit.clone())),
        given: |c| c.service.clone(),
        take: |c, i| {
            let service = &i.facts.service;
            c.service = (service.reason == SERVICE_GIVEN).then(|| service.unit.clone());
        },
        default: None,
        locates: false,
    },
    PlanOption {
        long: "share-volume",
        switch: false,
        recorded: |i| Some(i.options.share_volume.clone()),
        typed: None,
        given: |c| Some(c.share_volume.clone()),
        take: |c, i| c.share_volume = i.options.share_volume.clone(),
        default: Some(DEFAULT_SHARE_VOLUME),
        locates: false,
    },
    PlanOption {
        long: "image",
        switch: false,
        recorded: |i| Some(i.options.image.clone()),
        typed: None,
        given: |c| Some(c.image.clone()),
        take: |c, i| c.image = i.options.image.clone(),
        default: Some(DEFAULT_IMAGE),
        locates: false,
    },
    PlanOption {
        long: "health-timeout",
        switch: false,
        recorded: |i| Some(i.options.health_timeout_s.to_string()),
        typed: None,
        given: |c| Some(c.health_timeout.as_secs().to_string()),
        take: |c, i| c.health_timeout = Duration::from_secs(i.options.health_timeout_s),
        default: Some(DEFAULT_HEALTH_TIMEOUT),
        locates: false,
    },
    PlanOption {
        long: "configuration-directory",
        switch: false,
        recorded: |i| path_of(&i.options.configuration_directory),
        typed: None,
        given: |c| path_of(&c.configuration_directory),
        take: |c, i| c.configuration_directory = i.options.configuration_directory.clone(),
        default: Some(DEFAULT_CONFIGURATION_DIRECTORY),
        locates: false,
    },
    PlanOption {
        long: "vault-password-file",
        switch: false,
        recorded: |i| i.options.vault_password_file.as_deref().and_then(path_of),
        typed: None,
        given: |c| c.vault_password_file.as_deref().and_then(path_of),
        take: |c, i| c.vault_password_file = i.options.vault_password_file.clone(),
        default: None,
        locates: false,
    },
    PlanOption {
        long: "delete-vault-data",
        switch: true,
        recorded: |i| Some(i.options.delete_vault_data.to_string()),
        typed: None,
        given: |c| Some(c.delete_vault_data.to_string()),
        take: |c, i| c.delete_vault_data = i.options.delete_vault_data,
        default: Some("false"),
        locates: false,
    },
    PlanOption {
        long: "keep-volume",
        switch: false,
        recorded: |i| listed(&i.options.keep_volumes),
        typed: None,
        given: |c| listed(&c.keep_volumes),
        take: |c, i| c.keep_volumes = i.options.keep_volumes.clone(),
        default: None,
        locates: false,
    },
    PlanOption {
        long: "restore-from",
        switch: false,
        recorded: |i| i.options.restore_from.as_deref().and_then(path_of),
        typed: None,
        given: |c| c.restore_from.as_deref().and_then(path_of),
        take: |c, i| c.restore_from = i.options.restore_from.clone(),
        default: None,
        locates: false,
    },
    PlanOption {
        long: "restore-sha256",
        switch: false,
        recorded: |i| i.options.restore_sha256.clone(),
        typed: None,
        given: |c| c.restore_sha256.clone(),
        take: |c, i| c.restore_sha256 = i.options.restore_sha256.clone(),
        default: None,
        locates: false,
    },
];

/// The options `inputs` were planned with, as a command line types them; with `defaults`,
/// those at their default too (a command that must not depend on them), else only the others.
pub fn typed(inputs: &Inputs, defaults: bool) -> Vec<String> {
    let mut argv = Vec::new();
    for option in &PLAN_OPTIONS {
        let Some(value) = option.typed.unwrap_or(option.recorded)(inputs) else { continue };
        let is_default = option.default == Some(value.as_str());
        if option.switch {
            if value == "true" {
                argv.push(format!("--{}", option.long));
            }
        } else if defaults || !is_default {
            argv.extend([format!("--{}", option.long), value]);
        }
    }
    argv
}

impl Config {
    /// The options the operator gave (on the command line or in the environment) whose values
    /// are not the ones a recorded plan (a journal's, a saved one's) was made from: taking them
    /// silently would show a value the reset does not use.
    pub fn changed_from(&self, inputs: &Inputs, sources: &Sources) -> Vec<String> {
        self.changes(inputs, sources)
            .map(|(option, given, recorded)| {
                format!("{} {given} is not the recorded {recorded}", sources.name(option.long))
            })
            .collect()
    }

    /// The long names of the options `changed_from` lists.
    pub fn changed_options(&self, inputs: &Inputs, sources: &Sources) -> Vec<&'static str> {
        self.changes(inputs, sources).map(|(option, _, _)| option.long).collect()
    }

    /// Each option given whose value is not the recorded one, with both values as shown.
    fn changes<'a>(
        &'a self,
        inputs: &'a Inputs,
        sources: &'a Sources,
    ) -> impl Iterator<Item = (&'static PlanOption, String, String)> + 'a {
        let shown = |value: Option<String>| value.unwrap_or_else(|| "none".to_owned());
        PLAN_OPTIONS
            .iter()
            .filter(|option| sources.given(option.long))
            .map(move |option| (option, shown((option.given)(self)), shown((option.recorded)(inputs))))
            .filter(|(_, given, recorded)| given != recorded)
    }

    /// This run's options where the operator gave them, the recorded ones where not: the
    /// options a reset planned again with corrections goes on with. The directories locate the
    /// reset, and so are always the recorded ones.
    pub fn with_recorded(&self, recorded: &Inputs, sources: &Sources) -> Config {
        let mut config = self.clone();
        for option in PLAN_OPTIONS.iter().filter(|o| o.locates || !sources.given(o.long)) {
            (option.take)(&mut config, recorded);
        }
        config
    }
}
