//! The fakes answer as the real programs do: python-osism 0.20261023.0's vault commands
//! (`osism/commands/vault.py`), its Ansible runs' need of a vault password
//! (`osism/tasks/__init__.py`), and OSISM's wrapper in front of it. A fake that answered
//! otherwise would let the tool pass against a manager that does not exist.

use std::fs;
use std::io::Write;
use std::process::{Output, Stdio};

use crate::support::{World, is_query, is_root, stderr, stdout};

/// `osism ARGS` with `stdin` piped in, as the fakes' `osism` (wrapper and all) answers.
fn osism(world: &World, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut command = world.in_world(world.bin_dir().join("osism"));
    command
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn check(world: &World) -> (Option<i32>, String) {
    let out = osism(world, &["vault", "check", "--format", "script"], "", &[]);
    (out.status.code(), stdout(&out))
}

#[test]
fn the_vault_commands_answer_as_python_osism_does() {
    let world = World::new();
    assert_eq!(check(&world), (Some(1), "FAILED: keyfile_missing\n".into()));
    // Read from a pipe, stripped; the key file is made when missing: a valid Fernet key, 32
    // bytes in URL-safe base64.
    let out = osism(&world, &["set", "vault", "password"], "  secret \n", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let key = fs::read_to_string(world.share().join("ansible_vault_password.key")).unwrap();
    assert_eq!(key.len(), 44, "{key:?}");
    assert!(key.ends_with('=') && key[..43].chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c)));
    assert_eq!(check(&world), (Some(0), "PASSED\n".into()));
    // An empty password is stored, with exit 0; the check then says so.
    let out = osism(&world, &["set", "vault", "password"], " \n", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(check(&world), (Some(1), "FAILED: password_empty\n".into()));
    // A new key makes the stored password unreadable; a key that is not Fernet's is refused.
    fs::write(
        world.share().join("ansible_vault_password.key"),
        "rTsdQAIwXmVNlvDKOKV70ruCCfj_aGZSgbsjCrbNprI=",
    )
    .unwrap();
    assert_eq!(check(&world), (Some(1), "FAILED: decryption_failed\n".into()));
    fs::write(world.share().join("ansible_vault_password.key"), "not a key").unwrap();
    assert_eq!(check(&world), (Some(1), "FAILED: invalid_keyfile\n".into()));
    let out = osism(&world, &["set", "vault", "password"], "secret", &[]);
    assert_eq!(out.status.code(), Some(1), "set vault password took an invalid key");
    fs::remove_file(world.share().join("ansible_vault_password.key")).unwrap();
    fs::write(
        world.share().join("ansible_vault_password.key"),
        "rTsdQAIwXmVNlvDKOKV70ruCCfj_aGZSgbsjCrbNprI=",
    )
    .unwrap();
    fs::remove_dir_all(world.state().join("redis")).unwrap();
    assert_eq!(check(&world), (Some(1), "FAILED: password_not_set\n".into()));
}

/// OSISM's wrapper warns on stderr whenever root runs it; with osismclient not running its
/// `docker exec` fails: nothing on stdout, exit 1, the reason on stderr.
#[test]
fn the_wrapper_warns_root_and_a_stopped_osismclient_answers_nothing() {
    let world = World::new();
    let out = osism(&world, &["vault", "check", "--format", "script"], "", &[]);
    assert_eq!(stderr(&out).contains("WARNING: OSISM CLI should not be used as root user"), is_root());
    let out = osism(&world, &["vault", "check", "--format", "script"], "", &[("FAKE_CLIENT_DOWN", "1")]);
    assert_eq!((out.status.code(), stdout(&out).as_str()), (Some(1), ""));
    assert!(
        stderr(&out).contains("Error response from daemon: container 5b1d0e3f9a7c is not running"),
        "{}",
        stderr(&out)
    );
}

/// Every worker Ansible run needs the vault password: from Redis, or environments/.vault_pass.
#[test]
fn ansible_runs_need_a_vault_password_or_vault_pass() {
    let world = World::new();
    let vault_pass = world.configuration().join("environments/.vault_pass");
    assert!(vault_pass.exists(), "the world's manager is configured for unattended runs");
    assert_eq!(osism(&world, &["apply", "facts"], "", &[]).status.code(), Some(0));
    fs::remove_file(&vault_pass).unwrap();
    let out = osism(&world, &["apply", "facts"], "", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("No Ansible Vault password is available."), "{}", stderr(&out));
    assert_eq!(osism(&world, &["set", "vault", "password"], "secret", &[]).status.code(), Some(0));
    assert_eq!(osism(&world, &["apply", "facts"], "", &[]).status.code(), Some(0));
}

/// The shapes are exact: a change dressed like a query is still a change.
#[test]
fn the_harness_never_takes_a_state_change_for_a_query() {
    let argv = |line: &str| shlex::split(line).unwrap();
    for change in [
        "docker volume rm manager_share",
        "docker volume create manager_share",
        "docker volume prune --force",
        "docker volume inspect --format x manager_share extra",
        "docker kill c0ffee01",
        "docker rm --force c0ffee01",
        "docker run --rm --network none --mount source=manager_share,target=/share busybox sh -c 'rm -rf /share'",
        "docker run --rm --network none --mount source=manager_share,target=/share,readonly busybox sh -c 'rm -rf /x'",
        "systemctl stop manager.service",
        "osism set vault password",
        "docker compose --project-directory /opt/manager down -v",
        "docker pull busybox",
        "docker compose --project-directory /opt/manager pull",
        "runuser -u dragon -- docker compose --project-directory /opt/manager pull",
        // May pull the image: a change on the host, and on a dry run.
        "docker run --rm --network none --mount source=manager_share,target=/share,readonly busybox sh -c 'find /share -type d -print0 -o -path /share/known_hosts -print0 -o -path /share/ansible-execution-history.json -print0 -o -print | tr -dc '\\''\\n\\000'\\'' | wc -lc && du -sk /share'",
    ] {
        assert!(!is_query(&argv(change)), "{change} was taken for a query");
    }
    for query in [
        "docker volume inspect --format '{{ index .Labels \"com.docker.compose.project\" }}' manager_share",
        "docker run --rm --pull=never --network none --mount source=manager_share,target=/share,readonly --label org.osism.manager-reset.measure=42 busybox sh -c 'find /share -type d -print0 -o -path /share/known_hosts -print0 -o -path /share/ansible-execution-history.json -print0 -o -print | tr -dc '\\''\\n\\000'\\'' | wc -lc && du -sk /share'",
        "docker image inspect --format '{{.Id}}' busybox",
        "systemctl is-active --quiet manager.service",
        "systemctl show --property=ExecStartPre,ExecStart,User,WorkingDirectory manager.service",
    ] {
        assert!(is_query(&argv(query)), "{query} was taken for a change");
    }
}
