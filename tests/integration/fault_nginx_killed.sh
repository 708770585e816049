#!/usr/bin/env bash
# The policy web server (the world's nginx) killed in the middle of a scan: the domains it did
# not serve are invalid / https_connect_failed (never valid or no_policy), every other domain
# has its true verdict, and rescanning just those domains is one command line (README.md):
#   mtasts export --db DB | awk -F, 'NR > 1 && $4 == "https_connect_failed" { print $1 }' |
#       mtasts scan - --db DB
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_DOMAINS:?}" "${MTASTS_WORLD_TRUTH:?}" "${MTASTS_WORLD_DIR:?}"
world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; scripts/world/world up --dir "$MTASTS_WORLD_DIR" >/dev/null 2>&1' EXIT
echo "1..7"
run=$MTASTS_WORLD_DIR/run
net=(--resolver "$MTASTS_WORLD_RESOLVER" --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8
     --timeout 3 --connect-timeout 2 --quiet)
"${world[@]}" "$MTASTS_BIN" scan "$MTASTS_WORLD_DOMAINS" --db "$tmp/n.db" "${net[@]}" \
    --dns-qps 400 >"$tmp/out" 2>&1 &
pid=$!
sleep 2.5
master=$(tr -dc 0-9 <"$run/nginx.pid")
workers=$(pgrep -P "$master" | tr '\n' ' ')
kill -KILL "$master" $workers && echo "ok - nginx killed in the middle of the scan (pids $master $workers)" ||
    echo "not ok - nginx killed in the middle of the scan # master '$master'"
wait "$pid"
rc=$?
[ $rc -eq 0 ] && echo "ok - the scan exits 0" || echo "not ok - the scan exits 0 # status $rc: $(tail -3 "$tmp/out" | tr '\n' ' ')"
python3 - "$tmp/n.db" "$MTASTS_WORLD_TRUTH" >"$tmp/cmp" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
got = {d: (s, c) for d, s, c in db.execute("SELECT domain, status, category FROM results")}
err = dict(db.execute("SELECT domain, https_error FROM results"))
wrong, affected = [], 0
for line in open(sys.argv[2]):
    t = json.loads(line)
    g = got.get(t["domain"])
    if g == (t["status"], t["category"]):
        continue
    if g == ("invalid", "https_connect_failed"):
        affected += 1
    else:
        wrong.append("%s: %s (%s), truth %s/%s" % (t["domain"], g, err.get(t["domain"]), t["status"], t["category"]))
print("%d" % affected)
print(("ok" if not wrong else "not ok") + " - the domains nginx did not serve are https_connect_failed, "
      "the rest as in the truth (%d affected)" % affected + ("" if not wrong else " # %d wrong: %s" % (len(wrong), "; ".join(wrong[:4]))))
PY
affected=$(head -1 "$tmp/cmp")
tail -n +2 "$tmp/cmp"
[ "$affected" -gt 0 ] && echo "ok - the kill affected some domains ($affected)" ||
    echo "not ok - the kill affected some domains # none: killed too late?"
scripts/world/world up --dir "$MTASTS_WORLD_DIR" >"$tmp/up" 2>&1 && echo "ok - nginx restarted" ||
    echo "not ok - nginx restarted # $(tail -2 "$tmp/up" | tr '\n' ' ')"
# The rescan of those domains alone: the one command line of the README.
"${world[@]}" bash -c "\"\$0\" export --db \"\$1\" | awk -F, 'NR > 1 && \$4 == \"https_connect_failed\" { print \$1 }' | \"\$0\" scan - --db \"\$1\" \"\${@:2}\"" \
    "$MTASTS_BIN" "$tmp/n.db" "${net[@]}" >"$tmp/re" 2>&1
rc=$?
n2=$(sqlite3 "$tmp/n.db" "SELECT count(*) FROM results WHERE scan_id = 2")
truth_cf=$(grep -c '"category": "https_connect_failed"' "$MTASTS_WORLD_TRUTH")
[ $rc -eq 0 ] && [ "$n2" = "$((affected + truth_cf))" ] &&
    echo "ok - one command rescans just the https_connect_failed domains ($n2)" ||
    echo "not ok - one command rescans just the https_connect_failed domains # status $rc, $n2 rows, want $((affected + truth_cf)): $(tail -2 "$tmp/re" | tr '\n' ' ')"
python3 - "$tmp/n.db" "$MTASTS_WORLD_TRUTH" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
got = {d: (s, c) for d, s, c in db.execute("SELECT domain, status, category FROM results WHERE scan_id = 2")}
truth = {}
for line in open(sys.argv[2]):
    t = json.loads(line)
    truth[t["domain"]] = (t["status"], t["category"])
wrong = ["%s: %s, truth %s" % (d, g, truth.get(d)) for d, g in got.items() if truth.get(d) != g]
print(("ok" if not wrong else "not ok") + " - after the rescan those domains have their true verdicts"
      + ("" if not wrong else " # %d wrong: %s" % (len(wrong), "; ".join(wrong[:4]))))
PY
