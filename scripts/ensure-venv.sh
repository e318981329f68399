#!/usr/bin/env bash
# Creates .venv with aioquic==1.7.2 (the independent QUIC implementation of the
# interop tests and benchmark peers) unless it is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! .venv/bin/python -c 'import aioquic, sys; sys.exit(aioquic.__version__ != "1.7.2")' 2>/dev/null; then
  echo "$(basename "$0"): creating .venv with aioquic==1.7.2"
  rm -rf .venv
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check aioquic==1.7.2
fi
