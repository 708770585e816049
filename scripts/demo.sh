#!/usr/bin/env bash
# The main job on the bundled local world: bring it up, scan data/sample/top.csv, print the report.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${MTASTS_BIN:-$PWD/mtasts}
OUT=${DEMO_OUT:-$PWD/build/demo}
export MTASTS_WORLD_NS=${MTASTS_WORLD_NS:-mtasts-demo}
WORLD_DIR=${MTASTS_WORLD_DIR:-$PWD/build/world/default}
mkdir -p "$OUT"

scripts/world/world up --dir "$WORLD_DIR"
trap 'scripts/world/world down --dir "$WORLD_DIR" >/dev/null 2>&1 || true' EXIT
eval "$(scripts/world/world env --dir "$WORLD_DIR")"

# A fresh database per demo, so the report describes this scan alone. The world is local, so
# the DNS rate limit is raised above the internet-safe default (500 queries/s).
rm -f "$OUT/demo.db" "$OUT/demo.db-wal" "$OUT/demo.db-shm"

echo "== mtasts scan data/sample/top.csv (inside the world's namespace $MTASTS_WORLD_NS)"
scripts/world/world exec --dir "$WORLD_DIR" -- "$BIN" scan data/sample/top.csv \
    --db "$OUT/demo.db" --resolver "$MTASTS_WORLD_RESOLVER" --ca-file "$MTASTS_WORLD_CA" \
    --allow-private 127.0.0.0/8 --timeout 3 --connect-timeout 2 --dns-qps 3000

echo
echo "== mtasts report"
"$BIN" report --db "$OUT/demo.db"
"$BIN" report --db "$OUT/demo.db" --format html -o "$OUT/report.html"
echo
echo "HTML report: $OUT/report.html   database: $OUT/demo.db"
