#!/usr/bin/env bash
# Runs the test suite under Swift's sanitizers, each in its own build
# directory (.build-thread, .build-address): `scripts/sanitize.sh` runs
# both, `scripts/sanitize.sh thread` or `address` one. Any report fails the
# run: TSan and ASan abort the test process on their first finding
# (halt_on_error), so a data race or a use-after-free cannot pass unnoticed.
# Extra arguments go to `swift test` (e.g. --filter QUICTransportTests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-packages.sh libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev \
  libsqlite3-dev ngtcp2-client ngtcp2-server python3-venv sqlite3
bash scripts/ensure-venv.sh
export QUICFLOW_PYTHON="$PWD/.venv/bin/python"

sanitizers=(thread address)
if [ $# -gt 0 ] && { [ "$1" = thread ] || [ "$1" = address ]; }; then
  sanitizers=("$1")
  shift
fi
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
# Swift's runtime keeps some allocations for the process's life on purpose.
export ASAN_OPTIONS="halt_on_error=1 detect_leaks=0 ${ASAN_OPTIONS:-}"
for sanitizer in "${sanitizers[@]}"; do
  echo "== swift test --sanitize=$sanitizer"
  swift build --build-tests --sanitize="$sanitizer" --scratch-path ".build-$sanitizer"
  # The hostile-input suite is a load test; under a sanitizer's 5-15x
  # slowdown its timings mean nothing, so it is left to scripts/test.sh.
  swift test --skip-build --sanitize="$sanitizer" --scratch-path ".build-$sanitizer" --skip 'HostileInputTests|ServerCrashTests' "$@"
done
