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
    osism_manager_reset::app::generate::write(osism_manager_reset::plan::cli::Generate::Man, &mut man)
        .unwrap();
    let man = String::from_utf8(man).unwrap();
    let variables: Vec<String> = osism_manager_reset::plan::cli::Args::command()
        .get_arguments()
        .filter_map(|a| Some(a.get_env()?.to_string_lossy().into_owned()))
        .chain(
            ["OSISM_MANAGER_RESET_STATE_DIR", "NO_COLOR", "CLICOLOR_FORCE", "TZ", "COLUMNS"]
                .map(String::from),
        )
        .collect();
    assert!(variables.len() >= 12, "{variables:?}");
    for variable in variables {
        assert!(readme.contains(&format!("`{variable}`")), "README.md does not name {variable}");
        assert!(man.contains(&format!("\\fB{variable}\\fR")), "the man page does not name {variable}");
    }
}

/// Every source file of the crate, with its text: `(path relative to src/, text)`.
fn sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut dirs = vec![root().join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root().join("src")).unwrap().display().to_string();
                files.push((rel, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

/// The layers and their rooms, bottom first: a module may use its own room's and those before
/// it. A module is in the longest of these that its path starts with (`run::steps::checks` in
/// `run::steps`, `run::approval` in `run`), so a layer's own files come after its rooms.
const ROOMS: [&str; 15] = [
    "plan",
    "host::osism",
    "host::files",
    "host::process",
    "host::docker",
    "host::system",
    "host",
    "archive",
    "view::plan_text",
    "view",
    "run::record",
    "run::preflight",
    "run::steps",
    "run",
    "app",
];

/// Where `module` stands in `ROOMS`, if it is in any.
fn rank(module: &str) -> Option<usize> {
    let within = |room: &str| module == room || module.starts_with(&format!("{room}::"));
    ROOMS
        .iter()
        .enumerate()
        .filter(|(_, room)| within(room))
        .max_by_key(|(_, room)| room.len())
        .map(|(i, _)| i)
}

/// The module a file is, `layer::name` (`layer` for its mod.rs).
fn module_of(file: &str) -> String {
    file.trim_end_matches(".rs").trim_end_matches("/mod").replace('/', "::")
}

#[test]
fn every_module_says_what_it_owns_and_none_passes_400_lines() {
    for (file, text) in sources() {
        assert!(text.starts_with("//! "), "src/{file} does not open with a //! line saying what it owns");
        let lines = text.lines().count();
        assert!(lines <= 400, "src/{file} has {lines} lines: split it by what it owns");
    }
}

/// A folder is a room a newcomer can name: past a dozen files, it holds more than one thing.
#[test]
fn no_folder_holds_more_than_a_dozen_files() {
    let mut dirs = vec![root().join("src")];
    while let Some(dir) = dirs.pop() {
        let entries: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        let files = entries.iter().filter(|p| p.is_file()).count();
        assert!(files <= 12, "{} holds {files} files: split it into rooms by concept", dir.display());
        dirs.extend(entries.into_iter().filter(|p| p.is_dir()));
    }
}

/// What ended a step is told apart in one place, `run/steps/stop.rs`; elsewhere the code matches on
/// its `Why`, never on an error's type.
#[test]
fn errors_are_told_apart_in_one_place() {
    for (file, text) in sources() {
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        assert!(
            file == "run/steps/stop.rs" || !code.contains("downcast_ref"),
            "src/{file} tells an error apart by its type: add its kind to run::steps::stop::Why"
        );
    }
}

/// A function longer than this does more than one thing a name could say.
const FUNCTION_LINES: usize = 80;

#[test]
fn no_function_passes_80_lines() {
    for (file, text) in sources() {
        for (name, first, lines) in functions(&text) {
            assert!(
                lines <= FUNCTION_LINES,
                "src/{file}:{first}: fn {name} has {lines} lines: split it where a name explains the part"
            );
        }
    }
}

/// Each `fn` in `text` with a body: its name, first line (from 1) and length in lines, from its
/// signature to its closing brace. Braces are counted outside strings, chars and comments.
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        let Some(name) = fn_name(lines[at]) else {
            at += 1;
            continue;
        };
        let (mut depth, mut opened, mut end) = (0i32, false, None);
        for (i, line) in lines.iter().enumerate().skip(at) {
            for brace in code_braces(line) {
                depth += if brace == '{' { 1 } else { -1 };
                opened = true;
            }
            if (opened && depth == 0) || (!opened && line.trim_end().ends_with(';')) {
                end = Some(i);
                break;
            }
        }
        let end = end.unwrap_or(lines.len() - 1);
        if opened {
            found.push((name, at + 1, end - at + 1));
        }
        at = end + 1;
    }
    found
}

/// The name of the function `line` declares, if it declares one.
fn fn_name(line: &str) -> Option<String> {
    let mut words = line
        .split_whitespace()
        .skip_while(|w| w.starts_with("pub") || ["const", "async", "unsafe", "extern"].contains(w));
    (words.next()? == "fn")
        .then(|| words.next().map(|w| w.split(['(', '<']).next().unwrap_or(w).to_owned()))?
}

/// The braces of `line` that are code: not in a string, a char or a `//` comment.
fn code_braces(line: &str) -> Vec<char> {
    let (mut braces, mut in_string, mut chars) = (Vec::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_string => {
                chars.next();
            }
            '"' => in_string = !in_string,
            '\'' if !in_string => {
                // A char literal ('{', '\'') or a lifetime ('a): skip what a literal holds.
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with('\\') {
                    chars.nth(2);
                } else if rest.chars().nth(1) == Some('\'') {
                    chars.nth(1);
                }
            }
            '/' if !in_string && chars.peek() == Some(&'/') => break,
            '{' | '}' if !in_string => braces.push(c),
            _ => {}
        }
    }
    braces
}

/// The code of `text`: its tests (`#[cfg(test)]` on) and `//` comments left out.
fn code_of(text: &str) -> String {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    code.lines()
        .map(|line| {
            let mut in_string = false;
            let mut end = line.len();
            let bytes = line.as_bytes();
            for i in 0..bytes.len() {
                match bytes[i] {
                    b'"' if i == 0 || bytes[i - 1] != b'\\' => in_string = !in_string,
                    b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => {
                        end = i;
                        break;
                    }
                    _ => {}
                }
            }
            &line[..end]
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Where the brace that `text[open]` opens closes (the end of `text` if it does not).
fn closing_brace(text: &str, open: usize) -> usize {
    let mut depth = 0;
    for (i, c) in text[open..].char_indices() {
        depth += match c {
            '{' => 1,
            '}' => -1,
            _ => 0,
        };
        if depth == 0 {
            return open + i;
        }
    }
    text.len()
}

/// `path` with its groups expanded, nested ones too: `a::{b, c::{d, self}}` is `a::b`, `a::c::d`
/// and `a::c`; an alias (`x as y`) is left out of the path.
fn expand(path: &str) -> Vec<String> {
    let Some(open) = path.find('{') else {
        return vec![path.split(" as ").next().unwrap_or(path).trim().trim_end_matches("::").to_owned()];
    };
    let (prefix, close) = (&path[..open], closing_brace(path, open));
    let (inner, mut items, mut start, mut depth) = (&path[open + 1..close], Vec::new(), 0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items
        .into_iter()
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .flat_map(|item| if item == "self" { expand(prefix) } else { expand(&format!("{prefix}{item}")) })
        .collect()
}

/// Every path `module`'s code names, from the crate's root (without `crate::`): `crate::` paths
/// and `use` groups, `super::` ones, and paths through a name a `use` brought in or a child
/// module a mod.rs declares (`facts::euid()` in `run/preflight/mod.rs`). What a mod.rs
/// re-exports (`pub use facts::survey`) is its door, not a use.
fn paths_used(text: &str, module: &str) -> Vec<String> {
    let code = code_of(text);
    let parent = module.rsplit_once("::").map_or("", |(parent, _)| parent).to_owned();
    let mut names: std::collections::BTreeMap<String, String> = Default::default();
    let mut paths = Vec::new();
    let absolute = |path: &str| -> Option<String> {
        let path = path.trim();
        if let Some(rest) = path.strip_prefix("crate::") {
            Some(rest.to_owned())
        } else {
            path.strip_prefix("super::").map(|rest| format!("{parent}::{rest}"))
        }
    };
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    // Each `crate::` or `super::` path, a group with it.
    for prefix in ["crate::", "super::"] {
        for (at, _) in code.match_indices(prefix) {
            if code[..at].ends_with(|c: char| ident(c) || c == ':') {
                continue;
            }
            let rest = &code[at..];
            let mut end = rest.find(|c: char| !(ident(c) || c == ':')).unwrap_or(rest.len());
            if rest[end..].starts_with('{') {
                end = (closing_brace(rest, end) + 1).min(rest.len());
            }
            let statement = &rest[..end];
            for path in expand(&statement.split_whitespace().collect::<Vec<_>>().join(" ")) {
                paths.extend(absolute(&path));
            }
            // A `use` brings its last names in: later `name::` paths go through them.
            if code[..at].trim_end().ends_with("use") {
                // (An alias, `X as Y`, names an item, not a module a path goes through.)
                for path in expand(statement) {
                    let name = path.rsplit("::").next().unwrap_or_default().to_owned();
                    names.extend(absolute(&path).map(|full| (name, full)));
                }
            }
        }
    }
    // A mod.rs's children, by their names.
    if text
        .lines()
        .any(|l| l.trim_start().starts_with("pub mod ") || l.trim_start().starts_with("pub(crate) mod "))
    {
        for line in code.lines().map(str::trim_start) {
            let declared = ["pub mod ", "pub(crate) mod ", "mod "].iter().find_map(|p| line.strip_prefix(p));
            if let Some(child) = declared.and_then(|c| c.strip_suffix(';')) {
                names.insert(child.to_owned(), format!("{module}::{child}"));
            }
        }
    }
    let door = |at: usize| {
        let line_start = code[..at].rfind('\n').map_or(0, |i| i + 1);
        let line = code[line_start..].trim_start();
        line.starts_with("pub use ") || line.starts_with("pub(crate) use ")
    };
    for (name, full) in &names {
        let needle = format!("{name}::");
        for (at, _) in code.match_indices(&needle) {
            if code[..at].ends_with(|c: char| ident(c) || c == ':') || door(at) {
                continue;
            }
            let rest = &code[at + needle.len()..];
            let tail: String = rest.chars().take_while(|c| ident(*c) || *c == ':').collect();
            paths.push(format!("{full}::{tail}").trim_end_matches(':').to_owned());
        }
    }
    paths
}

/// The modules `module`'s code (`text`, its tests left out) uses: each path it names, however
/// written, resolved to the longest prefix that is a module of the crate (`modules`), followed
/// through what mod.rs files re-export (`reexports`: `run::preflight::survey` is
/// `run::preflight::facts`'s, `plan::cli` is `plan::options::cli`).
fn uses(
    text: &str,
    module: &str,
    modules: &std::collections::BTreeSet<String>,
    reexports: &std::collections::BTreeMap<String, String>,
) -> Vec<String> {
    let mut found = Vec::new();
    let paths = paths_used(text, module);
    for path in paths {
        let mut words: Vec<String> = path.split("::").filter(|w| !w.is_empty()).map(String::from).collect();
        // Each re-export taken is one step down the tree, so the walk ends; the bound is for a
        // re-export of itself.
        let mut steps = 0..16;
        let module = loop {
            if steps.next().is_none() {
                break None;
            }
            let Some(known) =
                (1..=words.len()).rev().map(|n| words[..n].join("::")).find(|m| modules.contains(m))
            else {
                break None;
            };
            let depth = known.matches("::").count() + 1;
            match words.get(depth).and_then(|name| reexports.get(&format!("{known}::{name}"))) {
                Some(target) => {
                    let rest = words.split_off(depth + 1);
                    words = target.split("::").map(String::from).chain(rest).collect();
                }
                None => break Some(known),
            }
        };
        found.extend(module);
    }
    found
}

/// What each module re-exports (`pub use facts::{euid, survey};`), by the module that defines
/// it: `run::preflight::survey` -> `run::preflight::facts`, `plan::cli` -> `plan::options::cli`.
fn reexports(files: &[(String, String)]) -> std::collections::BTreeMap<String, String> {
    let mut reexports = std::collections::BTreeMap::new();
    for (file, text) in files {
        let module = module_of(file);
        let code = code_of(text);
        for statement in code.split(';') {
            let Some(line) = statement
                .lines()
                .map(str::trim_start)
                .find(|l| l.starts_with("pub use ") || l.starts_with("pub(crate) use "))
            else {
                continue;
            };
            let used = &statement[statement.find(line).unwrap_or(0)..];
            let used = &used[used.find("use ").unwrap_or(0) + 4..];
            for path in expand(&used.split_whitespace().collect::<Vec<_>>().join(" ")) {
                let name = path.rsplit("::").next().unwrap_or_default();
                let from = match path.strip_prefix("crate::") {
                    Some(path) => path.to_owned(),
                    None => format!("{module}::{path}"),
                };
                reexports.insert(format!("{module}::{name}"), from);
            }
        }
    }
    reexports
}

#[test]
fn a_module_uses_only_its_rooms_and_those_below_and_no_module_cycles() {
    let files = sources();
    let modules: std::collections::BTreeSet<String> = files.iter().map(|(file, _)| module_of(file)).collect();
    let reexports = reexports(&files);
    let mut edges: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for (file, text) in &files {
        let module = module_of(file);
        let Some(own) = rank(&module) else { continue }; // lib.rs, main.rs: above every layer
        for used in uses(text, &module, &modules, &reexports) {
            let room = rank(&used).unwrap_or_else(|| panic!("src/{file} uses crate::{used}, in no room"));
            assert!(
                room <= own,
                "src/{file} ({}) uses crate::{used}, in {}, a room above it",
                ROOMS[own],
                ROOMS[room]
            );
            if used != module {
                edges.entry(module.clone()).or_default().insert(used);
            }
        }
    }
    // A depth-first walk finds a cycle as an edge back to a module still on the path.
    fn walk(
        module: &str,
        edges: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) {
        if let Some(at) = path.iter().position(|m| m == module) {
            panic!("a module cycle: {} -> {module}", path[at..].join(" -> "));
        }
        if !done.insert(module.to_owned()) {
            return;
        }
        path.push(module.to_owned());
        for next in edges.get(module).into_iter().flatten() {
            walk(next, edges, path, done);
        }
        path.pop();
    }
    let mut done = std::collections::BTreeSet::new();
    for module in edges.keys() {
        walk(module, &edges, &mut Vec::new(), &mut done);
    }
    assert!(edges.len() > 40, "the walk saw too few modules to mean anything: {edges:?}");
}

/// The fenced code blocks of `markdown` that hold a command (not the runbook's sample output),
/// their lines trimmed.
fn command_blocks(markdown: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut inside = false;
    for line in markdown.lines() {
        let line = line.trim();
        if line.starts_with("```") {
            inside = !inside;
        } else if inside && !line.is_empty() && !line.starts_with("NAME ") && !line.contains(" ago ") {
            lines.push(line.to_owned());
        }
    }
    lines
}

/// README's copy of the runbook's eight commands is the runbook's, word for word, so that the
/// README stands alone. The runbook is read from the checkout's sibling `shared/`, where the
/// project keeps it; a clone without it has only the README's copy to go by.
#[test]
fn the_readme_holds_the_runbooks_eight_commands_as_the_runbook_prints_them() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = &readme[readme.find("## The runbook").unwrap()..];
    let copied = command_blocks(&section[..section.find("\n## ").unwrap()]);
    let runbook = root().join("../shared/runbook/manager-reset.md");
    // The checkout CI tests always has it beside; a lone clone has only the README's copy.
    let Ok(runbook) = std::fs::read_to_string(&runbook) else { return };
    assert_eq!(copied, command_blocks(&runbook));
    assert!(!readme.contains("shared/"), "README names a file outside the repository");
}

/// Cargo.toml's `rust-version` is what the README tells operators to have, and no dependency
/// asks for a newer Rust than it says.
#[test]
fn the_rust_version_the_readme_names_is_cargos_and_covers_every_dependency() {
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(root().join("Cargo.toml")).unwrap()).unwrap();
    let ours = manifest["package"]["rust-version"].as_str().unwrap().to_owned();
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.contains(&format!("with Rust {ours} or newer")), "README does not name Rust {ours}");
    let version = |v: &str| v.split('.').map(|n| n.parse::<u32>().unwrap()).collect::<Vec<_>>();
    // The tool runs on Linux hosts only; offline, cargo has only the packages their build needs
    // (the Windows ones a plain `cargo metadata` asks for are never fetched on a fresh machine).
    #[allow(clippy::disallowed_methods)] // rustc and cargo are tools of the test
    let host = std::process::Command::new("rustc").arg("-vV").output().unwrap();
    let host = String::from_utf8(host.stdout).unwrap();
    let host = host.lines().find_map(|l| l.strip_prefix("host: ")).unwrap().to_owned();
    #[allow(clippy::disallowed_methods)]
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--offline", "--locked", "--filter-platform", &host])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for package in metadata["packages"].as_array().unwrap() {
        let Some(needs) = package["rust_version"].as_str() else { continue };
        assert!(
            version(needs) <= version(&ours),
            "{} {} needs Rust {needs}, newer than the rust-version {ours}",
            package["name"],
            package["version"]
        );
    }
}

/// The rows of the Markdown table under `heading` in `text`, cells trimmed, the header left out:
/// split at each `|` but an escaped one (`--output text\|json`), so that an empty cell is one.
pub(crate) fn table_rows(text: &str, heading: &str) -> Vec<Vec<String>> {
    let section = &text[text.find(heading).unwrap_or_else(|| panic!("no {heading}"))..];
    section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            let l = l.replace("\\|", "\u{0}");
            l.trim_matches('|').split('|').map(|c| c.trim().replace('\u{0}', "\\|")).collect()
        })
        .collect()
}

/// README's exit codes and files are `plan::manual`'s, which `--help` and the man page are made
/// from: the three say the same.
#[test]
fn readme_help_and_man_page_tell_the_same_exit_codes_and_files() {
    use osism_manager_reset::plan::manual::{EXIT_CODES, FILES, SEE_ALSO, plain};
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let codes: Vec<Vec<String>> =
        EXIT_CODES.iter().map(|(c, m)| vec![c.to_string(), m.to_string()]).collect();
    let files: Vec<Vec<String>> = FILES.iter().map(|(f, w)| vec![format!("`{f}`"), w.to_string()]).collect();
    let table =
        |rows: &[Vec<String>]| rows.iter().map(|r| format!("| {} |", r.join(" | "))).collect::<Vec<_>>();
    assert_eq!(
        table_rows(&readme, "## Exit codes"),
        codes,
        "README's exit codes, as they should be:\n{}",
        table(&codes).join("\n")
    );
    assert_eq!(
        table_rows(&readme, "## Files"),
        files,
        "README's files, as they should be:\n{}",
        table(&files).join("\n")
    );
    let mut man = Vec::new();
    osism_manager_reset::app::generate::write(osism_manager_reset::plan::cli::Generate::Man, &mut man)
        .unwrap();
    let man = String::from_utf8(man).unwrap().replace("\\-", "-").replace("\\*(Aq", "'");
    for section in ["EXIT STATUS", "FILES", "SEE ALSO", "ENVIRONMENT", "SYNOPSIS"] {
        assert!(
            man.contains(&format!(".SH \"{section}\"")) || man.contains(&format!(".SH {section}\n")),
            "no {section}"
        );
    }
    for (code, meaning) in EXIT_CODES {
        assert!(
            man.contains(&format!("\\fB{code}\\fR\n{}", plain(meaning))),
            "the man page lacks exit code {code}"
        );
    }
    for (file, _) in FILES {
        assert!(man.contains(&format!("\\fB{file}\\fR")), "the man page lacks {file}");
    }
    assert!(man.contains(&SEE_ALSO.join(", ")));
    assert!(man.contains("[\\fB--save-plan\\fR \\fIFILE\\fR]"), "the synopsis shows no arguments");
    use clap::CommandFactory;
    let help = osism_manager_reset::plan::cli::Args::command().render_long_help().to_string();
    for (code, _) in EXIT_CODES {
        assert!(help.contains(&format!("\n  {code:<4} ")), "--help lacks exit code {code}");
    }
}
