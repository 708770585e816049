#!/usr/bin/env bash
# The report-based part of readiness: a testing domain the scan finds ready_to_enforce, and
# an enforcing domain, scanned in the world; TLS-RPT reports dated relative to today are
# ingested (from standard input); `report tlsrpt`, `check --db` and `report --per-domain`
# then say ready_to_enforce only for a clean window, and name the result type, reporter and
# MX host otherwise; enforce with blocking failures is enforcing_with_failures.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_TRUTH:?}" "${MTASTS_WORLD_CA:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
opts=(--resolver "$MTASTS_WORLD_RESOLVER" --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8
      --timeout 3 --connect-timeout 2)
echo "1..14"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pick() {
    python3 -c 'import json,sys
for l in open(sys.argv[1]):
    t = json.loads(l)
    if t["scenario"] == sys.argv[2] and not t["warnings"]:
        print(t["domain"]); break' "$MTASTS_WORLD_TRUTH" "$1"
}
T=$(pick valid-testing)
E=$(pick valid-enforce)
printf '%s\n%s\n' "$T" "$E" >"$tmp/list"
DB="$tmp/db"
"${world[@]}" "$MTASTS_BIN" scan "$tmp/list" --db "$DB" "${opts[@]}" --quiet >/dev/null 2>&1
r=$(sqlite3 "$DB" "SELECT group_concat(readiness, ',') FROM (SELECT readiness FROM results ORDER BY domain = '$T' DESC)")
[ "$r" = "ready_to_enforce,enforcing" ] && echo "ok - the scan finds $T ready_to_enforce and $E enforcing" ||
    echo "not ok - the scan finds $T ready_to_enforce and $E enforcing # got '$r'"

# gen DOMAIN ORG FIRST_DAYS_AGO LAST_DAYS_AGO [RESULT_TYPE MX DAYS_AGO]: one report a day.
gen() {
    python3 - "$@" <<'PY'
import datetime, json, sys
dom, org, first, last = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
fail = sys.argv[5:8]
today = datetime.datetime.now(datetime.timezone.utc).date()
for ago in range(first, last - 1, -1):
    d = today - datetime.timedelta(days=ago)
    fd = []
    if fail and int(fail[2]) == ago:
        fd = [{"result-type": fail[0], "sending-mta-ip": "192.0.2.1", "receiving-mx-hostname": fail[1],
               "failed-session-count": 4}]
    rep = {"organization-name": org, "date-range": {"start-datetime": d.isoformat() + "T00:00:00Z",
           "end-datetime": d.isoformat() + "T23:59:59Z"}, "contact-info": "x@" + org.split()[0].lower() + ".example",
           "report-id": "%s-%s-%s" % (org.split()[0], dom, d.isoformat()),
           "policies": [{"policy": {"policy-type": "sts", "policy-domain": dom, "mx-host": ["*.mail.protection.provider-m.test"]},
                         "summary": {"total-successful-session-count": 100, "total-failure-session-count": 4 if fd else 0},
                         "failure-details": fd}]}
    print(json.dumps(rep))
PY
}
ingest_stdin() { "$MTASTS_BIN" tlsrpt ingest --db "$DB" - 2>>"$tmp/ingest.err"; }
# Reports arrive one per message: feed each JSON line as its own stdin run.
feed() { while IFS= read -r line; do printf '%s' "$line" | ingest_stdin || return 1; done; }

gen "$T" "Google LLC" 14 1 | feed && echo "ok - 14 daily reports for $T ingested from standard input" ||
    echo "not ok - 14 daily reports for $T ingested # $(tail -2 "$tmp/ingest.err")"
gen "$E" "Google LLC" 3 1 certificate-expired "mx1.$E" 2 | feed

val() { # domain field: from report tlsrpt --format json, table tlsrpt_domains
    "$MTASTS_BIN" report tlsrpt --db "$DB" --format json |
        python3 -c 'import json,sys
d = json.load(sys.stdin)
for r in d["tables"]["tlsrpt_domains"]["rows"]:
    if r["domain"] == sys.argv[1]: print(r[sys.argv[2]])' "$1" "$2"
}
g=$(val "$T" gate)
rd=$(val "$T" readiness)
[ "$g" = clean ] && [ "$rd" = ready_to_enforce ] && echo "ok - report tlsrpt: 14 clean days keep $T ready_to_enforce" ||
    echo "not ok - report tlsrpt: 14 clean days keep ready_to_enforce # gate '$g', readiness '$rd'"
rd=$(val "$E" readiness)
[ "$rd" = enforcing_with_failures ] && echo "ok - report tlsrpt: $E enforcing with certificate-expired is enforcing_with_failures" ||
    echo "not ok - report tlsrpt: enforcing with failures # readiness '$rd'"
m=$(val "$E" scan_mode)
[ "$m" = enforce ] && echo "ok - report tlsrpt: the latest scan's mode is shown beside the reports" || echo "not ok - report tlsrpt: the scan's mode # '$m'"

"${world[@]}" "$MTASTS_BIN" check "$T" --db "$DB" --json "${opts[@]}" >"$tmp/check.json" 2>"$tmp/check.err"
rc=$?
python3 -c 'import json,sys; o = json.load(open(sys.argv[1])); t = o["tlsrpt_reports"]; sys.exit(0 if t["verdict"] == "clean" and t["readiness"] == "ready_to_enforce" and t["days_covered"] == 14 else 1)' "$tmp/check.json" &&
    [ $rc -eq 0 ] && echo "ok - check --db --json: a clean 14-day window, exit 0" ||
    echo "not ok - check --db --json: a clean window # rc $rc: $(head -c 300 "$tmp/check.json")"
"${world[@]}" "$MTASTS_BIN" check "$E" --db "$DB" "${opts[@]}" >"$tmp/check.txt" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "enforcing_with_failures" "$tmp/check.txt" && grep -q "certificate-expired reported by Google LLC for MX mx1.$E" "$tmp/check.txt" &&
    echo "ok - check --db: enforcing with failures exits 2 and names type, reporter and MX" ||
    echo "not ok - check --db: enforcing with failures # rc $rc: $(tail -3 "$tmp/check.txt" | tr '\n' ' ')"

# A blocking failure two days ago: $T is not ready any more.
python3 - "$T" <<'PY' | ingest_stdin
import datetime, json, sys
d = datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=2)
print(json.dumps({"organization-name": "Microsoft Corporation", "date-range": {"start-datetime": d.isoformat() + "T00:00:00Z", "end-datetime": d.isoformat() + "T23:59:59Z"},
    "report-id": "ms-" + d.isoformat(), "contact-info": "tlsrpt@microsoft.example",
    "policies": [{"policy": {"policy-type": "sts", "policy-domain": sys.argv[1]},
                  "summary": {"total-successful-session-count": 50, "total-failure-session-count": 2},
                  "failure-details": [{"result-type": "certificate-host-mismatch", "receiving-mx-hostname": "mx2." + sys.argv[1], "failed-session-count": 2}]}]}))
PY
rd=$(val "$T" readiness)
[ "$rd" = not_ready ] && echo "ok - report tlsrpt: a certificate-host-mismatch makes $T not_ready" ||
    echo "not ok - report tlsrpt: a failure makes not_ready # '$rd'"
"${world[@]}" "$MTASTS_BIN" check "$T" --db "$DB" "${opts[@]}" >"$tmp/check2.txt" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "readiness with reports: not_ready" "$tmp/check2.txt" &&
    grep -q "certificate-host-mismatch reported by Microsoft Corporation for MX mx2.$T" "$tmp/check2.txt" &&
    echo "ok - check --db: not_ready names type, reporter and MX host (exit 1)" ||
    echo "not ok - check --db: not_ready names type, reporter and MX # rc $rc: $(tail -3 "$tmp/check2.txt" | tr '\n' ' ')"
"$MTASTS_BIN" report --per-domain --db "$DB" --format json >"$tmp/wl.json" 2>"$tmp/wl.err"
python3 - "$tmp/wl.json" "$T" "$E" <<'PY' && echo "ok - report --per-domain: readiness joins the reports, the fix names the failure" || echo "not ok - report --per-domain joins the reports # $(head -c 400 "$tmp/wl.json")"
import json, sys
rows = {r["domain"]: r for r in json.load(open(sys.argv[1]))["tables"]["domains"]["rows"]}
t, e = rows[sys.argv[2]], rows[sys.argv[3]]
ok = t["readiness"] == "not_ready" and "certificate-host-mismatch" in t["fix"] and "Microsoft Corporation" in t["fix"] \
    and e["readiness"] == "enforcing_with_failures"
sys.exit(0 if ok else 1)
PY
# --window 20: the 14 days of reports no longer cover the window.
w=$("$MTASTS_BIN" report tlsrpt --db "$DB" --format csv --window 20 --section tlsrpt_domains |
    python3 -c 'import csv,sys; print([r["gate"] for r in csv.DictReader(sys.stdin) if r["domain"] == sys.argv[1]][0])' "$E")
[ "$w" = failures ] && echo "ok - --window: failures still found in a 20-day window" || echo "not ok - --window 20 # '$w'"
"${world[@]}" "$MTASTS_BIN" check "$T" --db "$DB" --window 1 "${opts[@]}" >"$tmp/check3.txt" 2>&1
grep -q "TLS-RPT reports (1-day window): clean" "$tmp/check3.txt" && echo "ok - check --window 1: only yesterday counts, clean" ||
    echo "not ok - check --window 1 # $(grep -A1 'TLS-RPT reports' "$tmp/check3.txt" | tr '\n' ' ')"

# diff and trend: $E in enforce with a blocking failure reported today (after the first scan
# that saw it in enforce); the failure two days ago predates that scan and is not counted.
"${world[@]}" "$MTASTS_BIN" scan "$tmp/list" --db "$DB" "${opts[@]}" --quiet >/dev/null 2>&1
python3 - "$E" <<'PY' | ingest_stdin
import datetime, json, sys
d = datetime.datetime.now(datetime.timezone.utc).date()
print(json.dumps({"organization-name": "Yahoo", "date-range": {"start-datetime": d.isoformat() + "T00:00:00Z", "end-datetime": d.isoformat() + "T23:59:59Z"},
    "report-id": "y-" + d.isoformat(), "policies": [{"policy": {"policy-type": "sts", "policy-domain": sys.argv[1]},
    "summary": {"total-successful-session-count": 0, "total-failure-session-count": 9},
    "failure-details": [{"result-type": "starttls-not-supported", "receiving-mx-hostname": "mx9." + sys.argv[1], "failed-session-count": 9}]}]}))
PY
"$MTASTS_BIN" diff --db "$DB" --exit-code --format json >"$tmp/diff.json" 2>"$tmp/diff.err"
rc=$?
python3 - "$tmp/diff.json" "$E" <<'PY' && [ $rc -eq 1 ] && echo "ok - diff --exit-code: $E enforcing with failures since is a change (exit 1)" || echo "not ok - diff flags enforce with failures # rc $rc: $(head -c 400 "$tmp/diff.json")"
import json, sys
rows = json.load(open(sys.argv[1]))["tables"]["tlsrpt_enforce_failures"]["rows"]
sys.exit(0 if [(r["domain"], r["result_type"], r["reporter"], r["blocking_sessions"]) for r in rows] == [(sys.argv[2], "starttls-not-supported", "Yahoo", 9)] else 1)
PY
"$MTASTS_BIN" report trend --db "$DB" --format json >"$tmp/trend.json" 2>"$tmp/trend.err"
python3 -c 'import json,sys; rows = json.load(open(sys.argv[1]))["tables"]["tlsrpt_enforce_failures"]["rows"]; sys.exit(0 if [r["domain"] for r in rows] == [sys.argv[2]] else 1)' "$tmp/trend.json" "$E" &&
    echo "ok - report trend lists $E under enforcing with TLS-RPT failures" || echo "not ok - report trend lists enforce with failures # $(head -c 300 "$tmp/trend.json")"
