#!/usr/bin/env python3
"""The layer rules of ../shared/ARCHITECTURE.md, checked on every target.

Reads each target's dependencies (`swift package dump-package`) and every
import line of its sources, and fails, naming the file and line, on:
  - an import of a package module the table below does not allow;
  - C (CNgtcp2, CQuicFlowShims) anywhere but Sources/QUICTransport/NGTCP2/;
  - QUICTestSupport reachable from a shipped product.
Usage: scripts/check-layers.py [PACKAGE_DIR]
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))

# Which of this package's modules each target may import. External packages
# (NIO, GRDB, Hummingbird, ...) are governed by Package.swift itself.
ALLOWED = {
    "CNgtcp2": set(),
    "CQuicFlowShims": {"CNgtcp2"},
    "CFuzzerDriver": set(),
    "QUICTransport": {"CNgtcp2", "CQuicFlowShims"},
    "QuicFlowProtocol": set(),
    "QuicFlowTime": set(),
    "QuicFlowJSON": set(),
    "QuicFlowBuildInfo": set(),
    "QuicFlowAdminModel": set(),
    "QuicFlowConfigFile": set(),
    "QuicFlowDataDirectory": set(),
    "QuicFlowPKI": set(),
    "QuicFlow": {"QUICTransport", "QuicFlowProtocol", "QuicFlowTime", "QuicFlowJSON"},
    "QuicFlowHooks": {"QuicFlow", "QuicFlowTime", "QuicFlowConfigFile"},
    "QuicFlowAgent": {
        "QuicFlow", "QuicFlowHooks", "QuicFlowDataDirectory", "QuicFlowTime", "QuicFlowJSON",
        "QuicFlowConfigFile", "QUICTransport", "QuicFlowProtocol",
    },
    "QuicFlowCluster": {"QuicFlow", "QuicFlowTime"},
    "QuicFlowServerApp": {
        "QuicFlowCluster", "QuicFlow", "QuicFlowHooks", "QuicFlowDataDirectory", "QuicFlowAdminModel", "QuicFlowTime",
        "QuicFlowJSON", "QuicFlowConfigFile", "QUICTransport", "QuicFlowProtocol",
    },
    "QuicFlowCtl": {"QuicFlowAdminModel", "QuicFlowJSON"},
    "QUICTestSupport": {"QuicFlowPKI", "QuicFlowTime", "QUICTransport", "QuicFlowProtocol"},
    # Thin executables: the libraries above, no C, no test support.
    "quicflow-agent": {
        "QuicFlowAgent", "QuicFlow", "QuicFlowHooks", "QuicFlowDataDirectory", "QuicFlowTime", "QuicFlowJSON",
        "QuicFlowBuildInfo", "QuicFlowConfigFile",
    },
    "quicflow-server": {"QuicFlowServerApp", "QuicFlow", "QuicFlowBuildInfo", "QuicFlowConfigFile", "QuicFlowTime"},
    "quicflowctl": {
        "QuicFlowCtl", "QuicFlowAdminModel", "QuicFlowJSON", "QuicFlowBuildInfo", "QuicFlowConfigFile",
        "QuicFlowPKI", "QuicFlowTime",
    },
    "quicflow-bench": {
        "QUICTransport", "QuicFlow", "QuicFlowAgent", "QuicFlowCtl", "QuicFlowPKI", "QuicFlowTime",
    },
    "quicflow-fuzz-frames": {"CFuzzerDriver", "QuicFlowAdminModel", "QuicFlowProtocol"},
}
C_MODULES = {"CNgtcp2", "CQuicFlowShims"}
C_DIRECTORY = os.path.join("Sources", "QUICTransport", "NGTCP2") + os.sep
IMPORT = re.compile(r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:public |package |internal |private |fileprivate )?import\s+(?:(?:struct|class|enum|func|protocol|typealias|var|let)\s+)?([A-Za-z_][A-Za-z0-9_]*)")


def main() -> int:
    package = json.loads(subprocess.check_output(["swift", "package", "dump-package"], cwd=ROOT, text=True))
    targets = {t["name"]: t for t in package["targets"]}
    own = set(targets)
    problems = []

    def dependencies(target):
        names = []
        for dependency in target.get("dependencies", []):
            for kind in ("byName", "target"):
                if kind in dependency:
                    names.append(dependency[kind][0])
        return [n for n in names if n in own]

    for name, target in sorted(targets.items()):
        if target["type"] in ("test", "plugin"):
            continue
        if name not in ALLOWED:
            problems.append(f"Package.swift: target {name} is not in scripts/check-layers.py's table; add it with the modules it may import")
            continue
        for dependency in dependencies(target):
            if dependency not in ALLOWED[name]:
                problems.append(f"Package.swift: {name} depends on {dependency}, which its layer may not use (ARCHITECTURE.md)")
        path = os.path.join(ROOT, target.get("path") or os.path.join("Sources", name))
        for directory, _, files in os.walk(path):
            for file in sorted(files):
                if not file.endswith(".swift"):
                    continue
                full = os.path.join(directory, file)
                relative = os.path.relpath(full, ROOT)
                with open(full, encoding="utf-8") as handle:
                    for number, line in enumerate(handle, 1):
                        match = IMPORT.match(line)
                        if not match:
                            continue
                        module = match.group(1)
                        if module not in own:
                            continue
                        if module in C_MODULES and not relative.startswith(C_DIRECTORY):
                            problems.append(f"{relative}:{number}: imports the C module {module}; only {C_DIRECTORY}*.swift may")
                        elif module not in ALLOWED[name] and module != name:
                            problems.append(f"{relative}:{number}: {name} imports {module}, which its layer may not use (ARCHITECTURE.md)")

    # Shipped products never reach the test support, directly or not.
    for product in package["products"]:
        if product["type"].get("executable") is None and "library" not in product["type"]:
            continue
        seen, stack = set(), list(product["targets"])
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            stack.extend(dependencies(targets[current]))
        if "QUICTestSupport" in seen:
            problems.append(f"Package.swift: the product {product['name']} reaches QUICTestSupport, which must never ship")

    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"check-layers: {len(problems)} layer rule(s) broken; fix the import or the dependency, or update the table with ARCHITECTURE.md", file=sys.stderr)
        return 1
    print(f"check-layers: {len(targets)} targets follow the layer rules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
