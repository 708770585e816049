#!/usr/bin/env bash
# A full scan of the local world (the SMTP and DANE stage included) by the ASan + UBSan + LSan binary (make asan-bin; tests/run gets
# it as MTASTS_ASAN_BIN): exit 0, one row per domain, and not one sanitizer report.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_WORLD_DOMAINS:?}" "${MTASTS_WORLD_TRUTH:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
bin=${MTASTS_ASAN_BIN:-build/asan-scan/mtasts}
if [ ! -x "$bin" ]; then
    echo "1..1"
    echo "ok - world scan under ASan, UBSan and LSan # SKIP missing sanitizer binary $bin (make asan-bin)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..4"
n_in=$(grep -vc '^\s*$' "$MTASTS_WORLD_DOMAINS")
"${world[@]}" env ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=86 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 LSAN_OPTIONS=exitcode=87 \
    "$bin" scan "$MTASTS_WORLD_DOMAINS" --db "$tmp/s.db" --resolver "$MTASTS_WORLD_RESOLVER" \
    --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8 --timeout 3 --connect-timeout 2 \
    --dns-qps 5000 --threads 2 --checks +smtp:all,+dane --smtp-timeout 3 --quiet >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 0 ] && echo "ok - sanitizer build scans the world, exit 0" ||
    echo "not ok - sanitizer build scans the world, exit 0 # status $rc: $(grep -m3 -E 'ERROR|SUMMARY|runtime error' "$tmp/out" | tr '\n' ' ')"
reports=$(grep -cE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer' "$tmp/out")
[ "$reports" = 0 ] && echo "ok - zero sanitizer reports" ||
    echo "not ok - zero sanitizer reports # $reports: $(grep -m5 -E 'ERROR|runtime error|SUMMARY' "$tmp/out" | tr '\n' ' ')"
rows=$(sqlite3 "$tmp/s.db" "SELECT count(*) FROM results" 2>/dev/null)
[ "$rows" = "$n_in" ] && echo "ok - one row per domain ($rows)" || echo "not ok - one row per domain # $rows of $n_in"
# The same binary, interrupted: the stop path is checked for leaks too.
"${world[@]}" env ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:exitcode=86 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 LSAN_OPTIONS=exitcode=87 \
    "$bin" scan "$MTASTS_WORLD_DOMAINS" --db "$tmp/i.db" --resolver "$MTASTS_WORLD_RESOLVER" \
    --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8 --timeout 3 --connect-timeout 2 \
    --dns-qps 300 --threads 2 --checks +smtp,+dane --smtp-timeout 3 --quiet >"$tmp/out2" 2>&1 &
pid=$!
sleep 3
kill -TERM "$pid"
wait "$pid"
rc=$?
reports=$(grep -cE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$tmp/out2")
[ $rc -eq 130 ] && [ "$reports" = 0 ] && echo "ok - an interrupted sanitizer scan exits 130 without reports" ||
    echo "not ok - an interrupted sanitizer scan exits 130 without reports # status $rc, $reports reports: $(grep -m3 -E 'ERROR|SUMMARY|runtime error' "$tmp/out2" | tr '\n' ' ')"
