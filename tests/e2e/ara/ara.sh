#!/bin/sh
# ARA's API server, as OSISM's ara-server runs it, with its Django database on MariaDB through
# the socket the mariadb service shares (root over the socket: MariaDB's unix_socket
# authentication). It migrates, then serves on 127.0.0.1:8000 inside its container.
set -eu
export PYTHONPATH=/opt/ara ARA_BASE_DIR=/var/lib/ara ARA_ALLOWED_HOSTS="['*']" \
    ARA_DATABASE_ENGINE=django.db.backends.mysql ARA_DATABASE_NAME=ara ARA_DATABASE_USER=root \
    ARA_DATABASE_PASSWORD= ARA_DATABASE_HOST=/run/mysqld/mysqld.sock ARA_DEBUG=false
mkdir -p "$ARA_BASE_DIR"
until [ -S /run/mysqld/mysqld.sock ] && mariadb-admin --socket=/run/mysqld/mysqld.sock ping >/dev/null 2>&1; do
    sleep 0.2
done
python3 -m ara.server migrate --noinput
# As PID 1 it would ignore the SIGTERM of `compose stop`: the trap ends it at once.
python3 -m ara.server runserver --noreload 127.0.0.1:8000 &
trap 'kill "$!"; exit 0' TERM
wait
