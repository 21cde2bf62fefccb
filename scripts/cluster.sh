#!/usr/bin/env bash
# A throwaway RefineWeb cluster on loopback: Redis (AOF on), PostgreSQL, N web nodes and M workers.
#   scripts/cluster.sh up [--web 2] [--workers 2] [--threads 1]   prints "web URL pid PID" and "worker NAME pid PID"
#   scripts/cluster.sh down                                        stops everything `up` started
# Installs redis-server and postgresql once (Debian), as scripts/test.sh does. State (logs, database, images, pids)
# lives in $REFINEWEB_CLUSTER_DIR (default /tmp/refineweb-cluster). Ports: $REFINEWEB_CLUSTER_PORT and up (default 5100:
# Redis 5100, PostgreSQL 5101, web nodes 5110, 5111, ...).
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${REFINEWEB_CLUSTER_DIR:-/tmp/refineweb-cluster}
base=${REFINEWEB_CLUSTER_PORT:-5100}
redis_port=$base pg_port=$((base + 1)) web_port=$((base + 10))
sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
as_pg=(); [ "$(id -u)" -eq 0 ] && as_pg=(runuser -u postgres --)

down() {
  if [ -f "$dir/pids" ]; then
    while read -r pid; do kill "$pid" 2>/dev/null || true; done < "$dir/pids"
    sleep 1
    while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done < "$dir/pids"
    rm -f "$dir/pids"
  fi
  if [ -d "$dir/pg/data" ]; then
    pg_bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

wait_for() { # url, seconds
  for _ in $(seq 1 $(($2 * 5))); do curl -fs -o /dev/null "$1" && return 0; sleep 0.2; done
  echo "no answer from $1 (see $dir/*.log)" >&2; return 1
}

up() {
  local webs=1 workers=1 threads=1
  while [ $# -gt 0 ]; do
    case "$1" in
      --web) webs=$2; shift 2 ;;
      --workers) workers=$2; shift 2 ;;
      --threads) threads=$2; shift 2 ;;
      *) echo "unknown option $1" >&2; exit 2 ;;
    esac
  done
  need=()
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  if [ ${#need[@]} -gt 0 ]; then
    echo "Installing ${need[*]} ..." >&2
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  [ -d "$dir" ] && down
  mkdir -p "$dir/redis" "$dir/images" "$dir/pg"

  dotnet build src/RefineWeb -c Release -v q -nologo >"$dir/build.log" 2>&1 || { cat "$dir/build.log" >&2; exit 1; }
  local app=src/RefineWeb/bin/Release/net10.0/RefineWeb.dll

  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$dir/redis" --appendonly yes --save '' >"$dir/redis.log" 2>&1 &
  echo $! >> "$dir/pids"

  pg_bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir/pg"
  "${as_pg[@]}" "$pg_bin/initdb" -D "$dir/pg/data" -U postgres --auth=trust -E UTF8 >/dev/null
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -o "-h 127.0.0.1 -p $pg_port -k $dir/pg" start >/dev/null

  export Engine__Mode=Distributed ConnectionStrings__Redis="127.0.0.1:$redis_port" Gallery__Provider=PostgreSql \
    ConnectionStrings__Gallery="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=refineweb" Gallery__ImageDirectory="$dir/images" \
    DOTNET_NOLOGO=1 ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Production}

  # The first web node creates the database; the others start once it answers.
  for i in $(seq 1 "$webs"); do
    port=$((web_port + i - 1))
    ASPNETCORE_URLS="http://localhost:$port" dotnet "$app" >"$dir/web-$i.log" 2>&1 &
    echo $! >> "$dir/pids"
    [ "$i" -eq 1 ] && wait_for "http://localhost:$port/healthz" 120
    echo "web http://localhost:$port pid $!"
  done
  for i in $(seq 2 "$webs"); do wait_for "http://localhost:$((web_port + i - 1))/healthz" 120; done
  for i in $(seq 1 "$workers"); do
    Generation__WorkerName="worker-$i" Generation__Threads="$threads" dotnet "$app" worker >"$dir/worker-$i.log" 2>&1 &
    echo $! >> "$dir/pids"
    echo "worker worker-$i pid $!"
  done
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) down ;;
  *) echo "usage: $0 up [--web N] [--workers M] [--threads T] | down" >&2; exit 2 ;;
esac
