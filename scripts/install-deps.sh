#!/usr/bin/env bash
# Installs the Debian 12 packages that the build, the tests and the local test world need.
set -euo pipefail

packages=(
    build-essential pkg-config clang llvm libclang-rt-14-dev libfuzzer-14-dev
    libc-ares-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev libzstd-dev libidn2-dev libpsl-dev publicsuffix
    libjansson-dev libgmime-3.0-dev libzip-dev zlib1g-dev dovecot-imapd
    zstd sqlite3 ca-certificates curl python3 iproute2 caddy openssl dnsutils
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: missing packages: ${missing[*]} (run as root, or install them)" >&2
        exit 1
    fi
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The local test world's servers (nsd, unbound, nginx, dnsperf, dig), headless Chromium for
# the HTML report test, Slurm + munge for the cluster test (no service started).
for extra in scripts/world/install-deps.sh scripts/install-report-deps.sh "scripts/install-extra-deps.sh --cluster"; do
    if [ -f "${extra%% *}" ]; then
        bash $extra
    fi
done
