//! Housekeeping as tests: formatting, the plugin manifest, no pending snapshots.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn plugin_manifest_matches_the_crate() {
    let text = std::fs::read_to_string(root().join("plugin.toml")).unwrap();
    let manifest: toml::Table = toml::from_str(&text).expect("plugin.toml is TOML");
    assert_eq!(manifest["version"].as_str(), Some(env!("CARGO_PKG_VERSION")));
    let binary = Path::new(env!("CARGO_BIN_EXE_osism-manager-reset")).file_name().unwrap();
    assert_eq!(manifest["executable"].as_str(), binary.to_str());
    assert_eq!(
        manifest["command"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect::<Vec<_>>(),
        ["manager", "reset"]
    );
    assert_eq!(manifest["runs-on"].as_str(), Some("manager-host"));
}

#[test]
fn code_is_formatted() {
    #[allow(clippy::disallowed_methods)] // rustfmt is a tool of the test, not of the reset
    let out = std::process::Command::new(env!("CARGO"))
        .args(["fmt", "--check"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(out.status.success(), "run `cargo fmt`:\n{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn no_pending_snapshots() {
    let pending: Vec<_> = std::fs::read_dir(root().join("snapshots"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".snap.new"))
        .map(|e| e.file_name())
        .collect();
    assert!(pending.is_empty(), "review with `make snapshots`: {pending:?}");
}

#[test]
fn readme_and_man_page_name_every_environment_variable() {
    use clap::CommandFactory;
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut man = Vec::new();
    osism_manager_reset::generate::write(osism_manager_reset::cli::Generate::Man, &mut man).unwrap();
    let man = String::from_utf8(man).unwrap();
    let variables: Vec<String> = osism_manager_reset::cli::Args::command()
        .get_arguments()
        .filter_map(|a| Some(a.get_env()?.to_string_lossy().into_owned()))
        .chain(["OSISM_MANAGER_RESET_STATE_DIR", "NO_COLOR", "CLICOLOR_FORCE", "TZ"].map(String::from))
        .collect();
    assert!(variables.len() >= 12, "{variables:?}");
    for variable in variables {
        assert!(readme.contains(&format!("`{variable}`")), "README.md does not name {variable}");
        assert!(man.contains(&format!("\\fB{variable}\\fR")), "the man page does not name {variable}");
    }
}
