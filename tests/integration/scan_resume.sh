#!/usr/bin/env bash
# SIGTERM in the middle of a scan, then --resume: the scan is marked interrupted with a resume
# hint, and the resumed scan ends complete with exactly one row per domain, none lost.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_DOMAINS:?}" "${MTASTS_WORLD_TRUTH:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
echo "1..9" # the plan: tests/run fails a suite that reports another count
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/resume.db
args=("$MTASTS_WORLD_DOMAINS" --db "$db" --resolver "$MTASTS_WORLD_RESOLVER"
      --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8 --timeout 3 --connect-timeout 2
      --quiet)
n_in=$(grep -vc '^\s*$' "$MTASTS_WORLD_DOMAINS")

# A slow first run (300 queries/s: about 4 s for the world), stopped after 2 s.
"${world[@]}" "$MTASTS_BIN" scan "${args[@]}" --dns-qps 300 >"$tmp/out1" 2>&1 &
pid=$!
sleep 2
kill -TERM "$pid"
wait "$pid"
rc=$?
[ $rc -eq 130 ] && echo "ok - interrupted scan exits 130" ||
    echo "not ok - interrupted scan exits 130 # status $rc: $(tail -2 "$tmp/out1" | tr '\n' ' ')"
grep -q '^resume with: mtasts scan .* --resume' "$tmp/out1" &&
    echo "ok - interrupted scan prints how to resume" ||
    echo "not ok - interrupted scan prints how to resume # $(tail -3 "$tmp/out1" | tr '\n' ' ')"
state=$(sqlite3 "$db" "SELECT state FROM scans WHERE id = 1")
[ "$state" = interrupted ] && echo "ok - scan marked interrupted" ||
    echo "not ok - scan marked interrupted # state '$state'"
n1=$(sqlite3 "$db" "SELECT count(*) FROM results WHERE scan_id = 1")
if [ "$n1" -gt 0 ] && [ "$n1" -lt "$n_in" ]; then
    echo "ok - first run wrote part of the scan ($n1 of $n_in)"
else
    echo "not ok - first run wrote part of the scan # $n1 rows of $n_in"
fi

"${world[@]}" "$MTASTS_BIN" scan "${args[@]}" --dns-qps 5000 --resume >"$tmp/out2" 2>&1
rc=$?
[ $rc -eq 0 ] && echo "ok - resumed scan exits 0" ||
    echo "not ok - resumed scan exits 0 # status $rc: $(tail -3 "$tmp/out2" | tr '\n' ' ')"
read -r rows distinct scans < <(sqlite3 -separator ' ' "$db" \
    "SELECT count(*), count(DISTINCT domain), (SELECT count(*) FROM scans) FROM results")
[ "$rows" = "$n_in" ] && [ "$distinct" = "$n_in" ] && [ "$scans" = 1 ] &&
    echo "ok - exactly one row per domain after resume ($rows)" ||
    echo "not ok - exactly one row per domain after resume # rows $rows distinct $distinct of $n_in, scans $scans"
read -r state resumes < <(sqlite3 -separator ' ' "$db" "SELECT state, resumes FROM scans WHERE id = 1")
[ "$state" = complete ] && [ "$resumes" = 1 ] && echo "ok - resumed scan complete, resumes 1" ||
    echo "not ok - resumed scan complete, resumes 1 # state '$state' resumes '$resumes'"
skipped=$(sed -n 's/^resumed: \([0-9]*\) domains already done.*/\1/p' "$tmp/out2")
[ "$skipped" = "$n1" ] && echo "ok - resume skipped exactly the $n1 finished domains" ||
    echo "not ok - resume skipped exactly the finished domains # skipped '$skipped', first run wrote $n1"
python3 tests/integration/compare_truth.py "$db" "$MTASTS_WORLD_TRUTH" | grep '^\(not \)\?ok - results == inputs'
