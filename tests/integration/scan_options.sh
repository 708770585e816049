#!/usr/bin/env bash
# Scan options that change what is asked: --probe-orphans finds a policy served without its
# TXT record, --checks +apex finds a record published at the apex, --checks policy asks
# neither MX nor TLS-RPT. Each compared with the truth's with_options overrides.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_TRUTH:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
echo "1..10" # the plan: tests/run fails a suite that reports another count
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
opts=(--resolver "$MTASTS_WORLD_RESOLVER" --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8
      --timeout 3 --connect-timeout 2 --dns-qps 5000 --quiet)
# A sample: every scenario with options of its own, and a few ordinary ones around them.
python3 - "$MTASTS_WORLD_TRUTH" >"$tmp/list" <<'PY'
import json, sys
per = {}
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["scenario"] in ("orphan-policy", "txt-at-apex") or len(per.setdefault(t["scenario"], [])) < 1:
        per.setdefault(t["scenario"], []).append(t["domain"])
for ds in per.values():
    print("\n".join(ds))
PY
fields=status,category,warnings,tlsrpt
run() { # label db option... -- compare options...
    local label=$1 db=$2
    shift 2
    local scan_opts=() cmp_opts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do scan_opts+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    cmp_opts=("$@")
    "${world[@]}" "$MTASTS_BIN" scan "$tmp/list" --db "$db" "${opts[@]}" "${scan_opts[@]}" >"$tmp/out" 2>&1 ||
        echo "not ok - $label: scan exits 0 # $(tail -2 "$tmp/out" | tr '\n' ' ')"
    python3 tests/integration/compare_truth.py "$db" "$MTASTS_WORLD_TRUTH" --only "$tmp/list" \
        --fields "$fields" "${cmp_opts[@]}" | grep -v '^ok - scenario' | sed "s/^\(not \)\?ok - /&$label: /"
    # Every scenario line is summarised in one: failures are shown above.
    local bad
    bad=$(python3 tests/integration/compare_truth.py "$db" "$MTASTS_WORLD_TRUTH" --only "$tmp/list" \
        --fields "$fields" "${cmp_opts[@]}" | grep -c '^not ok')
    [ "$bad" -eq 0 ] && echo "ok - $label: every scenario agrees with the truth"
}
run "--probe-orphans" "$tmp/p.db" --probe-orphans -- --with-option=--probe-orphans
n=$(sqlite3 "$tmp/p.db" "SELECT count(*) FROM results WHERE domain LIKE 'orphan-policy-%' AND https_outcome = 'ok' AND policy_mode IS NOT NULL")
[ "$n" -ge 1 ] && echo "ok - --probe-orphans fetched the orphan policies ($n)" ||
    echo "not ok - --probe-orphans fetched the orphan policies # $n"
run "--checks +apex" "$tmp/a.db" --checks +apex -- "--with-option=--checks +apex"
# Without the MX lookup, coverage is unknown (mx_not_covered cannot be seen) and a name that
# does not exist cannot be told from one without a policy: compare the rest.
python3 - "$MTASTS_WORLD_TRUTH" "$tmp/list" >"$tmp/list-nomx" <<'PY'
import json, sys
want = {l.strip() for l in open(sys.argv[2]) if l.strip()}
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["domain"] in want and t["category"] != "mx_not_covered" and t["status"] != "domain_nxdomain":
        print(t["domain"])
PY
cp "$tmp/list-nomx" "$tmp/list"
run "--checks policy" "$tmp/c.db" --checks policy -- --fields status,category
asked=$(sqlite3 "$tmp/c.db" "SELECT group_concat(DISTINCT coalesce(mx_outcome, 'null') || '/' || coalesce(tlsrpt_outcome, 'null')) FROM results")
case "$asked" in
*ok*|*nodata*|*nxdomain*) echo "not ok - --checks policy asks neither MX nor TLS-RPT # $asked" ;;
*) echo "ok - --checks policy asks neither MX nor TLS-RPT ($asked)" ;;
esac

# --keep-certs: the chain the server sent is stored (PEM artifact) for every fetched host.
"${world[@]}" "$MTASTS_BIN" scan "$tmp/list" --db "$tmp/k.db" "${opts[@]}" --keep-certs >"$tmp/out" 2>&1
read -r fetched kept < <(sqlite3 -separator ' ' "$tmp/k.db" "SELECT count(*), count(b.id) FROM results r
    LEFT JOIN blobs b ON b.id = r.cert_blob AND b.kind = 'cert' AND b.raw_size > 500
    WHERE r.cert_chain_len > 0")
[ "$fetched" -gt 0 ] && [ "$fetched" = "$kept" ] && echo "ok - --keep-certs stores the chain of all $fetched hosts that sent one" ||
    echo "not ok - --keep-certs stores the chain of every host that sent one # $kept of $fetched"
opt=$(sqlite3 "$tmp/k.db" "SELECT json_extract(options, '$.keep_certs') FROM scans")
[ "$opt" = 1 ] && echo "ok - --keep-certs recorded with the scan" || echo "not ok - --keep-certs recorded with the scan # '$opt'"
