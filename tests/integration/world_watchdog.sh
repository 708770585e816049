#!/usr/bin/env bash
# tests/run watches the world between integration suites: in a throwaway world (its own
# namespace and folder, a small generated world), a fake suite kills NSD; the runner names
# the dead server in one line, counts it as one failure, brings the world up again, and the
# next fake suite finds NSD answering. The outer world is not touched.
set -u
cd "$(dirname "$0")/../.."
ns="${MTASTS_WORLD_NS:-mtasts-world}-wd"
dir=$(mktemp -d /tmp/mtasts-watchdog.XXXXXX)
chmod 755 "$dir" # the servers' own users (postfix, nobody) walk into it
tmp=$(mktemp -d)
cleanup() {
    MTASTS_WORLD_NS=$ns scripts/world/world down --dir "$dir" >/dev/null 2>&1
    rm -rf "$dir" "$tmp"
}
trap cleanup EXIT
echo "1..5"

MTASTS_WORLD_NS=$ns scripts/world/world gen --n 100 --dir "$dir" >"$tmp/gen.log" 2>&1 ||
    echo "world gen failed: $(tail -2 "$tmp/gen.log")"
mkdir -p "$tmp/suites" "$tmp/nobuild"
cat >"$tmp/suites/wd_a_kill.sh" <<'SH'
echo "1..1"
pid=$(tr -dc 0-9 <"$MTASTS_WORLD_DIR/run/nsd.pid")
kill "$pid" && for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && echo "not ok - nsd killed # still running" || echo "ok - nsd killed"
SH
cat >"$tmp/suites/wd_b_answers.sh" <<SH
echo "1..1"
a=\$(scripts/world/world exec --dir "\$MTASTS_WORLD_DIR" -- dig +short +norec +time=2 +tries=1 @127.0.0.2 NS test. 2>&1)
[ -n "\$a" ] && echo "ok - nsd answers in the next suite" || echo "not ok - nsd answers in the next suite # '\$a'"
SH

t0=$(date +%s%N)
MTASTS_RUN_INNER=1 MTASTS_BUILD=$tmp/nobuild MTASTS_WORLD_NS=$ns MTASTS_WORLD_DIR=$dir \
    MTASTS_INTEGRATION_DIR=$tmp/suites tests/run wd_ >"$tmp/run.log" 2>&1
ms=$((($(date +%s%N) - t0) / 1000000))
lines=$(grep -c '^not ok - world # nsd died during or after suite wd_a_kill: restarting the world' "$tmp/run.log")
[ "$lines" = 1 ] && echo "ok - the runner names the dead server in one line (nsd after wd_a_kill)" ||
    echo "not ok - the runner names the dead server in one line # $lines lines: $(grep -v '^$' "$tmp/run.log" | tail -8 | tr '\n' ' ')"
grep -q '^== world restarted: up: namespace' "$tmp/run.log" && grep -q '^ok - nsd answers in the next suite' "$tmp/run.log" &&
    echo "ok - the world is brought up again and the next suite finds NSD answering" ||
    echo "not ok - the world is brought up again and the next suite finds NSD answering # $(grep -v '^$' "$tmp/run.log" | tail -8 | tr '\n' ' ')"
last=$(tail -1 "$tmp/run.log")
[ "$last" = "2 passed, 1 failed, 0 skipped" ] && echo "ok - the dead server counts as one failure ($last, ${ms} ms)" ||
    echo "not ok - the dead server counts as one failure # '$last'"
grep -q '^  world: nsd died during or after suite wd_a_kill' "$tmp/run.log" &&
    echo "ok - it is listed under failures" || echo "not ok - it is listed under failures # $(sed -n '/^== failures/,$p' "$tmp/run.log" | tr '\n' ' ')"
# the runner's own world (this suite's caller) is untouched
if [ -n "${MTASTS_WORLD_DIR:-}" ]; then
    scripts/world/world alive --dir "$MTASTS_WORLD_DIR" >"$tmp/outer" 2>&1 &&
        echo "ok - the outer world is untouched" || echo "not ok - the outer world is untouched # $(cat "$tmp/outer")"
else
    echo "ok - the outer world is untouched # SKIP no MTASTS_WORLD_DIR (run outside tests/run)"
fi
