//! The plugin dispatcher (`wrapper/osism`, installed as sbin/osism) in front of a stand-in for
//! OSISM's own wrapper (`fakes/osism-wrapper.sh`, at bin/osism): every command that is no plugin
//! reaches OSISM's wrapper exactly as if the dispatcher were not there.

use std::fs;
use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use osism_manager_reset::plan::quote;

use crate::support::{OutputRetrying, World, stderr, stdout};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A world with the dispatcher in sbin/, OSISM's wrapper stand-in in local/bin/, and, when
/// `plugin`, the plugin's program on PATH with its manifest installed.
fn world(plugin: bool) -> World {
    let world = World::new();
    for dir in ["sbin", "local/bin", "plugins"] {
        fs::create_dir_all(world.path().join(dir)).unwrap();
    }
    fs::copy(root().join("wrapper/osism"), dispatcher(&world)).unwrap();
    fs::copy(root().join("tests/it/fakes/osism-wrapper.sh"), osism_wrapper(&world)).unwrap();
    symlink(world.fake("osism"), world.bin_dir().join("osism-update-docker")).unwrap();
    symlink(env!("CARGO_BIN_EXE_osism-manager-reset"), world.bin_dir().join("osism-manager-reset")).unwrap();
    if plugin {
        fs::copy(root().join("plugin.toml"), world.path().join("plugins/manager-reset.toml")).unwrap();
    }
    world
}

fn dispatcher(world: &World) -> PathBuf {
    world.path().join("sbin/osism")
}

fn osism_wrapper(world: &World) -> PathBuf {
    world.path().join("local/bin/osism")
}

/// `osism ARGS` as the operator's shell finds it: the dispatcher first on PATH when `dispatched`,
/// else OSISM's wrapper alone.
fn osism(world: &World, dispatched: bool, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut path = vec![world.path().join("local/bin"), world.bin_dir(), world.path().join("sys")];
    if dispatched {
        path.insert(0, world.path().join("sbin"));
    }
    let path = std::env::join_paths(path).unwrap();
    let mut command = world.in_world("osism");
    command
        .args(args)
        .env("PATH", &path)
        .env("WRAPPER_LOG", world.path().join("wrapper.log"))
        .env("OSISM_PLUGIN_DIRS", world.path().join("plugins"))
        .env_remove("INTERACTIVE")
        .env_remove("PARAMETERS")
        .env_remove("OSISM_APPLY_RETRY")
        .env_remove("OSISM_RETRY")
        .envs(env.iter().copied());
    command
}

/// What OSISM's wrapper saw and did: its record, and the calls of the programs it ran.
fn seen(world: &World) -> String {
    let record = fs::read_to_string(world.path().join("wrapper.log")).unwrap_or_default();
    let calls: Vec<String> = world.calls().iter().map(|argv| quote::join(argv)).collect();
    let _ = fs::remove_file(world.path().join("wrapper.log"));
    world.clear_calls();
    format!("{record}{}", calls.join("\n"))
}

/// The same command with the dispatcher in front and without: what OSISM's wrapper records.
fn both_ways(world: &World, run: impl Fn(bool) -> Output) -> (String, String, Output) {
    let direct = run(false);
    let direct_seen = seen(world);
    let dispatched = run(true);
    let dispatched_seen = seen(world);
    assert_eq!(dispatched.status.code(), direct.status.code());
    assert_eq!(stdout(&dispatched), stdout(&direct));
    (direct_seen, dispatched_seen, dispatched)
}

type Args = &'static [&'static str];
type Env = &'static [(&'static str, &'static str)];

#[test]
fn every_other_command_reaches_osisms_wrapper_unchanged() {
    let world = world(false);
    let commands: &[(Args, Env)] = &[
        (&["apply", "facts"], &[]),
        (&["update", "docker"], &[]),
        (&["update", "manager"], &[]),
        (&["get", "versions", "manager"], &[]),
        (&["manager", "reset", "--dry-run"], &[]),
        (&["apply", "-e", "a b", "facts", "it's"], &[]),
        (&["apply", "facts"], &[("INTERACTIVE", "true"), ("PARAMETERS", "--user dragon")]),
        (&["apply", "facts"], &[("INTERACTIVE", ""), ("PARAMETERS", "")]),
        (&["apply", "facts"], &[("OSISM_APPLY_RETRY", "3"), ("OSISM_RETRY", "2")]),
        (&["apply", "facts"], &[("OSISM_APPLY_RETRY", ""), ("OSISM_RETRY", "")]),
        (&[], &[]),
    ];
    for (args, env) in commands {
        let (direct, dispatched, out) = both_ways(&world, |d| osism(&world, d, args, env).output_retrying());
        assert!(!direct.is_empty(), "{args:?}: OSISM's wrapper recorded nothing");
        assert_eq!(dispatched, direct, "{args:?} {env:?}: {}", stderr(&out));
    }
}

#[test]
fn a_terminal_reaches_osisms_wrapper_as_a_terminal() {
    let world = world(false);
    let at_terminal = |dispatched: bool| {
        let command = osism(&world, dispatched, &[], &[]);
        let path = command.get_envs().find(|(k, _)| *k == "PATH").unwrap().1.unwrap().to_owned();
        let mut script = world.in_world("/usr/bin/script");
        script
            .args(["--quiet", "--return", "--command", "osism apply facts", "/dev/null"])
            .env("PATH", path)
            .env("SHELL", "/bin/sh")
            .env("WRAPPER_LOG", world.path().join("wrapper.log"))
            .env("OSISM_PLUGIN_DIRS", world.path().join("plugins"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        let mut child = script.spawn().unwrap();
        child.stdin.take().unwrap().write_all(b"").unwrap();
        child.wait_with_output().unwrap()
    };
    let direct = at_terminal(false);
    let direct_seen = seen(&world);
    let dispatched = at_terminal(true);
    let dispatched_seen = seen(&world);
    assert_eq!(dispatched.status.code(), direct.status.code());
    assert!(direct_seen.contains("terminals 012"), "{direct_seen}");
    assert!(direct_seen.contains("docker exec -i -t osismclient osism apply facts"), "{direct_seen}");
    assert_eq!(dispatched_seen, direct_seen);
}

#[test]
fn osism_manager_reset_runs_the_plugin_on_the_host() {
    let world = world(true);
    let out = osism(&world, true, &["manager", "reset", "--dry-run"], &[]).output_retrying();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("Step 3/7: Delete the manager service"), "{}", stdout(&out));
    // The plugin's own preflight asks `osism vault check`; `manager reset` itself never went there.
    let record = fs::read_to_string(world.path().join("wrapper.log")).unwrap_or_default();
    assert!(!record.contains("manager\x1freset"), "OSISM's wrapper got `manager reset`: {record}");
    assert!(
        !world
            .calls()
            .iter()
            .any(|argv| argv[..2] == ["docker", "exec"] && argv.contains(&"reset".to_owned())),
        "went to the container"
    );
    // Its exit code is osism's.
    let out = osism(&world, true, &["manager", "reset", "--frobnicate"], &[]).output_retrying();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_plugin_survives_osism_update_manager_rewriting_its_wrapper() {
    let world = world(true);
    // What `osism update manager` does: OSISM's role writes its wrapper anew.
    fs::remove_file(osism_wrapper(&world)).unwrap();
    fs::copy(root().join("tests/it/fakes/osism-wrapper.sh"), osism_wrapper(&world)).unwrap();
    let out = osism(&world, true, &["manager", "reset", "--dry-run"], &[]).output_retrying();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("Step 3/7"), "{}", stdout(&out));
    let out = osism(&world, true, &["apply", "facts"], &[]).output_retrying();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(seen(&world).contains("docker exec -i osismclient osism apply facts"));
}

#[test]
fn without_osisms_wrapper_the_dispatcher_says_so_and_exits_127() {
    let world = world(true);
    fs::remove_file(osism_wrapper(&world)).unwrap();
    // The fakes' own `osism` stands in bin/ too: take it away, so that none but the dispatcher is left.
    fs::remove_file(world.bin_dir().join("osism")).unwrap();
    let out = osism(&world, true, &["apply", "facts"], &[]).output_retrying();
    assert_eq!(out.status.code(), Some(127));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("osism: no osism on PATH besides the plugin dispatcher"), "{err}");
    // A link to the dispatcher is the dispatcher, not another osism: no loop.
    symlink(dispatcher(&world), osism_wrapper(&world)).unwrap();
    let out = osism(&world, true, &["apply", "facts"], &[]).output_retrying();
    assert_eq!(out.status.code(), Some(127), "{}", stderr(&out));
    // The plugin still runs.
    let out = osism(&world, true, &["manager", "reset", "--dry-run"], &[]).output_retrying();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn plugin_list_names_the_installed_plugins() {
    let world = world(true);
    let out = osism(&world, true, &["plugin", "list"], &[]).output_retrying();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let line =
        text.lines().find(|l| l.starts_with("osism manager reset")).unwrap_or_else(|| panic!("{text}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words[3..6], ["osism-manager-reset", env!("CARGO_PKG_VERSION"), "yes"], "{line}");
    assert!(line.ends_with("without ever losing the /share volume"), "{line}");
    assert!(!world.path().join("wrapper.log").exists(), "answered by OSISM's wrapper");
    fs::remove_file(world.bin_dir().join("osism-manager-reset")).unwrap();
    let text = stdout(&osism(&world, true, &["plugin", "list"], &[]).output_retrying());
    assert!(text.lines().any(|l| l.starts_with("osism manager reset") && l.contains(" no ")), "{text}");
}

#[test]
fn make_install_and_uninstall_leave_no_file_behind() {
    let world = World::new();
    let destdir = world.path().join("destdir");
    let generated = world.path().join("generated");
    fs::create_dir_all(&generated).unwrap();
    let bin = env!("CARGO_BIN_EXE_osism-manager-reset");
    for (what, file) in [
        ("man", "osism-manager-reset.1"),
        ("bash", "osism-manager-reset.bash"),
        ("zsh", "_osism-manager-reset"),
        ("fish", "osism-manager-reset.fish"),
    ] {
        let out = world.command(&["--generate", what]).output_retrying();
        fs::write(generated.join(file), out.stdout).unwrap();
    }
    let make = |targets: &[&str]| {
        #[allow(clippy::disallowed_methods)] // make is the tool under test
        let out = Command::new("make")
            .args(["--no-print-directory", "-o", "build"])
            .args(targets)
            .arg(format!("DESTDIR={}", destdir.display()))
            .arg(format!("RELEASE={bin}"))
            .arg(format!("GENERATED={}", generated.display()))
            .current_dir(root())
            .output()
            .unwrap();
        assert!(out.status.success(), "make {targets:?}: {}", stderr(&out));
    };
    make(&["install", "install-wrapper"]);
    let installed = files(&destdir);
    for file in [
        "usr/local/bin/osism-manager-reset",
        "usr/local/sbin/osism",
        "usr/local/share/osism/plugins/manager-reset.toml",
        "usr/local/share/man/man1/osism-manager-reset.1",
        "usr/local/share/bash-completion/completions/osism",
        "usr/local/share/zsh/site-functions/_osism",
    ] {
        assert!(installed.iter().any(|f| f.ends_with(file)), "{file} not in {installed:?}");
    }
    assert_eq!(installed.len(), 9, "{installed:?}");
    make(&["uninstall"]);
    assert_eq!(files(&destdir), Vec::<String>::new());
}

/// Files and links below `dir`.
fn files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).into_iter().flatten() {
            let path = entry.unwrap().path();
            if path.is_dir() && !path.is_symlink() {
                stack.push(path);
            } else {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

/// The plugin started through the dispatcher with no OSISM wrapper after it: `osism` is on
/// PATH, but it is the dispatcher, and every osism command of step 7 would exit 127 after
/// `down -v`. Preflight sees that `osism vault check` cannot run at all and refuses.
#[test]
fn without_an_osism_after_the_dispatcher_the_reset_refuses_before_anything_changes() {
    let world = world(true);
    fs::remove_file(osism_wrapper(&world)).unwrap();
    fs::remove_file(world.bin_dir().join("osism")).unwrap();
    let before = world.share_listing();
    let out = osism(&world, true, &["manager", "reset", "--yes"], &[]).output_retrying();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("osism cannot run (exit status: 127"), "{err}");
    assert!(err.contains("no osism on PATH besides the plugin dispatcher"), "{err}");
    assert!(world.runbook_calls().is_empty(), "ran {:?}", world.runbook_calls());
    assert_eq!(world.share_listing(), before);
}

/// `osism manager reset <TAB>` in bash, through the completion the package installs for
/// `osism`: this tool's options where `osism` is the dispatcher, nothing of them where it is
/// not, and every other word left to the completion `osism` had before.
#[test]
fn osism_manager_reset_tab_completes_this_tools_options_and_leaves_the_rest_to_osism() {
    let world = world(true);
    let complete = |path: &Path, line: &str| -> Vec<String> {
        let script = format!(
            "source <(osism-manager-reset --generate bash)\n\
             before() {{ COMPREPLY=(apply sync); }}\ncomplete -F before osism\n\
             source '{}'\n\
             COMP_LINE={line:?}; read -r -a COMP_WORDS <<< \"$COMP_LINE\"\n\
             [ \"${{COMP_LINE: -1}}\" = ' ' ] && COMP_WORDS+=('')\n\
             COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))\n\
             _osism_plugin_complete osism \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD - 1]}}\"\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
            root().join("packaging/completion/osism.bash").display()
        );
        let mut bash = world.in_world("/bin/bash");
        bash.args(["-c", &script])
            .env("PATH", format!("{}:{}:/usr/bin:/bin", path.display(), world.bin_dir().display()));
        let out = bash.output().unwrap();
        assert!(out.status.success(), "{line}: {}", stderr(&out));
        stdout(&out).lines().filter(|l| !l.is_empty()).map(String::from).collect()
    };
    let sbin = world.path().join("sbin");
    assert_eq!(complete(&sbin, "osism manager reset --dry"), ["--dry-run"]);
    assert_eq!(complete(&sbin, "osism manager reset --restore-"), ["--restore-from", "--restore-sha256"]);
    assert_eq!(complete(&sbin, "osism manager re"), ["apply", "sync", "reset"]);
    assert_eq!(
        complete(&sbin, "osism ap"),
        ["apply", "sync"],
        "OSISM's own words are not OSISM's completion's"
    );
    // OSISM's wrapper first on PATH: the plugin is not there to complete.
    assert_eq!(complete(&world.path().join("local/bin"), "osism manager reset --dry"), ["apply", "sync"]);
    let zsh = root().join("packaging/completion/_osism");
    assert!(fs::read_to_string(zsh).unwrap().starts_with("#compdef osism\n"));
}

/// The zsh completion for `osism` hands `manager reset`'s words to this tool's completion,
/// shifted as if `osism-manager-reset` had been typed, and leaves the rest to zsh's defaults.
/// Run with the completion system's functions stood in for, which only a terminal can drive;
/// CI installs zsh (`.ci/run`).
#[test]
fn osism_manager_reset_tab_in_zsh_is_this_tools_completion() {
    let Ok(zsh) = which::which("zsh") else { return };
    let script = "_osism-manager-reset() { print -r -- \"ours: ${(j: :)words} CURRENT=$CURRENT\" }\n\
                  _default() { print -r -- default }\ncompadd() { print -r -- \"compadd $*\" }\n\
                  words=(osism manager reset --dry); CURRENT=4; source \"$1\"\n\
                  words=(osism manager re); CURRENT=3; source \"$1\"\n\
                  words=(osism ap); CURRENT=2; source \"$1\"\n";
    let file = root().join("packaging/completion/_osism");
    let out = World::new().in_world(zsh).args(["-f", "-c", script, "zsh"]).arg(&file).output().unwrap();
    assert_eq!(
        stdout(&out),
        "ours: osism-manager-reset --dry CURRENT=2\ncompadd reset\ndefault\n",
        "{}",
        stderr(&out)
    );
}
