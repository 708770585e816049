#!/usr/bin/env bash
# `mtasts check --file LIST` and `mtasts check -`: a small portfolio from a file or standard
# input, without a database: every name checked once, in order, the exit status the worst.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_TRUTH:?}"
echo "1..8"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
opts=(--resolver "$MTASTS_WORLD_RESOLVER" --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8
      --timeout 3 --connect-timeout 2)
pick() { # status: the first domain of the truth with this status
    python3 -c 'import json,sys
for l in open(sys.argv[1]):
    t=json.loads(l)
    if t["status"]==sys.argv[2]: print(t["domain"]); break' "$MTASTS_WORLD_TRUTH" "$1"
}
valid=$(pick valid) invalid=$(pick invalid) none=$(pick no_policy)
printf '# my portfolio\n\n%s\n1,%s\n  %s  \n%s\n' "$valid" "$invalid" "$none" "$valid" >"$tmp/list"

"${world[@]}" "$MTASTS_BIN" check --file "$tmp/list" --json "${opts[@]}" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && echo "ok - check --file: the worst verdict (a failure) is the exit status 2" ||
    echo "not ok - check --file exit status # $rc $(cat "$tmp/err")"
python3 - "$tmp/out" "$valid" "$invalid" "$none" <<'PY' &&
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert [r["domain"] for r in rows] == sys.argv[2:5], [r["domain"] for r in rows]
assert [r["status"] for r in rows] == ["valid", "invalid", "no_policy"], [r["status"] for r in rows]
PY
    echo "ok - check --file: each name once, in list order (comments, blanks, rank,domain, a duplicate)" ||
    echo "not ok - check --file rows # $(head -c 300 "$tmp/out")"

printf '%s\n%s\n' "$none" "$valid" | "${world[@]}" "$MTASTS_BIN" check - "${opts[@]}" --json >"$tmp/out2" 2>"$tmp/err"
rc=$?
n=$(grep -c '"domain"' "$tmp/out2")
[ $rc -eq 2 ] && [ "$n" = 2 ] && echo "ok - check - reads the names from standard input" ||
    echo "not ok - check - # rc $rc, $n rows, $(cat "$tmp/err")"

printf '%s\n' "$valid" >"$tmp/one"
"${world[@]}" "$MTASTS_BIN" check "$invalid" --file "$tmp/one" "${opts[@]}" --json >"$tmp/out3" 2>&1
python3 -c 'import json,sys; d=[json.loads(l)["domain"] for l in open(sys.argv[1]) if l.strip()]; assert d==sys.argv[2:], d' \
    "$tmp/out3" "$invalid" "$valid" && echo "ok - arguments first, then the list" ||
    echo "not ok - arguments and list # $(head -c 300 "$tmp/out3")"

"${world[@]}" "$MTASTS_BIN" check --file "$tmp/one" "${opts[@]}" >"$tmp/text" 2>&1
rc=$?
[ $rc -le 1 ] && grep -q "$valid" "$tmp/text" && echo "ok - a list of one valid domain passes (text output)" ||
    echo "not ok - one valid domain # rc $rc $(head -5 "$tmp/text")"

: >"$tmp/empty"
"$MTASTS_BIN" check --file "$tmp/empty" >"$tmp/o" 2>"$tmp/e"
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 1 ] && [ $rc -ne 2 ] && grep -q "holds no domain name" "$tmp/e" &&
    echo "ok - an empty list is refused with its name ($rc)" || echo "not ok - empty list # $rc $(cat "$tmp/e")"
"$MTASTS_BIN" check --file "$tmp/missing" >"$tmp/o" 2>"$tmp/e"
rc=$?
grep -q "cannot read $tmp/missing" "$tmp/e" && [ $rc -ne 0 ] &&
    echo "ok - a missing list names the file" || echo "not ok - missing list # $rc $(cat "$tmp/e")"
printf 'good.example\nnot a domain!\n' >"$tmp/bad"
"$MTASTS_BIN" check --file "$tmp/bad" >"$tmp/o" 2>"$tmp/e"
rc=$?
grep -q "'not a domain!' is not a domain name" "$tmp/e" && [ $rc -ne 0 ] &&
    echo "ok - a bad name in the list is refused by name" || echo "not ok - bad name # $rc $(cat "$tmp/e")"
exit 0
