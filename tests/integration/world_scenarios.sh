#!/usr/bin/env bash
# Scenario test of the local test world: drives it with dig and curl and checks every scenario against the ground truth.
#
# Needs the world up (tests/run does `scripts/world/world up` first). Uses the world named by
# MTASTS_WORLD_DIR / MTASTS_WORLD_NS if set, else the default one. Prints `ok - ` / `not ok - `
# lines and exits 0.
set -euo pipefail
cd "$(dirname "$0")/../.."
W=scripts/world/world
PY=/usr/bin/python3
eval "$($W env)"
D=$MTASTS_WORLD_DIR
CA=$MTASTS_WORLD_CA
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# From here on a failed check must be reported as a `not ok` line, not end the suite; and
# `echo "$x" | grep -q ...` must not fail when grep exits early and echo gets SIGPIPE.
set +e +o pipefail

ok() { echo "ok - $1"; }
nok() { echo "not ok - $1 # $(echo "$2" | tr '\n' ' ' | cut -c1-300)"; }
expect() { # expect NAME CONDITION-DESCRIPTION; status from the last test command
    if [ "$1" = 0 ]; then ok "$2"; else nok "$2" "$3"; fi
}
wx() { $W exec -- "$@"; }

# The plan, for the world tests/run brings up (default mix, n 3000, seed 1: deterministic); the
# per-scenario checks differ by scenario, so another world reports another count and fails.
echo "1..1461"

if ! $W status >/dev/null 2>&1; then
    nok "world is up" "scripts/world/world status says the world in $D is not up"
    exit 0
fi
ok "world is up ($D, namespace $MTASTS_WORLD_NS)"

# ---------------------------------------------------------------------------------------------
# The namespace: only lo, and no route to anything outside 127.0.0.0/8
# ---------------------------------------------------------------------------------------------
links=$(wx ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')
[ "$links" = "lo " ]; expect $? "namespace has only the lo interface" "interfaces: $links"
for a in 10.20.30.40 192.168.77.7 172.16.5.5 8.8.8.8 1.1.1.1; do
    if wx ip route get "$a" >/dev/null 2>&1; then r=1; else r=0; fi
    expect $r "no route to $a in the namespace" "ip route get $a succeeded"
done
wx ip route get 127.0.1.1 >/dev/null 2>&1; expect $? "127.0.1.1 is reachable (loopback)" "no route to 127.0.1.1"
grep -q '^nameserver 127.0.0.1$' "/etc/netns/$MTASTS_WORLD_NS/resolv.conf"
expect $? "/etc/netns/$MTASTS_WORLD_NS/resolv.conf points at the world's resolver" "missing or wrong"
out=$(wx getent hosts mta-sts.valid-enforce-1.test 2>&1 || true)
[[ "$out" == 127.* ]]; expect $? "getaddrinfo in the namespace uses the world's resolver" "getent: $out"

# ---------------------------------------------------------------------------------------------
# Files and ground truth
# ---------------------------------------------------------------------------------------------
$PY - "$D" >"$TMP/files.out" 2>&1 <<'EOF' || true
import json, sys, os, re
d = sys.argv[1]
meta = json.load(open(os.path.join(d, "world.json")))
truth = [json.loads(l) for l in open(os.path.join(d, "truth.jsonl"))]
doms = [l.strip().split(",") for l in open(os.path.join(d, "domains.csv"))]
sc = dict(l.split() for l in open(os.path.join(d, "scenarios.txt")))
def r(ok, name, why=""):
    print(("ok - " if ok else "not ok - ") + name + ("" if ok else " # " + why))
r(len(truth) == meta["n"], "truth.jsonl has one line per domain", "%d != %d" % (len(truth), meta["n"]))
r([(str(t["rank"]), t["domain"]) for t in truth] == [tuple(x) for x in doms],
  "domains.csv lists the truth's domains in rank order")
r(sorted(t["rank"] for t in truth) == list(range(1, meta["n"] + 1)), "ranks are 1..N")
r(all(t["domain"].endswith(".test") for t in truth), "every domain is under .test")
r(len({t["domain"] for t in truth}) == len(truth), "domain names are unique")
cnt = {}
for t in truth:
    cnt[t["scenario"]] = cnt.get(t["scenario"], 0) + 1
r(cnt == {k: int(v) for k, v in sc.items()}, "scenarios.txt matches the truth's counts")
keys = ["domain", "rank", "scenario", "status", "category", "warnings", "mode", "max_age",
        "mx_patterns", "mx_hosts", "mx_covered", "tlsrpt", "would_fail_delivery", "valid_strict"]
r(all(all(k in t for k in keys) for t in truth), "every truth line has all the fields")
r(all(t["warnings"] == sorted(t["warnings"]) for t in truth), "warnings are sorted")
STATUS = {"no_policy", "valid", "invalid", "dns_error", "domain_nxdomain"}
r(all(t["status"] in STATUS for t in truth), "statuses are taxonomy codes")
r(all((t["category"] is None) == (t["status"] != "invalid") for t in truth),
  "a category exactly when the status is invalid")
r(all(t["tlsrpt"] in ("valid", "invalid", "none") for t in truth), "tlsrpt is valid/invalid/none")
if meta["mix"] in ("default", "bench"):
    nosts = cnt.get("no-sts", 0)
    r(nosts > 0.8 * len(truth), "no MTA-STS is the vast majority", "%d of %d" % (nosts, len(truth)))
EOF
cat "$TMP/files.out"

# every scenario of the generator is present at least once (default and bench mixes)
mix=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["mix"])' "$D/world.json")
all_scn=$($PY -c '
import sys; sys.path.insert(0, "scripts/world"); import gen_world
print(" ".join(gen_world.S))')
# the delivery side in the truth: mx_probes and the "--checks +smtp:all,+dane" verdict
$PY - "$D" >"$TMP/probes.out" 2>&1 <<'EOF2' || true
import json, sys, os
d = sys.argv[1]
truth = [json.loads(l) for l in open(os.path.join(d, "truth.jsonl"))]
OPT = "--checks +smtp:all,+dane"
SMTP = {"smtp_ok", "smtp_connect_failed", "smtp_timeout", "smtp_refused", "smtp_no_address",
        "starttls_not_offered", "starttls_failed", "mx_cert_expired", "mx_cert_not_yet_valid",
        "mx_cert_name_mismatch", "mx_cert_self_signed", "mx_cert_untrusted", "mx_tls_old"}
DANE = {None, "dane_valid", "dane_mismatch", "tlsa_unsigned", "tlsa_invalid", "dnssec_bogus"}
def r(ok, name, why=""):
    print(("ok - " if ok else "not ok - ") + name + ("" if ok else " # " + why))
bad = [t["domain"] for t in truth if [p["host"] for p in t.get("mx_probes", [None])] != t["mx_hosts"]]
r(not bad, "truth: mx_probes lists each MX host once, sorted by host", str(bad[:3]))
probes = [p for t in truth for p in t.get("mx_probes", [])]
r(all(set(p) == {"host", "addrs", "smtp", "tls_version", "dane"} for p in probes),
  "truth: every probe has host, addrs, smtp, tls_version, dane")
r(all(p["smtp"] in SMTP and p["dane"] in DANE for p in probes), "truth: probe outcomes are taxonomy codes")
r(all((p["addrs"] == []) == (p["smtp"] == "smtp_no_address") for p in probes),
  "truth: smtp_no_address exactly when the MX host has no address")
r(all(all(a.startswith("127.") for a in p["addrs"]) for p in probes), "truth: MX addresses are in 127.0.0.0/8")
r(all((p["tls_version"] is not None) == (p["smtp"] not in ("smtp_connect_failed", "smtp_timeout",
      "smtp_refused", "smtp_no_address", "starttls_not_offered", "starttls_failed")) for p in probes),
  "truth: a TLS version exactly when a TLS handshake happened")
byhost = {}
for p in probes:
    byhost.setdefault(p["host"], p)
r(all(byhost[p["host"]] == p for p in probes), "truth: a host shared by domains has one probe result")
v = [t["with_options"].get(OPT) for t in truth]
r(all(x is not None and set(x) == {"would_fail_delivery", "readiness", "warnings"} for x in v),
  "truth: every domain has the %s verdict" % OPT)
r(all(x["readiness"] in (None, "enforcing", "ready_to_enforce", "not_ready") for x in v),
  "truth: readiness values")
r(all(x["warnings"] == sorted(x["warnings"]) and set(t["warnings"]) <= set(x["warnings"])
      for t, x in zip(truth, v)), "truth: probe warnings sorted and include the domain's warnings")
r(all((x["readiness"] is None) == (t["status"] not in ("valid", "invalid")) for t, x in zip(truth, v)),
  "truth: readiness null exactly without a v=STSv1 deployment")
r(all(x["would_fail_delivery"] or not t["would_fail_delivery"] for t, x in zip(truth, v)),
  "truth: probing never clears would_fail_delivery")
EOF2
cat "$TMP/probes.out"

if [ "$mix" != policy-only ]; then
    missing=""
    for s in $all_scn; do grep -q "^$s [1-9]" "$D/scenarios.txt" || missing="$missing $s"; done
    [ -z "$missing" ]; expect $? "every scenario is present at least once (mix $mix)" "missing:$missing"
fi

# data/sample/top.csv is the default world (n 3000, seed 1) plus 3 invalid lines
$PY scripts/world/gen_world.py --dir "$TMP/defworld" --n 3000 --seed 1 --mix default >/dev/null
grep -E '^[0-9]+,[a-z0-9]([a-z0-9-]*[a-z0-9])?\.test$' data/sample/top.csv >"$TMP/top.valid" || true
cmp -s "$TMP/top.valid" "$TMP/defworld/domains.csv"
expect $? "data/sample/top.csv lists the default world's domains (gen --n 3000 --seed 1)" "differs from gen output"
nbad=$(grep -cvE '^[0-9]+,[a-z0-9]([a-z0-9-]*[a-z0-9])?\.test$' data/sample/top.csv || true)
[ "$nbad" = 3 ]; expect $? "data/sample/top.csv has exactly 3 invalid lines" "found $nbad"
# determinism: the same (n, seed, mix) gives the same truth and zone
$PY scripts/world/gen_world.py --dir "$TMP/defworld2" --n 3000 --seed 1 --mix default >/dev/null
cmp -s "$TMP/defworld/truth.jsonl" "$TMP/defworld2/truth.jsonl" && cmp -s "$TMP/defworld/dns/test.zone" "$TMP/defworld2/dns/test.zone"
expect $? "generation is deterministic for (n, seed, mix)" "truth or zone differ between two runs"

# ---------------------------------------------------------------------------------------------
# Per scenario: the first domain of each scenario, checked with dig and curl
# ---------------------------------------------------------------------------------------------
$PY - "$D/truth.jsonl" >"$TMP/reps.tsv" <<'EOF'
import json, sys
seen = {}
for l in open(sys.argv[1]):
    t = json.loads(l)
    if t["domain"] == t["scenario"] + "-1.test":
        seen[t["scenario"]] = t
for s, t in seen.items():
    print("\t".join([s, t["domain"], t["status"], t["category"] or "-", t["tlsrpt"],
                     ",".join(t["mx_hosts"]) or "-", ",".join(t["mx_patterns"]) or "-",
                     t["mode"] or "-", str(t["max_age"]) if t["max_age"] is not None else "-",
                     ",".join(t["warnings"]) or "-", t["policy_http_server"] or "-"]))
EOF

# The suite's own statement of each scenario's expected status/category (pins the generator to
# docs/taxonomy.md; a change to either must be made on purpose).
expected_of() {
    case "$1" in
    no-sts | no-sts-tlsrpt | no-sts-other-txt | no-sts-stsv10 | txt-at-apex | orphan-policy) echo "no_policy -" ;;
    nxdomain) echo "domain_nxdomain -" ;;
    dns-servfail | dns-timeout) echo "dns_error -" ;;
    valid-* | hosting-github-pages | lf-only | txt-split | txt-cname | ctype-charset | max-age-short | lenient-* | mx-wildcard | null-mx | no-mx | tlsrpt-missing | tlsrpt-invalid | testing-no-tlsrpt | cert-expiring-soon) echo "valid -" ;;
    txt-multiple) echo "invalid txt_multiple" ;;
    txt-no-id | txt-bad-id | txt-long-id) echo "invalid txt_syntax" ;;
    policy-host-no-address | policy-host-nodata) echo "invalid policy_host_no_address" ;;
    policy-host-private) echo "invalid policy_host_private_address" ;;
    https-refused) echo "invalid https_connect_failed" ;;
    https-connect-timeout | slow-drip) echo "invalid https_timeout" ;;
    tls-handshake-fail) echo "invalid tls_handshake_failed" ;;
    cert-expired) echo "invalid cert_expired" ;;
    cert-not-yet-valid) echo "invalid cert_not_yet_valid" ;;
    cert-wrong-name) echo "invalid cert_name_mismatch" ;;
    cert-self-signed) echo "invalid cert_self_signed" ;;
    cert-untrusted) echo "invalid cert_untrusted" ;;
    http-404 | http-500 | hosting-cloudflare-404) echo "invalid http_status" ;;
    http-redirect) echo "invalid http_redirect" ;;
    content-type) echo "invalid content_type" ;;
    body-too-large) echo "invalid body_too_large" ;;
    policy-syntax) echo "invalid policy_syntax" ;;
    policy-no-version) echo "invalid policy_version" ;;
    policy-bad-mode) echo "invalid policy_mode" ;;
    policy-no-max-age | policy-max-age-nonnumeric | policy-max-age-too-big) echo "invalid policy_max_age" ;;
    policy-enforce-no-mx) echo "invalid policy_no_mx" ;;
    mx-not-covered | mx-not-covered-testing | mx-wildcard-two-labels) echo "invalid mx_not_covered" ;;
    mx-starttls-missing | mx-starttls-missing-testing | mx-cert-expired | mx-cert-not-yet-valid | \
        mx-cert-wrong-name | mx-cert-wrong-name-testing | mx-cert-self-signed | mx-cert-untrusted | \
        mx-cert-expiring-soon | mx-cert-expiring-soon-testing | mx-tls10 | mx-tls10-testing | \
        mx-silent | mx-refused | mx-banner-554 | mx-one-broken | testing-ready | \
        dane-ee | dane-ta | tlsa-unsigned | dane-sts-conflict | mx-starttls-failed) echo "valid -" ;;
    dane-mismatch | dane-bogus | tlsa-invalid) echo "no_policy -" ;;
    *) echo "? ?" ;;
    esac
}

# dig through the world's resolver: sets RCODE, ANS (answer lines: "TYPE DATA"), DIGRC
dq() {
    local out
    DIGRC=0
    out=$(wx dig +time="${DIGTIME:-2}" +tries=1 +noall +comments +answer @127.0.0.1 "$1" "$2" 2>&1) || DIGRC=$?
    RCODE=$(echo "$out" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p' | head -n1)
    [ -n "$RCODE" ] || RCODE=NONE
    ANS=$(echo "$out" | awk '!/^;/ && NF >= 5 {t=$4; $1=$2=$3=$4=""; sub(/^ +/, ""); print t " " $0}')
}
sts_count() { echo "$ANS" | grep -cE '^TXT "v=STSv1(;|"| |$)' || true; }

# curl the policy URL with the world's CA: sets CRC, CODE, CTYPE, SIZE, CERR, BODY file, TIME
fetch() { # fetch HOST ADDR [MAXTIME]
    local host=$1 addr=$2 mt=${3:-3} meta
    CRC=0
    meta=$(wx curl -sS --max-time "$mt" --cacert "$CA" --resolve "$host:443:$addr" \
        -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}\t%{content_type}\t%{size_download}\t%{time_total}' \
        "https://$host/.well-known/mta-sts.txt" 2>"$TMP/cerr") || CRC=$?
    IFS=$'\t' read -r CODE CTYPE SIZE _ <<<"$meta" || true
    CERR=$(cat "$TMP/cerr")
}

cert_pem() { # cert_pem HOST ADDR: the leaf certificate the server presents
    wx sh -c "echo | timeout 5 openssl s_client -connect '$2:443' -servername '$1' 2>/dev/null" |
        sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' | sed '/-----END/q'
}

while IFS=$'\t' read -r scn dom status cat tlsrpt mxh mxp mode maxage _ server; do
    exp=$(expected_of "$scn")
    [ "$exp" = "$status $cat" ]
    expect $? "$scn: truth says $exp" "truth for $dom: $status $cat"
    host=mta-sts.$dom

    # --- TXT _mta-sts.D ---
    case "$scn" in
    dns-servfail)
        dq TXT "_mta-sts.$dom"
        [ "$RCODE" = SERVFAIL ]; expect $? "$scn: TXT _mta-sts.$dom is SERVFAIL (lame delegation)" "rcode $RCODE"
        out=$(wx dig +time=2 +tries=1 +norecurse @127.0.0.4 TXT "_mta-sts.$dom" 2>&1 || true)
        echo "$out" | grep -q 'status: REFUSED'; expect $? "$scn: the delegated server answers REFUSED" "$out"
        ;;
    dns-timeout)
        # Earlier suites (scans) make unbound mark the silent server as down, after which it
        # answers SERVFAIL at once: forget that first, so this checks the scenario itself.
        wx unbound-control -c "$D/dns/unbound.conf" flush_infra all >/dev/null 2>&1
        wx unbound-control -c "$D/dns/unbound.conf" flush_zone test. >/dev/null 2>&1
        wx unbound-control -c "$D/dns/unbound.conf" flush_requestlist >/dev/null 2>&1
        start=$SECONDS
        DIGTIME=3 dq TXT "_mta-sts.$dom"
        [ "$RCODE" != NOERROR ] && [ "$RCODE" != NXDOMAIN ]
        expect $? "$scn: TXT _mta-sts.$dom gets no answer through the resolver" "rcode $RCODE"
        [ "$DIGRC" = 9 ] && [ $((SECONDS - start)) -ge 2 ]
        expect $? "$scn: the resolver's answer times out (3 s)" "dig rc $DIGRC rcode $RCODE after $((SECONDS - start)) s"
        start=$SECONDS
        out=$(wx dig +time=2 +tries=1 +norecurse @127.0.0.3 TXT "_mta-sts.$dom" 2>&1) && r=1 || r=0
        [ $r = 0 ] && echo "$out" | grep -q 'timed out'
        expect $? "$scn: the delegated server never answers" "$out"
        ;;
    *)
        dq TXT "_mta-sts.$dom"
        n=$(sts_count)
        case "$status" in
        no_policy | domain_nxdomain)
            [ "$n" = 0 ]; expect $? "$scn: no v=STSv1 record at _mta-sts.$dom" "$n records: $ANS" ;;
        *)
            want=1; [ "$scn" = txt-multiple ] && want=2
            [ "$n" = "$want" ]; expect $? "$scn: $want v=STSv1 record(s) at _mta-sts.$dom" "rcode $RCODE, $n: $ANS" ;;
        esac
        case "$scn" in
        no-sts | no-sts-tlsrpt | orphan-policy | nxdomain | txt-at-apex)
            [ "$RCODE" = NXDOMAIN ]; expect $? "$scn: _mta-sts.$dom does not exist" "rcode $RCODE" ;;
        no-sts-other-txt)
            echo "$ANS" | grep -q '^TXT "google-site-verification='; expect $? "$scn: only a non-STS TXT record" "$ANS" ;;
        no-sts-stsv10)
            echo "$ANS" | grep -q '^TXT "v=STSv10;'; expect $? "$scn: a v=STSv10 record (not STS)" "$ANS" ;;
        txt-split)
            echo "$ANS" | grep -qE '^TXT "v=STSv1; " "id=[a-z0-9]+;"$'; expect $? "$scn: the record is split in two strings" "$ANS" ;;
        txt-cname)
            echo "$ANS" | grep -q '^CNAME _mta-sts.sts-records.provider-s.test.'; expect $? "$scn: the record is reached through a CNAME" "$ANS" ;;
        txt-no-id)
            ! echo "$ANS" | grep -q 'id='; expect $? "$scn: the record has no id" "$ANS" ;;
        txt-bad-id)
            echo "$ANS" | grep -qE 'id=[A-Za-z0-9]*[^A-Za-z0-9;"]'; expect $? "$scn: the id has non-alphanumeric characters" "$ANS" ;;
        txt-long-id)
            echo "$ANS" | grep -qE 'id=[A-Za-z0-9]{33,};'; expect $? "$scn: the id is longer than 32" "$ANS" ;;
        esac
        if [ "$scn" = txt-at-apex ]; then
            dq TXT "$dom"
            echo "$ANS" | grep -q '^TXT "v=STSv1;'; expect $? "$scn: a v=STSv1 record at the apex" "$ANS"
        fi
        ;;
    esac

    # --- MX D ---
    dq MX "$dom"
    case "$scn" in
    nxdomain) [ "$RCODE" = NXDOMAIN ]; expect $? "$scn: MX $dom is NXDOMAIN" "rcode $RCODE" ;;
    no-mx) [ "$RCODE" = NOERROR ] && [ -z "$ANS" ]; expect $? "$scn: MX $dom is NODATA" "rcode $RCODE: $ANS" ;;
    null-mx) [ "$ANS" = "MX 0 ." ]; expect $? "$scn: MX $dom is the null MX (0 .)" "$ANS" ;;
    *)
        got=$(echo "$ANS" | awk '$1=="MX"{print $3}' | sed 's/\.$//' | sort | paste -sd, -)
        [ "$got" = "$mxh" ]; expect $? "$scn: MX hosts of $dom are the truth's" "got '$got' want '$mxh'" ;;
    esac

    # --- TXT _smtp._tls.D ---
    dq TXT "_smtp._tls.$dom"
    rec=$(echo "$ANS" | grep '^TXT "v=TLSRPTv1' || true)
    case "$tlsrpt" in
    valid) echo "$rec" | grep -qE 'rua=(mailto:|https:)'; expect $? "$scn: TLS-RPT record is valid" "$ANS" ;;
    invalid) [ -n "$rec" ] && ! echo "$rec" | grep -qE 'rua=(mailto:|https:)'; expect $? "$scn: TLS-RPT record is malformed" "$ANS" ;;
    none) [ -z "$rec" ]; expect $? "$scn: no TLS-RPT record" "$ANS" ;;
    esac

    # --- policy host address ---
    case "$status/$cat" in
    no_policy/* | domain_nxdomain/* | dns_error/*) [ "$scn" = orphan-policy ] || continue ;;
    esac
    dq A "$host"
    addr=$(echo "$ANS" | awk '$1=="A"{print $2}' | head -n1)
    case "$scn" in
    policy-host-no-address)
        [ "$RCODE" = NXDOMAIN ]; expect $? "$scn: $host does not exist" "rcode $RCODE $ANS"
        dq AAAA "$host"; [ -z "$ANS" ]; expect $? "$scn: no AAAA for $host" "$ANS"
        continue ;;
    policy-host-nodata)
        [ "$RCODE" = NOERROR ] && [ -z "$addr" ]; expect $? "$scn: $host exists with no A" "rcode $RCODE $ANS"
        dq AAAA "$host"; [ -z "$ANS" ]; expect $? "$scn: no AAAA for $host" "$ANS"
        continue ;;
    policy-host-private)
        [[ "$addr" =~ ^(10\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.) ]]; expect $? "$scn: $host resolves to a private address" "$ANS"
        if wx ip route get "$addr" >/dev/null 2>&1; then r=1; else r=0; fi
        expect $r "$scn: $addr has no route in the namespace" "ip route get $addr succeeded"
        continue ;;
    *)
        [[ "$addr" == 127.* ]]; expect $? "$scn: $host resolves to a 127.0.0.0/8 address" "rcode $RCODE $ANS" ;;
    esac

    # --- HTTPS ---
    case "$scn" in
    https-refused)
        fetch "$host" "$addr"
        [ "$CRC" = 7 ]; expect $? "$scn: connection refused" "curl rc $CRC: $CERR" ;;
    https-connect-timeout)
        fetch "$host" "$addr" 3
        [ "$CRC" = 28 ] && echo "$CERR" | grep -qi 'connect\|Connection timed out'
        expect $? "$scn: the TCP connect times out" "curl rc $CRC: $CERR" ;;
    slow-drip)
        fetch "$host" "$addr" 4
        [ "$CRC" = 28 ] && [ "$CODE" = 200 ] && [ "${SIZE:-0}" -ge 1 ] && [ "${SIZE:-0}" -le 2 ]
        expect $? "$scn: headers at once, then the body drips (1 byte/3 s) past the timeout" "curl rc $CRC code $CODE size $SIZE: $CERR" ;;
    tls-handshake-fail)
        fetch "$host" "$addr"
        [ "$CRC" = 35 ]; expect $? "$scn: the TLS handshake fails (alert)" "curl rc $CRC: $CERR" ;;
    cert-expired | cert-not-yet-valid | cert-wrong-name | cert-self-signed | cert-untrusted)
        fetch "$host" "$addr"
        case "$scn" in
        cert-expired) re='certificate has expired' ;;
        cert-not-yet-valid) re='certificate is not yet valid' ;;
        cert-wrong-name) re='subject name|does not match' ;;
        cert-self-signed) re='self.signed certificate' ;;
        cert-untrusted) re='unable to get local issuer certificate' ;;
        esac
        [ "$CRC" = 60 ] && echo "$CERR" | grep -qiE "$re"
        expect $? "$scn: curl --cacert rejects the certificate ($re)" "curl rc $CRC: $CERR"
        cert_pem "$host" "$addr" >"$TMP/leaf.pem"
        case "$scn" in
        cert-expired) ! openssl x509 -in "$TMP/leaf.pem" -noout -checkend 0 >/dev/null ;;
        cert-not-yet-valid)
            nb=$(openssl x509 -in "$TMP/leaf.pem" -noout -startdate | cut -d= -f2)
            [ "$(date -d "$nb" +%s)" -gt "$(date +%s)" ] ;;
        *) openssl x509 -in "$TMP/leaf.pem" -noout -checkend 0 >/dev/null ;;
        esac
        expect $? "$scn: the leaf's validity dates are as the scenario says" "$(openssl x509 -in "$TMP/leaf.pem" -noout -dates 2>&1)"
        # the certificate verifies with the right CA/name except for its one defect
        case "$scn" in
        cert-wrong-name) openssl verify -CAfile "$CA" -untrusted "$D/tls/intermediate.pem" "$TMP/leaf.pem" >/dev/null 2>&1 ;;
        *) true ;;
        esac
        expect $? "$scn: only the named defect (chain otherwise valid)" "openssl verify failed" ;;
    http-404 | http-500 | hosting-cloudflare-404)
        fetch "$host" "$addr"
        code=${scn#http-}; code=${code##*-}
        [ "$CRC" = 0 ] && [ "$CODE" = "$code" ]; expect $? "$scn: HTTP status $code" "curl rc $CRC code $CODE: $CERR" ;;
    http-redirect)
        fetch "$host" "$addr"
        [ "$CODE" = 301 ] && grep -qi '^location: https://mta-sts\.' "$TMP/headers"
        expect $? "$scn: HTTP 301 with a Location (not followed)" "code $CODE" ;;
    content-type)
        fetch "$host" "$addr"
        [ "$CODE" = 200 ] && [[ "$CTYPE" == text/html* ]]; expect $? "$scn: 200 with Content-Type text/html" "code $CODE type $CTYPE" ;;
    body-too-large)
        fetch "$host" "$addr"
        [ "$CODE" = 200 ] && [ "$SIZE" -gt 65536 ]; expect $? "$scn: 200 with a body over 64 KiB" "code $CODE size $SIZE" ;;
    *)
        fetch "$host" "$addr"
        [ "$CRC" = 0 ] && [ "$CODE" = 200 ]; expect $? "$scn: HTTPS 200 with a valid certificate" "curl rc $CRC code $CODE: $CERR"
        if [ "$scn" = ctype-charset ]; then
            [ "$CTYPE" = "text/plain; charset=utf-8" ]; expect $? "$scn: Content-Type text/plain; charset=utf-8" "$CTYPE"
        else
            [ "$CTYPE" = text/plain ]; expect $? "$scn: Content-Type text/plain" "$CTYPE"
        fi
        if [ "$scn" = lf-only ]; then
            ! grep -q $'\r' "$TMP/body"; expect $? "$scn: LF line endings only" "body has CR"
        else
            [ "$(grep -c $'\r$' "$TMP/body")" = "$(wc -l <"$TMP/body")" ]; expect $? "$scn: CRLF line endings" "mixed endings"
        fi
        body=$(tr -d '\r' <"$TMP/body")
        if [ "$mode" != - ]; then
            echo "$body" | grep -qix "mode: $mode"; expect $? "$scn: policy mode is $mode" "$body"
            echo "$body" | grep -qE "^max_age: $maxage$"; expect $? "$scn: policy max_age is $maxage (last one)" "$body"
            got=$(echo "$body" | sed -n 's/^mx: //p' | paste -sd, -)
            [ "${got:--}" = "$mxp" ]; expect $? "$scn: policy mx patterns are the truth's" "got $got want $mxp"
        fi
        case "$scn" in
        policy-syntax) echo "$body" | grep -qE '^[a-z_]+ [^:]*$' ;;
        policy-no-version) ! echo "$body" | grep -q '^version:' ;;
        policy-bad-mode) echo "$body" | grep -qx 'mode: strict' ;;
        policy-no-max-age) ! echo "$body" | grep -q '^max_age' ;;
        policy-max-age-nonnumeric) echo "$body" | grep -qE '^max_age: .*[^0-9]' ;;
        policy-max-age-too-big) echo "$body" | grep -qx 'max_age: 31557601' ;;
        policy-enforce-no-mx) echo "$body" | grep -qx 'mode: enforce' && ! echo "$body" | grep -q '^mx:' ;;
        lenient-case) echo "$body" | grep -q '^Mode: Enforce' ;;
        lenient-dup-key) [ "$(echo "$body" | grep -c '^max_age:')" = 2 ] ;;
        *) true ;;
        esac
        expect $? "$scn: the policy body has the scenario's feature" "$body"
        if [ "$scn" = cert-expiring-soon ]; then
            cert_pem "$host" "$addr" >"$TMP/leaf.pem"
            openssl x509 -in "$TMP/leaf.pem" -noout -checkend 86400 >/dev/null &&
                ! openssl x509 -in "$TMP/leaf.pem" -noout -checkend $((14 * 86400)) >/dev/null
            expect $? "$scn: the certificate expires within 14 days (and not within 1)" "$(openssl x509 -in "$TMP/leaf.pem" -noout -enddate)"
        fi
        ;;
    esac
    # the Server header of the response the scanner stores (truth policy_http_server)
    if [ "$server" != - ]; then
        got=$(tr -d '\r' <"$TMP/headers" | sed -n 's/^[Ss]erver: //p' | head -n1)
        [ "$got" = "$server" ]; expect $? "$scn: the policy host answers Server: $server" "got '$got'"
    fi
done <"$TMP/reps.tsv"

# ---------------------------------------------------------------------------------------------
# The delivery side: each MX host of the first domain of every scenario answers on port 25 as
# the truth's mx_probes say (openssl s_client -starttls smtp), and its TLSA record is what the
# probe's DANE outcome says (dig +dnssec through the validating resolver, s_client -dane_*).
# ---------------------------------------------------------------------------------------------
# The suite's own statement of the delivery-side truth of the new scenarios (first domain):
# smtp outcomes of its MX hosts, DANE outcome of mx1, would_fail_delivery, readiness, warnings
expected_delivery_of() {
    case "$1" in
    mx-starttls-missing) echo "starttls_not_offered - true enforcing mx_tls_invalid" ;;
    mx-starttls-missing-testing) echo "starttls_not_offered - false not_ready mx_tls_invalid" ;;
    mx-starttls-failed) echo "starttls_failed - true enforcing mx_tls_invalid" ;;
    mx-cert-expired) echo "mx_cert_expired - true enforcing mx_tls_invalid" ;;
    mx-cert-not-yet-valid) echo "mx_cert_not_yet_valid - true enforcing mx_tls_invalid" ;;
    mx-cert-wrong-name) echo "mx_cert_name_mismatch - true enforcing mx_tls_invalid" ;;
    mx-cert-wrong-name-testing) echo "mx_cert_name_mismatch - false not_ready mx_tls_invalid" ;;
    mx-cert-self-signed) echo "mx_cert_self_signed - true enforcing mx_tls_invalid" ;;
    mx-cert-untrusted) echo "mx_cert_untrusted - true enforcing mx_tls_invalid" ;;
    mx-cert-expiring-soon) echo "smtp_ok - false enforcing mx_cert_expiring_soon" ;;
    mx-cert-expiring-soon-testing) echo "smtp_ok - false not_ready mx_cert_expiring_soon" ;;
    mx-tls10) echo "mx_tls_old - false enforcing mx_tls_old" ;;
    mx-tls10-testing) echo "mx_tls_old - false not_ready mx_tls_old" ;;
    mx-silent) echo "smtp_timeout - false enforcing -" ;;
    mx-refused) echo "smtp_connect_failed - false enforcing -" ;;
    mx-banner-554) echo "smtp_refused - false enforcing -" ;;
    mx-one-broken) echo "smtp_ok,mx_cert_expired - true enforcing mx_tls_invalid" ;;
    testing-ready) echo "smtp_ok - false ready_to_enforce -" ;;
    dane-ee | dane-ta) echo "smtp_ok dane_valid false enforcing -" ;;
    dane-mismatch) echo "smtp_ok dane_mismatch false - -" ;;
    dane-bogus) echo "smtp_ok dnssec_bogus false - -" ;;
    tlsa-invalid) echo "smtp_ok tlsa_invalid false - -" ;;
    tlsa-unsigned) echo "smtp_ok tlsa_unsigned false enforcing tlsa_without_dnssec" ;;
    dane-sts-conflict) echo "smtp_ok dane_mismatch false enforcing dane_and_sts_conflict,dane_failure" ;;
    mx-not-covered) echo "smtp_ok,smtp_ok - true not_ready -" ;;
    valid-testing) echo "smtp_ok,smtp_ok,smtp_ok - false ready_to_enforce -" ;;
    no-sts) echo "smtp_ok,smtp_ok,smtp_ok - false - -" ;;
    *) echo "" ;;
    esac
}
$PY - "$D/truth.jsonl" >"$TMP/deliv.tsv" <<'EOF2'
import json, sys
OPT = "--checks +smtp:all,+dane"
for l in open(sys.argv[1]):
    t = json.loads(l)
    if t["domain"] != t["scenario"] + "-1.test":
        continue
    v = t["with_options"][OPT]
    ps = t["mx_probes"]
    print("\t".join([t["scenario"], t["domain"], " ".join([
        ",".join(p["smtp"] for p in ps) or "-", (ps[0]["dane"] if ps else None) or "-",
        str(v["would_fail_delivery"]).lower(), v["readiness"] or "-", ",".join(v["warnings"]) or "-"])]))
EOF2
while IFS=$'\t' read -r scn dom got; do
    exp=$(expected_delivery_of "$scn")
    [ -n "$exp" ] || continue
    [ "$exp" = "$got" ]; expect $? "$scn: delivery truth says $exp" "truth for $dom: $got"
done <"$TMP/deliv.tsv"

# the distinct MX hosts of the first domain of every scenario, with their truth
$PY - "$D/truth.jsonl" >"$TMP/mx.tsv" <<'EOF2'
import json, sys
seen = set()
for l in open(sys.argv[1]):
    t = json.loads(l)
    if t["domain"] != t["scenario"] + "-1.test":
        continue
    for p in t["mx_probes"]:
        if p["host"] in seen:
            continue
        seen.add(p["host"])
        print("\t".join([t["scenario"], p["host"], ",".join(p["addrs"]) or "-", p["smtp"],
                         p["tls_version"] or "-", p["dane"] or "-"]))
EOF2

smtp_greeting() { # smtp_greeting ADDR: sets GRC (0 ok, 7 connect failed, 9 no greeting) and GREET
    GREET=$(wx timeout 6 bash -c "exec 3<>/dev/tcp/$1/25 || exit 7; read -t 3 -r l <&3 || exit 9; echo \"\$l\"; printf 'QUIT\r\n' >&3" 2>/dev/null)
    GRC=$?
}
starttls() { # starttls HOST ADDR [s_client options]: sets SOUT; the handshake completes whatever the verify result
    local h=$1 a=$2
    shift 2
    SOUT=$(wx timeout 10 openssl s_client -starttls smtp -connect "$a:25" -servername "$h" -verify_hostname "$h" \
        -CAfile "$CA" "$@" </dev/null 2>&1)
}
tls_version_of() { # the negotiated version as OpenSSL's SSL_get_version() names it, if the handshake completed
    # (s_client says "New, TLSv1.0, ..." where SSL_get_version() says "TLSv1")
    echo "$1" | sed -n 's/^New, \(TLSv[0-9.]*\), Cipher is.*/\1/p' | head -n1 | sed 's/^TLSv1\.0$/TLSv1/'
}
smtp_outcome() { # smtp_outcome HOST ADDR: sets OUTC to "<outcome> <tls version or ->" as the truth names them
    local h=$1 a=$2 code ver
    smtp_greeting "$a"
    case "$GRC" in 7) OUTC="smtp_connect_failed -"; return ;; 9 | 124) OUTC="smtp_timeout -"; return ;; esac
    case "$GREET" in 5*) OUTC="smtp_refused -"; return ;; 220*) ;; *) OUTC="unexpected-greeting -"; return ;; esac
    starttls "$h" "$a"
    if echo "$SOUT" | grep -q "Didn't find STARTTLS"; then OUTC="starttls_not_offered -"; return; fi
    ver=$(tls_version_of "$SOUT")
    if [ -z "$ver" ]; then
        # a server below TLS 1.2: only a client that offers TLS 1.0 at security level 0 gets through
        starttls "$h" "$a" -tls1 -cipher DEFAULT@SECLEVEL=0
        ver=$(tls_version_of "$SOUT")
        [ -n "$ver" ] || { OUTC="starttls_failed -"; return; }
    fi
    code=$(echo "$SOUT" | sed -n 's/^ *Verify return code: \([0-9]*\).*/\1/p' | tail -n1)
    case "$ver" in TLSv1 | TLSv1.1) [ "$code" = 0 ] && { OUTC="mx_tls_old $ver"; return; } ;; esac
    case "$code" in
    0) OUTC="smtp_ok $ver" ;; 10) OUTC="mx_cert_expired $ver" ;; 9) OUTC="mx_cert_not_yet_valid $ver" ;;
    62) OUTC="mx_cert_name_mismatch $ver" ;; 18 | 19) OUTC="mx_cert_self_signed $ver" ;;
    2 | 20 | 21 | 27) OUTC="mx_cert_untrusted $ver" ;; *) OUTC="verify-code-$code $ver" ;;
    esac
}
tlsa_usable() { # reads TLSA rdata lines; true if one is usable for SMTP (RFC 7672: usage 2/3, mtype 0-2)
    awk '($1 == 2 || $1 == 3) && ($2 == 0 || $2 == 1) && ($3 == 0 || $3 == 1 || $3 == 2) {f = 1} END {exit !f}'
}
while IFS=$'\t' read -r scn mxh addrs smtp tlsv dane; do
    # --- address ---
    dq A "$mxh"
    got=$(echo "$ANS" | awk '$1=="A"{print $2}' | sort | paste -sd, -)
    [ "${got:--}" = "$addrs" ]; expect $? "$scn: $mxh has the truth's addresses ($addrs)" "got '${got:--}' (rcode $RCODE)"
    # --- SMTP on port 25 ---
    if [ "$addrs" != - ]; then
        a=${addrs%%,*}
        smtp_outcome "$mxh" "$a"
        [ "$OUTC" = "$smtp $tlsv" ]; expect $? "$scn: $mxh ($a:25) answers $smtp $tlsv" "got $OUTC"
        case "$smtp" in
        smtp_ok)
            echo "$SOUT" | sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' >"$TMP/mxleaf.pem"
            if [ "$scn" = mx-cert-expiring-soon ] || [ "$scn" = mx-cert-expiring-soon-testing ]; then
                openssl x509 -in "$TMP/mxleaf.pem" -noout -checkend 86400 >/dev/null &&
                    ! openssl x509 -in "$TMP/mxleaf.pem" -noout -checkend $((14 * 86400)) >/dev/null
                expect $? "$scn: $mxh's certificate expires within 14 days (and not within 1)" "$(openssl x509 -in "$TMP/mxleaf.pem" -noout -enddate 2>&1)"
            else
                openssl x509 -in "$TMP/mxleaf.pem" -noout -checkend $((14 * 86400)) >/dev/null
                expect $? "$scn: $mxh's certificate is valid for more than 14 days" "$(openssl x509 -in "$TMP/mxleaf.pem" -noout -enddate 2>&1)"
            fi ;;
        smtp_refused)
            [[ "$GREET" == 554* ]]; expect $? "$scn: $mxh greets with 554" "$GREET" ;;
        starttls_failed)
            starttls "$mxh" "$a" -cipher 'ALL@SECLEVEL=0'
            ! echo "$SOUT" | grep -q "Didn't find STARTTLS" && echo "$SOUT" | grep -q 'alert handshake failure'
            expect $? "$scn: $mxh offers STARTTLS, then the handshake fails (handshake_failure alert, any cipher)" "$(echo "$SOUT" | grep -i 'error\|STARTTLS' | head -n1)" ;;
        mx_tls_old)
            starttls "$mxh" "$a" -verify_return_error
            ! echo "$SOUT" | grep -q '^New, TLSv'; expect $? "$scn: $mxh refuses a client at TLS 1.2 or above" "$(echo "$SOUT" | grep '^New,')" ;;
        esac
    fi
    # --- TLSA _25._tcp.<mx> through the validating resolver ---
    q="_25._tcp.$mxh"
    out=$(wx dig +time=2 +tries=1 +dnssec @127.0.0.1 TLSA "$q" 2>&1)
    rc=$(echo "$out" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p' | head -n1)
    ad=0; echo "$out" | grep -qE '^;; flags:[a-z ]* ad[ ;]' && ad=1
    rr=$(echo "$out" | awk '!/^;/ && $4 == "TLSA" {$1=$2=$3=$4=""; sub(/^ +/, ""); print $1, $2, $3, $4 $5 $6}')
    case "$dane" in
    -)
        [ -z "$rr" ] && [ "$rc" != SERVFAIL ]; expect $? "$scn: no TLSA at $q" "rcode $rc: $rr" ;;
    tlsa_unsigned)
        [ "$rc" = NOERROR ] && [ -n "$rr" ] && [ $ad = 0 ]; expect $? "$scn: TLSA at $q answered without AD (unsigned zone)" "rcode $rc ad $ad: $rr" ;;
    dnssec_bogus)
        [ "$rc" = SERVFAIL ]; expect $? "$scn: TLSA at $q is SERVFAIL (bogus signature)" "rcode $rc"
        out=$(wx dig +time=2 +tries=1 +dnssec +cd @127.0.0.1 TLSA "$q" 2>&1)
        echo "$out" | grep -qE 'IN[[:space:]]+TLSA'; expect $? "$scn: with +cd the TLSA is there (only the RRSIG is broken)" "$(echo "$out" | grep status)" ;;
    *)
        [ "$rc" = NOERROR ] && [ -n "$rr" ] && [ $ad = 1 ]; expect $? "$scn: TLSA at $q is validated (AD)" "rcode $rc ad $ad: $rr"
        case "$dane" in
        tlsa_invalid)
            ! echo "$rr" | tlsa_usable; expect $? "$scn: no TLSA record at $q is usable for SMTP" "$rr" ;;
        dane_valid | dane_mismatch)
            echo "$rr" | tlsa_usable; expect $? "$scn: the TLSA records at $q are usable" "$rr"
            args=()
            while read -r u s m h; do args+=(-dane_tlsa_rrdata "$u $s $m $h"); done <<<"$rr"
            out=$(wx timeout 10 openssl s_client -starttls smtp -connect "${addrs%%,*}:25" -servername "$mxh" \
                -dane_tlsa_domain "$mxh" "${args[@]}" </dev/null 2>&1)
            if [ "$dane" = dane_valid ]; then
                echo "$out" | grep -q '^DANE TLSA .* matched' && echo "$out" | grep -q 'Verify return code: 0 '
            else
                echo "$out" | grep -q 'no matching DANE TLSA records'
            fi
            expect $? "$scn: $mxh's chain vs the TLSA records: $dane" "$(echo "$out" | grep -E 'DANE|Verify return' | tr '\n' ' ')" ;;
        esac ;;
    esac
done <"$TMP/mx.tsv"
# the AD bit only under the signed zone
out=$(wx dig +dnssec +time=2 +tries=1 @127.0.0.1 SOA sec.test. 2>&1)
echo "$out" | grep -qE '^;; flags:[a-z ]* ad[ ;]'; expect $? "sec.test. is validated (AD) by the resolver" "$(echo "$out" | grep flags)"
out=$(wx dig +dnssec +time=2 +tries=1 @127.0.0.1 MX valid-enforce-1.test 2>&1)
! echo "$out" | grep -qE '^;; flags:[a-z ]* ad[ ;]'; expect $? "answers outside sec.test. have no AD" "$(echo "$out" | grep flags)"
# nothing of the world listens on the host's port 25 (postfix runs inside the namespace)
if ss -Hltn 'sport = :25' 2>/dev/null | grep -q .; then
    nok "nothing listens on port 25 outside the world's namespace" "$(ss -Hltnp 'sport = :25' | head -n 2)"
else
    ok "nothing listens on port 25 outside the world's namespace"
fi
# postfix never takes a message: MAIL FROM is refused (no RCPT, no DATA is ever sent)
out=$(wx timeout 6 bash -c "exec 3<>/dev/tcp/127.0.5.1/25; read -t 3 -r l <&3; printf 'EHLO world-test\r\n' >&3;
    while read -t 3 -r l <&3; do [[ \$l == 250\ * ]] && break; done; printf 'MAIL FROM:<t@world.test>\r\n' >&3;
    read -t 3 -r l <&3; echo \"\$l\"; printf 'QUIT\r\n' >&3" 2>&1)
[[ "$out" == 5* ]]; expect $? "postfix refuses MAIL FROM (nothing can be queued)" "$out"

# wrong SNI gets no policy
out=$(wx curl -sS -o /dev/null --max-time 3 --cacert "$CA" --resolve "mta-sts.unknown-host.test:443:127.0.1.1" \
    https://mta-sts.unknown-host.test/.well-known/mta-sts.txt 2>&1) && r=1 || r=0
expect $r "an unknown SNI name is refused by nginx" "$out"

# ---------------------------------------------------------------------------------------------
# Bulk: every domain's MX set and TLS-RPT state through the resolver (dig batch) == truth
# ---------------------------------------------------------------------------------------------
$PY - "$D/truth.jsonl" "$TMP/q" <<'EOF'
import json, sys
with open(sys.argv[2], "w") as f:
    for l in open(sys.argv[1]):
        t = json.loads(l)
        f.write("%s MX\n_smtp._tls.%s TXT\n" % (t["domain"], t["domain"]))
        for p in t["mx_probes"]:
            f.write("%s A\n" % p["host"])
EOF
cp "$TMP/q" "$D/tmp/bulk-queries.txt"
if wx dig +time=2 +tries=2 +noall +answer @127.0.0.1 -f "$D/tmp/bulk-queries.txt" >"$TMP/bulk.out" 2>"$TMP/bulk.err"; then
    $PY - "$D/truth.jsonl" "$TMP/bulk.out" <<'EOF'
import json, sys, re
mx, tr, addrs = {}, {}, {}
for line in open(sys.argv[2]):
    if line.startswith(";") or not line.strip():
        continue
    p = line.split(None, 4)
    if len(p) < 5:
        continue
    name = p[0].rstrip(".").lower()
    if p[3] == "MX":
        pref, host = p[4].split()
        if host != ".":
            mx.setdefault(name, set()).add(host.rstrip(".").lower())
    elif p[3] == "TXT" and name.startswith("_smtp._tls."):
        tr.setdefault(name[len("_smtp._tls."):], []).append("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', p[4])))
    elif p[3] == "A":
        addrs.setdefault(name, set()).add(p[4].strip())
bad_mx, bad_tr, bad_a, n = [], [], [], 0
for l in open(sys.argv[1]):
    t = json.loads(l)
    n += 1
    d = t["domain"]
    if sorted(mx.get(d, ())) != t["mx_hosts"]:
        bad_mx.append(d)
    recs = [r for r in tr.get(d, []) if r.startswith("v=TLSRPTv1")]
    st = "none" if not recs else ("valid" if len(recs) == 1 and re.search(r"rua=(mailto:|https:)", recs[0]) else "invalid")
    if st != t["tlsrpt"]:
        bad_tr.append(d)
    for p in t["mx_probes"]:
        if sorted(addrs.get(p["host"], ())) != p["addrs"]:
            bad_a.append(p["host"])
print(("ok - " if not bad_mx else "not ok - ") + "bulk: MX hosts of all %d domains match the truth" % n
      + ("" if not bad_mx else " # %d differ, e.g. %s" % (len(bad_mx), bad_mx[:5])))
print(("ok - " if not bad_tr else "not ok - ") + "bulk: TLS-RPT state of all %d domains matches the truth" % n
      + ("" if not bad_tr else " # %d differ, e.g. %s" % (len(bad_tr), bad_tr[:5])))
print(("ok - " if not bad_a else "not ok - ") + "bulk: the addresses of every MX host match the truth's mx_probes"
      + ("" if not bad_a else " # %d differ, e.g. %s" % (len(bad_a), bad_a[:5])))
EOF
else
    nok "bulk: dig batch through the resolver" "$(tail -n 3 "$TMP/bulk.err")"
fi
rm -f "$D/tmp/bulk-queries.txt"

# NSD's response rate limiting is off: a burst from one address loses nothing
printf 'test. SOA\nvalid-enforce-1.test MX\n_mta-sts.valid-enforce-1.test TXT\n' >"$D/tmp/perf.txt"
out=$(wx dnsperf -s 127.0.0.2 -d "$D/tmp/perf.txt" -n 2000 -c 4 -l 10 -q 200 2>&1) || true
rm -f "$D/tmp/perf.txt"
lost=$(echo "$out" | sed -n 's/.*Queries lost: *\([0-9]*\).*/\1/p')
comp=$(echo "$out" | sed -n 's/.*Queries completed: *\([0-9]*\).*/\1/p')
[ "${lost:-x}" = 0 ] && [ "${comp:-0}" -ge 6000 ]; expect $? "NSD answers a 6000-query burst from one address without loss (RRL off)" "completed ${comp:-?} lost ${lost:-?}"
exit 0
