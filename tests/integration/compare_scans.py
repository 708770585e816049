#!/usr/bin/python3
"""Compares a merged scan with an unsharded reference scan, row for row (prints 2 TAP cases).

  compare_scans.py REF.db MERGED.db --inputs N --shards K

The rules are those of store_shard_merge.sh: timings and scan ids aside, artifacts compared
by their SHA-256, and two kinds of world noise normalised (a blackholed DNS lookup ends as
timeout, error or servfail from run to run; curl's error text quotes elapsed milliseconds).
"""
import argparse
import re
import sqlite3

TIMING = {"scan_id", "scanned_at", "time_dns_ms", "time_connect_ms", "time_tls_ms", "time_total_ms"}
BLOBS = {"txt_blob", "tlsrpt_blob", "policy_blob", "cert_blob"}
DNS_FAIL = ("timeout", "error", "servfail")


def norm(k, v):
    if isinstance(v, str):
        if k.endswith("_outcome") and v in DNS_FAIL:
            return "dns-failure"
        if k == "detail":
            return re.sub(r": (timeout|error|servfail)$", ": dns-failure", v)
        if k == "https_error":
            return re.sub(r"\d+", "N", v)
    return v


def rows(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    db.row_factory = sqlite3.Row
    scan = db.execute("SELECT id FROM scans ORDER BY id DESC LIMIT 1").fetchone()[0]
    sha = {r[0]: r[1] for r in db.execute("SELECT id, hex(sha256) FROM blobs")}
    out = {}
    for r in db.execute("SELECT * FROM results WHERE scan_id = ?", (scan,)):
        out[r["domain"]] = {k: (sha.get(r[k]) if k in BLOBS else norm(k, r[k]))
                            for k in r.keys() if k not in TIMING}
    return db, scan, out


def ok(name, cond, why=""):
    print(("ok - %s" % name) if cond else ("not ok - %s # %s" % (name, why)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ref")
    ap.add_argument("merged")
    ap.add_argument("--inputs", type=int, required=True)
    ap.add_argument("--shards", type=int, required=True)
    a = ap.parse_args()
    try:
        mdb, mscan, merged = rows(a.merged)
        _, _, ref = rows(a.ref)
    except Exception as e:
        ok("merged scan complete, one row per input domain", False, str(e))
        ok("merged rows equal the unsharded scan's, row for row (timings aside)", False, str(e))
        return
    st = mdb.execute("SELECT state, input_domains, json_array_length(merged_from) FROM scans WHERE id = ?",
                     (mscan,)).fetchone()
    ok("merged scan complete, one row per input domain (%d), from %d shards" % (a.inputs, a.shards),
       len(merged) == a.inputs and tuple(st) == ("complete", a.inputs, a.shards),
       "%d rows, scan %r" % (len(merged), tuple(st)))
    diffs = []
    for dom in sorted(set(ref) | set(merged)):
        x, y = ref.get(dom), merged.get(dom)
        if x is None or y is None:
            diffs.append("%s only in %s" % (dom, "merged" if x is None else "reference"))
            continue
        diffs += ["%s.%s: reference %r, merged %r" % (dom, k, x[k], y[k]) for k in x if x[k] != y.get(k)]
    ok("merged rows equal the unsharded scan's, row for row (timings aside; %d rows)" % len(ref), not diffs,
       "%d differences, e.g. %s" % (len(diffs), "; ".join(diffs[:5])))


if __name__ == "__main__":
    main()
