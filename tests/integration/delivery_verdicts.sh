#!/usr/bin/env bash
# The verdicts that count the MX hosts, end to end on the world's real Postfix MX hosts and
# DNSSEC zone: a scan with +smtp:all,+dane stores would_fail_delivery, readiness and warnings
# equal to the truth's with_options["--checks +smtp:all,+dane"] for every domain (one line per
# scenario), one mx_probes row per distinct MX host, and the report, export and check agree.
# Needs the world up (tests/run does it) and its facts in MTASTS_WORLD_* (world env).
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_DOMAINS:?}" "${MTASTS_WORLD_TRUTH:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
net=(--resolver "$MTASTS_WORLD_RESOLVER" --ca-file "$MTASTS_WORLD_CA" --timeout 3
     --connect-timeout 2 --smtp-timeout 3 --allow-private 127.0.0.0/8)
opt="--checks +smtp:all,+dane"
n_scn=$(python3 -c '
import json, sys
print(len({t["scenario"] for t in map(json.loads, open(sys.argv[1]))
           if sys.argv[2] in t.get("with_options", {})}))
' "$MTASTS_WORLD_TRUTH" "$opt")
echo "1..$((n_scn + 8))"

ok() { echo "ok - $1"; }
nok() { echo "not ok - $1 # $2"; }
check() { if eval "$2"; then ok "$1"; else nok "$1" "$3"; fi; }

db=$tmp/delivery.db
"${world[@]}" "$MTASTS_BIN" scan "$MTASTS_WORLD_DOMAINS" --db "$db" "${net[@]}" --dns-qps 5000 \
    $opt --quiet >"$tmp/scan.out" 2>&1
rc=$?
check "scan with $opt exits 0" "[ $rc -eq 0 ]" "status $rc: $(tail -3 "$tmp/scan.out" | tr '\n' ' ')"

# One line per scenario: every domain's stored verdict equals the truth with the option.
python3 - "$db" "$MTASTS_WORLD_TRUTH" "$opt" <<'EOF'
import json, sqlite3, sys
from collections import defaultdict
db, truth, opt = sys.argv[1:4]
got = {r[0]: r[1:] for r in sqlite3.connect(db).execute(
    "SELECT domain, would_fail_delivery, readiness, warnings FROM results")}
bad = defaultdict(list)
scenarios = []
for t in map(json.loads, open(truth)):
    w = t.get("with_options", {}).get(opt)
    if w is None:
        continue
    if t["scenario"] not in scenarios:
        scenarios.append(t["scenario"])
    want = (bool(w["would_fail_delivery"]), w["readiness"], ",".join(sorted(w["warnings"])))
    g = got.get(t["domain"])
    have = (bool(g[0]), g[1], g[2]) if g else None
    if have != want:
        bad[t["scenario"]].append("%s: %s != truth %s" % (t["domain"], have, want))
for s in scenarios:
    if bad[s]:
        print("not ok - verdict with the delivery side: %s # %s" % (s, "; ".join(bad[s][:3])))
    else:
        print("ok - verdict with the delivery side: %s" % s)
EOF

distinct=$(python3 -c '
import json, sys
print(len({p["host"] for t in map(json.loads, open(sys.argv[1])) for p in t.get("mx_probes") or []}))
' "$MTASTS_WORLD_TRUTH")
rows=$(sqlite3 "$db" "SELECT count(*) FROM mx_probes")
check "one mx_probes row per distinct MX host ($distinct)" "[ '$rows' = '$distinct' ]" "$rows rows"
unjoined=$(sqlite3 "$db" "SELECT count(*) FROM results r, json_each(r.mx_hosts) j LEFT JOIN \
mx_probes m ON m.scan_id = r.scan_id AND m.host = lower(rtrim(j.value, '.')) WHERE \
m.host IS NULL AND j.value NOT IN ('', '.')")
check "every domain's MX host joins its mx_probes row" "[ '$unjoined' = 0 ]" "$unjoined not joined"

"$MTASTS_BIN" export --db "$db" --table mx --format jsonl >"$tmp/mx.jsonl"
lines=$(wc -l <"$tmp/mx.jsonl")
check "export --table mx: one record per host" "[ $lines -eq $distinct ]" "$lines records"

want_wf=$(python3 -c '
import json, sys
print(sum(1 for t in map(json.loads, open(sys.argv[1]))
          if t.get("with_options", {}).get(sys.argv[2], {}).get("would_fail_delivery")))
' "$MTASTS_WORLD_TRUTH" "$opt")
"$MTASTS_BIN" report --db "$db" --format json >"$tmp/report.json"
got_wf=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["would_fail_delivery"]["count"], d["delivery"]["would_fail_uncovered"] + 0)
' "$tmp/report.json" | cut -d' ' -f1)
check "report: would fail delivery = the truth's ($want_wf)" "[ '$got_wf' = '$want_wf' ]" \
    "report says $got_wf"

# check: an enforcing domain with an expired MX certificate fails (exit 2) in the MX layer; a
# testing domain whose hosts are fine is ready and verified.
pick() { python3 -c '
import json, sys
for t in map(json.loads, open(sys.argv[1])):
    if t["scenario"] == sys.argv[2]:
        print(t["domain"]); break
' "$MTASTS_WORLD_TRUTH" "$1"; }
d_exp=$(pick mx-cert-expired)
"${world[@]}" "$MTASTS_BIN" check "$d_exp" --json "${net[@]}" >"$tmp/exp.json" 2>/dev/null
rc=$?
check "check $d_exp: exit 2, MX transport fails, mx_cert_expired with its fix" \
    "[ $rc -eq 2 ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
h = d[\"delivery\"][\"hosts\"][0]
sys.exit(0 if d[\"would_fail_delivery\"] and d[\"layers\"][\"delivery\"][\"state\"] == \"fail\"
         and h[\"smtp_outcome\"] == \"mx_cert_expired\" and \"Renew\" in h[\"fix\"] else 1)
' '$tmp/exp.json'" "exit $rc: $(head -c 400 "$tmp/exp.json")"
d_rdy=$(pick testing-ready)
"${world[@]}" "$MTASTS_BIN" check "$d_rdy" --json "${net[@]}" >"$tmp/rdy.json" 2>/dev/null
check "check $d_rdy: ready_to_enforce with every MX host verified" "python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d[\"readiness\"] == \"ready_to_enforce\" and d[\"mx_verified\"] else 1)
' '$tmp/rdy.json'" "$(head -c 400 "$tmp/rdy.json")"
"${world[@]}" "$MTASTS_BIN" check "$d_rdy" --json --checks -smtp "${net[@]}" >"$tmp/rdy0.json" \
    2>/dev/null
check "check $d_rdy without the SMTP stage: ready, but the MX hosts not verified" "python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d[\"readiness\"] == \"ready_to_enforce\" and not d[\"mx_verified\"]
         and \"not verified\" in d[\"layers\"][\"readiness\"][\"observed\"] else 1)
' '$tmp/rdy0.json'" "$(head -c 600 "$tmp/rdy0.json")"
