#!/usr/bin/env bash
# A stop while the feeder thread is inside the store: a list of bad lines read from a pipe,
# the database write-locked by another process so the feeder's batch commit waits (SQLite's
# busy sleep is a cancellation point), then SIGTERM. The scan must still end (exit 130,
# 'interrupted') with every bad line recorded, not hang on a store mutex held by a thread
# cancelled mid-write.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
echo "1..2" # the plan: tests/run fails a suite that reports another count
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
mkfifo "$tmp/in"
"${world[@]}" "$MTASTS_BIN" scan "$tmp/in" --db "$tmp/s.db" --resolver 127.0.0.1 \
    --allow-private 127.0.0.0/8 --quiet >"$tmp/out" 2>&1 &
pid=$!
pids+=("$pid")
exec 3>"$tmp/in"
for _ in $(seq 50); do
    [ "$(sqlite3 "$tmp/s.db" "SELECT count(*) FROM scans" 2>/dev/null)" = 1 ] && break
    sleep 0.1
done
python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(8)
c.execute("COMMIT")' "$tmp/s.db" "$tmp/locked" &
locker=$!
pids+=("$locker")
for _ in $(seq 50); do [ -f "$tmp/locked" ] && break; sleep 0.1; done
# 6000 bad lines: the batch (4096 rows) fills at once and the feeder commits it, waiting.
for i in $(seq 6000); do echo "bad..name$i"; done >&3
sleep 0.7
kill -TERM "$pid"
for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
    echo "not ok - a stop during a store write ends the scan # still running 20 s after SIGTERM"
    exit 0
fi
wait "$pid"
rc=$?
exec 3>&-
wait "$locker"
[ $rc -eq 130 ] && echo "ok - a stop during a store write ends the scan (exit 130)" ||
    echo "not ok - a stop during a store write ends the scan # status $rc: $(tail -3 "$tmp/out" | tr '\n' ' ')"
read -r state n < <(sqlite3 -separator ' ' "$tmp/s.db" \
    "SELECT state, (SELECT count(*) FROM input_errors) FROM scans WHERE id = 1")
read_lines=$(sed -n 's/^input: \([0-9]*\) lines.*/\1/p' "$tmp/out")
[ "$state" = interrupted ] && [ -n "$read_lines" ] && [ "$n" = "$read_lines" ] &&
    echo "ok - scan interrupted, every bad line read is recorded ($n)" ||
    echo "not ok - scan interrupted, every bad line read is recorded # state '$state', $n recorded of '$read_lines' read"
