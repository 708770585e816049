#!/usr/bin/env python3
"""The include graph between folders: `scripts/include_graph.py [ROOT]` prints one line per
edge, "COUNT FROM -> TO", for every #include "..." of the C sources under ROOT (default: the
checkout), then the folder pairs that include each other (cycles). A folder is the top-level
folder, or its first subfolder (scanner/engine, scanner/rules). Includes are resolved as the
compiler does with -I.: beside the including file first, then from the root."""
import collections
import os
import re
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
TOPS = ("rules", "lib", "store", "reports", "scanner")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def folder(rel):
    parts = rel.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else parts[0]


edges = collections.Counter()
for top in TOPS:
    for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
        for name in sorted(files):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(dirpath, name)
            src = folder(os.path.relpath(path, ROOT))
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    for base in (dirpath, ROOT):
                        target = os.path.normpath(os.path.join(base, m.group(1)))
                        if os.path.exists(target):
                            edges[(src, folder(os.path.relpath(target, ROOT)))] += 1
                            break

for (a, b), n in sorted(edges.items()):
    print(f"{n:4d} {a} -> {b}")
cycles = sorted({tuple(sorted((a, b))) for (a, b) in edges if a != b and (b, a) in edges})
print("cycles:", ", ".join(f"{a} <-> {b}" for a, b in cycles) if cycles else "none")
