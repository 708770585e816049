#!/usr/bin/env bash
# Waiting has a deadline: fetches held by the per-IP limit behind a blackholed address (the
# world's SYN blackhole, shared by every https-connect-timeout domain) do not wait without
# limit; past --domain-timeout the fetch never starts and the domain is not checked
# (dns_error, https_error says why), never valid or no_policy, and the scan ends promptly.
# --per-ip is a rate since issue 14: one connection at a time is --per-ip-conns 1 (at 1/s with
# the default cap of 8, all three fetches would start within the deadline).
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_DOMAINS:?}" "${MTASTS_WORLD_TRUTH:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..6"
grep -E '^[0-9]+,https-connect-timeout-[0-9]+\.test$' "$MTASTS_WORLD_DOMAINS" >"$tmp/list"
n=$(wc -l <"$tmp/list")
start=$(date +%s)
"${world[@]}" "$MTASTS_BIN" scan "$tmp/list" --db "$tmp/d.db" --resolver "$MTASTS_WORLD_RESOLVER" \
    --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8 --connect-timeout 2 --timeout 2 \
    --per-ip 1 --per-ip-conns 1 --domain-timeout 3 --quiet >"$tmp/out" 2>&1
rc=$?
took=$(($(date +%s) - start))
[ $rc -eq 0 ] && echo "ok - scan of $n domains behind one blackholed address exits 0" ||
    echo "not ok - scan of $n domains behind one blackholed address exits 0 # status $rc: $(tail -3 "$tmp/out" | tr '\n' ' ')"
[ "$took" -le 9 ] && echo "ok - the scan ends within deadline + timeout (${took}s)" ||
    echo "not ok - the scan ends within deadline + timeout # took ${took}s"
rows=$(sqlite3 "$tmp/d.db" "SELECT count(*) FROM results")
[ "$rows" = "$n" ] && echo "ok - one row per domain ($rows)" || echo "not ok - one row per domain # $rows of $n"
bad=$(sqlite3 "$tmp/d.db" "SELECT count(*) FROM results WHERE status IN ('valid', 'no_policy') OR (status = 'invalid' AND category != 'https_timeout')")
[ "$bad" = 0 ] && echo "ok - none valid, no_policy or another category" ||
    echo "not ok - none valid, no_policy or another category # $bad rows"
late=$(sqlite3 "$tmp/d.db" "SELECT count(*) FROM results WHERE status = 'dns_error' AND https_error LIKE 'not checked: the domain deadline (--domain-timeout 3s) passed while the fetch waited for a connection slot to 127.0.2.2 (--per-ip 1%'")
[ "$late" -ge 1 ] && echo "ok - a fetch held past the deadline never started: not checked, saying why ($late)" ||
    echo "not ok - a fetch held past the deadline never started # $(sqlite3 "$tmp/d.db" "SELECT domain, status, category, https_error FROM results" | tr '\n' ' ')"
grep -q "^domain deadline: $late fetches never started within --domain-timeout" "$tmp/out" &&
    echo "ok - the summary counts them" || echo "not ok - the summary counts them # $(grep -i deadline "$tmp/out")"
