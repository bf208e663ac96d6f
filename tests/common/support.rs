//! Test helpers of the fake-binary suite: inputs for the planner, and a scratch world in which
//! the built binary runs against stand-ins (`tests/it/fakes`, one program each) for sudo,
//! systemctl, docker and osism; what the tool tells the operator to type, typed.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use camino::Utf8Path;
use clap::Parser;
use osism_manager_reset::plan::cli::{Args, Sources};
use osism_manager_reset::plan::config::Config;
use osism_manager_reset::plan::quote;
use osism_manager_reset::plan::{
    self, AnonymousVolume, Facts, Inputs, Plan, Service, ShareSize, Vault, VaultState, Volumes,
};
use time::macros::date;

/// Snapshots live in the top-level `snapshots/` folder, whatever module asserts them.
#[macro_export]
macro_rules! snapshot {
    ($name:expr, $value:expr) => {{
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| insta::assert_snapshot!($name, $value));
    }};
}

/// A snapshot of a run of the binary, which names files after today's date: the date is
/// written `[DATE]` so that the snapshot holds on any day, and checksums `[SHA256]`.
#[macro_export]
macro_rules! run_snapshot {
    ($name:expr, $value:expr) => {{
        let mut settings = insta::Settings::clone_current();
        settings.add_filter(r"\b20\d{6}\b", "[DATE]");
        // The archive holds the fixture's mtimes, so its checksum differs on every run.
        settings.add_filter(r"\b[0-9a-f]{64}\b", "[SHA256]");
        // As this machine's disk has it.
        settings.add_filter(r"\(\d+\.\d [GM]iB free there\)", "([FREE] free there)");
        settings.add_filter(r#""(free_kib|kib)": \d+"#, r#""$1": [KIB]"#);
        settings.bind(|| $crate::snapshot!($name, $value));
    }};
}

/// A snapshot of the calls or events of a run, which hold `sudo` before `systemctl` unless the
/// tests run as root: written without it, so that one snapshot holds for both (the dry-run
/// snapshots pin `sudo` for each user).
#[macro_export]
macro_rules! calls_snapshot {
    ($name:expr, $value:expr) => {{
        let mut settings = insta::Settings::clone_current();
        settings.add_filter(r"\bsudo systemctl", "systemctl");
        settings.bind(|| $crate::run_snapshot!($name, $value));
    }};
}

/// The plan for `argv`, run by `euid` in `cwd` on 2024-05-06.
pub fn plan_for(argv: &[&str], euid: u32, cwd: &str) -> Plan {
    plan_with(argv, euid, cwd, |_| {})
}

/// The plan for `argv`, run by `euid` in `cwd` on 2024-05-06, from the facts `edit` leaves.
pub fn plan_with(argv: &[&str], euid: u32, cwd: &str, edit: impl FnOnce(&mut Facts)) -> Plan {
    plan::build(&inputs_with(argv, euid, cwd, edit))
}

/// What the planner reads for `argv`, run by `euid` in `cwd` on 2024-05-06: the options
/// checked, and the facts `edit` leaves.
pub fn inputs_with(argv: &[&str], euid: u32, cwd: &str, edit: impl FnOnce(&mut Facts)) -> Inputs {
    let args = Args::try_parse_from(std::iter::once("osism-manager-reset").chain(argv.iter().copied()))
        .expect("test arguments parse");
    let config =
        Config::new(args, Utf8Path::new(cwd), &Sources::default()).expect("test arguments are valid");
    let service = match &config.options.service {
        Some(unit) => Service::new(unit.clone(), "given by --service"),
        None => Service::new("docker-compose@manager.service", "the runbook's unit"),
    };
    let volumes = Volumes {
        named: vec!["manager_mariadb".into(), "manager_share".into()],
        anonymous: vec![AnonymousVolume { service: "redis".into(), volume: REDIS_DATA.into() }],
        kept: Vec::new(),
        vault: Vec::new(),
        bind_mounts: vec!["/opt/configuration".into(), "/opt/state/ara-server".into()],
        keys: [("manager_mariadb", "mariadb"), ("manager_share", "share")]
            .map(|(real, key)| (real.to_owned(), key.to_owned()))
            .into(),
    };
    let mut facts = Facts {
        date: date!(2024 - 05 - 06),
        euid,
        project: "manager".into(),
        service,
        volumes: Some(volumes),
        // Configured for unattended runs: environments/.vault_pass serves the password.
        vault: Vault {
            state: VaultState::NoKeyFile,
            detail: "osism vault check: FAILED: keyfile_missing".into(),
            vault_pass: true,
        },
        terminal: false,
        share: Some(ShareSize { entries: 10_118, kib: 20_700, files_of_value: Some(10_000) }),
        free_kib: Some(41_943_040),
        image_missing: false,
        image_id: Some("sha256:0b1c2d3e".to_owned()),
        sudo_asks: false,
        kolla_ansible: false,
        share_missing: false,
        restore: None,
        images: Vec::new(),
        forecast: None,
        exposed: Vec::new(),
        earlier_reset: None,
        kept: Vec::new(),
    };
    edit(&mut facts);
    Inputs { options: config.options, facts }
}

/// Every display line of `plan`, in the order they run.
pub fn display_lines(plan: &Plan) -> impl Iterator<Item = &str> {
    plan.steps.iter().flat_map(|s| &s.commands).map(|c| c.display.as_str())
}

/// The anonymous volume the fake redis container holds at /data.
pub const REDIS_DATA: &str = "0f9e8d7c6b5a49382716059483726150f9e8d7c6b5a49382716059483726150a";

/// A scratch world: fakes first on PATH, a compose project, the modelled share volume, a
/// backup directory, and the log of every call the fakes received.
pub struct World {
    pub root: tempfile::TempDir,
}

/// The programs `tests/it/fakes` stands in for, one stand-in each (their shared part is
/// `fakes/common.sh`).
const STAND_INS: [&str; 6] = ["sudo", "runuser", "systemctl", "journalctl", "docker", "osism"];

/// What the fakes themselves need from the host.
const SYSTEM_TOOLS: [&str; 35] = [
    "base64",
    "bash",
    "basename",
    "cat",
    "chmod",
    "cp",
    "cut",
    "date",
    "dd",
    "du",
    "find",
    "grep",
    "gzip",
    "head",
    "install",
    "id",
    "jq",
    "kill",
    "ls",
    "mkdir",
    "mv",
    "od",
    "readlink",
    "rm",
    "sed",
    "sha256sum",
    "sleep",
    "sort",
    "stat",
    "tail",
    "tar",
    "touch",
    "tr",
    "truncate",
    "wc",
];

/// Preflight's measurement of /share, the one script a read-only container may run.
pub const MEASURE_SHARE: &str = "find /share -type d -print0 -o -path /share/known_hosts -print0 -o -path \
/share/ansible-execution-history.json -print0 -o -print | tr -dc '\\n\\000' | wc -lc && du -sk /share";

/// Calls that only ask and change nothing, in the exact shapes the tool asks them: anything
/// else (`docker volume rm`, `docker kill`, a `docker run` that mounts /share writable) is a
/// change, and "nothing ran" assertions see it.
pub fn is_query(argv: &[String]) -> bool {
    let words: Vec<&str> = argv.iter().map(String::as_str).collect();
    let read_only_share = |mount: &str| {
        mount.starts_with("source=")
            && (mount.ends_with(",target=/share,readonly") || mount.ends_with(",target=/volume,readonly"))
    };
    match words.as_slice() {
        ["systemctl", "is-active" | "is-enabled" | "is-failed", "--quiet", _] => true,
        ["systemctl", "show", "--property=ExecStartPre,ExecStart,User,WorkingDirectory", _] => true,
        [
            "docker",
            "inspect",
            "--format",
            "{{index .Config.Labels \"com.docker.compose.service\"}} {{.Image}}",
            ids @ ..,
        ] => !ids.is_empty() && ids.iter().all(|id| !id.starts_with('-')),
        ["docker", "compose", "version", "--short"] => true,
        ["docker", "compose", "--project-directory", _, "config", "--format", "json"] => true,
        ["docker", "compose", "--project-directory", _, "ps", "--all", "--format", "json"] => true,
        ["docker", "compose", "--project-directory", _, "ps", "--all"] => true,
        ["journalctl", "--unit", _, "--lines", "20", "--no-pager"] => true,
        ["docker", "inspect", "--format", format, ids @ ..]
            if *format
                == "{{.Id}}{{range .Mounts}}{{if eq .Destination \"/share\"}} {{.Name}}{{end}}{{end}}" =>
        {
            !ids.is_empty() && ids.iter().all(|id| !id.starts_with('-'))
        }
        ["docker", "inspect", "--format", "{{.Id}} {{.State.FinishedAt}}", ids @ ..] => {
            !ids.is_empty() && ids.iter().all(|id| !id.starts_with('-'))
        }
        ["docker", "inspect", ids @ ..] => !ids.is_empty() && ids.iter().all(|id| !id.starts_with('-')),
        ["docker", "volume", "ls", "--quiet"] => true,
        ["docker", "volume", "ls", "--quiet", "--filter", filter] => filter.starts_with("label="),
        ["docker", "volume", "inspect", volume] => !volume.starts_with('-'),
        ["docker", "volume", "inspect", "--format", _, volume] => !volume.starts_with('-'),
        ["docker", "ps", "--quiet", "--filter", "volume=/backup", "--filter", ancestor] => {
            ancestor.starts_with("ancestor=")
        }
        ["docker", "ps", "--all", "--no-trunc", rest @ .., "--format", _] => rest
            .chunks(2)
            .all(|pair| pair.len() == 2 && pair[0] == "--filter" && pair[1].starts_with("volume=")),
        ["docker", "ps", "--all", "--quiet", "--filter", label, "--filter", volume] => {
            *label == "label=org.osism.manager-reset.read-back" && volume.starts_with("volume=")
        }
        ["docker", "image", "inspect", "--format", "{{.Id}}" | "{{json .RepoDigests}}", image] => {
            !image.starts_with('-')
        }
        [
            "docker",
            "ps",
            "--no-trunc",
            "--filter",
            volume,
            "--filter",
            "status=running",
            "--filter",
            label,
            "--format",
            "{{.ID}}",
        ] => {
            volume.starts_with("volume=")
                && label.starts_with("label=com.docker.compose.project.working_dir=")
        }
        ["docker", "exec", "--user", "0", id, "sh", "-c", script] => {
            !id.starts_with('-') && *script == MEASURE_SHARE
        }
        [
            "docker",
            "run",
            "--rm",
            "--pull=never",
            "--network",
            "none",
            "--mount",
            mount,
            "--label",
            label,
            _,
            "sh",
            "-c",
            script,
        ] => {
            read_only_share(mount)
                && label.starts_with("org.osism.manager-reset.measure=")
                && *script == MEASURE_SHARE
        }
        [
            "docker",
            "run",
            "--rm",
            "--pull=never",
            "--network",
            "none",
            "--mount",
            mount,
            "--label",
            label,
            "--volume",
            _,
            _,
            "tar",
            "-cf",
            fifo,
            "/share" | "/volume",
        ] => {
            read_only_share(mount)
                && label.starts_with("org.osism.manager-reset.read-back=")
                && *fifo == "/backup/.osism-manager-reset-share.fifo"
        }
        ["osism", "vault", "check", "--format", "script"] => true,
        ["sudo", "-n", "-l", "systemctl", "stop" | "start", _] => true,
        ["sudo", "-n", "-v"] => true,
        _ => false,
    }
}

impl World {
    pub fn new() -> World {
        let root = tempfile::Builder::new().prefix("omr-").tempdir().expect("temp dir");
        let world = World { root };
        for dir in
            [world.bin_dir(), world.sys_dir(), world.backup_dir(), world.project(), world.state().join("ps")]
        {
            fs::create_dir_all(dir).unwrap();
        }
        // Copies, so that a test running as another user can read them wherever the checkout is;
        // linked into bin/, where a test may remove one.
        fs::create_dir_all(world.path().join("fakes")).unwrap();
        let fakes = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fakes");
        fs::copy(fakes.join("common.sh"), world.path().join("fakes/common.sh")).unwrap();
        for name in STAND_INS {
            fs::copy(fakes.join(name), world.fake(name)).unwrap();
            symlink(world.fake(name), world.bin_dir().join(name)).unwrap();
        }
        // Only these host tools, so that a real systemctl or docker can never answer a test.
        for tool in SYSTEM_TOOLS {
            let found = ["/usr/bin", "/bin"].iter().map(|d| Path::new(d).join(tool)).find(|p| p.exists());
            symlink(found.unwrap_or_else(|| panic!("{tool} is not installed")), world.sys_dir().join(tool))
                .unwrap();
        }
        fs::write(world.project().join("compose.yaml"), "services: {}\n").unwrap();
        // Configured for unattended runs, as a manager driven from CI is: the vault password in
        // the configuration repository, for every Ansible run (see `stand_ins`).
        fs::create_dir_all(world.configuration().join("environments")).unwrap();
        fs::write(world.configuration().join("environments/.vault_pass"), "vault password\n").unwrap();
        // As on a manager since 2024: share and mariadb named, redis's /data anonymous.
        world.set_state("declared", "manager_mariadb\nmanager_share\n");
        world.set_state(
            "mounts",
            "mariadb mariadb /var/lib/mysql\nredis - /data\nosism-ansible share /share\nosismclient share /share\n",
        );
        world.set_state("anonymous", &format!("redis {REDIS_DATA}\n"));
        world.set_state("volumes", &format!("manager_mariadb\nmanager_share\n{REDIS_DATA}\n"));
        world.set_state("labelled", "manager_mariadb\nmanager_share\n");
        world.set_state("up", "");
        world.set_state("working_dir", world.project().to_str().unwrap());
        world.fill_share();
        world.fill_volume(
            "manager_mariadb",
            &[("ibdata1", "InnoDB system tablespace"), ("ara/playbooks.ibd", "3 playbooks")],
        );
        world
    }

    /// Gives the named volume `volume` (not the share volume) these files, as a container sees
    /// it at /volume.
    pub fn fill_volume(&self, volume: &str, files: &[(&str, &str)]) {
        let root = self.state().join("kept").join(volume).join("volume");
        for (name, text) in files {
            let path = root.join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
    }

    /// Writes the fakes' state file `name` (see `fakes/common.sh`).
    pub fn set_state(&self, name: &str, contents: &str) {
        fs::write(self.state().join(name), contents).unwrap();
    }

    /// Awkward but small: nesting, spaces, a symlink, an empty file.
    pub fn fill_share(&self) {
        let share = self.share();
        fs::create_dir_all(share.join("dir/deeper")).unwrap();
        fs::write(share.join("a.txt"), "vault key\n").unwrap();
        fs::write(share.join("dir/b c.txt"), "ceph key\n").unwrap();
        fs::write(share.join("dir/deeper/empty"), "").unwrap();
        fs::set_permissions(share.join("a.txt"), fs::Permissions::from_mode(0o600)).unwrap();
        symlink("dir/b c.txt", share.join("link")).unwrap();
        // Written long before the reset, as /share's files are.
        let long_ago = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        for file in ["a.txt", "dir/b c.txt", "dir/deeper/empty"] {
            fs::File::options().write(true).open(share.join(file)).unwrap().set_modified(long_ago).unwrap();
        }
    }

    pub fn path(&self) -> &Path {
        self.root.path()
    }

    /// The stand-in for `program` (one of `STAND_INS`), which bin/ links to.
    pub fn fake(&self, program: &str) -> PathBuf {
        self.path().join("fakes").join(program)
    }

    pub fn bin_dir(&self) -> PathBuf {
        self.path().join("bin")
    }

    fn sys_dir(&self) -> PathBuf {
        self.path().join("sys")
    }

    pub fn backup_dir(&self) -> PathBuf {
        self.path().join("backup")
    }

    pub fn project(&self) -> PathBuf {
        self.path().join("project")
    }

    /// The manager's configuration repository (`/opt/configuration` on a manager).
    pub fn configuration(&self) -> PathBuf {
        self.path().join("configuration")
    }

    /// The state directory where the tool records unfinished resets (see `registry`).
    pub fn records(&self) -> PathBuf {
        self.path().join("records")
    }

    pub fn state(&self) -> PathBuf {
        self.path().join("state")
    }

    pub fn share(&self) -> PathBuf {
        self.state().join("share")
    }

    pub fn log(&self) -> PathBuf {
        self.path().join("calls.log")
    }

    /// What `docker compose ps --all --format json` prints on its `n`-th call (from 1).
    pub fn ps(&self, n: usize, json: &str) {
        fs::write(self.state().join("ps").join(format!("{n}.json")), json).unwrap();
    }

    /// The binary, started in the backup directory with the fakes first on PATH.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = self.in_world(env!("CARGO_BIN_EXE_osism-manager-reset"));
        cmd.args(args);
        cmd
    }

    /// `program` (a path) as the binary runs here: in the backup directory, with the fakes first
    /// on PATH, the fakes' state and log, no colour and no terminal.
    pub fn in_world(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = crate::clean_command::clean_command(program);
        cmd.current_dir(self.backup_dir())
            .env("PATH", format!("{}:{}", self.bin_dir().display(), self.sys_dir().display()))
            .env("OSISM_MANAGER_RESET_PROJECT_DIRECTORY", self.project())
            .env("OSISM_MANAGER_RESET_STATE_DIR", self.records())
            .env("OSISM_MANAGER_RESET_CONFIGURATION_DIRECTORY", self.configuration())
            .env("FAKE_CONFIGURATION", self.configuration())
            .env("FAKE_LOG", self.log())
            .env("FAKE_STATE", self.state())
            // Never the machine's own engine: only one a test serves there (`serve_engine`).
            .env("DOCKER_HOST", format!("unix://{}", self.engine_socket().display()));
        cmd
    }

    /// Where the tool finds the Docker engine's API in this world.
    pub fn engine_socket(&self) -> PathBuf {
        self.path().join("docker.sock")
    }

    /// Serves the engine's API on this world's socket for the rest of the test: `answer` gives
    /// the status and body for each request's path (such as `/distribution/busybox/json`).
    pub fn serve_engine(&self, answer: fn(&str) -> (u16, String)) {
        let listener = std::os::unix::net::UnixListener::bind(self.engine_socket()).unwrap();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let (mut request, mut byte) = (Vec::new(), [0u8]);
                while !request.ends_with(b"\r\n\r\n")
                    && std::io::Read::read(&mut stream, &mut byte).unwrap_or(0) == 1
                {
                    request.push(byte[0]);
                }
                let request = String::from_utf8_lossy(&request);
                let path = request.split_whitespace().nth(1).unwrap_or_default();
                let (status, body) = answer(path);
                let _ = std::io::Write::write_all(
                    &mut stream,
                    format!("HTTP/1.0 {status} X\r\n\r\n{body}").as_bytes(),
                );
            }
        });
    }

    /// Gives the world to `nobody` when the tests run as root; otherwise the tests' user is the
    /// operator already.
    pub fn hand_to_operator(&self) {
        if is_root() {
            #[allow(clippy::disallowed_methods)] // chown sets the test's user up
            let chowned =
                Command::new("chown").args(["-R", "65534:65534"]).arg(self.path()).status().unwrap();
            assert!(chowned.success());
        }
    }

    /// The binary as an operator who is not root: `nobody` (through setpriv) when the tests run as
    /// root, else the tests' own user. Call `hand_to_operator` first.
    pub fn run_as_operator(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        if !is_root() {
            return self.command(args).envs(env.iter().copied()).output().unwrap();
        }
        // A copy in the world, which nobody can reach wherever the checkout is.
        let copy = self.path().join("osism-manager-reset");
        if !copy.exists() {
            fs::copy(env!("CARGO_BIN_EXE_osism-manager-reset"), &copy).unwrap();
        }
        let mut setpriv = self.in_world("/usr/bin/setpriv");
        setpriv.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]).arg(&copy).args(args);
        setpriv.envs(env.iter().copied());
        setpriv.output_retrying()
    }

    /// The file in the backup directory whose name ends with `suffix`.
    pub fn backup_file(&self, suffix: &str) -> PathBuf {
        fs::read_dir(self.backup_dir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().ends_with(suffix))
            .unwrap_or_else(|| panic!("no *{suffix} in the backup directory"))
    }

    /// Runs `line`, a command the tool printed for the operator to type, in `dir` through a
    /// shell, the fakes and the binary first on PATH, the fakes told `env` (the manager they
    /// model); `sudo ` in front is what root types without it (the tests are root where the tool
    /// prints it).
    pub fn type_line(&self, line: &str, dir: &Path, env: &[(&str, &str)]) -> Output {
        let line = line.strip_prefix("sudo ").unwrap_or(line);
        let binary = Path::new(env!("CARGO_BIN_EXE_osism-manager-reset"));
        let path = format!("{}:{}", self.bin_dir().display(), binary.parent().unwrap().display());
        let mut shell = self.in_world("/bin/sh");
        let path = format!("{path}:{}", self.sys_dir().display());
        shell.args(["-c", line]).current_dir(dir).env("PATH", path).envs(env.iter().copied());
        shell.output().unwrap()
    }

    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(args);
        cmd.envs(env.iter().copied());
        cmd.output().expect("the binary starts")
    }

    /// Every recorded call, one argv each.
    pub fn calls(&self) -> Vec<Vec<String>> {
        let Ok(log) = fs::read_to_string(self.log()) else { return Vec::new() };
        log.lines().map(|line| line.split('\x1f').map(str::to_owned).collect()).collect()
    }

    /// The recorded calls that change something: the runbook's commands.
    pub fn runbook_calls(&self) -> Vec<String> {
        self.calls().iter().filter(|argv| !is_query(argv)).map(|argv| quote::join(argv)).collect()
    }

    pub fn clear_calls(&self) {
        let _ = fs::remove_file(self.log());
    }

    pub fn ran(&self, needle: &str) -> bool {
        self.runbook_calls().iter().any(|line| line.contains(needle))
    }

    /// Lines with this world's directory written `[WORLD]`.
    pub fn scrub(&self, lines: &[String]) -> String {
        lines.join("\n").replace(&self.path().display().to_string(), "[WORLD]")
    }

    /// The error a run of the binary ended with: its stderr from the first `error:` on, this
    /// world's directory written `[WORLD]`.
    pub fn error_of(&self, out: &Output) -> String {
        let err = stderr(out);
        self.scrub(&[err[err.find("error:").unwrap_or(0)..].to_owned()])
    }

    /// Every entry of the modelled share volume, as `listing` describes it.
    pub fn share_listing(&self) -> BTreeMap<String, String> {
        crate::listing::listing(&self.share())
    }

    /// The journal the run left, as JSON.
    pub fn journal(&self) -> serde_json::Value {
        serde_json::from_str(&fs::read_to_string(self.backup_file(".journal.json")).unwrap()).unwrap()
    }

    /// Each step's state in the journal, as `1:done 2:failed ...`.
    pub fn journal_states(&self) -> String {
        let journal = self.journal();
        journal["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| format!("{}:{}", s["number"], s["state"].as_str().unwrap()))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// No test leaves a process behind: when a world goes, every process its fakes started (they
/// carry its FAKE_STATE) must have ended, within a few seconds (a fake that killed the tool
/// lingers a second). Those left are killed, and the test fails naming them.
impl Drop for World {
    fn drop(&mut self) {
        let marker = format!("FAKE_STATE={}", self.state().display());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let left = processes_with(&marker);
            if left.is_empty() {
                return;
            }
            if std::time::Instant::now() >= deadline {
                for (pid, _) in &left {
                    let _ = rustix::process::kill_process(
                        rustix::process::Pid::from_raw(*pid).expect("a pid"),
                        rustix::process::Signal::KILL,
                    );
                }
                if !std::thread::panicking() {
                    panic!("processes left running after the test: {left:#?}");
                }
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

/// Processes whose environment holds `entry`, with their command lines.
fn processes_with(entry: &str) -> Vec<(i32, String)> {
    let Ok(proc) = fs::read_dir("/proc") else { return Vec::new() };
    proc.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|kv| kv == entry.as_bytes()))
        })
        .map(|pid| {
            let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            (pid, String::from_utf8_lossy(&cmdline).replace('\0', " ").trim().to_owned())
        })
        .collect()
}

/// `$(date +%Y%m%d)` now, as the run names its files after it.
pub fn today() -> String {
    osism_manager_reset::plan::date_stamp(time::OffsetDateTime::now_local().unwrap().date())
}

/// Whether the tests run as root: then the plans hold no `sudo`, and a non-root operator is
/// `nobody`.
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// The command in backquotes after `lead` (such as "resume with") in `text`: what the tool
/// tells the operator to type next.
#[track_caller]
pub fn advice(lead: &str, text: &str) -> String {
    let after = text.find(lead).unwrap_or_else(|| panic!("no {lead:?} in: {text}")) + lead.len();
    let at = after + text[after..].find('`').expect("an opening backquote") + 1;
    text[at..at + text[at..].find('`').expect("a closing backquote")].to_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `output()` that retries while the program is "text file busy": a file the tests just wrote
/// can still be open for writing in a child another test thread forked, until that child execs.
pub trait OutputRetrying {
    fn output_retrying(&mut self) -> Output;
}

impl OutputRetrying for Command {
    fn output_retrying(&mut self) -> Output {
        for _ in 0..100 {
            match self.output() {
                Err(error) if error.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                    std::thread::sleep(std::time::Duration::from_millis(20))
                }
                result => return result.expect("the program starts"),
            }
        }
        panic!("{self:?} stayed busy")
    }
}

/// The binary under `script`, which gives it a terminal, with `typed` as the keyboard.
pub fn at_terminal(world: &World, args: &[&str], typed: &str) -> Output {
    at_terminal_with(world, args, typed, &[])
}

/// As `at_terminal`, with `env` for the fakes.
pub fn at_terminal_with(world: &World, args: &[&str], typed: &str, env: &[(&str, &str)]) -> Output {
    let mut argv = vec![env!("CARGO_BIN_EXE_osism-manager-reset").to_owned()];
    argv.extend(args.iter().map(|a| a.to_string()));
    at_terminal_running(world, argv, typed, env)
}

/// `at_terminal` as an operator who is not root (see `run_as_operator`; call
/// `hand_to_operator` first).
pub fn at_terminal_as_operator(world: &World, args: &[&str], typed: &str, env: &[(&str, &str)]) -> Output {
    if !is_root() {
        let mut argv = vec![env!("CARGO_BIN_EXE_osism-manager-reset").to_owned()];
        argv.extend(args.iter().map(|a| a.to_string()));
        return at_terminal_running(world, argv, typed, env);
    }
    let copy = world.path().join("osism-manager-reset");
    if !copy.exists() {
        fs::copy(env!("CARGO_BIN_EXE_osism-manager-reset"), &copy).unwrap();
    }
    let mut argv: Vec<String> =
        ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
            .map(String::from)
            .into();
    argv.push(copy.display().to_string());
    argv.extend(args.iter().map(|a| a.to_string()));
    at_terminal_running(world, argv, typed, env)
}

fn at_terminal_running(world: &World, argv: Vec<String>, typed: &str, env: &[(&str, &str)]) -> Output {
    let mut script = world.in_world("/usr/bin/script");
    script
        .args(["--quiet", "--return", "--command", &quote::join(&argv), "/dev/null"])
        .env("SHELL", "/bin/sh")
        .envs(env.iter().copied());
    let mut child =
        script.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(typed.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// A manager with HashiCorp Vault (OSISM's `enable_vault`): its service `vault` mounts
/// `vault_file` and `vault_logs`, which `down -v` deletes with the rest.
pub fn with_vault(world: &World) {
    world.set_state("declared", "manager_mariadb\nmanager_share\nmanager_vault_file\nmanager_vault_logs\n");
    let mounts = fs::read_to_string(world.state().join("mounts")).unwrap();
    world.set_state(
        "mounts",
        &format!("{mounts}vault vault_file /vault/file\nvault vault_logs /vault/logs\n"),
    );
    for file in ["volumes", "labelled"] {
        let text = fs::read_to_string(world.state().join(file)).unwrap();
        world.set_state(file, &format!("{text}manager_vault_file\nmanager_vault_logs\n"));
    }
}
