#!/usr/bin/env bash
# Cron-ready snapshot: one scan appended to the database, then dated reports, trend and diff.
#
# Usage: scripts/snapshot.sh --db FILE --list FILE [--out DIR] [--bin PATH] [--alert-on S]
#                            [--quiet] [-- SCAN-ARGS...]
#
#   --db FILE       result database; every run appends one scan (default: mtasts.db)
#   --list FILE     domain list to scan (plain, rank,domain CSV, or .zst)
#   --out DIR       where reports and logs go (default: the database's folder/reports)
#   --bin PATH      the mtasts binary (default: $MTASTS_BIN, else `mtasts` on PATH)
#   --alert-on S    exit 1 when a change of severity S or higher is found: info, low,
#                   medium, high (default high; `mtasts diff --help` lists the kinds)
#   --quiet         print nothing on standard output when the exit status is 0
#   -- ARGS         passed to `mtasts scan` (resolver, rate limits, --exclude, ...)
#
# Standard output (what cron mails): a short summary, the changes since the previous
# complete scan ranked by severity (`mtasts diff --brief`); the first run says "baseline".
# Standard error: why a run failed. Everything, timestamped, also goes to the dated log.
#
# Each run writes, with STAMP = UTC start time (20261122T120000Z):
#   OUT/logs/snapshot-STAMP.log      everything this run did, each step timestamped
#   OUT/STAMP/report.html|json|txt   the survey report of the new scan
#   OUT/STAMP/worklist.csv           one row per domain with status, category and the fix
#   OUT/STAMP/trend.html|csv         the trend across every completed scan
#   OUT/STAMP/diff.json|txt          changes since the previous complete scan (the first
#                                    run: the baseline document, state "baseline")
#   OUT/latest -> STAMP              a symlink to the newest complete set
#
# Exit status, for alerting (cron mails output; systemd marks the unit failed):
#   0 nothing notable (or the baseline)   1 changes at or above --alert-on
#   2 usage error   3 the scan failed   4 a report or the diff failed
#   75 another snapshot holds the lock (EX_TEMPFAIL: try later, nothing was done)
# Overlap is prevented with flock(1) on DB.snapshot.lock: a slow scan is never doubled.
set -u

usage() { sed -n '4,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
fail() { # fail STATUS MESSAGE: the reason on stderr (and in the log), then exit
    local rc=$1
    shift
    echo "snapshot: $*" >&4
    [ -n "${log:-}" ] && say "FAILED: $*"
    exit "$rc"
}
exec 3>&1 4>&2 # the caller's stdout and stderr, kept while the log takes fds 1 and 2
log=
say() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $*"; }

db=mtasts.db list= out= bin=${MTASTS_BIN:-mtasts} alert_on=high quiet=0
scan_args=()
while [ $# -gt 0 ]; do
    case "$1" in
    --db) db=${2:?}; shift 2 ;;
    --list) list=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --bin) bin=${2:?}; shift 2 ;;
    --alert-on) alert_on=${2:?}; shift 2 ;;
    --quiet) quiet=1; shift ;;
    --) shift; scan_args=("$@"); break ;;
    -h | --help) usage ;;
    *) echo "snapshot: unknown argument '$1'" >&2; usage ;;
    esac
done
[ -n "$list" ] || { echo "snapshot: --list is required" >&2; usage; }
case "$alert_on" in info | low | medium | high) ;;
*) fail 2 "--alert-on wants info, low, medium or high, got '$alert_on'" ;;
esac
[ -r "$list" ] || fail 2 "cannot read the list $list"
command -v "$bin" >/dev/null 2>&1 || fail 2 "no mtasts binary at '$bin'"
[ -n "$out" ] || out=$(dirname "$db")/reports

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out/logs" || fail 2 "cannot create $out/logs"

# The lock: held on fd 9 for the life of this process, released by the kernel on exit.
exec 9>>"$db.snapshot.lock" || fail 2 "cannot open $db.snapshot.lock"
if ! flock -n 9; then
    echo "snapshot: another snapshot of $db is running (lock $db.snapshot.lock); skipped" >&4
    exit 75
fi

log=$out/logs/snapshot-$stamp.log
exec >>"$log" 2>&1
say "snapshot $stamp: db=$db list=$list out=$out bin=$bin alert-on=$alert_on"

say "scan: $bin scan $list --db $db ${scan_args[*]}"
scan_err=$out/logs/.scan-$stamp.err
"$bin" scan "$list" --db "$db" --quiet "${scan_args[@]}" 2>"$scan_err"
rc=$?
cat "$scan_err"
if [ $rc -ne 0 ]; then
    reason=$(grep -v '^\s*$' "$scan_err" | head -3 | tr '\n' ' ')
    rm -f "$scan_err"
    fail 3 "the scan failed with status $rc: ${reason:-no message}(log: $log)"
fi
rm -f "$scan_err"
say "scan complete"

dir=$out/$stamp
mkdir -p "$dir" || fail 4 "cannot create $dir"
failed=()
step() { # step NAME CMD...: runs one report, logs its status
    local name=$1 rc
    shift
    "$@"
    rc=$?
    if [ $rc -eq 0 ]; then
        say "wrote $name"
    else
        say "FAILED: $name (status $rc)"
        failed+=("$name (status $rc)")
    fi
}
step report.txt "$bin" report --db "$db" -o "$dir/report.txt"
step report.json "$bin" report --db "$db" --format json -o "$dir/report.json"
step report.html "$bin" report --db "$db" --format html -o "$dir/report.html"
step worklist.csv "$bin" report --db "$db" --per-domain --format csv --section domains \
    -o "$dir/worklist.csv"
step trend.csv "$bin" report trend --db "$db" --format csv --section trend -o "$dir/trend.csv"
step trend.html "$bin" report trend --db "$db" --format html -o "$dir/trend.html"
step diff.txt "$bin" diff --db "$db" -o "$dir/diff.txt"
step diff.json "$bin" diff --db "$db" --format json -o "$dir/diff.json"

# The summary and the alert decision: diff --brief, then diff --exit-code at --alert-on.
summary=$("$bin" diff --db "$db" --brief)
src=$?
[ $src -eq 0 ] || failed+=("diff --brief (status $src)")
"$bin" diff --db "$db" --brief --min-severity "$alert_on" --exit-code >/dev/null
arc=$?
[ $arc -le 1 ] || failed+=("diff --exit-code (status $arc)")
echo "$summary"
if [ ${#failed[@]} -ne 0 ]; then
    fail 4 "snapshot $stamp: report(s) failed: ${failed[*]} (log: $log)"
fi
ln -sfn "$stamp" "$out/latest.tmp" && mv -T "$out/latest.tmp" "$out/latest"
if [ $arc -eq 1 ]; then
    status=1
    say "snapshot $stamp: done; changes at or above $alert_on"
else
    status=0
    say "snapshot $stamp: done"
fi
if [ $status -ne 0 ] || [ $quiet -eq 0 ]; then
    {
        echo "mtasts snapshot $stamp of $list: reports in $dir"
        echo "$summary"
        [ $status -eq 1 ] && echo "(exit 1: changes at or above --alert-on $alert_on)"
    } >&3
fi
exit $status
