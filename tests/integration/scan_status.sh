#!/usr/bin/env bash
# `scan --status-file FILE`: while a quiet scan of the world runs, the file is always whole
# JSON (atomic rewrites), shows the scan running with counts, rates and queries/s, and ends
# "finished" with done equal to the total and the status counts summing to it.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_DOMAINS:?}"
echo "1..6"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -1500 "$MTASTS_WORLD_DOMAINS" >"$tmp/list"
"${world[@]}" "$MTASTS_BIN" scan "$tmp/list" --db "$tmp/s.db" --resolver "$MTASTS_WORLD_RESOLVER" \
    --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8 --timeout 3 --connect-timeout 2 \
    --dns-qps 400 --quiet --status-file "$tmp/status.json" >"$tmp/out" 2>"$tmp/err" &
pid=$!
reads=0 bad=0 running=0
while kill -0 $pid 2>/dev/null; do
    if [ -e "$tmp/status.json" ]; then
        reads=$((reads + 1))
        if python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if s["state"]=="running" else 3)' "$tmp/status.json" 2>/dev/null; then
            running=$((running + 1))
            cp "$tmp/status.json" "$tmp/running.json"
        else
            [ $? -eq 3 ] || bad=$((bad + 1))
        fi
    fi
    sleep 0.2
done
wait $pid
rc=$?
[ $rc -eq 0 ] && echo "ok - the quiet scan with --status-file completes" || echo "not ok - scan # $rc $(cat "$tmp/err")"
! grep -q "progress" "$tmp/err" && grep -q "scan 1 complete" "$tmp/err" &&
    echo "ok - --quiet still prints no progress line (the status file is written anyway)" ||
    echo "not ok - --quiet prints progress # $(head -3 "$tmp/err")"
[ $bad -eq 0 ] && [ $reads -gt 0 ] && echo "ok - every read of the file during the scan parsed ($reads reads)" ||
    echo "not ok - partial status file seen # $bad bad of $reads"
python3 - "$tmp/running.json" <<'PY' && echo "ok - a running status: counts, rates, queries/s, in flight, ETA" || echo "not ok - running status # $(cat "$tmp/running.json" 2>/dev/null)"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["state"] == "running" and s["total"] == 1500 and 0 <= s["done"] <= 1500, s
assert s["queries_per_s"] > 0 and s["dns_queries"] > 0 and s["domains_per_s"] >= 0, s
assert set(s["in_flight"]) == {"dns", "https"} and (s["eta_s"] is None or s["eta_s"] >= 0), s
PY
python3 - "$tmp/status.json" <<'PY' && echo "ok - the final status: finished, done = total = the sum by status" || echo "not ok - final status # $(cat "$tmp/status.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["state"] == "finished" and s["done"] == s["total"] == 1500, s
assert sum(s["by_status"].values()) == 1500 and s["eta_s"] == 0 and s["percent"] == 100.0, s
PY
ls "$tmp" | grep -q 'status.json.tmp' && echo "not ok - no temporary file left # $(ls "$tmp")" ||
    echo "ok - no temporary file left beside it"
exit 0
