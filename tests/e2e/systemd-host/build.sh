#!/usr/bin/env bash
# The image of the e2e suite's manager host with a real systemd as PID 1 (systemd_host.rs runs
# it), as root: a Debian bookworm rootfs made by mmdebstrap from the mirror apt already uses, with
# systemd, dbus, sudo, procps and util-linux, then `docker import`. Inside: OSISM's operator
# dragon (uid and gid 45000, groups adm and sudo, as osism/ansible-collection-commons' operator
# role makes it) also in the group of the engine's socket, so that dragon can use the socket the
# suite mounts; the sudoers line the README recommends; OSISM's manager.service and osism.target
# as the roles write them, enabled; a docker.service standing for the engine outside.
#
#   build.sh SOCKET_GID   print the image's tag, building it first unless an image of that tag
#                         exists. The tag is a hash of this recipe (this script, the unit files
#                         beside it), the socket's gid and the mirror: a changed recipe builds a
#                         new image, and the older ones of this repository are removed.
#   build.sh customize ROOT SOCKET_GID    mmdebstrap's customize hook (not for direct use).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repository=osism-manager-reset-e2e/systemd-host
say() { printf 'e2e-systemd-host: %s\n' "$*" >&2; }
source "$here/../image.sh"

customize() {
    local root=$1 gid=$2
    install -m 0644 "$here/manager.service" "$here/osism.target" "$here/docker.service" "$root/etc/systemd/system/"
    chroot "$root" groupadd --gid 45000 dragon
    chroot "$root" useradd --uid 45000 --gid dragon --groups adm,sudo --create-home \
        --shell /bin/bash --comment "OSISM operator user" dragon
    # The socket's group: an existing group of that gid, or one named docker, as on a manager.
    local group
    group=$(chroot "$root" getent group "$gid" | cut -d: -f1 || true)
    if [ -z "$group" ]; then
        group=docker
        chroot "$root" groupadd --gid "$gid" "$group"
    fi
    chroot "$root" usermod --append --groups "$group" dragon
    # The README's line: dragon may stop and start the unit, and nothing else. OSISM's operator
    # role grants `NOPASSWD: ALL`; the narrower line is what the tool documents as enough.
    printf '%s\n' 'dragon ALL=(root) NOPASSWD: /usr/bin/systemctl stop manager.service, /usr/bin/systemctl start manager.service' \
        >"$root/etc/sudoers.d/osism-manager-reset"
    chmod 0440 "$root/etc/sudoers.d/osism-manager-reset"
    chroot "$root" visudo -cf /etc/sudoers.d/osism-manager-reset >/dev/null
    chroot "$root" systemctl enable osism.target manager.service docker.service
    # Debian's tmpfiles.d/tmp.conf empties /tmp at boot (`D /tmp`): the suite mounts the
    # fixture's directories under the test machine's /tmp at the same path, which must stay.
    printf '%s\n' '# e2e: /tmp holds the fixture directories mounted from the test machine; never emptied.' \
        'd /tmp 1777 root root -' >"$root/etc/tmpfiles.d/tmp.conf"
    # Nothing here logs in on a console; the mount points of what the suite mounts.
    chroot "$root" systemctl mask getty@tty1.service console-getty.service
    mkdir -p "$root/usr/libexec/docker/cli-plugins"
    echo testbed-manager >"$root/etc/hostname"
}

if [ "${1:-}" = customize ]; then
    customize "$2" "$3"
    exit 0
fi

gid=${1:?usage: build.sh SOCKET_GID}
[ "$(id -u)" = 0 ] || { say "run me as root"; exit 2; }
mirror=$(debian_mirror)
[ -n "$mirror" ] || { say "no Debian mirror in the apt sources"; exit 2; }
tag=$( (cat "$here/build.sh" "$here/manager.service" "$here/osism.target" "$here/docker.service";
    echo "$gid $mirror") | recipe_tag "$repository")
if docker image inspect "$tag" >/dev/null 2>&1; then
    echo "$tag"
    exit 0
fi

command -v mmdebstrap >/dev/null || { say "mmdebstrap is not installed: run tests/e2e/setup.sh"; exit 2; }
say "building $tag from $mirror"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
started=$(date +%s)
mmdebstrap --quiet --variant=minbase --include=systemd,systemd-sysv,dbus,sudo,procps,util-linux \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook="bash '$here/build.sh' customize \"\$1\" $gid" \
    bookworm "$scratch/rootfs.tar" "$mirror" >&2
# systemd wants to know it runs in a container (`container=`). It halts on SIGRTMIN+3, which
# `docker import` cannot set (STOPSIGNAL is no change it takes): `docker run --stop-signal` does.
docker import --change 'ENV container=docker' --change 'CMD ["/sbin/init"]' "$scratch/rootfs.tar" "$tag" >/dev/null
say "built $tag in $(($(date +%s) - started)) s"
drop_older "$repository" "$tag"
echo "$tag"
