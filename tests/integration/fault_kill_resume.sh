#!/usr/bin/env bash
# SIGKILL at 20 seeded random moments, each followed by --resume, then a last --resume to the
# end: exactly one row per domain, the scan complete, and the same verdict for every domain as
# an uninterrupted scan of the same list. 400 domains of the world (every scenario but the
# timing ones), so the whole suite takes well under a minute.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_DOMAINS:?}" "${MTASTS_WORLD_TRUTH:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..6"
SEED=${FAULT_KILL_SEED:-12}
grep -vE 'timeout|slow-drip' "$MTASTS_WORLD_DOMAINS" | head -400 >"$tmp/list"
n=$(wc -l <"$tmp/list")
args=("$tmp/list" --resolver "$MTASTS_WORLD_RESOLVER" --ca-file "$MTASTS_WORLD_CA"
      --allow-private 127.0.0.0/8 --timeout 3 --connect-timeout 2 --dns-qps 600 --quiet)
"${world[@]}" "$MTASTS_BIN" scan "${args[@]}" --db "$tmp/ref.db" >"$tmp/ref.out" 2>&1 ||
    echo "# the reference scan failed: $(tail -2 "$tmp/ref.out" | tr '\n' ' ')"

# 20 kills at seeded moments between 0.15 and 1.2 s after each start.
delays=$(python3 -c "import random; r = random.Random($SEED); print(' '.join('%.2f' % r.uniform(0.15, 1.2) for _ in range(20)))")
kills=0 resume=()
for d in $delays; do
    "${world[@]}" "$MTASTS_BIN" scan "${args[@]}" --db "$tmp/k.db" "${resume[@]}" >>"$tmp/k.out" 2>&1 &
    pid=$!
    sleep "$d"
    kill -KILL "$pid" 2>/dev/null && kills=$((kills + 1))
    wait "$pid" 2>/dev/null
    resume=(--resume)
done
rows_mid=$(sqlite3 "$tmp/k.db" "SELECT count(*) FROM results")
[ "$kills" -ge 15 ] && echo "ok - $kills of 20 runs killed with SIGKILL at seeded moments (seed $SEED; $rows_mid rows by then)" ||
    echo "not ok - 20 runs killed with SIGKILL # only $kills were still running (seed $SEED)"
"${world[@]}" "$MTASTS_BIN" scan "${args[@]}" --db "$tmp/k.db" --resume >"$tmp/last.out" 2>&1
rc=$?
[ $rc -eq 0 ] && echo "ok - the last --resume completes" ||
    echo "not ok - the last --resume completes # status $rc: $(tail -3 "$tmp/last.out" | tr '\n' ' ')"
read -r rows distinct scans < <(sqlite3 -separator ' ' "$tmp/k.db" \
    "SELECT count(*), count(DISTINCT domain), (SELECT count(*) FROM scans) FROM results")
[ "$rows" = "$n" ] && [ "$distinct" = "$n" ] && [ "$scans" = 1 ] &&
    echo "ok - exactly one row per domain in one scan ($rows)" ||
    echo "not ok - exactly one row per domain in one scan # rows $rows distinct $distinct of $n, scans $scans"
read -r state resumes < <(sqlite3 -separator ' ' "$tmp/k.db" "SELECT state, resumes FROM scans")
[ "$state" = complete ] && [ "$resumes" -ge 15 ] && echo "ok - the scan is complete after $resumes resumes" ||
    echo "not ok - the scan is complete after the resumes # state $state, resumes $resumes"
diff=$(sqlite3 "$tmp/k.db" "ATTACH '$tmp/ref.db' AS ref;
    SELECT count(*) FROM results k JOIN ref.results r USING (domain)
    WHERE k.status IS NOT r.status OR k.category IS NOT r.category OR k.warnings IS NOT r.warnings
       OR k.mx_covered IS NOT r.mx_covered OR k.policy_mode IS NOT r.policy_mode")
ref_rows=$(sqlite3 "$tmp/ref.db" "SELECT count(*) FROM results")
[ "$diff" = 0 ] && [ "$ref_rows" = "$n" ] &&
    echo "ok - every verdict equals the uninterrupted scan's" ||
    echo "not ok - every verdict equals the uninterrupted scan's # $diff differ ($ref_rows reference rows): $(sqlite3 "$tmp/k.db" "ATTACH '$tmp/ref.db' AS ref; SELECT k.domain, k.status, k.category, r.status, r.category FROM results k JOIN ref.results r USING (domain) WHERE k.status IS NOT r.status OR k.category IS NOT r.category LIMIT 3" | tr '\n' ' ')"
python3 tests/integration/compare_truth.py "$tmp/k.db" "$MTASTS_WORLD_TRUTH" --only <(cut -d, -f2 "$tmp/list") |
    grep '^\(not \)\?ok - results == inputs' | sed 's/^\(not \)\?ok - /&after 20 kills: /'
