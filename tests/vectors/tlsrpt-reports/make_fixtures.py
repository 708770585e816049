#!/usr/bin/env python3
"""Writes the TLS-RPT report fixtures of this folder (deterministic bytes: rerun to check).

Each fixture is described in README.md with what `mtasts tlsrpt ingest` must do with it;
expected.json lists, per fixture, the outcome and the warning codes the stored report gets.
The figures of `mtasts report tlsrpt --format json` are checked against the JSON reports
themselves by tests/integration/tlsrpt_figures.py (independent of the C code).
"""
import base64, copy, email.policy, gzip, io, json, os, quopri, zipfile
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.message import EmailMessage

HERE = os.path.dirname(os.path.abspath(__file__))


def w(name, data):
    path = os.path.join(HERE, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def gz(data):
    return gzip.compress(data if isinstance(data, bytes) else data.encode(), mtime=0)


def report(org, rid, start, end, policies, contact="tlsrpt@reporter.example"):
    return {"organization-name": org, "date-range": {"start-datetime": start, "end-datetime": end},
            "contact-info": contact, "report-id": rid, "policies": policies}


def sts(domain, ok, failed, details=None, mx=None):
    p = {"policy": {"policy-type": "sts",
                    "policy-string": ["version: STSv1", "mode: testing", "mx: *.mx." + domain, "max_age: 604800"],
                    "policy-domain": domain, "mx-host": mx if mx is not None else ["*.mx." + domain]},
         "summary": {"total-successful-session-count": ok, "total-failure-session-count": failed}}
    if details is not None:
        p["failure-details"] = details
    return p


def fd(rtype, mx=None, ip=None, n=1, **kw):
    d = {"result-type": rtype, "sending-mta-ip": "192.0.2.10", "failed-session-count": n}
    if mx is not None:
        d["receiving-mx-hostname"] = mx
    if ip is not None:
        d["receiving-ip"] = ip
    d.update({k.replace("_", "-"): v for k, v in kw.items()})
    return d


def mail(subject, msgid, parts, report_type=True, date="Mon, 30 Nov 2026 08:00:00 +0000"):
    m = MIMEMultipart("report", report_type="tlsrpt") if report_type else MIMEMultipart("mixed")
    m["From"] = "noreply-smtp-tls-reporting@reporter.example"
    m["To"] = "tlsrpt@example.com"
    m["Subject"] = subject
    m["Date"] = date
    m["Message-ID"] = msgid
    m["TLS-Report-Domain"] = "example.com"
    m["TLS-Report-Submitter"] = "reporter.example"
    m.attach(MIMEText("This is an aggregate TLS report.\n"))
    for p in parts:
        m.attach(p)
    m.set_boundary("=_b_" + msgid.strip("<>").split("@")[0])
    return m.as_bytes(policy=email.policy.SMTP)


def gz_part(data, filename, ctype="tlsrpt+gzip"):
    p = MIMEApplication(gz(data), ctype)
    p.add_header("Content-Disposition", "attachment", filename=filename)
    return p


def j(obj, indent=None):
    return json.dumps(obj, indent=indent)


# 1. The RFC 8460 example (section 4.4) as printed, with its additional-information URL on one
#    line: mx-host is a string, and its last detail says failure-error-code.
rfc = open(os.path.join(HERE, "rfc8460-example.json")).read() if os.path.exists(os.path.join(HERE, "rfc8460-example.json")) else None

# 2. Google-style: multipart/report with a gzip attachment, day-long range, a clean day.
google = report("Google LLC", "2026-11-28T00:00:00Z_example.com", "2026-11-28T00:00:00Z",
                "2026-11-28T23:59:59Z", [sts("example.com", 1200, 0)],
                contact="smtp-tls-reporting@google.com")
w("google-style.eml", mail("Report Domain: example.com Submitter: google.com Report-ID: <2026.11.28>",
                           "<g1@google.example>",
                           [gz_part(j(google), "google.com!example.com!1795824000!1795910399.json.gz")]))

# 3. Microsoft-style: report id with the domain, end at 23:59:59Z, empty strings for fields
#    it does not know, a certificate-host-mismatch for one MX.
ms = report("Microsoft Corporation", "133456789012345678+example.com", "2026-11-29T00:00:00Z",
            "2026-11-29T23:59:59Z",
            [sts("example.com", 800, 12,
                 [fd("certificate-host-mismatch", "mx2.mx.example.com", "198.51.100.25", 12,
                     receiving_mx_helo="", additional_information="", failure_reason_code="")])],
            contact="tlsrpt-noreply@microsoft.com")
w("microsoft-style.eml", mail("[TLSRPT] example.com 2026-11-29", "<m1@microsoft.example>",
                              [gz_part(j(ms), "enterprise.protection.outlook.com!example.com!1795910400!1795996799.json.gz")]))

# 4. Empty detail fields everywhere.
empty = report("Empty Fields Inc", "empty-1", "2026-11-27T00:00:00Z", "2026-11-28T00:00:00Z",
               [sts("example.net", 50, 2, [{"result-type": "starttls-not-supported", "sending-mta-ip": "",
                                            "receiving-mx-hostname": "", "receiving-ip": "", "receiving-mx-helo": "",
                                            "failed-session-count": 2, "additional-information": "",
                                            "failure-reason-code": ""}])])
w("empty-fields.json", j(empty, 2))

# 5. Summary and details disagree (10 vs 4 + 3).
mism = report("Mismatch Mail", "mismatch-1", "2026-11-27T00:00:00Z", "2026-11-27T23:59:59Z",
              [sts("example.net", 90, 10, [fd("certificate-expired", "mx1.mx.example.net", None, 4),
                                           fd("certificate-not-trusted", "mx1.mx.example.net", None, 3)])])
w("summary-mismatch.json", j(mism))

# 6. An unknown result type and an unknown policy type, kept with warnings.
unk = report("Future Sender", "unknown-1", "2026-11-26T00:00:00Z", "2026-11-26T23:59:59Z",
             [sts("example.org", 10, 1, [fd("tls-version-too-old", "mx.example.org", None, 1)]),
              {"policy": {"policy-type": "sts-v2", "policy-domain": "example.org"},
               "summary": {"total-successful-session-count": 5, "total-failure-session-count": 0}}])
w("unknown-result-type.json", j(unk))

# 7. Time zones: a range given in +02:00 starts on the previous UTC day; a fraction of a
#    second; a lower-case z.
tz = report("Zoned Reporter", "tz-1", "2026-11-26T00:00:00.000+02:00", "2026-11-26T23:59:59.999+02:00",
            [sts("example.org", 20, 0)])
w("timezone.json", j(tz))
tz2 = report("Zoned Reporter", "tz-2", "2026-11-24t00:00:00z", "2026-11-24t23:59:59z", [sts("example.org", 7, 0)])
w("timezone-lowercase.json", j(tz2))

# 8. Duplicates: the RFC example gzip'ed (same JSON bytes), and the Google report with other
#    whitespace (same organization and report id).
if rfc is not None:
    w("duplicate-rfc8460-example.json.gz", gz(rfc))
w("duplicate-google-reformatted.json", j(google, 4))

# 9. Hostile: a gzip bomb (17 MiB of spaces), a zip bomb (the same in a zip), deep nesting,
#    huge and negative counts, markup and control characters, not JSON, dates out of order.
w("hostile-gzip-bomb.json.gz", gzip.compress(b" " * (17 << 20), mtime=0, compresslevel=9))
zb = io.BytesIO()
with zipfile.ZipFile(zb, "w", zipfile.ZIP_DEFLATED) as z:
    zi = zipfile.ZipInfo("bomb.json", date_time=(2026, 1, 1, 0, 0, 0))
    zi.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(zi, b" " * (17 << 20))
w("hostile-zip-bomb.zip", zb.getvalue())
w("hostile-deep-nesting.json", '{"policies": [' + "[" * 5000 + "]" * 5000 + "]}")
huge = report("Huge Counts", "huge-1", "2026-11-25T00:00:00Z", "2026-11-25T23:59:59Z",
              [sts("example.org", 0, 0, [fd("validation-failure", "mx.example.org", None, 1)])])
s = j(huge)
s = s.replace('"total-successful-session-count": 0', '"total-successful-session-count": 18446744073709551616')
s = s.replace('"total-failure-session-count": 0', '"total-failure-session-count": -5')
s = s.replace('"failed-session-count": 1', '"failed-session-count": 9223372036854775808')
w("hostile-huge-counts.json", s)
markup = report("<script>alert(1)</script>\u001b[31mEvil\u0007", "markup-1\u0000x", "2026-11-25T00:00:00Z",
                "2026-11-25T23:59:59Z",
                [sts("example.org", 3, 1, [fd("certificate-host-mismatch", "=cmd|' /C calc'!A0", "<img src=x>", 1,
                                              additional_information="\r\n<b>bold</b>\u202e")])])
w("hostile-markup.json", j(markup))
w("hostile-not-json.json", "this is not a report\n")
ooo = report("Backwards Clock", "ooo-1", "2026-11-25T23:59:59Z", "2026-11-25T00:00:00Z", [sts("example.org", 4, 0)])
w("hostile-dates-out-of-order.json", j(ooo))

# 10. A zip with a real report (some reporters send .zip), and a quoted-printable JSON part.
zr = report("Zip Sender", "zip-1", "2026-11-28T00:00:00Z", "2026-11-28T23:59:59Z", [sts("example.net", 33, 0)])
zbuf = io.BytesIO()
with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr(zipfile.ZipInfo("zip-sender!example.net!1.json", date_time=(2026, 1, 1, 0, 0, 0)), j(zr))
w("report.zip", zbuf.getvalue())
qp = report("QP Sender", "qp-1", "2026-11-28T00:00:00Z", "2026-11-28T23:59:59Z",
            [sts("example.com", 40, 1, [fd("sts-policy-fetch-error", None, None, 1,
                                           failure_reason_code="HTTP 404 =/=")])])
part = MIMEApplication(j(qp, 2).encode(), "tlsrpt+json", _encoder=lambda p: None)
part.set_payload(quopri.encodestring(j(qp, 2).encode()).decode())
part["Content-Transfer-Encoding"] = "quoted-printable"
part.add_header("Content-Disposition", "attachment", filename="qp.json")
w("quoted-printable.eml", mail("QP report", "<qp1@qp.example>", [part]))

# 11. An mbox with mixed content: a report, a message without one, a report with a generic
#     media type (application/gzip + .json.gz name), and a bomb attachment.
plain = EmailMessage()
plain["From"] = "alice@example.com"
plain["To"] = "tlsrpt@example.com"
plain["Subject"] = "hello"
plain["Date"] = "Mon, 30 Nov 2026 09:00:00 +0000"
plain.set_content("Not a report.\n")
gen = report("Generic Type Sender", "generic-1", "2026-11-29T00:00:00Z", "2026-11-29T23:59:59Z",
             [sts("example.net", 61, 0)])
bomb_mail = mail("bomb", "<b1@bomb.example>", [gz_part(b" " * (17 << 20), "bomb.json.gz")])
msgs = [mail("mbox report 1", "<mb1@reporter.example>",
             [gz_part(j(report("Mbox Sender", "mbox-1", "2026-11-29T00:00:00Z", "2026-11-29T23:59:59Z",
                               [sts("example.com", 70, 3, [fd("certificate-expired", "mx1.mx.example.com",
                                                              "192.0.2.25", 3)])])),
                      "mbox-1.json.gz")]),
        plain.as_bytes(policy=email.policy.SMTP),
        mail("generic", "<gen1@reporter.example>", [gz_part(j(gen), "generic-1.json.gz", "gzip")]),
        bomb_mail]
mbox = b""
for m in msgs:
    body = m.replace(b"\r\n", b"\n")
    body = b"\n".join((b">" + l if l.startswith(b"From ") else l) for l in body.split(b"\n"))
    mbox += b"From reporter@example Mon Nov 30 08:00:00 2026\n" + body.rstrip(b"\n") + b"\n\n"
w("mixed.mbox", mbox)

# 12. A Maildir with mixed content in new/ and cur/ (tmp/ is ignored).
md = [("new/1795996800.M1P1.host", mail("maildir report", "<md1@reporter.example>",
                                        [gz_part(j(report("Maildir Sender", "md-1", "2026-11-30T00:00:00Z",
                                                          "2026-11-30T23:59:59Z",
                                                          [sts("example.com", 500, 0)])), "md-1.json.gz")])),
      ("cur/1795996801.M2P1.host:2,S", plain.as_bytes(policy=email.policy.SMTP)),
      ("cur/1795996802.M3P1.host:2,S", mail("maildir report 2", "<md2@reporter.example>",
                                            [gz_part(j(report("Maildir Sender", "md-2", "2026-11-26T00:00:00Z",
                                                              "2026-11-26T23:59:59Z",
                                                              [sts("example.net", 9, 1,
                                                                   [fd("sts-webpki-invalid", None, None, 1)])])),
                                                     "md-2.json.gz")])),
      ("tmp/1795996803.M4P1.host", b"partial delivery, never read\n")]
for name, data in md:
    w("maildir/" + name, data)
