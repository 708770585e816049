#!/usr/bin/env bash
# kill -9 a scan at several points (after 1 s, after 3 s, during an HTTPS fetch), --resume each
# time, and finish: exactly one row per input domain, nothing counted twice, the scan complete;
# and a second scanner on the same database gets a clear error, not a corrupt file.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_DOMAINS:?}" "${MTASTS_WORLD_RESOLVER:?}" "${MTASTS_WORLD_CA:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
echo "1..15" # the plan: tests/run fails a suite that reports another count
tmp=$(mktemp -d)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
db=$tmp/resume.db
args=("$MTASTS_WORLD_DOMAINS" --db "$db" --resolver "$MTASTS_WORLD_RESOLVER"
      --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8 --timeout 3 --connect-timeout 2
      --quiet)
n_in=$(grep -c '[^[:space:]]' "$MTASTS_WORLD_DOMAINS")

ok() { echo "ok - $1"; }
notok() { echo "not ok - $1 # $2"; }
check() { if eval "$2"; then ok "$1"; else notok "$1" "$3"; fi; }
q() { sqlite3 "$db" "$1" 2>&1; }

# Starts a slow scan in the background (about 130 domains/s at 400 queries/s) and sets $pid.
start_scan() {
    "${world[@]}" "$MTASTS_BIN" scan "${args[@]}" --dns-qps 400 "$@" >>"$tmp/log" 2>&1 &
    pid=$!
    pids+=("$pid")
}

# kill -9 of the scanner itself (world exec runs it through ip netns exec, which execs).
kill9() {
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

# Waits until the scanner has an HTTPS connection open (port 443 in the world), up to 20 s.
wait_for_https() {
    local i
    for i in $(seq 1 200); do
        if "${world[@]}" ss -Htn state established '( dport = :443 )' 2>/dev/null | grep -q .; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# 1. killed after 1 s: whatever was committed is there, the file is intact.
start_scan
sleep 1
kill9 "$pid"
n1=$(q "SELECT count(*) FROM results")
check "kill -9 after 1 s leaves an intact database" '[ "$(q "PRAGMA integrity_check")" = ok ]' \
    "$(q 'PRAGMA integrity_check' | head -3)"
check "the killed scan stays unfinished (running)" '[ "$(q "SELECT state FROM scans")" = running ]' \
    "state $(q 'SELECT state FROM scans')"
echo "# after 1 s: $n1 rows committed"

# 2. a second scanner while a first one runs gets a clear error and changes nothing.
start_scan --resume
first=$pid
sleep 1
"${world[@]}" "$MTASTS_BIN" scan "${args[@]}" >"$tmp/second" 2>&1
rc=$?
check "a second scanner on the same database is refused" \
    '[ $rc -ne 0 ] && grep -q "being written by process" "$tmp/second"' \
    "status $rc: $(head -c 300 "$tmp/second")"
check "the refused scanner added no scan" '[ "$(q "SELECT count(*) FROM scans")" = 1 ]' \
    "$(q 'SELECT count(*) FROM scans') scans"
# 3. that first (resumed) scan is killed after 3 s in all: the 1 s commit timer saved its work.
sleep 2
kill9 "$first"
n2=$(q "SELECT count(*) FROM results")
check "work of a resumed run is committed within seconds (timer commits)" '[ "$n2" -gt "$n1" ]' \
    "rows $n1 before, $n2 after 3 s"
echo "# after a 3 s resumed run: $n2 rows committed"

# 4. killed while an HTTPS fetch is in flight.
start_scan --resume
sleep 2.5 # past the first timer commit of this run, so the kill below has something to lose
if wait_for_https; then
    sleep 0.3
    kill9 "$pid"
    ok "a resumed run was killed during an HTTPS fetch"
else
    kill9 "$pid"
    notok "a resumed run was killed during an HTTPS fetch" "no connection to port 443 seen in 20 s"
fi
n3=$(q "SELECT count(*) FROM results")
check "no committed row is lost across kills, and the run added some" '[ "$n3" -gt "$n2" ]' \
    "rows $n2 then $n3"
check "the lock of the killed process is stale, not blocking" \
    '[ "$(q "SELECT count(*) FROM scan_lock")" = 1 ]' "$(q 'SELECT * FROM scan_lock')"
echo "# after the HTTPS kill: $n3 rows committed"

# 5. the last resume runs to the end.
"${world[@]}" "$MTASTS_BIN" scan "${args[@]}" --dns-qps 5000 --resume >"$tmp/final" 2>&1
rc=$?
check "the final resume exits 0" '[ $rc -eq 0 ]' "status $rc: $(tail -3 "$tmp/final" | tr '\n' ' ')"
read -r rows distinct < <(sqlite3 -separator ' ' "$db" "SELECT count(*), count(DISTINCT domain) FROM results")
check "exactly one row per input domain ($n_in)" '[ "$rows" = "$n_in" ] && [ "$distinct" = "$n_in" ]' \
    "rows $rows, distinct $distinct, inputs $n_in"
missing=$(python3 - "$MTASTS_WORLD_DOMAINS" "$db" <<'EOF'
import csv, sqlite3, sys
want = set()
for row in csv.reader(open(sys.argv[1])):
    if row:
        want.add(row[-1].strip().lower().rstrip('.'))
got = {r[0] for r in sqlite3.connect(sys.argv[2]).execute("SELECT domain FROM results")}
print(len(want - got), len(got - want))
EOF
)
check "every input domain has its row, and no other" '[ "$missing" = "0 0" ]' \
    "missing, extra: $missing"
read -r state resumes scans < <(sqlite3 -separator ' ' "$db" \
    "SELECT state, resumes, (SELECT count(*) FROM scans) FROM scans ORDER BY id DESC LIMIT 1")
check "one scan, complete, resumed 3 times" '[ "$state" = complete ] && [ "$resumes" = 3 ] && [ "$scans" = 1 ]' \
    "state $state, resumes $resumes, scans $scans"
check "no lock is left" '[ "$(q "SELECT count(*) FROM scan_lock")" = 0 ]' "$(q 'SELECT * FROM scan_lock')"
check "database integrity after the kills" '[ "$(q "PRAGMA integrity_check")" = ok ]' \
    "$(q 'PRAGMA integrity_check' | head -3)"
check "no orphan artifact references" \
    '[ "$(q "SELECT count(*) FROM results r WHERE (r.policy_blob IS NOT NULL AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.id = r.policy_blob)) OR (r.txt_blob IS NOT NULL AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.id = r.txt_blob))")" = 0 ]' \
    "dangling blob ids"
