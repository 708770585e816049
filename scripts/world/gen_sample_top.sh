#!/usr/bin/env bash
# Regenerate data/sample/top.csv: the default world's domain list (n 3000, seed 1) plus 3 deliberately invalid lines.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 scripts/world/gen_world.py --dir "$tmp/w" --n 3000 --seed 1 --mix default >/dev/null
long=$(printf 'a%.0s' $(seq 1 60))
long="$long.$long.$long.$long.$long.test"   # 5 x 60-char labels: 309 characters, over the 253 limit
# invalid lines go after lines 500, 1500 and 2500, with ranks 3001-3003
awk -v long="$long" '
    { print }
    NR == 500  { print "3001,-bad-.test" }
    NR == 1500 { print "3002,empty..label.test" }
    NR == 2500 { print "3003," long }
' "$tmp/w/domains.csv" >data/sample/top.csv
echo "data/sample/top.csv: $(wc -l <data/sample/top.csv) lines (3000 domains + 3 invalid)"
