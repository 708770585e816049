#!/usr/bin/python3
"""Generate a local MTA-STS test world: zone, policies, certificates, server configs, ground truth.

Usage: gen_world.py --dir DIR [--n N] [--seed S] [--mix default|bench|policy-only]

Everything is deterministic for a given (N, seed, mix) except certificate validity dates
(relative to the generation time) and ECDSA signature bytes. See scripts/world/README.md.
"""

import argparse
import datetime
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import time
import zlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID

# ---------------------------------------------------------------------------
# Address plan (inside the world's network namespace; only `lo` exists there)
# ---------------------------------------------------------------------------
ADDR = {
    "resolver": "127.0.0.1",      # unbound :53, unbound-control :8953
    "auth": "127.0.0.2",          # NSD :53 (zone test.)
    "dns_blackhole": "127.0.0.3",  # helper: UDP/TCP :53, never answers
    "dns_refused": "127.0.0.4",   # helper: answers REFUSED to everything (lame server)
    "https_refused": "127.0.2.1",  # nothing listens: TCP RST
    "syn_blackhole": "127.0.2.2",  # helper: full accept queue, SYNs dropped -> connect timeout
    "slow_drip": "127.0.2.3",     # helper: TLS, headers then one body byte every 3 s
    "mx": "127.0.3.1",            # A record of the no-mx domains (the implicit MX; nothing listens)
}
# SMTP (port 25) listeners: one Postfix master with one `inet` service per address; the
# scenario listeners each serve one kind of MX host (README: "MX hosts").
SMTP = {
    "provider-g": "127.0.4.1",        # gmail-smtp-in.l.provider-g.test and alt1/alt2: one cert, 3 SANs
    "provider-m": "127.0.4.2",        # *.mail.protection.provider-m.test: wildcard cert
    "starttls-missing": "127.0.4.10",  # TLS off: EHLO does not offer STARTTLS
    "expired": "127.0.4.11",          # leaf notAfter = generation - 30 days
    "notyet": "127.0.4.12",           # leaf notBefore = generation + 30 days
    "wrongname": "127.0.4.13",        # leaf for www.wrong-name.test
    "selfsigned": "127.0.4.14",       # self-signed leaf for the MX names
    "untrusted": "127.0.4.15",        # leaf from the untrusted root, no chain
    "soon": "127.0.4.16",             # leaf notAfter = generation + 7 days (valid)
    "tls10": "127.0.4.17",            # valid leaf, TLSv1 only (SECLEVEL=0)
    "banner554": "127.0.4.18",        # 554 greeting (smtpd_client_restrictions=reject)
    "silent": "127.0.4.19",           # helper smtp-silent: accepts TCP, never speaks
    "refused": "127.0.4.20",          # nothing listens: connection refused
    "starttls-failed": "127.0.4.21",  # STARTTLS offered, every handshake fails (no shared cipher)
}
# Own MX hosts (mx1.D, mx2.D, ... of domains that publish a policy, and the DANE hosts) are
# valid MX hosts served by "batch" listeners: batch b holds up to BATCH_SIZE host names, one
# certificate with all of them as SANs, on its own address 127.0.(5 + b // 254).(b % 254 + 1).
BATCH_SIZE = 128
# smtp outcome, TLS version for each listener kind ("ok" = a batch listener)
SMTP_OUTCOME = {
    "ok": ("smtp_ok", "TLSv1.3"), "provider-g": ("smtp_ok", "TLSv1.3"),
    "provider-m": ("smtp_ok", "TLSv1.3"), "soon": ("smtp_ok", "TLSv1.3"),
    "starttls-missing": ("starttls_not_offered", None),
    "expired": ("mx_cert_expired", "TLSv1.3"), "notyet": ("mx_cert_not_yet_valid", "TLSv1.3"),
    "wrongname": ("mx_cert_name_mismatch", "TLSv1.3"),
    "selfsigned": ("mx_cert_self_signed", "TLSv1.3"),
    "untrusted": ("mx_cert_untrusted", "TLSv1.3"), "tls10": ("mx_tls_old", "TLSv1"),
    "banner554": ("smtp_refused", None), "silent": ("smtp_timeout", None),
    "refused": ("smtp_connect_failed", None), "starttls-failed": ("starttls_failed", None),
}
SMTP_UNREACHABLE = {"smtp_connect_failed", "smtp_timeout", "smtp_refused", "smtp_no_address"}
SMTP_FAILS_DELIVERY = {"starttls_not_offered", "starttls_failed", "mx_cert_expired",
                       "mx_cert_not_yet_valid", "mx_cert_name_mismatch", "mx_cert_self_signed",
                       "mx_cert_untrusted"}
SMTP_OPTION = "--checks +smtp:all,+dane"
SEC_ZONE = "sec.test"  # DNSSEC-signed (ldns-signzone), delegated from test.; trust anchor in unbound
NGINX_ADDRS = ["127.0.1.%d" % i for i in range(1, 17)]  # nginx :443, policy hosts spread by hash
# nginx's headers-more module (Debian: libnginx-mod-http-headers-more-filter): Server headers
HEADERS_MORE_MODULE = "/usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so"
PRIVATE_ADDRS = ["10.20.30.40", "192.168.77.7", "172.16.5.5"]

DAY = 86400
SOON_DAYS = 7  # cert-expiring-soon: notAfter = generation time + 7 days (threshold is 14)


# ---------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------
# Each scenario: name -> dict(share_default, share_bench, spec...). Expected results are
# explicit here and checked against docs/taxonomy.md by hand; warnings are derived by
# warnings_for() from what the deployment publishes.
#
# spec keys:
#   txt:    "std" | "none" | "split" | "cname" | "multiple" | "no-id" | "bad-id" | "long-id"
#           | "other" | "stsv10" | "apex" | "servfail" | "timeout"
#   host:   "nginx" | "none" | "nodata" | "private" | "refused" | "synbh" | "slowdrip"
#   http:   "ok" | "404" | "500" | "redirect" | "html" | "big" | "tlsfail" | "charset"
#   cert:   "good" | "expired" | "notyet" | "wrongname" | "selfsigned" | "untrusted" | "soon"
#   policy: name of a policy body template (see policy_body)
#   mx:     "own" | "own1" | "provider" | "wild" | "wild2" | "uncovered" | "null" | "nomx"
#   tlsrpt: "valid" | "invalid" | "none"
#   smtp:   listener of the first own MX host (mx1.D): "ok" (a batch listener) or a key of SMTP
#   smtp2:  listener of the second own MX host (mx2.D), default "ok"
#   tlsa:   None | "ee" | "ta" | "mismatch" | "bogus" | "invalid" | "unsigned" (TLSA at
#           _25._tcp.<mx1>; all but "unsigned" with mx="sec": the MX host lives in sec.test)
#   server: None (nginx's own "Server: nginx", server_tokens off) or the Server header the
#           policy host sends instead, as a hosting platform does (nginx's headers-more module,
#           more_set_headers; Debian package libnginx-mod-http-headers-more-filter)
#   status/category: expected outcome (taxonomy.md)

S = {}
# Scenarios added after the first set, by generation (the delivery side, then the hosting
# platforms): their domains take no-sts ranks, so earlier domains keep theirs (plan()).
LATER_FIRST = ("mx-starttls-missing", "hosting-github-pages")  # first scenario of each
LATER = []  # [[names of generation 1], [names of generation 2], ...]


def sc(name, d, b, status, category=None, **spec):
    base = dict(txt="std", host="nginx", http="ok", cert="good", policy="enforce", mx="own",
                tlsrpt="valid", smtp="ok", smtp2="ok", tlsa=None, server=None)
    base.update(spec)
    base.update(name=name, share_default=d, share_bench=b, status=status, category=category)
    S[name] = base
    if name in LATER_FIRST:
        LATER.append([])
    if LATER:
        LATER[-1].append(name)


# no MTA-STS at all (the vast majority: it takes whatever is left)
sc("no-sts", 0, 0, "no_policy", txt="none", host="none", policy=None, mx="varied", tlsrpt="none")
sc("no-sts-tlsrpt", 0.01, 0.003, "no_policy", txt="none", host="none", policy=None, mx="varied")
sc("no-sts-other-txt", 0.002, 0.001, "no_policy", txt="other", host="none", policy=None, tlsrpt="none")
sc("no-sts-stsv10", 0.001, 0.00002, "no_policy", txt="stsv10", host="none", policy=None, tlsrpt="none")
sc("txt-at-apex", 0.001, 0.00002, "no_policy", txt="apex", host="none", policy=None, tlsrpt="none")
sc("orphan-policy", 0.001, 0.00002, "no_policy", txt="none", tlsrpt="none")
sc("nxdomain", 0.01, 0.02, "domain_nxdomain", txt="none", host="none", policy=None, mx="absent",
   tlsrpt="none")
# valid deployments
sc("valid-enforce", 0.01, 0.0021, "valid", mx="varied")
sc("valid-testing", 0.007, 0.0031, "valid", policy="testing", mx="varied")
sc("valid-none", 0.001, 0.0001, "valid", policy="none")
sc("lf-only", 0.001, 0.0003, "valid", policy="enforce-lf")
sc("txt-split", 0.001, 0.0001, "valid", txt="split")
sc("txt-cname", 0.001, 0.0002, "valid", txt="cname")
sc("ctype-charset", 0.001, 0.0001, "valid", http="charset")
sc("max-age-short", 0.001, 0.0002, "valid", policy="enforce-short")
sc("lenient-case", 0.001, 0.00003, "valid", policy="lenient-case")
sc("lenient-dup-key", 0.001, 0.00003, "valid", policy="lenient-dup")
sc("mx-wildcard", 0.001, 0.0002, "valid", mx="wild", policy="wild")
sc("null-mx", 0.001, 0.00005, "valid", mx="null")
sc("no-mx", 0.001, 0.00005, "valid", mx="nomx")
sc("tlsrpt-missing", 0.001, 0.0003, "valid", tlsrpt="none")
sc("tlsrpt-invalid", 0.001, 0.00005, "valid", tlsrpt="invalid")
sc("testing-no-tlsrpt", 0.001, 0.0003, "valid", policy="testing", tlsrpt="none")
sc("cert-expiring-soon", 0.001, 0.0001, "valid", cert="soon")
# invalid: TXT record
sc("txt-multiple", 0.001, 0.00005, "invalid", "txt_multiple", txt="multiple")
sc("txt-no-id", 0.001, 0.00005, "invalid", "txt_syntax", txt="no-id")
sc("txt-bad-id", 0.001, 0.00005, "invalid", "txt_syntax", txt="bad-id")
sc("txt-long-id", 0.001, 0.00003, "invalid", "txt_syntax", txt="long-id")
# invalid: policy host address
sc("policy-host-no-address", 0.002, 0.0009, "invalid", "policy_host_no_address", host="none")
sc("policy-host-nodata", 0.001, 0.0001, "invalid", "policy_host_no_address", host="nodata")
sc("policy-host-private", 0.001, 0.00003, "invalid", "policy_host_private_address", host="private")
# invalid: transport
sc("https-refused", 0.001, 0.00005, "invalid", "https_connect_failed", host="refused")
sc("https-connect-timeout", 0.001, 0.00002, "invalid", "https_timeout", host="synbh")
sc("tls-handshake-fail", 0.001, 0.00005, "invalid", "tls_handshake_failed", http="tlsfail")
sc("slow-drip", 0.0007, 0.00001, "invalid", "https_timeout", host="slowdrip")
# invalid: certificate
sc("cert-expired", 0.001, 0.0002, "invalid", "cert_expired", cert="expired")
sc("cert-not-yet-valid", 0.001, 0.00002, "invalid", "cert_not_yet_valid", cert="notyet")
sc("cert-wrong-name", 0.001, 0.00015, "invalid", "cert_name_mismatch", cert="wrongname")
sc("cert-self-signed", 0.001, 0.0001, "invalid", "cert_self_signed", cert="selfsigned")
sc("cert-untrusted", 0.001, 0.0001, "invalid", "cert_untrusted", cert="untrusted")
# invalid: HTTP
sc("http-404", 0.001, 0.0002, "invalid", "http_status", http="404")
sc("http-500", 0.001, 0.00003, "invalid", "http_status", http="500")
sc("http-redirect", 0.001, 0.00005, "invalid", "http_redirect", http="redirect")
sc("content-type", 0.001, 0.0001, "invalid", "content_type", http="html")
sc("body-too-large", 0.001, 0.00001, "invalid", "body_too_large", http="big")
# invalid: policy body
sc("policy-syntax", 0.001, 0.00003, "invalid", "policy_syntax", policy="bad-syntax")
sc("policy-no-version", 0.001, 0.00003, "invalid", "policy_version", policy="no-version")
sc("policy-bad-mode", 0.001, 0.00003, "invalid", "policy_mode", policy="bad-mode")
sc("policy-no-max-age", 0.001, 0.00003, "invalid", "policy_max_age", policy="no-max-age")
sc("policy-max-age-nonnumeric", 0.001, 0.00003, "invalid", "policy_max_age", policy="max-age-nan")
sc("policy-max-age-too-big", 0.001, 0.00003, "invalid", "policy_max_age", policy="max-age-big")
sc("policy-enforce-no-mx", 0.001, 0.00003, "invalid", "policy_no_mx", policy="no-mx")
# invalid: MX coverage
sc("mx-not-covered", 0.001, 0.0003, "invalid", "mx_not_covered", mx="uncovered", policy="own1")
sc("mx-not-covered-testing", 0.001, 0.0001, "invalid", "mx_not_covered", mx="uncovered",
   policy="own1-testing")
sc("mx-wildcard-two-labels", 0.001, 0.00003, "invalid", "mx_not_covered", mx="wild2", policy="wild")
# DNS errors for the _mta-sts lookup
sc("dns-servfail", 0.001, 0.0005, "dns_error", txt="servfail", host="none", policy=None)
sc("dns-timeout", 0.001, 0.00002, "dns_error", txt="timeout", host="none", policy=None)

# the delivery side (MX hosts on port 25; README "MX hosts"): the policy covers every MX host,
# so the only problem is the SMTP/TLS one; "single" = one MX host mx1.D, policy mx: mx1.D
sc("mx-starttls-missing", 0.001, 0.00003, "valid", mx="single", smtp="starttls-missing")
sc("mx-starttls-missing-testing", 0.001, 0.00002, "valid", mx="single", smtp="starttls-missing",
   policy="testing")
sc("mx-cert-expired", 0.001, 0.00003, "valid", mx="single", smtp="expired")
sc("mx-cert-not-yet-valid", 0.001, 0.00002, "valid", mx="single", smtp="notyet")
sc("mx-cert-wrong-name", 0.001, 0.00003, "valid", mx="single", smtp="wrongname")
sc("mx-cert-wrong-name-testing", 0.001, 0.00002, "valid", mx="single", smtp="wrongname",
   policy="testing")
sc("mx-cert-self-signed", 0.001, 0.00002, "valid", mx="single", smtp="selfsigned")
sc("mx-cert-untrusted", 0.001, 0.00002, "valid", mx="single", smtp="untrusted")
sc("mx-cert-expiring-soon", 0.001, 0.00002, "valid", mx="single", smtp="soon")
sc("mx-cert-expiring-soon-testing", 0.001, 0.00002, "valid", mx="single", smtp="soon",
   policy="testing")
sc("mx-tls10", 0.001, 0.00002, "valid", mx="single", smtp="tls10")
sc("mx-tls10-testing", 0.001, 0.00002, "valid", mx="single", smtp="tls10", policy="testing")
sc("mx-silent", 0.001, 0.00002, "valid", mx="single", smtp="silent")
sc("mx-refused", 0.001, 0.00002, "valid", mx="single", smtp="refused")
sc("mx-banner-554", 0.001, 0.00002, "valid", mx="single", smtp="banner554")
sc("mx-one-broken", 0.001, 0.00002, "valid", smtp2="expired")
sc("testing-ready", 0.001, 0.00002, "valid", mx="single", policy="testing")
# DANE (TLSA at _25._tcp.<mx>); DANE-only domains publish no MTA-STS (only TLS-RPT)
sc("dane-ee", 0.001, 0.00002, "valid", mx="sec", tlsa="ee")
sc("dane-ta", 0.001, 0.00002, "valid", mx="sec", tlsa="ta")
sc("dane-mismatch", 0.001, 0.00002, "no_policy", txt="none", host="none", policy=None, mx="sec",
   tlsa="mismatch")
sc("dane-bogus", 0.001, 0.00002, "no_policy", txt="none", host="none", policy=None, mx="sec",
   tlsa="bogus")
sc("tlsa-invalid", 0.001, 0.00002, "no_policy", txt="none", host="none", policy=None, mx="sec",
   tlsa="invalid")
sc("tlsa-unsigned", 0.001, 0.00002, "valid", mx="single", tlsa="unsigned")
sc("dane-sts-conflict", 0.001, 0.00002, "valid", mx="sec", tlsa="mismatch")
sc("mx-starttls-failed", 0.001, 0.00002, "valid", mx="single", smtp="starttls-failed")
# the hosting behind policy hosts (reports' hosting figure): policy hosts that answer with a
# platform's Server header. Added after the delivery side, so like it they take no-sts ranks.
sc("hosting-github-pages", 0.001, 0.00002, "valid", server="GitHub.com")
sc("hosting-cloudflare-404", 0.001, 0.00002, "invalid", "http_status", http="404",
   server="cloudflare")

POLICY_ONLY = {"valid-enforce": 0.6, "valid-testing": 0.4}

POLICY_ERROR_CATS = {"policy_syntax", "policy_version", "policy_mode", "policy_max_age",
                     "policy_no_mx"}
FETCH_FAIL_CATS = {"policy_host_no_address", "policy_host_private_address",
                   "https_connect_failed", "https_timeout", "tls_handshake_failed",
                   "cert_expired", "cert_not_yet_valid", "cert_name_mismatch",
                   "cert_self_signed", "cert_untrusted", "cert_other", "http_redirect",
                   "http_status", "content_type", "body_too_large"}


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
def h32(s):
    return zlib.crc32(s.encode())


def sts_id(domain, salt=""):
    return hashlib.sha256((domain + salt).encode()).hexdigest()[:20]


def mx_match(pattern, host):
    p, h = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if p.startswith("*."):
        suffix = p[1:]  # ".example"
        if not h.endswith(suffix):
            return False
        left = h[: -len(suffix)]
        return len(left) > 0 and "." not in left
    return p == h


def mx_plan(scn, domain, k):
    """Return (kind, [(pref, host)], policy mx patterns that fit)."""
    kind = scn["mx"]
    if kind == "varied":
        kind = ("own", "provider-g", "provider-m")[k % 3]
    if kind == "own":
        hosts = [(10, "mx1." + domain), (20, "mx2." + domain)]
        return "hosts", hosts, ["mx1." + domain, "mx2." + domain]
    if kind == "provider-g":
        g = "gmail-smtp-in.l.provider-g.test"
        hosts = [(5, g), (10, "alt1." + g), (20, "alt2." + g)]
        return "hosts", hosts, [g, "*." + g]
    if kind == "provider-m":
        host = domain.replace(".", "-") + ".mail.protection.provider-m.test"
        return "hosts", [(0, host)], ["*.mail.protection.provider-m.test"]
    if kind == "wild":
        hosts = [(10, "mx1.mail." + domain), (20, "mx2.mail." + domain)]
        return "hosts", hosts, ["*.mail." + domain]
    if kind == "wild2":
        # *.mail.D covers mx1.mail.D but not in.mx2.mail.D (two labels)
        hosts = [(10, "mx1.mail." + domain), (20, "in.mx2.mail." + domain)]
        return "hosts", hosts, ["*.mail." + domain]
    if kind == "uncovered":
        hosts = [(10, "mx1." + domain), (20, "mx2." + domain)]
        return "hosts", hosts, ["mx1." + domain]
    if kind == "single":
        return "hosts", [(10, "mx1." + domain)], ["mx1." + domain]
    if kind == "sec":
        host = "mx1.%s.%s" % (domain[: -len(".test")], SEC_ZONE)
        return "hosts", [(10, host)], [host]
    if kind == "null":
        return "null", [(0, ".")], ["mx1." + domain]
    if kind == "nomx":
        return "nodata", [], ["mx1." + domain]
    if kind == "absent":
        return "absent", [], []
    raise ValueError(kind)


def policy_fields(scn, patterns):
    """(mode, max_age, mx patterns, lines, eol, strict) for a policy template, or None."""
    p = scn["policy"]
    if p is None:
        return None
    crlf = "\r\n"
    mx_lines = ["mx: " + m for m in patterns]
    if p in ("enforce", "wild", "own1"):
        return dict(mode="enforce", max_age=604800, mx=patterns, eol=crlf, strict=True,
                    lines=["version: STSv1", "mode: enforce"] + mx_lines + ["max_age: 604800"])
    if p == "enforce-lf":
        return dict(mode="enforce", max_age=604800, mx=patterns, eol="\n", strict=True,
                    lines=["version: STSv1", "mode: enforce"] + mx_lines + ["max_age: 604800"])
    if p == "enforce-short":
        return dict(mode="enforce", max_age=3600, mx=patterns, eol=crlf, strict=True,
                    lines=["version: STSv1", "mode: enforce"] + mx_lines + ["max_age: 3600"])
    if p in ("testing", "own1-testing"):
        return dict(mode="testing", max_age=86400, mx=patterns, eol=crlf, strict=True,
                    lines=["version: STSv1", "mode: testing"] + mx_lines + ["max_age: 86400"])
    if p == "none":
        return dict(mode="none", max_age=86400, mx=[], eol=crlf, strict=True,
                    lines=["version: STSv1", "mode: none", "max_age: 86400"])
    if p == "lenient-case":
        return dict(mode="enforce", max_age=604800, mx=patterns, eol=crlf, strict=False,
                    lines=["version: STSv1", "Mode: Enforce"] + mx_lines + ["max_age: 604800"])
    if p == "lenient-dup":
        return dict(mode="enforce", max_age=604800, mx=patterns, eol=crlf, strict=False,
                    lines=["version: STSv1", "mode: enforce"] + mx_lines
                    + ["max_age: 86400", "max_age: 604800"])
    # broken bodies: CRLF, otherwise fine, exactly one error each
    if p == "bad-syntax":
        lines = ["version: STSv1", "mode: enforce"] + mx_lines + ["max_age 604800"]
    elif p == "no-version":
        lines = ["mode: enforce"] + mx_lines + ["max_age: 604800"]
    elif p == "bad-mode":
        lines = ["version: STSv1", "mode: strict"] + mx_lines + ["max_age: 604800"]
    elif p == "no-max-age":
        lines = ["version: STSv1", "mode: enforce"] + mx_lines
    elif p == "max-age-nan":
        lines = ["version: STSv1", "mode: enforce"] + mx_lines + ["max_age: one week"]
    elif p == "max-age-big":
        lines = ["version: STSv1", "mode: enforce"] + mx_lines + ["max_age: 31557601"]
    elif p == "no-mx":
        lines = ["version: STSv1", "mode: enforce", "max_age: 604800"]
    else:
        raise ValueError(p)
    return dict(mode=None, max_age=None, mx=[], eol=crlf, strict=False, lines=lines, broken=True)


def policy_text(pf):
    return pf["eol"].join(pf["lines"]) + pf["eol"]


def txt_records(scn, domain):
    """TXT records at _mta-sts.D as lists of character-strings."""
    t = scn["txt"]
    i = sts_id(domain)
    if t == "std":
        return [["v=STSv1; id=%s;" % i]]
    if t == "split":
        return [["v=STSv1; ", "id=%s;" % i]]
    if t == "multiple":
        return [["v=STSv1; id=%s;" % i], ["v=STSv1; id=%s;" % sts_id(domain, "2")]]
    if t == "no-id":
        return [["v=STSv1;"]] if h32(domain) % 2 else [["v=STSv1"]]
    if t == "bad-id":
        return [["v=STSv1; id=2024-01-01_a;"]]
    if t == "long-id":
        return [["v=STSv1; id=%s;" % ("a1" * 17)[:33]]]
    if t == "other":
        return [["google-site-verification=%s" % sts_id(domain, "g")]]
    if t == "stsv10":
        return [["v=STSv10; id=%s;" % i]]
    return []


def tlsrpt_record(kind, domain, k):
    if kind == "valid":
        if k % 2:
            return "v=TLSRPTv1; rua=mailto:tlsrpt@%s" % domain
        return "v=TLSRPTv1; rua=mailto:tlsrpt@%s,https://reports.tlsrpt.test/v1" % domain
    if kind == "invalid":
        return "v=TLSRPTv1;" if k % 2 else "v=TLSRPTv1; rua=tlsrpt@%s" % domain
    return None


def zq(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------------------
# Certificates
# ---------------------------------------------------------------------------
class PKI:
    def __init__(self, seed, now):
        self.now = now

        def key(label):
            d = int.from_bytes(hashlib.sha256(("%s|%s" % (seed, label)).encode()).digest(), "big")
            return ec.derive_private_key(d % (2 ** 255) + 1, ec.SECP256R1())

        self.root_key = key("root")
        self.inter_key = key("intermediate")
        self.untrusted_key = key("untrusted-root")
        self.leaf_key = key("leaf")  # ONE key shared by every leaf (speed; see README)
        self.root = self._ca("mtasts test world root CA", self.root_key, None, None, ca_depth=1)
        self.inter = self._ca("mtasts test world intermediate CA", self.inter_key,
                              self.root, self.root_key, ca_depth=0)
        self.untrusted = self._ca("untrusted test root (not in ca.pem)", self.untrusted_key,
                                  None, None, ca_depth=1)
        self.serial = 1000

    def _name(self, cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mtasts test world")])

    def _ca(self, cn, key, issuer, issuer_key, ca_depth):
        b = (x509.CertificateBuilder()
             .subject_name(self._name(cn))
             .issuer_name(issuer.subject if issuer else self._name(cn))
             .public_key(key.public_key())
             .serial_number(h32(cn))
             .not_valid_before(self.now - datetime.timedelta(days=400))
             .not_valid_after(self.now + datetime.timedelta(days=3650))
             .add_extension(x509.BasicConstraints(ca=True, path_length=ca_depth), critical=True)
             .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                          False), critical=True)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                            critical=False))
        return b.sign(issuer_key or key, hashes.SHA256())

    def leaf(self, names, kind="good"):
        """PEM chain (leaf [+ intermediate]) for host names; kind picks the defect."""
        now = self.now
        nb, na = now - datetime.timedelta(days=1), now + datetime.timedelta(days=90)
        issuer, ikey, chain = self.inter, self.inter_key, [self.inter]
        cn = names[0]
        if kind == "expired":
            nb, na = now - datetime.timedelta(days=120), now - datetime.timedelta(days=30)
        elif kind == "notyet":
            nb, na = now + datetime.timedelta(days=30), now + datetime.timedelta(days=120)
        elif kind == "soon":
            na = now + datetime.timedelta(days=SOON_DAYS)
        elif kind == "wrongname":
            names = ["www.wrong-name.test", "wrong-name.test"]
            cn = names[0]
        elif kind == "untrusted":
            issuer, ikey, chain = self.untrusted, self.untrusted_key, []
        self.serial += 1
        b = (x509.CertificateBuilder()
             .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
             .public_key(self.leaf_key.public_key())
             .serial_number(self.serial)
             .not_valid_before(nb)
             .not_valid_after(na)
             .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                            critical=False)
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
             .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                            critical=False))
        if kind == "selfsigned":
            b = b.issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            cert = b.sign(self.leaf_key, hashes.SHA256())
            chain = []
        else:
            b = b.issuer_name(issuer.subject)
            cert = b.sign(ikey, hashes.SHA256())
        out = cert.public_bytes(serialization.Encoding.PEM)
        for c in chain:
            out += c.public_bytes(serialization.Encoding.PEM)
        return out

    def pem(self, cert):
        return cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self, key):
        return key.private_bytes(serialization.Encoding.PEM,
                                 serialization.PrivateFormat.TraditionalOpenSSL,
                                 serialization.NoEncryption())


# ---------------------------------------------------------------------------
# The delivery side: SMTP listeners, their certificates, TLSA records
# ---------------------------------------------------------------------------
DANE_OUTCOME = {"ee": "dane_valid", "ta": "dane_valid", "mismatch": "dane_mismatch",
                "bogus": "dnssec_bogus", "invalid": "tlsa_invalid", "unsigned": "tlsa_unsigned"}
SOON_HOSTS = set()  # MX hosts whose certificate expires within 14 days (filled by MXWorld)
PROVIDER_G = "gmail-smtp-in.l.provider-g.test"
PROVIDER_M_SUFFIX = ".mail.protection.provider-m.test"


def batch_addr(b):
    if b >= 254 * 100:
        sys.exit("gen_world: too many SMTP batch listeners (%d)" % b)
    return "127.0.%d.%d" % (5 + b // 254, b % 254 + 1)


class MXWorld:
    """Which SMTP listener serves each MX host, and what a probe of each host finds."""

    def __init__(self, pki):
        self.pki = pki
        self.batches = []                  # host names of each batch listener
        self.names = {k: [] for k in SMTP}  # special listener kind -> host names
        self.host = {}                     # host -> (address, listener kind)
        self.dane = {}                     # host -> TLSA kind
        for h in (PROVIDER_G, "alt1." + PROVIDER_G, "alt2." + PROVIDER_G):
            self.host[h] = (SMTP["provider-g"], "provider-g")

        def spki(key):
            der = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
            return hashlib.sha256(der).hexdigest()
        self.leaf_spki = spki(pki.leaf_key)        # every leaf shares this key (README)
        self.other_spki = spki(pki.untrusted_key)  # a real key no MX host uses
        self.inter_sha = hashlib.sha256(pki.inter.public_bytes(Encoding.DER)).hexdigest()
        self.root_sha = hashlib.sha256(pki.root.public_bytes(Encoding.DER)).hexdigest()

    def listener(self, kind, host):
        if kind == "ok":
            if not self.batches or len(self.batches[-1]) >= BATCH_SIZE:
                self.batches.append([])
            self.batches[-1].append(host)
            addr = batch_addr(len(self.batches) - 1)
        else:
            self.names[kind].append(host)
            addr = SMTP[kind]
        if kind == "soon":
            SOON_HOSTS.add(host)
        self.host[host] = (addr, kind)
        return addr

    def tlsa(self, kind):
        """TLSA records (presentation format, without owner) for a TLSA kind."""
        if kind is None:
            return []
        if kind in ("ee", "bogus", "unsigned"):
            return ["3 1 1 " + self.leaf_spki]
        if kind == "ta":
            return ["2 0 1 " + self.inter_sha]
        if kind == "mismatch":
            return ["3 1 1 " + self.other_spki]
        if kind == "invalid":  # PKIX-TA, PKIX-EE (unusable for SMTP, RFC 7672 3.1.3), private mtype
            return ["0 0 1 " + self.root_sha, "1 1 1 " + self.leaf_spki, "3 1 255 " + self.leaf_spki]
        raise ValueError(kind)

    def probe(self, host):
        hit = self.host.get(host)
        if hit is None and host.endswith(PROVIDER_M_SUFFIX) \
                and "." not in host[: -len(PROVIDER_M_SUFFIX)]:
            hit = (SMTP["provider-m"], "provider-m")
        if hit is None:
            return {"host": host, "addrs": [], "smtp": "smtp_no_address", "tls_version": None,
                    "dane": None}
        addr, kind = hit
        smtp, ver = SMTP_OUTCOME[kind]
        return {"host": host, "addrs": [addr], "smtp": smtp, "tls_version": ver,
                "dane": DANE_OUTCOME.get(self.dane.get(host))}

    def write_chains(self, d):
        """Key + chain files for Postfix; returns [(address, kind, file or None)]."""
        key = self.pki.key_pem(self.pki.leaf_key)

        def chain(name, pem):
            f = os.path.join(d, "smtp", name + ".pem")
            with open(f, "wb") as fh:
                fh.write(key + pem)
            os.chmod(f, 0o600)
            return f
        out = []
        for b, names in enumerate(self.batches):
            out.append((batch_addr(b), "ok", chain("batch-%d" % (b + 1), self.pki.leaf(names))))
        out.append((SMTP["provider-g"], "provider-g", chain("provider-g", self.pki.leaf(
            [PROVIDER_G, "alt1." + PROVIDER_G, "alt2." + PROVIDER_G]))))
        out.append((SMTP["provider-m"], "provider-m",
                    chain("provider-m", self.pki.leaf(["*" + PROVIDER_M_SUFFIX]))))
        certkind = {"expired": "expired", "notyet": "notyet", "wrongname": "wrongname",
                    "selfsigned": "selfsigned", "untrusted": "untrusted", "soon": "soon"}
        for kind in ("starttls-missing", "expired", "notyet", "wrongname", "selfsigned",
                     "untrusted", "soon", "tls10", "banner554", "starttls-failed"):
            names = self.names[kind] or ["mx1.%s.test" % kind]
            out.append((SMTP[kind], kind, chain(kind, self.pki.leaf(names, certkind.get(kind, "good")))))
        return out


def sign_sec_zone(d, lines, bogus, now):
    """Write sec.test., sign it (ldns), corrupt the TLSA RRSIGs of `bogus` owners, write the
    trust anchor (the KSK's DS) for unbound."""
    kd = os.path.join(d, "dns", "keys")
    zf = os.path.join(d, "dns", SEC_ZONE + ".zone")
    with open(zf, "w") as f:
        f.write("".join(lines))

    def run(*cmd):
        try:
            return subprocess.run(cmd, cwd=kd, check=True, capture_output=True, text=True).stdout
        except FileNotFoundError:
            sys.exit("gen_world: %s not found (run scripts/world/install-deps.sh: ldnsutils)" % cmd[0])
    ksk = run("ldns-keygen", "-a", "ECDSAP256SHA256", "-k", SEC_ZONE).strip()
    zsk = run("ldns-keygen", "-a", "ECDSAP256SHA256", SEC_ZONE).strip()
    ts = lambda t: t.strftime("%Y%m%d%H%M%S")
    run("ldns-signzone", "-i", ts(now - datetime.timedelta(days=1)),
        "-e", ts(now + datetime.timedelta(days=30)), "-f", zf + ".signed", zf,
        os.path.join(kd, zsk), os.path.join(kd, ksk))
    out, broken = [], 0
    for line in open(zf + ".signed"):
        p = line.split()
        if len(p) > 5 and p[0] in bogus and p[3] == "RRSIG" and p[4] == "TLSA":
            sig = p[-1]
            i = len(sig) // 2
            p[-1] = sig[:i] + ("A" if sig[i] != "A" else "B") + sig[i + 1:]
            line = "\t".join(p) + "\n"
            broken += 1
        out.append(line)
    if broken != len(bogus):
        sys.exit("gen_world: corrupted %d TLSA signatures, expected %d" % (broken, len(bogus)))
    with open(zf + ".signed", "w") as f:
        f.write("".join(out))
    shutil.copy(os.path.join(kd, ksk + ".ds"), os.path.join(d, "dns", SEC_ZONE + ".anchor"))


# ---------------------------------------------------------------------------
# Plan: which scenario each domain gets
# ---------------------------------------------------------------------------
def plan(n, seed, mix):
    counts = {}
    if mix == "policy-only":
        left = n
        for name, share in POLICY_ONLY.items():
            c = max(1, round(share * n))
            c = min(c, left)
            counts[name] = c
            left -= c
        counts["valid-enforce"] += left
    else:
        key = "share_bench" if mix == "bench" else "share_default"
        for name, s in S.items():
            if name == "no-sts":
                continue
            counts[name] = max(1, round(s[key] * n))
        rest = n - sum(counts.values())
        if rest < 1:
            need = sum(counts.values()) + 1
            sys.exit("gen_world: --n %d is too small for mix %s: every scenario needs a domain "
                     "(use --n >= %d)" % (n, mix, need))
        counts["no-sts"] = rest
    domains = []
    for name in S:
        if any(name in g for g in LATER):
            continue
        for k in range(1, counts.get(name, 0) + 1):
            domains.append((name, k, "%s-%d.test" % (name, k)))
    # Later scenarios (LATER): their domains take the places (before the shuffle) of the last
    # no-sts domains, whose count shrank by as many, so every other domain keeps the name and
    # rank it had before they existed. The newest generation goes first: it takes exactly the
    # places its own domains freed, and the earlier generations stay where they were.
    assert next(iter(S)) == "no-sts"
    pos = counts.get("no-sts", 0)
    for gen in LATER:
        domains[pos:pos] = [(name, k, "%s-%d.test" % (name, k)) for name in gen
                            for k in range(1, counts.get(name, 0) + 1)]
    rng = random.Random("%s|%s|%s" % (seed, n, mix))
    rng.shuffle(domains)
    return counts, domains


# ---------------------------------------------------------------------------
# Truth
# ---------------------------------------------------------------------------
def warnings_for(scn, pf, mx_kind, mx_hosts, tlsrpt):
    st = scn["status"]
    if st in ("no_policy", "domain_nxdomain", "dns_error"):
        return []
    w = set()
    if tlsrpt == "none":
        w.add("tlsrpt_missing")
    elif tlsrpt == "invalid":
        w.add("tlsrpt_invalid")
    if mx_kind == "nodata":
        w.add("no_mx")
    if mx_kind == "null":
        w.add("null_mx")
    fetched = scn["category"] not in FETCH_FAIL_CATS
    if fetched and pf is not None:
        if pf["eol"] == "\n":
            w.add("lf_line_endings")
        if not pf.get("broken"):
            if pf["max_age"] < 86400:
                w.add("max_age_short")
            if pf["mode"] == "none":
                w.add("mode_none")
            if pf["mode"] == "testing" and tlsrpt != "valid":
                w.add("testing_without_tlsrpt")
            if mx_kind == "hosts" and pf["mode"] != "none":
                for p in pf["mx"]:
                    if not any(mx_match(p, h) for h in mx_hosts):
                        w.add("mx_pattern_unused")
    if scn["cert"] == "soon" and scn["category"] not in ("policy_host_no_address",
                                                        "policy_host_private_address",
                                                        "https_connect_failed", "https_timeout",
                                                        "tls_handshake_failed"):
        w.add("cert_expiring_soon")
    return sorted(w)


def smtp_verdict(t, probes):
    """Verdict fields with the delivery side probed (SMTP_OPTION); README "Truth with probes"."""
    st, mode = t["status"], t["mode"]
    if st not in ("valid", "invalid"):
        return {"would_fail_delivery": False, "readiness": None, "warnings": []}
    w = set(t["warnings"])
    reachable = [p for p in probes if p["smtp"] not in SMTP_UNREACHABLE]
    soon = [p for p in probes if p["host"] in SOON_HOSTS]
    if soon:
        w.add("mx_cert_expiring_soon")
    if any(p["dane"] == "tlsa_unsigned" for p in probes):
        w.add("tlsa_without_dnssec")
    if mode in ("enforce", "testing") and any(
            ((p["dane"] == "dane_mismatch" and p["smtp"] in ("smtp_ok", "mx_tls_old")) or
             (p["dane"] == "dane_valid" and p["smtp"].startswith("mx_cert_")))
            and any(mx_match(pat, p["host"]) for pat in t["mx_patterns"]) for p in probes):
        w.add("dane_and_sts_conflict")
    if any(p["smtp"] in SMTP_FAILS_DELIVERY for p in reachable):
        w.add("mx_tls_invalid")
    if any(p["smtp"] == "mx_tls_old" for p in probes):
        w.add("mx_tls_old")
    if any(p["dane"] in ("dane_mismatch", "dnssec_bogus") for p in probes):
        w.add("dane_failure")
    wfd = bool(mode == "enforce" and (t["mx_covered"] is False or
                                      any(p["smtp"] in SMTP_FAILS_DELIVERY for p in reachable)))
    if st == "valid" and mode == "enforce":
        ready = "enforcing"
    elif (st == "valid" and mode == "testing" and t["mx_covered"] is True
          and t["tlsrpt"] == "valid" and t["max_age"] >= 86400
          and "cert_expiring_soon" not in w and not soon
          and all(p["smtp"] == "smtp_ok" for p in reachable)):
        ready = "ready_to_enforce"
    else:
        ready = "not_ready"
    return {"would_fail_delivery": wfd, "readiness": ready, "warnings": sorted(w)}


# The Server header the scanner stores (results.policy_http_server): a v=STSv1 record makes it
# fetch, and nginx answers unless the TLS handshake fails or the certificate is refused (no
# HTTP response then, so no header). The slow-drip helper's fetch times out: no response.
VERSION_TXT = {"std", "split", "cname", "multiple", "no-id", "bad-id", "long-id"}
RESPONSE_CERTS = {"good", "soon"}
# reports/report_ids_hosting.c: the world has no CNAME on mta-sts.D and one issuer (its own
# CA), so the Server header alone decides; nginx is self-hosted software.
HOSTING_OF_SERVER = {"GitHub.com": "github_pages", "cloudflare": "cloudflare"}


def http_server(scn):
    if scn["host"] != "nginx" or scn["http"] == "tlsfail" or scn["cert"] not in RESPONSE_CERTS:
        return None
    return scn["server"] or "nginx"


def truth_for(scn, domain, rank, k, pf, mx_kind, mx_hosts, tlsrpt, mx):
    st, cat = scn["status"], scn["category"]
    hosts = sorted({h.lower() for _, h in mx_hosts if h != "."})
    parsed = (pf is not None and not pf.get("broken") and st in ("valid", "invalid")
              and cat not in FETCH_FAIL_CATS)
    mode = pf["mode"] if parsed else None
    max_age = pf["max_age"] if parsed else None
    patterns = list(pf["mx"]) if parsed else []
    if not parsed or mode == "none":
        covered = None
    elif mx_kind in ("nodata", "null"):
        covered = True
    else:
        covered = all(any(mx_match(p, h) for p in patterns) for h in hosts)
    # consistency with the taxonomy
    if st == "valid":
        assert parsed and (covered is not False)
    if cat == "mx_not_covered":
        assert covered is False
    elif parsed and mode != "none" and st in ("valid", "invalid"):
        assert covered is True, (domain, hosts, patterns)
    t = {
        "domain": domain, "rank": rank, "scenario": scn["name"], "status": st, "category": cat,
        "warnings": warnings_for(scn, pf, mx_kind, hosts, tlsrpt),
        "mode": mode, "max_age": max_age, "mx_patterns": patterns, "mx_hosts": hosts,
        "mx_covered": covered, "tlsrpt": tlsrpt,
        "would_fail_delivery": bool(mode == "enforce" and covered is False),
        "valid_strict": bool(st == "valid" and pf is not None and pf["strict"]),
        "policy_http_server": http_server(scn) if scn["txt"] in VERSION_TXT else None,
    }
    t["hosting"] = (HOSTING_OF_SERVER.get(t["policy_http_server"], "self_hosted")
                    if st in ("valid", "invalid") else None)
    t["mx_probes"] = [mx.probe(h) for h in hosts]
    wo = {}
    if scn["name"] == "orphan-policy":
        wo["--probe-orphans"] = {"warnings": ["policy_without_txt"],
                                 "policy_http_server": http_server(scn)}
    if scn["name"] == "txt-at-apex":
        wo["--checks +apex"] = {"warnings": ["txt_at_apex"]}
    wo[SMTP_OPTION] = smtp_verdict(t, t["mx_probes"])
    t["with_options"] = wo
    return t


# ---------------------------------------------------------------------------
# Main generation
# ---------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--mix", default="default", choices=["default", "bench", "policy-only"])
    a = ap.parse_args()
    t0 = time.time()
    d = os.path.abspath(a.dir)
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)

    for sub in ("dns", "tls", "www", "nginx", "smtp", "postfix"):
        shutil.rmtree(os.path.join(d, sub), ignore_errors=True)
    for sub in ("dns/keys", "tls/certs", "www", "nginx", "smtp", "postfix", "run", "log", "tmp"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)

    counts, domains = plan(a.n, a.seed, a.mix)
    pki = PKI(a.seed, now)

    zone = open(os.path.join(d, "dns", "test.zone"), "w")
    zone.write("$ORIGIN test.\n$TTL 3600\n")
    zone.write("@ SOA ns.test. hostmaster.test. 1 7200 3600 1209600 3600\n")
    zone.write("@ NS ns.test.\nns A %s\n" % ADDR["auth"])
    zone.write("ns.lame A %s\n" % ADDR["dns_refused"])
    zone.write("ns.blackhole A %s\n" % ADDR["dns_blackhole"])
    g = "gmail-smtp-in.l.provider-g"
    for h in (g, "alt1." + g, "alt2." + g):
        zone.write("%s A %s\n" % (h, SMTP["provider-g"]))
    zone.write("*.mail.protection.provider-m A %s\n" % SMTP["provider-m"])
    mx = MXWorld(pki)
    sec = ["$ORIGIN %s.\n$TTL 3600\n" % SEC_ZONE,
           "@ SOA ns.test. hostmaster.test. 1 7200 3600 1209600 3600\n", "@ NS ns.test.\n"]
    sec_bogus = []  # owners whose TLSA RRSIG is corrupted after signing
    cname_target = "_mta-sts.sts-records.provider-s"
    zone.write('%s TXT "v=STSv1; id=%s;"\n' % (cname_target, sts_id("provider-s", a.seed)))
    redirect_target = None

    truth = open(os.path.join(d, "truth.jsonl"), "w")
    dlist = open(os.path.join(d, "domains.csv"), "w")
    special = []   # nginx server blocks for hosts with special HTTP behaviour
    normal = []    # (host, addr) served by the generic server (var) or one block each (static)
    slowdrip_hosts = []
    ncerts = 0

    for rank, (name, k, domain) in enumerate(domains, 1):
        scn = S[name]
        rel = domain[: -len(".test")]
        dlist.write("%d,%s\n" % (rank, domain))
        mx_kind, mx_hosts, patterns = mx_plan(scn, domain, k)
        pf = policy_fields(scn, patterns)
        tlsrpt = scn["tlsrpt"]
        host = "mta-sts." + domain

        # --- DNS ---
        if mx_kind == "hosts":
            for i, (pref, mh) in enumerate(mx_hosts):
                zone.write("%s MX %d %s.\n" % (rel, pref, mh))
                kind = scn["smtp"] if i == 0 else scn["smtp2"]
                tl = scn["tlsa"] if i == 0 else None
                if mh.endswith("." + SEC_ZONE):
                    srel = mh[: -len("." + SEC_ZONE)]
                    sec.append("%s A %s\n" % (srel, mx.listener(kind, mh)))
                    for r in mx.tlsa(tl):
                        sec.append("_25._tcp.%s TLSA %s\n" % (srel, r))
                    if tl == "bogus":
                        sec_bogus.append("_25._tcp.%s." % mh)
                    mx.dane[mh] = tl
                elif mh.endswith("." + domain) and scn["policy"] is not None:
                    zone.write("%s A %s\n" % (mh[: -len(".test")], mx.listener(kind, mh)))
                    if tl == "unsigned":
                        for r in mx.tlsa(tl):
                            zone.write("_25._tcp.%s TLSA %s\n" % (mh[: -len(".test")], r))
                        mx.dane[mh] = tl
        elif mx_kind == "null":
            zone.write("%s MX 0 .\n" % rel)
        elif mx_kind == "nodata":
            zone.write("%s A %s\n" % (rel, ADDR["mx"]))
        if scn["txt"] == "apex":
            zone.write('%s TXT "v=STSv1; id=%s;"\n' % (rel, sts_id(domain)))
        if scn["txt"] == "cname":
            zone.write("_mta-sts.%s CNAME %s.test.\n" % (rel, cname_target))
        elif scn["txt"] == "servfail":
            zone.write("_mta-sts.%s NS ns.lame.test.\n" % rel)
        elif scn["txt"] == "timeout":
            zone.write("_mta-sts.%s NS ns.blackhole.test.\n" % rel)
        else:
            for rec in txt_records(scn, domain):
                zone.write("_mta-sts.%s TXT %s\n" % (rel, " ".join(zq(s) for s in rec)))
        rr = tlsrpt_record(tlsrpt, domain, k)
        if rr:
            zone.write("_smtp._tls.%s TXT %s\n" % (rel, zq(rr)))
        hk = scn["host"]
        addr = None
        if hk == "nginx":
            addr = NGINX_ADDRS[h32(domain) % len(NGINX_ADDRS)]
        elif hk == "private":
            addr = PRIVATE_ADDRS[k % len(PRIVATE_ADDRS)]
        elif hk == "refused":
            addr = ADDR["https_refused"]
        elif hk == "synbh":
            addr = ADDR["syn_blackhole"]
        elif hk == "slowdrip":
            addr = ADDR["slow_drip"]
        elif hk == "nodata":
            zone.write('mta-sts.%s TXT "no address here"\n' % rel)
        if addr:
            zone.write("mta-sts.%s A %s\n" % (rel, addr))

        # --- HTTPS content ---
        if hk == "nginx":
            body = policy_text(pf).encode()
            if scn["http"] == "big":
                pad = ("x-padding: " + "a" * 100 + pf["eol"]).encode()
                while len(body) <= 70000:
                    body += pad
            with open(os.path.join(d, "www", host + ".txt"), "wb") as f:
                f.write(body)
            with open(os.path.join(d, "tls", "certs", host + ".pem"), "wb") as f:
                f.write(pki.leaf([host], scn["cert"]))
            ncerts += 1
            if scn["http"] == "ok" and not scn["server"]:
                normal.append((host, addr))
            else:
                special.append((host, addr, scn["http"], scn["server"]))
            if name == "valid-enforce" and k == 1:
                redirect_target = host
        elif hk == "slowdrip":
            slowdrip_hosts.append(host)

        truth.write(json.dumps(truth_for(scn, domain, rank, k, pf, mx_kind, mx_hosts, tlsrpt, mx),
                               sort_keys=False) + "\n")
    zone.close()
    truth.close()
    dlist.close()

    # slow-drip: one certificate for all its host names, and its body
    sd_body = b"version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\nmax_age: 604800\r\n"
    with open(os.path.join(d, "tls", "slow-drip.pem"), "wb") as f:
        f.write(pki.leaf(slowdrip_hosts or ["mta-sts.slow-drip.test"]))
    with open(os.path.join(d, "tls", "leaf.key"), "wb") as f:
        f.write(pki.key_pem(pki.leaf_key))
    os.chmod(os.path.join(d, "tls", "leaf.key"), 0o600)
    with open(os.path.join(d, "ca.pem"), "wb") as f:
        f.write(pki.pem(pki.root))
    with open(os.path.join(d, "tls", "intermediate.pem"), "wb") as f:
        f.write(pki.pem(pki.inter))
    with open(os.path.join(d, "tls", "untrusted-root.pem"), "wb") as f:
        f.write(pki.pem(pki.untrusted))
    with open(os.path.join(d, "www", "slow-drip.txt"), "wb") as f:
        f.write(sd_body)

    # the delivery side: sec.test (signed), SMTP certificates, Postfix
    zone = open(os.path.join(d, "dns", "test.zone"), "a")
    zone.write("%s NS ns.test.\n" % SEC_ZONE[: -len(".test")])
    zone.close()
    sign_sec_zone(d, sec, sec_bogus, now)
    listeners = mx.write_chains(d)
    write_postfix(d, listeners)
    ncerts += len(listeners)

    write_nsd(d)
    write_unbound(d)
    write_nginx(d, normal, special, redirect_target)

    with open(os.path.join(d, "scenarios.txt"), "w") as f:
        for name in S:
            if counts.get(name):
                f.write("%s %d\n" % (name, counts[name]))
    meta = dict(n=a.n, seed=a.seed, mix=a.mix, generated_at=int(now.timestamp()),
                generator_sha256=hashlib.sha256(open(__file__, "rb").read()).hexdigest(),
                generated_at_iso=now.isoformat(), dir=d, addresses=ADDR, smtp_addresses=SMTP,
                smtp_batch_addresses=[a for a, kind, _ in listeners if kind == "ok"],
                smtp_probe_address=SMTP["provider-g"],
                nginx_addresses=NGINX_ADDRS, certificates=ncerts + 1,
                https_hosts=len(normal) + len(special), gen_seconds=round(time.time() - t0, 2))
    with open(os.path.join(d, "world.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print("gen_world: %d domains (mix %s, seed %s), %d certificates, %.1f s -> %s"
          % (a.n, a.mix, a.seed, ncerts + 1, time.time() - t0, d))


def write_nsd(d):
    with open(os.path.join(d, "dns", "nsd.conf"), "w") as f:
        f.write("""# NSD: authoritative for test. (generated)
server:
    ip-address: {auth}
    port: 53
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "{d}/dns"
    database: ""
    zonelistfile: "{d}/run/nsd.zonelist"
    xfrdfile: "{d}/run/nsd.xfrd.state"
    xfrdir: "{d}/tmp"
    pidfile: "{d}/run/nsd.pid"
    logfile: "{d}/log/nsd.log"
    server-count: 2
    reuseport: yes
    tcp-count: 256
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
    hide-version: yes
    verbosity: 1
    zonefiles-write: 0
remote-control:
    control-enable: no
zone:
    name: "test"
    zonefile: "test.zone"
zone:
    name: "{sec}"
    zonefile: "{sec}.zone.signed"
""".format(auth=ADDR["auth"], d=d, sec=SEC_ZONE))


def unbound_knows(option_line):
    """Whether this unbound accepts a server option (unbound-checkconf on a one-line file)."""
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as t:
        t.write("server:\n    %s\n" % option_line)
        t.flush()
        try:
            return subprocess.run(["unbound-checkconf", t.name], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL).returncode == 0
        except OSError:
            return False


# Debian 12's unbound (1.17.1-2+deb12u3 and later) carries the fix for CVE-2024-33655 (DNSBomb):
# `wait-limit: 1000` drops any query beyond 1,000 from one client address waiting for recursion
# (counted as requestlist.exceeded, whatever num-queries-per-thread says). The world's resolver
# is the scanner's own: no such limit (docs/resolver.md). Older unbound builds lack the option.
def wait_limit_line():
    return "    wait-limit: 0\n" if unbound_knows("wait-limit: 0") else ""


def write_unbound(d):
    with open(os.path.join(d, "dns", "unbound.conf"), "w") as f:
        f.write("""# unbound: the world's recursive resolver (generated)
server:
    interface: {res}
    port: 53
    do-ip6: no
    access-control: 127.0.0.0/8 allow
    username: ""
    chroot: ""
    directory: "{d}/run"
    pidfile: "{d}/run/unbound.pid"
    logfile: "{d}/log/unbound.log"
    use-syslog: no
    verbosity: 1
    num-threads: 2
    so-reuseport: yes
    so-rcvbuf: 8m
    so-sndbuf: 8m
    outgoing-range: 8192
    num-queries-per-thread: 4096
    msg-cache-size: 256m
    rrset-cache-size: 512m
    key-cache-size: 4m
    infra-cache-numhosts: 1000
    infra-keep-probing: yes
    do-not-query-localhost: no
    ratelimit: 0
    ip-ratelimit: 0
    harden-referral-path: no
    qname-minimisation: no
    minimal-responses: yes
    prefetch: no
    unwanted-reply-threshold: 0
{wait_limit}    local-zone: "test." nodefault
    domain-insecure: "test."
    # DNSSEC: only {sec}. is signed; its trust anchor (the KSK's DS) overrides the
    # domain-insecure above for {sec}. and below. AD is set only there.
    module-config: "validator iterator"
    trust-anchor-file: "{d}/dns/{sec}.anchor"
    val-log-level: 1
stub-zone:
    name: "test."
    stub-addr: {auth}
stub-zone:
    name: "{sec}."
    stub-addr: {auth}
remote-control:
    control-enable: yes
    control-interface: {res}
    control-port: 8953
    control-use-cert: no
""".format(res=ADDR["resolver"], auth=ADDR["auth"], d=d, sec=SEC_ZONE,
                   wait_limit=wait_limit_line()))


def write_postfix(d, listeners):
    """One Postfix instance (config dir DIR/postfix) with an smtpd `inet` service per address."""
    pf = os.path.join(d, "postfix")
    with open(os.path.join(pf, "main.cf"), "w") as f:
        f.write("""# Postfix: the world's MX hosts (generated). Never accepts a message.
compatibility_level = 3.6
config_directory = {pf}
queue_directory = {pf}/spool
data_directory = {pf}/data
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
daemon_directory = /usr/lib/postfix/sbin
command_directory = /usr/sbin
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.world.test
mydomain = world.test
myorigin = world.test
mydestination =
relayhost =
alias_maps =
alias_database =
local_recipient_maps =
inet_interfaces = loopback-only
inet_protocols = ipv4
maillog_file = {d}/log/postfix.log
maillog_file_prefixes = {d}/log
biff = no
disable_vrfy_command = yes
smtpd_peername_lookup = no
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_timeout = 60s
# idle smtpd processes exit soon: a scan touches many addresses once
max_idle = 20s
# nothing is ever accepted: MAIL FROM is refused at once (and RCPT TO, relaying)
smtpd_delay_reject = no
smtpd_sender_restrictions = reject
smtpd_relay_restrictions = reject
smtpd_recipient_restrictions = reject
smtpd_tls_security_level = may
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_tls_session_cache_database =
smtpd_tls_loglevel = 0
""".format(pf=pf, d=d))
    m = ["# Postfix services (generated): one smtpd per world SMTP address\n"]
    for addr, kind, chainf in listeners:
        opts = ["syslog_name=postfix/%s" % ("batch" if kind == "ok" else kind)]
        if kind == "starttls-missing":
            opts.append("smtpd_tls_security_level=none")
        else:
            opts.append("smtpd_tls_chain_files=%s" % chainf)
        if kind == "tls10":  # TLSv1 only; SECLEVEL=0 lets OpenSSL 3 do TLS 1.0 at all
            opts += ["smtpd_tls_protocols=TLSv1", "smtpd_tls_mandatory_protocols=TLSv1",
                     "tls_medium_cipherlist=DEFAULT@SECLEVEL=0"]
        if kind == "starttls-failed":  # TLS 1.2 only, RSA-authenticated ciphers only, an ECDSA
            # key: STARTTLS is offered and every handshake ends in a handshake_failure alert
            opts += ["smtpd_tls_protocols=TLSv1.2", "smtpd_tls_mandatory_protocols=TLSv1.2",
                     "tls_medium_cipherlist=aRSA"]
        if kind == "banner554":  # 554 at connect
            opts += ["smtpd_client_restrictions=reject", "smtpd_delay_reject=no"]
        m.append("%s:25 inet n - n - 10 smtpd\n%s\n" % (addr, "\n".join("  -o " + o for o in opts)))
    m.append("""cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
tlsmgr    unix - - n 1000? 1 tlsmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
proxymap  unix - - n - - proxymap
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
""")
    with open(os.path.join(pf, "master.cf"), "w") as f:
        f.write("".join(m))


def write_nginx(d, normal, special, redirect_target):
    common = """# nginx: the policy hosts (generated; mode {mode})
user root;
daemon on;
worker_processes 2;
worker_rlimit_nofile 65536;
pid {d}/run/nginx.pid;
error_log {d}/log/nginx-error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log {access};
    client_body_temp_path {d}/tmp/client;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    server_tokens off;
    types {{ text/plain txt; }}
    default_type text/plain;
    keepalive_timeout 10s;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate_key {d}/tls/leaf.key;
    server_names_hash_max_size 1048576;
    server_names_hash_bucket_size 128;
"""
    addrs = NGINX_ADDRS
    # special hosts: identical blocks in both modes, each with its static certificate
    sp = []
    for host, addr, kind, server in special:
        sp.append("    server {")
        sp.append("        listen %s:443 ssl;" % addr)
        sp.append("        server_name %s;" % host)
        if kind == "tlsfail":
            sp.append("        ssl_reject_handshake on;")
            sp.append("    }")
            continue
        sp.append("        ssl_certificate %s/tls/certs/%s.pem;" % (d, host))
        if server:
            # replaces nginx's own header on every response, error pages included
            sp.append('        more_set_headers "Server: %s";' % server)
        if kind == "404":
            sp.append("        location / { return 404; }")
        elif kind == "500":
            sp.append("        location / { return 500; }")
        elif kind == "redirect":
            sp.append("        location / { return 301 https://%s/.well-known/mta-sts.txt; }"
                      % redirect_target)
        else:
            extra = {"html": "types { } default_type text/html; ",
                     "charset": "charset utf-8; charset_types text/plain; ",
                     "big": "", "ok": ""}[kind]
            sp.append("        location = /.well-known/mta-sts.txt { %salias %s/www/%s.txt; }"
                      % (extra, d, host))
            sp.append("        location / { return 404; }")
        sp.append("    }")
    special_txt = "\n".join(sp) + "\n"

    # the headers-more module only when a host sets its Server header (world up checks it is
    # installed: scripts/world/install-deps.sh)
    load = ("load_module %s;\n" % HEADERS_MORE_MODULE) if any(s[3] for s in special) else ""
    for mode in ("var", "static"):
        out = [load + common.format(mode=mode, d=d, access="off")]
        if mode == "var":
            out.append("    ssl_certificate %s/tls/certs/$ssl_server_name.pem;\n" % d)
            out.append("    server {\n")
            for a in addrs:
                out.append("        listen %s:443 ssl default_server;\n" % a)
            out.append("        server_name _;\n")
            out.append("        location = /.well-known/mta-sts.txt { alias %s/www/$ssl_server_name.txt; }\n" % d)
            out.append("        location / { return 404; }\n    }\n")
        else:
            out.append("    server {\n")
            for a in addrs:
                out.append("        listen %s:443 ssl default_server;\n" % a)
            out.append("        server_name _;\n        ssl_reject_handshake on;\n    }\n")
            for host, addr in normal:
                out.append("    server { listen %s:443 ssl; server_name %s; "
                           "ssl_certificate %s/tls/certs/%s.pem; "
                           "location = /.well-known/mta-sts.txt { alias %s/www/%s.txt; } "
                           "location / { return 404; } }\n" % (addr, host, d, host, d, host))
        out.append(special_txt)
        out.append("}\n")
        with open(os.path.join(d, "nginx", "nginx-%s.conf" % mode), "w") as f:
            f.write("".join(out))


if __name__ == "__main__":
    main()
