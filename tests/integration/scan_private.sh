#!/usr/bin/env bash
# The address policy: a policy host on a refused address is never contacted. Without
# --allow-private every world address (127/8) is refused, so even hosts where nothing listens
# must come out policy_host_private_address, never https_connect_failed, with no attempt.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_DOMAINS:?}" "${MTASTS_WORLD_TRUTH:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
echo "1..4" # the plan: tests/run fails a suite that reports another count
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Scenarios with a policy host in the world: valid ones, and ones where nothing listens.
python3 - "$MTASTS_WORLD_TRUTH" >"$tmp/list" <<'PY'
import json, sys
want = {"valid-enforce", "https-refused", "https-connect-timeout", "cert-expired", "policy-host-private"}
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["scenario"] in want:
        print(t["domain"])
PY
n=$(wc -l <"$tmp/list")

check_all_private() { # label db
    local bad
    bad=$(sqlite3 "$2" "SELECT domain || ':' || coalesce(category, status) || ':' || coalesce(https_outcome, '-')
        FROM results WHERE coalesce(category, '') != 'policy_host_private_address'
        OR coalesce(https_outcome, 'not_attempted') != 'not_attempted' OR https_addr IS NOT NULL LIMIT 3")
    local count
    count=$(sqlite3 "$2" "SELECT count(*) FROM results")
    if [ -z "$bad" ] && [ "$count" = "$n" ]; then
        echo "ok - $1: all $n policy hosts refused, none contacted"
    else
        echo "not ok - $1 # $count rows of $n; e.g. $bad"
    fi
}

"${world[@]}" "$MTASTS_BIN" scan "$tmp/list" --db "$tmp/a.db" --resolver "$MTASTS_WORLD_RESOLVER" \
    --ca-file "$MTASTS_WORLD_CA" --timeout 3 --quiet >"$tmp/out" 2>&1
check_all_private "default policy refuses 127.0.0.0/8" "$tmp/a.db"

# Opening only the nginx range keeps the refused-connection host (127.0.2.1) refused.
"${world[@]}" "$MTASTS_BIN" scan "$tmp/list" --db "$tmp/b.db" --resolver "$MTASTS_WORLD_RESOLVER" \
    --ca-file "$MTASTS_WORLD_CA" --timeout 3 --allow-private 127.0.1.0/24 --quiet >"$tmp/out" 2>&1
r=$(sqlite3 "$tmp/b.db" "SELECT group_concat(DISTINCT category) FROM results WHERE domain LIKE 'https-refused-%' OR domain LIKE 'https-connect-timeout-%' OR domain LIKE 'policy-host-private-%'")
[ "$r" = policy_host_private_address ] && echo "ok - --allow-private 127.0.1.0/24 opens only that range" ||
    echo "not ok - --allow-private 127.0.1.0/24 opens only that range # categories '$r'"
v=$(sqlite3 "$tmp/b.db" "SELECT group_concat(DISTINCT status) FROM results WHERE domain LIKE 'valid-enforce-%'")
[ "$v" = valid ] && echo "ok - hosts in the opened range are fetched" ||
    echo "not ok - hosts in the opened range are fetched # statuses '$v'"

# A bad --allow-private is refused with a message naming it.
"${world[@]}" "$MTASTS_BIN" scan "$tmp/list" --db "$tmp/c.db" --allow-private 10.0.0.1/8 >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "10.0.0.1/8" "$tmp/out" && echo "ok - bad --allow-private refused (host bits)" ||
    echo "not ok - bad --allow-private refused # status $rc: $(cat "$tmp/out")"
