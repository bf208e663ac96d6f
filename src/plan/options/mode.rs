//! What the operator asked the tool to do, one value decided from the parsed flags: the plugin
//! manifest, the man page or completions, the dispatcher's link, the dry run, a real run, or a
//! resume. `app::run` is one `match` over it.

use std::path::PathBuf;

use crate::plan::options::cli::{Args, Generate};

/// What the operator asked the tool to do, decided once from the parsed arguments (ripgrep's
/// `Mode`, rust-analyzer's `XtaskCmd`): `app::run` is one `match` over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    PluginMetadata,
    Generate(Generate),
    EnableOsismCommand {
        operator: Option<String>,
    },
    DisableOsismCommand,
    /// The dry run; with `save`, the plan is saved there too.
    Plan {
        save: Option<PathBuf>,
        detailed_exitcode: bool,
    },
    /// A real run; of the plan saved in `saved`, where one is named.
    Apply {
        saved: Option<PathBuf>,
    },
    /// The unfinished reset continued; with `look_only`, only shown.
    Resume {
        look_only: bool,
    },
}

impl Mode {
    /// The mode `args` ask for; clap has refused the combinations that make none.
    pub fn of(args: &Args) -> Mode {
        if args.plugin_metadata {
            return Mode::PluginMetadata;
        }
        if let Some(what) = args.generate {
            return Mode::Generate(what);
        }
        if args.disable_osism_command {
            return Mode::DisableOsismCommand;
        }
        if args.enable_osism_command {
            return Mode::EnableOsismCommand { operator: args.operator.clone() };
        }
        let dry_run = args.dry_run || args.save_plan.is_some();
        if args.resume {
            Mode::Resume { look_only: dry_run }
        } else if dry_run {
            Mode::Plan { save: args.save_plan.clone(), detailed_exitcode: args.detailed_exitcode }
        } else {
            Mode::Apply { saved: args.plan.clone() }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn mode(argv: &[&str]) -> Result<Mode, String> {
        let args = Args::try_parse_from(std::iter::once("osism-manager-reset").chain(argv.iter().copied()))
            .map_err(|e| e.to_string())?;
        Ok(Mode::of(&args))
    }

    #[test]
    fn the_mode_is_decided_once_from_the_arguments() {
        let plan = |save: Option<&str>, detailed_exitcode| Mode::Plan {
            save: save.map(PathBuf::from),
            detailed_exitcode,
        };
        for (argv, expected) in [
            (&[][..], Mode::Apply { saved: None }),
            (&["--yes"], Mode::Apply { saved: None }),
            (&["--plan", "p.json"], Mode::Apply { saved: Some("p.json".into()) }),
            (&["--dry-run"], plan(None, false)),
            (&["--save-plan", "p.json", "--detailed-exitcode"], plan(Some("p.json"), true)),
            (&["--resume"], Mode::Resume { look_only: false }),
            (&["--resume", "--dry-run"], Mode::Resume { look_only: true }),
            (&["--generate", "man"], Mode::Generate(Generate::Man)),
            (&["--plugin-metadata", "--dry-run"], Mode::PluginMetadata),
            (
                &["--enable-osism-command", "--operator", "dragon"],
                Mode::EnableOsismCommand { operator: Some("dragon".into()) },
            ),
            (&["--disable-osism-command"], Mode::DisableOsismCommand),
        ] {
            assert_eq!(mode(argv), Ok(expected), "{argv:?}");
        }
        assert!(mode(&["--detailed-exitcode"]).unwrap_err().contains("<--dry-run|--save-plan <FILE>>"));
        assert!(mode(&["--resume", "--save-plan", "p"]).unwrap_err().contains("cannot be used with"));
    }
}
