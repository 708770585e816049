#!/usr/bin/env bash
# Cron-ready snapshot: one scan appended to the database, then dated reports, trend and diff.
#
# Usage: scripts/snapshot.sh --db FILE --list FILE [--out DIR] [--bin PATH] [-- SCAN-ARGS...]
#
#   --db FILE     result database; every run appends one scan (default: mtasts.db)
#   --list FILE   domain list to scan (plain, rank,domain CSV, or .zst)
#   --out DIR     where reports and logs go (default: the database's folder/reports)
#   --bin PATH    the mtasts binary (default: $MTASTS_BIN, else `mtasts` on PATH)
#   -- ARGS       passed to `mtasts scan` (resolver, rate limits, --exclude, ...)
#
# Each run writes, with STAMP = UTC start time (20261122T120000Z):
#   OUT/logs/snapshot-STAMP.log      everything this run printed, each step timestamped
#   OUT/STAMP/report.html|json|txt   the survey report of the new scan
#   OUT/STAMP/worklist.csv           one row per domain with status, category and the fix
#   OUT/STAMP/trend.html|csv         the trend across every completed scan
#   OUT/STAMP/diff.json|txt          changes since the previous completed scan (from the 2nd run)
#   OUT/latest -> STAMP              a symlink to the newest complete set
#
# Exit status, for alerting (cron mails output; systemd marks the unit failed):
#   0 success   1 the scan failed   2 usage error   3 a report failed
#   75 another snapshot holds the lock (EX_TEMPFAIL: try later, nothing was done)
# Overlap is prevented with flock(1) on DB.snapshot.lock: a slow scan is never doubled.
set -u

usage() { sed -n '4,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

db=mtasts.db list= out= bin=${MTASTS_BIN:-mtasts}
scan_args=()
while [ $# -gt 0 ]; do
    case "$1" in
    --db) db=${2:?}; shift 2 ;;
    --list) list=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --bin) bin=${2:?}; shift 2 ;;
    --) shift; scan_args=("$@"); break ;;
    -h | --help) usage ;;
    *) echo "snapshot: unknown argument '$1'" >&2; usage ;;
    esac
done
[ -n "$list" ] || { echo "snapshot: --list is required" >&2; usage; }
[ -r "$list" ] || { echo "snapshot: cannot read the list $list" >&2; exit 2; }
command -v "$bin" >/dev/null 2>&1 || { echo "snapshot: no mtasts binary at '$bin'" >&2; exit 2; }
[ -n "$out" ] || out=$(dirname "$db")/reports

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out/logs" || { echo "snapshot: cannot create $out/logs" >&2; exit 2; }
log=$out/logs/snapshot-$stamp.log

# The lock: held on fd 9 for the life of this process, released by the kernel on exit.
exec 9>>"$db.snapshot.lock" || { echo "snapshot: cannot open $db.snapshot.lock" >&2; exit 2; }
if ! flock -n 9; then
    echo "snapshot: another snapshot of $db is running (lock $db.snapshot.lock); skipped" >&2
    exit 75
fi

exec >>"$log" 2>&1
say() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $*"; }
say "snapshot $stamp: db=$db list=$list out=$out bin=$bin"

say "scan: $bin scan $list --db $db ${scan_args[*]}"
"$bin" scan "$list" --db "$db" --quiet "${scan_args[@]}"
rc=$?
if [ $rc -ne 0 ]; then
    say "scan failed with status $rc; no reports written"
    exit 1
fi
say "scan complete"

dir=$out/$stamp
mkdir -p "$dir"
failed=0
step() { # step NAME CMD...: runs one report, logs its status
    local name=$1
    shift
    if "$@"; then
        say "wrote $name"
    else
        say "FAILED: $name (status $?)"
        failed=1
    fi
}
step report.txt "$bin" report --db "$db" -o "$dir/report.txt"
step report.json "$bin" report --db "$db" --format json -o "$dir/report.json"
step report.html "$bin" report --db "$db" --format html -o "$dir/report.html"
step worklist.csv "$bin" report --db "$db" --per-domain --format csv --section domains \
    -o "$dir/worklist.csv"
step trend.csv "$bin" report trend --db "$db" --format csv --section trend -o "$dir/trend.csv"
step trend.html "$bin" report trend --db "$db" --format html -o "$dir/trend.html"
complete=$(sqlite3 "file:$db?mode=ro" "SELECT count(*) FROM scans WHERE state = 'complete'" \
    2>/dev/null || echo 0)
if [ "${complete:-0}" -ge 2 ]; then
    step diff.txt "$bin" diff --db "$db" -o "$dir/diff.txt"
    step diff.json "$bin" diff --db "$db" --format json -o "$dir/diff.json"
else
    say "diff skipped: fewer than two complete scans"
fi
if [ $failed -ne 0 ]; then
    say "snapshot $stamp: a report failed"
    exit 3
fi
ln -sfn "$stamp" "$out/latest.tmp" && mv -T "$out/latest.tmp" "$out/latest"
say "snapshot $stamp: done"
exit 0
