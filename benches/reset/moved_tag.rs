//! The moved tag: one service's tag moved, in the loopback registry, to a new image of 210 MiB
//! that the unit's start (`ExecStartPre=docker compose pull`) fetches. The bare runbook pulls it
//! in step 4, while the manager is down; the tool pulls it before step 1, while the manager
//! runs. Each side's downtime, from step 1 to healthy, in pairs as the overhead runs are.
//!
//! The image is the bench's own: busybox and a layer of random bytes, built here with no network
//! and pushed as `MOVED`, a repository of its own (the suite's
//! `127.0.0.1:5000/library/busybox:latest` never moves). Each run gets a fresh fixture whose
//! osismclient was created from busybox under that tag, and then the tag is taken off this
//! engine, so that the pull downloads the new image every time. `Pushed` removes the image from
//! the engine and the repository from the registry when the group ends, also when it fails.

use std::fs;
use std::io::{Read as _, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use super::fixture::{Fixture, Share, docker, ok};
use super::{
    FAST, Figure, bare_runbook, command_duration, epoch_seconds, fresh_dir, in_pairs, median, phase_rows,
    phases_of_bare, phases_of_tool, seconds, transcript,
};

/// The bench's own repository in the loopback registry, and the tag that moves.
const REPOSITORY: &str = "omr-bench/moved";
const MOVED: &str = "127.0.0.1:5000/omr-bench/moved:latest";
/// The fixture's image, which every service runs on and osismclient was created from.
const SUITE_IMAGE: &str = "127.0.0.1:5000/library/busybox:latest";
/// The service whose tag moves: it has no healthcheck, so that the health wait is Compose's
/// alone on both sides.
const SERVICE: &str = "osismclient";
/// The new image's layer of random bytes: at least 200 MiB, as the issue asks.
const LAYER_BYTES: usize = 210 << 20;
/// Pairs of runs; `BENCH_MOVED_PAIRS` for a quick look.
const PAIRS: usize = 5;
/// A /share small enough that the pull is what the two sides differ in.
const SHARE: Share = Share { small_files: 100, big_file_bytes: 0 };

pub fn moved_tag(figures: &mut Vec<Figure>, breakdown: &mut Vec<String>) {
    let pairs = std::env::var("BENCH_MOVED_PAIRS").ok().and_then(|n| n.parse().ok()).unwrap_or(PAIRS);
    eprintln!("bench: moved tag, {pairs} pairs, a {} MiB image to pull", LAYER_BYTES >> 20);
    let pushed = Pushed::new();
    let (mut pulls, mut bare_starts) = (vec![], vec![]);
    let (mut tool_phases, mut bare_phases) = (Vec::new(), Vec::new());
    let run_tool = |round: usize| {
        let fixture = pushed.fixture();
        let backup = fresh_dir(&fixture, &format!("tool-{round}"));
        let (started, since) = (Instant::now(), epoch_seconds());
        let out = fixture.run(&["--yes", "--backup-dir", &backup], &FAST);
        let took = started.elapsed().as_secs_f64();
        assert!(out.status.success(), "tool: {}", String::from_utf8_lossy(&out.stderr));
        let log = transcript(&backup);
        let said = format!("{SERVICE} starts on a newer image: {MOVED} is now");
        assert!(log.contains(&said), "the tool did not say the tag moved:\n{log}");
        pulls.push(command_duration(&log, " pull"));
        let phases = phases_of_tool(&log, since, since + took);
        tool_phases.push(phases);
        phases[1..7].iter().sum::<f64>()
    };
    let run_bare = |round: usize| {
        let fixture = pushed.fixture();
        let backup = fresh_dir(&fixture, &format!("bare-{round}"));
        let (took, trace) = bare_runbook(&fixture, &backup);
        // Nothing in the runbook pulls but the unit's start in step 4.
        assert!(docker(&["image", "inspect", MOVED]).status.success(), "the bare runbook pulled nothing");
        let since = epoch_seconds() - took;
        let phases = phases_of_bare(&trace, since, since + took);
        bare_starts.push(phases[4]);
        bare_phases.push(phases);
        phases[1..7].iter().sum::<f64>()
    };
    let (tool, bare) = in_pairs(pairs, run_tool, run_bare);
    breakdown.push(format!("| **moved tag, {} MiB pulled, {pairs} pairs** | | | | | |", LAYER_BYTES >> 20));
    phase_rows(breakdown, &tool_phases, &bare_phases);
    downtime_figures(figures, &tool, &bare, &pulls, &bare_starts);
}

fn downtime_figures(figures: &mut Vec<Figure>, tool: &[f64], bare: &[f64], pulls: &[f64], starts: &[f64]) {
    let (pairs, mib) = (tool.len(), LAYER_BYTES >> 20);
    figures.push(Figure {
        key: "moved-tag.bare".into(),
        what: format!(
            "moved tag: downtime (step 1 to healthy) of the bare runbook, whose step 4 pulls the {mib} MiB \
             image, median of {pairs} (runs {} s; step 4 {} s)",
            seconds(bare),
            seconds(starts)
        ),
        value: format!("{:.2} s", median(bare)),
        target: "-".into(),
        met: true,
    });
    figures.push(Figure {
        key: "moved-tag.tool".into(),
        what: format!(
            "moved tag: downtime of the tool, which pulled it before step 1 (pull {} s), median of {pairs} \
             (runs {} s)",
            seconds(pulls),
            seconds(tool)
        ),
        value: format!("{:.2} s", median(tool)),
        target: "< the bare runbook's".into(),
        met: median(tool) < median(bare),
    });
    // Each pair's own figures: the two runs of a pair are a minute apart, the pairs ten.
    let ratios: Vec<f64> = tool.iter().zip(bare).map(|(t, b)| t / b).collect();
    let saved: Vec<f64> = tool.iter().zip(bare).map(|(t, b)| b - t).collect();
    let (saved, pull) = (median(&saved), median(pulls));
    figures.push(Figure {
        key: "moved-tag.ratio".into(),
        what: format!(
            "moved tag: downtime, tool against bare runbook, median of {pairs} pairs' ratios ({}); the \
             downtime saved, {saved:.1} s, against the tool's pull before step 1, {pull:.1} s",
            ratios.iter().map(|r| format!("{r:.2}")).collect::<Vec<_>>().join(", ")
        ),
        value: format!("{:.2}x", median(&ratios)),
        target: "< 1, shorter by about the pull (saved >= half of it)".into(),
        met: median(&ratios) < 1.0 && saved >= pull / 2.0,
    });
}

/// The new image, built and pushed under `MOVED`; gone from the engine and the registry when
/// dropped.
struct Pushed {
    id: String,
}

impl Pushed {
    fn new() -> Pushed {
        let dir = tempfile::Builder::new().prefix("omr-bench-moved-").tempdir().unwrap();
        let mut layer = fs::File::create(dir.path().join("layer")).unwrap();
        let mut random = fs::File::open("/dev/urandom").unwrap();
        std::io::copy(&mut (&mut random).take(LAYER_BYTES as u64), &mut layer).unwrap();
        let dockerfile = format!("FROM {SUITE_IMAGE}\nCOPY layer /moved-layer\n");
        fs::File::create(dir.path().join("Dockerfile")).unwrap().write_all(dockerfile.as_bytes()).unwrap();
        let started = Instant::now();
        let build = ["build", "--network", "none", "--pull=false", "--quiet", "--tag", MOVED];
        let dir_arg = dir.path().to_str().unwrap();
        let id = ok(docker(&[&build[..], &[dir_arg]].concat()), "docker build").trim().to_owned();
        // Built before the push can fail, so that the image goes with it.
        let pushed = Pushed { id };
        let push =
            Command::new("docker").args(["push", "--quiet", MOVED]).stdin(Stdio::null()).output().unwrap();
        ok(push, "docker push");
        eprintln!("bench: {MOVED} built and pushed in {:.1}s", started.elapsed().as_secs_f64());
        pushed
    }

    /// A fresh fixture whose `SERVICE` runs on the suite's busybox under the tag `MOVED`, which
    /// the registry has moved on from and this engine no longer has: the next pull fetches the
    /// new image, and everything else is the fixture's as ever.
    fn fixture(&self) -> Fixture {
        // The tag back on busybox, off the new image, which then goes from this engine.
        ok(docker(&["tag", SUITE_IMAGE, MOVED]), "docker tag");
        let _ = docker(&["image", "rm", &self.id]);
        assert!(!docker(&["image", "inspect", &self.id]).status.success(), "the new image is still here");
        let fixture = Fixture::new(SHARE);
        let compose = fixture.project().join("compose.yaml");
        let text = fs::read_to_string(&compose).unwrap();
        let service = format!("  {SERVICE}:\n    image: {SUITE_IMAGE}\n");
        assert!(text.contains(&service), "no {SERVICE} on {SUITE_IMAGE} in the fixture");
        fs::write(&compose, text.replace(&service, &format!("  {SERVICE}:\n    image: {MOVED}\n"))).unwrap();
        ok(fixture.compose(&["up", "--detach", "--wait"]), "compose up with the moved tag");
        ok(docker(&["image", "rm", MOVED]), "docker image rm the tag");
        fixture
    }
}

impl Drop for Pushed {
    fn drop(&mut self) {
        let _ = docker(&["image", "rm", "--force", MOVED]);
        let _ = docker(&["image", "rm", "--force", &self.id]);
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/registry.sh");
        let out = Command::new("bash").arg(script).args(["forget", REPOSITORY]).stdin(Stdio::null()).output();
        match out {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!("registry.sh forget {REPOSITORY}: {}", String::from_utf8_lossy(&out.stderr)),
            Err(error) => eprintln!("registry.sh forget {REPOSITORY}: {error}"),
        }
    }
}
