#!/usr/bin/env bash
# A real single-node Slurm cluster on loopback runs scripts/cluster/slurm-array.sh as a 4-task
# array against the local world; the merged shards equal an unsharded scan, row for row.
#
# The cluster is the test's own: munged, slurmctld and slurmd from Debian
# (scripts/install-extra-deps.sh --cluster), started directly (no systemd) with a config
# directory, key, ports and state under a temporary directory, and stopped at the end. Jobs
# run as root on the host; the array script's MTASTS is a wrapper that enters the world's
# network namespace (`world exec`), as a site would point MTASTS at its own installation.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_DOMAINS:?}" "${MTASTS_WORLD_RESOLVER:?}" "${MTASTS_WORLD_CA:?}"
echo "1..8"
ok() { echo "ok - $1"; }
notok() { echo "not ok - $1 # $2"; }

tmp=$(mktemp -d /tmp/mtasts-slurm.XXXXXX)
chmod 755 "$tmp"
C=$tmp/cluster
mkdir -p "$C/state" "$C/spool" "$C/munge" "$tmp/shards" "$tmp/out"
pids=()
cleanup() {
    local p
    [ -f "$C/slurmd.pid" ] && pids+=("$(cat "$C/slurmd.pid")")
    [ -f "$C/slurmctld.pid" ] && pids+=("$(cat "$C/slurmctld.pid")")
    [ -f "$C/munge/munged.pid" ] && pids+=("$(cat "$C/munge/munged.pid")")
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for _ in $(seq 1 50); do
        local alive=0
        for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT

missing=""
for b in munged slurmctld slurmd sbatch squeue scontrol; do
    command -v "$b" >/dev/null || [ -x "/usr/sbin/$b" ] || missing="$missing $b"
done
if [ -n "$missing" ]; then
    # not a skip: the test cannot pass without Slurm (install: scripts/install-extra-deps.sh --cluster)
    for i in 1 2 3 4 5 6 7 8; do notok "slurm cluster case $i" "missing:$missing (scripts/install-extra-deps.sh --cluster)"; done
    exit 1
fi
export PATH=$PATH:/usr/sbin

# --- munge: our own key, socket and pid file ------------------------------------------------
dd if=/dev/urandom of="$C/munge/munge.key" bs=1024 count=1 status=none
chmod 600 "$C/munge/munge.key"
chmod 700 "$C/munge"
munged --force --key-file="$C/munge/munge.key" --socket="$C/munge/munge.sock" \
    --pid-file="$C/munge/munged.pid" --log-file="$C/munge/munged.log" --seed-file="$C/munge/munged.seed" \
    >"$C/munge/start.out" 2>&1
# --- slurm.conf: ports from our PID, so two runs (or another cluster) do not collide ---------
P1=$((20000 + ($$ % 20000))) P2=$((20001 + ($$ % 20000)))
HOST=$(hostname -s)
cat >"$C/slurm.conf" <<EOF
ClusterName=mtasts-test
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$P1
SlurmdPort=$P2
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$C/munge/munge.sock
StateSaveLocation=$C/state
SlurmdSpoolDir=$C/spool
SlurmctldPidFile=$C/slurmctld.pid
SlurmdPidFile=$C/slurmd.pid
SlurmctldLogFile=$C/slurmctld.log
SlurmdLogFile=$C/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
NodeName=mtnode NodeAddr=127.0.0.1 NodeHostname=$HOST CPUs=4 RealMemory=4000 State=UNKNOWN
PartitionName=test Nodes=mtnode Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$C/slurm.conf
slurmctld -i -f "$SLURM_CONF" >"$C/slurmctld.out" 2>&1
slurmd -N mtnode -f "$SLURM_CONF" >"$C/slurmd.out" 2>&1
up=0
for _ in $(seq 1 150); do
    if scontrol show node mtnode 2>/dev/null | grep -Eq 'State=IDLE'; then up=1; break; fi
    sleep 0.2
done
if [ $up = 1 ]; then
    ok "single-node Slurm cluster up on 127.0.0.1 (munged, slurmctld, slurmd; ports $P1/$P2)"
else
    notok "single-node Slurm cluster up" "$(tail -3 "$C/slurmctld.log" "$C/slurmd.log" "$C/munge/munged.log" 2>/dev/null | tr '\n' ' ')"
fi

# --- the array job: 4 shards of the world's list --------------------------------------------
wrapper=$tmp/mtasts-in-world
world_dir_args=""
[ -n "${MTASTS_WORLD_DIR:-}" ] && world_dir_args="--dir '$MTASTS_WORLD_DIR'"
cat >"$wrapper" <<EOF
#!/bin/bash
# mtasts inside the world's network namespace (what MTASTS points at on a real cluster is the binary)
exec env MTASTS_WORLD_NS='${MTASTS_WORLD_NS:-}' '$ROOT/scripts/world/world' exec $world_dir_args -- '$MTASTS_BIN' "\$@"
EOF
chmod 755 "$wrapper"
opts="--resolver $MTASTS_WORLD_RESOLVER --ca-file $MTASTS_WORLD_CA --allow-private 127.0.0.0/8 --timeout 3 --connect-timeout 2 --dns-qps 3000"
t0=$SECONDS
jid=$(LIST=$MTASTS_WORLD_DOMAINS SHARDS=4 OUTDIR=$tmp/shards MTASTS=$wrapper SCAN_OPTIONS=$opts \
    sbatch --parsable --array=0-3 --cpus-per-task=1 --mem=200M --chdir="$tmp/out" \
    --output="$tmp/out/mtasts-%A_%a.log" --export=ALL scripts/cluster/slurm-array.sh 2>"$tmp/sbatch.err")
if [[ "$jid" =~ ^[0-9]+$ ]]; then
    ok "sbatch accepts scripts/cluster/slurm-array.sh as a 4-task array (job $jid)"
else
    notok "sbatch accepts scripts/cluster/slurm-array.sh as a 4-task array" "$(tr '\n' ' ' <"$tmp/sbatch.err")"
fi
done_=0
for _ in $(seq 1 600); do
    [ -z "$(squeue -h -j "${jid:-0}" 2>/dev/null)" ] && { done_=1; break; }
    sleep 0.2
done
ndone=$(ls "$tmp/shards"/shard-*.done 2>/dev/null | wc -l)
if [ $done_ = 1 ] && [ "$ndone" = 4 ]; then
    ok "the 4 array tasks ran and each finished its shard ($((SECONDS - t0)) s)"
else
    notok "the 4 array tasks ran and each finished its shard" "finished $ndone of 4; $(cat "$tmp"/out/*.log 2>/dev/null | tail -5 | tr '\n' ' ')"
fi
nout=$(ls "$tmp"/out/mtasts-"${jid:-x}"_{0,1,2,3}.log 2>/dev/null | wc -l)
[ "$nout" = 4 ] &&
    ok "each task wrote its Slurm output file (mtasts-${jid}_I.log, I = 0..3)" ||
    notok "each task wrote its Slurm output file" "$(ls "$tmp/out")"

# --- merge and compare with an unsharded scan ------------------------------------------------
"$MTASTS_BIN" merge "$tmp/merged.db" "$tmp"/shards/shard-{0,1,2,3}.db >"$tmp/merge.log" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "mtasts merge of the 4 shard databases exits 0" ||
    notok "mtasts merge of the 4 shard databases exits 0" "status $rc: $(tail -2 "$tmp/merge.log" | tr '\n' ' ')"
# shellcheck disable=SC2086
"$wrapper" scan "$MTASTS_WORLD_DOMAINS" --db "$tmp/ref.db" $opts --quiet >"$tmp/ref.log" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "the unsharded reference scan exits 0" ||
    notok "the unsharded reference scan exits 0" "status $rc: $(tail -2 "$tmp/ref.log" | tr '\n' ' ')"
n_in=$(grep -c '[^[:space:]]' "$MTASTS_WORLD_DOMAINS")
python3 tests/integration/compare_scans.py "$tmp/ref.db" "$tmp/merged.db" --inputs "$n_in" --shards 4
