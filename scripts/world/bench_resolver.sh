#!/usr/bin/env bash
# Measure the world resolver's sustained queries/s (dnsperf) for a scanner-like query mix, cold and warm cache.
#
# Usage: scripts/world/bench_resolver.sh [--dir DIR] [--domains N] [--seconds S] [--outstanding Q]
#                                         [--mix full|policy]
#   The world in DIR must be up (MTASTS_WORLD_NS / --dir as for scripts/world/world).
#   Query mix per domain, as the scanner asks: TXT _mta-sts.D, MX D, TXT _smtp._tls.D, and for
#   domains that publish a v=STSv1 record (about 1% in the bench mix) A and AAAA mta-sts.D.
#   --mix policy: what `mtasts scan --checks policy` asks (and postfix-mta-sts-resolver): only
#   TXT _mta-sts.D, and A/AAAA mta-sts.D where a v=STSv1 record exists.
#   Cold: unbound's cache for test. is flushed, then every query is asked once (each is a miss
#   for the resolver, which must ask NSD). Warm: the same queries again (all from cache).
# Prints key=value lines (resolver_qps_cold=..., resolver_qps_warm=...) and the dnsperf summaries.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
W=$HERE/world
DIR=${MTASTS_WORLD_DIR:-$ROOT/build/world/default}
NDOM=200000
SECS=60
OUTSTANDING=1000
MIX=full
while [ $# -gt 0 ]; do
    case "$1" in
    --dir) DIR=$2; shift 2 ;;
    --domains) NDOM=$2; shift 2 ;;
    --seconds) SECS=$2; shift 2 ;;
    --outstanding) OUTSTANDING=$2; shift 2 ;;
    --mix) MIX=$2; shift 2 ;;
    *) echo "bench_resolver: unknown argument $1" >&2; exit 2 ;;
    esac
done
case "$DIR" in /*) ;; *) DIR=$ROOT/$DIR ;; esac
case "$MIX" in full | policy) ;; *) echo "bench_resolver: --mix takes full or policy, not '$MIX'" >&2; exit 2 ;; esac
command -v dnsperf >/dev/null || { echo "bench_resolver: dnsperf missing (scripts/world/install-deps.sh)" >&2; exit 1; }
"$W" status --dir "$DIR" >/dev/null || { echo "bench_resolver: the world in $DIR is not up (scripts/world/world up --dir $DIR)" >&2; exit 1; }

Q=$DIR/tmp/bench-queries.txt
/usr/bin/python3 - "$DIR/truth.jsonl" "$Q" "$NDOM" "$MIX" <<'EOF'
import json, sys
n = int(sys.argv[3])
full = sys.argv[4] == "full"
out = open(sys.argv[2], "w")
k = nq = 0
for line in open(sys.argv[1]):
    if k >= n:
        break
    t = json.loads(line)
    d = t["domain"]
    k += 1
    if full:
        out.write("_mta-sts.%s TXT\n%s MX\n_smtp._tls.%s TXT\n" % (d, d, d))
        nq += 3
    else:
        out.write("_mta-sts.%s TXT\n" % d)
        nq += 1
    if t["status"] in ("valid", "invalid") and t["category"] not in ("txt_syntax", "txt_multiple"):
        out.write("mta-sts.%s A\nmta-sts.%s AAAA\n" % (d, d))
        nq += 2
print("bench_resolver: %d domains, %d queries" % (k, nq), file=sys.stderr)
EOF
nq=$(wc -l <"$Q")

run() { # run LABEL: one pass over the query file, bounded by SECS
    "$W" exec --dir "$DIR" -- dnsperf -s 127.0.0.1 -d "$Q" -n 1 -l "$SECS" -c 16 -T 1 \
        -q "$OUTSTANDING" -t 5 2>&1 | tee "$DIR/tmp/bench-resolver-$1.out" |
        grep -E 'Queries (sent|completed|lost)|Response codes|Run time|Queries per second|Average Latency|Latency StdDev' | sed "s/^/[$1] /"
}
qps() { sed -n 's/.*Queries per second: *\([0-9.]*\).*/\1/p' "$DIR/tmp/bench-resolver-$1.out"; }
lost() { sed -n 's/.*Queries lost: *\([0-9]*\).*/\1/p' "$DIR/tmp/bench-resolver-$1.out"; }

"$W" exec --dir "$DIR" -- unbound-control -c "$DIR/dns/unbound.conf" flush_zone test. >/dev/null
"$W" exec --dir "$DIR" -- unbound-control -c "$DIR/dns/unbound.conf" flush_requestlist >/dev/null
echo "bench_resolver: cold cache ($nq queries, at most ${SECS}s, $OUTSTANDING outstanding)"
run cold
# warm: exactly the queries the cold pass sent (it may have stopped at its time limit)
sent=$(sed -n 's/.*Queries sent: *\([0-9]*\).*/\1/p' "$DIR/tmp/bench-resolver-cold.out")
head -n "${sent:-$nq}" "$Q" >"$Q.cold" && mv "$Q.cold" "$Q"
echo "bench_resolver: warm cache (the ${sent:-$nq} queries of the cold pass again)"
run warm
rm -f "$Q"
echo "resolver_queries=$nq"
echo "resolver_queries_cold_sent=${sent:-$nq}"
echo "resolver_qps_cold=$(qps cold)"
echo "resolver_lost_cold=$(lost cold)"
echo "resolver_qps_warm=$(qps warm)"
echo "resolver_lost_warm=$(lost warm)"
