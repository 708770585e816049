#!/usr/bin/env bash
# An allocation failure in the middle of a scan (injected: MTASTS_TEST_ALLOC_FAIL=N fails the
# Nth arena allocation once) is counted and reported, the domain concerned is scanned again,
# no domain loses its row and every verdict still matches the ground truth.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_DOMAINS:?}" "${MTASTS_WORLD_TRUTH:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The plan: 4 cases here, and compare_truth.py's lines for the whole truth.
echo "1..$((4 + $(python3 tests/integration/compare_truth.py --count - "$MTASTS_WORLD_TRUTH")))"
n_in=$(grep -vc '^\s*$' "$MTASTS_WORLD_DOMAINS")
# One thread, so the pooled task that failed is reused by later domains (the sticky flag).
"${world[@]}" env MTASTS_TEST_ALLOC_FAIL=3000 "$MTASTS_BIN" scan "$MTASTS_WORLD_DOMAINS" \
    --db "$tmp/a.db" --resolver "$MTASTS_WORLD_RESOLVER" --ca-file "$MTASTS_WORLD_CA" \
    --allow-private 127.0.0.0/8 --timeout 3 --connect-timeout 2 --dns-qps 5000 --threads 1 \
    --quiet >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 0 ] && echo "ok - scan with an injected allocation failure exits 0" ||
    echo "not ok - scan with an injected allocation failure exits 0 # status $rc: $(tail -3 "$tmp/out" | tr '\n' ' ')"
grep -q '^allocation failures: 1 ' "$tmp/out" && echo "ok - the allocation failure is counted and reported" ||
    echo "not ok - the allocation failure is counted and reported # $(tr '\n' ' ' <"$tmp/out")"
read -r rows distinct empty < <(sqlite3 -separator ' ' "$tmp/a.db" \
    "SELECT count(*), count(DISTINCT domain), sum(domain = '') FROM results")
[ "$rows" = "$n_in" ] && [ "$distinct" = "$n_in" ] && [ "$empty" = 0 ] &&
    echo "ok - one row per domain, none with an empty domain ($rows)" ||
    echo "not ok - one row per domain, none with an empty domain # rows $rows distinct $distinct empty $empty of $n_in"
grep -q '^results written == inputs selected' "$tmp/out" &&
    echo "ok - summary says results written == inputs selected" ||
    echo "not ok - summary says results written == inputs selected # $(grep -i 'results' "$tmp/out" | tr '\n' ' ')"
python3 tests/integration/compare_truth.py "$tmp/a.db" "$MTASTS_WORLD_TRUTH" | sed 's/^\(not \)\?ok - /&alloc failure: /'
