#!/usr/bin/env bash
# Soak (not in CI): 1,000 clients with 1 s heartbeats and steady traffic on a
# quicflow-server process for 10 minutes; its RSS and open file descriptors,
# sampled every 10 s, must stay flat (exit 1 otherwise). Arguments go to
# `quicflow-bench soak` (--clients, --seconds, --sample-every, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-packages.sh libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev libsqlite3-dev
swift build -c release --product quicflow-server
swift build -c release --product quicflow-bench
exec .build/release/quicflow-bench soak "$@"
