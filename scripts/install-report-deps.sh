#!/usr/bin/env bash
# Installs what the report tests need beyond scripts/install-deps.sh: headless Chromium for
# the HTML screenshot test (tests/unit/../integration/report_html.sh) and python3 for the
# JSON/CSV checks. Debian 12 package names; safe to run twice.
set -euo pipefail

packages=(chromium python3 fonts-dejavu-core)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-report-deps: missing packages: ${missing[*]} (run as root, or install them)" >&2
    exit 1
fi
echo "install-report-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
