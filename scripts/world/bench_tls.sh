#!/usr/bin/env bash
# Measure nginx's new-TLS-handshake rate in the world, certificates by static server blocks vs. by $ssl_server_name variable.
#
# Usage: scripts/world/bench_tls.sh [--dir DIR] [--requests N] [--hosts H] [--concurrency C] [--modes "static var"]
#   The world in DIR must be up. For each mode, nginx is restarted with that configuration, then
#   H ab processes (each on its own policy host, SNI = that host) fetch the policy N/H times each
#   over new connections (no keep-alive, no session resumption): every request is one full
#   TLS handshake (TLS 1.3, X25519, ECDSA P-256 leaf + intermediate). nginx is left in the
#   mode it was in before.
# Prints key=value lines: tls_handshakes_per_s_static=..., tls_handshakes_per_s_var=..., and
# tls_nginx_cpu_ms_per_handshake_{static,var}= (nginx workers' CPU time / handshakes).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
W=$HERE/world
DIR=${MTASTS_WORLD_DIR:-$ROOT/build/world/default}
N=6000
H=6
C=4
MODES="static var"
while [ $# -gt 0 ]; do
    case "$1" in
    --dir) DIR=$2; shift 2 ;;
    --requests) N=$2; shift 2 ;;
    --hosts) H=$2; shift 2 ;;
    --concurrency) C=$2; shift 2 ;;
    --modes) MODES=$2; shift 2 ;;
    *) echo "bench_tls: unknown argument $1" >&2; exit 2 ;;
    esac
done
case "$DIR" in /*) ;; *) DIR=$ROOT/$DIR ;; esac
command -v ab >/dev/null || { echo "bench_tls: ab missing (apache2-utils; scripts/world/install-deps.sh)" >&2; exit 1; }
"$W" status --dir "$DIR" >/dev/null || { echo "bench_tls: the world in $DIR is not up" >&2; exit 1; }
[ "$N" -le 200000 ] || { echo "bench_tls: --requests is capped at 200000" >&2; exit 2; }

hosts=()
for i in $(seq 1 "$H"); do
    grep -q "^[0-9]*,valid-enforce-$i.test$" "$DIR/domains.csv" || break
    hosts+=("mta-sts.valid-enforce-$i.test")
done
[ ${#hosts[@]} -gt 0 ] || { echo "bench_tls: no valid-enforce-N.test domains in this world" >&2; exit 1; }
per=$((N / ${#hosts[@]}))
orig=$(cat "$DIR/run/nginx.mode" 2>/dev/null || echo static)

restart_nginx() { # restart_nginx MODE: nginx running in MODE (restarted only if in another mode)
    local pid
    pid=$(cat "$DIR/run/nginx.pid" 2>/dev/null || true)
    if [ "$(cat "$DIR/run/nginx.mode" 2>/dev/null)" = "$1" ] && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        return 0
    fi
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q nginx "/proc/$pid/cmdline"; then
        kill -TERM "$pid"
        for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    "$W" up --dir "$DIR" --nginx "$1" >/dev/null
}

nginx_cpu_ticks() { # utime+stime of nginx's worker processes, in clock ticks
    local master w sum=0
    master=$(cat "$DIR/run/nginx.pid")
    for w in $(pgrep -P "$master"); do
        sum=$((sum + $(awk '{ print $14 + $15 }' "/proc/$w/stat")))
    done
    echo "$sum"
}

trap 'restart_nginx "$orig" || true' EXIT
for mode in $MODES; do
    restart_nginx "$mode"
    out=$DIR/tmp/bench-tls-$mode
    rm -f "$out".*
    cpu0=$(nginx_cpu_ticks)
    start=$(date +%s.%N)
    for h in "${hosts[@]}"; do
        "$W" exec --dir "$DIR" -- ab -q -n "$per" -c "$C" -s 10 "https://$h/.well-known/mta-sts.txt" \
            >"$out.$h" 2>&1 &
    done
    wait
    end=$(date +%s.%N)
    cpu1=$(nginx_cpu_ticks)
    total=0 failed=0
    for h in "${hosts[@]}"; do
        c=$(sed -n 's/^Complete requests: *\([0-9]*\).*/\1/p' "$out.$h")
        f=$(sed -n 's/^Failed requests: *\([0-9]*\).*/\1/p' "$out.$h")
        total=$((total + ${c:-0}))
        failed=$((failed + ${f:-0}))
        if [ -z "$c" ]; then echo "bench_tls: ab on $h failed:" >&2; tail -n 3 "$out.$h" >&2; fi
    done
    proto=$(sed -n 's/^SSL\/TLS Protocol: *//p' "$out.${hosts[0]}")
    rate=$(awk -v n="$total" -v s="$start" -v e="$end" 'BEGIN { printf "%.0f", n / (e - s) }')
    echo "[$mode] $total handshakes+requests on ${#hosts[@]} hosts, c=$C each, in $(awk -v s="$start" -v e="$end" 'BEGIN{printf "%.1f", e-s}') s, failed $failed, $proto"
    echo "tls_handshakes_per_s_$mode=$rate"
    # nginx's own CPU time per handshake: far less sensitive to other load on the machine
    echo "tls_nginx_cpu_ms_per_handshake_$mode=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$total" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { if (n > 0) printf "%.3f", (b - a) * 1000 / hz / n; else print "n/a" }')"
    rm -f "$out".*
done
