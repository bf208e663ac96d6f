#!/bin/sh
# MariaDB as OSISM's manager runs it for ARA, from Debian's mariadb-server: its data in
# /var/lib/mysql (the project's mariadb volume), its socket in /run/mysqld (shared with ARA, as
# the suite's containers have no network). A data directory without the system tables is
# initialised first, and says so: a reset that keeps the volume must never show that line.
set -eu
mkdir -p /run/mysqld
chown mysql:mysql /run/mysqld /var/lib/mysql
if [ ! -d /var/lib/mysql/mysql ]; then
    echo "e2e-mariadb: initialising a new database in /var/lib/mysql"
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db >/dev/null
else
    echo "e2e-mariadb: opening the existing database in /var/lib/mysql"
fi
echo "CREATE DATABASE IF NOT EXISTS ara CHARACTER SET utf8mb4;" > /run/mysqld/init.sql
exec mariadbd --user=mysql --datadir=/var/lib/mysql --socket=/run/mysqld/mysqld.sock \
    --skip-networking --init-file=/run/mysqld/init.sql
