//! `--keep-volume` on the real things: the fixture manager with Debian's MariaDB 11.8 and ARA's
//! API server 1.8.0 on it (`fixture/ara.yaml`, the image `ara/build.sh` makes), a few playbooks
//! recorded through ARA's API before the reset. Kept, ARA lists the same playbooks after it and
//! MariaDB opened the existing data; not kept, ARA is empty, as the plan said.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::fixture::{Fixture, Share, docker, ok};
use crate::text;

/// A small /share: the case is MariaDB's volume.
const SMALL: Share = Share { small_files: 10, big_file_bytes: 4096 };

/// The image of the real MariaDB and ARA, built once per recipe (setup.sh builds it beforehand).
fn image() -> &'static str {
    static IMAGE: OnceLock<String> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let build = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/ara/build.sh");
        let out = Command::new("bash").arg(build).stdin(Stdio::null()).stderr(Stdio::inherit()).output();
        ok(out.expect("bash runs"), "ara/build.sh").trim().to_owned()
    })
}

fn fixture() -> Fixture {
    Fixture::variant(SMALL, "ara.yaml", &format!("E2E_ARA_IMAGE={}\n", image()))
}

/// Runs `script` with Python in ARA's container, where its API answers on 127.0.0.1:8000.
fn in_ara(fixture: &Fixture, script: &str) -> String {
    ok(fixture.compose(&["exec", "-T", "ara-server", "python3", "-c", script]), "python3 in ara-server")
}

/// Records `count` playbooks through ARA's API, as the `ara` callback of osism's Ansible runs does.
fn record_playbooks(fixture: &Fixture, count: usize) {
    in_ara(
        fixture,
        &format!(
            "import json, urllib.request\n\
             for i in range({count}):\n\
             \x20   body = json.dumps({{'ansible_version': '2.16.14', 'status': 'completed', \
             'path': '/ansible/play-%d.yml' % i, 'controller': 'testbed-manager'}}).encode()\n\
             \x20   request = urllib.request.Request('http://127.0.0.1:8000/api/v1/playbooks', body, \
             {{'Content-Type': 'application/json'}})\n\
             \x20   assert urllib.request.urlopen(request).status == 201\n"
        ),
    );
}

/// How many playbooks ARA lists, and the newest one's id (0 for none).
fn playbooks(fixture: &Fixture) -> (u64, u64) {
    let out = in_ara(
        fixture,
        "import json, urllib.request\n\
         listed = json.load(urllib.request.urlopen('http://127.0.0.1:8000/api/v1/playbooks?order=-id'))\n\
         print(listed['count'], listed['results'][0]['id'] if listed['results'] else 0)",
    );
    let mut words = out.split_whitespace().map(|w| w.parse::<u64>().expect("a number"));
    (words.next().expect("a count"), words.next().expect("an id"))
}

/// What MariaDB's start said of its data directory, from the container's log since it was made.
fn mariadb_log(fixture: &Fixture) -> String {
    let out = fixture.compose(&["logs", "--no-log-prefix", "mariadb"]);
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

#[test]
fn kept_mariadb_keeps_aras_playbooks_and_without_keeping_ara_starts_empty() {
    for keep in [true, false] {
        let fixture = fixture();
        record_playbooks(&fixture, 3);
        let before = playbooks(&fixture);
        assert_eq!(before.0, 3, "ARA recorded {before:?}");
        let dry = fixture.run(&["--dry-run"], &[]);
        let plan = text(&dry.stdout);
        let args: &[&str] = if keep { &["--yes", "--keep-volume", "mariadb"] } else { &["--yes"] };
        let out = fixture.run(args, &[]);
        assert!(out.status.success(), "keep {keep}: {}", text(&out.stderr));
        let after = playbooks(&fixture);
        let log = mariadb_log(&fixture);
        let up = std::fs::read_to_string(fixture.path().join("compose-up.log")).unwrap_or_default();
        if keep {
            assert_eq!(after, before, "ARA lists other playbooks after a reset that kept mariadb");
            assert!(log.contains("e2e-mariadb: opening the existing database"), "{log}");
            assert!(!log.contains("initialising a new database"), "{log}");
            assert!(!up.contains("already exists but was not created by Docker Compose"), "{up}");
            let labels = ok(
                docker(&["volume", "inspect", "--format", "{{json .Labels}}", "manager_mariadb"]),
                "inspect",
            );
            assert!(labels.contains(r#""com.docker.compose.volume":"mariadb""#), "{labels}");
            let summary = text(&out.stdout);
            assert!(summary.contains("kept: manager_mariadb,"), "{summary}");
        } else {
            assert!(
                plan.contains("manager_mariadb (ARA's database: --keep-volume mariadb keeps it)"),
                "{plan}"
            );
            // Empty: ARA's migrations ran again on a database MariaDB made anew.
            assert_eq!(after, (0, 0), "ARA still lists playbooks after `down -v` deleted its database");
        }
    }
}
