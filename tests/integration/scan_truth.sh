#!/usr/bin/env bash
# Scans the whole local test world and compares every domain's row with the ground truth.
# Needs the world up (tests/run does it) and its facts in MTASTS_WORLD_* (world env).
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_DOMAINS:?}" "${MTASTS_WORLD_TRUTH:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
# The plan: 11 cases here, and compare_truth.py's lines for the whole truth.
echo "1..$((11 + $(python3 tests/integration/compare_truth.py --count - "$MTASTS_WORLD_TRUTH")))"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/truth.db

# Earlier suites make unbound mark the world's silent server as down and cache its SERVFAIL,
# after which it answers SERVFAIL at once instead of letting the scanner time out: forget
# both first (as world_scenarios does), so the dns-timeout domains time out here (the retry
# cases below count them).
for c in "flush_infra all" "flush_zone test." flush_requestlist; do
    # shellcheck disable=SC2086
    "${world[@]}" unbound-control -c "${MTASTS_WORLD_DIR:-build/world/default}/dns/unbound.conf" \
        $c >/dev/null 2>&1
done
"${world[@]}" "$MTASTS_BIN" scan "$MTASTS_WORLD_DOMAINS" --db "$db" \
    --resolver "$MTASTS_WORLD_RESOLVER" --ca-file "$MTASTS_WORLD_CA" \
    --allow-private 127.0.0.0/8 --timeout 3 --connect-timeout 2 --dns-qps 5000 --quiet \
    >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 0 ]; then
    echo "ok - scan of the world exits 0"
else
    echo "not ok - scan of the world exits 0 # status $rc: $(tail -3 "$tmp/out" | tr '\n' ' ')"
fi
if grep -q '^results written == inputs selected' "$tmp/out"; then
    echo "ok - summary says results written == inputs selected"
else
    echo "not ok - summary says results written == inputs selected # $(grep -i 'results\|mismatch' "$tmp/out" | tr '\n' ' ')"
fi
n_in=$(grep -vc '^\s*$' "$MTASTS_WORLD_DOMAINS")
n_rows=$(sqlite3 "$db" "SELECT count(*) FROM results WHERE scan_id = (SELECT max(id) FROM scans)")
state=$(sqlite3 "$db" "SELECT state FROM scans ORDER BY id DESC LIMIT 1")
[ "$n_rows" = "$n_in" ] && echo "ok - one row per input line ($n_rows)" ||
    echo "not ok - one row per input line # $n_rows rows for $n_in lines"
[ "$state" = complete ] && echo "ok - scan marked complete" ||
    echo "not ok - scan marked complete # state '$state'"
# DNS outcomes stay distinct, and failures were retried before being recorded.
outcomes=$(sqlite3 "$db" "SELECT group_concat(DISTINCT txt_outcome) FROM results WHERE domain LIKE 'dns-servfail-%'")
[ "$outcomes" = servfail ] && echo "ok - SERVFAIL recorded as servfail" ||
    echo "not ok - SERVFAIL recorded as servfail # got '$outcomes'"
outcomes=$(sqlite3 "$db" "SELECT group_concat(DISTINCT txt_outcome) FROM results WHERE domain LIKE 'nxdomain-%'")
[ "$outcomes" = nxdomain ] && echo "ok - NXDOMAIN recorded as nxdomain" ||
    echo "not ok - NXDOMAIN recorded as nxdomain # got '$outcomes'"
outcomes=$(sqlite3 "$db" "SELECT group_concat(DISTINCT host_a_outcome) FROM results WHERE domain LIKE 'policy-host-nodata-%'")
[ "$outcomes" = nodata ] && echo "ok - NODATA recorded as nodata" ||
    echo "not ok - NODATA recorded as nodata # got '$outcomes'"
n_timeout=$(sqlite3 "$db" "SELECT count(*) FROM results WHERE txt_outcome = 'timeout'")
n_servfail=$(sqlite3 "$db" "SELECT count(*) FROM results WHERE txt_outcome = 'servfail'")
retries=$(sed -n 's/^dns: [0-9]* queries, \([0-9]*\) retries.*/\1/p' "$tmp/out")
# --dns-tries 3 by default: every timed-out TXT lookup was sent three times; a SERVFAIL from
# the one resolver is final (scanner/engine/dns_retry.h): retrying it would add 2 per domain.
if [ -n "$retries" ] && [ "$n_timeout" -gt 0 ] && [ "$retries" -ge $((2 * n_timeout)) ]; then
    echo "ok - timed-out lookups retried ($retries retries for $n_timeout timed-out TXT lookups)"
else
    echo "not ok - timed-out lookups retried # '$retries' retries for $n_timeout timed-out TXT lookups"
fi
if [ -n "$retries" ] && [ "$n_servfail" -gt 0 ] &&
    [ "$retries" -lt $((2 * n_timeout + 2 * n_servfail)) ]; then
    echo "ok - SERVFAIL from the one resolver not retried ($retries retries, $n_servfail SERVFAIL)"
else
    echo "not ok - SERVFAIL from the one resolver not retried # '$retries' retries, $n_timeout timeouts, $n_servfail SERVFAIL"
fi
# The policy hosts' Server headers (compare_truth.py compares each domain's; here the
# platform ones by name) and the export field that carries them.
want=$(python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["policy_http_server"] == "GitHub.com"))' "$MTASTS_WORLD_TRUTH")
got=$(sqlite3 "$db" "SELECT count(*) FROM results WHERE policy_http_server = 'GitHub.com' AND domain LIKE 'hosting-github-pages-%'")
[ "$want" -ge 1 ] && [ "$got" = "$want" ] && echo "ok - the scan stores Server: GitHub.com for the $got GitHub Pages-like policy hosts" ||
    echo "not ok - the scan stores Server: GitHub.com # $got rows, truth $want"
"$MTASTS_BIN" export --db "$db" --format jsonl -o "$tmp/export.jsonl" 2>"$tmp/err"
ex=$(python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(sum(1 for r in rows if r["domain"].startswith("hosting-cloudflare-404-") and r["policy_http_server"] == "cloudflare"),
      sum(1 for r in rows if "policy_http_server" not in r))' "$tmp/export.jsonl" 2>&1)
[ "$ex" = "3 0" ] && echo "ok - export --format jsonl has policy_http_server (Server: cloudflare of the 3 hosting-cloudflare-404 domains)" ||
    echo "not ok - export has policy_http_server # $ex $(cat "$tmp/err")"
python3 tests/integration/compare_truth.py "$db" "$MTASTS_WORLD_TRUTH"
