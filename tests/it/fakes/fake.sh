#!/bin/bash
# One stand-in for sudo, systemctl, docker and osism (called by those names), modelled on the
# real programs as shared/field/osism-manager.md describes them. It records its argv to $FAKE_LOG
# (fields split by \x1f) and models the manager in $FAKE_STATE:
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
# A test steers it through the environment:
#   FAKE_FAIL=GLOB      the call whose "name args" matches GLOB exits 1 (FAKE_FAIL_CODE)
#   FAKE_KILL=GLOB      the call matching GLOB kills the tool (its parent) with SIGKILL
#   FAKE_HANG=GLOB      the call matching GLOB sleeps FAKE_HANG_SECONDS first
#   FAKE_HUP=GLOB       the call matching GLOB sends the tool SIGHUP, as a terminal that hangs up
#   FAKE_AT=GLOB FAKE_DO=SCRIPT  the call matching GLOB first runs SCRIPT (bash, $state set):
#                       someone else acting on the host while the reset runs
#   FAKE_ACTIVE         units `systemctl is-active` affirms while the manager is up
#                       (default docker-compose@manager.service; set empty for none)
#   FAKE_ENABLED        units `systemctl is-enabled` affirms
#   FAKE_RUNS_UNDER     the unit whose stop stops the manager's containers (default: any); a stop
#                       of another returns 0 and leaves them running (an active unit that is
#                       not the manager's, as an old docker-compose@manager started beside it)
#   FAKE_START_FAILS=before-volumes|after-volumes  `systemctl start` returns 0 (Type=simple),
#                       then the unit's `compose up` fails, before or after creating the volumes
#                       (an image missing): the unit is failed (`is-failed`) and its journal says why
#   FAKE_STRAY_SHARE    before `systemctl start`'s Compose, something else has created the share
#                       volume (a `docker run --mount`): it exists without the project's label
#   FAKE_SHARE_LATE=N   after `systemctl start`, Compose creates the share volume only at the
#                       N-th `docker volume inspect --format` (Type=simple: start returns first)
#   FAKE_CORRUPT=truncate|drop-one  spoil the archive that the backup writes;
#                       short-write: gzip fails while tar writes (its disk full, say);
#                       rewrite-behind: once the archive is a file (the tool put it in its pipe's
#                       place), before tar exits, a byte of it changes (the size kept)
#   FAKE_CORRUPT_VOLUME=NAME  FAKE_CORRUPT spoils the archive of the kept volume NAME instead
#                       of /share's
#   FAKE_TAR_LATE       the backup's tar prints a last line half a second after it closed the
#                       archive (Docker's attach stream passing it on late)
#   FAKE_TAMPER_AT_START=DIR  `systemctl start` changes a byte of each archive in DIR, its
#                       size kept
#   FAKE_RESTORE=drop-one|alter-old|manager-writes  spoil the restore, or have the running
#                       manager write into /share right after it
#   FAKE_SHARE_KIB      the size `du -sk /share` reports
#   FAKE_DOWN_LEAVES=NAME  `down -v` exits 0 but leaves volume NAME, as when something uses it
#   FAKE_CONFIGURATION  the manager's configuration repository: its environments/.vault_pass,
#                       when there, serves Ansible runs the vault password
#   FAKE_CLIENT_DOWN    the osismclient container is not running until the unit starts it
#   FAKE_OSISM_OLD      osism predates `vault check`
#   FAKE_OSISM_FAILS=timeout|locked|client-down  `osism apply facts` fails as python-osism does on
#                       its idle timeout (the task runs on), under `osism lock`, or as OSISM's
#                       wrapper does when the osismclient container is not running
#   strays     "NAME IMAGE STATE VOLUME" lines: containers outside the project that use a volume
#              (a `docker run --mount source=manager_share` of someone's), running or stopped
#   FAKE_IMAGE_MISSING  the tar image is not on the host until `docker pull` fetches it
#                       (image.pulled); FAKE_PULL_FAILS: its registry cannot be reached
#   FAKE_SUDO=password|denied  sudo asks this user for a password (until `sudo -v` at a terminal
#                       takes "sudo secret" and caches it in sudo.cached), or does not let it
#                       run the unit's commands at all; FAKE_SUDO_EXPIRES: the cache runs out
#                       during the backup
#   FAKE_PROJECT_NAME   the compose project's name (a top-level `name:`), manager by default; the
#                       volumes in `declared` carry it as their prefix
#   FAKE_NO_SYSTEMD     systemctl answers as it does where systemd is not running
#   `systemctl show` of manager.service answers as systemd does for the unit OSISM's role writes:
#   ExecStartPre=docker compose pull, User=dragon (FAKE_UNIT_USER), WorkingDirectory the project
#   (FAKE_UNIT_DIR); the runbook's docker-compose@manager.service starts without a pull unless
#   FAKE_UNIT_PULLS is set. A pulling unit's `start` pulls first, as systemd runs ExecStartPre:
#   where that fails, `start` fails (exit 1, the pull's error in the journal), nothing created.
#   FAKE_REGISTRY_DOWN=always|at-start  the registry cannot be reached: for every pull, or only
#                       once the reset has begun (it died after the pull before step 1)
#   FAKE_IMAGE_MOVED    the registry holds a newer image under the project's tag: once pulled
#                       (image.moved), `docker image inspect` names it, not the containers' own
#                       (the containers' image was pulled as busybox@sha256:c0ffee; the engine's
#                       API, which a test serves with `World::serve_engine`, says what the
#                       registry holds now)
#   runuser             runs the rest of its arguments, as root's `runuser -u USER --` does
#   FAKE_TRACE=FILE     each call appends "begin PID NAME ARGS" (ARGS quoted as by bash's
#                       printf %q) when it starts and "end PID" when it ends, however it ends
#                       short of SIGKILL
set -u
name=$(basename "$0")
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

# Like Compose's `up`: the declared volumes (labelled) and the containers' anonymous ones.
compose_creates() {
    local volume service
    while read -r volume; do
        [ -n "$volume" ] || continue
        [ "$volume" = "$share_volume" ] && [ -n "${1:-}" ] && continue
        # An existing volume is used as it is: Compose warns and does not label it.
        has volumes "$volume" || { add volumes "$volume"; add labelled "$volume"; }
    done < "$state/declared"
    while read -r service volume; do [ -n "$volume" ] && add volumes "$volume"; done < "$state/anonymous"
    [ -z "${1:-}" ] && mkdir -p "$state/share"
    mkdir -p "$state/redis"
}

# Changes the byte in the middle of file $1 to another, the file's size kept.
flip_a_byte() {
    local size offset byte
    size=$(stat -c %s "$1"); offset=$((size / 2))
    byte=$(od -An -tu1 -j "$offset" -N1 "$1" | tr -d ' ')
    printf "\\$(printf %03o $((byte ^ 1)))" | dd of="$1" bs=1 seek="$offset" conv=notrunc status=none
}

# What the tool's measuring script prints of /share, as busybox's find, tr, wc and du print it:
# the files of value and the entries, then the KiB.
measure_share() {
    find "$state/share" -type d -print0 -o -path "$state/share/known_hosts" -print0 \
        -o -path "$state/share/ansible-execution-history.json" -print0 -o -print | tr -dc '\n\000' | wc -lc
    echo "${FAKE_SHARE_KIB:-$(du -sk "$state/share" | cut -f1)}	/share"
}

# The project's running containers that mount volume $1 anywhere (Docker's `volume` filter), as
# "ID SERVICE TARGET" lines; IDs are whole (64 hex digits), one for each of `mounts`' lines. A
# volume that does not exist has none: Docker removes no volume a container uses.
project_mounters() {
    [ -e "$state/up" ] && has volumes "$1" || return 0
    local service source target real n=0
    while read -r service source target; do
        n=$((n + 1))
        [ -n "$service" ] && [ "$source" != - ] || continue
        real=$(grep -m1 -xF "${FAKE_PROJECT_NAME:-manager}_$source" "$state/declared" 2>/dev/null) || continue
        [ "$real" = "$1" ] && printf 'c0ffee%02d%056d %s %s\n' "$n" 0 "$service" "$target"
    done < "$state/mounts"
}

# Whether unit $1's start pulls the project's images first (ExecStartPre).
unit_pulls() { [ "$1" = manager.service ] || [ -n "${FAKE_UNIT_PULLS:-}" ]; }

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

image_here() { [ -z "${FAKE_IMAGE_MISSING:-}" ] || [ -e "$state/image.pulled" ]; }

docker_run() {
    local backup="" mount="" label=""
    while [ $# -gt 0 ]; do
        case "$1" in
            --pull=never)
                image_here || { echo "docker: Error response from daemon: No such image: busybox:latest." >&2; exit 125; }
                shift ;;
            run|--rm) shift ;;
            --network) shift 2 ;;
            --label) label=$2; shift 2 ;;
            --mount) mount=$2; shift 2 ;;
            --volume) backup=${2%:/backup}; shift 2 ;;
            *) break ;;
        esac
    done
    # Like docker, a missing volume is created empty, without any label. The share volume is
    # share/, any other volume mounted at /volume is kept/NAME/volume/.
    local source=${mount#source=}; source=${source%%,*}
    local root=$state dir=share
    case "$mount" in *target=/volume*) root=$state/kept/$source dir=volume ;; esac
    if ! has volumes "$source"; then add volumes "$source"; mkdir -p "$root/$dir"; fi
    # A container of its own, found by its label until it ends, whatever became of its caller.
    if [ -n "$label" ]; then
        mkdir -p "$state/containers"
        echo "$label $source" > "$state/containers/$$"
        at_exit 'rm -f "$state/containers/$$"'
    fi
    shift # the image
    case "$1 ${2:-}" in
        "sh -c") measure_share ;;
        "tar -cf")
            tar -cf "$backup/${3#/backup/}" -C "$root" "$dir" ;;
        "tar -czvf")
            # Tar opens whatever is at the path and writes into it: the tool's pipe, or a file. Its
            # listing goes to stdout, as when it writes no archive there.
            local archive=$backup/${3#/backup/}
            local exclude=() corrupt=${FAKE_CORRUPT:-}
            case "$dir:${FAKE_CORRUPT_VOLUME:-}" in
                share: | volume:"$source") ;;
                *) corrupt="" ;;
            esac
            [ "$corrupt" = drop-one ] && exclude=(--exclude=share/a.txt)
            case "$corrupt" in
                short-write)
                    { tar -czvf - -C "$root" "$dir" 2>&3 | head -c 100 > "$archive"; } 3>&1
                    echo "gzip: short write: No space left on device" >&2
                    echo "tar: write error" >&2
                    exit 1 ;;
                truncate) { tar -czvf - -C "$root" "$dir" 2>&3 | head -c -64 > "$archive"; } 3>&1 ;;
                *) tar -czvf "$archive" "${exclude[@]}" -C "$root" "$dir" || exit 1 ;;
            esac
            # Docker passing tar's last lines on after tar has closed the archive.
            if [ -n "${FAKE_TAR_LATE:-}" ]; then sleep 0.5; echo "share/ (listed late)"; fi
            if [ "$corrupt" = rewrite-behind ]; then
                local tries=0
                while [ ! -f "$archive" ] && [ $((tries += 1)) -lt 200 ]; do sleep 0.05; done
                flip_a_byte "$archive"
            fi
            # A backup that outlasts sudo's password cache (timestamp_timeout).
            if [ -n "${FAKE_SUDO_EXPIRES:-}" ]; then rm -f "$state/sudo.cached"; fi ;;
        "tar -xzvf")
            tar -xzvf "$backup/${3#/backup/}" -C "$root" || exit 1
            case "${FAKE_RESTORE:-}" in
                drop-one) rm "$state/share/a.txt" ;;
                # Different, with an old mtime: not the running manager's doing.
                alter-old) echo tampered > "$state/share/a.txt"; touch -d '2001-01-01' "$state/share/a.txt" ;;
                manager-writes)
                    echo "testbed-node-9 ssh-ed25519 AAAA" > "$state/share/known_hosts.new"
                    echo "vault key, rewritten" > "$state/share/a.txt" ;;
            esac ;;
        *) echo "docker: unexpected run: $*" >&2; exit 125 ;;
    esac
}

# The labelled containers still running, with label key $1 and volume $2.
running_containers() {
    local file label volume
    for file in "$state"/containers/*; do
        [ -f "$file" ] || continue
        read -r label volume < "$file"
        kill -0 "${file##*/}" 2>/dev/null || { rm -f "$file"; continue; }
        [ "${label%%=*}" = "$1" ] && [ "$volume" = "$2" ] && echo "${file##*/}"
    done
}

# Whether a running container mounts volume $1.
in_use() {
    local file label volume
    for file in "$state"/containers/*; do
        [ -f "$file" ] && kill -0 "${file##*/}" 2>/dev/null || continue
        read -r label volume < "$file"
        [ "$volume" = "$1" ] && return 0
    done
    return 1
}

# `docker ps --all --no-trunc --filter volume=A ... --format F`: the containers that use any of
# the volumes, as ID, name, image, state, project label, the tool's own labels and mounts, tab-separated.
volume_users() {
    local wanted=() arg
    for arg in "$@"; do case "$arg" in volume=*) wanted+=("${arg#volume=}") ;; esac; done
    is_wanted() { local w; for w in "${wanted[@]}"; do [ "$w" = "$1" ] && return 0; done; return 1; }
    local service source target real n=0 word=exited
    [ -e "$state/up" ] && word=running
    # The project's containers exist from its first `up` until `down`.
    if [ -e "$state/up" ] || [ -e "$state/redis" ]; then
        while read -r service source target; do
            [ -n "$service" ] && [ "$source" != - ] || continue
            real=$(grep -m1 -xF "${FAKE_PROJECT_NAME:-manager}_$source" "$state/declared" 2>/dev/null) || continue
            is_wanted "$real" && printf 'c0ffee%02d\tmanager-%s-1\tbusybox\t%s\t%s\t\t%s\n' $((n++)) "$service" "$word" "${FAKE_PROJECT_NAME:-manager}" "$real"
        done < "$state/mounts"
    fi
    local file label volume
    for file in "$state"/containers/*; do
        [ -f "$file" ] && kill -0 "${file##*/}" 2>/dev/null || continue
        read -r label volume < "$file"
        is_wanted "$volume" && printf '%s\treadback\tbusybox\trunning\t\t%s\t%s\n' "${file##*/}" "${label#*=}" "$volume"
    done
    local name image status
    while read -r name image status volume; do
        [ -n "$name" ] && is_wanted "$volume" && printf '%s0\t%s\t%s\t%s\t\t\t%s\n' "$name" "$name" "$image" "$status" "$volume"
    done < <(cat "$state/strays" 2>/dev/null)
}

listing() {
    local state_word=$1
    echo "{\"ID\":\"c0ffee01\",\"Name\":\"manager-api-1\",\"Service\":\"api\",\"State\":\"$state_word\",\"Health\":\"healthy\"}"
    echo "{\"ID\":\"c0ffee02\",\"Name\":\"manager-redis-1\",\"Service\":\"redis\",\"State\":\"$state_word\",\"Health\":\"healthy\"}"
}

next_ps() {
    if [ ! -e "$state/up" ]; then listing exited; return; fi
    if [ -e "$state/restarting" ]; then rm "$state/restarting"; listing exited; return; fi
    if [ ! -e "$state/started" ]; then listing running; return; fi
    local n=$(( $(cat "$state/ps.count" 2>/dev/null || echo 0) + 1 ))
    echo "$n" > "$state/ps.count"
    local last
    last=$(ls "$state/ps" 2>/dev/null | sort -n | tail -n 1)
    if [ -z "$last" ]; then
        listing running
    elif [ -f "$state/ps/$n.json" ]; then
        cat "$state/ps/$n.json"
    else
        cat "$state/ps/$last"
    fi
}

config_json() {
    local project=${FAKE_PROJECT_NAME:-manager}
    printf '{"name":"%s","services":{' "$project"
    local service source target sep="" last=""
    while read -r service source target; do
        [ -n "$service" ] || continue
        if [ "$service" != "$last" ]; then
            [ -n "$last" ] && printf ']}'
            printf '%s"%s":{"image":"busybox","volumes":[' "$sep" "$service"; sep=, ; last=$service; msep=""
        fi
        if [ "$source" = - ]; then
            printf '%s{"type":"volume","target":"%s","volume":{}}' "$msep" "$target"
        else
            printf '%s{"type":"volume","source":"%s","target":"%s","volume":{}}' "$msep" "$source" "$target"
        fi
        msep=,
    done < <(sort "$state/mounts" 2>/dev/null)
    [ -n "$last" ] && printf ']}'
    printf '},"volumes":{'
    local volume
    sep=""
    while read -r volume; do
        [ -n "$volume" ] && printf '%s"%s":{"name":"%s"}' "$sep" "${volume#"${project}"_}" "$volume" && sep=,
    done < "$state/declared"
    printf '}}\n'
}

inspect_json() {
    printf '['
    local service volume sep=""
    while read -r service volume; do
        [ -n "$volume" ] || continue
        printf '%s{"Config":{"Labels":{"com.docker.compose.service":"%s"}},"Mounts":[{"Type":"volume","Name":"%s","Destination":"/data"}]}' \
            "$sep" "$service" "$volume"
        sep=,
    done < "$state/anonymous"
    printf '%s{"Config":{"Labels":{"com.docker.compose.service":"api"}},"Mounts":[{"Type":"volume","Name":"%s","Destination":"/share"}]}]\n' \
        "$sep" "$share_volume"
}

# The labels of volume $1 as `docker volume inspect --format '{{json .Labels}}'` prints them:
# those `docker volume create` gave it, else Compose's for a labelled volume, else none.
volume_labels() {
    has volumes "$1" || { echo "Error: No such volume: $1" >&2; exit 1; }
    if [ -f "$state/labels/$1" ]; then cat "$state/labels/$1"
    elif has labelled "$1"; then
        local project=${FAKE_PROJECT_NAME:-manager}
        printf '{"com.docker.compose.project":"%s","com.docker.compose.version":"2.26.1","com.docker.compose.volume":"%s"}\n' \
            "$project" "${1#"${project}"_}"
    else echo null; fi
}

# `docker volume create [--label K=V]... NAME`: an existing volume is left as it is.
volume_create() {
    shift 2
    local labels=() name
    while [ $# -gt 1 ]; do [ "$1" = --label ] && labels+=("$2"); shift 2; done
    name=$1
    if ! has volumes "$name"; then
        add volumes "$name"; mkdir -p "$state/labels" "$state/kept/$name/volume"
        local json="" sep="" label
        for label in "${labels[@]}"; do json+="$sep\"${label%%=*}\":\"${label#*=}\""; sep=,; done
        if [ -n "$json" ]; then echo "{$json}" > "$state/labels/$name"; else echo null > "$state/labels/$name"; fi
        case " ${labels[*]} " in *" com.docker.compose.project="*) add labelled "$name" ;; esac
    fi
    echo "$name"
}

volume_inspect_format() {
    local volume=${!#}
    if [ -e "$state/share.late" ] && [ "$volume" = "$share_volume" ]; then
        local left=$(( $(cat "$state/share.late") - 1 ))
        if [ "$left" -le 0 ]; then
            rm "$state/share.late"; add volumes "$volume"; add labelled "$volume"; mkdir -p "$state/share"
        else
            echo "$left" > "$state/share.late"
        fi
    fi
    has volumes "$volume" || { echo "Error: No such volume: $volume" >&2; exit 1; }
    if has labelled "$volume"; then echo manager; else echo "<no value>"; fi
}

# OSISM's wrapper and python-osism 0.20261023.0 behind it (osism/commands/vault.py,
# osism/tasks/__init__.py): the Fernet key file in /share, the password "encrypted" with it in
# Redis (kept beside the key it was stored with), every Ansible run needing a password.
osism() {
    local keyfile=$state/share/ansible_vault_password.key stored=$state/redis/ansible_vault_password
    # The wrapper warns root on every call, and runs osism with `docker exec`.
    [ "$(id -u)" = 0 ] && printf 'WARNING: OSISM CLI should not be used as root user\n\n' >&2
    command -v docker >/dev/null || { echo "/usr/local/bin/osism: line 36: docker: command not found" >&2; exit 127; }
    # Its `docker exec` into an osismclient that is not running (until the reset starts it).
    if [ -n "${FAKE_CLIENT_DOWN:-}" ] && [ ! -e "$state/started" ]; then
        echo "Error response from daemon: container 5b1d0e3f9a7c is not running" >&2; exit 1
    fi
    is_fernet() { [[ "$(cat "$keyfile")" =~ ^[A-Za-z0-9_-]{43}=$ ]]; }
    case "$*" in
        "vault check --format script")
            if [ -n "${FAKE_OSISM_OLD:-}" ]; then
                echo "Unknown command: ['vault', 'check', '--format', 'script']" >&2; exit 2
            fi
            [ -f "$keyfile" ] || { echo "FAILED: keyfile_missing"; exit 1; }
            is_fernet || { echo "FAILED: invalid_keyfile"; exit 1; }
            [ -f "$stored" ] || { echo "FAILED: password_not_set"; exit 1; }
            [ "$(cat "$stored.key")" = "$(cat "$keyfile")" ] || { echo "FAILED: decryption_failed"; exit 1; }
            [ -n "$(tr -d '[:space:]' < "$stored")" ] || { echo "FAILED: password_empty"; exit 1; }
            echo PASSED ;;
        "set vault password"|"vault password set")
            if [ -f "$keyfile" ]; then
                is_fernet || { echo "ValueError: Fernet key must be 32 url-safe base64-encoded bytes." >&2; exit 1; }
            else
                head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '\n' > "$keyfile"
            fi
            # stdin when it is not a terminal, else a prompt of its own; stripped, stored even empty.
            local password
            if [ -t 0 ]; then
                printf 'Ansible Vault password: ' > /dev/tty
                IFS= read -rs password; echo > /dev/tty
            else
                password=$(cat)
            fi
            password=$(printf '%s' "$password" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//')
            mkdir -p "$state/redis"
            printf '%s' "$password" > "$stored"
            cp "$keyfile" "$stored.key" ;;
        "apply "*|"sync facts")
            case "${FAKE_OSISM_FAILS:-}" in
                timeout)
                    local at="2026-11-28 10:05:00.123 | INFO     |" task=1c6e55aa-9d2f-4f4e-8b1a-3b2a9f0e7c11
                    echo "$at Task $task (facts) is running in background. Output coming soon." >&2
                    echo "$at There has been no output from the task $task for 300 second(s)." >&2
                    echo "$at The task timeout of 300 second(s) can be adjusted using the --timeout parameter." >&2
                    echo "$at Task $task is still running in background. Check ARA for further logs. " >&2
                    echo "$at Use this command to continue waiting for this task: osism wait --output --live --delay 2 $task" >&2
                    exit 1 ;;
                locked)
                    echo "2026-11-28 10:00:00.001 | ERROR    | Tasks are currently locked by dragon at 2026-11-28T09:00:00" >&2
                    echo "2026-11-28 10:00:00.001 | ERROR    | Use 'osism unlock' to remove the lock" >&2
                    exit 1 ;;
                client-down) echo "Error response from daemon: container 5b1d0e3f9a7c is not running" >&2; exit 1 ;;
            esac
            # Redis holding any value, an empty password encrypted included, serves the run.
            if [ ! -f "$stored" ] && [ ! -e "${FAKE_CONFIGURATION:-/nonexistent}/environments/.vault_pass" ]; then
                echo "2026-11-28 10:00:00.000 | ERROR    | No Ansible Vault password is available. Run 'osism set vault password' on the manager, or add environments/.vault_pass to the configuration repository for unattended operation." >&2
                exit 1
            fi
            # The fact cache in Redis, one generation per runtime (python-osism's commands/sync.py):
            # `apply facts` fills osism-ansible's; `sync facts` that and, where the manager runs
            # kolla-ansible, kolla's.
            case "$*" in
                "apply facts") touch "$state/redis/facts.osism-ansible" ;;
                "sync facts")
                    touch "$state/redis/facts.osism-ansible"
                    grep -q '^kolla-ansible ' "$state/mounts" && touch "$state/redis/facts.kolla-ansible" ;;
            esac
            echo "osism $*: task finished" ;;
        *) echo "osism $*: task finished" ;;
    esac
}

case "$name" in
    sudo)
        user=$(id -un 2>/dev/null || echo "uid $(id -u)")
        cached() { [ -e "$state/sudo.cached" ]; }
        case "$1" in
            -n)
                if [ "$2" = -v ]; then
                    # Refreshes a cached password without a prompt, if there is one to refresh.
                    [ "${FAKE_SUDO:-}" = password ] && ! cached && { echo "sudo: a password is required" >&2; exit 1; }
                    exit 0
                fi
                shift 2 # -n -l: what the policy says of the command, without a prompt
                case "${FAKE_SUDO:-}" in
                    denied) echo "Sorry, user $user is not allowed to execute '/usr/bin/$*' as root on manager." >&2; exit 1 ;;
                    password) cached || { echo "sudo: a password is required" >&2; exit 1; } ;;
                esac
                echo "/usr/bin/$*" ;;
            -v)
                [ "${FAKE_SUDO:-}" = password ] && ! cached || exit 0
                [ -t 0 ] || { echo "sudo: a terminal is required to read the password" >&2; exit 1; }
                # sudo writes to /dev/tty, which a user other than the terminal's owner may not
                # open; its standard error is that terminal too.
                printf '[sudo] password for %s: ' "$user" >&2
                IFS= read -rs typed; echo >&2
                [ "$typed" = "sudo secret" ] || { echo "sudo: 1 incorrect password attempt" >&2; exit 1; }
                touch "$state/sudo.cached" ;;
            *)
                if [ "${FAKE_SUDO:-}" = password ] && ! cached; then
                    echo "sudo: a terminal is required to read the password" >&2; exit 1
                fi
                FAKE_INNER=1 exec "$@" ;;
        esac ;;
    journalctl) cat "$state/journal" 2>/dev/null || echo "-- No entries --" ;;
    runuser) shift 3; FAKE_INNER=1 exec "$@" ;;
    osism) osism "$@" ;;
    osism-*) echo "$name $*: ran on the host" ;;
    systemctl)
        if [ -n "${FAKE_NO_SYSTEMD:-}" ]; then
            echo "System has not been booted with systemd as init system (PID 1). Can't operate." >&2
            echo "Failed to connect to bus: Host is down" >&2
            exit 1
        fi
        case "$1" in
            is-active) [ -e "$state/up" ] && [[ " ${FAKE_ACTIVE-docker-compose@manager.service} " == *" $3 "* ]] ;;
            is-enabled) [[ " ${FAKE_ENABLED:-} " == *" $3 "* ]] ;;
            is-failed) [ -e "$state/failed" ] ;;
            show)
                unit=${!#}
                echo "Id=$unit"
                if unit_pulls "$unit"; then
                    echo "ExecStartPre={ path=/usr/bin/docker ; argv[]=/usr/bin/docker compose pull ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }"
                fi
                echo "ExecStart={ path=/usr/bin/docker ; argv[]=/usr/bin/docker compose up --remove-orphans ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }"
                if [ "$unit" = manager.service ]; then echo "User=${FAKE_UNIT_USER-dragon}"; else echo "User="; fi
                echo "WorkingDirectory=${FAKE_UNIT_DIR:-$(cat "$state/working_dir" 2>/dev/null)}" ;;
            start)
                rm -f "$state/failed" "$state/ps.count"
                if unit_pulls "$2" && ! pulled=$(compose_pull start 2>&1); then
                    {
                        printf '%s\n' "$pulled" | sed "s/^/Dec 07 10:00:01 manager docker[4242]: /"
                        echo "Dec 07 10:00:01 manager systemd[1]: $2: Control process exited, code=exited, status=18/n/a"
                        echo "Dec 07 10:00:01 manager systemd[1]: $2: Failed with result 'exit-code'."
                        echo "Dec 07 10:00:01 manager systemd[1]: Failed to start $2 - manager."
                    } > "$state/journal"
                    touch "$state/failed"
                    echo "Job for $2 failed because the control process exited with error code." >&2
                    echo "See \"systemctl status $2\" and \"journalctl -xeu $2\" for details." >&2
                    exit 1
                fi
                if [ -n "${FAKE_START_FAILS:-}" ]; then
                    [ "$FAKE_START_FAILS" = after-volumes ] && compose_creates
                    {
                        echo "Nov 28 10:00:01 manager docker[4242]: Error response from daemon: pull access denied for quay.io/osism/osism, repository does not exist or may require 'docker login'"
                        echo "Nov 28 10:00:01 manager systemd[1]: $2: Main process exited, code=exited, status=1/FAILURE"
                        echo "Nov 28 10:00:01 manager systemd[1]: $2: Failed with result 'exit-code'."
                    } > "$state/journal"
                    touch "$state/failed"
                    exit 0
                fi
                if [ -n "${FAKE_TAMPER_AT_START:-}" ]; then
                    for archive in "$FAKE_TAMPER_AT_START"/*.tar.gz; do flip_a_byte "$archive"; done
                fi
                touch "$state/up" "$state/started"
                if [ -e "$state/stopped" ]; then mv "$state/stopped" "$state/restarted.at"; touch "$state/restarting"; fi
                if [ -n "${FAKE_STRAY_SHARE:-}" ]; then add volumes "$share_volume"; mkdir -p "$state/share"; fi
                if [ -n "${FAKE_SHARE_LATE:-}" ] && ! has volumes "$share_volume"; then
                    echo "$FAKE_SHARE_LATE" > "$state/share.late"; compose_creates late
                else
                    compose_creates
                fi ;;
            stop)
                [ -n "${FAKE_RUNS_UNDER:-}" ] && [ "$2" != "$FAKE_RUNS_UNDER" ] && exit 0
                [ -e "$state/up" ] && touch "$state/stopped"
                rm -f "$state/up" ;;
        esac ;;
    docker)
        case "$*" in
            "compose version"*) echo "2.26.1" ;;
            "compose --project-directory "*" config --format json") config_json ;;
            "volume inspect --format {{json .Labels}} "*) volume_labels "$5" ;;
            "volume inspect --format "*) volume_inspect_format "$@" ;;
            "volume create "*) volume_create "$@" ;;
            "volume inspect "*)
                has volumes "$3" || { echo "Error: No such volume: $3" >&2; exit 1; }
                echo "[{\"Name\":\"$3\"}]" ;;
            "volume ls --quiet --filter "*) cat "$state/labelled" 2>/dev/null ;;
            "volume ls --quiet") cat "$state/volumes" 2>/dev/null ;;
            "volume rm "*)
                has volumes "$3" || { echo "Error: No such volume: $3" >&2; exit 1; }
                in_use "$3" || [ -e "$state/up" ] && [ "$3" = "$share_volume" ] && {
                    echo "Error response from daemon: remove $3: volume is in use" >&2; exit 1; }
                drop volumes "$3"; drop labelled "$3"
                [ "$3" = "$share_volume" ] && rm -rf "$state/share"
                echo "$3" ;;
            # What the containers' image was pulled as: the registry's digest then.
            "image inspect --format {{json .RepoDigests}} "*) echo '["busybox@sha256:c0ffee"]' ;;
            "image inspect --format "*)
                image_here || { echo "Error: No such image: $5" >&2; exit 1; }
                if [ -e "$state/image.moved" ]; then echo "sha256:5e6f7a8b"; else echo "sha256:0b1c2d3e"; fi ;;
            "compose --project-directory "*" pull") compose_pull ;;
            # The image each container was created from, by its service.
            "inspect --format {{index .Config.Labels \"com.docker.compose.service\"}} {{.Image}} "*)
                shift 3
                for id in "$@"; do
                    case "$id" in c0ffee01) echo "api sha256:0b1c2d3e" ;; c0ffee02) echo "redis sha256:0b1c2d3e" ;; esac
                done ;;
            # The image the fake knows by each ID put back under a name (image.moved: the newer).
            "tag sha256:0b1c2d3e "*) rm -f "$state/image.moved" ;;
            "tag sha256:5e6f7a8b "*) touch "$state/image.moved" ;;
            "pull "*)
                if [ -n "${FAKE_PULL_FAILS:-}" ]; then
                    echo "Error response from daemon: Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io: no such host" >&2
                    exit 1
                fi
                echo "latest: Pulling from library/$2"; touch "$state/image.pulled" ;;
            "inspect --format {{.Id}}{{range .Mounts}}"*)
                shift 3
                while read -r id service target; do
                    for wanted in "$@"; do
                        [ "$id" = "$wanted" ] || continue
                        if [ "$target" = /share ]; then echo "$id $share_volume"; else echo "$id"; fi
                    done
                done < <(project_mounters "$share_volume") ;;
            "inspect --format "*)
                shift 3
                at=$(date -u -r "$state/restarted.at" +%Y-%m-%dT%H:%M:%S.%NZ 2>/dev/null || echo 0001-01-01T00:00:00Z)
                for id in "$@"; do echo "${id}0000 $at"; done ;;
            "inspect "*) inspect_json ;;
            "compose --project-directory "*" ps --all --format json") next_ps ;;
            "compose --project-directory "*" ps --all")
                echo "NAME              SERVICE   STATUS"
                if [ -e "$state/failed" ]; then echo "manager-redis-1   redis     Created"; else echo "manager-api-1     api       Up 2 seconds (healthy)"; fi ;;
            "compose --project-directory "*" ps")
                echo "NAME            SERVICE   STATUS"
                echo "manager-api-1   api       Up 2 seconds (healthy)" ;;
            "compose --project-directory "*" down -v")
                rm -f "$state/up" "$state/stopped"
                while read -r volume; do
                    [ -n "$volume" ] && [ "$volume" != "${FAKE_DOWN_LEAVES:-}" ] || continue
                    # In use by a container outside the project: left, and down still exits 0.
                    in_use "$volume" && continue
                    drop volumes "$volume" && drop labelled "$volume"; rm -f "$state/labels/$volume"
                done < <(cat "$state/declared"; cut -d' ' -f2 "$state/anonymous")
                has volumes "$share_volume" || rm -rf "$state/share"
                for kept in "$state"/kept/*; do [ -d "$kept" ] && ! has volumes "${kept##*/}" && rm -rf "$kept"; done
                rm -rf "$state/redis" ;;
            "run "*) docker_run "$@" ;;
            # The tool's measurement of /share, in a running container of the project.
            "exec --user 0 "*" sh -c "*)
                grep -q "^$4 " <(project_mounters "$share_volume") || {
                    echo "Error response from daemon: No such container: $4" >&2; exit 1; }
                measure_share ;;
            "exec "*) echo "docker exec: ran ${*: -1}" ;;
            # Compose labels its containers with the directory it was run in (working_dir).
            "ps --no-trunc --filter volume="*" --filter status=running --filter label=com.docker.compose.project.working_dir="*" --format {{.ID}}")
                [ "${8#*working_dir=}" = "$(cat "$state/working_dir" 2>/dev/null)" ] || exit 0
                project_mounters "${4#volume=}" | cut -d' ' -f1 ;;
            "ps --all --quiet --filter label="*) running_containers "${5#label=}" "${7#volume=}" ;;
            "ps --all --no-trunc "*) volume_users "$@" ;;
            # The runbook's tar containers are the fakes' own processes: none outlives its CLI.
            "ps "*) ;;
            "kill "*) ;;
            "rm --force "*)
                shift 2
                for id in "$@"; do kill -KILL -- "-$id" 2>/dev/null; rm -f "$state/containers/$id"; echo "$id"; done ;;
            *) echo "docker: unexpected call: $*" >&2; exit 125 ;;
        esac ;;
esac
