#!/usr/bin/env bash
# The world scanned as 3 shard processes (scripts/cluster/local-shards.sh) and merged equals one
# unsharded scan of it, row for row apart from timings; the shards are balanced and disjoint.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_DOMAINS:?}" "${MTASTS_WORLD_RESOLVER:?}" "${MTASTS_WORLD_CA:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
echo "1..15" # the plan: tests/run fails a suite that reports another count
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
opts=(--resolver "$MTASTS_WORLD_RESOLVER" --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8
      --timeout 3 --connect-timeout 2 --dns-qps 3000 --quiet)
n_in=$(grep -c '[^[:space:]]' "$MTASTS_WORLD_DOMAINS")
N=3

ok() { echo "ok - $1"; }
notok() { echo "not ok - $1 # $2"; }
check() { if eval "$2"; then ok "$1"; else notok "$1" "$3"; fi; }

"${world[@]}" "$MTASTS_BIN" scan "$MTASTS_WORLD_DOMAINS" --db "$tmp/ref.db" "${opts[@]}" >"$tmp/ref.log" 2>&1
rc=$?
check "the unsharded reference scan exits 0" '[ $rc -eq 0 ]' "status $rc: $(tail -2 "$tmp/ref.log" | tr '\n' ' ')"

# The shards are interrupted once (TERM to the runner, as Ctrl-C would), then the same
# command is run again: it resumes each shard and merges.
runner=("${world[@]}" env MTASTS="$MTASTS_BIN" scripts/cluster/local-shards.sh --out "$tmp/merged.db"
        --work "$tmp/shards" "$N" "$MTASTS_WORLD_DOMAINS" -- "${opts[@]}")
"${runner[@]}" >"$tmp/shards1.log" 2>&1 &
rpid=$!
sleep 2
kill -TERM "$rpid"
wait "$rpid"
rc=$?
partial=0
for ((i = 0; i < N; i++)); do
    c=$(sqlite3 "$tmp/shards/shard-$i.db" "SELECT count(*) FROM results" 2>/dev/null)
    partial=$((partial + ${c:-0}))
done
check "an interrupted local-shards.sh stops every shard, merges nothing, says how to resume" \
    '[ $rc -eq 1 ] && grep -q "rerun the same command" "$tmp/shards1.log" && [ ! -e "$tmp/merged.db" ] && [ "${partial:-0}" -gt 0 ] && [ "${partial:-0}" -lt "$n_in" ]' \
    "status $rc, $partial rows so far: $(tail -3 "$tmp/shards1.log" | tr '\n' ' ')"
"${runner[@]}" >"$tmp/shards.log" 2>&1
rc=$?
check "rerunning it resumes the $N shards and merges them" \
    '[ $rc -eq 0 ] && [ "$(grep -c "finished:" "$tmp/shards.log")" -ge 1 ]' \
    "status $rc: $(tail -3 "$tmp/shards.log" | tr '\n' ' ')"

"${world[@]}" env MTASTS="$MTASTS_BIN" scripts/cluster/local-shards.sh --out "$tmp/merged.db" \
    --work "$tmp/shards" "$N" "$MTASTS_WORLD_DOMAINS" -- "${opts[@]}" >"$tmp/again.log" 2>&1
rc=$?
check "rerunning local-shards.sh after the merge changes nothing" \
    '[ $rc -eq 0 ] && grep -q "already merged" "$tmp/again.log" && [ "$(sqlite3 "$tmp/merged.db" "SELECT count(*) FROM scans")" = 1 ]' \
    "status $rc: $(tail -2 "$tmp/again.log" | tr '\n' ' ')"

python3 - "$tmp" "$N" "$n_in" <<'EOF'
import json, re, sqlite3, sys

tmp, n, n_in = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def ok(name, cond, why=""):
    print(("ok - %s" % name) if cond else ("not ok - %s # %s" % (name, why)))

# shards: balanced and disjoint, each marked with its index
sizes, seen, overlap = [], set(), 0
for i in range(n):
    db = sqlite3.connect("%s/shards/shard-%d.db" % (tmp, i))
    idx, cnt, state = db.execute("SELECT shard_index, shard_count, state FROM scans").fetchone()
    ok("shard %d records --shard %d/%d, complete" % (i, i, n), (idx, cnt, state) == (i, n, "complete"),
       "got %r" % ((idx, cnt, state),))
    doms = {r[0] for r in db.execute("SELECT domain FROM results")}
    overlap += len(doms & seen)
    seen |= doms
    sizes.append(len(doms))
ok("the shards are disjoint", overlap == 0, "%d domains in two shards" % overlap)
ok("the shards cover every input domain", len(seen) == n_in, "%d of %d" % (len(seen), n_in))
ok("the shards are balanced (each within 15%% of %d)" % (n_in // n),
   all(abs(s - n_in / n) <= 0.15 * n_in / n for s in sizes), "sizes %r" % sizes)

# the merged scan against the reference, row for row
TIMING = {"scan_id", "scanned_at", "time_dns_ms", "time_connect_ms", "time_tls_ms", "time_total_ms"}
BLOBS = {"txt_blob", "tlsrpt_blob", "policy_blob", "cert_blob"}

# Two unsharded scans of the world already differ in two ways, neither about sharding: a DNS
# lookup of a blackholed server ends as 'timeout', 'error' or 'servfail' from run to run (the
# scanner's timer or the resolver's gives up first; status dns_error either way), and curl's
# error text quotes elapsed milliseconds. Both are normalised, and counted in a note.
DNS_FAIL = ("timeout", "error", "servfail")
noise = [0]
def norm(k, v):
    if isinstance(v, str):
        if k.endswith("_outcome") and v in DNS_FAIL:
            noise[0] += v != "timeout"
            return "dns-failure"
        if k == "detail":
            return re.sub(r": (timeout|error|servfail)$", ": dns-failure", v)
        if k == "https_error":
            return re.sub(r"\d+", "N", v)
    return v

def rows(path):
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    scan = db.execute("SELECT id FROM scans ORDER BY id DESC LIMIT 1").fetchone()[0]
    sha = {r[0]: r[1] for r in db.execute("SELECT id, hex(sha256) FROM blobs")}
    out = {}
    for r in db.execute("SELECT * FROM results WHERE scan_id = ?", (scan,)):
        d = {}
        for k in r.keys():
            if k in TIMING:
                continue
            d[k] = sha.get(r[k]) if k in BLOBS else norm(k, r[k])
        out[r["domain"]] = d
    return db, scan, out

mdb, mscan, merged = rows("%s/merged.db" % tmp)
_, _, ref = rows("%s/ref.db" % tmp)
ok("the merged scan has one row per input domain", len(merged) == n_in, "%d rows" % len(merged))
diffs = []
for dom in sorted(set(ref) | set(merged)):
    a, b = ref.get(dom), merged.get(dom)
    if a is None or b is None:
        diffs.append("%s only in %s" % (dom, "merged" if a is None else "reference"))
        continue
    for k in a:
        if a[k] != b[k]:
            diffs.append("%s.%s: reference %r, merged %r" % (dom, k, a[k], b[k]))
print("# normalised as world noise: %d DNS failures recorded as 'error' or 'servfail' (vs "
      "'timeout'), elapsed ms in https_error" % noise[0])
ok("merged rows equal the unsharded scan's, row for row (timings aside)", not diffs,
   "%d differences, e.g. %s" % (len(diffs), "; ".join(diffs[:5])))
st = mdb.execute("SELECT state, input_domains, json_array_length(merged_from), shard_count IS NULL "
                 "FROM scans WHERE id = ?", (mscan,)).fetchone()
ok("the merged scan is complete, counts %d domains, lists %d shards" % (n_in, n),
   tuple(st) == ("complete", n_in, n, 1), "got %r" % (tuple(st),))
dup = mdb.execute("SELECT count(*) - count(DISTINCT sha256) FROM blobs").fetchone()[0]
ok("artifacts stay deduplicated in the merged database", dup == 0, "%d duplicates" % dup)
EOF

# export of both scans agrees too (the user-facing view of the same rows)
for x in ref merged; do
    "$MTASTS_BIN" export --db "$tmp/$x.db" --format jsonl -o "$tmp/$x.jsonl" 2>"$tmp/export-$x.log"
done
python3 - "$tmp/ref.jsonl" "$tmp/merged.jsonl" <<'EOF'
import json, re, sys
drop = {"scanned_at", "time_dns_ms", "time_connect_ms", "time_tls_ms", "time_total_ms"}
def norm(k, v):  # the same world noise as above
    if isinstance(v, str):
        if k.endswith("_outcome") and v in ("timeout", "error", "servfail"):
            return "dns-failure"
        if k == "detail":
            return re.sub(r": (timeout|error|servfail)$", ": dns-failure", v)
        if k == "https_error":
            return re.sub(r"\d+", "N", v)
    return v
def load(p):
    return [{k: norm(k, v) for k, v in json.loads(l).items() if k not in drop} for l in open(p)]
a, b = load(sys.argv[1]), load(sys.argv[2])
same = a == b
why = "" if same else "first difference at record %d" % next(
    (i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
print(("ok - %s" if same else "not ok - %s # " + why) % "exports of the merged and the unsharded scan are identical (timings aside)")
EOF
