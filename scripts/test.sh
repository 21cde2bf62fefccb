#!/usr/bin/env bash
# Runs every test. On a fresh Debian 12 machine with the .NET 10 SDK it first installs, once, the Debian packages
# the tests use (redis-server and prometheus for the cluster tests, which start their own; librsvg2-bin for the data builder's SVG rasterizing, chromium for the browser tests, which drive
# Debian's Chromium through Playwright since browsers cannot be downloaded here, postgresql for the gallery's
# repository tests, nodejs/npm and curl for the clients nobody here wrote), then the npm packages those clients and
# the accessibility checks use (tests/clients: @microsoft/signalr, its MessagePack protocol, axe-core; npm ci, pinned
# by its package-lock.json). It starts a throwaway PostgreSQL server on 127.0.0.1 for the run and stops it after.
# Prints "N passed, N failed" last.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v rsvg-convert >/dev/null 2>&1 || need+=(librsvg2-bin)
[ -x /usr/bin/chromium ] || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -x /usr/bin/prometheus ] || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  echo "Installing ${need[*]} ..."
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
fi

(cd tests/clients && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

# A throwaway PostgreSQL cluster (trust auth, loopback only). initdb refuses to run as root: root runs it as postgres.
pg_bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
pg_port=${REFINEWEB_PG_PORT:-55432}
pg_dir=$(mktemp -d)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then chown postgres "$pg_dir"; as_pg=(runuser -u postgres --); fi
"${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
  -o "-h 127.0.0.1 -p $pg_port -k $pg_dir -c fsync=off" start >/dev/null
export REFINEWEB_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=$(mktemp)
cleanup() {
  rm -f "$log"
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap cleanup EXIT
status=0
dotnet test RefineWeb.sln 2>&1 | tee "$log" || status=$?

# One closing line over all test assemblies.
awk '/(Passed|Failed)! +- +Failed: +[0-9]+, +Passed: +[0-9]+/ {
       gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1) }
     } END { printf "%d passed, %d failed\n", p, f }' "$log"
exit $status
