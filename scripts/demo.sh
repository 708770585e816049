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
# the DNS rate limit is raised above the internet-safe default (500 queries/s). The delivery
# side is on (`+smtp,+dane`: STARTTLS, the certificate and TLSA of every MX host of the domains
# that publish MTA-STS, each host probed once), so the report has its MX sections.
rm -f "$OUT/demo.db" "$OUT/demo.db-wal" "$OUT/demo.db-shm"

echo "== mtasts scan data/sample/top.csv (inside the world's namespace $MTASTS_WORLD_NS)"
scripts/world/world exec --dir "$WORLD_DIR" -- "$BIN" scan data/sample/top.csv \
    --db "$OUT/demo.db" --resolver "$MTASTS_WORLD_RESOLVER" --ca-file "$MTASTS_WORLD_CA" \
    --allow-private 127.0.0.0/8 --timeout 3 --connect-timeout 2 --dns-qps 3000 \
    --checks +smtp,+dane --smtp-timeout 3

echo
echo "== mtasts report"
"$BIN" report --db "$OUT/demo.db"
"$BIN" report --db "$OUT/demo.db" --format html -o "$OUT/report.html"
echo
example=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["scenario"] == "mx-cert-wrong-name":
        print(t["domain"]); break
' "$MTASTS_WORLD_TRUTH")
if [ -n "$example" ]; then
    echo "== mtasts check $example (an enforce policy whose MX certificate names another host)"
    scripts/world/world exec --dir "$WORLD_DIR" -- "$BIN" check "$example" \
        --resolver "$MTASTS_WORLD_RESOLVER" --ca-file "$MTASTS_WORLD_CA" \
        --allow-private 127.0.0.0/8 --timeout 3 --connect-timeout 2 --smtp-timeout 3 || true
fi
echo
echo "HTML report: $OUT/report.html   database: $OUT/demo.db"
