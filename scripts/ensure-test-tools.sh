#!/usr/bin/env bash
# Debian packages the test suite and the benchmark drive as real peers: Chromium (browser
# tests), GDAL's ogr2ogr (an OGC API client), PgBouncer (transaction pooling), wrk (load), and
# curl and jq, which the documentation's examples use (tests/docs runs them).
# As root it installs what is missing; otherwise it says what to install.
set -euo pipefail

needed=()
command -v chromium >/dev/null 2>&1 || needed+=(chromium)
command -v ogr2ogr >/dev/null 2>&1 || needed+=(gdal-bin)
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || needed+=(pgbouncer)
command -v wrk >/dev/null 2>&1 || needed+=(wrk)
command -v curl >/dev/null 2>&1 || needed+=(curl)
command -v jq >/dev/null 2>&1 || needed+=(jq)

[ ${#needed[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "error: missing ${needed[*]}; install them (Debian: apt-get install ${needed[*]}) and run this again." >&2
    exit 1
fi
echo "installing ${needed[*]}..."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
