#!/usr/bin/env bash
# Scans the local test world and checks every figure of the JSON report against counts
# computed independently from the world's ground truth (truth.jsonl), then rescans into the
# same database and checks diff is empty and trend has both scans.
# Needs the world up (tests/run does it) and its facts in MTASTS_WORLD_* (world env).
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_DOMAINS:?}" "${MTASTS_WORLD_TRUTH:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
# The plan: 102 cases (8 of them the hosting rows), one report figure per warning code of the
# rules (enum sts_warning), and one per provider row checked (the first 5 groups of the truth's MX hosts, counted as below:
# the world's providers and (self-hosted)).
n_warn=$(sed -n '/^enum sts_warning {/,/STS_WARN_COUNT/p' rules/sts_codes.h | grep -c '^ *STS_WARN_[A-Z_]*\( = 0\)\?,')
n_prov=$(python3 -c '
import json, sys
reg = lambda h: ".".join(h.rstrip(".").split(".")[-2:])
groups = set()
for line in open(sys.argv[1]):
    t = json.loads(line) if line.strip() else None
    if t and t["status"] != "domain_nxdomain":
        groups |= {reg(h) if reg(h) != reg(t["domain"]) else "(self-hosted)" for h in t["mx_hosts"]}
print(min(5, len(groups)))' "$MTASTS_WORLD_TRUTH")
echo "1..$((102 + n_warn + n_prov))"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/report.db

scan() {
    "${world[@]}" "$MTASTS_BIN" scan "$MTASTS_WORLD_DOMAINS" --db "$db" \
        --resolver "$MTASTS_WORLD_RESOLVER" --ca-file "$MTASTS_WORLD_CA" \
        --allow-private 127.0.0.0/8 --timeout 3 --connect-timeout 2 --dns-qps 5000 --quiet \
        >>"$tmp/scan.out" 2>&1
}

if scan; then
    echo "ok - scan of the world for the report"
else
    echo "not ok - scan of the world for the report # $(tail -3 "$tmp/scan.out" | tr '\n' ' ')"
    exit 0
fi

if "$MTASTS_BIN" report --db "$db" --format json -o "$tmp/report.json" 2>"$tmp/err"; then
    echo "ok - report --format json"
else
    echo "not ok - report --format json # $(cat "$tmp/err")"
    exit 0
fi

python3 - "$tmp/report.json" "$MTASTS_WORLD_TRUTH" <<'EOF'
# Every figure recomputed from truth.jsonl, without the report's code.
import json, sys
from collections import Counter

report = json.load(open(sys.argv[1]))
truth = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]

def check(name, got, want):
    if got == want:
        print("ok - report figure %s = %s" % (name, want))
    else:
        print("not ok - report figure %s # report %r, truth %r" % (name, got, want))

status = Counter(t["status"] for t in truth)
sts = [t for t in truth if t["status"] in ("valid", "invalid")]
valid = [t for t in truth if t["status"] == "valid"]
invalid = [t for t in truth if t["status"] == "invalid"]
f = report["funnel"]
check("funnel.scanned", f["scanned"], len(truth))
check("funnel.resolving", f["resolving"],
      sum(1 for t in truth if t["status"] not in ("domain_nxdomain", "dns_error")))
check("funnel.fully_valid", f["fully_valid"], len(valid))
check("funnel.valid_txt", f["valid_txt"],
      sum(1 for t in sts if t["category"] not in ("txt_syntax", "txt_multiple")))
# The stages nest along the classification pipeline (reports/README.md): a category names
# the first check that failed, so every check before it passed.
FETCHED = {"content_type", "body_too_large", "policy_syntax", "policy_version", "policy_mode",
           "policy_max_age", "policy_no_mx", "mx_not_covered"}
check("funnel.policy_fetched", f["policy_fetched"],
      sum(1 for t in sts if t["status"] == "valid" or t["category"] in FETCHED))
accepted = [t for t in sts if t["status"] == "valid" or t["category"] == "mx_not_covered"]
check("funnel.policy_valid", f["policy_valid"], len(accepted))
check("funnel.with_mx", f["with_mx"], sum(1 for t in truth if t["mx_hosts"]))
for s in ("valid", "invalid", "no_policy", "dns_error", "domain_nxdomain"):
    check("statuses.%s" % s, report["statuses"][s], status[s])
check("mta_sts", report["mta_sts"], len(sts))

modes = Counter(t["mode"] for t in valid)
for m in ("enforce", "testing", "none"):
    check("modes.%s" % m, report["modes"][m], modes[m])

cats = Counter(t["category"] for t in invalid)
check("invalid", report["invalid"], len(invalid))
for code, n in sorted(report["categories"].items()):
    check("categories.%s" % code, n, cats.get(code, 0))
roll = report["rollups"]
cert = sum(n for c, n in cats.items() if c.startswith("cert_") or c == "tls_handshake_failed")
check("rollups.policy_host_no_address", (roll["policy_host_no_address"]["count"],
      roll["policy_host_no_address"]["of"]), (cats["policy_host_no_address"], len(invalid)))
check("rollups.https_certificate", roll["https_certificate"]["count"], cert)
check("rollups.cert_expired", roll["cert_expired"]["count"], cats["cert_expired"])
check("rollups.cert_name_mismatch", roll["cert_name_mismatch"]["count"],
      cats["cert_name_mismatch"])
check("would_fail_delivery", (report["would_fail_delivery"]["count"],
      report["would_fail_delivery"]["of"]),
      (sum(1 for t in truth if t["would_fail_delivery"]), len(sts)))
check("strictness.valid_strict", report["strictness"]["valid_strict"],
      sum(1 for t in truth if t["valid_strict"]))
check("strictness.valid_lenient", report["strictness"]["valid_lenient"], len(valid))

warn = Counter(w for t in truth for w in t["warnings"])
for code, n in sorted(report["warnings"].items()):
    if code != "unknown":
        check("warnings.%s" % code, n, warn.get(code, 0))

tl = Counter(t["tlsrpt"] for t in truth)
for k in ("valid", "invalid", "none"):
    check("tlsrpt.%s" % k, report["tlsrpt"][k], tl[k])
check("tlsrpt.valid_among_mta_sts", report["tlsrpt"]["valid_among_mta_sts"],
      sum(1 for t in sts if t["tlsrpt"] == "valid"))

# max_age: the values of the policies senders accept, and of those refused for max_age alone.
aged = [t for t in accepted if t["max_age"] is not None] + [
    t for t in invalid if t["category"] == "policy_max_age" and t["max_age"] is not None]
ages = sorted(t["max_age"] for t in aged)
ma = report["max_age"]
check("max_age.count", ma["count"], len(ages))
def bucket(v):
    if v < 86400: return "under_1d"
    if v == 86400: return "1d"
    if v < 604800: return "1d_to_7d"
    if v == 604800: return "7d"
    if v < 2592000: return "7d_to_30d"
    if v <= 31557600: return "30d_and_more"
    return "over_rfc_limit"
bk = Counter(bucket(v) for v in ages)
for b, n in ma["buckets"].items():
    check("max_age.buckets.%s" % b, n, bk.get(b, 0))
def quantile(xs, q):  # type 7
    if not xs: return None
    h = (len(xs) - 1) * q
    i = int(h)
    return xs[i] if i + 1 >= len(xs) else xs[i] + (h - i) * (xs[i + 1] - xs[i])
if ages:
    check("max_age.median", round(ma["median"], 4), round(quantile(ages, 0.5), 4))
    check("max_age.q1", round(ma["q1"], 4), round(quantile(ages, 0.25), 4))
    check("max_age.q3", round(ma["q3"], 4), round(quantile(ages, 0.75), 4))
top = sorted(Counter(ages).items(), key=lambda kv: (-kv[1], kv[0]))[:10]
check("max_age.top", [(x["value"], x["count"]) for x in ma["top"]], top)
for m in ("enforce", "testing", "none"):
    check("max_age_by_mode.%s.count" % m, report["max_age_by_mode"][m]["count"],
          sum(1 for t in aged if t["mode"] == m))

ranked = [t for t in truth if t.get("rank") is not None]
if report["ranks"] is None:
    check("ranks present", False, bool(ranked))
else:
    for r in report["ranks"]:
        sub = [t for t in ranked if 1 <= t["rank"] <= r["top"]]
        check("ranks.top%d.scanned" % r["top"], r["funnel"]["scanned"], len(sub))
        check("ranks.top%d.mta_sts" % r["top"], r["mta_sts"],
              sum(1 for t in sub if t["status"] in ("valid", "invalid")))
        check("ranks.top%d.fully_valid" % r["top"], r["funnel"]["fully_valid"],
              sum(1 for t in sub if t["status"] == "valid"))

# Providers: each distinct registered domain (last two labels: the world uses .test) of a
# domain's MX hosts counts the domain once; under the domain's own name: (self-hosted).
reg = lambda h: ".".join(h.rstrip(".").split(".")[-2:])
prov = Counter()
for t in truth:
    if t["status"] in ("domain_nxdomain",):
        continue
    for g in {reg(h) if reg(h) != reg(t["domain"]) else "(self-hosted)" for h in t["mx_hosts"]}:
        prov[g] += 1
rows = report["tables"]["providers"]["rows"]
for row in rows[:5]:
    check("providers.%s.domains" % row["group"], row["domains"], prov[row["group"]])
want_top = sorted(prov.items(), key=lambda kv: (-kv[1], kv[0]))[:len(rows)]
check("providers order", [(r["group"], r["domains"]) for r in rows], want_top)

# Hosting (reports/report_ids_hosting.c): the truth's hosting of each MTA-STS domain, from
# the Server header the world's policy hosts send (no CNAME on mta-sts.D, one issuer: the
# world's CA). The signal: "server" when a header was stored (a platform's, or nginx), else
# "none". One case per row of the table (8 hostings).
for row in report["tables"]["hosting"]["rows"]:
    mine = [t for t in sts if t["hosting"] == row["hosting"]]
    got = (row["domains"], row["valid"], row["invalid"], row["by_cname"], row["by_server"],
           row["by_issuer"], row["by_none"])
    want = (len(mine), sum(1 for t in mine if t["status"] == "valid"),
            sum(1 for t in mine if t["status"] == "invalid"), 0,
            sum(1 for t in mine if t["policy_http_server"]), 0,
            sum(1 for t in mine if not t["policy_http_server"]))
    check("hosting.%s (domains, valid, invalid, by cname/server/issuer/none)" % row["hosting"],
          got, want)
EOF

# Every format renders, and twice gives the same bytes.
for fmt in text md csv json html; do
    "$MTASTS_BIN" report --db "$db" --format "$fmt" -o "$tmp/a.$fmt" 2>"$tmp/err" &&
        "$MTASTS_BIN" report --db "$db" --format "$fmt" -o "$tmp/b.$fmt" 2>>"$tmp/err"
    if [ $? -eq 0 ] && cmp -s "$tmp/a.$fmt" "$tmp/b.$fmt" && [ -s "$tmp/a.$fmt" ]; then
        echo "ok - report --format $fmt renders the world scan, byte-identical twice"
    else
        echo "not ok - report --format $fmt renders the world scan # $(cat "$tmp/err")"
    fi
done
# The hosting figure in every format, with the platforms the world's Server headers name and
# the signal columns (Markdown escapes the underscore: github\_pages).
miss=""
for fmt in text md csv json html; do
    if ! grep -qE 'github\\?_pages' "$tmp/a.$fmt" || ! grep -q cloudflare "$tmp/a.$fmt" ||
        ! grep -qiE 'by_server|by Server' "$tmp/a.$fmt"; then
        miss="$miss $fmt"
    fi
done
[ -z "$miss" ] && echo "ok - every format shows the hosting figure (github_pages, cloudflare, by Server)" ||
    echo "not ok - every format shows the hosting figure # missing in:$miss"
n=$("$MTASTS_BIN" report --db "$db" --per-domain --format csv --section domains | python3 -c \
    'import csv,sys; r=list(csv.reader(sys.stdin)); assert all(len(x)==len(r[0]) for x in r); print(len(r)-1)')
n_in=$(grep -vc '^\s*$' "$MTASTS_WORLD_DOMAINS")
[ "$n" = "$n_in" ] && echo "ok - per-domain worklist has one row per domain ($n)" ||
    echo "not ok - per-domain worklist has one row per domain # $n rows for $n_in domains"

# A second scan of the unchanged world: diff must find nothing, trend shows two scans.
if scan; then
    echo "ok - second scan into the same database"
else
    echo "not ok - second scan into the same database # $(tail -3 "$tmp/scan.out" | tr '\n' ' ')"
    exit 0
fi
"$MTASTS_BIN" diff --db "$db" --format json -o "$tmp/diff.json" 2>"$tmp/err"
python3 - "$tmp/diff.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
rows = r["tables"]["changes"]["rows"]
# Only kinds that depend on the clock could legitimately differ between two scans seconds
# apart; none of diff's kinds does.
if rows:
    print("not ok - diff of two scans of an unchanged world is empty # %d changes, first %r"
          % (len(rows), rows[:3]))
else:
    print("ok - diff of two scans of an unchanged world is empty")
EOF
if "$MTASTS_BIN" diff --db "$db" --exit-code >/dev/null 2>&1; then
    echo "ok - diff --exit-code is 0 without changes"
else
    echo "not ok - diff --exit-code is 0 without changes # status $?"
fi
rows=$("$MTASTS_BIN" report trend --db "$db" --format csv --section trend | tail -n +2 | wc -l)
[ "$rows" = 2 ] && echo "ok - trend has one row per completed scan (2)" ||
    echo "not ok - trend has one row per completed scan # $rows rows"
same=$("$MTASTS_BIN" report trend --db "$db" --format csv --section trend | tail -n +2 |
    cut -d, -f3- | sort -u | wc -l)
[ "$same" = 1 ] && echo "ok - trend figures equal for two scans of an unchanged world" ||
    echo "not ok - trend figures equal for two scans of an unchanged world # $same distinct rows"
exit 0
