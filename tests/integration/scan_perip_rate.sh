#!/usr/bin/env bash
# --per-ip is a rate: new connections to one address are spaced 1/R apart, and a fetch that
# waits longer than --per-ip-wait for its turn never starts (the domain not checked, never an
# https_timeout blamed on its policy host), so a scan never stalls.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_TRUTH:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..7"
# the valid domains: every one has a policy host on one of nginx's 16 addresses
python3 - "$MTASTS_WORLD_TRUTH" >"$tmp/list" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["status"] == "valid":
        print(t["domain"])
PY
n=$(wc -l <"$tmp/list")
scan() { # scan DB ARGS...: prints the wall time in ms
    local db=$1 t0 t1
    shift
    t0=$(date +%s%N)
    "${world[@]}" "$MTASTS_BIN" scan "$tmp/list" --db "$db" --resolver "$MTASTS_WORLD_RESOLVER" \
        --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8 --timeout 5 --connect-timeout 3 \
        --dns-qps 5000 --quiet "$@" >"$db.log" 2>&1
    echo "rc=$? ms=$((($(date +%s%N) - t0) / 1000000))"
}

# 1. 5 new connections per second per address: every fetch succeeds, and the busiest address
#    (k fetches) takes at least (k - 1) / 5 s
out=$(scan "$tmp/r.db" --per-ip 5 --per-ip-conns 2)
rc=${out#rc=}; rc=${rc%% *}; ms=${out##*ms=}
[ "$rc" = 0 ] && echo "ok - scan at --per-ip 5 exits 0 ($n domains, ${ms} ms)" ||
    echo "not ok - scan at --per-ip 5 exits 0 # status $rc: $(tail -2 "$tmp/r.db.log" | tr '\n' ' ')"
read -r okn busiest < <(sqlite3 -separator ' ' "$tmp/r.db" \
    "SELECT (SELECT count(*) FROM results WHERE https_outcome = 'ok'),
            (SELECT max(c) FROM (SELECT count(*) AS c FROM results GROUP BY https_addr))")
[ "$okn" = "$n" ] && echo "ok - every policy fetched ($okn)" ||
    echo "not ok - every policy fetched # $okn of $n"
want=$(((busiest - 1) * 1000 / 5))
[ "$ms" -ge "$want" ] && echo "ok - the busiest address ($busiest fetches) is paced: ${ms} ms >= ${want} ms" ||
    echo "not ok - the busiest address ($busiest fetches) is paced # ${ms} ms < ${want} ms"
opts=$(sqlite3 "$tmp/r.db" "SELECT json_extract(options, '\$.per_ip') || ',' || json_extract(options, '\$.per_ip_conns') FROM scans")
[ "$opts" = "5,2" ] && echo "ok - per_ip (rate) and per_ip_conns recorded with the scan" ||
    echo "not ok - per_ip (rate) and per_ip_conns recorded with the scan # got '$opts'"

# the adaptive DNS window's history is noted with the scan (a measurement, not a setting)
win=$(sqlite3 "$tmp/r.db" "SELECT json_extract(options, '\$.dns_window.final') > 0 AND json_extract(options, '\$.dns_window.epochs') > 0 FROM scans")
if [ "$win" = 1 ] && grep -q '^dns window: final [0-9]' "$tmp/r.db.log"; then
    echo "ok - the DNS window's history is in the summary and the scan's options"
else
    echo "not ok - the DNS window's history is in the summary and the scan's options # '$win'; $(grep 'dns window' "$tmp/r.db.log")"
fi

# 2. one connection per 4 s per address and at most 2 s of waiting: the rest are not checked
#    (dns_error, the fetch never started, the error naming the wait), and the scan ends in
#    bounded time
out=$(scan "$tmp/w.db" --per-ip 0.25 --per-ip-conns 1 --per-ip-wait 2)
rc=${out#rc=}; rc=${rc%% *}; ms=${out##*ms=}
read -r waited fetched < <(sqlite3 -separator ' ' "$tmp/w.db" \
    "SELECT (SELECT count(*) FROM results WHERE status = 'dns_error' AND https_outcome = 'not_attempted' AND https_error LIKE 'not checked: waited % for a turn at 127.%--per-ip-wait 2s); it never started'),
            (SELECT count(*) FROM results WHERE https_outcome = 'ok')")
[ "$rc" = 0 ] && [ "$ms" -lt 30000 ] && echo "ok - a scan whose fetches wait too long still ends (${ms} ms)" ||
    echo "not ok - a scan whose fetches wait too long still ends # status $rc, ${ms} ms"
[ "$waited" -gt 0 ] && [ $((waited + fetched)) -eq "$n" ] &&
    echo "ok - fetches past --per-ip-wait never start: not checked, naming the wait ($waited; $fetched fetched)" ||
    echo "not ok - fetches past --per-ip-wait never start: not checked, naming the wait # $waited waited, $fetched fetched, $n domains; $(sqlite3 "$tmp/w.db" "SELECT status, https_outcome, https_error FROM results WHERE https_outcome != 'ok' LIMIT 2" | tr '\n' ' ')"
