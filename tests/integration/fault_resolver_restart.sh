#!/usr/bin/env bash
# The resolver (the world's unbound) killed in the middle of a scan and restarted 3 s later:
# every domain ends with its true verdict, or dns_error after the retries; never no_policy (or
# any other verdict) made from the missing answers.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_DOMAINS:?}" "${MTASTS_WORLD_TRUTH:?}" "${MTASTS_WORLD_DIR:?}"
world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; scripts/world/world up --dir "$MTASTS_WORLD_DIR" >/dev/null 2>&1' EXIT
echo "1..5"
run=$MTASTS_WORLD_DIR/run
n_in=$(grep -vc '^\s*$' "$MTASTS_WORLD_DOMAINS")
"${world[@]}" "$MTASTS_BIN" scan "$MTASTS_WORLD_DOMAINS" --db "$tmp/r.db" \
    --resolver "$MTASTS_WORLD_RESOLVER" --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8 \
    --timeout 3 --connect-timeout 2 --dns-timeout 1 --dns-qps 400 --quiet >"$tmp/out" 2>&1 &
pid=$!
sleep 2
ub=$(tr -dc 0-9 <"$run/unbound.pid")
kill -KILL "$ub" && echo "ok - unbound killed in the middle of the scan (pid $ub)" ||
    echo "not ok - unbound killed in the middle of the scan # no pid"
sleep 3
scripts/world/world up --dir "$MTASTS_WORLD_DIR" >"$tmp/up" 2>&1 &&
    echo "ok - unbound restarted" || echo "not ok - unbound restarted # $(tail -2 "$tmp/up" | tr '\n' ' ')"
wait "$pid"
rc=$?
[ $rc -eq 0 ] && echo "ok - the scan exits 0" || echo "not ok - the scan exits 0 # status $rc: $(tail -3 "$tmp/out" | tr '\n' ' ')"
rows=$(sqlite3 "$tmp/r.db" "SELECT count(*) FROM results")
[ "$rows" = "$n_in" ] && echo "ok - one row per domain ($rows)" || echo "not ok - one row per domain # $rows of $n_in"
python3 - "$tmp/r.db" "$MTASTS_WORLD_TRUTH" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
got = {d: (s, c) for d, s, c in db.execute("SELECT domain, status, category FROM results")}
wrong, dns_error = [], 0
for line in open(sys.argv[2]):
    t = json.loads(line)
    g = got.get(t["domain"])
    if g is None:
        continue
    if g[0] == "dns_error" and t["status"] != "dns_error":
        dns_error += 1
    elif g != (t["status"], t["category"]):
        wrong.append("%s: %s/%s, truth %s/%s" % (t["domain"], g[0], g[1], t["status"], t["category"]))
print(("ok" if not wrong else "not ok") + " - every domain has its true verdict or dns_error "
      "(%d dns_error from the outage)" % dns_error + ("" if not wrong else " # %d wrong: %s" % (len(wrong), "; ".join(wrong[:4]))))
PY
