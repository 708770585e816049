#!/usr/bin/env bash
# The smaller defects of issue 13, each as seen by a user: a missing list leaves no scan
# row; a binary file as a list is an error; --dns-qps 0 is documented; the progress ends at
# 100% when the list has invalid lines; check usage errors have their own exit status; a
# report of a database in a folder the user cannot write works; check of a nonexistent
# domain gives no TLS-RPT advice; options after the list work with POSIXLY_CORRECT set.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_DOMAINS:?}"
echo "1..10"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
tmp=$(mktemp -d)
chmod 755 "$tmp"
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1 # $2"; }
opts=(--resolver "$MTASTS_WORLD_RESOLVER" --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8
      --timeout 3 --connect-timeout 2)

"$MTASTS_BIN" scan "$tmp/no-such-list.txt" --db "$tmp/a.db" --quiet 2>"$tmp/e"
rc=$?
[ $rc -eq 1 ] && grep -q "cannot read the list" "$tmp/e" &&
    [ "$(sqlite3 "$tmp/a.db" 'SELECT count(*) FROM scans' 2>/dev/null || echo 0)" = 0 ] &&
    ok "a missing list: exit 1, the reason, no scan row left behind" || nok "missing list" "rc $rc $(cat "$tmp/e")"

head -c 4096 "$MTASTS_BIN" >"$tmp/binary.dat"
"${world[@]}" "$MTASTS_BIN" scan "$tmp/binary.dat" --db "$tmp/b.db" --quiet "${opts[@]}" 2>"$tmp/e"
rc=$?
[ $rc -eq 1 ] && grep -q "no valid domain name in the input" "$tmp/e" &&
    ok "a binary file as the list: exit 1, 'no valid domain name'" || nok "binary list" "rc $rc $(tail -2 "$tmp/e")"

"$MTASTS_BIN" scan --help | grep -A1 -- "--dns-qps N" | grep -q "0: unlimited" &&
    ok "scan --help says --dns-qps 0 is unlimited" || nok "dns-qps help" "$("$MTASTS_BIN" scan --help | grep -A1 dns-qps)"

{ head -40 "$MTASTS_WORLD_DOMAINS"; printf 'not a domain!\n%%%%%%\n-bad-.test\n'; } >"$tmp/list"
"${world[@]}" "$MTASTS_BIN" scan "$tmp/list" --db "$tmp/c.db" "${opts[@]}" >/dev/null 2>"$tmp/e"
last=$(grep "progress:" "$tmp/e" | tail -1)
echo "$last" | grep -q " 40/40 100.0%" && ok "the last progress line is 40/40 100.0% (3 invalid lines not counted)" ||
    nok "progress total" "$last"

"$MTASTS_BIN" check --no-such-option >/dev/null 2>&1
rc1=$?
"$MTASTS_BIN" check "not a domain!" >/dev/null 2>&1
rc2=$?
[ $rc1 -eq 64 ] && [ $rc2 -eq 64 ] && ok "check usage errors exit 64, not 3 (could not check)" ||
    nok "check usage" "$rc1 $rc2"

nx=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    t=json.loads(l)
    if t["status"]=="domain_nxdomain": print(t["domain"]); break' "$MTASTS_WORLD_TRUTH")
"${world[@]}" "$MTASTS_BIN" check "$nx" "${opts[@]}" >"$tmp/nx" 2>&1
rc=$?
[ $rc -eq 3 ] && ! grep -qi "publish a TLS-RPT" "$tmp/nx" && grep -q "does not exist" "$tmp/nx" &&
    ok "check of a nonexistent domain: exit 3, no advice to publish TLS-RPT" || nok "nxdomain advice" "rc $rc $(cat "$tmp/nx")"

# A copy of the database in a folder nobody but root may write, read by another user.
mkdir "$tmp/ro"
cp "$tmp/c.db" "$tmp/ro/c.db"
chmod 644 "$tmp/ro/c.db"
chmod 555 "$tmp/ro"
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$MTASTS_BIN" report --db "$tmp/ro/c.db" \
        --section headline >"$tmp/ro.out" 2>"$tmp/e"
    rc=$?
    [ $rc -eq 0 ] && grep -q "domains scanned" "$tmp/ro.out" && [ ! -e "$tmp/ro/c.db-shm" ] &&
        ok "report of a database in a read-only folder (another user): works, writes nothing" ||
        nok "read-only folder" "rc $rc $(cat "$tmp/e")"
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$MTASTS_BIN" diff --db "$tmp/ro/c.db" --brief \
        >"$tmp/ro.out" 2>"$tmp/e"
    rc=$?
    [ $rc -eq 0 ] && grep -q "baseline" "$tmp/ro.out" && ok "diff of that database: the baseline, exit 0" ||
        nok "read-only diff" "rc $rc $(cat "$tmp/e")"
else
    echo "ok - report in a read-only folder # SKIP needs root and setpriv to act as another user"
    echo "ok - diff in a read-only folder # SKIP needs root and setpriv to act as another user"
fi
grep -q "an unreadable list (no scan is recorded then)" docs/mtasts.1 && ! grep -q "130 interrupted by a signal or an unreadable" docs/mtasts.1 &&
    ok "the man page: an unreadable list exits 1" || nok "man page" "$(grep -n 130 docs/mtasts.1)"
# POSIXLY_CORRECT makes glibc's getopt stop at the first operand: `--db` after the list would
# have been taken for a second list file.
head -3 "$MTASTS_WORLD_DOMAINS" >"$tmp/posix-list"
POSIXLY_CORRECT=1 "${world[@]}" "$MTASTS_BIN" scan "$tmp/posix-list" --db "$tmp/posix.db" --quiet "${opts[@]}" 2>"$tmp/e"
rc=$?
n=$(sqlite3 "$tmp/posix.db" 'SELECT count(*) FROM results' 2>/dev/null || echo none)
[ $rc -eq 0 ] && [ "$n" = 3 ] && ok "POSIXLY_CORRECT set: options after the list still parsed (3 rows in --db)" ||
    nok "POSIXLY_CORRECT" "rc $rc, rows $n, $(tail -2 "$tmp/e")"
exit 0
