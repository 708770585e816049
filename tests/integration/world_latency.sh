#!/usr/bin/env bash
# The world's latency mode: `world up --latency 30` delays DNS, HTTPS and SMTP by >= 30 ms each
# way, and a scan through it still matches the ground truth.
# Brings up its own world (namespace "$MTASTS_WORLD_NS-lat", folder "$MTASTS_WORLD_DIR-lat")
# beside the runner's, and takes it down at the end.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}"
MS=30
J=$((MS / 5)) # the world's default jitter
BASE_NS=${MTASTS_WORLD_NS:-mtasts-world}
BASE_DIR=${MTASTS_WORLD_DIR:-$PWD/build/world/default}
NS=$BASE_NS-lat
DIR=$BASE_DIR-lat
W=(env MTASTS_WORLD_NS="$NS" scripts/world/world)
tmp=$(mktemp -d)
trap '"${W[@]}" down --dir "$DIR" >/dev/null 2>&1; rm -rf "$tmp"' EXIT

echo "1..19"
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1 # $2"; }

if "${W[@]}" up --dir "$DIR" --latency "$MS" >"$tmp/up" 2>&1 &&
    "${W[@]}" status --dir "$DIR" | grep -q 'latency-proxy: running'; then
    ok "world up --latency $MS starts the delay proxy"
else
    nok "world up --latency $MS starts the delay proxy" "$(tail -3 "$tmp/up" | tr '\n' ' ')"
fi
in_w() { "${W[@]}" exec --dir "$DIR" -- "$@"; }

# min_ms CMD...: the smallest of 5 wall times of CMD, in ms
min_ms() {
    local best=999999 i t0 t1
    for i in 1 2 3 4 5; do
        t0=$(date +%s%N)
        "$@" >/dev/null 2>&1 || { echo "failed"; return; }
        t1=$(date +%s%N)
        t0=$(((t1 - t0) / 1000000))
        [ "$t0" -lt "$best" ] && best=$t0
    done
    echo "$best"
}
check_at_least() { # check_at_least NAME MIN_MS MEASURED
    if [ "$3" != failed ] && [ "$3" -ge "$2" ]; then ok "$1: ${3} ms >= $2 ms"; else nok "$1" "measured '$3' ms, want >= $2"; fi
}

check_at_least "NSD query through the proxy (one round trip)" $((2 * MS)) \
    "$(min_ms in_w dig +norecurse +time=2 +tries=1 @127.0.0.2 SOA test.)"
check_at_least "lame server (REFUSED helper) through the proxy" $((2 * MS)) \
    "$(min_ms in_w dig +norecurse +time=2 +tries=1 @127.0.0.4 A x.test)"
# through unbound, a new name each time (no cache): at least the round trip to NSD
n=0
uncached() { n=$((n + 1)); in_w dig +time=3 +tries=1 @127.0.0.1 MX "no-sts-$((n * 7)).test"; }
check_at_least "resolver cache miss (unbound -> proxy -> NSD)" $((2 * MS)) "$(min_ms uncached)"
# HTTPS: TCP handshake, TLS 1.3, request: three round trips
addr=$(in_w dig +short @127.0.0.1 A mta-sts.valid-enforce-1.test | tail -n1)
check_at_least "HTTPS policy fetch (TCP + TLS + HTTP: 3 round trips)" $((6 * MS)) \
    "$(min_ms in_w curl -sS -f --cacert "$DIR/ca.pem" --resolve "mta-sts.valid-enforce-1.test:443:$addr" \
        https://mta-sts.valid-enforce-1.test/.well-known/mta-sts.txt)"
greet() { in_w bash -c 'exec 3<>/dev/tcp/127.0.4.1/25 && read -t 5 -r l <&3 && [[ $l == 220* ]] && printf "QUIT\r\n" >&3'; }
check_at_least "SMTP greeting (one round trip after connect)" $((2 * MS)) "$(min_ms greet)"

# The proxy's own timing, measured in one process (latency_probe.py: times taken just before
# the send and just after the answer): never less than the delay, and not much more.
in_range() { # in_range NAME LO HI MEASURED
    if [[ "$4" =~ ^[0-9]+$ ]] && [ "$4" -ge "$2" ] && [ "$4" -lt "$3" ]; then ok "$1: $4 ms in [$2, $3)"; else nok "$1" "measured '$4' ms, want [$2, $3)"; fi
}
T=tests/integration/latency_probe.py
rtt=$(in_w python3 $T udp-rtt 127.0.0.2:53 20 2>&1)
in_range "DNS over UDP: smallest of 20 round trips" $((2 * MS)) $((2 * (MS + J) + 10)) "$(echo "$rtt" | awk '$1 == "min" {print $2}')"
# TCP, client speaks first: the query reaches the server at accept + 3 x MS, the answer MS later
in_range "DNS over TCP, query sent at connect (3 x MS floor + MS back)" $((4 * MS)) $((4 * MS + J + 15)) \
    "$(in_w python3 $T tcp-dns 127.0.0.2:53 5 2>&1)"
# TCP, server speaks first: the backend connect one delay after accept, the greeting one back
in_range "SMTP greeting after connect (server speaks first)" $((2 * MS)) $((2 * (MS + J) + 20)) \
    "$(in_w python3 $T tcp-greet 127.0.4.1:25 5 2>&1)"
# a burst: 2,000 queries at once from one socket, every answer back with its own ID and question
burst=$(in_w python3 $T udp-burst 127.0.0.2:53 2000 2>&1)
if [[ "$burst" =~ ^answered\ 2000\ matched\ 2000\ min\ ([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -ge $((2 * MS)) ]; then
    ok "2000 concurrent DNS queries: all answered, IDs restored, none faster than $((2 * MS)) ms ($burst)"
else
    nok "2000 concurrent DNS queries: all answered, IDs restored, none faster than $((2 * MS)) ms" "$burst"
fi

# A second proxy of our own (the world's binary, a map of our own) for what the world's map does
# not have: a backend that refuses, --max-conns, backpressure, SIGTERM.
PROXY=$DIR/run/latency-proxy
printf 'tcp 127.0.250.1:9000 127.100.250.1:9000\ntcp 127.0.250.2:9000 127.100.250.2:9000 # nothing listens\n' >"$tmp/map"
# started without the in_w function, so $! is the program itself (env, world and ip exec it)
"${W[@]}" exec --dir "$DIR" -- python3 $T server 127.100.250.1:9000 >"$tmp/server.log" 2>&1 &
srv=$!
"${W[@]}" exec --dir "$DIR" -- "$PROXY" --delay "$MS" --map-file "$tmp/map" --pidfile "$tmp/proxy.pid" --max-conns 3 --lifetime 120 >"$tmp/proxy.log" 2>&1 &
bpid=$!
for _ in $(seq 50); do [ -s "$tmp/proxy.pid" ] && break; sleep 0.1; done
ppid=$(cat "$tmp/proxy.pid" 2>/dev/null)
first=$(in_w python3 $T tcp-first 127.0.250.2:9000 2>&1)
[ "$first" = reset ] && ok "a backend that refuses: the client sees a reset after connect" ||
    nok "a backend that refuses: the client sees a reset after connect" "got '$first'"
in_w python3 $T hold 127.0.250.1:9000 3 3 >/dev/null 2>&1 &
holders=$!
sleep 1
over=$(in_w python3 $T tcp-first 127.0.250.1:9000 2>&1)
wait "$holders"
sleep 0.5
under=$(in_w python3 $T tcp-first 127.0.250.1:9000 2>&1)
if [[ "$over" =~ ^(eof|reset)$ ]] && [ "$under" = open ]; then
    ok "--max-conns 3: a 4th connection is closed at once ($over), one after they end stays open"
else
    nok "--max-conns 3: a 4th connection is closed at once, one after they end stays open" "4th: '$over', later: '$under'"
fi
# backpressure: 32 MiB from a fast server to a client that reads nothing for 2 s: every byte
# arrives in order, the proxy's memory grows by about its 1 MiB cap, not by the transfer
rss0=$(awk '/^VmRSS/ {print $2}' "/proc/$ppid/status")
in_w python3 $T bulk 127.0.250.1:9000 33554432 2 >"$tmp/bulk" 2>&1 &
bulk_pid=$!
sleep 1.5 # the reader is paused: the proxy holds what it may
rss1=$(awk '/^VmRSS/ {print $2}' "/proc/$ppid/status")
wait "$bulk_pid"
bulk=$(cat "$tmp/bulk")
peak=$(awk '/^VmHWM/ {print $2}' "/proc/$ppid/status")
[ "$rss1" -gt "$peak" ] && peak=$rss1
if [ "$bulk" = "bytes 33554432 intact yes" ] && [ $((peak - rss0)) -lt 4096 ]; then
    ok "32 MiB through a paused reader: intact, proxy RSS $rss0 KiB -> $rss1 KiB paused, peak $peak KiB (< +4 MiB)"
else
    nok "32 MiB through a paused reader: intact, proxy RSS < +4 MiB" "$bulk; RSS $rss0 -> $rss1 paused, peak $peak KiB"
fi
kill -TERM "$ppid"
wait "$bpid"
rc=$?
if [ "$rc" -eq 0 ] && grep -q 'exiting: .* 0 released early' "$tmp/proxy.log"; then
    ok "SIGTERM: the proxy exits 0 with its summary"
else
    nok "SIGTERM: the proxy exits 0 with its summary" "exit $rc; $(tail -1 "$tmp/proxy.log")"
fi
kill "$srv" 2>/dev/null
wait "$srv" 2>/dev/null

# the semantics of the world are kept: a refused connection stays refused (not proxied)
if in_w bash -c 'exec 3<>/dev/tcp/127.0.2.1/443' 2>/dev/null; then
    nok "nothing listens on 127.0.2.1:443 in latency mode" "connected"
else
    ok "nothing listens on 127.0.2.1:443 in latency mode"
fi

# a whole scan through the delay matches the truth
"${W[@]}" exec --dir "$DIR" -- "$MTASTS_BIN" scan "$DIR/domains.csv" --db "$tmp/lat.db" \
    --resolver 127.0.0.1:53 --ca-file "$DIR/ca.pem" --allow-private 127.0.0.0/8 \
    --timeout 3 --connect-timeout 2 --dns-qps 5000 --quiet >"$tmp/scan" 2>&1
rc=$?
python3 tests/integration/compare_truth.py "$tmp/lat.db" "$DIR/truth.jsonl" >"$tmp/cmp" 2>&1
bad=$(grep -c '^not ok' "$tmp/cmp")
if [ "$rc" -eq 0 ] && [ "$bad" -eq 0 ] && grep -q '^ok - results == inputs' "$tmp/cmp"; then
    ok "scan through ${MS} ms matches the truth ($(grep -c '^ok' "$tmp/cmp") comparisons)"
else
    nok "scan through ${MS} ms matches the truth" "exit $rc; $(grep '^not ok' "$tmp/cmp" | head -3 | tr '\n' ' ')"
fi

# a running latency world refuses `up` in another mode
if "${W[@]}" up --dir "$DIR" >"$tmp/up2" 2>&1; then
    nok "up without --latency on a latency world is refused" "it succeeded"
else
    grep -q "is up with latency" "$tmp/up2" && ok "up without --latency on a latency world is refused" ||
        nok "up without --latency on a latency world is refused" "$(tail -1 "$tmp/up2")"
fi
# down stops the proxy too
"${W[@]}" down --dir "$DIR" >/dev/null 2>&1
if [ -z "$(pgrep -f "run/latency-proxy.*$DIR/latency/map.txt")" ]; then
    ok "world down stops the delay proxy"
else
    nok "world down stops the delay proxy" "still running"
fi
# its exit summary: nothing dropped by the proxy, nothing released before its time
sum=$(grep 'exiting:' "$DIR/log/latency-proxy.out" | tail -1)
if [[ "$sum" == *"dropped 0 (queue full) 0 (no free ID) 0 (send failed)"* && "$sum" == *" 0 released early" ]]; then
    ok "the world's proxy dropped no datagram and released none early"
else
    nok "the world's proxy dropped no datagram and released none early" "${sum:-no summary}"
fi
