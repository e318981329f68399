#!/usr/bin/env bash
# Regenerates the Swift code for the wire schema (Protos/ → Sources/QuicFlowProtocol/Generated/).
# The output is committed, so ordinary builds never need protoc or the plugin; run this
# only after editing a .proto file, then commit both.
#
# protoc comes from Debian (protobuf-compiler). protoc-gen-swift is built from
# swift-protobuf at the same version the package depends on, because generated code
# must match the runtime library it compiles against. The plugin is built in a scratch
# package outside this repository's .build, so it never perturbs the project's
# dependency resolution, and it is reused on later runs.
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFT_PROTOBUF_VERSION="1.39.0"
PLUGIN_DIR="${TMPDIR:-/tmp}/quicflow-protoc-gen-swift"
OUT_DIR="Sources/QuicFlowProtocol/Generated"
PROTO_ROOT="Protos"

if ! command -v protoc >/dev/null 2>&1; then
  echo "generate-protos.sh: installing protobuf-compiler"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq protobuf-compiler >/dev/null
fi

# A throwaway package whose only job is to build the plugin at an exact version.
mkdir -p "$PLUGIN_DIR/Sources/Placeholder"
cat >"$PLUGIN_DIR/Package.swift" <<SWIFT
// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "QuicFlowProtocGenSwift",
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", exact: "$SWIFT_PROTOBUF_VERSION"),
    ],
    targets: [
        // SwiftPM needs at least one target of its own; the plugin is the dependency's product.
        .target(name: "Placeholder", path: "Sources/Placeholder"),
    ]
)
SWIFT
echo "// Intentionally empty." >"$PLUGIN_DIR/Sources/Placeholder/Placeholder.swift"

PLUGIN="$PLUGIN_DIR/.build/release/protoc-gen-swift"
if [ ! -x "$PLUGIN" ] || [ "$("$PLUGIN" --version 2>/dev/null)" != "protoc-gen-swift $SWIFT_PROTOBUF_VERSION" ]; then
  echo "generate-protos.sh: building protoc-gen-swift $SWIFT_PROTOBUF_VERSION in $PLUGIN_DIR (takes a while)"
  swift build --package-path "$PLUGIN_DIR" -c release --product protoc-gen-swift
fi

echo "generate-protos.sh: $(protoc --version), $("$PLUGIN" --version)"
mkdir -p "$OUT_DIR"
# Remove stale output so a deleted .proto does not leave its Swift behind.
find "$OUT_DIR" -name '*.pb.swift' -delete

mapfile -t protos < <(cd "$PROTO_ROOT" && find . -name '*.proto' | sed 's|^\./||' | sort)
# Public types for the library's clients; access-level imports keep the generated file
# clean under InternalImportsByDefault (`public import SwiftProtobuf`).
protoc \
  --plugin=protoc-gen-swift="$PLUGIN" \
  --proto_path="$PROTO_ROOT" \
  --swift_out="$OUT_DIR" \
  --swift_opt=Visibility=Public \
  --swift_opt=UseAccessLevelOnImports=true \
  --swift_opt=FileNaming=PathToUnderscores \
  "${protos[@]}"

echo "generate-protos.sh: wrote $(cd "$OUT_DIR" && ls *.pb.swift | tr '\n' ' ')"
