#!/usr/bin/env python3
"""Compares the MX probes of `mtasts check --json` lines with the world's truth (mx_probes).

Usage: compare_mx_probes.py CHECK_JSONL TRUTH_JSONL
One TAP line per scenario: every domain of the scenario has exactly the truth's MX hosts,
each with the truth's SMTP outcome, DANE outcome, addresses and (after a handshake) TLS
version. Prints the plan first.
"""
import json
import sys
from collections import defaultdict


def host_diffs(got, want):
    diffs = []
    g = {h["host"]: h for h in got}
    w = {h["host"]: h for h in want}
    if set(g) != set(w):
        return ["hosts %s != truth %s" % (sorted(g), sorted(w))]
    for name, t in w.items():
        h = g[name]
        if h["smtp"] != t["smtp"]:
            diffs.append("%s smtp %s != %s" % (name, h["smtp"], t["smtp"]))
        if h["dane"] != t["dane"]:
            diffs.append("%s dane %s != %s" % (name, h["dane"], t["dane"]))
        addrs = sorted(a["addr"] for a in h["addresses"])
        if addrs != sorted(t["addrs"]):
            diffs.append("%s addrs %s != %s" % (name, addrs, sorted(t["addrs"])))
        if t["tls_version"]:
            vers = sorted({a["tls_version"] for a in h["addresses"]})
            if vers != [t["tls_version"]]:
                diffs.append("%s tls %s != %s" % (name, vers, t["tls_version"]))
    return diffs


def main():
    got = {}
    with open(sys.argv[1]) as f:
        for line in f:
            line = line.strip()
            if line:
                d = json.loads(line)
                got[d["domain"]] = d
    by_scn = defaultdict(list)
    with open(sys.argv[2]) as f:
        for line in f:
            t = json.loads(line)
            if t.get("mx_probes"):
                by_scn[t["scenario"]].append(t)
    print("1..%d" % len(by_scn))
    failed = 0
    for scn in sorted(by_scn):
        problems = []
        for t in by_scn[scn]:
            d = got.get(t["domain"])
            if d is None:
                problems.append("%s: no output" % t["domain"])
                continue
            mp = d.get("mx_probes")
            if mp is None:
                problems.append("%s: no mx_probes" % t["domain"])
                continue
            if mp["port25_blocked"]:
                problems.append("%s: port25_blocked" % t["domain"])
            problems += ["%s: %s" % (t["domain"], x) for x in host_diffs(mp["hosts"], t["mx_probes"])]
        n = len(by_scn[scn])
        if problems:
            failed += 1
            print("not ok - mx probes: %s (%d domains) # %s" % (scn, n, "; ".join(problems[:3])))
        else:
            print("ok - mx probes: %s (%d domains)" % (scn, n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
