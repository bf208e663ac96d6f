#!/usr/bin/env bash
# Set up a real Docker engine for the end-to-end suite, idempotently, as root:
# docker.io and busybox-static from Debian, the Compose v2 CLI plugin from Debian trixie's
# docker-compose package, a running dockerd without networking, a local busybox:latest image,
# python3 for the hostile archives, a loopback registry (Debian's docker-registry, see
# registry.sh) on 127.0.0.1:5000 holding the fixture manager's image, 127.0.0.1:5000/library/busybox,
# the image of the manager host with a real systemd (mmdebstrap; systemd-host/build.sh), and the
# image of the real MariaDB and ARA (ara/build.sh).
set -euo pipefail

say() { printf 'e2e-setup: %s\n' "$*" >&2; }
source "$(dirname "$0")/image.sh"
[ "$(id -u)" = 0 ] || { say "run me as root"; exit 2; }
export DEBIAN_FRONTEND=noninteractive

packages=(docker.io busybox-static docker-registry mmdebstrap)
if ! command -v dockerd >/dev/null || ! command -v busybox >/dev/null || ! command -v docker-registry >/dev/null \
    || ! command -v mmdebstrap >/dev/null; then
    say "installing ${packages[*]}"
    apt-get update -q
    # Without systemd here, the packages' init scripts would start the registry on every address
    # (the package's config says `addr: :5000`): no service starts during this install.
    policy=/usr/sbin/policy-rc.d
    if [ -e $policy ]; then
        apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null
    else
        printf '#!/bin/sh\nexit 101\n' >$policy && chmod 0755 $policy
        trap 'rm -f $policy' EXIT
        apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null
        rm -f $policy && trap - EXIT
    fi
fi
# The hostile archives of the rescue tests are made with Python's tarfile.
if ! command -v python3 >/dev/null; then
    say "installing python3"
    apt-get update -q
    apt-get install -y -q --no-install-recommends python3 >/dev/null
fi

plugin_dir=/usr/libexec/docker/cli-plugins
if ! docker compose version >/dev/null 2>&1; then
    say "fetching docker-compose from trixie through the mirror apt already uses"
    # A private apt state that names trixie only for this one download: the system's sources
    # and lists are never touched, so trixie does not stay configured.
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    mirror=$(debian_mirror)
    [ -n "$mirror" ] || { say "no Debian mirror in the apt sources"; exit 2; }
    mkdir -p "$scratch/lists/partial" "$scratch/archives/partial"
    cat >"$scratch/trixie.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
    apt_opts=(-o "Dir::Etc::SourceList=$scratch/trixie.sources" -o "Dir::Etc::SourceParts=-"
        -o "Dir::State::Lists=$scratch/lists" -o "Dir::Cache::Archives=$scratch/archives"
        -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o "APT::Get::List-Cleanup=0"
        -o "APT::Sandbox::User=root")
    apt-get "${apt_opts[@]}" update -q >/dev/null
    (cd "$scratch" && apt-get "${apt_opts[@]}" download docker-compose >/dev/null)
    dpkg-deb -x "$scratch"/docker-compose_*.deb "$scratch/root"
    install -D -m 0755 "$scratch/root$plugin_dir/docker-compose" "$plugin_dir/docker-compose"
fi
say "$(docker compose version)"

if ! docker info >/dev/null 2>&1; then
    say "starting dockerd without networking"
    mkdir -p /var/log
    nohup dockerd --bridge=none --iptables=false --ip6tables=false >/var/log/dockerd-e2e.log 2>&1 &
    for _ in $(seq 1 60); do
        docker info >/dev/null 2>&1 && break
        sleep 1
    done
    docker info >/dev/null 2>&1 || { say "dockerd did not answer; see /var/log/dockerd-e2e.log"; exit 1; }
fi

if ! docker run --rm --network none busybox:latest test -d /tmp >/dev/null 2>&1; then
    say "importing busybox:latest from busybox-static"
    scratch_img=$(mktemp -d)
    mkdir -p "$scratch_img/bin" "$scratch_img/tmp" "$scratch_img/etc" "$scratch_img/root"
    chmod 1777 "$scratch_img/tmp"
    echo 'root:x:0:0:root:/root:/bin/sh' >"$scratch_img/etc/passwd"
    echo 'root:x:0:' >"$scratch_img/etc/group"
    cp "$(command -v busybox)" "$scratch_img/bin/busybox"
    for applet in $("$scratch_img/bin/busybox" --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$scratch_img/bin/$applet"
    done
    tar -C "$scratch_img" -c . | docker import --change 'CMD ["sh"]' \
        --change 'ENV PATH=/bin' - busybox:latest >/dev/null
    rm -rf "$scratch_img"
fi
# The fixture manager's services pull from here (tests/e2e/fixture/compose.yaml), as a manager
# pulls from its docker_registry; the tool's own image stays busybox:latest, which is local.
bash "$(dirname "$0")/registry.sh" start
registry_image=127.0.0.1:5000/library/busybox:latest
docker tag busybox:latest $registry_image
docker push --quiet $registry_image >/dev/null || { say "could not push $registry_image"; exit 1; }

# The systemd host's image, for the engine's socket's group: built once for each recipe (about a
# minute), found by its tag afterwards.
case "${DOCKER_HOST:-}" in
    unix://*) socket=${DOCKER_HOST#unix://} ;;
    *) socket=/var/run/docker.sock ;;
esac
systemd_host=$(bash "$(dirname "$0")/systemd-host/build.sh" "$(stat -c %g "$socket")")
# The real MariaDB and ARA of kept.rs (ara/build.sh): built once for each recipe (a few minutes:
# Debian trixie and PyPI), found by its tag afterwards.
ara_image=$(bash "$(dirname "$0")/ara/build.sh")

# The manager's operator, as on an OSISM manager: the stand-in unit runs as dragon (User=), so
# the tool, as root, pulls the manager's images as dragon (`runuser -u dragon`), who must reach
# the engine; the fixture's project directory is dragon's, as /opt/manager is.
if ! getent passwd dragon >/dev/null; then
    say "adding the operator dragon"
    useradd --uid 45000 --user-group --create-home --shell /bin/bash dragon
fi
usermod --append --groups docker dragon

say "ready: $(docker version --format '{{.Server.Version}}') with busybox:latest, $registry_image in the registry, $systemd_host, $ara_image"
