#!/usr/bin/env bash
# Fuzzes the frame codec, protobuf decoding and the label-selector parser
# (each input also as selector text) with libFuzzer under
# AddressSanitizer for SECONDS (default 600), starting from the seed corpus
# in Tests/Fuzz/FrameCorpus. New interesting inputs go to a scratch corpus;
# a crash leaves its input as crash-* in the current directory and exits
# non-zero. Replay an input without libFuzzer:
#   swift run quicflow-fuzz-frames FILE...
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
bash scripts/ensure-packages.sh libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev libsqlite3-dev
swift build --product quicflow-fuzz-frames --scratch-path .build-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DQUICFLOW_FUZZER -Xswiftc -use-ld=lld
binary="$(swift build --product quicflow-fuzz-frames --scratch-path .build-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DQUICFLOW_FUZZER -Xswiftc -use-ld=lld --show-bin-path)/quicflow-fuzz-frames"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# libFuzzer reports a crash itself; Swift's backtracer would only get in
# the way (and trips ASan reading the stack).
export SWIFT_BACKTRACE=enable=no
echo "fuzz: $binary for ${seconds}s from Tests/Fuzz/FrameCorpus"
"$binary" -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 "$work" Tests/Fuzz/FrameCorpus
