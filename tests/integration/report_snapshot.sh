#!/usr/bin/env bash
# scripts/snapshot.sh against the local world, run the way cron runs it (no terminal, stdin
# from /dev/null, stdout and stderr captured as cron mails them): the first run is a
# baseline, the second finds nothing, the third finds planted high-severity changes (exit 1,
# a severity-ranked summary naming them, a same-id policy change shown as policy lines
# decoded from the stored blobs); a held lock exits 75, a failing scan 3 with the reason on
# stderr, usage errors 2. Needs the world up (tests/run does it) and its facts in MTASTS_WORLD_*.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_DOMAINS:?}"
echo "1..30"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/snap.db
out=$tmp/reports
head -300 "$MTASTS_WORLD_DOMAINS" >"$tmp/list.csv"
# snap NAME [SNAPSHOT-ARGS...]: one cron-like run; stdout in $tmp/NAME.out, stderr in .err.
snap() {
    local name=$1
    shift
    setsid -w "${world[@]}" scripts/snapshot.sh --db "$db" --list "$tmp/list.csv" --out "$out" \
        --bin "$MTASTS_BIN" "$@" -- --resolver "$MTASTS_WORLD_RESOLVER" \
        --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8 --timeout 3 \
        --connect-timeout 2 --dns-qps 5000 </dev/null >"$tmp/$name.out" 2>"$tmp/$name.err"
}
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1 # $2"; }

snap first
rc=$?
[ $rc -eq 0 ] && ok "first snapshot exits 0" || nok "first snapshot exits 0" "status $rc: $(cat "$tmp/first.err")"
first=$(readlink "$out/latest" 2>/dev/null)
for f in report.txt report.json report.html worklist.csv trend.csv trend.html diff.txt; do
    [ -s "$out/$first/$f" ] && ok "first snapshot wrote $f" ||
        nok "first snapshot wrote $f" "missing in $out/$first"
done
grep -q "baseline: scan 1" "$tmp/first.out" && ok "first run mails a baseline line" ||
    nok "first run mails a baseline line" "stdout: $(cat "$tmp/first.out")"
[ ! -s "$tmp/first.err" ] && ok "first run prints nothing on stderr" ||
    nok "first run prints nothing on stderr" "$(cat "$tmp/first.err")"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["state"]=="baseline", r' \
    "$out/$first/diff.json" 2>"$tmp/e" && ok "first diff.json says baseline" ||
    nok "first diff.json says baseline" "$(tail -1 "$tmp/e")"
grep -q "snapshot $first: done" "$out/logs/snapshot-$first.log" 2>/dev/null &&
    ok "dated log ends with done" || nok "dated log ends with done" "$(ls "$out/logs")"

sleep 1 # the stamp has a one-second resolution
snap second
rc=$?
second=$(readlink "$out/latest" 2>/dev/null)
[ $rc -eq 0 ] && [ -n "$second" ] && [ "$second" != "$first" ] &&
    ok "second snapshot exits 0 and moves latest" ||
    nok "second snapshot exits 0 and moves latest" "status $rc, $first -> $second"
grep -q "scan 1 (.*) -> scan 2 (.*): 0 changes on 0 domains" "$tmp/second.out" &&
    ok "second run mails '0 changes'" || nok "second run mails '0 changes'" "$(cat "$tmp/second.out")"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["kind"]=="diff"; assert r["tables"]["changes"]["rows"]==[], r["tables"]["changes"]["rows"][:3]' \
    "$out/$second/diff.json" 2>"$tmp/err" &&
    ok "second snapshot wrote an empty diff.json" ||
    nok "second snapshot wrote an empty diff.json" "$(tail -1 "$tmp/err")"
n=$(tail -n +2 "$out/$second/trend.csv" | wc -l)
[ "$n" = 2 ] && ok "trend.csv has both scans" || nok "trend.csv has both scans" "$n rows"
sleep 1
snap quiet --quiet
rc=$?
[ $rc -eq 0 ] && [ ! -s "$tmp/quiet.out" ] && ok "--quiet: nothing mailed on a quiet day" ||
    nok "--quiet: nothing mailed on a quiet day" "status $rc, stdout $(cat "$tmp/quiet.out")"

# Plant changes in scan 3 (what the next run is compared with): a valid TLS-RPT domain
# reported elsewhere before, and a policy whose body differs under the same TXT id.
rua_dom=$(sqlite3 "$db" "SELECT domain FROM results WHERE scan_id=3 AND tlsrpt_status='valid' AND rua LIKE '[\"mailto:%' ORDER BY domain LIMIT 1")
read -r pol_dom other_blob < <(sqlite3 -separator ' ' "$db" "SELECT a.domain, b.policy_blob FROM results a JOIN results b ON b.scan_id=3 AND b.policy_blob IS NOT NULL AND b.policy_blob <> a.policy_blob AND b.status='valid' WHERE a.scan_id=3 AND a.status='valid' AND a.txt_id IS NOT NULL ORDER BY a.domain, b.domain LIMIT 1")
sqlite3 "$db" "UPDATE results SET rua='[\"mailto:old@reports.example\"]' WHERE scan_id=3 AND domain='$rua_dom'; UPDATE results SET policy_blob=$other_blob WHERE scan_id=3 AND domain='$pol_dom'"
sleep 1
snap third --alert-on high
rc=$?
[ $rc -eq 1 ] && [ -n "$rua_dom" ] && [ -n "$pol_dom" ] && ok "changes at --alert-on high exit 1" ||
    nok "changes at --alert-on high exit 1" "status $rc ($rua_dom, $pol_dom): $(cat "$tmp/third.err")"
grep -Eq "^  high +rua_changed +1  $rua_dom$" "$tmp/third.out" &&
    ok "the mail names the rua change, severity high" ||
    nok "the mail names the rua change, severity high" "$(cat "$tmp/third.out")"
grep -Eq "^  high +policy_changed_same_id +1  $pol_dom$" "$tmp/third.out" &&
    ok "the mail names the same-id policy change" || nok "the mail names the same-id policy change" "$(cat "$tmp/third.out")"
grep -Eq "2 changes on [12] domains \(2 high" "$tmp/third.out" && grep -q "exit 1: changes at or above" "$tmp/third.out" &&
    ok "the mail's headline counts by severity and says why it alerts" ||
    nok "the mail's headline counts by severity and says why it alerts" "$(cat "$tmp/third.out")"
[ ! -s "$tmp/third.err" ] && ok "an alert is not an error: stderr empty" ||
    nok "an alert is not an error: stderr empty" "$(cat "$tmp/third.err")"
third=$(readlink "$out/latest")
grep -E "^$pol_dom +policy_changed_same_id +high +-" "$out/$third/diff.txt" | grep -q "+" &&
    ! grep -q "policy blob" "$out/$third/diff.txt" &&
    ok "diff.txt shows the policies' differing lines from the stored blobs" ||
    nok "diff.txt shows the policies' differing lines from the stored blobs" "$(grep policy_changed "$out/$third/diff.txt")"
sleep 1
snap fourth --alert-on high
rc=$?
[ $rc -eq 0 ] && ok "the next run compares with the real scan: exit 0" ||
    nok "the next run compares with the real scan: exit 0" "status $rc $(cat "$tmp/fourth.out")"

# A held lock: the run is skipped with 75 and scans nothing.
scans_before=$(sqlite3 "$db" 'SELECT count(*) FROM scans')
exec 8>>"$db.snapshot.lock" # held by this shell on fd 8: no process to clean up
flock -n 8 || echo "# the test could not take the lock"
snap locked
rc=$?
exec 8>&-
scans_after=$(sqlite3 "$db" 'SELECT count(*) FROM scans')
[ $rc -eq 75 ] && [ "$scans_before" = "$scans_after" ] &&
    ok "a held lock exits 75 without scanning" ||
    nok "a held lock exits 75 without scanning" "status $rc, scans $scans_before -> $scans_after"
grep -q "another snapshot" "$tmp/locked.err" && ok "the lock message says why on stderr" ||
    nok "the lock message says why on stderr" "$(cat "$tmp/locked.err")"

# A failing scan (an option the scanner refuses): exit 3, the reason on stderr, no mail body.
latest=$(readlink "$out/latest")
setsid -w "${world[@]}" scripts/snapshot.sh --db "$db" --list "$tmp/list.csv" --out "$out" \
    --bin "$MTASTS_BIN" -- --no-such-option </dev/null >"$tmp/bad.out" 2>"$tmp/bad.err"
rc=$?
[ $rc -eq 3 ] && [ "$(readlink "$out/latest")" = "$latest" ] &&
    ok "a failed scan exits 3 and keeps latest" || nok "a failed scan exits 3 and keeps latest" "status $rc"
grep -q "the scan failed with status 2: .*no-such-option" "$tmp/bad.err" && [ ! -s "$tmp/bad.out" ] &&
    ok "a failed scan: the scanner's reason on stderr, nothing on stdout" ||
    nok "a failed scan: the scanner's reason on stderr, nothing on stdout" "err: $(cat "$tmp/bad.err") out: $(cat "$tmp/bad.out")"
scripts/snapshot.sh --db "$db" </dev/null >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] && ok "a usage error exits 2" || nok "a usage error exits 2" "$rc"
scripts/snapshot.sh --db "$db" --list "$tmp/list.csv" --alert-on urgent </dev/null >/dev/null 2>"$tmp/u.err"
rc=$?
[ $rc -eq 2 ] && grep -q "alert-on wants" "$tmp/u.err" && ok "a bad --alert-on exits 2" ||
    nok "a bad --alert-on exits 2" "$rc $(cat "$tmp/u.err")"
exit 0
