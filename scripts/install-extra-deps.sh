#!/usr/bin/env bash
# Installs the Debian 12 packages of the bench's peer and of the Slurm cluster test, no service started.
#
# Usage: scripts/install-extra-deps.sh [--bench] [--cluster]   (neither: both)
#   --bench    postfix-mta-sts-resolver (the peer `make bench` compares with; its Python API)
#   --cluster  slurmctld, slurmd, slurm-client, munge (tests/integration/cluster_slurm.sh runs
#              its own single-node cluster on loopback, with its own config and key)
# Debian's postinst scripts would start the system slurmctld/slurmd/munge and the resolver's
# daemon: a policy-rc.d returning 101 (only if none exists, removed afterwards) stops that, and
# the services are disabled and stopped afterwards. Nothing here uses the system services.
set -euo pipefail
want_bench=0 want_cluster=0
for a in "$@"; do
    case "$a" in
    --bench) want_bench=1 ;;
    --cluster) want_cluster=1 ;;
    *) echo "install-extra-deps: unknown argument $a" >&2; exit 2 ;;
    esac
done
[ $# -gt 0 ] || { want_bench=1; want_cluster=1; }
packages=()
services=()
[ $want_bench = 1 ] && { packages+=(postfix-mta-sts-resolver); services+=(postfix-mta-sts-resolver); }
[ $want_cluster = 1 ] && { packages+=(slurmctld slurmd slurm-client munge); services+=(slurmctld slurmd munge); }

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-extra-deps: all packages present"
else
    [ "$(id -u)" -eq 0 ] || { echo "install-extra-deps: missing ${missing[*]} (run as root)" >&2; exit 1; }
    echo "install-extra-deps: installing ${missing[*]}"
    created_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\n# installed by mtasts scripts/install-extra-deps.sh: no service starts during install\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        created_policy=1
    fi
    trap '[ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
fi
for svc in "${services[@]}"; do
    if command -v systemctl >/dev/null 2>&1; then
        systemctl disable "$svc" >/dev/null 2>&1 || true
        if [ -d /run/systemd/system ]; then systemctl stop "$svc" >/dev/null 2>&1 || true; fi
    fi
    if [ ! -d /run/systemd/system ] && [ -x "/etc/init.d/$svc" ]; then
        "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
    fi
done
bins=()
[ $want_bench = 1 ] && bins+=(mta-sts-query)
[ $want_cluster = 1 ] && bins+=(slurmctld slurmd sbatch squeue munged)
for b in "${bins[@]}"; do
    command -v "$b" >/dev/null || [ -x "/usr/sbin/$b" ] || { echo "install-extra-deps: $b still missing after install" >&2; exit 1; }
done
