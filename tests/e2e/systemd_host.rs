//! A manager host with a real systemd as PID 1, built on the fixture manager: a container of the
//! image `systemd-host/build.sh` makes (Debian bookworm, systemd 252, OSISM's manager.service
//! and osism.target enabled, the operator dragon with the README's sudoers line), sharing the
//! engine through its socket. Inside, `systemctl` and `journalctl` are systemd's own, and
//! `osism` is the fixture's stand-in; the tool is the built binary, mounted.
//!
//! The fixture's directory is mounted at the same path inside as outside, so that the project
//! directory, the bind mounts Compose makes from it and the tool's `--volume DIR:/backup`
//! resolve alike on the engine, which sees the test machine's paths. It is dragon's, as
//! /opt/manager is on a manager. `SystemdHost` derefs to its `Fixture`: the fixture's own helpers
//! (listing /share, `all_healthy`, `compose`) see the same manager from the test machine.
//!
//! Dropping it removes the host container (its systemd, the unit's Compose with it) and then the
//! fixture's containers and volumes, also when a test fails.

use std::fs;
use std::ops::Deref;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rustix::process::Signal;

use crate::fixture::{Fixture, Share, docker, ok};

/// The host container's name: one at a time, as fixtures hold the engine's lock.
pub const CONTAINER: &str = "omr-e2e-systemd-host";
/// dragon's uid and gid, as OSISM's operator role makes them.
pub const DRAGON: u32 = 45000;
/// The unit, as OSISM's manager role writes it (see systemd-host/manager.service).
pub const UNIT: &str = "manager.service";
/// PATH inside for the runs: the osism stand-in first, then Debian's default.
const SYSTEM_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/e2e")
}

/// The engine's socket on the test machine: DOCKER_HOST's, or Docker's default.
pub fn engine_socket() -> PathBuf {
    match std::env::var("DOCKER_HOST") {
        Ok(host) if host.starts_with("unix://") => PathBuf::from(&host["unix://".len()..]),
        Ok(host) if !host.is_empty() => {
            panic!("the systemd host needs a unix socket, not DOCKER_HOST={host}")
        }
        _ => PathBuf::from("/var/run/docker.sock"),
    }
}

/// The host image's tag, built once per test run (and only when its recipe changed since the
/// last build: build.sh tags it by a hash of the recipe). setup.sh builds it beforehand.
pub fn image() -> &'static str {
    static IMAGE: OnceLock<String> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let gid = fs::metadata(engine_socket()).expect("the engine's socket").gid();
        let started = Instant::now();
        let out = Command::new("bash")
            .arg(here().join("systemd-host/build.sh"))
            .arg(gid.to_string())
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .expect("bash runs");
        let tag = ok(out, "systemd-host/build.sh").trim().to_owned();
        eprintln!("figures: systemd host image {tag} ready in {:.1}s", started.elapsed().as_secs_f64());
        tag
    })
}

/// The Compose plugin on the test machine, where Docker's CLI looks for it.
fn compose_plugin() -> PathBuf {
    [
        "/usr/libexec/docker/cli-plugins",
        "/usr/local/libexec/docker/cli-plugins",
        "/usr/lib/docker/cli-plugins",
        "/usr/local/lib/docker/cli-plugins",
    ]
    .iter()
    .map(|dir| Path::new(dir).join("docker-compose"))
    .find(|plugin| plugin.exists())
    .expect("the Compose plugin (run tests/e2e/setup.sh)")
}

/// Removes a host container an earlier, killed run left.
fn remove_leftover() {
    let _ = docker(&["rm", "--force", "--volumes", CONTAINER]);
}

pub struct SystemdHost {
    fixture: Fixture,
}

impl Deref for SystemdHost {
    type Target = Fixture;
    fn deref(&self) -> &Fixture {
        &self.fixture
    }
}

impl SystemdHost {
    /// The fixture manager (see `Fixture::new`) on a booted systemd host whose manager.service
    /// is active: started at boot, its pull done and its Compose attached to the running manager.
    pub fn new(share: Share) -> SystemdHost {
        let image = image();
        let fixture = Fixture::after(share, remove_leftover);
        let osism = fixture.path().join("bin-host");
        fs::create_dir_all(&osism).unwrap();
        fs::copy(here().join("fixture/bin/osism"), osism.join("osism")).unwrap();
        for dir in ["records", "home"] {
            fs::create_dir_all(fixture.path().join(dir)).unwrap();
        }
        give_to_dragon(fixture.path());
        // The role's unit, in this project directory (the one thing it does not take from the role).
        let unit = fs::read_to_string(here().join("systemd-host/manager.service")).unwrap();
        let working = format!("WorkingDirectory={}", fixture.project().display());
        assert!(unit.contains("WorkingDirectory=/opt/manager\n"), "{unit}");
        fs::write(fixture.path().join(UNIT), unit.replace("WorkingDirectory=/opt/manager", &working))
            .unwrap();

        // --mount, not --volume: a source that is missing is an error, not a directory made.
        let mount = |from: &Path, to: &Path, ro: bool| {
            format!(
                "type=bind,source={},target={}{}",
                from.display(),
                to.display(),
                if ro { ",readonly" } else { "" }
            )
        };
        let docker_cli = which::which("docker").expect("docker on PATH");
        let tool = Path::new(env!("CARGO_BIN_EXE_osism-manager-reset"));
        let dir = fixture.path();
        let mounts = [
            mount(&engine_socket(), Path::new("/run/docker.sock"), false),
            mount(&docker_cli, Path::new("/usr/bin/docker"), true),
            mount(&compose_plugin(), Path::new("/usr/libexec/docker/cli-plugins/docker-compose"), true),
            mount(tool, Path::new("/usr/local/bin/osism-manager-reset"), true),
            mount(dir, dir, false),
            mount(&dir.join(UNIT), &Path::new("/etc/systemd/system").join(UNIT), true),
        ];
        // What makes systemd 252 boot here, measured on this machine (cgroup v1, hybrid: the
        // name=systemd hierarchy and an empty unified one; Docker 20.10 with cgroupfs):
        // - the test machine's /sys/fs/cgroup mounted read-write, with the host's cgroup
        //   namespace (Docker's default on cgroup v1; named so that a cgroup v2 default does not
        //   change it): systemd then finds its own cgroup, /docker/ID, and makes its slices below
        //   it. Without the mount Docker's /sys/fs/cgroup is read-only and systemd exits ("Failed
        //   to allocate manager object"); with `--cgroupns private` it looks for /init.scope at
        //   the root of a tree that is the host's, and exits the same way;
        // - /run and /run/lock as tmpfs, SIGRTMIN+3 to halt it, `container=docker` (in the image);
        // - SYS_ADMIN and unconfined seccomp and AppArmor: systemd booted here without each of
        //   them too, but mounts (its own /run/user, the units' sandboxing) need them elsewhere;
        // - no network: the engine pulls, in the test machine's network, from 127.0.0.1:5000.
        //   Docker writes /etc/hosts without the hostname then: --add-host gives it, or sudo says
        //   "unable to resolve host" on every call.
        let mut argv: Vec<String> = [
            "run",
            "--detach",
            "--name",
            CONTAINER,
            "--hostname",
            "testbed-manager",
            "--add-host",
            "testbed-manager:127.0.1.1",
            "--network",
            "none",
            "--cgroupns",
            "host",
            "--cap-add",
            "SYS_ADMIN",
            "--security-opt",
            "seccomp=unconfined",
            "--security-opt",
            "apparmor=unconfined",
            "--tmpfs",
            "/run",
            "--tmpfs",
            "/run/lock",
            "--volume",
            "/sys/fs/cgroup:/sys/fs/cgroup:rw",
            "--stop-signal",
            "SIGRTMIN+3",
        ]
        .map(String::from)
        .into();
        for m in mounts {
            argv.extend(["--mount".into(), m]);
        }
        argv.push(image.into());
        let started = Instant::now();
        let run = docker(&argv.iter().map(String::as_str).collect::<Vec<_>>());
        // Built before anything can panic, so that the container goes with it.
        let host = SystemdHost { fixture };
        ok(run, "docker run the systemd host");
        host.wait_booted(started);
        host
    }

    /// Until `systemctl is-system-running` says running or degraded, and then the unit must be
    /// active: the boot's start of it pulled and attached to the manager the fixture started.
    fn wait_booted(&self, started: Instant) {
        let deadline = started + Duration::from_secs(90);
        let state = loop {
            let out = docker(&["exec", CONTAINER, "systemctl", "is-system-running"]);
            let state = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            if state == "running" || state == "degraded" {
                break state;
            }
            let alive = docker(&["inspect", "--format", "{{.State.Running}}", CONTAINER]);
            if Instant::now() > deadline || String::from_utf8_lossy(&alive.stdout).trim() != "true" {
                let logs = docker(&["logs", "--tail", "30", CONTAINER]);
                panic!(
                    "systemd did not boot (state {state:?}): {}{}",
                    String::from_utf8_lossy(&logs.stdout),
                    String::from_utf8_lossy(&logs.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        let active = self.as_root(&["systemctl", "is-active", UNIT], &[]);
        assert!(
            active.status.success(),
            "{UNIT} is not active after boot (system {state}): {}\n{}",
            String::from_utf8_lossy(&self.as_root(&["systemctl", "--failed", "--no-pager"], &[]).stdout),
            self.journal()
        );
        eprintln!("figures: systemd host booted, {UNIT} active, in {:.1}s", started.elapsed().as_secs_f64());
    }

    /// `args` run inside as dragon (`docker exec --user dragon`: dragon's groups, the engine's
    /// socket's among them), in dragon's home, with the tool's variables pointing at the fixture,
    /// the osism stand-in first on PATH and `env` last; no terminal, no standard input.
    pub fn run_as_dragon(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.exec("dragon", "/home/dragon", args, env)
    }

    /// `args` as root inside, with the same environment as `run_as_dragon`.
    pub fn as_root(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.exec("root", "/root", args, env)
    }

    fn exec(&self, user: &str, workdir: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.command(user, workdir, args, env).output().expect("docker runs")
    }

    /// The `docker exec` that runs `args` inside as `user`, in `workdir`, with the tool's
    /// environment (see `run_as_dragon`).
    fn command(&self, user: &str, workdir: &str, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut vars = self.tool_env();
        let path = format!("{}:{SYSTEM_PATH}", self.path().join("bin-host").display());
        vars.extend(self.stand_in_env().into_iter().filter(|(k, _)| k != "PATH"));
        vars.extend([("PATH".into(), path), ("NO_COLOR".into(), "1".into())]);
        vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut argv: Vec<String> = ["exec", "--user", user, "--workdir", workdir].map(String::from).into();
        for (k, v) in vars {
            argv.extend(["--env".into(), format!("{k}={v}")]);
        }
        argv.push(CONTAINER.into());
        argv.extend(args.iter().map(|a| a.to_string()));
        let mut command = Command::new("docker");
        command.args(argv).stdin(Stdio::null());
        command
    }

    /// `args` started inside as dragon (see `run_as_dragon`), as a shell starts a foreground
    /// job: the leader of a process group of its own, as docker exec starts every process (runc
    /// makes it a session's leader), so that `Job::signal` reaches it and its commands as a
    /// terminal's Ctrl-C does. What it prints on stderr goes to `stderr`.
    pub fn start_as_dragon(&self, args: &[&str], stderr: &Path) -> Job {
        let pidfile = self.path().join("job.pid");
        let _ = fs::remove_file(&pidfile);
        let script =
            format!("[ $(ps -o pgid= -p $$) -eq $$ ] && echo $$ > '{}' && exec \"$@\"", pidfile.display());
        let argv = [&["sh", "-c", &script, "sh"][..], args].concat();
        let child = self
            .command("dragon", "/home/dragon", &argv, &[])
            .stdout(Stdio::null())
            .stderr(fs::File::create(stderr).unwrap())
            .spawn()
            .expect("docker runs");
        let mut job = Job { child, pid: 0 };
        let deadline = Instant::now() + Duration::from_secs(30);
        while job.pid == 0 {
            job.pid = fs::read_to_string(&pidfile).ok().and_then(|p| p.trim().parse().ok()).unwrap_or(0);
            assert!(
                Instant::now() < deadline && !job.is_finished(),
                "the job did not start, or leads no group"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        job
    }

    /// The unit's journal, as dragon reads it (dragon is in adm).
    pub fn journal(&self) -> String {
        let out = self.run_as_dragon(&["journalctl", "--unit", UNIT, "--no-pager"], &[]);
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    }

    /// `systemctl show --property=PROPERTY --value UNIT`, inside.
    pub fn unit_property(&self, property: &str) -> String {
        let out =
            self.as_root(&["systemctl", "show", &format!("--property={property}"), "--value", UNIT], &[]);
        ok(out, "systemctl show").trim_end().to_owned()
    }
}

/// A command running inside the host (`SystemdHost::start_as_dragon`). Dropped before it ended
/// (a test that failed), it is killed with its process group.
pub struct Job {
    /// The `docker exec` that runs it: it ends when the job does, with its exit status.
    child: Child,
    /// Its pid inside the host, which leads its process group.
    pid: u32,
}

impl Job {
    /// `signal` to the job's whole process group, as a terminal sends Ctrl-C to its foreground job.
    pub fn signal(&self, signal: Signal) {
        self.kill(&format!("-{}", self.pid), signal);
    }

    /// SIGKILL to the job's own process alone, as the OOM killer or `kill -9 PID` sends it: the
    /// commands it started run on.
    pub fn kill_outright(&self) {
        self.kill(&self.pid.to_string(), Signal::KILL);
    }

    fn kill(&self, whom: &str, signal: Signal) {
        let out = docker(&["exec", CONTAINER, "kill", &format!("-{}", signal.as_raw()), "--", whom]);
        assert!(out.status.success(), "kill {whom}: {}", String::from_utf8_lossy(&out.stderr));
    }

    pub fn is_finished(&mut self) -> bool {
        self.child.try_wait().expect("docker exec").is_some()
    }

    /// Waits for the job to end: its exit status, 128 + N when signal N ended it (as docker
    /// exec says it).
    pub fn wait(&mut self) -> Option<i32> {
        self.child.wait().expect("docker exec").code()
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        if !self.is_finished() {
            let _ = docker(&["exec", CONTAINER, "kill", "-KILL", "--", &format!("-{}", self.pid)]);
            let _ = self.child.wait();
        }
    }
}

/// `path` and everything below it made dragon's, as the manager's directories are.
pub fn give_to_dragon(path: &Path) {
    let owner = format!("{DRAGON}:{DRAGON}");
    let out = Command::new("chown").args(["-R", "-h", &owner]).arg(path).output().expect("chown runs");
    assert!(out.status.success(), "chown: {}", String::from_utf8_lossy(&out.stderr));
}

impl Drop for SystemdHost {
    fn drop(&mut self) {
        // systemd, the unit's Compose and every process inside go with the container; the
        // manager's containers, which the engine runs, go with the fixture's drop after this.
        let out = docker(&["rm", "--force", "--volumes", CONTAINER]);
        if !out.status.success() {
            eprintln!("removing {CONTAINER}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}
