#!/usr/bin/env bash
# Measures the world's unbound stock against tuned: cold-cache dnsperf at several numbers of outstanding queries.
#
# Usage: scripts/world/resolver_tuning.sh [--dir DIR] [--domains N] [--outstanding "500 1000 2000 4000"]
#                                         [--configs "stock tuned"]
#   The world in DIR must be up (MTASTS_WORLD_NS / --dir as for scripts/world/world). For each
#   configuration, unbound is restarted with it (DIR/dns/unbound-CONFIG.conf); for each number
#   of outstanding queries, the cache is flushed and dnsperf sends the scanner's query mix for
#   N domains once (every query a cache miss, answered through NSD). The world's own
#   unbound.conf is put back at the end.
#   stock: the world's configuration without any tuning line (Debian 1.17 defaults: 1 thread,
#          num-queries-per-thread 1024, outgoing-range 4096, OS socket buffers, 4 MB caches,
#          qname-minimisation yes); only what the world needs to work is kept.
#   tuned: the world's configuration (docs/resolver.md explains each line).
#   stock+rcvbuf, stock+threads, stock+qpt: stock with one group of tuning lines (socket
#          buffers; 2 threads; 4096 queries per thread and 8192 ports); tuned+qmin: tuned with
#          qname minimisation on; tuned+waitlimit: tuned with Debian's `wait-limit: 1000` back
#          (at most 1,000 queries from one client address waiting for recursion).
# Prints one line per measurement: config, outstanding, q/s, lost, average latency, and the
# unbound counters that say why (requestlist.exceeded / overwritten, max request list).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
W=$HERE/world
DIR=${MTASTS_WORLD_DIR:-$ROOT/build/world/default}
NDOM=20000
OUTS="500 1000 2000 4000"
CONFIGS="stock tuned"
while [ $# -gt 0 ]; do
    case "$1" in
    --dir) DIR=$2; shift 2 ;;
    --domains) NDOM=$2; shift 2 ;;
    --outstanding) OUTS=$2; shift 2 ;;
    --configs) CONFIGS=$2; shift 2 ;;
    *) echo "resolver_tuning: unknown argument $1" >&2; exit 2 ;;
    esac
done
case "$DIR" in /*) ;; *) DIR=$ROOT/$DIR ;; esac
"$W" status --dir "$DIR" >/dev/null || { echo "resolver_tuning: the world in $DIR is not up" >&2; exit 1; }
X() { "$W" exec --dir "$DIR" -- "$@"; }
UC() { X unbound-control -c "$DIR/dns/unbound.conf" "$@"; }

# The configurations. The world's file stays the one `up` uses; variants are written beside it.
/usr/bin/python3 - "$DIR/dns" <<'EOF'
import re, sys
d = sys.argv[1]
conf = open(d + "/unbound.conf").read()
TUNING = ("num-threads", "so-reuseport", "so-rcvbuf", "so-sndbuf", "outgoing-range",
          "num-queries-per-thread", "msg-cache-size", "rrset-cache-size", "key-cache-size",
          "infra-cache-numhosts", "qname-minimisation", "minimal-responses", "prefetch",
          "msg-cache-slabs", "rrset-cache-slabs", "infra-cache-slabs", "key-cache-slabs",
          "jostle-timeout", "wait-limit")
stock = "".join(l for l in conf.splitlines(True)
                if not re.match(r"\s*(%s):" % "|".join(TUNING), l))
open(d + "/unbound-stock.conf", "w").write(stock)
open(d + "/unbound-tuned.conf", "w").write(conf)
# one change at a time, to attribute the effect
def add(base, lines):
    return base.replace("server:\n", "server:\n" + "".join("    %s\n" % l for l in lines), 1)
open(d + "/unbound-stock+rcvbuf.conf", "w").write(add(stock, ["so-rcvbuf: 8m", "so-sndbuf: 8m"]))
open(d + "/unbound-stock+threads.conf", "w").write(add(stock, ["num-threads: 2", "so-reuseport: yes"]))
open(d + "/unbound-stock+qpt.conf", "w").write(add(stock, ["num-queries-per-thread: 4096", "outgoing-range: 8192"]))
open(d + "/unbound-tuned+qmin.conf", "w").write(conf.replace("qname-minimisation: no", "qname-minimisation: yes"))
open(d + "/unbound-tuned+waitlimit.conf", "w").write(
    re.sub(r"(?m)^\s*wait-limit:.*\n", "", conf).replace("server:\n", "server:\n    wait-limit: 1000\n", 1))
EOF
cp "$DIR/dns/unbound.conf" "$DIR/dns/unbound-world.conf"

Q=$DIR/tmp/tuning-queries.txt
/usr/bin/python3 - "$DIR/truth.jsonl" "$Q" "$NDOM" <<'EOF'
import json, sys
n, k = int(sys.argv[3]), 0
with open(sys.argv[2], "w") as out:
    for line in open(sys.argv[1]):
        if k >= n:
            break
        d = json.loads(line)["domain"]
        k += 1
        out.write("_mta-sts.%s TXT\n%s MX\n_smtp._tls.%s TXT\n" % (d, d, d))
EOF

restart() { # restart CONFIG: unbound with DIR/dns/unbound-CONFIG.conf, the world's pid file
    cp "$DIR/dns/unbound-$1.conf" "$DIR/dns/unbound.conf"
    local pid
    pid=$(cat "$DIR/run/unbound.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$DIR/run/unbound.pid"
    X unbound -c "$DIR/dns/unbound.conf" >>"$DIR/log/unbound.out" 2>&1
    for _ in $(seq 1 100); do
        X dig +time=1 +tries=1 @127.0.0.1 MX valid-enforce-1.test 2>/dev/null | grep -q 'status: NOERROR' && return 0
        sleep 0.2
    done
    echo "resolver_tuning: unbound ($1) did not answer" >&2
    return 1
}
trap 'cp "$DIR/dns/unbound-world.conf" "$DIR/dns/unbound.conf"; restart world >/dev/null 2>&1 || true' EXIT

stat() { sed -n "s/^$1=//p" "$DIR/tmp/tuning-stats.txt" | head -n1; }
# UDP datagrams the kernel dropped in the namespace because a socket's receive buffer was full
rcvbuf_errors() { X awk '/^Udp:/ && $2 ~ /^[0-9]+$/ {print $6}' /proc/net/snmp; }
printf '%-6s %6s %9s %7s %9s %9s %11s %8s %9s\n' config outst "q/s" lost "avg_ms" exceeded overwritten max_list rcvbuf_drop
for c in $CONFIGS; do
    restart "$c"
    for o in $OUTS; do
        UC flush_zone test. >/dev/null
        UC flush_infra all >/dev/null
        UC flush_requestlist >/dev/null
        UC stats >/dev/null # reset the counters
        r0=$(rcvbuf_errors)
        X dnsperf -s 127.0.0.1 -d "$Q" -n 1 -c 16 -T 1 -q "$o" -t 5 >"$DIR/tmp/tuning-dnsperf.txt" 2>&1 || true
        UC stats_noreset >"$DIR/tmp/tuning-stats.txt"
        r1=$(rcvbuf_errors)
        qps=$(sed -n 's/.*Queries per second: *\([0-9.]*\).*/\1/p' "$DIR/tmp/tuning-dnsperf.txt")
        lost=$(sed -n 's/.*Queries lost: *\([0-9]*\).*/\1/p' "$DIR/tmp/tuning-dnsperf.txt")
        lat=$(sed -n 's/.*Average Latency (s): *\([0-9.]*\).*/\1/p' "$DIR/tmp/tuning-dnsperf.txt")
        printf '%-6s %6s %9.0f %7s %9.1f %9s %11s %8s %9s\n' "$c" "$o" "${qps:-0}" "${lost:-?}" \
            "$(/usr/bin/python3 -c "print(float('${lat:-0}') * 1000)")" "$(stat total.requestlist.exceeded)" \
            "$(stat total.requestlist.overwritten)" "$(stat total.requestlist.max)" "$((r1 - r0))"
    done
done
rm -f "$Q"
