# Sourced by every stand-in in this folder (sudo, runuser, systemctl, journalctl, docker, osism),
# each modelled on the real program as shared/field/osism-manager.md describes it. A stand-in
# sources this file first, as `source "${0%/*}/../fakes/common.sh"`: the suite's world puts the
# stand-ins in fakes/ and links each into bin/, which is first on PATH.
#
# Every call is recorded in $FAKE_LOG (one line, its argv split by \x1f) unless it is sudo's or
# runuser's own (FAKE_INNER set), and the stand-ins model one manager in $FAKE_STATE:
#   share/     the share volume's contents (the volume exists while the directory does)
#   declared   the named volumes the compose file declares (real names), one a line
#   mounts     "SERVICE SOURCE TARGET" lines: the services' volume mounts as `docker compose
#              config` lists them (SOURCE is the volume's key, "-" for an anonymous volume)
#   anonymous  "SERVICE VOLUME" lines: anonymous volumes of the project's containers (redis /data)
#   volumes    every volume the engine holds; labelled: those with the project's label
#   kept/NAME/volume/  what another named volume (manager_mariadb, say) holds, as a container
#              sees it mounted at /volume; labels/NAME: the labels `docker volume create` gave it
#   up         present while the manager's containers run (the unit starts and stops them)
#   redis/     the anonymous volume of redis: the vault password osism stores there, and the fact
#              cache (facts.RUNTIME, a generation per Ansible runtime)
#   containers/ID  a labelled container (the tool's read-back of /share) while it runs: its
#              label and its volume; ID is its process group, which `docker rm --force` kills.
#              As Docker's, `down -v` cannot remove a volume such a container mounts.
#   stopped    there while the manager's containers are stopped, not removed (its mtime is when
#              they stopped); the first `ps` after a start then still lists them exited, as
#              Compose's `up` starts them again a moment after the unit's start returned
#   working_dir  the project directory, which Compose labels the project's containers with
#   ps/N.json  what the N-th `docker compose ps --all --format json` since the unit's last start
#              prints (the last one repeats); before any start, or once stopped, a fixed listing
#   strays     "NAME IMAGE STATE VOLUME" lines: containers outside the project that use a volume
#              (a `docker run --mount source=manager_share` of someone's), running or stopped
#   journal    what `journalctl` prints (systemctl writes it when a start fails)
#
# The knobs every stand-in heeds; each stand-in documents its own at its top. A call is matched
# as "NAME ARGS" (NAME the name it was called by):
#   FAKE_FAIL=GLOB      the call whose "name args" matches GLOB exits 1 (FAKE_FAIL_CODE)
#   FAKE_KILL=GLOB      the call matching GLOB kills the tool (its parent) with SIGKILL
#   FAKE_HANG=GLOB      the call matching GLOB sleeps FAKE_HANG_SECONDS first
#   FAKE_HUP=GLOB       the call matching GLOB sends the tool SIGHUP, as a terminal that hangs up
#   FAKE_AT=GLOB FAKE_DO=SCRIPT  the call matching GLOB first runs SCRIPT (bash, $state set):
#                       someone else acting on the host while the reset runs
#   FAKE_TRACE=FILE     each call appends "begin PID NAME ARGS" (ARGS quoted as by bash's
#                       printf %q) when it starts and "end PID" when it ends, however it ends
#                       short of SIGKILL (sudo's own calls are not traced)
#   FAKE_REGISTRY_DOWN=always|at-start  (the pull, see compose_pull) the registry cannot be
#                       reached: for every pull, or only once the reset has begun (it died after
#                       the pull before step 1)
#   FAKE_IMAGE_MOVED    (the pull) the registry holds a newer image under the project's tag: once
#                       pulled (image.moved), `docker image inspect` names it
set -u
name=${0##*/}
line="$name $*"
if [ -z "${FAKE_INNER:-}" ]; then
    # One write a call: calls may run at once (preflight asks its questions in parallel).
    record=$name
    for arg in "$@"; do record+=$'\x1f'"$arg"; done
    printf '%s\n' "$record" >> "$FAKE_LOG"
fi
# What to do on exit, however the call ends short of SIGKILL: bash keeps one EXIT trap.
on_exit=""
at_exit() { on_exit+="$1;"; trap "$on_exit" EXIT; }
if [ -n "${FAKE_TRACE:-}" ] && [ "$name" != sudo ]; then
    # Quoted as a shell would read it back, so that the tests split it as it ran.
    printf -v quoted ' %q' "$@"
    echo "begin $$ $name$quoted" >> "$FAKE_TRACE"
    at_exit 'echo "end $$" >> "$FAKE_TRACE"'
    trap 'exit 143' TERM
fi
matches() { [ -n "${1:-}" ] && [[ "$line" == $1 ]]; }
if matches "${FAKE_HANG:-}"; then sleep "${FAKE_HANG_SECONDS:-5}"; fi
if matches "${FAKE_KILL:-}"; then kill -KILL "$PPID"; sleep 1; exit 1; fi
# The terminal hangs up while this call runs: the tool (its parent) gets SIGHUP.
if matches "${FAKE_HUP:-}"; then kill -HUP "$PPID"; fi
if matches "${FAKE_AT:-}"; then state=$FAKE_STATE PATH=$PATH:/usr/bin:/bin bash -c "$FAKE_DO"; fi
if matches "${FAKE_FAIL:-}"; then
    echo "$name: failing as told" >&2
    exit "${FAKE_FAIL_CODE:-1}"
fi
state=$FAKE_STATE
share_volume=$(grep -m1 share "$state/declared" 2>/dev/null || echo manager_share)

has() { grep -qxF "$2" "$state/$1" 2>/dev/null; }
add() { has "$1" "$2" || echo "$2" >> "$state/$1"; }
drop() { grep -vxF "$2" "$state/$1" > "$state/$1.new" 2>/dev/null; mv "$state/$1.new" "$state/$1"; }

# Changes the byte in the middle of file $1 to another, the file's size kept.
flip_a_byte() {
    local size offset byte
    size=$(stat -c %s "$1"); offset=$((size / 2))
    byte=$(od -An -tu1 -j "$offset" -N1 "$1" | tr -d ' ')
    printf "\\$(printf %03o $((byte ^ 1)))" | dd of="$1" bs=1 seek="$offset" conv=notrunc status=none
}

# What the tool's measuring script prints of /share, as busybox's find, tr, wc and du print it:

# Compose's pull of the project's images, as Compose 2.26 prints it; $1 is "start" when the
# unit's ExecStartPre runs it. Where the registry cannot be reached, Compose stops at the first
# image and cancels the rest (exit 18).
compose_pull() {
    local refused='Get "http://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused'
    case "${FAKE_REGISTRY_DOWN:-}" in
        always) ;;
        at-start) [ "${1:-}" = start ] || { compose_pulled; return 0; } ;;
        *) compose_pulled; return 0 ;;
    esac
    {
        echo " redis Pulling"
        echo " mariadb Pulling"
        echo " redis Error $refused"
        echo " mariadb Error context canceled"
        echo "Error response from daemon: $refused"
    } >&2
    return 18
}
compose_pulled() {
    echo " redis Pulled"
    echo " mariadb Pulled"
    [ -n "${FAKE_IMAGE_MOVED:-}" ] && touch "$state/image.moved"
    return 0
}
