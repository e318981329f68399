#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh Debian machine
# (system libraries, QUIC peers, the Python venv with aioquic for interop
# tests), then runs the Swift test suite. Extra arguments go to `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-packages.sh libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev \
  libsqlite3-dev ngtcp2-client ngtcp2-server python3-venv sqlite3 postgresql

# The cluster tests' PostgreSQL: a throwaway server on a free loopback port,
# never the machine's own cluster, stopped and removed when the tests end.
if [ -z "${QUICFLOW_TEST_POSTGRES_URL:-}" ]; then
  pg_dir="$(mktemp -d)"
  chmod 755 "$pg_dir"
  trap 'bash scripts/test-postgres.sh stop "$pg_dir/pg"; rm -rf "$pg_dir"' EXIT
  QUICFLOW_TEST_POSTGRES_URL="$(bash scripts/test-postgres.sh start "$pg_dir/pg")"
  export QUICFLOW_TEST_POSTGRES_URL
fi

# Interop peers run aioquic, a QUIC implementation nobody here wrote.
bash scripts/ensure-venv.sh
export QUICFLOW_PYTHON="$PWD/.venv/bin/python"

if [ $# -gt 0 ]; then
  swift test "$@"
  exit
fi
# The layer rules of ARCHITECTURE.md (imports and target dependencies).
python3 scripts/check-layers.py
swift test --skip 'HostileInputTests|ServerCrashTests|ClusterNodeKillTests|ClusterFlapTests|ClusterOutageTests|GoBackboneInteropTests'
# The agent against the Go-like backbone (aioquic peers, a 60 s heartbeat
# window, backoff schedules measured against the clock) on its own, so the
# suites above cannot stretch its timings nor it theirs.
swift test --skip-build --filter GoBackboneInteropTests
# The attacks and the 200-agent crash test load both cores on purpose
# (floods, a server process under siege, 200 agents reconnecting at once);
# they run on their own so they cannot starve the timing-sensitive tests
# above (heartbeats, handler timeouts) on a 2-core machine.
swift test --skip-build --filter HostileInputTests
swift test --skip-build --filter ServerCrashTests
# Three cluster nodes, 100 agents and a kill -9 of one node; 1,000 racing
# registrations between two nodes: the same load. The PostgreSQL outage test
# makes a PostgreSQL of its own (initdb), which is no lighter.
swift test --skip-build --filter ClusterNodeKillTests
swift test --skip-build --filter ClusterFlapTests
swift test --skip-build --filter ClusterOutageTests
