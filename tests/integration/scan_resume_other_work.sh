#!/usr/bin/env bash
# --resume of other work is refused with a message naming what differs, and changes nothing:
# another list and shard (issue 12: a.csv --shard 0/3, then b.csv --shard 1/3 --resume), and
# other verdict options (a scan with --ca-file and --allow-private resumed without them).
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_DOMAINS:?}" "${MTASTS_WORLD_TRUTH:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The plan: 12 cases here, and compare_truth.py's lines for the whole truth.
echo "1..$((12 + $(python3 tests/integration/compare_truth.py --count - "$MTASTS_WORLD_TRUTH")))"
n_all=$(grep -vc '^\s*$' "$MTASTS_WORLD_DOMAINS")
head -n $((n_all / 2)) "$MTASTS_WORLD_DOMAINS" >"$tmp/a.csv"
tail -n +$((n_all / 2 + 1)) "$MTASTS_WORLD_DOMAINS" >"$tmp/b.csv"
net=(--resolver "$MTASTS_WORLD_RESOLVER" --timeout 3 --connect-timeout 2 --quiet)
trust=(--ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8)

# Starts a slow scan and stops it with SIGTERM after $1 seconds; the rest are its arguments.
interrupted_scan() {
    local after=$1
    shift
    "${world[@]}" "$MTASTS_BIN" scan "$@" --dns-qps 200 >"$tmp/first.out" 2>&1 &
    local pid=$!
    sleep "$after"
    kill -TERM "$pid"
    wait "$pid"
}
snapshot() { sqlite3 "$1" "SELECT state, input_domains, shard_index, shard_count, inputs, (SELECT count(*) FROM results) FROM scans"; }

# 1. Another list and another shard.
db=$tmp/shard.db
interrupted_scan 1.5 "$tmp/a.csv" --db "$db" --shard 0/3 "${net[@]}" "${trust[@]}"
before=$(snapshot "$db")
case "$before" in interrupted*) echo "ok - a.csv --shard 0/3 interrupted" ;;
*) echo "not ok - a.csv --shard 0/3 interrupted # $before" ;; esac
"${world[@]}" "$MTASTS_BIN" scan "$tmp/b.csv" --db "$db" --shard 1/3 --resume "${net[@]}" \
    "${trust[@]}" >"$tmp/out" 2>&1
rc=$?
[ $rc -ne 0 ] && echo "ok - resume of b.csv --shard 1/3 into it is refused" ||
    echo "not ok - resume of b.csv --shard 1/3 into it is refused # status 0: $(tail -2 "$tmp/out" | tr '\n' ' ')"
grep -q "was --shard 0/3, this run is --shard 1/3" "$tmp/out" &&
    echo "ok - the message names both shards" ||
    echo "not ok - the message names both shards # $(tr '\n' ' ' <"$tmp/out")"
[ "$(snapshot "$db")" = "$before" ] && echo "ok - the refused resume changed nothing" ||
    echo "not ok - the refused resume changed nothing # before '$before', after '$(snapshot "$db")'"
"${world[@]}" "$MTASTS_BIN" scan "$tmp/b.csv" --db "$db" --shard 0/3 --resume "${net[@]}" \
    "${trust[@]}" >"$tmp/out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q "other inputs" "$tmp/out" &&
    echo "ok - resume of another list with the same shard is refused, naming the inputs" ||
    echo "not ok - resume of another list with the same shard is refused # status $rc: $(tr '\n' ' ' <"$tmp/out")"

# 2. Other verdict options: the world needs --ca-file and --allow-private; without them every
# policy host would be policy_host_private_address.
db=$tmp/opts.db
interrupted_scan 2 "$MTASTS_WORLD_DOMAINS" --db "$db" "${net[@]}" "${trust[@]}"
before=$(snapshot "$db")
n1=$(sqlite3 "$db" "SELECT count(*) FROM results")
if [ "$n1" -gt 0 ] && [ "$n1" -lt "$n_all" ]; then
    echo "ok - the world scan with --ca-file and --allow-private interrupted ($n1 of $n_all rows)"
else
    echo "not ok - the world scan with --ca-file and --allow-private interrupted # $n1 rows of $n_all"
fi
"${world[@]}" "$MTASTS_BIN" scan "$MTASTS_WORLD_DOMAINS" --db "$db" --resume "${net[@]}" \
    >"$tmp/out" 2>&1
rc=$?
[ $rc -ne 0 ] && echo "ok - resume without --ca-file and --allow-private is refused" ||
    echo "not ok - resume without --ca-file and --allow-private is refused # status 0"
grep -q -- "--ca-file was .*, now none" "$tmp/out" && grep -q -- '--allow-private was \["127.0.0.0/8"\], now \[\]' "$tmp/out" &&
    echo "ok - the message names --ca-file and --allow-private with old and new values" ||
    echo "not ok - the message names --ca-file and --allow-private # $(tr '\n' ' ' <"$tmp/out")"
[ "$(snapshot "$db")" = "$before" ] && echo "ok - the refused resume changed nothing" ||
    echo "not ok - the refused resume changed nothing # before '$before', after '$(snapshot "$db")'"
"${world[@]}" "$MTASTS_BIN" scan "$MTASTS_WORLD_DOMAINS" --db "$db" --resume "${net[@]}" \
    "${trust[@]}" --timeout 4 >"$tmp/out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q -- "--timeout was 3, now 4" "$tmp/out" &&
    echo "ok - a changed --timeout is refused too" ||
    echo "not ok - a changed --timeout is refused too # status $rc: $(tr '\n' ' ' <"$tmp/out")"
# The delivery side's verdict options: the SMTP checks and --smtp-timeout.
"${world[@]}" "$MTASTS_BIN" scan "$MTASTS_WORLD_DOMAINS" --db "$db" --resume "${net[@]}" \
    "${trust[@]}" --checks +smtp --smtp-timeout 5 >"$tmp/out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q -- "--checks was .*, now .*smtp" "$tmp/out" &&
    grep -q -- "--smtp-timeout was 10, now 5" "$tmp/out" &&
    echo "ok - a changed --checks +smtp and --smtp-timeout are refused, naming both" ||
    echo "not ok - a changed --checks +smtp and --smtp-timeout are refused # status $rc: $(tr '\n' ' ' <"$tmp/out")"
# Rate limits and the EHLO name may change: the same options with another --dns-qps,
# --smtp-conns and --ehlo resume and complete.
"${world[@]}" "$MTASTS_BIN" scan "$MTASTS_WORLD_DOMAINS" --db "$db" --resume "${net[@]}" \
    "${trust[@]}" --dns-qps 5000 --smtp-conns 7 --ehlo other.example >"$tmp/out" 2>&1
rc=$?
state=$(sqlite3 "$db" "SELECT state FROM scans")
[ $rc -eq 0 ] && [ "$state" = complete ] &&
    echo "ok - resume with the same options and another --dns-qps, --smtp-conns, --ehlo completes" ||
    echo "not ok - resume with the same options and another --dns-qps, --smtp-conns, --ehlo completes # status $rc, state $state: $(tail -2 "$tmp/out" | tr '\n' ' ')"
python3 tests/integration/compare_truth.py "$db" "$MTASTS_WORLD_TRUTH" | sed 's/^\(not \)\?ok - /&resumed: /'
