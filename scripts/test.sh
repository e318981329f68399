#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh Debian machine
# (system libraries, QUIC peers, the Python venv with aioquic for interop
# tests), then runs the Swift test suite. Extra arguments go to `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev libsqlite3-dev
          ngtcp2-client ngtcp2-server python3-venv sqlite3)
missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "scripts/test.sh: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Interop peers run aioquic, a QUIC implementation nobody here wrote.
if ! .venv/bin/python -c 'import aioquic, sys; sys.exit(aioquic.__version__ != "1.7.2")' 2>/dev/null; then
  echo "scripts/test.sh: creating .venv with aioquic==1.7.2"
  rm -rf .venv
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check aioquic==1.7.2
fi
export QUICFLOW_PYTHON="$PWD/.venv/bin/python"

exec swift test "$@"
