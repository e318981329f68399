#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh Debian machine
# (system libraries, QUIC peers, the Python venv with aioquic for interop
# tests), then runs the Swift test suite. Extra arguments go to `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-packages.sh libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev \
  libsqlite3-dev ngtcp2-client ngtcp2-server python3-venv sqlite3

# Interop peers run aioquic, a QUIC implementation nobody here wrote.
if ! .venv/bin/python -c 'import aioquic, sys; sys.exit(aioquic.__version__ != "1.7.2")' 2>/dev/null; then
  echo "scripts/test.sh: creating .venv with aioquic==1.7.2"
  rm -rf .venv
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check aioquic==1.7.2
fi
export QUICFLOW_PYTHON="$PWD/.venv/bin/python"

exec swift test "$@"
