#!/bin/bash
# One stand-in for sudo, systemctl, docker and osism (called by those names). It records its
# argv to $FAKE_LOG (fields split by \x1f) and models the manager in $FAKE_STATE:
#   share/    the share volume's contents (the volume exists while the directory does)
#   volumes   the names `docker volume ls` lists for the project (`down -v` empties it, the
#             unit's start fills it again from volumes.all)
#   ps/N.json what the N-th `docker compose ps --all --format json` prints (the last one repeats)
# A test steers it through the environment:
#   FAKE_FAIL=GLOB      the call whose "name args" matches GLOB exits 1 (FAKE_FAIL_CODE)
#   FAKE_KILL=GLOB      the call matching GLOB kills the tool (its parent) with SIGKILL
#   FAKE_HANG=GLOB      the call matching GLOB sleeps FAKE_HANG_SECONDS first
#   FAKE_ACTIVE, FAKE_ENABLED  units that `systemctl is-active` / `is-enabled` affirm
#   FAKE_CORRUPT=truncate|drop-one  spoil the archive that the backup writes
#   FAKE_SHARE_KIB      the size `du -sk /share` reports
#   FAKE_DOWN_LEAVES=NAME  `down -v` exits 0 but leaves volume NAME, as when something uses it
set -u
name=$(basename "$0")
line="$name $*"
if [ -z "${FAKE_INNER:-}" ]; then
    { printf '%s' "$name"; for arg in "$@"; do printf '\x1f%s' "$arg"; done; printf '\n'; } >> "$FAKE_LOG"
fi
matches() { [ -n "${1:-}" ] && [[ "$line" == $1 ]]; }
if matches "${FAKE_HANG:-}"; then sleep "${FAKE_HANG_SECONDS:-5}"; fi
if matches "${FAKE_KILL:-}"; then kill -KILL "$PPID"; sleep 1; exit 1; fi
if matches "${FAKE_FAIL:-}"; then
    echo "$name: failing as told" >&2
    exit "${FAKE_FAIL_CODE:-1}"
fi
state=$FAKE_STATE

docker_run() {
    local backup="" mount=""
    while [ $# -gt 0 ]; do
        case "$1" in
            run|--rm) shift ;;
            --network) shift 2 ;;
            --mount) mount=$2; shift 2 ;;
            --volume) backup=${2%:/backup}; shift 2 ;;
            *) break ;;
        esac
    done
    # Like docker, a missing volume is created empty.
    mkdir -p "$state/share"
    shift # the image
    case "$1 ${2:-}" in
        "sh -c")
            find "$state/share" | wc -l
            echo "${FAKE_SHARE_KIB:-$(du -sk "$state/share" | cut -f1)}	/share" ;;
        "tar -czvf")
            local archive=$backup/${3#/backup/}
            local exclude=()
            [ "${FAKE_CORRUPT:-}" = drop-one ] && exclude=(--exclude=share/a.txt)
            tar -czvf "$archive" "${exclude[@]}" -C "$state" share || exit 1
            if [ "${FAKE_CORRUPT:-}" = truncate ]; then truncate -s -64 "$archive"; fi ;;
        "tar -xzvf")
            tar -xzvf "$backup/${3#/backup/}" -C "$state" ;;
        *) echo "docker: unexpected run: $*" >&2; exit 125 ;;
    esac
}

next_ps() {
    local n=$(( $(cat "$state/ps.count" 2>/dev/null || echo 0) + 1 ))
    echo "$n" > "$state/ps.count"
    local last
    last=$(ls "$state/ps" 2>/dev/null | sort -n | tail -n 1)
    if [ -z "$last" ]; then
        echo '{"Name":"manager-api-1","Service":"api","State":"running","Health":"healthy"}'
    elif [ -f "$state/ps/$n.json" ]; then
        cat "$state/ps/$n.json"
    else
        cat "$state/ps/$last"
    fi
}

case "$name" in
    sudo) FAKE_INNER=1 exec "$@" ;;
    osism) echo "osism $*: task finished" ;;
    osism-*) echo "$name $*: ran on the host" ;;
    systemctl)
        case "$1" in
            is-active) [[ " ${FAKE_ACTIVE:-} " == *" $3 "* ]] ;;
            is-enabled) [[ " ${FAKE_ENABLED:-} " == *" $3 "* ]] ;;
            start) mkdir -p "$state/share"; cat "$state/volumes.all" > "$state/volumes" ;;
            stop) ;;
        esac ;;
    docker)
        case "$*" in
            "compose version"*) echo "2.26.1" ;;
            "compose --project-directory "*" config --format json") echo '{"name":"manager","services":{}}' ;;
            "volume inspect "*)
                [ -d "$state/share" ] || { echo "Error: No such volume: $3" >&2; exit 1; }
                echo '[{"Name":"manager_share"}]' ;;
            "volume ls "*) cat "$state/volumes" 2>/dev/null ;;
            "compose --project-directory "*" ps --all --format json") next_ps ;;
            "compose --project-directory "*" ps")
                echo "NAME            SERVICE   STATUS"
                echo "manager-api-1   api       Up 2 seconds (healthy)" ;;
            "compose --project-directory "*" down -v")
                echo -n "${FAKE_DOWN_LEAVES:+$FAKE_DOWN_LEAVES$'\n'}" > "$state/volumes"
                [ "${FAKE_DOWN_LEAVES:-}" = manager_share ] || rm -rf "$state/share" ;;
            "run "*) docker_run "$@" ;;
            "exec "*) echo "docker exec: ran ${*: -1}" ;;
            *) echo "docker: unexpected call: $*" >&2; exit 125 ;;
        esac ;;
esac
