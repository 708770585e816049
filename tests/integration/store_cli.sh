#!/usr/bin/env bash
# `mtasts export` and `mtasts merge` from the command line: outputs, exit codes, and bad
# databases refused with a message naming the file, which is left byte-identical.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_DOMAINS:?}" "${MTASTS_WORLD_RESOLVER:?}" "${MTASTS_WORLD_CA:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
echo "1..16" # the plan: tests/run fails a suite that reports another count
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok - $1"; }
notok() { echo "not ok - $1 # $2"; }
check() { if eval "$2"; then ok "$1"; else notok "$1" "$3"; fi; }
M=$MTASTS_BIN

head -n 60 "$MTASTS_WORLD_DOMAINS" >"$tmp/list.csv"
"${world[@]}" "$M" scan "$tmp/list.csv" --db "$tmp/s.db" --resolver "$MTASTS_WORLD_RESOLVER" \
    --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8 --timeout 3 --quiet >"$tmp/scan.log" 2>&1
check "a small scan to export" '[ "$(sqlite3 "$tmp/s.db" "SELECT count(*) FROM results")" = 60 ]' \
    "$(tail -2 "$tmp/scan.log")"

# export
"$M" export --db "$tmp/s.db" >"$tmp/out.csv" 2>"$tmp/err"
rc=$?
check "export writes CSV to stdout by default" \
    '[ $rc -eq 0 ] && head -1 "$tmp/out.csv" | grep -q "^domain,rank,status,category," && [ "$(python3 -c "import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1])))-1)" "$tmp/out.csv")" = 60 ]' \
    "status $rc, $(head -c 200 "$tmp/err")"
"$M" export --db "$tmp/s.db" --format jsonl --zstd -o "$tmp/out.jsonl.zst" 2>"$tmp/err"
rc=$?
check "export --format jsonl --zstd -o FILE" \
    '[ $rc -eq 0 ] && [ "$(zstd -dc "$tmp/out.jsonl.zst" | python3 -c "import json,sys; print(sum(1 for l in sys.stdin if json.loads(l)))")" = 60 ]' \
    "status $rc, $(head -c 200 "$tmp/err")"
check "export -o leaves no temporary file" '[ -z "$(ls "$tmp" | grep "\.tmp\.")" ]' "$(ls "$tmp")"
"$M" export --db "$tmp/s.db" --format xml >/dev/null 2>"$tmp/err"
rc=$?
check "an unknown format is a usage error (status 2)" '[ $rc -eq 2 ] && grep -q "csv or jsonl" "$tmp/err"' \
    "status $rc: $(head -c 200 "$tmp/err")"
"$M" export --db "$tmp/s.db" --scan 7 -o "$tmp/none.csv" 2>"$tmp/err"
rc=$?
check "exporting a missing scan fails and writes no file" \
    '[ $rc -eq 1 ] && grep -q "no scan 7" "$tmp/err" && [ ! -e "$tmp/none.csv" ]' "status $rc: $(head -c 200 "$tmp/err")"
"$M" export --db "$tmp/missing.db" 2>"$tmp/err" >/dev/null
rc=$?
check "a missing database is named" '[ $rc -eq 1 ] && grep -q "missing.db: no such database" "$tmp/err"' \
    "status $rc: $(head -c 200 "$tmp/err")"
check "and not created" '[ ! -e "$tmp/missing.db" ]' "created"

# bad databases: clear error naming the file, the file untouched
printf 'rank,domain\n1,example.com\n' >"$tmp/list.db"
sqlite3 "$tmp/newer.db" "PRAGMA application_id = 1297371988; PRAGMA user_version = 9; CREATE TABLE t(x)"
for f in list newer; do
    before=$(sha256sum <"$tmp/$f.db")
    "$M" export --db "$tmp/$f.db" >/dev/null 2>"$tmp/err-export-$f"
    rc1=$?
    "${world[@]}" "$M" scan "$tmp/list.csv" --db "$tmp/$f.db" --resolver "$MTASTS_WORLD_RESOLVER" \
        --allow-private 127.0.0.0/8 --quiet >/dev/null 2>"$tmp/err-scan-$f"
    rc2=$?
    after=$(sha256sum <"$tmp/$f.db")
    case $f in list) want="not an SQLite database" ;; newer) want="newer than this mtasts" ;; esac
    check "export and scan refuse the $f file, naming it" \
        '[ $rc1 -ne 0 ] && [ $rc2 -ne 0 ] && grep -q "$f.db.*$want" "$tmp/err-export-$f" && grep -q "$f.db.*$want" "$tmp/err-scan-$f"' \
        "statuses $rc1 $rc2: $(head -c 200 "$tmp/err-export-$f") / $(head -c 200 "$tmp/err-scan-$f")"
    check "the $f file is left byte-identical" '[ "$before" = "$after" ] && [ ! -e "$tmp/$f.db-wal" ]' "changed"
done

# merge
"$M" merge "$tmp/m.db" 2>"$tmp/err"
rc=$?
check "merge without shards is a usage error" '[ $rc -eq 2 ]' "status $rc"
"$M" merge "$tmp/m.db" "$tmp/s.db" 2>"$tmp/err"
rc=$?
check "merging an unsharded scan is refused, naming it" \
    '[ $rc -eq 1 ] && grep -q "s.db: scan 1 is not a shard" "$tmp/err" && [ ! -e "$tmp/m.db" ]' \
    "status $rc: $(head -c 300 "$tmp/err")"
for i in 0 1; do
    "${world[@]}" "$M" scan "$tmp/list.csv" --shard "$i/2" --db "$tmp/p$i.db" --resolver "$MTASTS_WORLD_RESOLVER" \
        --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8 --timeout 3 --quiet >/dev/null 2>&1
done
"$M" merge "$tmp/m.db" "$tmp/p0.db" "$tmp/p1.db" 2>"$tmp/err"
rc=$?
check "merge of two shards reports the merged scan" \
    '[ $rc -eq 0 ] && grep -q "2 shards merged into scan 1 of .*m.db: 60 results for 60 input domains, state complete" "$tmp/err"' \
    "status $rc: $(head -c 300 "$tmp/err")"
"$M" merge "$tmp/m2.db" "$tmp/p0.db" 2>"$tmp/err"
rc=$?
check "a missing shard is named" '[ $rc -eq 1 ] && grep -q "missing shard(s) 1 of 0..1" "$tmp/err"' \
    "status $rc: $(head -c 300 "$tmp/err")"
