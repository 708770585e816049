#!/usr/bin/env bash
# Times `mtasts report` in every format on a generated 1,000,000-row scan (no network).
#
# Usage: scripts/report_bench.sh [--rows N] [--db FILE] [--bin PATH]
# The database is built once with store/schema.sql and a deterministic generator
# (top-1M-like mix: ~0.7% MTA-STS, enforce/testing split, failures, ranks, providers) and
# kept for the next run. Prints one line per output: wall and CPU time, memory, size.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=1000000 db=build/report-bench.db bin=${MTASTS_BIN:-./mtasts}
while [ $# -gt 0 ]; do
    case "$1" in
    --rows) rows=$2; shift 2 ;;
    --db) db=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    *) echo "report_bench: unknown argument $1" >&2; exit 2 ;;
    esac
done
mkdir -p "$(dirname "$db")"
if [ ! -f "$db" ] || [ "$(sqlite3 "$db" 'SELECT count(*) FROM results' 2>/dev/null)" != "$rows" ]; then
    rm -f "$db"
    echo "report_bench: generating $rows rows into $db"
    python3 - "$db" "$rows" <<'PY'
import random, sqlite3, sys
db, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(1)
con = sqlite3.connect(db, isolation_level=None)
con.executescript(open("store/schema.sql").read())
con.execute("PRAGMA application_id = 1297371988")
con.execute("PRAGMA user_version = 3")  # STORE_SCHEMA_VERSION
con.execute("PRAGMA journal_mode = OFF")
con.execute("PRAGMA synchronous = OFF")
con.execute("INSERT INTO scans (id, started_at, finished_at, state, tool_version, inputs, "
            "options, input_domains, elapsed_s) VALUES (1, '2026-11-22T00:00:00Z', "
            "'2026-11-22T02:00:00Z', 'complete', 'bench', '[]', '{}', ?, 7200)", (n,))
providers = ["aspmx.l.google.com", "mail.protection.outlook.com", "mx.yandex.net",
             "mxa.mailgun.org", "mx1.zoho.eu", "mail.ovh.net", "mx.example.co.uk"]
cats = ["policy_host_no_address"] * 34 + ["cert_name_mismatch"] * 5 + ["cert_expired"] * 6 + \
       ["tls_handshake_failed"] * 4 + ["cert_untrusted"] * 10 + ["http_status"] * 15 + \
       ["content_type"] * 6 + ["policy_syntax"] * 10 + ["mx_not_covered"] * 10
T0 = 1795300000
def row(i):
    d = "d%07d.example" % i
    mx = '["%s"]' % (providers[i % 7] if i % 3 else "mx.%s" % d)
    r = rnd.random()
    base = dict(status="no_policy", category=None, warnings="", strict=0, lenient=0, wfd=0,
                readiness=None, txt_records=0, txt_version_records=0, txt_id=None,
                tlsrpt="valid" if rnd.random() < 0.03 else "none",
                rua='["mailto:tls@%s"]' % d, http=None, size=None, blob=None, mode=None,
                max_age=None, pvalid=None, cname=None, na=None, vc=None)
    if r < 0.005:
        base.update(status="valid", lenient=1, strict=int(rnd.random() < 0.9),
                    txt_records=1, txt_version_records=1, txt_id="2024%04d" % (i % 9999),
                    http=200, size=120, blob=i, pvalid=1,
                    mode="enforce" if rnd.random() < 0.54 else "testing",
                    max_age=rnd.choice([86400, 604800, 604800, 1209600, 31557600, 3600]),
                    readiness="enforcing", na=T0 + rnd.randrange(0, 90) * 86400, vc=0,
                    cname="mta-sts.hosted.provider-%d.net" % (i % 5) if i % 4 == 0 else None,
                    warnings="tlsrpt_missing" if base["tlsrpt"] == "none" else "")
    elif r < 0.007:
        c = rnd.choice(cats)
        base.update(status="invalid", category=c, txt_records=1, txt_version_records=1,
                    txt_id="x%d" % i, readiness="not_ready", warnings="tlsrpt_missing")
        if c in ("content_type", "policy_syntax", "mx_not_covered", "http_status"):
            base.update(http=404 if c == "http_status" else 200, size=100, blob=i)
        if c == "mx_not_covered":
            base.update(mode="enforce", max_age=604800, pvalid=1, wfd=1)
    elif r < 0.02:
        base.update(status="domain_nxdomain")
    elif r < 0.025:
        base.update(status="dns_error")
    return (1, d, i, T0, base["status"], base["category"], base["warnings"], base["strict"],
            base["lenient"], base["wfd"], base["readiness"], base["txt_records"],
            base["txt_version_records"], base["txt_id"], "ok", mx, 0, base["tlsrpt"],
            base["rua"] if base["tlsrpt"] == "valid" else None, base["cname"], base["http"],
            base["size"], base["blob"], base["mode"], base["max_age"], base["pvalid"],
            base["vc"], base["na"], "detail for %s" % d)
con.execute("BEGIN")
con.executemany(
    "INSERT INTO results (scan_id, domain, rank, scanned_at, status, category, warnings, "
    "valid_strict, valid_lenient, would_fail_delivery, readiness, txt_records, "
    "txt_version_records, txt_id, mx_outcome, mx_hosts, null_mx, tlsrpt_status, rua, "
    "host_cname, http_status, policy_size, policy_blob, policy_mode, policy_max_age, "
    "policy_valid, cert_verify_code, cert_not_after, detail) VALUES "
    "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    (row(i) for i in range(1, n + 1)))
con.execute("COMMIT")
con.close()
PY
fi
echo "report_bench: $(sqlite3 "$db" 'SELECT count(*) FROM results') rows in $db"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run() { # run NAME ARGS...: wall-clock and CPU seconds, peak memory, output size
    local name=$1
    shift
    /usr/bin/time -o "$out/time" -f '%e %U %S %M' "$bin" "$@" --db "$db" -o "$out/$name"
    read -r real user sys rss <"$out/time"
    printf '%-24s %6.2f s wall  %5.2f s user  %5.2f s sys  %7d KB  %10d bytes\n' "$name" \
        "$real" "$user" "$sys" "$rss" "$(stat -c %s "$out/$name")"
}
echo "report_bench: load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
for fmt in text md csv json html; do
    run "report.$fmt" report --format "$fmt"
done
run "trend.html" report trend --format html
run "per-domain.csv" report --per-domain --format csv
run "per-domain-invalid.txt" report --per-domain --status invalid
