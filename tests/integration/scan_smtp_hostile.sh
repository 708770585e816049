#!/usr/bin/env bash
# Hostile SMTP servers (tests/integration/hostile_smtp.py): each is classified within the
# SMTP stage's bounds and deadlines, none stalls the check, and the client never sends MAIL
# FROM or RCPT TO, sends the --ehlo name and says QUIT.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
echo "1..22"
tmp=$(mktemp -d)
"${world[@]}" python3 tests/integration/hostile_smtp.py "$tmp" >"$tmp/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [ -f "$tmp/ready" ] && break; sleep 0.2; done
if [ ! -f "$tmp/ready" ]; then
    echo "not ok - hostile SMTP servers start # $(cat "$tmp/server.log")"
    exit 0
fi

start=$(date +%s)
mapfile -t doms <"$tmp/domains.txt"
"${world[@]}" "$MTASTS_BIN" check "${doms[@]}" --json --checks +smtp:all --resolver 127.0.10.53 \
    --allow-private 127.0.0.0/8 ::1/128 --smtp-timeout 2 --timeout 2 --connect-timeout 1 \
    --ehlo probe.hsmtp.example >"$tmp/out.jsonl" 2>"$tmp/err"
took=$(($(date +%s) - start))
[ "$took" -le 15 ] && echo "ok - hostile SMTP servers do not stall the check (${took}s)" ||
    echo "not ok - hostile SMTP servers do not stall the check # took ${took}s"

expect() { # host outcome detail-substring
    local got
    got=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d["domain"] == sys.argv[2] + ".hsmtp.test":
        a = d["mx_probes"]["hosts"][0]["addresses"][0]
        print(a["outcome"] + " | " + (a["detail"] or ""))
' "$tmp/out.jsonl" "$1" 2>&1)
    case "$got" in
    "$2 | "*"$3"*) echo "ok - $1: $2" ;;
    *) echo "not ok - $1: $2 ($3) # got '$got'" ;;
    esac
}
expect longline smtp_refused "longer than 512 bytes"
expect manylines smtp_refused "more than 32 lines"
expect drip smtp_timeout "no greeting within 2s"
expect garbage smtp_refused "not an SMTP reply line"
expect hangup smtp_refused "connection closed"
expect ehloflood smtp_refused "EHLO: reply of more than 32 lines"
expect starttls454 starttls_failed "STARTTLS answered 454"
expect tlsgarbage starttls_failed "TLS handshake failed"
expect tlssilent smtp_timeout "no TLS handshake within 2s"
expect nostarttls starttls_not_offered "EHLO lists no STARTTLS"

# Addresses: IPv6, the bound of 8 per host, a refused address never contacted.
addrs() { # host -> "outcome:addr ..." and the dropped count
    python3 -c '
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d["domain"] == sys.argv[2] + ".hsmtp.test":
        h = d["mx_probes"]["hosts"][0]
        print(h["smtp"], h["addresses_dropped"], " ".join(a["outcome"] + ":" + a["addr"] for a in h["addresses"]))
' "$tmp/out.jsonl" "$1" 2>&1
}
got=$(addrs six)
[ "$got" = "starttls_not_offered 0 starttls_not_offered:::1" ] && echo "ok - six: probed over IPv6" ||
    echo "not ok - six: probed over IPv6 # got '$got'"
got=$(addrs manyaddrs)
case "$got" in
"smtp_connect_failed 2 "*) [ "$(echo "$got" | wc -w)" = 10 ] && echo "ok - manyaddrs: 8 addresses probed, 2 counted as dropped" ||
    echo "not ok - manyaddrs: 8 addresses probed, 2 counted as dropped # got '$got'" ;;
*) echo "not ok - manyaddrs: 8 addresses probed, 2 counted as dropped # got '$got'" ;;
esac
got=$(addrs mixed)
[ "$got" = "starttls_not_offered 0 smtp_address_refused:10.0.0.1 starttls_not_offered:127.0.10.13" ] &&
    echo "ok - mixed: the private address refused, the other probed" ||
    echo "not ok - mixed: the private address refused, the other probed # got '$got'"

# 4. Port 25 dropped (SYN blackhole): every probe times out; with no host answering, the
#    check says port 25 is blocked once, hosts are smtp_unreachable, port25_blocked is set.
mapfile -t dropped <"$tmp/dropped.txt"
"${world[@]}" "$MTASTS_BIN" check "${dropped[@]}" --json --checks +smtp:all --resolver 127.0.10.53 \
    --allow-private 127.0.0.0/8 --smtp-timeout 1 --timeout 2 --connect-timeout 1 \
    >"$tmp/dropped.jsonl" 2>"$tmp/dropped.err"
n_msg=$(grep -c 'port 25 looks blocked' "$tmp/dropped.err")
[ "$n_msg" = 1 ] && echo "ok - dropped port 25: said once on stderr" ||
    echo "not ok - dropped port 25: said once on stderr # $n_msg: $(head -c 300 "$tmp/dropped.err")"
got=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    mp = d["mx_probes"]
    print(mp["port25_blocked"], " ".join(h["smtp"] + "/" + ",".join(a["detail"] or "" for a in h["addresses"]) for h in mp["hosts"]))
' "$tmp/dropped.jsonl" | sort -u)
[ "$got" = "True smtp_unreachable/no connect within 1s" ] &&
    echo "ok - dropped port 25: every host smtp_unreachable after a connect timeout" ||
    echo "not ok - dropped port 25: every host smtp_unreachable after a connect timeout # got '$got'"
[ "$(grep -c . "$tmp/dropped.jsonl")" = 3 ] && echo "ok - dropped port 25: every domain answered" ||
    echo "not ok - dropped port 25: every domain answered # $(grep -c . "$tmp/dropped.jsonl") lines"

log=$tmp/commands.log
if grep -qiE '^[a-z0-9]+ (MAIL|RCPT|DATA)' "$log"; then
    echo "not ok - never MAIL FROM, RCPT TO or DATA # $(grep -iE ' (MAIL|RCPT|DATA)' "$log" | head -2)"
else
    echo "ok - never MAIL FROM, RCPT TO or DATA"
fi
grep -q '^nostarttls EHLO probe.hsmtp.example$' "$log" &&
    echo "ok - EHLO carries the --ehlo name" ||
    echo "not ok - EHLO carries the --ehlo name # $(grep EHLO "$log" | head -2)"
grep -q '^nostarttls QUIT$' "$log" && echo "ok - QUIT after the probe" ||
    echo "not ok - QUIT after the probe # $(grep nostarttls "$log" | tr '\n' ' ')"
grep -q '^starttls454 QUIT$' "$log" && echo "ok - QUIT after a refused STARTTLS" ||
    echo "not ok - QUIT after a refused STARTTLS # $(grep starttls454 "$log" | tr '\n' ' ')"
n=$(grep -c '^starttls454 CONNECT$' "$log")
[ "$n" = 1 ] && echo "ok - one connection per address" ||
    echo "not ok - one connection per address # $n connections"
