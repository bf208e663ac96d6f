//! `make bench`: the tool against the bare runbook on the real Docker fixture; writes
//! BENCHMARKS.md with the figures, the machine and the commands that reproduce them.
//!
//! Figures, each against its target:
//! 1. start-up: median wall time of `--dry-run` (50+ runs);
//! 2. overhead: full reset by the tool against a shell script of the runbook's 8 commands plus a
//!    1-second `ps` polling loop, on 20,000 files and 30 MB, in 9 pairs run tool-bare, bare-tool,
//!    ... so that neither side always goes first; the fixture gets healthy as fast as the engine
//!    lets it, so that no sleep of the fixture's pads either side;
//! 3. scale: the tool's peak resident memory and wall time with 1,000 and 100,000 files;
//! 4. verification: in-process archive read-back against the backup step, 200 MB /share;
//! 5. health latency: from the last container's `health_status: healthy` event to the tool's
//!    runbook `ps`;
//! 6. large: the overhead's pairs on a 2 GiB /share;
//! 7. moved tag: the downtime of each side when one service's tag moved to a 210 MiB image,
//!    which the bare runbook pulls in step 4 and the tool before step 1 (`moved_tag.rs`);
//! 8. kept (`-- kept`): the downtime with and without `--keep-volume mariadb` on a 200 MiB
//!    MariaDB volume, side by side.
#![allow(clippy::disallowed_methods, clippy::disallowed_macros)] // the harness drives docker, scripts and the binary, and prints

#[allow(dead_code)] // shared with the suite, which uses other parts of it
#[path = "../tests/e2e/fixture.rs"]
mod fixture;
// In a folder, as cargo takes every file directly in benches/ for a bench of its own.
#[path = "reset/moved_tag.rs"]
mod moved_tag;

use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use fixture::{Fixture, Share, ok};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const STARTUP_RUNS: usize = 100;
/// Pairs of overhead runs: the restore's tar (the same command on both sides) varies by several
/// seconds from run to run on a disk as slow to create files as this one; more pairs steady the
/// median of the differences.
const PAIRS: usize = 9;
/// The overhead runs' /share: the size the targets are set for.
const OVERHEAD_SHARE: Share = Share { small_files: 20_000, big_file_bytes: 30 * 1000 * 1000 };
/// The large case's /share: one 2 GiB file, incompressible, and the awkward handful.
const LARGE_SHARE: Share = Share { small_files: 0, big_file_bytes: 2 << 30 };
/// Pairs of large runs: each takes minutes, and gzip's time on one core was seen to vary by a
/// tenth from one run to the next on the same fixture, either way.
const LARGE_PAIRS: usize = 5;
/// No sleep of the fixture's own: its api is ready at once, and Compose starts as soon as the
/// unit stand-in is asked to.
const FAST: [(&str, &str); 2] = [("API_READY_AFTER", "0"), ("E2E_UP_DELAY", "0")];

/// The runbook pasted into a script, as an operator without the tool would run it.
/// Its trace (`BASH_XTRACEFD`, each command stamped) times the steps.
const BARE_RUNBOOK: &str = r#"#!/bin/bash
set -e
exec 9>"$BACKUP_DIR/trace"
BASH_XTRACEFD=9 PS4='+ $EPOCHREALTIME ' && set -x
cd "$BACKUP_DIR"
systemctl stop manager.service
docker run --rm --mount source=manager_share,target=/share --volume $(pwd):/backup busybox tar -czvf /backup/manager-share-$(date +%Y%m%d).tar.gz /share
docker compose --project-directory "$E2E_PROJECT" down -v
systemctl start manager.service
docker run --rm --mount source=manager_share,target=/share --volume $(pwd):/backup busybox tar -xzvf /backup/manager-share-$(date +%Y%m%d).tar.gz -C /
while :; do
    states=$(docker compose --project-directory "$E2E_PROJECT" ps --all --format '{{.State}} {{.Health}}')
    if [ -n "$states" ] && ! grep -qvE '^running (healthy)? *$' <<<"$states"; then break; fi
    sleep 1
done
docker compose --project-directory "$E2E_PROJECT" ps
osism reconciler sync
osism apply facts
set +x
"#;

/// The phases a reset's time is split into: what comes before the runbook, then its steps.
const PHASES: [&str; 8] =
    ["before step 1", "1 stop", "2 backup", "3 down -v", "4 start", "5 restore", "6 health", "7 sync, facts"];
/// How the bare runbook's trace shows each step's first command.
const BARE_STEP_STARTS: [&str; 7] = [
    "systemctl stop",
    "tar -czvf",
    " down -v",
    "systemctl start",
    "tar -xzvf",
    " ps --all",
    "osism reconciler",
];

struct Figure {
    /// What names the figure across runs and commits (`benches/baseline.tsv`).
    key: String,
    what: String,
    value: String,
    target: String,
    met: bool,
}

/// The figures' groups, in the order they run; `cargo bench --bench reset -- GROUP...` runs
/// only those and prints them without touching BENCHMARKS.md.
const GROUPS: [&str; 7] = ["startup", "overhead", "scale", "verification", "large", "moved-tag", "kept"];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        return; // `cargo bench -- --list` asks a harness for its benchmarks
    }
    let chosen: Vec<&str> = args.iter().map(String::as_str).filter(|a| !a.starts_with('-')).collect();
    if let Some(unknown) = chosen.iter().find(|g| !GROUPS.contains(g)) {
        eprintln!("bench: no group {unknown:?}; the groups are {}", GROUPS.join(", "));
        std::process::exit(2);
    }
    let runs = |group: &str| chosen.is_empty() || chosen.contains(&group);
    let mut figures = Vec::new();
    let mut breakdown = Vec::new();

    if runs("startup") {
        startup(&mut figures);
    }
    if runs("overhead") {
        overhead(&mut figures, &mut breakdown);
    }
    let mut small_peak = None;
    if runs("scale") {
        small_peak = Some(scale(&mut figures));
    }
    if runs("verification") {
        verification(&mut figures);
    }
    if runs("large") {
        large(&mut figures, &mut breakdown, small_peak);
    }
    if runs("moved-tag") {
        moved_tag::moved_tag(&mut figures, &mut breakdown);
    }
    if runs("kept") {
        kept(&mut figures);
    }
    write_figures(&figures);
    if chosen.is_empty() {
        write_report(&figures, &breakdown);
    } else {
        print!("{}{}", table(&figures, &baseline()), breakdown_table(&breakdown));
    }
}

fn startup(figures: &mut Vec<Figure>) {
    eprintln!("bench: start-up");
    let startup = median(&time_runs(STARTUP_RUNS, || {
        let out = Command::new(env!("CARGO_BIN_EXE_osism-manager-reset"))
            .args(["--dry-run", "--project-directory", "/nonexistent"])
            .env("PATH", "/nonexistent")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(out.success());
    }));
    figures.push(Figure {
        key: "startup".into(),
        what: format!("start-up: median wall time of `--dry-run`, {STARTUP_RUNS} runs"),
        value: format!("{:.2} ms", startup * 1e3),
        target: "< 10 ms".into(),
        met: startup < 0.010,
    });
}

fn overhead(figures: &mut Vec<Figure>, breakdown: &mut Vec<String>) {
    {
        let fixture = Fixture::new(OVERHEAD_SHARE);
        eprintln!("bench: overhead, tool against bare runbook, {PAIRS} pairs");
        let mut latencies = Vec::new();
        let (mut tool_phases, mut bare_phases) = (Vec::new(), Vec::new());
        let (mut tool_restores, mut bare_restores) = (Vec::new(), Vec::new());
        let mut own = Vec::new();
        let run_tool = |round: usize| {
            let backup = fresh_dir(&fixture, &format!("tool-{round}"));
            let events = health_events();
            let (started, since) = (Instant::now(), epoch_seconds());
            let out = fixture.run(&["--yes", "--backup-dir", &backup], &FAST);
            let took = started.elapsed().as_secs_f64();
            assert!(out.status.success(), "tool: {}", String::from_utf8_lossy(&out.stderr));
            let log = transcript(&backup);
            latencies.push(health_latency(events, &log));
            tool_phases.push(phases_of_tool(&log, since, since + took));
            tool_restores.push(command_duration(&log, "tar -xzvf"));
            let (runbook, health) = runbook_time(&log);
            own.push(took - runbook - health);
            took
        };
        let run_bare = |round: usize| {
            let backup = fresh_dir(&fixture, &format!("bare-{round}"));
            let since = epoch_seconds();
            let (took, trace) = bare_runbook(&fixture, &backup);
            bare_phases.push(phases_of_bare(&trace, since, since + took));
            bare_restores.push(restore_of_bare(&trace));
            took
        };
        let (tool, bare) = in_pairs(PAIRS, run_tool, run_bare);
        phase_rows(breakdown, &tool_phases, &bare_phases);
        let (tool_median, bare_median) = (median(&tool), median(&bare));
        let diffs: Vec<f64> = tool.iter().zip(&bare).map(|(t, b)| t - b).collect();
        let overhead = median(&diffs);
        let spread =
            (diffs.iter().cloned().fold(f64::MAX, f64::min), diffs.iter().cloned().fold(f64::MIN, f64::max));
        let share = format!(
            "{} files and {} MB",
            OVERHEAD_SHARE.small_files,
            OVERHEAD_SHARE.big_file_bytes / 1_000_000
        );
        figures.push(Figure {
            key: "overhead.difference".into(),
            what: format!(
                "overhead: full reset, tool minus bare runbook, {share}, median of {PAIRS} pairs (spread \
                 {:.1} to {:.1} s; tool {} s, bare {} s)",
                spread.0,
                spread.1,
                seconds(&tool),
                seconds(&bare)
            ),
            value: format!("{overhead:.2} s"),
            target: "<= 3 s".into(),
            met: overhead <= 3.0,
        });
        figures.push(Figure {
            key: "overhead.share".into(),
            what: format!(
                "overhead: that difference against the bare runbook's median ({tool_median:.1} s / \
                 {bare_median:.1} s = {:.2})",
                tool_median / bare_median
            ),
            value: format!("{:.1} %", overhead / bare_median * 100.0),
            target: "<= 10 %".into(),
            met: overhead <= 0.10 * bare_median,
        });
        // The restore's tar is the same command on both sides and the one whose time swings
        // most from run to run (creating 20,000 files): without it the tool's own cost shows.
        let steady: Vec<f64> =
            (0..PAIRS).map(|i| (tool[i] - tool_restores[i]) - (bare[i] - bare_restores[i])).collect();
        let steady_median = median(&steady);
        figures.push(Figure {
            key: "overhead.steady".into(),
            what: format!(
                "overhead without the restore's tar on either side (tar {} s in the tool, {} s bare), \
                 median of {PAIRS} pairs (runs {} s)",
                seconds(&tool_restores),
                seconds(&bare_restores),
                seconds(&steady)
            ),
            value: format!("{steady_median:.2} s"),
            target: "<= 3 s".into(),
            met: steady_median <= 3.0,
        });
        figures.push(Figure {
            key: "overhead.own".into(),
            what: format!(
                "overhead: the tool's own time (wall time less the runbook's commands and the health wait, \
                 from its transcript; preflight included), {share}, median of {PAIRS} (runs {} s)",
                seconds(&own)
            ),
            value: format!("{:.2} s", median(&own)),
            target: "<= 1.5 s".into(),
            met: median(&own) <= 1.5,
        });
        let dry = median(&time_runs(10, || {
            ok(fixture.run(&["--dry-run"], &[]), "dry run");
        }));
        figures.push(Figure {
            key: "dry-run".into(),
            what: format!(
                "dry run: wall time of `--dry-run` with its read-only preflight (Compose, systemd, \
                 /share measured in the running manager's container), {share}, median of 10"
            ),
            value: format!("{:.2} s", dry),
            target: "<= 0.5 s".into(),
            met: dry <= 0.5,
        });
        let worst = latencies.iter().cloned().fold(0.0, f64::max);
        figures.push(Figure {
            key: "health-latency".into(),
            what: format!("health detection latency, worst of {PAIRS} (runs {})", seconds(&latencies)),
            value: format!("{worst:.2} s"),
            target: "<= 1.5 s".into(),
            met: worst <= 1.5,
        });
    }
}

/// Returns the peak memory at the smallest /share, for the large group's flatness.
fn scale(figures: &mut Vec<Figure>) -> u64 {
    let mut scale = Vec::new();
    for files in [1_000, 100_000] {
        eprintln!("bench: scale, {files} files");
        let fixture = Fixture::new(Share { small_files: files, big_file_bytes: 0 });
        let started = Instant::now();
        let child =
            fixture.command(&["--yes"], &[]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let peak = peak_memory(child);
        scale.push((files, peak, started.elapsed().as_secs_f64()));
    }
    for (files, peak, wall) in &scale {
        figures.push(Figure {
            key: format!("scale.memory.{files}"),
            what: format!(
                "scale: peak resident memory of the tool, {files} files in /share (reset {wall:.1} s)"
            ),
            value: format!("{:.1} MiB", *peak as f64 / 1024.0),
            target: "< 32 MiB".into(),
            met: (*peak as f64 / 1024.0) < 32.0,
        });
    }
    let growth = scale[1].1 as f64 / scale[0].1 as f64;
    figures.push(Figure {
        key: "scale.growth".into(),
        what: "scale: peak memory at 100,000 files / at 1,000 files".into(),
        value: format!("{growth:.2}"),
        target: "<= 1.5".into(),
        met: growth <= 1.5,
    });
    scale[0].1
}

/// The large case: one 2 GiB file in /share, the tool and the bare runbook in pairs as in the
/// overhead runs; the tool's own time read from its transcript, its peak memory sampled.
fn large(figures: &mut Vec<Figure>, breakdown: &mut Vec<String>, small_peak: Option<u64>) {
    // `BENCH_LARGE_PAIRS=1` for a quick look; the figures want the default.
    let pairs = std::env::var("BENCH_LARGE_PAIRS").ok().and_then(|n| n.parse().ok()).unwrap_or(LARGE_PAIRS);
    eprintln!("bench: large, {pairs} pairs on a 2 GiB /share");
    let fixture = Fixture::new(LARGE_SHARE);
    let (mut own, mut commands, mut peaks) = (vec![], vec![], vec![]);
    let (mut tool_phases, mut bare_phases, mut before) = (Vec::new(), Vec::new(), Vec::new());
    let run_tool = |round: usize| {
        let backup = fresh_dir(&fixture, &format!("tool-{round}"));
        let (started, since) = (Instant::now(), epoch_seconds());
        let child = fixture
            .command(&["--yes", "--backup-dir", &backup], &FAST)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        peaks.push(peak_memory(child));
        let took = started.elapsed().as_secs_f64();
        let log = transcript(&backup);
        let (runbook, health) = runbook_time(&log);
        let phases = phases_of_tool(&log, since, since + took);
        // Before step 1 is preflight, not downtime: shown beside the figure, not in it.
        own.push(took - runbook - health - phases[0]);
        before.push(phases[0]);
        commands.push(runbook);
        tool_phases.push(phases);
        // The last run's transcript stays, for a look at where the time went.
        fs::write(Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-large.log"), &log).unwrap();
        fs::remove_dir_all(&backup).unwrap();
        took
    };
    let run_bare = |round: usize| {
        let backup = fresh_dir(&fixture, &format!("bare-{round}"));
        let (took, trace) = bare_runbook(&fixture, &backup);
        let since = epoch_seconds() - took;
        bare_phases.push(phases_of_bare(&trace, since, since + took));
        fs::remove_dir_all(&backup).unwrap();
        took
    };
    let (tool, bare) = in_pairs(pairs, run_tool, run_bare);
    breakdown.push(format!("| **2 GiB /share, {pairs} pairs** | | | | | |"));
    phase_rows(breakdown, &tool_phases, &bare_phases);
    let shares: Vec<f64> = own.iter().zip(&commands).map(|(o, c)| o / c).collect();
    figures.push(Figure {
        key: "large.own".into(),
        what: format!(
            "large: the tool's own time in the downtime (wall time from step 1 on less the runbook's \
             commands and the health wait, from its transcript) against the runbook's commands' time, \
             2 GiB /share, median of {pairs} (own {} s, commands {} s; before step 1, preflight, {} s)",
            seconds(&own),
            seconds(&commands),
            seconds(&before)
        ),
        value: format!("{:.1} %", median(&shares) * 100.0),
        target: "<= 3 %".into(),
        met: median(&shares) <= 0.03,
    });
    // Each pair's own ratio, as the overhead runs take each pair's difference: the two runs of a
    // pair are minutes apart, the pairs up to half an hour, and the machine's speed drifts.
    let ratios: Vec<f64> = tool.iter().zip(&bare).map(|(t, b)| t / b).collect();
    let ratio = median(&ratios);
    figures.push(Figure {
        key: "large.ratio".into(),
        what: format!(
            "large: full reset, tool against bare runbook, 2 GiB /share, median of {pairs} pairs' ratios \
             ({}; tool {} s, bare {} s)",
            ratios.iter().map(|r| format!("{r:.3}")).collect::<Vec<_>>().join(", "),
            seconds(&tool),
            seconds(&bare)
        ),
        value: format!("{ratio:.3}x"),
        target: "<= 1.05x".into(),
        met: ratio <= 1.05,
    });
    let peak = peaks.iter().copied().max().unwrap_or_default();
    figures.push(Figure {
        key: "large.memory".into(),
        what: format!("large: peak resident memory of the tool, 2 GiB /share (worst of {pairs})"),
        value: format!("{:.1} MiB", peak as f64 / 1024.0),
        target: "< 32 MiB".into(),
        met: (peak as f64 / 1024.0) < 32.0,
    });
    if let Some(small) = small_peak {
        let growth = peak as f64 / small as f64;
        figures.push(Figure {
            key: "large.growth".into(),
            what: "large: peak memory at 2 GiB / at 1,000 files".into(),
            value: format!("{growth:.2}"),
            target: "<= 1.5".into(),
            met: growth <= 1.5,
        });
    }
}

/// `pairs` rounds of a tool run and a bare one, tool-bare, bare-tool, tool-bare, ...: neither
/// side always runs first. Each run is given its round and returns its figure.
fn in_pairs(
    pairs: usize,
    mut run_tool: impl FnMut(usize) -> f64,
    mut run_bare: impl FnMut(usize) -> f64,
) -> (Vec<f64>, Vec<f64>) {
    let (mut tool, mut bare) = (Vec::new(), Vec::new());
    for round in 0..pairs {
        if round % 2 == 0 {
            tool.push(run_tool(round));
            bare.push(run_bare(round));
        } else {
            bare.push(run_bare(round));
            tool.push(run_tool(round));
        }
    }
    (tool, bare)
}

/// The runbook pasted into a script and run in `backup`: its wall time and its bash trace.
fn bare_runbook(fixture: &Fixture, backup: &str) -> (f64, String) {
    let script = Path::new(backup).join("runbook.sh");
    fs::write(&script, BARE_RUNBOOK).unwrap();
    let started = Instant::now();
    let out = Command::new("bash")
        .arg(&script)
        .envs(fixture.stand_in_env())
        .env("BACKUP_DIR", backup)
        .envs(FAST)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let took = started.elapsed().as_secs_f64();
    assert!(out.status.success(), "bare: {}", String::from_utf8_lossy(&out.stderr));
    (took, fs::read_to_string(Path::new(backup).join("trace")).unwrap())
}

/// How the transcript shows the runbook's commands (the tool's queries are other command lines).
const RUNBOOK_COMMANDS: [fn(&str) -> bool; 8] = [
    |c| c.ends_with("systemctl stop manager.service"),
    |c| c.contains(" tar -czvf /backup/"),
    |c| c.ends_with(" down -v"),
    |c| c.ends_with("systemctl start manager.service"),
    |c| c.contains(" tar -xzvf /backup/"),
    |c| c.starts_with("docker compose ") && c.ends_with(" ps"),
    |c| c == "osism reconciler sync",
    |c| c == "osism apply facts",
];

/// From a tool's transcript: how long the runbook's commands ran, and how long it waited for
/// the manager to get healthy (from step 6's note to the runbook's `ps`).
fn runbook_time(log: &str) -> (f64, f64) {
    let mut total = 0.0;
    let mut lines = log.lines();
    while let Some(line) = lines.next() {
        let Some((_, command)) = line.split_once(" $ ") else { continue };
        if RUNBOOK_COMMANDS.iter().any(|is| is(command)) {
            total += lines
                .by_ref()
                .find_map(|l| l.split(" after ").nth(1)?.strip_suffix('s')?.parse::<f64>().ok())
                .expect("the command's duration");
        }
    }
    let step6 = logged_at(log, "step 6", |l| l.contains(" # step 6:"));
    let ps = logged_at(log, "the runbook's ps", |l| l.contains(" $ docker compose") && l.ends_with(" ps"));
    (total, (ps - step6) as f64 / 1e9)
}

fn verification(figures: &mut Vec<Figure>) {
    eprintln!("bench: verification, 200 MB /share");
    {
        let fixture = Fixture::new(Share { small_files: 1_000, big_file_bytes: 200 * 1024 * 1024 });
        let out = fixture.run(&["--yes"], &[]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let log = transcript(&fixture.backup_dir().display().to_string());
        let backup = command_duration(&log, "tar -czvf");
        let noted = |what: &str| {
            log.lines()
                .find_map(|l| l.split(what).nth(1)?.split('s').next()?.parse::<f64>().ok())
                .unwrap_or_else(|| panic!("the log notes {what:?}"))
        };
        let verify = noted("compared the archive with /share after the backup in ");
        let ratio = verify / backup;
        figures.push(Figure {
            key: "verification.backup".into(),
            what: format!(
                "verification after the backup: archive read back and compared with /share entry by entry \
                 {verify:.2} s / backup step {backup:.2} s, 200 MB /share"
            ),
            value: format!("{ratio:.2}"),
            target: "<= 0.5".into(),
            met: ratio <= 0.5,
        });
        let restore = command_duration(&log, "tar -xzvf");
        let check = noted("checked /share after the restore in ");
        let ratio = check / restore;
        figures.push(Figure {
            key: "verification.restore".into(),
            what: format!(
                "restore content check: /share compared with the archive entry by entry {check:.2} s / \
                 restore step {restore:.2} s, 200 MB /share"
            ),
            value: format!("{ratio:.2}"),
            target: "<= 0.5".into(),
            met: ratio <= 0.5,
        });
    }
}

/// The MariaDB volume of the kept case: 200 MiB, incompressible (InnoDB's pages compress well;
/// these are gzip's worst case), written a mebibyte at a time.
const KEPT_MARIADB_MIB: usize = 200;
/// Pairs of kept runs.
const KEPT_PAIRS: usize = 3;

/// The manager's downtime (the summary's "down N s") with and without `--keep-volume mariadb`,
/// on the same fixture with a 200 MiB MariaDB volume refilled before each run, in pairs run
/// plain-kept, kept-plain, ...
fn kept(figures: &mut Vec<Figure>) {
    let fixture = Fixture::new(Share { small_files: 1_000, big_file_bytes: 10 * 1000 * 1000 });
    eprintln!("bench: kept, downtime with and without keeping a {KEPT_MARIADB_MIB} MiB MariaDB volume");
    let fill = || {
        let mut file = fs::File::create(fixture.volume_dir("manager_mariadb").join("ibdata1")).unwrap();
        let mut block = vec![0u8; 1 << 20];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..KEPT_MARIADB_MIB {
            for byte in block.iter_mut() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *byte = state as u8;
            }
            std::io::Write::write_all(&mut file, &block).unwrap();
        }
    };
    let run = |name: String, keep: bool| {
        fill();
        let backup = fresh_dir(&fixture, &name);
        let mut args = vec!["--yes", "--backup-dir", &backup];
        args.extend(if keep { &["--keep-volume", "mariadb"][..] } else { &[] });
        let out = fixture.run(&args, &FAST);
        let said =
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "kept {keep}: {said}");
        let down = said.split("the manager was down ").nth(1).and_then(|rest| rest.split(' ').next());
        down.and_then(|s| s.parse::<f64>().ok()).expect("the summary's downtime")
    };
    let (mut plain, mut kept) = (Vec::new(), Vec::new());
    for round in 0..KEPT_PAIRS {
        if round % 2 == 0 {
            plain.push(run(format!("plain-{round}"), false));
            kept.push(run(format!("kept-{round}"), true));
        } else {
            kept.push(run(format!("kept-{round}"), true));
            plain.push(run(format!("plain-{round}"), false));
        }
    }
    let (plain_median, kept_median) = (median(&plain), median(&kept));
    figures.push(Figure {
        key: "kept.downtime".into(),
        what: format!(
            "kept: the manager's downtime without and with `--keep-volume mariadb`, {KEPT_MARIADB_MIB} MiB \
             incompressible MariaDB volume, median of {KEPT_PAIRS} pairs (without {} s, with {} s)",
            seconds(&plain),
            seconds(&kept)
        ),
        value: format!("{plain_median:.1} s / {kept_median:.1} s (+{:.1} s)", kept_median - plain_median),
        target: "reported: the price of keeping".into(),
        met: true,
    });
}

fn time_runs(n: usize, mut f: impl FnMut()) -> Vec<f64> {
    (0..n)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed().as_secs_f64()
        })
        .collect()
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

fn seconds(values: &[f64]) -> String {
    values.iter().map(|v| format!("{v:.1}")).collect::<Vec<_>>().join(", ")
}

fn fresh_dir(fixture: &Fixture, name: &str) -> String {
    let dir = fixture.backup_dir().join(name);
    fs::create_dir_all(&dir).unwrap();
    dir.display().to_string()
}

/// `docker events` for health changes, from now on, with their times in nanoseconds.
fn health_events() -> Child {
    let child = Command::new("docker")
        .args(["events", "--filter", "event=health_status", "--format", "{{.TimeNano}} {{.Status}}"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    thread::sleep(Duration::from_millis(300)); // let it subscribe before the run starts
    child
}

/// Seconds from the moment there was something to detect (the last `healthy` event, or the
/// start of step 6 if everything was healthy before) to the tool's runbook `ps`, in its `log`.
fn health_latency(mut events: Child, log: &str) -> f64 {
    let _ = events.kill();
    let lines: Vec<String> =
        BufReader::new(events.stdout.take().unwrap()).lines().map_while(Result::ok).collect();
    let _ = events.wait();
    let moved_on =
        logged_at(log, "the runbook's ps", |l| l.contains(" $ docker compose") && l.ends_with(" ps"));
    let waiting_from = logged_at(log, "step 6", |l| l.contains(" # step 6:"));
    let healthy = lines
        .iter()
        .filter(|l| l.ends_with("health_status: healthy"))
        .filter_map(|l| l.split(' ').next()?.parse::<i128>().ok())
        .filter(|t| *t <= moved_on)
        .max()
        .expect("a healthy event before the tool moved on");
    (moved_on - healthy.max(waiting_from)) as f64 / 1e9
}

/// The tool's peak resident set (VmHWM, KiB), sampled until it exits.
fn peak_memory(mut child: Child) -> u64 {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        let status = fs::read_to_string(&status_file).unwrap_or_default();
        let hwm = status.lines().find_map(|l| l.strip_prefix("VmHWM:"));
        if let Some(kib) = hwm.and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok()) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err);
            assert!(status.success(), "{err}");
            return peak;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn transcript(backup_dir: &str) -> String {
    let log = fs::read_dir(backup_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "log"))
        .expect("a transcript");
    fs::read_to_string(log).unwrap()
}

/// The duration the transcript records for the command containing `needle`.
fn command_duration(log: &str, needle: &str) -> f64 {
    let mut lines = log.lines().skip_while(|l| !(l.contains(" $ ") && l.contains(needle)));
    lines
        .find_map(|l| l.split(" after ").nth(1)?.strip_suffix('s')?.parse::<f64>().ok())
        .expect("the command's duration")
}

/// One row per phase: the medians of the tool's and the bare runbook's runs, and each run.
fn phase_rows(breakdown: &mut Vec<String>, tool_phases: &[[f64; 8]], bare_phases: &[[f64; 8]]) {
    for (i, phase) in PHASES.iter().enumerate() {
        let tool: Vec<f64> = tool_phases.iter().map(|p| p[i]).collect();
        let bare: Vec<f64> = bare_phases.iter().map(|p| p[i]).collect();
        let diffs: Vec<f64> = tool.iter().zip(&bare).map(|(t, b)| t - b).collect();
        breakdown.push(format!(
            "| {phase} | {:.2} | {:.2} | {:.2} | {} | {} |",
            median(&tool),
            median(&bare),
            median(&diffs),
            seconds(&tool),
            seconds(&bare)
        ));
    }
}

/// Where the overhead runs' time goes, phase by phase, medians and each run in seconds.
fn breakdown_table(rows: &[String]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut md = String::from(
        "\nThe overhead runs, phase by phase (seconds; a tool step includes its checks):\n\n\
         | phase | tool | bare | tool minus bare | tool runs | bare runs |\n\
         | --- | --- | --- | --- | --- | --- |\n",
    );
    for row in rows {
        let _ = writeln!(md, "{row}");
    }
    md
}

fn epoch_seconds() -> f64 {
    OffsetDateTime::now_utc().unix_timestamp_nanos() as f64 / 1e9
}

/// Splits a tool run from `since` to `until` at its transcript's step notes.
fn phases_of_tool(log: &str, since: f64, until: f64) -> [f64; 8] {
    let starts: Vec<f64> = (1..=7)
        .map(|n| {
            let note = format!(" # step {n}: ");
            logged_at(log, &note, |l| l.contains(&note)) as f64 / 1e9
        })
        .collect();
    split(since, &starts, until)
}

/// The time stamp (Unix nanoseconds) of the transcript's first line that `matches`: `what`.
fn logged_at(log: &str, what: &str, matches: impl Fn(&str) -> bool) -> i128 {
    log.lines()
        .find(|l| matches(l))
        .and_then(|l| OffsetDateTime::parse(l.split(' ').next()?, &Rfc3339).ok())
        .unwrap_or_else(|| panic!("the log shows {what}"))
        .unix_timestamp_nanos()
}

/// Splits a bare run from `since` to `until` at the traced first command of each step.
fn phases_of_bare(trace: &str, since: f64, until: f64) -> [f64; 8] {
    let starts: Vec<f64> = BARE_STEP_STARTS
        .iter()
        .map(|needle| {
            trace
                .lines()
                .filter(|l| l.contains(needle))
                .find_map(trace_stamp)
                .unwrap_or_else(|| panic!("the trace shows {needle:?}"))
        })
        .collect();
    split(since, &starts, until)
}

/// The time stamp `PS4` puts before a traced command (`+ 1764147600.123456 cmd`, a `+` more for
/// each level of command substitution).
fn trace_stamp(line: &str) -> Option<f64> {
    line.strip_prefix('+')?.trim_start_matches('+').split_whitespace().next()?.parse().ok()
}

/// How long the bare runbook's restore tar ran: from its trace line to the next one.
fn restore_of_bare(trace: &str) -> f64 {
    let stamps: Vec<(f64, &str)> = trace.lines().filter_map(|l| Some((trace_stamp(l)?, l))).collect();
    let at = stamps.iter().position(|(_, l)| l.contains("tar -xzvf")).expect("the trace shows the restore");
    stamps[at + 1].0 - stamps[at].0
}

fn split(since: f64, starts: &[f64], until: f64) -> [f64; 8] {
    let mut bounds = vec![since];
    bounds.extend_from_slice(starts);
    bounds.push(until);
    std::array::from_fn(|i| bounds[i + 1] - bounds[i])
}

/// The figures as a table; with a baseline, its value for each figure beside the new one.
fn table(figures: &[Figure], baseline: &Baseline) -> String {
    let mut md = match &baseline.commit {
        Some(commit) => format!(
            "| figure | before ({commit}) | value | target | met |\n| --- | --- | --- | --- | --- |\n"
        ),
        None => String::from("| figure | value | target | met |\n| --- | --- | --- | --- |\n"),
    };
    for f in figures {
        let met = if f.met { "yes" } else { "NO" };
        let before = match &baseline.commit {
            Some(_) => format!(" {} |", baseline.values.get(&f.key).map_or("-", String::as_str)),
            None => String::new(),
        };
        let _ = writeln!(md, "| {} |{before} {} | {} | {} |", f.what, f.value, f.target, met);
    }
    md
}

/// Figures of an earlier commit, measured by this harness (`benches/baseline.tsv`): a line
/// `# commit C` names the commit, then a line `key<TAB>value` per figure.
#[derive(Default)]
struct Baseline {
    commit: Option<String>,
    values: std::collections::HashMap<String, String>,
}

fn baseline() -> Baseline {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/baseline.tsv");
    let Ok(text) = fs::read_to_string(path) else { return Baseline::default() };
    let mut baseline = Baseline::default();
    for line in text.lines() {
        if let Some(commit) = line.strip_prefix("# commit ") {
            baseline.commit = Some(commit.trim().to_owned());
        } else if let Some((key, value)) = line.split_once('\t') {
            baseline.values.insert(key.to_owned(), value.to_owned());
        }
    }
    baseline
}

/// Every figure as `key<TAB>value` into `target/bench-figures.tsv`, the baseline's format.
fn write_figures(figures: &[Figure]) {
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let mut tsv = format!("# commit {commit}\n");
    for f in figures {
        let _ = writeln!(tsv, "{}\t{}", f.key, f.value);
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-figures.tsv");
    fs::write(&path, tsv).unwrap();
    eprintln!("bench: figures in {}", path.display());
}

fn write_report(figures: &[Figure], breakdown: &[String]) {
    let sh = |cmd: &str| {
        Command::new("sh")
            .args(["-c", cmd])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    let mut md = String::from(
        "# Benchmarks\n\nWritten by `make bench` (`benches/reset.rs`); rerun it to refresh.\n\n",
    );
    let _ = writeln!(md, "Run on {} UTC.\n", OffsetDateTime::now_utc().format(&Rfc3339).unwrap());
    md.push_str("## Machine\n\n");
    for (what, cmd) in [
        ("CPU", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"),
        ("cores", "nproc"),
        ("memory", "free -h | awk '/Mem:/ {print $2}'"),
        ("kernel", "uname -r"),
        ("Docker engine", "docker version --format '{{.Server.Version}}'"),
        ("Docker Compose", "docker compose version --short"),
        ("rustc", "rustc --version"),
    ] {
        let _ = writeln!(md, "- {what}: {}", sh(cmd));
    }
    md.push_str("\n## Figures\n\n");
    md.push_str(&table(figures, &baseline()));
    md.push_str(&breakdown_table(breakdown));
    md.push_str(
        "\n## How to reproduce\n\n```sh\nmake bench   # as root: sets up the engine (tests/e2e/setup.sh), then \
         cargo bench --features e2e --bench reset\n# one group, printed only: startup, overhead, scale, verification, \
         large or moved-tag\nmake bench BENCH=large   # or: cargo bench --features e2e --bench reset -- large\n```\n\nThe before column is \
         `benches/baseline.tsv`: the figures this harness measured on the commit it names, made with\n\n\
         ```sh\ngit worktree add /tmp/before COMMIT && cp benches/reset.rs /tmp/before/benches/ && \
         cp tests/e2e/fixture.rs /tmp/before/tests/e2e/\n(cd /tmp/before && cargo bench --features e2e \
         --bench reset -- startup overhead scale verification large) && cp /tmp/before/target/bench-figures.tsv \
         benches/baseline.tsv\n```\n\nThe fixture is the end-to-end suite's (`tests/e2e/fixture.rs`). \
         Start-up runs the release binary with `--dry-run` and no docker on PATH; the overhead compares \
         the tool's full reset with a script of the runbook's eight commands and a 1-second `ps` polling \
         loop (`BARE_RUNBOOK` in `benches/reset.rs`), in pairs run tool-bare, bare-tool, ..., on a \
         fixture that sleeps nowhere (`FAST`), and splits both into phases: the tool's at the step notes \
         of its transcript, the script's at the first command of each step in its bash trace (`PS4` \
         stamped with `EPOCHREALTIME`); the large case does the same with one incompressible 2 GiB file \
         in /share. The moved-tag case (`benches/reset/moved_tag.rs`) builds busybox plus 210 MiB of random \
         bytes offline, pushes it as `127.0.0.1:5000/omr-bench/moved:latest` to the loopback registry \
         (`tests/e2e/registry.sh`), and runs each side on a fresh fixture whose osismclient was created \
         from busybox under that tag, the tag then taken off the engine: the unit stand-in's pull in step 4 \
         (bare) or the tool's before step 1 fetches the new image; downtime is steps 1 to 6, from each \
         side's phases; the image and the repository are removed afterwards. The tool's own time is its wall time less the durations its transcript records for \
         the runbook's commands and less the wait for health (from step 6's note to the runbook's `ps`); \
         memory is the tool's own VmHWM sampled every 20 ms (docker's client processes are not the \
         tool); verification and health latency are read from the run's transcript and from `docker \
         events`.\n",
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("BENCHMARKS.md");
    fs::write(&path, &md).unwrap();
    println!("{md}");
    eprintln!("bench: wrote {}", path.display());
}
