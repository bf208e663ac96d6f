//! `osism manager reset` as a plugin: the metadata request, the JSON event stream, colour, and
//! the generated man page and completions (the dispatcher has `dispatcher.rs`).

use std::fs;
use std::path::Path;
use std::process::Output;

use clap::CommandFactory;
use osism_manager_reset::plan::cli::Args;

use crate::calls_snapshot;
use crate::support::{World, stderr, stdout};

#[test]
fn plugin_metadata_is_plugin_toml_as_json() {
    let out = World::new().run(&["--plugin-metadata"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let text = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("plugin.toml")).unwrap();
    let toml: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(json, serde_json::to_value(toml).unwrap());
    assert_eq!(json["command"], serde_json::json!(["manager", "reset"]));
}

/// The event stream with durations and this world's directory made stable.
pub fn events(world: &World, out: &Output) -> String {
    stdout(out)
        .lines()
        .map(|line| {
            let mut event: serde_json::Value = serde_json::from_str(line).expect("every stdout line is JSON");
            for key in ["duration_s", "downtime_s"] {
                if let Some(d) = event.get_mut(key) {
                    assert!(d.as_f64().unwrap() >= 0.0, "{key}: {d}");
                    *d = serde_json::json!("[duration]");
                }
            }
            world.scrub(&[event.to_string()])
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn json_output_is_one_event_per_line_and_nothing_else() {
    let world = World::new();
    world.ps(1, r#"{"Service":"api","Name":"manager-api-1","State":"running","Health":"starting"}"#);
    world.ps(2, r#"{"Service":"api","Name":"manager-api-1","State":"running","Health":"healthy"}"#);
    let out = world.run(&["--yes", "--output", "json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("Step 1/7"), "human text belongs on stderr");
    calls_snapshot!("json_events_done", events(&world, &out));
}

#[test]
fn json_output_ends_with_a_failed_event() {
    let world = World::new();
    let out = world.run(&["--yes", "--output", "json"], &[("FAKE_FAIL", "* down -v")]);
    assert_eq!(out.status.code(), Some(1));
    calls_snapshot!("json_events_failed", events(&world, &out));
    let out = World::new().run(&["--output", "json"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let last: serde_json::Value = serde_json::from_str(stdout(&out).lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "failed");
    assert_eq!(last["exit_code"], 2);
}

#[test]
fn no_color_and_non_terminals_give_plain_text() {
    let world = World::new();
    let forced =
        world.command(&["--dry-run"]).env_remove("NO_COLOR").env("CLICOLOR_FORCE", "1").output().unwrap();
    assert!(stdout(&forced).contains("\x1b["), "CLICOLOR_FORCE gave no colour, so this test proves nothing");
    let piped = world.command(&["--dry-run"]).env_remove("NO_COLOR").output().unwrap();
    assert!(!stdout(&piped).contains('\x1b'), "colour on a pipe");
    let no_color =
        world.command(&["--dry-run"]).env("NO_COLOR", "1").env("CLICOLOR_FORCE", "1").output().unwrap();
    assert!(!stdout(&no_color).contains('\x1b'), "colour despite NO_COLOR");
}

#[test]
fn man_page_and_completions_name_every_option() {
    let longs: Vec<String> =
        Args::command().get_arguments().filter_map(|a| a.get_long()).map(|l| l.to_owned()).collect();
    assert!(longs.len() >= 12, "{longs:?}");
    for what in ["man", "bash", "zsh", "fish"] {
        let out = World::new().run(&["--generate", what], &[]);
        assert_eq!(out.status.code(), Some(0), "{what}: {}", stderr(&out));
        let text = stdout(&out);
        for long in &longs {
            // The man page escapes '-' as '\-'.
            let found = text.contains(&format!("--{long}"))
                || text.contains(&format!("\\-\\-{}", long.replace('-', "\\-")));
            let found = found || (what == "fish" && text.contains(&format!("-l {long}")));
            assert!(found, "{what} lacks --{long}");
        }
    }
}

/// Enabling `osism manager reset` is the administrator's act, for the Debian package's dispatcher:
/// refused to anyone but root, and, from a source build (no packaged dispatcher beside it),
/// pointed at `make install-wrapper`; neither writes anything.
#[test]
fn enabling_the_osism_command_is_roots_and_the_packages() {
    let world = crate::support::World::new();
    world.hand_to_operator();
    let out = world.run_as_operator(&["--enable-osism-command"], &[]);
    let err = crate::support::stderr(&out);
    if crate::support::is_root() {
        assert!(err.contains("run it as root (sudo osism-manager-reset --enable-osism-command)"), "{err}");
        let out = world.run(&["--enable-osism-command"], &[]);
        let err = crate::support::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("this is for the Debian package; from a source checkout, `make install-wrapper`"),
            "{err}"
        );
    } else {
        assert!(err.contains("run it as root"), "{err}");
    }
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!std::path::Path::new("/usr/local/sbin/osism").is_symlink(), "a link was made");
    let out = world.run(&["--operator", "dragon"], &[]);
    assert_eq!(out.status.code(), Some(2), "--operator without --enable-osism-command was taken");
}
