#!/usr/bin/env bash
# Runs a scan as N shard processes on this machine, then merges them: the cluster path, locally.
#
# Usage: scripts/cluster/local-shards.sh [--out DB] [--work DIR] N LIST... [-- SCAN-OPTIONS...]
#
#   N            number of shards (processes); each runs `mtasts scan LIST... --shard I/N
#                --db DIR/shard-I.db SCAN-OPTIONS...` in the background
#   --out DB     merged database (default mtasts.db); the merged scan is appended to it
#   --work DIR   where the shard databases and logs go (default shards/)
#
# Rerunning the same command after a failure or a kill continues: shards that finished
# (DIR/shard-I.done) are skipped, shards with a database are resumed with --resume, and the
# merge runs once every shard finished. The exit status is 0 when the merge ran, 1 when a
# shard failed (see DIR/shard-I.log), 2 on a usage error.
# Environment: MTASTS, the mtasts binary (default: mtasts from PATH, else ./mtasts).
set -u

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "local-shards: $*" >&2; exit 2; }

out=mtasts.db
work=shards
while [ $# -gt 0 ]; do
    case "$1" in
    --out) [ $# -ge 2 ] || die "--out needs a file"; out=$2; shift 2 ;;
    --work) [ $# -ge 2 ] || die "--work needs a directory"; work=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) break ;;
    esac
done
[ $# -ge 2 ] || { usage >&2; exit 2; }
n=$1
shift
case "$n" in '' | *[!0-9]*) die "N must be a number of shards, not '$n'" ;; esac
[ "$n" -ge 1 ] && [ "$n" -le 1024 ] || die "N must be between 1 and 1024"
lists=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do lists+=("$1"); shift; done
[ $# -gt 0 ] && shift
scan_opts=("$@")
[ ${#lists[@]} -gt 0 ] || die "no domain list given"
for o in "${scan_opts[@]}"; do
    case "$o" in --db | --db=* | --shard | --shard=* | --resume) die "$o is set per shard by this script" ;; esac
done

bin=${MTASTS:-}
if [ -z "$bin" ]; then
    if command -v mtasts >/dev/null; then bin=mtasts; else bin=./mtasts; fi
fi
mkdir -p "$work" || die "cannot create $work"
if [ -f "$work/merged" ]; then
    echo "local-shards: $work was already merged into $(cat "$work/merged"); remove $work to scan again" >&2
    exit 0
fi

pids=()
ids=()
for ((i = 0; i < n; i++)); do
    db=$work/shard-$i.db
    if [ -f "$work/shard-$i.done" ]; then
        echo "local-shards: shard $i/$n already finished" >&2
        continue
    fi
    resume=()
    [ -f "$db" ] && resume=(--resume)
    "$bin" scan "${lists[@]}" --shard "$i/$n" --db "$db" "${resume[@]}" "${scan_opts[@]}" \
        >"$work/shard-$i.log" 2>&1 &
    pids+=($!)
    ids+=("$i")
done
# Ctrl-C / TERM reach every shard; each marks its scan interrupted and can be resumed.
trap 'kill -TERM "${pids[@]}" 2>/dev/null' INT TERM

failed=0
for k in "${!pids[@]}"; do
    i=${ids[$k]}
    wait "${pids[$k]}"
    rc=$?
    # a trapped signal interrupts `wait`: keep waiting until the shard has really exited
    while [ $rc -gt 128 ] && kill -0 "${pids[$k]}" 2>/dev/null; do
        wait "${pids[$k]}"
        rc=$?
    done
    if [ $rc -eq 0 ]; then
        touch "$work/shard-$i.done"
        echo "local-shards: shard $i/$n finished: $(grep -m1 'results written' "$work/shard-$i.log")" >&2
    else
        failed=1
        echo "local-shards: shard $i/$n failed with status $rc: $(tail -n 2 "$work/shard-$i.log" | tr '\n' ' ')" >&2
    fi
done
if [ $failed -ne 0 ]; then
    echo "local-shards: not merging; rerun the same command to resume the failed shards" >&2
    exit 1
fi

dbs=()
for ((i = 0; i < n; i++)); do dbs+=("$work/shard-$i.db"); done
"$bin" merge "$out" "${dbs[@]}" || exit 1
echo "$out" >"$work/merged"
