#!/usr/bin/env bash
# The disk fills in the middle of a scan (the database on a 400 KiB tmpfs, mounted in a private
# mount namespace): the scan stops with a clear message and a resume hint, every committed row
# stays, and --resume on a bigger disk completes with exactly one row per domain.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_DOMAINS:?}" "${MTASTS_WORLD_TRUTH:?}" "${MTASTS_WORLD_DIR:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..7"
mkdir -p "$tmp/small" "$tmp/big"
n_in=$(grep -vc '^\s*$' "$MTASTS_WORLD_DOMAINS")
net=(--resolver "$MTASTS_WORLD_RESOLVER" --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8
     --timeout 3 --connect-timeout 2 --quiet)
# In a private mount namespace: mount the small disk, scan onto it, then copy what it holds
# (database, WAL, lock) out before the namespace and its tmpfs go away.
unshare -m bash -c '
    set -u
    tmp=$1; shift
    mount --make-rprivate / && mount -t tmpfs -o size=400k tmpfs "$tmp/small" || exit 97
    scripts/world/world exec --dir "$MTASTS_WORLD_DIR" -- "$@" >"$tmp/full.out" 2>&1
    echo $? >"$tmp/full.rc"
    df -k "$tmp/small" | tail -1 >"$tmp/df"
    cp -a "$tmp/small/." "$tmp/big/"
' _ "$tmp" "$MTASTS_BIN" scan "$MTASTS_WORLD_DOMAINS" --db "$tmp/small/d.db" "${net[@]}" \
    --dns-qps 800 # slow enough (about 12 s) for several commits before the disk fills
rc=$(cat "$tmp/full.rc" 2>/dev/null || echo "?")
[ "$rc" != 0 ] && [ "$rc" != "?" ] && echo "ok - the scan stops when the disk is full (status $rc)" ||
    echo "not ok - the scan stops when the disk is full # status $rc; df $(cat "$tmp/df" 2>/dev/null)"
grep -qi 'disk is full\|no space' "$tmp/full.out" && echo "ok - the message says the disk is full" ||
    echo "not ok - the message says the disk is full # $(tail -4 "$tmp/full.out" | tr '\n' ' ')"
grep -q -- '--resume' "$tmp/full.out" && echo "ok - it says how to resume" ||
    echo "not ok - it says how to resume # $(tail -4 "$tmp/full.out" | tr '\n' ' ')"
n1=$(sqlite3 "$tmp/big/d.db" "SELECT count(*) FROM results" 2>&1)
sqlite3 "$tmp/big/d.db" "SELECT domain, status, coalesce(category, '') FROM results ORDER BY domain" >"$tmp/before" 2>/dev/null
if [ "$n1" -gt 0 ] 2>/dev/null && [ "$n1" -lt "$n_in" ]; then
    echo "ok - part of the scan was committed before the disk filled ($n1 of $n_in rows)"
else
    echo "not ok - part of the scan was committed before the disk filled # '$n1' rows of $n_in"
fi
scripts/world/world exec --dir "$MTASTS_WORLD_DIR" -- "$MTASTS_BIN" scan "$MTASTS_WORLD_DOMAINS" \
    --db "$tmp/big/d.db" "${net[@]}" --dns-qps 5000 --resume >"$tmp/resume.out" 2>&1
rc=$?
read -r rows distinct state < <(sqlite3 -separator ' ' "$tmp/big/d.db" \
    "SELECT count(*), count(DISTINCT domain), (SELECT group_concat(state) FROM scans) FROM results")
[ $rc -eq 0 ] && [ "$state" = complete ] && echo "ok - --resume on a bigger disk completes" ||
    echo "not ok - --resume on a bigger disk completes # status $rc, state '$state': $(tail -3 "$tmp/resume.out" | tr '\n' ' ')"
[ "$rows" = "$n_in" ] && [ "$distinct" = "$n_in" ] && echo "ok - exactly one row per domain ($rows)" ||
    echo "not ok - exactly one row per domain # rows $rows distinct $distinct of $n_in"
lost=$(sqlite3 "$tmp/big/d.db" "SELECT domain, status, coalesce(category, '') FROM results ORDER BY domain" |
    comm -23 "$tmp/before" - | wc -l)
[ "$lost" = 0 ] && echo "ok - every row committed before the disk filled is kept, unchanged" ||
    echo "not ok - every row committed before the disk filled is kept # $lost lost or changed"
