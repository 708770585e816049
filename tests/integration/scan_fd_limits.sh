#!/usr/bin/env bash
# Descriptor exhaustion is never the domain's fault: the soft RLIMIT_NOFILE is raised to what
# the options need; options the hard limit cannot hold are refused up front; a socket() that
# still fails for a local reason (injected EMFILE) is tried again later, and a domain whose
# fetch keeps failing so is left not checked (dns_error), never invalid.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_DOMAINS:?}" "${MTASTS_WORLD_TRUTH:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n_truth=$(python3 tests/integration/compare_truth.py --count - "$MTASTS_WORLD_TRUTH")
# The plan: 9 cases here, and two comparisons with the whole truth.
echo "1..$((9 + 2 * n_truth))"
args=(--resolver "$MTASTS_WORLD_RESOLVER" --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8
      --timeout 3 --connect-timeout 2 --dns-qps 5000 --quiet)
# Runs mtasts under the open-file limits given ($1: ulimit arguments).
limited() {
    local lim=$1
    shift
    "${world[@]}" bash -c "ulimit $lim && exec \"\$@\"" _ "$MTASTS_BIN" "$@"
}

# 1. A hard limit too low for the options: refused before scanning, with the figures.
limited "-n 100" scan "$MTASTS_WORLD_DOMAINS" --db "$tmp/a.db" "${args[@]}" --https-conns 200 \
    >"$tmp/out" 2>&1
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 130 ] && echo "ok - --https-conns 200 under a hard limit of 100 is refused" ||
    echo "not ok - --https-conns 200 under a hard limit of 100 is refused # status $rc"
grep -q -- "--https-conns 200 .* needs about [0-9]* open files, but the hard limit is 100" "$tmp/out" &&
    echo "ok - the refusal names the option and both figures" ||
    echo "not ok - the refusal names the option and both figures # $(tr '\n' ' ' <"$tmp/out")"
n=$(sqlite3 "$tmp/a.db" "SELECT count(*) FROM results" 2>/dev/null || echo 0)
[ "${n:-0}" = 0 ] && echo "ok - nothing was scanned" || echo "not ok - nothing was scanned # $n rows"

# 2. A low soft limit (20) under a high hard one: raised, and the world scan is right (before,
# about 56 valid domains became invalid / https_connect_failed at EMFILE).
limited "-Sn 20" scan "$MTASTS_WORLD_DOMAINS" --db "$tmp/b.db" "${args[@]}" --https-conns 200 \
    >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 0 ] && echo "ok - a soft limit of 20 is raised: the scan exits 0" ||
    echo "not ok - a soft limit of 20 is raised: the scan exits 0 # status $rc: $(tail -3 "$tmp/out" | tr '\n' ' ')"
python3 tests/integration/compare_truth.py "$tmp/b.db" "$MTASTS_WORLD_TRUTH" | sed 's/^\(not \)\?ok - /&soft limit 20: /'

# 3. 40 injected EMFILE: tried again, every verdict as in the truth, the failures reported.
"${world[@]}" env MTASTS_TEST_EMFILE=40 "$MTASTS_BIN" scan "$MTASTS_WORLD_DOMAINS" \
    --db "$tmp/c.db" "${args[@]}" >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 0 ] && echo "ok - a scan meeting 40 EMFILE exits 0" ||
    echo "not ok - a scan meeting 40 EMFILE exits 0 # status $rc: $(tail -3 "$tmp/out" | tr '\n' ' ')"
grep -q '^local resource failures: 40 fetch attempts .* 0 domains left not checked' "$tmp/out" &&
    echo "ok - the 40 local failures are reported, no domain left unchecked" ||
    echo "not ok - the 40 local failures are reported # $(grep -i local "$tmp/out")"
python3 tests/integration/compare_truth.py "$tmp/c.db" "$MTASTS_WORLD_TRUTH" | sed 's/^\(not \)\?ok - /&EMFILE x40: /'

# 4. EMFILE on every socket: the valid domains are left not checked, never invalid.
grep '^[0-9]*,valid-enforce-[0-9]*\.test$' "$MTASTS_WORLD_DOMAINS" | head -5 >"$tmp/five.csv"
"${world[@]}" env MTASTS_TEST_EMFILE=1000000 "$MTASTS_BIN" scan "$tmp/five.csv" \
    --db "$tmp/d.db" "${args[@]}" >"$tmp/out" 2>&1
rc=$?
got=$(sqlite3 "$tmp/d.db" "SELECT group_concat(DISTINCT status || '/' || coalesce(category, '-')) FROM results")
[ $rc -eq 0 ] && [ "$got" = "dns_error/-" ] &&
    echo "ok - every socket failing locally: the domains are dns_error (not checked), never invalid" ||
    echo "not ok - every socket failing locally: not checked # status $rc, got '$got'"
n=$(sqlite3 "$tmp/d.db" "SELECT count(*) FROM results WHERE https_error LIKE 'not checked: local resource failure (Too many open files)%'")
[ "$n" = 5 ] && echo "ok - each row says why (https_error)" ||
    echo "not ok - each row says why (https_error) # $n of 5: $(sqlite3 "$tmp/d.db" "SELECT https_error FROM results LIMIT 1")"
grep -q '5 domains left not checked' "$tmp/out" && echo "ok - the summary counts the domains not checked" ||
    echo "not ok - the summary counts the domains not checked # $(grep -i local "$tmp/out")"
