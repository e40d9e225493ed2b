#!/usr/bin/env bash
# Make sure a PostgreSQL server with PostGIS is running on 127.0.0.1:5432.
# As root on Debian/Ubuntu it installs what is missing; otherwise it says what to install.
set -euo pipefail

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else
        echo "error: '$*' needs root. Install PostgreSQL 15+ with PostGIS 3 (Debian: apt-get install postgresql postgresql-15-postgis-3), then run this again." >&2
        exit 1
    fi
}

apt_updated=""
apt_install() {
    if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v psql >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "installing PostgreSQL..."
    apt_install postgresql postgresql-contrib
fi

server_version=$(ls /usr/lib/postgresql | sort -n | tail -1)

if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
    echo "starting PostgreSQL $server_version..."
    as_root pg_ctlcluster --skip-systemctl-redirect "$server_version" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && break; sleep 1; done
fi

if [ ! -f "/usr/share/postgresql/$server_version/extension/postgis.control" ]; then
    echo "installing PostGIS for PostgreSQL $server_version..."
    apt_install "postgresql-$server_version-postgis-3"
fi

pg_isready -h "$PGHOST" -p "$PGPORT" >/dev/null || {
    echo "error: PostgreSQL is not answering on $PGHOST:$PGPORT" >&2; exit 1; }
