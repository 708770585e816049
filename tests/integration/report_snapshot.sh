#!/usr/bin/env bash
# scripts/snapshot.sh against the local world: two runs append two scans and write dated
# reports, trend and diff; a held lock makes a run exit 75 without scanning; a scan failure
# exits 1. Needs the world up (tests/run does it) and its facts in MTASTS_WORLD_*.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_DOMAINS:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
echo "1..16" # the plan: tests/run fails a suite that reports another count

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/snap.db
out=$tmp/reports
head -300 "$MTASTS_WORLD_DOMAINS" >"$tmp/list.csv"
snap() {
    "${world[@]}" scripts/snapshot.sh --db "$db" --list "$tmp/list.csv" --out "$out" \
        --bin "$MTASTS_BIN" -- --resolver "$MTASTS_WORLD_RESOLVER" \
        --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8 --timeout 3 \
        --connect-timeout 2 --dns-qps 5000
}

snap
rc=$?
[ $rc -eq 0 ] && echo "ok - first snapshot exits 0" ||
    echo "not ok - first snapshot exits 0 # status $rc: $(tail -3 "$out"/logs/*.log 2>/dev/null | tr '\n' ' ')"
first=$(readlink "$out/latest" 2>/dev/null)
for f in report.txt report.json report.html worklist.csv trend.csv trend.html; do
    [ -s "$out/$first/$f" ] && echo "ok - first snapshot wrote $f" ||
        echo "not ok - first snapshot wrote $f # missing in $out/$first"
done
[ ! -e "$out/$first/diff.json" ] && echo "ok - no diff after the first scan" ||
    echo "not ok - no diff after the first scan # diff.json exists"
grep -q "snapshot $first: done" "$out/logs/snapshot-$first.log" 2>/dev/null &&
    echo "ok - dated log ends with done" || echo "not ok - dated log ends with done # $(ls "$out/logs")"

sleep 1 # the stamp has a one-second resolution
snap
rc=$?
second=$(readlink "$out/latest" 2>/dev/null)
[ $rc -eq 0 ] && [ -n "$second" ] && [ "$second" != "$first" ] &&
    echo "ok - second snapshot exits 0 and moves latest" ||
    echo "not ok - second snapshot exits 0 and moves latest # status $rc, $first -> $second"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["kind"]=="diff"; assert r["tables"]["changes"]["rows"]==[], r["tables"]["changes"]["rows"][:3]' \
    "$out/$second/diff.json" 2>"$tmp/err" &&
    echo "ok - second snapshot wrote an empty diff.json" ||
    echo "not ok - second snapshot wrote an empty diff.json # $(tail -1 "$tmp/err")"
n=$(tail -n +2 "$out/$second/trend.csv" | wc -l)
[ "$n" = 2 ] && echo "ok - trend.csv has both scans" || echo "not ok - trend.csv has both scans # $n rows"

# A held lock: the run is skipped with 75 and scans nothing.
scans_before=$(sqlite3 "$db" 'SELECT count(*) FROM scans')
exec 8>>"$db.snapshot.lock" # held by this shell on fd 8: no process to clean up
flock -n 8 || echo "not ok - the test could take the lock"
snap 2>"$tmp/lockerr"
rc=$?
exec 8>&-
scans_after=$(sqlite3 "$db" 'SELECT count(*) FROM scans')
[ $rc -eq 75 ] && [ "$scans_before" = "$scans_after" ] &&
    echo "ok - a held lock exits 75 without scanning" ||
    echo "not ok - a held lock exits 75 without scanning # status $rc, scans $scans_before -> $scans_after"
grep -q "another snapshot" "$tmp/lockerr" && echo "ok - the lock message says why" ||
    echo "not ok - the lock message says why # $(cat "$tmp/lockerr")"

# A failing scan (an option the scanner refuses) exits 1 and writes no reports.
"${world[@]}" scripts/snapshot.sh --db "$db" --list "$tmp/list.csv" --out "$out" \
    --bin "$MTASTS_BIN" -- --no-such-option >/dev/null 2>&1
rc=$?
[ $rc -eq 1 ] && [ "$(readlink "$out/latest")" = "$second" ] &&
    echo "ok - a failed scan exits 1 and keeps latest" ||
    echo "not ok - a failed scan exits 1 and keeps latest # status $rc"
scripts/snapshot.sh --db "$db" >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] && echo "ok - a usage error exits 2" || echo "not ok - a usage error exits 2 # $rc"
exit 0
