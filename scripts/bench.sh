#!/usr/bin/env bash
# `make bench`: the scanner against the local bench world: throughput, DNS and HTTPS ratios, RSS, CPU.
#
# In one run, inside network namespaces whose only interface is loopback:
#   1. the bench world (BENCH_N domains, about 1% with MTA-STS) is generated if needed and
#      brought up; dnsperf measures what the world's resolver sustains for the scanner's query
#      mix (TXT _mta-sts.D, MX D, TXT _smtp._tls.D) from a cold cache;
#      (scripts/world/bench_resolver.sh when present, which uses that exact mix plus A/AAAA
#      for deployments);
#   2. `mtasts scan` of the whole list, BENCH_RUNS times, the resolver cache flushed before
#      each run: domains/s, DNS queries/s (and its ratio to dnsperf's figure), peak RSS, CPU
#      seconds per 1,000 domains, domains lost or duplicated (result rows vs input domains);
#      then the first BENCH_SMALL_N domains the same way, for the RSS growth ratio;
#   3. a policy-only world (BENCH_POLICY_N domains, every one serving a policy): the TLS
#      handshake rate nginx sustains for new connections (scripts/world/bench_tls.sh when
#      present: ab without keep-alive; else 4 Python clients),
#      then `mtasts scan` of it BENCH_RUNS times: policy fetches/s and its ratio.
#   4. the peer comparison (BENCH_PEER_N > 0): a bench-mix world of BENCH_PEER_N domains, at
#      each latency of BENCH_PEER_LATENCIES (0 = none; else `world up --latency MS`, the delay
#      proxy of scripts/world/README.md) and each CPU placement of BENCH_PEER_PINS (1 pinned,
#      0 unpinned), BENCH_RUNS times: dnsperf's cold ceiling (bench_resolver.sh), the peer
#      postfix-mta-sts-resolver (scripts/bench_peer.py: its STSResolver, BENCH_PEER_INFLIGHT
#      in flight), `mtasts scan --checks policy` and the full scan, both with the default
#      concurrency settings (only --dns-qps raised; timeouts as the peer's: 5 s); domains/s,
#      CPU seconds per 1,000 domains and peak RSS of each, the ratios to the peer and the full
#      scan's ratio to dnsperf / 3 (three queries per domain). The list leaves out the
#      scenarios that end in a timeout (BENCH_PEER_EXCLUDE): each of them makes both tools
#      wait out their timeouts at the end, and on a list of 20,000 domains that tail (5-7 s)
#      would be most of what is measured.
# Medians over the runs. Prints a Markdown table and writes it to build/bench/results.md, the
# raw figures to build/bench/runs.tsv.
#
# Environment (defaults in brackets):
#   BENCH_N [1000000]        domains in the bench world
#   BENCH_RUNS [3]           measured scans per figure
#   BENCH_SMALL_N [100000]   the smaller scan for the RSS ratio (capped at BENCH_N)
#   BENCH_POLICY_N [20000]   domains in the policy-only world (0 skips the HTTPS part)
#   BENCH_SMTP [1]           also scan the bench world with --checks +smtp,+dane (the SMTP
#                            stage: probes/s, the share saved by sharing, the time ratio)
#   BENCH_THREADS [nproc]    --threads
#   BENCH_PIN [1 when nproc >= 2] the world's servers (unbound, NSD, nginx) run on the last
#                            CPU, and the clients (mtasts, dnsperf, the handshake client) on
#                            the others, as if the resolver and web servers were other
#                            machines: without it, on a 2-core machine the scanner and unbound
#                            take CPU from each other while dnsperf costs nearly nothing, and
#                            the DNS ratio measures that contention rather than the scanner.
#                            BENCH_PIN=0 measures unpinned (both are reported as configured).
#   BENCH_SCAN_ARGS          extra `mtasts scan` options (rate limits are raised by default,
#                            see SCAN_LIMITS below: the bench measures the scanner, not politeness)
#   BENCH_DNSPERF_N [N]      domains in dnsperf's query file (3 queries each, cold cache;
#                            the same domains as the scan: unbound slows as its cache fills)
#   BENCH_INFLIGHT [5000], BENCH_DNS_INFLIGHT [1000]: --inflight, --dns-inflight
#   BENCH_PEER_N [100000]    domains in the peer comparison's world (0 skips it)
#   BENCH_PEER_LATENCIES ["0 30"], BENCH_PEER_PINS ["1 0"], BENCH_PEER_INFLIGHT [500]
#   BENCH_PEER_SCAN_ARGS     extra `mtasts scan` options in the peer comparison
#   BENCH_PEER_EXCLUDE ["dns-timeout https-connect-timeout slow-drip"] scenarios left out
#   BENCH_MAIN [1]           0 skips parts 1-3 (the peer comparison alone)
#   MTASTS_BIN [./mtasts]    the binary
#   BENCH_NS [mtasts-makebench], BENCH_POLICY_NS [mtasts-makebench-pol]: the namespaces
#   BENCH_WORLD_DIR [build/world-bench], BENCH_POLICY_WORLD_DIR [build/world-bench-policy]
# Quick run: BENCH_N=20000 BENCH_SMALL_N=5000 BENCH_POLICY_N=2000 BENCH_PEER_N=5000 BENCH_RUNS=1 make bench
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BIN=${MTASTS_BIN:-$ROOT/mtasts}
N=${BENCH_N:-1000000}
RUNS=${BENCH_RUNS:-3}
SMALL_N=${BENCH_SMALL_N:-100000}
POLICY_N=${BENCH_POLICY_N:-20000}
SMTP=${BENCH_SMTP:-1}
THREADS=${BENCH_THREADS:-$(nproc)}
NCPU=$(nproc)
PIN=${BENCH_PIN:-$([ "$NCPU" -ge 2 ] && echo 1 || echo 0)}
SERVER_CPU=$((NCPU - 1))
CLIENT_CPUS=0-$((NCPU > 1 ? NCPU - 2 : 0))
DNSPERF_N=${BENCH_DNSPERF_N:-$N}
OUT=$ROOT/build/bench
WORLD=${BENCH_WORLD_DIR:-$ROOT/build/world-bench}
PWORLD=${BENCH_POLICY_WORLD_DIR:-$ROOT/build/world-bench-policy}
NS=${BENCH_NS:-mtasts-makebench}
PNS=${BENCH_POLICY_NS:-mtasts-makebench-pol}
PEER_N=${BENCH_PEER_N:-100000}
PEER_LATENCIES=${BENCH_PEER_LATENCIES:-0 30}
PEER_PINS=${BENCH_PEER_PINS:-1 0}
PEER_INFLIGHT=${BENCH_PEER_INFLIGHT:-500}
PEERWORLD=${BENCH_PEER_WORLD_DIR:-$ROOT/build/world-bench-peer}
PEERNS=${BENCH_PEER_NS:-mtasts-makebench-peer}
MAIN=${BENCH_MAIN:-1}
SCAN_LIMITS_NOW=()
PIN_MAIN=$PIN
# The peer comparison runs mtasts as a user would: default concurrency, only --dns-qps raised;
# the timeouts bounded like the peer's (5 s per lookup or fetch).
PEER_SCAN_LIMITS=(--dns-qps 1000000 --timeout 5 --connect-timeout 3 --dns-timeout 2)
# Limits high enough that the resolver, nginx and the CPU are what bound the scan.
# Limits high enough that the resolver, nginx and the CPU bound the scan, not politeness.
# DNS queries outstanding stay at what the world's resolver absorbs from a cold cache without
# dropping any (unbound: 2 threads x 4096 queries; 9000 outstanding overflow it).
INFLIGHT=${BENCH_INFLIGHT:-5000}
DNS_INFLIGHT=${BENCH_DNS_INFLIGHT:-1000}
SCAN_LIMITS=(--dns-qps 1000000 --inflight "$INFLIGHT" --dns-inflight "$DNS_INFLIGHT"
    --https-conns 500 --per-ip 1000 --per-ip-conns 1000 --timeout 5 --connect-timeout 3 --dns-timeout 2
    --dns-tries 3)

[ "$SMALL_N" -gt "$N" ] && SMALL_N=$N
[ "$DNSPERF_N" -gt "$N" ] && DNSPERF_N=$N

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
[ -x "$BIN" ] || die "$BIN not found: run make first"
for b in dnsperf openssl python3 sqlite3 /usr/bin/time; do
    command -v "$b" >/dev/null || die "$b not found (make deps)"
done
mkdir -p "$OUT"
RUNS_TSV=$OUT/runs.tsv
# BENCH_TABLE_ONLY=1: print the table again from an existing runs.tsv, measuring nothing.
[ -n "${BENCH_TABLE_ONLY:-}" ] || printf 'figure\trun\tvalue\n' >"$RUNS_TSV"

record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RUNS_TSV"; }

median() { # median FIGURE: the median over the valid runs of a figure, "n/a" when none
    python3 - "$RUNS_TSV" "$1" <<'EOF'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()[1:]]
# A broken run of the bench world voids its scans, dnsperf and the DNS and RSS ratios; one of
# the policy-only world voids its scan, handshakes and the HTTPS ratio.
def group(f):
    tag = f.split(".")[0]
    if tag in ("policy", "handshakes_per_s", "https_ratio"):
        return "policy"
    if "@" in tag:  # the peer comparison: one group per latency and placement
        return tag.split("@", 1)[1]
    return "bench"
bad = {(r, group(v)) for f, r, v in rows if f == "invalid_run"}
fig = sys.argv[2]
vals = [float(v) for f, r, v in rows
        if f == fig and (r, group(fig)) not in bad and v not in ("", "n/a")]
print("%.6g" % statistics.median(vals) if vals else "n/a")
EOF
}


# --- worlds -----------------------------------------------------------------------------------
world_matches() { # world_matches DIR N MIX: the generated world has that size and mix
    [ -f "$1/world.json" ] && python3 -c 'import json,sys
m = json.load(open(sys.argv[1] + "/world.json"))
sys.exit(0 if m["n"] == int(sys.argv[2]) and m["mix"] == sys.argv[3] else 1)' "$1" "$2" "$3"
}

world_ready() { # world_ready DIR NS N MIX: generate when needed, bring up
    local dir=$1 ns=$2 n=$3 mix=$4 t0
    if ! world_matches "$dir" "$n" "$mix"; then
        MTASTS_WORLD_NS=$ns scripts/world/world down --dir "$dir" >/dev/null 2>&1 || true
        t0=$(date +%s.%N)
        MTASTS_WORLD_NS=$ns scripts/world/world gen --n "$n" --mix "$mix" --dir "$dir" >&2
        GEN_SECONDS[$mix]=$(python3 -c "import sys; print('%.0f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$(date +%s.%N)")
    fi
    t0=$(date +%s.%N)
    MTASTS_WORLD_NS=$ns scripts/world/world up --dir "$dir" >&2
    UP_SECONDS[$mix]=$(python3 -c "import sys; print('%.0f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$(date +%s.%N)")
}

world_down() { MTASTS_WORLD_NS=$1 scripts/world/world down --dir "$2" >&2 || true; }

# pin_servers NS: every process of the world's namespace onto SERVER_CPU (all threads). Run
# before each measurement, since a baseline script may restart a server.
pin_servers() {
    [ "$PIN" = 1 ] || return 0
    local pid
    for pid in $(ip netns pids "$1" 2>/dev/null); do
        taskset -a -p -c "$SERVER_CPU" "$pid" >/dev/null 2>&1 || true
    done
}

# client CMD...: runs a measuring client on the client CPUs (when pinning).
client() {
    if [ "$PIN" = 1 ]; then
        taskset -c "$CLIENT_CPUS" "$@"
    else
        "$@"
    fi
}

declare -A GEN_SECONDS=() UP_SECONDS=()
CLEANUP=()
cleanup() { local c; for c in "${CLEANUP[@]}"; do eval "$c"; done; }
trap cleanup EXIT

in_world() { # in_world DIR NS CMD...
    local dir=$1 ns=$2
    shift 2
    MTASTS_WORLD_NS=$ns scripts/world/world exec --dir "$dir" -- "$@"
}

flush_cache() { # flush_cache DIR NS: a survey starts cold
    in_world "$1" "$2" unbound-control -c "$1/dns/unbound.conf" flush_zone test. >/dev/null
    in_world "$1" "$2" unbound-control -c "$1/dns/unbound.conf" flush_infra all >/dev/null
    in_world "$1" "$2" unbound-control -c "$1/dns/unbound.conf" flush_requestlist >/dev/null
}

# --- one measured scan ------------------------------------------------------------------------
# scan_once DIR NS LIST TAG RUN [ARGS...]: scans LIST into a fresh database (ARGS: extra scan
# options); records TAG.domains_per_s, TAG.dns_qps, TAG.fetches_per_s, TAG.rss_mib,
# TAG.cpu_per_1k, TAG.lost, TAG.duplicated, TAG.retries, TAG.excess_retries for this run, and
# with the SMTP stage TAG.smtp_probes_per_s (port-25 connections / elapsed), TAG.mx_hosts,
# TAG.smtp_saved_share. The limits are SCAN_LIMITS, or SCAN_LIMITS_NOW when set (the peer
# comparison's defaults); with --checks policy the statuses are not compared with the truth.
scan_once() {
    local dir=$1 ns=$2 list=$3 tag=$4 run=$5
    shift 5
    local -a limits=("${SCAN_LIMITS[@]}")
    [ ${#SCAN_LIMITS_NOW[@]} -gt 0 ] && limits=("${SCAN_LIMITS_NOW[@]}")
    local db=$OUT/$tag-$run.db log=$OUT/$tag-$run.log tm=$OUT/$tag-$run.time
    rm -f "$db" "$db-wal" "$db-shm"
    flush_cache "$dir" "$ns"
    pin_servers "$ns"
    local rc=0
    client /usr/bin/time -v -o "$tm" env MTASTS_WORLD_NS="$ns" scripts/world/world exec --dir "$dir" -- \
        "$BIN" scan "$list" --db "$db" --resolver 127.0.0.1:53 --ca-file "$dir/ca.pem" \
        --allow-private 127.0.0.0/8 --quiet --threads "$THREADS" "${limits[@]}" \
        ${BENCH_SCAN_ARGS:-} "$@" 2>"$log" || rc=$?
    local compare=1
    [[ " $* " == *" --checks policy "* ]] && compare=0 # statuses need the MX lookups
    [ "$rc" -eq 0 ] || note "scan $tag run $run exited $rc (see $log)"
    local inputs
    inputs=$(python3 - "$list" <<'EOF'
import sys
seen = set()
for line in open(sys.argv[1]):
    line = line.strip()
    if line and not line.startswith("#"):
        seen.add(line.split(",")[-1].strip().lower().rstrip("."))
print(len(seen))
EOF
)
    python3 - "$log" "$tm" "$db" "$inputs" "$tag" "$run" "$dir/truth.jsonl" "$compare" >>"$RUNS_TSV" <<'EOF'
import json, re, sqlite3, sys
log, tm, db, inputs, tag, run, truth_path, compare = sys.argv[1:9]
text = open(log, errors="replace").read()
timing = open(tm, errors="replace").read()
def grab(pattern, s, conv=float):
    m = re.search(pattern, s, re.M)
    return conv(m.group(1)) if m else None
elapsed = grab(r"domains scanned in ([0-9.]+) s", text)
queries = grab(r"^dns: (\d+) queries", text)
retries = grab(r"^dns: \d+ queries, (\d+) retries", text)
fetches = grab(r"https: (\d+) fetches", text)
rss_kb = grab(r"Maximum resident set size \(kbytes\): (\d+)", timing)
user = grab(r"User time \(seconds\): ([0-9.]+)", timing) or 0.0
system = grab(r"System time \(seconds\): ([0-9.]+)", timing) or 0.0
rows = distinct = None
try:
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    sid = con.execute("SELECT max(id) FROM scans").fetchone()[0]
    rows, distinct = con.execute(
        "SELECT count(*), count(DISTINCT domain) FROM results WHERE scan_id = ?", (sid,)).fetchone()
    got = dict(con.execute("SELECT domain, status FROM results WHERE scan_id = ?", (sid,)))
    truth, timeout_domains = {}, set()
    for l in open(truth_path):
        t = json.loads(l)
        truth[t["domain"]] = t["status"]
        if t["scenario"] == "dns-timeout":
            timeout_domains.add(t["domain"])
    mismatches = sum(1 for d, st in got.items() if truth.get(d) not in (None, st))
    if compare != "1":
        mismatches = None
    # The world's own failures: the TXT lookup of each dns-timeout domain (the silent server) is
    # tried 3 times; a SERVFAIL (the lame server) is final with one resolver
    # (scanner/engine/dns_retry.h). Retries beyond 2 per timeout domain are the scanner's doing.
    world_retries = 2 * sum(1 for d in got if d in timeout_domains)
except Exception as e:
    mismatches = world_retries = None
    print("bench: cannot read %s: %s" % (db, e), file=sys.stderr)
inputs = int(inputs)
def out(name, v):
    print("%s.%s\t%s\t%s" % (tag, name, run, "n/a" if v is None else "%.6g" % v))
out("elapsed_s", elapsed)
out("domains_per_s", distinct / elapsed if elapsed and distinct is not None else None)
out("dns_qps", queries / elapsed if elapsed and queries is not None else None)
out("fetches_per_s", fetches / elapsed if elapsed and fetches is not None else None)
out("rss_mib", rss_kb / 1024 if rss_kb else None)
out("cpu_per_1k", (user + system) / inputs * 1000 if inputs else None)
out("lost", inputs - distinct if distinct is not None else None)
out("duplicated", rows - distinct if rows is not None else None)
out("status_mismatch", mismatches)
out("retries", retries)
out("excess_retries", retries - world_retries if retries is not None and world_retries is not None else None)
m = re.search(r"^smtp: (\d+) MX hosts probed, (\d+) probes saved by sharing .*?(\d+) connections",
              text, re.M)
if m:
    probed, saved, conns = (int(x) for x in m.groups())
    out("smtp_probes_per_s", conns / elapsed if elapsed else None)
    out("mx_hosts", probed)
    out("smtp_saved_share", saved / (probed + saved) if probed + saved else None)
EOF
    note "$tag run $run: $(grep -E 'domains scanned|MISMATCH|results written' "$log" | tr '\n' ' ')"
}

# --- dnsperf ----------------------------------------------------------------------------------
# The world's own measurement (scripts/world/bench_resolver.sh: the scanner's exact mix, A/AAAA
# for deployments included, cold cache) when present, else dnsperf directly.
dnsperf_once() { # dnsperf_once DIR NS QUERYFILE RUN: records dnsperf_qps
    local dir=$1 ns=$2 qf=$3 run=$4 log=$OUT/dnsperf-$run.log qps=""
    pin_servers "$ns"
    if [ -x scripts/world/bench_resolver.sh ]; then
        MTASTS_WORLD_NS=$ns client scripts/world/bench_resolver.sh --dir "$dir" --domains "$DNSPERF_N" \
            --seconds 1200 >"$log" 2>&1 || note "bench_resolver.sh run $run failed (see $log)"
        qps=$(sed -n 's/^resolver_qps_cold=\([0-9.]*\).*/\1/p' "$log" | tail -n1)
    else
        flush_cache "$dir" "$ns"
        client env MTASTS_WORLD_NS="$ns" scripts/world/world exec --dir "$dir" -- dnsperf -s 127.0.0.1 -p 53 -d "$qf" -n 1 -c 32 -T "$THREADS" \
            -q 500 -t 5 >"$log" 2>&1 || note "dnsperf run $run failed (see $log)"
        qps=$(sed -n 's/^ *Queries per second: *\([0-9.]*\).*/\1/p' "$log" | head -n1)
    fi
    record dnsperf_qps "$run" "${qps:-n/a}"
}

# --- the peer: postfix-mta-sts-resolver -------------------------------------------------------
# peer_once DIR NS LIST TAG RUN: its STSResolver over LIST (scripts/bench_peer.py), cold cache;
# records TAG.domains_per_s, TAG.cpu_per_1k, TAG.rss_mib, TAG.valid.
peer_once() {
    local dir=$1 ns=$2 list=$3 tag=$4 run=$5 log=$OUT/$4-$5.log tm=$OUT/$4-$5.time rc=0
    flush_cache "$dir" "$ns"
    pin_servers "$ns"
    client /usr/bin/time -v -o "$tm" env MTASTS_WORLD_NS="$ns" scripts/world/world exec --dir "$dir" -- \
        /usr/bin/python3 scripts/bench_peer.py "$list" --inflight "$PEER_INFLIGHT" --timeout 5 \
        --ca-file "$dir/ca.pem" >"$log" 2>"$log.err" || rc=$?
    [ "$rc" -eq 0 ] || note "peer $tag run $run exited $rc (see $log.err)"
    python3 - "$log" "$tm" "$tag" "$run" >>"$RUNS_TSV" <<'EOF'
import re, sys
log, tm, tag, run = sys.argv[1:5]
kv = dict(l.strip().split("=", 1) for l in open(log) if "=" in l)
timing = open(tm, errors="replace").read()
def grab(p):
    m = re.search(p, timing, re.M)
    return float(m.group(1)) if m else None
n = float(kv.get("peer_domains", 0) or 0)
cpu = (grab(r"User time \(seconds\): ([0-9.]+)") or 0) + (grab(r"System time \(seconds\): ([0-9.]+)") or 0)
rss = grab(r"Maximum resident set size \(kbytes\): (\d+)")
def out(name, v):
    print("%s.%s\t%s\t%s" % (tag, name, run, "n/a" if v is None else "%.6g" % v))
out("domains_per_s", float(kv["peer_domains_per_s"]) if "peer_domains_per_s" in kv else None)
out("cpu_per_1k", cpu / n * 1000 if n else None)
out("rss_mib", rss / 1024 if rss else None)
out("valid", float(kv["peer_valid"]) if "peer_valid" in kv else None)
EOF
    note "$tag run $run: $(tr '\n' ' ' <"$log")"
}

# --- TLS handshakes ---------------------------------------------------------------------------
# The handshake client: P processes, each opening new TLS connections (SNI, certificate and
# name verified against the world's CA, as the scanner does) round-robin over the policy
# hosts for SECONDS, closing each right after the handshake. Prints handshakes per second.
HANDSHAKE_PY='
import multiprocessing, socket, ssl, sys, time
ca, seconds, procs = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
targets = [l.split() for l in open(sys.argv[4]) if l.strip()]
def worker(i, q):
    ctx = ssl.create_default_context(cafile=ca)
    n, k, end = 0, i, time.monotonic() + seconds
    while time.monotonic() < end:
        host, addr = targets[k % len(targets)]
        k += procs
        try:
            with socket.create_connection((addr, 443), timeout=5) as s:
                with ctx.wrap_socket(s, server_hostname=host):
                    n += 1
        except OSError:
            pass
    q.put(n)
q = multiprocessing.Queue()
ps = [multiprocessing.Process(target=worker, args=(i, q)) for i in range(procs)]
t0 = time.monotonic()
for p in ps: p.start()
total = sum(q.get() for _ in ps)
for p in ps: p.join()
print("%.6g" % (total / (time.monotonic() - t0)))
'

handshake_once() { # handshake_once DIR NS RUN: records handshakes_per_s
    local dir=$1 ns=$2 run=$3 d addr targets=$OUT/handshake-targets.txt rate=""
    # The world's own measurement (scripts/world/bench_tls.sh: ab, new connection per request,
    # SNI per host, nginx static blocks as in the scans) when present.
    pin_servers "$ns"
    if [ -x scripts/world/bench_tls.sh ]; then
        MTASTS_WORLD_NS=$ns client scripts/world/bench_tls.sh --dir "$dir" --modes static \
            >"$OUT/tls-$run.log" 2>&1 || note "bench_tls.sh run $run failed (see $OUT/tls-$run.log)"
        rate=$(sed -n 's/^tls_handshakes_per_s_static=\([0-9.]*\).*/\1/p' "$OUT/tls-$run.log")
        record handshakes_per_s "$run" "${rate:-n/a}"
        return
    fi
    if [ ! -s "$targets" ]; then
        : >"$targets"
        for d in $(python3 -c 'import json, sys
n = 0
for l in open(sys.argv[1]):
    t = json.loads(l)
    if t["status"] == "valid" and n < 50:
        print(t["domain"]); n += 1' "$dir/truth.jsonl"); do
            addr=$(in_world "$dir" "$ns" dig +short @127.0.0.1 A "mta-sts.$d" | tail -n1)
            [ -n "$addr" ] && echo "mta-sts.$d $addr" >>"$targets"
        done
    fi
    if [ -s "$targets" ]; then
        rate=$(client env MTASTS_WORLD_NS="$ns" scripts/world/world exec --dir "$dir" -- python3 -c "$HANDSHAKE_PY" "$dir/ca.pem" 10 4 "$targets" ||
            echo n/a)
    fi
    record handshakes_per_s "$run" "${rate:-n/a}"
}

# ==============================================================================================
START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
if [ -z "${BENCH_TABLE_ONLY:-}" ] && [ "$MAIN" = 1 ]; then
note "bench world: $N domains, $RUNS runs, $THREADS threads"
world_ready "$WORLD" "$NS" "$N" bench
CLEANUP+=("world_down $NS $WORLD")
LIST=$WORLD/domains.csv
SMALL_LIST=$OUT/domains-$SMALL_N.csv
head -n "$SMALL_N" "$LIST" >"$SMALL_LIST"

# dnsperf's query file: the scanner's per-domain mix
QF=$OUT/queries-$DNSPERF_N.txt
head -n "$DNSPERF_N" "$LIST" | cut -d, -f2 |
    awk '{ print "_mta-sts." $1 " TXT"; print $1 " MX"; print "_smtp._tls." $1 " TXT" }' >"$QF"

for run in $(seq 1 "$RUNS"); do
    dnsperf_once "$WORLD" "$NS" "$QF" "$run"
    scan_once "$WORLD" "$NS" "$LIST" full "$run"
    if [ "$SMTP" = 1 ]; then
        scan_once "$WORLD" "$NS" "$LIST" smtp "$run" --checks +smtp,+dane
    fi
    scan_once "$WORLD" "$NS" "$SMALL_LIST" small "$run"
done
world_down "$NS" "$WORLD"
CLEANUP=()

if [ "$POLICY_N" -gt 0 ]; then
    note "policy-only world: $POLICY_N domains"
    world_ready "$PWORLD" "$PNS" "$POLICY_N" policy-only
    CLEANUP+=("world_down $PNS $PWORLD")
    for run in $(seq 1 "$RUNS"); do
        handshake_once "$PWORLD" "$PNS" "$run"
        scan_once "$PWORLD" "$PNS" "$PWORLD/domains.csv" policy "$run"
    done
    world_down "$PNS" "$PWORLD"
    CLEANUP=()
fi
fi # BENCH_TABLE_ONLY, BENCH_MAIN

# --- 4. the peer comparison -------------------------------------------------------------------
if [ -z "${BENCH_TABLE_ONLY:-}" ] && [ "$PEER_N" -gt 0 ]; then
    command -v mta-sts-query >/dev/null ||
        die "postfix-mta-sts-resolver not installed (scripts/install-extra-deps.sh --bench, or BENCH_PEER_N=0)"
    note "peer comparison: $PEER_N domains, latencies '$PEER_LATENCIES' ms, pinning '$PEER_PINS'"
    world_ready "$PEERWORLD" "$PEERNS" "$PEER_N" bench
    world_down "$PEERNS" "$PEERWORLD"
    PLIST=$OUT/peer-domains.csv
    python3 - "$PEERWORLD/truth.jsonl" "${BENCH_PEER_EXCLUDE-dns-timeout https-connect-timeout slow-drip}" >"$PLIST" <<'EOF'
import json, sys
skip = set(sys.argv[2].split())
for l in open(sys.argv[1]):
    t = json.loads(l)
    if t["scenario"] not in skip:
        print("%d,%s" % (t["rank"], t["domain"]))
EOF
    note "peer list: $(wc -l <"$PLIST") domains (left out: ${BENCH_PEER_EXCLUDE-dns-timeout https-connect-timeout slow-drip})"
    read -r -a peer_limits <<<"${PEER_SCAN_LIMITS[*]} ${BENCH_PEER_SCAN_ARGS:-}"
    for lat in $PEER_LATENCIES; do
        lat_args=()
        [ "$lat" != 0 ] && lat_args=(--latency "$lat")
        MTASTS_WORLD_NS=$PEERNS scripts/world/world up --dir "$PEERWORLD" "${lat_args[@]}" >&2
        CLEANUP+=("world_down $PEERNS $PEERWORLD")
        for pin in $PEER_PINS; do
            PIN=$pin
            sect=${lat}ms-$([ "$pin" = 1 ] && echo pinned || echo unpinned)
            for run in $(seq 1 "$RUNS"); do
                record "load@$sect" "$run" "$(cut -d' ' -f1 /proc/loadavg)"
                if [ -x scripts/world/bench_resolver.sh ]; then
                    MTASTS_WORLD_NS=$PEERNS client scripts/world/bench_resolver.sh --dir "$PEERWORLD" \
                        --domains "$PEER_N" --seconds 1200 >"$OUT/dnsperf@$sect-$run.log" 2>&1 ||
                        note "bench_resolver.sh $sect run $run failed"
                    record "dnsperf@$sect.qps" "$run" \
                        "$(sed -n 's/^resolver_qps_cold=\([0-9.]*\).*/\1/p' "$OUT/dnsperf@$sect-$run.log" | tail -n1)"
                    # The ceiling of the policy-only work (what the peer and --checks policy ask):
                    # dnsperf's cold queries/s over that mix, as domains/s.
                    MTASTS_WORLD_NS=$PEERNS client scripts/world/bench_resolver.sh --dir "$PEERWORLD" --mix policy \
                        --domains "$PEER_N" --seconds 1200 >"$OUT/dnsperf-policy@$sect-$run.log" 2>&1 ||
                        note "bench_resolver.sh --mix policy $sect run $run failed"
                    record "dnsperf_policy@$sect.domains_per_s" "$run" "$(python3 - "$OUT/dnsperf-policy@$sect-$run.log" <<'EOF2'
import re, sys
t = open(sys.argv[1]).read()
q = re.findall(r"^resolver_qps_cold=([0-9.]+)", t, re.M)
n = re.search(r"bench_resolver: (\d+) domains, (\d+) queries", t)
print("%.1f" % (float(q[-1]) * int(n.group(1)) / int(n.group(2))) if q and n else "n/a")
EOF2
)"
                fi
                peer_once "$PEERWORLD" "$PEERNS" "$PLIST" "peer@$sect" "$run"
                SCAN_LIMITS_NOW=("${peer_limits[@]}")
                scan_once "$PEERWORLD" "$PEERNS" "$PLIST" "mtpolicy@$sect" "$run" --checks policy
                scan_once "$PEERWORLD" "$PEERNS" "$PLIST" "mtfull@$sect" "$run"
                SCAN_LIMITS_NOW=()
            done
        done
        PIN=$PIN_MAIN
        world_down "$PEERNS" "$PEERWORLD"
        CLEANUP=()
    done
fi

# --- the table --------------------------------------------------------------------------------
# A run whose statuses differ from the ground truth for more than 0.1% of its domains measured
# a broken world (say a resolver that stopped mid-run), not the scanner: it is listed and left
# out of every median.
python3 - "$RUNS_TSV" >>"$RUNS_TSV" <<'EOF'
import sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()[1:]]
if not any(f == "invalid_run" for f, _, _ in rows):
    v = {(f, r): x for f, r, x in rows}
    for (f, r), x in sorted(v.items()):
        if f.endswith(".status_mismatch") and x != "n/a":
            tag = f.split(".")[0]
            try:
                n = float(v[(tag + ".domains_per_s", r)]) * float(v[(tag + ".elapsed_s", r)])
            except (KeyError, ValueError):
                n = 0.0
            if float(x) > max(10.0, 0.001 * n):
                print("invalid_run\t%s\t%s" % (r, tag))
EOF
# Ratios per run (scanner and baseline measured back to back), then their median: on a
# shared machine the load changes between runs, and a ratio of medians would mix runs.
python3 - "$RUNS_TSV" >>"$RUNS_TSV" <<'EOF'
import sys
v = {}
for l in open(sys.argv[1]).read().splitlines()[1:]:
    f, r, x = l.split("\t")
    if f.endswith("_ratio") or f.startswith("ratio_"):
        sys.exit(0)  # already computed (BENCH_TABLE_ONLY)
    v[(f, r)] = x
sects = sorted({f.split("@", 1)[1].split(".")[0] for f, _ in v if "@" in f})
for r in sorted({r for _, r in v}):
    for sect in sects:
        for name, a, b, k in (("ratio_policy_peer", "mtpolicy@%s.domains_per_s", "peer@%s.domains_per_s", 1),
                              ("ratio_full_peer", "mtfull@%s.domains_per_s", "peer@%s.domains_per_s", 1),
                              ("ratio_full_dnsperf3", "mtfull@%s.domains_per_s", "dnsperf@%s.qps", 3),
                              ("ratio_policy_ceiling", "mtpolicy@%s.domains_per_s", "dnsperf_policy@%s.domains_per_s", 1),
                              ("ratio_ceiling_peer", "dnsperf_policy@%s.domains_per_s", "peer@%s.domains_per_s", 1)):
            try:
                print("%s@%s\t%s\t%.4f" % (name, sect, r, float(v[(a % sect, r)]) * k / float(v[(b % sect, r)])))
            except (KeyError, ValueError, ZeroDivisionError):
                pass
    for name, a, b in (("dns_ratio", "full.dns_qps", "dnsperf_qps"),
                       ("https_ratio", "policy.fetches_per_s", "handshakes_per_s"),
                       ("rss_ratio", "full.rss_mib", "small.rss_mib"),
                       ("smtp_ratio", "smtp.elapsed_s", "full.elapsed_s")):
        try:
            print("%s\t%s\t%.4f" % (name, r, float(v[(a, r)]) / float(v[(b, r)])))
        except (KeyError, ValueError, ZeroDivisionError):
            pass
EOF
m() { median "$1"; }
HS_HOW="4 Python clients, SNI, verified"
[ -x scripts/world/bench_tls.sh ] && HS_HOW="bench_tls.sh: ab, new connection per request"
DPS=$(m full.domains_per_s)
QPS=$(m full.dns_qps)
PERF=$(m dnsperf_qps)
FPS=$(m policy.fetches_per_s)
HS=$(m handshakes_per_s)
RSS_FULL=$(m full.rss_mib)
RSS_SMALL=$(m small.rss_mib)
CPU=$(m full.cpu_per_1k)
LOST=$(python3 -c 'import sys; print(int(sum(float(x) for x in sys.argv[1:] if x != "n/a")))' \
    $(awk -F'\t' '$1 ~ /\.lost$/ {print $3}' "$RUNS_TSV"))
MISMATCH=$(python3 -c 'import sys; print(int(sum(float(x) for x in sys.argv[1:] if x != "n/a")))' \
    $(awk -F'\t' '$1 ~ /\.status_mismatch$/ {print $3}' "$RUNS_TSV"))
DUP=$(python3 -c 'import sys; print(int(sum(float(x) for x in sys.argv[1:] if x != "n/a")))' \
    $(awk -F'\t' '$1 ~ /\.duplicated$/ {print $3}' "$RUNS_TSV"))
fmt() { python3 -c 'import sys
try:
    print(format(float(sys.argv[1]), sys.argv[2]))
except ValueError:
    print(sys.argv[1])' "$1" "$2"; }

{
    echo "## mtasts benchmark ($START)"
    echo
    echo "\`BENCH_N=$N BENCH_RUNS=$RUNS BENCH_SMALL_N=$SMALL_N BENCH_POLICY_N=$POLICY_N make bench\`;" \
        "$(nproc) cores, $THREADS threads, --inflight $INFLIGHT --dns-inflight $DNS_INFLIGHT, $("$BIN" --version); medians of $RUNS runs, resolver cache flushed before each run;" \
        "$([ "$PIN" = 1 ] && echo "servers pinned to CPU $SERVER_CPU, clients (mtasts, dnsperf, handshakes) to CPU $CLIENT_CPUS" || echo "no CPU pinning (BENCH_PIN=0)")."
    echo
    if grep -q '^full\.' "$RUNS_TSV"; then
        echo "| figure | value | target |"
        echo "|---|---|---|"
        echo "| domains/s end to end ($N domains, bench mix) | $(fmt "$DPS" ,.0f) | |"
        echo "| DNS queries/s, scanner | $(fmt "$QPS" ,.0f) | |"
        echo "| DNS queries/s, dnsperf (same resolver, same mix, cold; $DNSPERF_N domains) | $(fmt "$PERF" ,.0f) | |"
        echo "| DNS ratio scanner / dnsperf (median of per-run ratios) | $(fmt "$(m dns_ratio)" .2f) | >= 0.80 |"
        echo "| policy fetches/s, scanner ($POLICY_N domains, policy-only) | $(fmt "$FPS" ,.0f) | |"
        echo "| new TLS handshakes/s, nginx ($HS_HOW) | $(fmt "$HS" ,.0f) | |"
        echo "| HTTPS ratio scanner / handshakes (median of per-run ratios) | $(fmt "$(m https_ratio)" .2f) | >= 0.70 |"
        echo "| peak RSS at $SMALL_N domains (MiB) | $(fmt "$RSS_SMALL" .1f) | |"
        echo "| peak RSS at $N domains (MiB) | $(fmt "$RSS_FULL" .1f) | < 100 |"
        echo "| RSS ratio $N / $SMALL_N (median of per-run ratios) | $(fmt "$(m rss_ratio)" .2f) | <= 1.5 |"
        echo "| CPU seconds per 1,000 domains | $(fmt "$CPU" .3f) | <= 0.05 |"
        echo "| DNS retries beyond the world's own (2 per dns-timeout domain), full scan, median | $(fmt "$(m full.excess_retries)" .0f) | 0 |"
        if [ "$SMTP" = 1 ]; then
            echo "| SMTP stage (\`--checks +smtp,+dane\`): MX hosts probed | $(fmt "$(m smtp.mx_hosts)" ,.0f) | |"
            echo "| SMTP probes (port 25 connections) per second, whole scan | $(fmt "$(m smtp.smtp_probes_per_s)" ,.1f) | |"
            echo "| share of host joins saved by sharing | $(fmt "$(m smtp.smtp_saved_share)" .2f) | |"
            echo "| scan time ratio with +smtp,+dane / without (median of per-run ratios) | $(fmt "$(m smtp_ratio)" .2f) | |"
        fi
        echo "| domains lost / duplicated (all runs) | $LOST / $DUP | 0 / 0 |"
        echo "| statuses differing from the world's ground truth (all runs) | $MISMATCH | 0 |"
        INVALID=$(awk -F'\t' '$1 == "invalid_run" {printf "%s%s (%s)", sep, $2, $3; sep=", "}' "$RUNS_TSV")
        [ -n "$INVALID" ] && echo "| runs left out of the medians (statuses differ from the truth) | $INVALID | none |"
        [ -n "${GEN_SECONDS[bench]:-}" ] && echo "| bench world generation (s) | ${GEN_SECONDS[bench]} | |"
        [ -n "${UP_SECONDS[bench]:-}" ] && echo "| bench world up (s) | ${UP_SECONDS[bench]} | |"
    fi
    echo
    if grep -q '^peer@' "$RUNS_TSV"; then
        echo
        echo "### Peer comparison: postfix-mta-sts-resolver $(dpkg-query -W -f '${Version}' postfix-mta-sts-resolver 2>/dev/null) ($(wc -l <"$OUT/peer-domains.csv") of the $PEER_N domains of a bench-mix world: the timeout scenarios left out)"
        echo
        echo "\`BENCH_PEER_N=$PEER_N BENCH_PEER_LATENCIES=\"$PEER_LATENCIES\" BENCH_PEER_PINS=\"$PEER_PINS\" BENCH_RUNS=$RUNS\`:" \
            "the peer's STSResolver with $PEER_INFLIGHT in flight (scripts/bench_peer.py) against \`mtasts scan" \
            "${PEER_SCAN_LIMITS[*]} ${BENCH_PEER_SCAN_ARGS:-}\` (default concurrency) with \`--checks policy\` (the peer's" \
            "work) and full; latency = one way to the authoritative servers and policy hosts (world up --latency);" \
            "medians of $RUNS runs, ratios are medians of per-run ratios; load = 1-minute load average at each run's start."
        echo
        python3 - "$RUNS_TSV" <<'EOF'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()[1:]]
bad = {(r, v) for f, r, v in rows if f == "invalid_run"}
def med(fig, sect):
    vals = [float(x) for f, r, x in rows if f == fig and x not in ("", "n/a")
            and not any(r == br and sect in bt for br, bt in bad)]
    return statistics.median(vals) if vals else None
def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)
sects = []
for f, _, _ in rows:
    if f.startswith("peer@"):
        s = f.split("@", 1)[1].split(".")[0]
        if s not in sects:
            sects.append(s)
print("| latency, CPUs | peer dom/s | mtasts policy dom/s | mtasts full dom/s | policy / peer (>= 3) | full / peer (>= 2 at 30 ms) | full / (dnsperf/3) (>= 0.8 at 0 ms unpinned) | resolver ceiling for the policy mix, dom/s (dnsperf) | policy / that ceiling | that ceiling / peer (the most any scanner could reach) | CPU s per 1k: peer / policy / full (full <= 0.05) | peak RSS MiB: peer / policy / full | differing from truth (full) | DNS retries beyond the world's own (full) | load |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for s in sects:
    g = lambda t, f: med("%s@%s.%s" % (t, s, f), s)
    mism = sum(float(x) for f, r, x in rows if f == "mtfull@%s.status_mismatch" % s and x != "n/a")
    loads = [x for f, r, x in rows if f == "load@" + s]
    print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s / %s / %s | %d | %s | %s |" % (
        s.replace("-", ", "), fmt(g("peer", "domains_per_s"), ",.0f"), fmt(g("mtpolicy", "domains_per_s"), ",.0f"),
        fmt(g("mtfull", "domains_per_s"), ",.0f"),
        fmt(med("ratio_policy_peer@" + s, s), ".2f"), fmt(med("ratio_full_peer@" + s, s), ".2f"),
        fmt(med("ratio_full_dnsperf3@" + s, s), ".2f"),
        fmt(g("dnsperf_policy", "domains_per_s"), ",.0f"), fmt(med("ratio_policy_ceiling@" + s, s), ".2f"),
        fmt(med("ratio_ceiling_peer@" + s, s), ".2f"),
        fmt(g("peer", "cpu_per_1k"), ".3f"), fmt(g("mtpolicy", "cpu_per_1k"), ".3f"), fmt(g("mtfull", "cpu_per_1k"), ".3f"),
        fmt(g("peer", "rss_mib"), ".0f"), fmt(g("mtpolicy", "rss_mib"), ".0f"), fmt(g("mtfull", "rss_mib"), ".0f"),
        mism, fmt(g("mtfull", "excess_retries"), ".0f"), " ".join(loads)))
EOF
    fi
    echo
    echo "Raw figures per run: build/bench/runs.tsv; scan logs: build/bench/*.log."
} | tee "$OUT/results.md"
