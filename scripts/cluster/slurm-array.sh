#!/bin/bash
# Slurm array job: one `mtasts scan --shard I/N` per array task, each into its own database.
#
# Submit (N = 100 shards, at most 20 running at once), then merge when all succeeded:
#   jid=$(sbatch --parsable --array=0-99%20 --export=ALL,LIST=/shared/tranco.csv.zst,SHARDS=100,OUTDIR=/shared/shards scripts/cluster/slurm-array.sh)
#   sbatch --dependency=afterok:$jid --wrap 'mtasts merge /shared/survey.db /shared/shards/shard-*.db'
#
# SQLite's WAL needs a local filesystem (not NFS/Lustre): the database is written on the
# node's scratch disk and copied to OUTDIR when the scan ends, is interrupted (SIGTERM at the
# time limit or on preemption: Slurm sends it, the scanner commits and marks the scan
# interrupted) or fails. A requeued task copies it back and continues with --resume.
#SBATCH --job-name=mtasts-scan
#SBATCH --cpus-per-task=2
#SBATCH --mem=1G
#SBATCH --time=24:00:00
#SBATCH --signal=B:TERM@120
#SBATCH --requeue
#SBATCH --output=mtasts-%A_%a.log
set -euo pipefail

: "${SLURM_ARRAY_TASK_ID:?submit with sbatch --array=0-(N-1)}"
: "${LIST:?set LIST to the domain list (sbatch --export=ALL,LIST=...)}"
N=${SHARDS:-${SLURM_ARRAY_TASK_COUNT:?set SHARDS=N}}
I=$SLURM_ARRAY_TASK_ID
OUTDIR=${OUTDIR:-$PWD/shards}
MTASTS=${MTASTS:-mtasts}
SCRATCH=${SLURM_TMPDIR:-${TMPDIR:-/tmp}}/mtasts-$SLURM_JOB_ID-$I
mkdir -p "$OUTDIR" "$SCRATCH"

final=$OUTDIR/shard-$I.db
db=$SCRATCH/shard-$I.db
[ -f "$OUTDIR/shard-$I.done" ] && { echo "shard $I/$N already finished"; exit 0; }
resume=()
if [ -f "$final" ]; then
    cp "$final" "$db"
    # This copy has no live writer: a lock in it is from an attempt killed on another node
    # (the scanner only takes over stale locks of its own host). Drop it so --resume works.
    sqlite3 "$db" "DELETE FROM scan_lock" || { echo "sqlite3 is needed to resume $db" >&2; exit 1; }
    resume=(--resume)
fi

# Copy the database back however the scan ends. A clean exit leaves no WAL; after a crash,
# fold the committed rows still in FILE-wal into the file first, so the copy has them.
save() {
    [ -f "$db" ] || return 0
    [ -s "$db-wal" ] && sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
    cp "$db" "$final.tmp" && mv "$final.tmp" "$final"
}
scan=
trap '[ -n "$scan" ] && kill -TERM "$scan" 2>/dev/null && wait "$scan"; save; exit 143' TERM

"$MTASTS" scan "$LIST" --shard "$I/$N" --db "$db" "${resume[@]}" --quiet ${SCAN_OPTIONS:-} &
scan=$!
status=0
wait "$scan" || status=$?
save
[ "$status" -eq 0 ] && touch "$OUTDIR/shard-$I.done"
rm -rf "$SCRATCH"
exit "$status"
