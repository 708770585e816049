#!/usr/bin/env bash
# Tight limits change nothing but speed: every world domain with a policy host, scanned with
# one connection per IP, few transfers and a low query rate on two threads, still matches
# the ground truth, and the limits are recorded with the scan.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_TRUTH:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$MTASTS_WORLD_TRUTH" >"$tmp/list" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["status"] in ("valid", "invalid"):
        print(t["domain"])
PY
n=$(wc -l <"$tmp/list")
# The plan: 2 cases here, and compare_truth.py's lines for the listed domains.
echo "1..$((2 + $(python3 tests/integration/compare_truth.py --count - "$MTASTS_WORLD_TRUTH" --only "$tmp/list")))"
"${world[@]}" "$MTASTS_BIN" scan "$tmp/list" --db "$tmp/l.db" --resolver "$MTASTS_WORLD_RESOLVER" \
    --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8 --timeout 3 --connect-timeout 2 \
    --per-ip 1 --https-conns 4 --dns-inflight 8 --dns-qps 400 --inflight 16 --threads 2 \
    --quiet >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 0 ] && echo "ok - scan with tight limits exits 0 ($n domains)" ||
    echo "not ok - scan with tight limits exits 0 # status $rc: $(tail -3 "$tmp/out" | tr '\n' ' ')"
opts=$(sqlite3 "$tmp/l.db" "SELECT json_extract(options, '$.per_ip') || ',' || json_extract(options, '$.https_conns') || ',' || json_extract(options, '$.dns_inflight') FROM scans")
[ "$opts" = "1,4,8" ] && echo "ok - limits recorded with the scan" ||
    echo "not ok - limits recorded with the scan # got '$opts'"
python3 tests/integration/compare_truth.py "$tmp/l.db" "$MTASTS_WORLD_TRUTH" --only "$tmp/list" \
    --fields status,category,warnings,tlsrpt,would_fail_delivery |
    sed 's/^\(not \)\?ok - /&limits: /'
