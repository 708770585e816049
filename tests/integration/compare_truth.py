#!/usr/bin/python3
"""Compares a scan's result rows with the test world's ground truth, one line per scenario.

Usage: compare_truth.py DB TRUTH.jsonl [--scan ID] [--only FILE] [--fields F,F...]
                        [--with-option OPT]...
       compare_truth.py --count - TRUTH.jsonl [--only FILE]
                        prints how many case lines a comparison prints (for a suite's plan)

--with-option applies the truth's "with_options" overrides for a scan option (e.g.
"--probe-orphans", "--checks +apex") to the expected facts.

Prints `ok - scenario <name> (<n> domains)` or `not ok - scenario <name> # <domain>: <field>
expected <x>, got <y>` (the first mismatches, then a count), a line asserting that every
domain of the truth has exactly one row and the scan has no extra rows, and exits 0 (the
runner counts the lines). Fields compared: status, category, warnings, mode, max_age,
mx_covered, tlsrpt, would_fail_delivery, valid_strict, policy_http_server (the Server header
of the policy fetch's response).
"""

import argparse
import collections
import json
import sqlite3
import sys

FIELDS = ["status", "category", "warnings", "mode", "max_age", "mx_covered", "tlsrpt",
          "would_fail_delivery", "valid_strict", "policy_http_server"]
SHOW_MISMATCHES = 3


def as_bool(v):
    return None if v is None else bool(v)


def row_facts(row):
    warnings = sorted(w for w in (row["warnings"] or "").split(",") if w)
    return {
        "status": row["status"],
        "category": row["category"],
        "warnings": warnings,
        "mode": row["policy_mode"],
        "max_age": row["policy_max_age"],
        "mx_covered": as_bool(row["mx_covered"]),
        "tlsrpt": row["tlsrpt_status"] or "none",
        "would_fail_delivery": bool(row["would_fail_delivery"]),
        "valid_strict": bool(row["valid_strict"]),
        "policy_http_server": row["policy_http_server"],
    }


def truth_facts(t, options=()):
    t = dict(t)
    for opt in options:
        t.update((t.get("with_options") or {}).get(opt, {}))
    f = {k: t.get(k) for k in FIELDS}
    f["warnings"] = sorted(t.get("warnings") or [])
    f["tlsrpt"] = t.get("tlsrpt") or "none"
    f["would_fail_delivery"] = bool(t.get("would_fail_delivery"))
    f["valid_strict"] = bool(t.get("valid_strict"))
    return f


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("truth")
    ap.add_argument("--scan", type=int, default=0, help="scan id (default: the latest)")
    ap.add_argument("--only", help="compare only the domains of this list (one a line)")
    ap.add_argument("--fields", help="compare only these fields (comma-separated)")
    ap.add_argument("--with-option", action="append", default=[],
                    help="apply the truth's with_options overrides for this scan option")
    ap.add_argument("--count", action="store_true",
                    help="print the number of case lines a comparison prints, and exit")
    args = ap.parse_args()

    if args.count:
        truth = [json.loads(line) for line in open(args.truth) if line.strip()]
        if args.only:
            only = {line.strip() for line in open(args.only) if line.strip()}
            truth = [t for t in truth if t["domain"] in only]
        print(1 + len({t["scenario"] for t in truth}))
        return 0

    db = sqlite3.connect("file:%s?mode=ro" % args.db, uri=True)
    db.row_factory = sqlite3.Row
    scan = args.scan or db.execute("SELECT max(id) FROM scans").fetchone()[0]
    if scan is None:
        print("not ok - scan exists # no scan in %s" % args.db)
        return 0
    rows = {}
    dup = 0
    for r in db.execute("SELECT * FROM results WHERE scan_id = ?", (scan,)):
        if r["domain"] in rows:
            dup += 1
        rows[r["domain"]] = r

    truth = [json.loads(line) for line in open(args.truth) if line.strip()]
    fields = FIELDS
    if args.fields:
        fields = [f for f in args.fields.split(",") if f]
        unknown = set(fields) - set(FIELDS)
        if unknown:
            print("not ok - compare_truth arguments # unknown fields %s" % sorted(unknown))
            return 0
    if args.only:
        only = {line.strip() for line in open(args.only) if line.strip()}
        truth = [t for t in truth if t["domain"] in only]
    by_scenario = collections.OrderedDict()
    for t in truth:
        by_scenario.setdefault(t["scenario"], []).append(t)

    missing = [t["domain"] for t in truth if t["domain"] not in rows]
    extra = set(rows) - {t["domain"] for t in truth}
    if not missing and not extra and not dup:
        print("ok - results == inputs: %d rows for %d domains of the truth" % (len(rows), len(truth)))
    else:
        print("not ok - results == inputs # %d missing (e.g. %s), %d extra (e.g. %s), %d duplicated"
              % (len(missing), missing[:3], len(extra), sorted(extra)[:3], dup))

    for name, items in by_scenario.items():
        problems = []
        for t in items:
            r = rows.get(t["domain"])
            if r is None:
                problems.append("%s: no result row" % t["domain"])
                continue
            got, want = row_facts(r), truth_facts(t, args.with_option)
            for field in fields:
                if got[field] != want[field]:
                    problems.append("%s: %s expected %s, got %s (detail: %s)"
                                    % (t["domain"], field, json.dumps(want[field]),
                                       json.dumps(got[field]), r["detail"]))
        if not problems:
            print("ok - scenario %s (%d domains)" % (name, len(items)))
        else:
            more = len(problems) - SHOW_MISMATCHES
            print("not ok - scenario %s # %s%s" % (name, "; ".join(problems[:SHOW_MISMATCHES]),
                                                  " (+%d more)" % more if more > 0 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
