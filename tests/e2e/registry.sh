#!/usr/bin/env bash
# The suite's loopback image registry (Debian's docker-registry, the CNCF distribution registry
# 2.8), as root: `start`, `stop`, `status`. It listens on 127.0.0.1:5000 only, over plain HTTP
# (the engine allows 127.0.0.0/8 without TLS by default: `docker info` lists it under Insecure
# Registries), keeps its blobs under $STATE/storage and runs from a config file of its own, as
# the package's user docker-registry, in the background like setup.sh's dockerd. The package's
# own service is not used: no systemd runs on the test machine, and its config listens on every
# address. Tests stop it to make the registry unreachable, and start it again (see
# tests/e2e/registry.rs); `start` and `stop` are idempotent and return once the registry answers
# or no longer does.
#
#   start   start it unless it answers; exit 0 once it answers on /v2/
#   stop    stop the one this script started; exit 0 once nothing answers on 127.0.0.1:5000
#   status  print "running" (exit 0) or "stopped" (exit 3), as `systemctl is-active` does
#   forget REPOSITORY
#           delete REPOSITORY (e.g. omr-bench/moved) and the blobs no other repository uses
#           (the registry's garbage-collect, run while it is stopped), then start it again: for
#           a benchmark's own images, which must not stay behind
set -euo pipefail

STATE=/var/lib/osism-manager-reset-e2e/registry
ADDR=127.0.0.1:5000
LOG=/var/log/osism-manager-reset-e2e-registry.log
pidfile=$STATE/pid

say() { printf 'e2e-registry: %s\n' "$*" >&2; }
# Whether the registry answers its API's base endpoint with 200, asked by bash alone (busybox-static's
# wget crashes on glibc's resolver, and a fresh machine may have no curl).
answers() {
    timeout 2 bash -c 'exec 3<>"/dev/tcp/${0%:*}/${0#*:}" && printf "GET /v2/ HTTP/1.0\r\nHost: %s\r\n\r\n" "$0" >&3 &&
        head -n 1 <&3' "$ADDR" 2>/dev/null | grep -q '^HTTP/1\.[01] 200'
}
# The registry this script started, if it still runs (not another process that got its pid).
pid() { [ -s "$pidfile" ] && [ "$(cat "/proc/$(cat "$pidfile")/comm" 2>/dev/null)" = docker-registry ] && cat "$pidfile"; }

start() {
    answers && return 0
    [ "$(id -u)" = 0 ] || { say "run me as root"; exit 2; }
    command -v docker-registry >/dev/null || { say "docker-registry is not installed: run tests/e2e/setup.sh"; exit 2; }
    mkdir -p "$STATE/storage"
    chown docker-registry: "$STATE/storage"
    cat >"$STATE/config.yml" <<CONFIG
# Written by tests/e2e/registry.sh: the e2e suite's loopback registry.
version: 0.1
log:
  level: info
  fields:
    service: osism-manager-reset-e2e-registry
storage:
  filesystem:
    rootdirectory: $STATE/storage
  delete:
    enabled: true
http:
  addr: $ADDR
  headers:
    X-Content-Type-Options: [nosniff]
CONFIG
    # A registry this script started and that no longer answers is stopped first.
    stop
    # In a session of its own, so that a Ctrl-C to the test run that started it does not end it.
    nohup setsid setpriv --reuid=docker-registry --regid=docker-registry --init-groups -- \
        docker-registry serve "$STATE/config.yml" >>"$LOG" 2>&1 </dev/null &
    echo $! >"$pidfile"
    for _ in $(seq 1 100); do
        answers && return 0
        kill -0 "$(cat "$pidfile")" 2>/dev/null || break
        sleep 0.1
    done
    say "the registry does not answer on $ADDR; see $LOG"
    exit 1
}

stop() {
    local p
    if p=$(pid); then
        kill -TERM "$p"
        for _ in $(seq 1 100); do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$p" 2>/dev/null && kill -KILL "$p"
    fi
    rm -f "$pidfile"
    if answers; then
        say "something not started by this script answers on $ADDR"
        exit 1
    fi
}

forget() {
    local repo=${1:-}
    [[ $repo =~ ^[a-z0-9]+([._/-][a-z0-9]+)*$ && $repo != library/* ]] || { say "forget: not a repository of its own: '$repo'"; exit 2; }
    stop
    (cd "$STATE/storage/docker/registry/v2/repositories" && rm -rf "$repo" &&
        { [ "$(dirname "$repo")" = . ] || rmdir -p --ignore-fail-on-non-empty "$(dirname "$repo")"; })
    setpriv --reuid=docker-registry --regid=docker-registry --init-groups -- \
        docker-registry garbage-collect "$STATE/config.yml" >>"$LOG" 2>&1
    start
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    forget) forget "${2:-}" ;;
    status) if answers; then echo running; else echo stopped; exit 3; fi ;;
    *) say "usage: $0 start|stop|status|forget REPOSITORY"; exit 2 ;;
esac
