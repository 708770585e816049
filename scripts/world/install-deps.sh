#!/usr/bin/env bash
# Install the local test world's Debian packages (only those missing) without leaving their system services running.
#
# Debian's postinst scripts start nsd, unbound and nginx on the host's ports 53 and 443; a
# policy-rc.d returning 101 prevents that during the install, and the services are disabled
# and stopped afterwards in case they were already there. The world runs its own copies in a
# network namespace (scripts/world/world up).
set -euo pipefail

PKGS=(
    nsd                 # authoritative DNS (zone test.)
    unbound             # recursive resolver in front of it
    nginx               # policy hosts (HTTPS, certificate per SNI)
    dnsperf             # resolver benchmark
    apache2-utils       # ab: TLS handshake benchmark
    bind9-dnsutils      # dig
    iproute2            # ip netns
    procps              # pgrep, used by checks
    curl                # scenario test
    openssl             # scenario test (certificate dates), s_client
    ca-certificates
    python3             # generator and helper servers
    python3-cryptography
    util-linux          # setsid
)

[ "$(id -u)" -eq 0 ] || { echo "install-deps: run as root (apt-get)" >&2; exit 1; }
command -v apt-get >/dev/null || { echo "install-deps: apt-get not found: this script is for Debian 12" >&2; exit 1; }

missing=()
for p in "${PKGS[@]}"; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$st" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    created_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\n# installed by mtasts scripts/world/install-deps.sh: no service starts during install\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        created_policy=1
    fi
    trap '[ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
else
    echo "install-deps: all packages present"
fi

# The system-wide daemons must not run on the host (port 53/443) nor start at boot.
for svc in nsd unbound unbound-resolvconf nginx; do
    if command -v systemctl >/dev/null 2>&1; then
        systemctl disable "$svc" >/dev/null 2>&1 || true
        if [ -d /run/systemd/system ]; then systemctl stop "$svc" >/dev/null 2>&1 || true; fi
    fi
    if [ ! -d /run/systemd/system ] && [ -x "/etc/init.d/$svc" ]; then
        "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
    fi
done
# Any of them still running outside a network namespace is a system copy we could not stop.
left=""
for prog in nsd unbound nginx; do
    for pid in $(pgrep -x "$prog" 2>/dev/null || true); do
        if [ "$(readlink "/proc/$pid/ns/net")" = "$(readlink /proc/1/ns/net)" ]; then left="$left $prog($pid)"; fi
    done
done
if [ -n "$left" ]; then
    echo "install-deps: warning: system daemons still running in the host namespace:$left" >&2
    echo "install-deps: stop them (systemctl stop / service stop); the world does not need them" >&2
fi

for b in nsd unbound unbound-control nginx dnsperf ab dig ip curl openssl; do
    command -v "$b" >/dev/null || { echo "install-deps: $b still missing after install" >&2; exit 1; }
done
/usr/bin/python3 -c 'import cryptography' || { echo "install-deps: python3-cryptography not importable" >&2; exit 1; }
echo "install-deps: ok"
