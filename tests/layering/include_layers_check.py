#!/usr/bin/env python3
"""Fails on a backward include: the import graph must read top-down.

    cli -> coordinator -> partition -> systems -> controller | host -> nand -> sim-core

(proto's generated strata/v1 headers may be included from anywhere). Inside
services/systems the order is job/ -> <one folder per system> -> core/, and
one system's folder never includes another's. controller/ and host/ are
peers: neither includes the other. A folder may include itself.

Every `#include "..."` of every C++ file under services/ and sim-core/ is
resolved to the file it names (a full path from the repository root, or a
path inside some library's include folder); an include that names a file in
more than one library is reported as ambiguous, since it resolves through
include-path order.

Usage: include_layers_check.py [REPO_ROOT]; exit 1 with one line per
offending include.
"""
import os
import re
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".."))

# Rank of each folder: a file may include only ranks at or below its own,
# and at its own rank only its own folder.
RANKS = {
    "services/cli": 90,
    "services/coordinator": 80,
    "services/partition": 70,
    "services/systems/job": 63,
    "services/systems/nvllm": 62,
    "services/systems/aif": 62,
    "services/systems/gpu_out_of_core": 62,
    "services/systems/ssd_offload": 62,
    "services/systems/ssd_isc": 62,
    "services/systems/in_memory": 62,
    "services/systems/core": 61,
    "services/controller": 50,
    "services/host": 50,
    "services/nand": 40,
    "sim-core": 10,
}
# Folders that resolve a relative include (each library's include folder).
INCLUDE_DIRS = ["services/host", "services/controller", "services/nand", "services/coordinator",
                "services/partition", "services/cli", "sim-core/include", "sim-core", "."]
EXTERNAL = ("absl/", "google/", "grpc", "grpcpp/", "prometheus/", "gtest/", "gmock/", "benchmark/", "strata/v1/",
            "sqlite3.h")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def folder_of(path):
    """The ranked folder holding `path` (repository-relative), or None."""
    best = None
    for folder in RANKS:
        if path == folder or path.startswith(folder + "/"):
            if best is None or len(folder) > len(best):
                best = folder
    return best


def resolve(including, name):
    """Repository-relative paths `name` may refer to from `including`."""
    if name.startswith(EXTERNAL):
        return []
    candidates = []
    own = os.path.dirname(including)
    if os.path.isfile(os.path.join(ROOT, own, name)):
        return [os.path.normpath(os.path.join(own, name))]
    for d in INCLUDE_DIRS:
        p = os.path.normpath(os.path.join(d, name))
        if os.path.isfile(os.path.join(ROOT, p)) and p not in candidates:
            candidates.append(p)
    return candidates


def main():
    problems = []
    for top in ("services", "sim-core"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for f in files:
                if not f.endswith((".h", ".cc")):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, f), ROOT)
                src = folder_of(rel)
                if src is None:
                    continue
                text = open(os.path.join(ROOT, rel), encoding="utf-8", errors="replace").read()
                for line_no, name in ((text.count("\n", 0, m.start()) + 1, m.group(1)) for m in INCLUDE.finditer(text)):
                    targets = resolve(rel, name)
                    folders = {folder_of(t) for t in targets} - {None}
                    if len(folders) > 1:
                        problems.append(f"{rel}:{line_no}: \"{name}\" is ambiguous ({', '.join(sorted(folders))}); "
                                        "name it from the repository root")
                        continue
                    if not folders:
                        continue
                    dst = folders.pop()
                    if dst == src:
                        continue
                    if RANKS[dst] > RANKS[src]:
                        problems.append(f"{rel}:{line_no}: backward include of {dst} (\"{name}\") from {src}")
                    elif RANKS[dst] == RANKS[src]:
                        problems.append(f"{rel}:{line_no}: sideways include of {dst} (\"{name}\") from {src}; "
                                        "peers do not include each other")
    for p in problems:
        print(p)
    print(f"include layers: {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
