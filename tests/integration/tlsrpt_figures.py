#!/usr/bin/env python3
"""TLS-RPT ingest and report, checked against the fixtures (tests/vectors/tlsrpt-reports).

1. Ingests each fixture in the order of expected.json into one database and checks the exit
   status, the counts of the summary line, the rejection reason, and the stored warnings.
2. Recomputes every figure of `mtasts report tlsrpt --format json` from the fixtures with
   Python's own gzip, zipfile, email and json modules (nothing shared with the C code) and
   compares table by table.
3. Checks remote strings are escaped in the HTML, CSV and text outputs.
Usage: tlsrpt_figures.py MTASTS_BIN WORKDIR
"""
import datetime, email, email.policy, gzip, hashlib, io, json, os, re, sqlite3, subprocess, sys, zipfile, zlib

BIN, WORK = sys.argv[1], sys.argv[2]
FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors", "tlsrpt-reports")
CAP = 16 << 20
results = []


def check(cond, name, why=""):
    results.append((bool(cond), name, why))


# ---- independent extraction ----
def inflate(data):
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = d.decompress(data, CAP + 1)
    if len(out) > CAP or d.unconsumed_tail:
        return None
    return out


def payloads(data, depth=0):
    """Yields JSON bytes, or None for a rejected payload."""
    if data[:2] == b"\x1f\x8b":
        out = inflate(data)
        yield from ([None] if out is None else payloads(out, depth + 1))
    elif data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for n in z.namelist():
                with z.open(n) as f:
                    b = f.read(CAP + 1)
                yield from ([None] if len(b) > CAP else payloads(b, depth + 1))
    else:
        yield data


def message_payloads(raw):
    m = email.message_from_bytes(raw, policy=email.policy.default)
    for part in m.walk():
        if part.is_multipart():
            continue
        ct = part.get_content_type()
        fn = part.get_filename() or ""
        ok = ct in ("application/tlsrpt+gzip", "application/tlsrpt+json") or (
            ct in ("application/gzip", "application/x-gzip", "application/json", "application/zip",
                   "application/octet-stream") and re.search(r"\.(json|gz|zip)$", fn, re.I))
        if ok:
            yield from payloads(part.get_payload(decode=True))


def source_items(path):
    """Per source: a list of items, each JSON bytes or None (rejected); and #messages."""
    if os.path.isdir(path):
        items = []
        for sub in ("new", "cur"):
            d = os.path.join(path, sub)
            for n in sorted(os.listdir(d)):
                items += list(message_payloads(open(os.path.join(d, n), "rb").read()))
        return items
    data = open(path, "rb").read()
    if data[:5] == b"From ":
        items = []
        for chunk in re.split(rb"^From .*\n", data, flags=re.M)[1:]:
            chunk = re.sub(rb"^>From ", b"From ", chunk, flags=re.M)
            items += list(message_payloads(chunk))
        return items
    s = data.lstrip()
    if data[:2] == b"\x1f\x8b" or data[:4] == b"PK\x03\x04" or s[:1] in (b"{", b"["):
        return list(payloads(data))
    items = list(message_payloads(data))
    return items if items else [None]


def depth(o):
    if isinstance(o, dict):
        return 1 + max([depth(v) for v in o.values()] or [0])
    if isinstance(o, list):
        return 1 + max([depth(v) for v in o] or [0])
    return 0


def parse(b):
    try:
        if max_nesting(b) > 32:
            return None
        o = json.loads(b)
    except (ValueError, RecursionError):
        return None
    if not isinstance(o, dict) or not isinstance(o.get("policies"), list):
        return None
    return o


def max_nesting(b):
    d = m = 0
    instr = esc = False
    for c in b.decode("utf-8", "replace"):
        if instr:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                instr = False
        elif c == '"':
            instr = True
        elif c in "{[":
            d += 1
            m = max(m, d)
        elif c in "}]":
            d -= 1
    return m


def s(v):
    if not isinstance(v, str) or v == "":
        return None
    return v.replace("\x00", "\ufffd")


def count(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    if isinstance(v, float) and v != int(v):
        return None
    v = int(v)
    return v if 0 <= v <= 2**53 - 1 else None


def day_of(t):
    t = s(t)
    if t is None:
        return None
    try:
        dt = datetime.datetime.fromisoformat(t.upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d")


# ---- 1. ingest, one source at a time ----
exp = json.load(open(os.path.join(FIX, "expected.json")))
db = os.path.join(WORK, "tlsrpt.db")
for f in (db, db + "-wal", db + "-shm"):
    if os.path.exists(f):
        os.remove(f)
summary_re = re.compile(r"(\d+) report\(s\) stored .* (\d+) duplicate\(s\), (\d+) rejected, (\d+) message\(s\) read, (\d+) without")
stored = []  # the reports Python keeps, in ingest order
seen_keys, seen_hashes = set(), set()
for e in exp["order"]:
    src = e["source"]
    p = subprocess.run([BIN, "tlsrpt", "ingest", "--db", db, os.path.join(FIX, src)], capture_output=True, text=True, errors="replace")
    m = summary_re.search(p.stderr)
    got = tuple(int(x) for x in m.groups()) if m else None
    check(p.returncode == e["rc"], f"ingest {src}: exit status {e['rc']}", f"got {p.returncode}: {p.stderr[-300:]}")
    check(got and got[0] == e["stored"] and got[1] == e["duplicates"] and got[2] == e["rejected"],
          f"ingest {src}: {e['stored']} stored, {e['duplicates']} duplicate, {e['rejected']} rejected", f"summary {got}")
    if "messages" in e:
        check(got and got[3] == e["messages"] and got[4] == e["without"],
              f"ingest {src}: {e['messages']} messages, {e['without']} without a report", f"summary {got}")
    if "reason" in e:
        check(e["reason"] in p.stderr and src in p.stderr, f"ingest {src}: rejected with its name and '{e['reason']}'", p.stderr[-300:])
    # Python's own view of the same source.
    n_new = n_dup = n_rej = 0
    for item in source_items(os.path.join(FIX, src)):
        o = parse(item) if item is not None else None
        if o is None:
            n_rej += 1
            continue
        key = (s(o.get("organization-name")), s(o.get("report-id")))
        h = hashlib.sha256(item).hexdigest()
        if h in seen_hashes or (key[0] is not None and key[1] is not None and key in seen_keys):
            n_dup += 1
            continue
        seen_hashes.add(h)
        seen_keys.add(key)
        stored.append(o)
        n_new += 1
    check((n_new, n_dup, n_rej) == (e["stored"], e["duplicates"], e["rejected"]),
          f"fixture {src}: expected.json agrees with an independent reading", f"python sees {(n_new, n_dup, n_rej)}")

con = sqlite3.connect(db)
rows = {f"{o}|{r}": (json.loads(w), d) for o, r, w, d in con.execute("SELECT organization, report_id, warnings, day FROM tlsrpt_reports")}
for e in exp["order"]:
    for key, codes in e.get("warnings", {}).items():
        got = sorted({x["code"] for x in rows.get(key, ([], None))[0]})
        check(key in rows and got == sorted(codes), f"warnings of {key}: {codes}", f"got {got}")
    for key, day in e.get("day", {}).items():
        check(rows.get(key, (None, None))[1] == day, f"day of {key} is {day} (UTC)", f"got {rows.get(key)}")
n_blob = con.execute("SELECT count(*) FROM tlsrpt_reports r JOIN blobs b ON r.raw_blob = b.id WHERE b.kind = 'tlsrpt_report'").fetchone()[0]
check(n_blob == len(stored), "every stored report keeps its JSON as an artifact", f"{n_blob} of {len(stored)}")
codec = {c for (c,) in con.execute("SELECT DISTINCT b.codec FROM tlsrpt_reports r JOIN blobs b ON r.raw_blob = b.id")}
check("zstd" in codec, "report artifacts are zstd-compressed", f"codecs {codec}")

# ---- 2. figures ----
def policies():
    for o in stored:
        day = day_of((o.get("date-range") or {}).get("start-datetime")) if isinstance(o.get("date-range"), dict) else None
        org = s(o.get("organization-name"))
        for p in o["policies"]:
            if not isinstance(p, dict):
                continue
            pol = p.get("policy") if isinstance(p.get("policy"), dict) else {}
            dom = s(pol.get("policy-domain"))
            dom = dom.lower().rstrip(".") if dom else None
            summ = p.get("summary") if isinstance(p.get("summary"), dict) else {}
            fds = [f for f in (p.get("failure-details") or []) if isinstance(f, dict)]
            yield id(o), org, day, dom, count(summ.get("total-successful-session-count")), count(summ.get("total-failure-session-count")), fds


def add(d, k, *vals):
    cur = d.setdefault(k, [0] * len(vals))
    for i, v in enumerate(vals):
        cur[i] += v


days, doms, types, orgs, orgtypes, mxs, daytypes = {}, {}, {}, {}, {}, {}, {}
rep_days, rep_doms, rep_orgs = {}, {}, {}
for rid, org, day, dom, ok, failed, fds in policies():
    add(days, (dom, day), ok or 0, failed or 0)
    rep_days.setdefault((dom, day), set()).add(rid)
    add(doms, dom, ok or 0, failed or 0)
    rep_doms.setdefault(dom, set()).add(rid)
    add(orgs, (dom, org), ok or 0, failed or 0)
    rep_orgs.setdefault((dom, org), set()).add(rid)
    for f in fds:
        n = count(f.get("failed-session-count")) or 0
        rt = s(f.get("result-type"))
        reason = s(f.get("failure-reason-code")) or s(f.get("failure-error-code"))
        add(types, (dom, rt), 1, n)
        add(daytypes, (dom, day, rt), n)
        add(orgtypes, (dom, org, rt), n)
        add(mxs, (dom, s(f.get("receiving-mx-hostname")), s(f.get("receiving-ip")), rt, reason), 1, n)

p = subprocess.run([BIN, "report", "tlsrpt", "--db", db, "--format", "json"], capture_output=True, text=True)
check(p.returncode == 0, "report tlsrpt --format json exits 0", p.stderr)
rep = json.loads(p.stdout) if p.returncode == 0 else {"tables": {}}
T = rep.get("tables", {})


def table(name, cols):
    return sorted((tuple(r[c] for c in cols) for r in T.get(name, {}).get("rows", [])), key=repr)


def same(name, got, want):
    want = sorted(want, key=repr)
    check(got == want, f"report tlsrpt: table {name} equals the independent figures ({len(want)} rows)",
          f"\n got  {got}\n want {want}")


same("tlsrpt_days", table("tlsrpt_days", ["domain", "day", "reports", "successful", "failed"]),
     [(d, day, len(rep_days[(d, day)]), v[0], v[1]) for (d, day), v in days.items()])
same("tlsrpt_domains", table("tlsrpt_domains", ["domain", "reports", "days", "successful", "failed", "first_day", "last_day"]),
     [(d, len(rep_doms[d]), len({day for (dd, day) in days if dd == d and day}), v[0], v[1],
       min([day for (dd, day) in days if dd == d and day], default=None), max([day for (dd, day) in days if dd == d and day], default=None))
      for d, v in doms.items()])
same("tlsrpt_day_types", table("tlsrpt_day_types", ["domain", "day", "result_type", "sessions"]),
     [(d, day, rt, v[0]) for (d, day, rt), v in daytypes.items()])
same("tlsrpt_result_types", table("tlsrpt_result_types", ["domain", "result_type", "details", "sessions"]),
     [(d, rt, v[0], v[1]) for (d, rt), v in types.items()])
same("tlsrpt_reporters", table("tlsrpt_reporters", ["domain", "organization", "reports", "successful", "failed"]),
     [(d, o, len(rep_orgs[(d, o)]), v[0], v[1]) for (d, o), v in orgs.items()])
same("tlsrpt_reporter_failures", table("tlsrpt_reporter_failures", ["domain", "organization", "result_type", "sessions"]),
     [(d, o, rt, v[0]) for (d, o, rt), v in orgtypes.items()])
same("tlsrpt_mx", table("tlsrpt_mx", ["domain", "receiving_mx_hostname", "receiving_ip", "result_type", "reason_code", "details", "sessions"]),
     [k + tuple(v) for k, v in mxs.items()])
check(len(T.get("tlsrpt_report_list", {}).get("rows", [])) == len(stored), f"report list has the {len(stored)} stored reports",
      str(len(T.get("tlsrpt_report_list", {}).get("rows", []))))

# --domain and --since filter the same figures.
p = subprocess.run([BIN, "report", "tlsrpt", "--db", db, "--format", "json", "--domain", "EXAMPLE.com.", "--since", "2026-11-29"], capture_output=True, text=True)
sub = json.loads(p.stdout)["tables"]["tlsrpt_days"]["rows"] if p.returncode == 0 else []
want = sorted((d, day, len(rep_days[(d, day)]), v[0], v[1]) for (d, day), v in days.items() if d == "example.com" and day and day >= "2026-11-29")
check(sorted(tuple(r[c] for c in ["domain", "day", "reports", "successful", "failed"]) for r in sub) == want,
      "report tlsrpt --domain EXAMPLE.com. --since 2026-11-29: the filtered days", f"{sub} vs {want}")

# ---- a directory: every source below it (Maildir included), each report once ----
db2 = os.path.join(WORK, "dir.db")
p = subprocess.run([BIN, "tlsrpt", "ingest", "--db", db2, FIX], capture_output=True, text=True, errors="replace")
m = summary_re.search(p.stderr)
got = tuple(int(x) for x in m.groups()) if m else None
check(p.returncode == 1 and got and got[0] == len(stored) and got[1] == 2,
      f"the fixture directory at once: {len(stored)} reports stored, 2 duplicates, exit 1 (bombs rejected)", f"rc {p.returncode}, {got}")
same_db = lambda q: [tuple(r) for r in sqlite3.connect(db2).execute(q)] == [tuple(r) for r in con.execute(q)]
check(same_db("SELECT organization, report_id, day, warnings FROM tlsrpt_reports ORDER BY 1, 2"),
      "the directory gives the same reports as the files one by one")

# ---- 3. hostile strings escaped in every output ----
outs = {f: subprocess.run([BIN, "report", "tlsrpt", "--db", db, "--format", f], capture_output=True).stdout for f in ("text", "md", "csv", "html")}
check(b"<script>" not in outs["html"] and b"&lt;script&gt;" in outs["html"] and b"<img src=x>" not in outs["html"],
      "html: markup from a report is escaped")
check(all(b"\x1b" not in outs[f] and b"\x07" not in outs[f] for f in ("text", "md", "html")), "text, md, html: no raw control bytes from reports")
import re as _re
check(_re.search(rb'(^|,)"[^"\n]*\x1b\[31mEvil\x07[^"]*"(,|\r?\n)', outs["csv"], _re.M) is not None,
      "csv: the control bytes of a report kept inside a quoted field (shared/DESIGN.md)")
check(b"'=cmd|" in outs["csv"] and b",=cmd|" not in outs["csv"], "csv: a formula-looking MX name is neutralised")
check(b"<svg" in outs["html"], "html: the failures-per-day chart is drawn")

# ---- plan, then the cases ----
print(f"1..{len(results)}")
for ok, name, why in results:
    print(("ok - " if ok else "not ok - ") + name + ("" if ok else " # " + why.replace("\n", " | ")))
