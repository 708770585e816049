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
    libnginx-mod-http-headers-more-filter # more_set_headers: policy hosts that answer as a hosting platform (Server: GitHub.com, cloudflare)
    postfix             # MX hosts (SMTP + STARTTLS on port 25, one listener per scenario address)
    ldnsutils           # ldns-keygen, ldns-signzone: the DNSSEC-signed zone sec.test.
    swaks               # SMTP checks by hand (never used to send a message)
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

# Installing postfix replaces another MTA package (exim4, sendmail, ...): refuse to do that to a
# host quietly. A fresh Debian 12 has no MTA; MTASTS_WORLD_REPLACE_MTA=1 allows the swap.
if [[ " ${missing[*]} " == *" postfix "* ]]; then
    other=$(dpkg-query -W -f='${db:Status-Status} ${Package} ${Provides}\n' 2>/dev/null |
        awk '$1=="installed" && /mail-transport-agent/ && $2!="postfix" {print $2}' | paste -sd' ' -)
    if [ -n "$other" ] && [ "${MTASTS_WORLD_REPLACE_MTA:-0}" != 1 ]; then
        echo "install-deps: another MTA is installed ($other); installing postfix would remove it." >&2
        echo "install-deps: set MTASTS_WORLD_REPLACE_MTA=1 to allow that" >&2
        exit 1
    fi
    # no system configuration: /etc/postfix/main.cf is not written and nothing is started
    # (the world runs its own postfix with its own config dir, inside its namespace)
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
fi

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
for svc in nsd unbound unbound-resolvconf nginx postfix dovecot; do
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
for prog in nsd unbound nginx master dovecot; do
    for pid in $(pgrep -x "$prog" 2>/dev/null || true); do
        # "master" is postfix's daemon; only count it if it is postfix's
        [ "$prog" != master ] || [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == */postfix/* ]] || continue
        if [ "$(readlink "/proc/$pid/ns/net")" = "$(readlink /proc/1/ns/net)" ]; then left="$left $prog($pid)"; fi
    done
done
# and nothing on the host's port 25 (the world's postfix listens only inside its namespace)
if command -v ss >/dev/null && ss -Hltn 'sport = :25' 2>/dev/null | grep -q .; then
    left="$left port-25-listener($(ss -Hltnp 'sport = :25' 2>/dev/null | sed 's/.*users://' | head -n1))"
fi
if [ -n "$left" ]; then
    echo "install-deps: warning: system daemons still running in the host namespace:$left" >&2
    echo "install-deps: stop them (systemctl stop / service stop); the world does not need them" >&2
fi

for b in nsd unbound unbound-control nginx dnsperf ab dig ip curl openssl postfix postconf ldns-keygen ldns-signzone swaks; do
    command -v "$b" >/dev/null || { echo "install-deps: $b still missing after install" >&2; exit 1; }
done
/usr/bin/python3 -c 'import cryptography' || { echo "install-deps: python3-cryptography not importable" >&2; exit 1; }
echo "install-deps: ok"
