#!/usr/bin/env bash
# Input handling through `mtasts scan`: a bad line is stored with its file and line and
# counted, a duplicate is dropped, an excluded domain is never touched, stdin works, and
# results still equal the inputs selected.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_TRUTH:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
echo "1..10" # the plan: tests/run fails a suite that reports another count
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
opts=(--resolver "$MTASTS_WORLD_RESOLVER" --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8
      --timeout 3 --connect-timeout 2 --quiet)
mapfile -t d < <(python3 -c '
import json, sys
seen = []
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["scenario"] in ("valid-enforce", "no-sts") and len(seen) < 4:
        seen.append(t["domain"])
print("\n".join(seen))' "$MTASTS_WORLD_TRUTH")
printf '%s\n' "rank,domain" "1,${d[0]}" "2,not a domain!" "3,${d[1]^^}." "4,${d[0]}" "5,${d[2]}" "6,${d[3]}" >"$tmp/list.csv"
echo "${d[3]}" >"$tmp/exclude.txt"

"${world[@]}" "$MTASTS_BIN" scan "$tmp/list.csv" --db "$tmp/i.db" --exclude "$tmp/exclude.txt" \
    "${opts[@]}" >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 0 ] && echo "ok - scan of a list with bad lines exits 0" ||
    echo "not ok - scan of a list with bad lines exits 0 # status $rc: $(tail -3 "$tmp/out" | tr '\n' ' ')"
rows=$(sqlite3 "$tmp/i.db" "SELECT group_concat(domain, ' ') FROM (SELECT domain FROM results ORDER BY rank)")
want="${d[0]} ${d[1]} ${d[2]}"
[ "$rows" = "$want" ] && echo "ok - normalised, deduplicated, excluded: 3 rows in rank order" ||
    echo "not ok - normalised, deduplicated, excluded # rows '$rows', want '$want'"
bad=$(sqlite3 "$tmp/i.db" "SELECT file || ':' || line FROM input_errors")
[ "$bad" = "$tmp/list.csv:3" ] && echo "ok - the bad line is stored with file and line" ||
    echo "not ok - the bad line is stored with file and line # got '$bad'"
read -r inv dup exc inp < <(sqlite3 -separator ' ' "$tmp/i.db" "SELECT invalid_lines, duplicates, excluded, input_domains FROM scans")
[ "$inv $dup $exc $inp" = "1 1 1 3" ] && echo "ok - scan counts: 1 invalid, 1 duplicate, 1 excluded, 3 inputs" ||
    echo "not ok - scan counts # invalid $inv duplicates $dup excluded $exc inputs $inp"
grep -q '^results written == inputs selected: 3 == 3' "$tmp/out" &&
    echo "ok - summary: results written == inputs selected (3)" ||
    echo "not ok - summary: results written == inputs selected # $(grep -i result "$tmp/out")"
grep -q '1 invalid, 1 duplicates, 1 excluded' "$tmp/out" && echo "ok - summary counts the input lines" ||
    echo "not ok - summary counts the input lines # $(grep '^input' "$tmp/out")"

printf '%s\n' "${d[0]}" "${d[1]}" | "${world[@]}" "$MTASTS_BIN" scan - --db "$tmp/s.db" "${opts[@]}" >"$tmp/out2" 2>&1
n=$(sqlite3 "$tmp/s.db" "SELECT count(*) FROM results")
[ "$n" = 2 ] && echo "ok - a list on stdin (-)" || echo "not ok - a list on stdin # $n rows: $(tail -2 "$tmp/out2")"

"${world[@]}" "$MTASTS_BIN" scan "$tmp/missing.txt" --db "$tmp/m.db" "${opts[@]}" >"$tmp/out3" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q "missing.txt" "$tmp/out3" && echo "ok - a missing list is an error naming it" ||
    echo "not ok - a missing list is an error naming it # status $rc: $(cat "$tmp/out3")"

# A named pipe (what the shell's <(zcat list.gz) gives) is read once, by the scan: no hash,
# count or estimate pass may consume it first. --exclude asks for the exact-count pass too.
mkfifo "$tmp/list.fifo"
printf '%s\n' "${d[0]}" "${d[1]}" "${d[2]}" >"$tmp/list.fifo" &
writer=$!
timeout 60 "${world[@]}" "$MTASTS_BIN" scan "$tmp/list.fifo" --db "$tmp/f.db" \
    --exclude "$tmp/exclude.txt" "${opts[@]}" >"$tmp/out4" 2>&1
rc=$?
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
read -r n sha < <(sqlite3 -separator ' ' "$tmp/f.db" \
    "SELECT (SELECT count(*) FROM results), coalesce(json_extract(inputs, '\$[0].sha256'), 'null') FROM scans")
[ $rc -eq 0 ] && [ "$n" = 3 ] && [ "$sha" = null ] &&
    echo "ok - a list from a pipe is scanned whole (3 rows, no hash)" ||
    echo "not ok - a list from a pipe is scanned whole # status $rc, $n rows, sha256 $sha: $(tail -2 "$tmp/out4" | tr '\n' ' ')"

# The resume hint is a command a shell can run: a list named with a space and a quote comes
# back as one word. (The list is a FIFO nobody writes: the scan waits in open() until stopped.)
odd="$tmp/my list's.fifo"
mkfifo "$odd"
"${world[@]}" "$MTASTS_BIN" scan "$odd" --db "$tmp/o.db" "${opts[@]}" >"$tmp/out5" 2>&1 &
pid=$!
sleep 1
kill -TERM "$pid"
wait "$pid"
rc=$?
hint=$(sed -n 's/^resume with: //p' "$tmp/out5")
eval "words=($hint)" 2>/dev/null || words=()
found=0
for w in "${words[@]}"; do [ "$w" = "$odd" ] && found=1; done
[ $rc -eq 130 ] && [ $found = 1 ] && [ "${words[-1]:-}" = --resume ] &&
    echo "ok - the resume hint quotes a list name with a space and a quote" ||
    echo "not ok - the resume hint quotes a list name with a space and a quote # status $rc, hint: $hint"
