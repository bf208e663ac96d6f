#!/usr/bin/env bash
# The image of the e2e suite's real ARA and MariaDB, as root: a Debian trixie rootfs (MariaDB
# 11.8, the series OSISM pins) made by mmdebstrap from the mirror apt already uses, with
# mariadb-server and Python's MySQL driver (python3-mysqldb, mysqlclient) from Debian, ARA's API
# server (`ara[server]` 1.8.0, as OSISM's ara-server:1.8.0-r1 packs it) and its dependencies
# installed from PyPI into the rootfs on the host (containers have no network), then `docker
# import`. mariadb.sh and ara.sh beside this script start each service; one image serves both.
#
#   build.sh             print the image's tag, building it first unless an image of that tag
#                        exists. The tag is a hash of this recipe (this script, the start scripts
#                        beside it) and the mirror: a changed recipe builds a new image, and the
#                        older ones of this repository are removed.
#   build.sh customize ROOT   mmdebstrap's customize hook (not for direct use).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repository=osism-manager-reset-e2e/ara
ara='ara[server]==1.8.0'
say() { printf 'e2e-ara: %s\n' "$*" >&2; }
source "$here/../image.sh"

customize() {
    local root=$1 python
    # Wheels for the rootfs's Python, whatever this host's is: pure ones, or manylinux ones.
    python=$(basename "$(readlink -f "$root/usr/bin/python3")")
    python=${python#python}
    python3 -m pip install --quiet --disable-pip-version-check --no-compile --target "$root/opt/ara" \
        --python-version "$python" --implementation cp --only-binary=:all: \
        --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform any "$ara"
    install -m 0755 "$here/mariadb.sh" "$root/usr/local/bin/e2e-mariadb"
    install -m 0755 "$here/ara.sh" "$root/usr/local/bin/e2e-ara"
}

if [ "${1:-}" = customize ]; then
    customize "$2"
    exit 0
fi

[ "$(id -u)" = 0 ] || { say "run me as root"; exit 2; }
mirror=$(debian_mirror)
[ -n "$mirror" ] || { say "no Debian mirror in the apt sources"; exit 2; }
tag=$( (cat "$here/build.sh" "$here/mariadb.sh" "$here/ara.sh"; echo "$mirror") | recipe_tag "$repository")
if docker image inspect "$tag" >/dev/null 2>&1; then
    echo "$tag"
    exit 0
fi

command -v mmdebstrap >/dev/null || { say "mmdebstrap is not installed: run tests/e2e/setup.sh"; exit 2; }
say "building $tag from $mirror"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
started=$(date +%s)
mmdebstrap --quiet --variant=minbase --include=mariadb-server,python3,python3-mysqldb \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook="bash '$here/build.sh' customize \"\$1\"" \
    trixie "$scratch/rootfs.tar" "$mirror" >&2
docker import "$scratch/rootfs.tar" "$tag" >/dev/null
say "built $tag in $(($(date +%s) - started)) s"
drop_older "$repository" "$tag"
echo "$tag"
