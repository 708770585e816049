#!/usr/bin/env bash
# Hostile policy servers (tests/integration/hostile_world.py): each is classified, none stalls
# or crashes the scan, and the well-behaved hosts next to them still come out valid, over
# IPv6 too, IPv6 first, and past a first address that refuses the connection.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
echo "1..15" # the plan: tests/run fails a suite that reports another count
tmp=$(mktemp -d)
"${world[@]}" python3 tests/integration/hostile_world.py "$tmp" >"$tmp/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [ -f "$tmp/ready" ] && break; sleep 0.2; done
if [ ! -f "$tmp/ready" ]; then
    echo "not ok - hostile servers start # $(cat "$tmp/server.log")"
    exit 0
fi

start=$(date +%s)
"${world[@]}" "$MTASTS_BIN" scan "$tmp/domains.txt" --db "$tmp/h.db" --resolver 127.0.9.53 \
    --ca-file "$tmp/ca.pem" --allow-private 127.0.0.0/8 ::1/128 --timeout 3 --connect-timeout 2 \
    --quiet >"$tmp/out" 2>&1
rc=$?
took=$(($(date +%s) - start))
[ $rc -eq 0 ] && echo "ok - scan among hostile servers exits 0" ||
    echo "not ok - scan among hostile servers exits 0 # status $rc: $(tail -3 "$tmp/out" | tr '\n' ' ')"
[ "$took" -le 20 ] && echo "ok - hostile servers do not stall the scan (${took}s)" ||
    echo "not ok - hostile servers do not stall the scan # took ${took}s"
n=$(sqlite3 "$tmp/h.db" "SELECT count(*) FROM results")
[ "$n" = 12 ] && echo "ok - one row per hostile domain" || echo "not ok - one row per hostile domain # $n rows"

expect() { # host status category [extra SQL condition]
    local got
    got=$(sqlite3 "$tmp/h.db" "SELECT status || '/' || coalesce(category, '-') FROM results
          WHERE domain = '$1.hostile.test' ${4:+AND $4}")
    [ "$got" = "$2/$3" ] && echo "ok - $1: $2 $3" ||
        echo "not ok - $1: $2 $3 # got '$got' ($(sqlite3 "$tmp/h.db" "SELECT https_outcome || ' ' || coalesce(http_status, '-') || ' ' || coalesce(https_error, '') FROM results WHERE domain = '$1.hostile.test'"))"
}
expect endless invalid body_too_large "policy_size = 65536"
expect huge invalid body_too_large
expect nul invalid policy_syntax
expect loop invalid http_redirect "location = 'https://mta-sts.loop.hostile.test/.well-known/mta-sts.txt'"
expect drip invalid https_timeout
expect garbage invalid http_status
expect hangup invalid http_status
expect headers invalid http_status "https_error = 'response headers larger than 64 KiB'"
expect good valid -
expect six valid - "https_addr = '::1' AND host_a_outcome = 'nodata'"
expect dual valid - "https_addr = '::1'"
expect twoaddr valid - "https_addr = '127.0.9.1' AND host_addrs = '[\"127.0.9.2\",\"127.0.9.1\"]'"
