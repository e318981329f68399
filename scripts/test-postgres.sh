#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for the cluster tests: never the machine's own
# cluster. `start DIR` runs initdb into DIR (as the postgres user when run as
# root: initdb refuses root), listens on 127.0.0.1 on a free port and prints
# the URL the tests read from QUICFLOW_TEST_POSTGRES_URL; `stop DIR` stops it
# and removes DIR. `halt DIR` stops it as a crash would and keeps its data;
# `resume DIR` starts it again on the same port (the outage tests).
# Durability is off (fsync, synchronous_commit): the data is thrown away.
# `start DIR durable` keeps it on, for the tests that crash the server with
# `halt` and count on what was committed before.
set -euo pipefail
command="${1:?usage: test-postgres.sh start|stop|halt|resume DIR}"
dir="${2:?usage: test-postgres.sh start|stop|halt|resume DIR}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "test-postgres.sh: PostgreSQL's server programs are missing; install Debian's postgresql package (scripts/ensure-packages.sh postgresql)" >&2
  exit 1
fi
as_owner=()
if [ "$(id -u)" -eq 0 ]; then as_owner=(runuser -u postgres --); fi

run_server() {
  local port="$1" durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  if [ -f "$dir/durable" ]; then durability=""; fi
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -t 60 \
    -o "-k $dir -h 127.0.0.1 -p $port $durability -c max_connections=400 -c shared_buffers=128MB" \
    start >/dev/null || { cat "$dir/data/server.log" >&2; exit 1; }
}

case "$command" in
start)
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; fi
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  "${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U quicflow --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  if [ "${3:-}" = durable ]; then touch "$dir/durable"; fi
  run_server "$port"
  echo "postgres://quicflow@127.0.0.1:$port/postgres"
  ;;
halt)
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
  ;;
resume)
  run_server "$(cat "$dir/port")"
  ;;
stop)
  if [ -d "$dir/data" ]; then
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "test-postgres.sh: unknown command '$command'; use start, stop, halt or resume" >&2
  exit 2
  ;;
esac
