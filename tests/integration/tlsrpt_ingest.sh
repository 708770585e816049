#!/usr/bin/env bash
# TLS-RPT ingest and report against the fixtures of tests/vectors/tlsrpt-reports: outcomes,
# warnings and every report figure recomputed independently (tlsrpt_figures.py); no network.
set -u
cd "$(dirname "$0")/../.."
BIN=${MTASTS_BIN:-$PWD/mtasts}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 tests/integration/tlsrpt_figures.py "$BIN" "$work"
