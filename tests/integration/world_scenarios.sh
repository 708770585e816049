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
echo "1..551"

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
                     ",".join(t["warnings"]) or "-"]))
EOF

# The suite's own statement of each scenario's expected status/category (pins the generator to
# docs/taxonomy.md; a change to either must be made on purpose).
expected_of() {
    case "$1" in
    no-sts | no-sts-tlsrpt | no-sts-other-txt | no-sts-stsv10 | txt-at-apex | orphan-policy) echo "no_policy -" ;;
    nxdomain) echo "domain_nxdomain -" ;;
    dns-servfail | dns-timeout) echo "dns_error -" ;;
    valid-* | lf-only | txt-split | txt-cname | ctype-charset | max-age-short | lenient-* | mx-wildcard | null-mx | no-mx | tlsrpt-missing | tlsrpt-invalid | testing-no-tlsrpt | cert-expiring-soon) echo "valid -" ;;
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
    http-404 | http-500) echo "invalid http_status" ;;
    http-redirect) echo "invalid http_redirect" ;;
    content-type) echo "invalid content_type" ;;
    body-too-large) echo "invalid body_too_large" ;;
    policy-syntax) echo "invalid policy_syntax" ;;
    policy-no-version) echo "invalid policy_version" ;;
    policy-bad-mode) echo "invalid policy_mode" ;;
    policy-no-max-age | policy-max-age-nonnumeric | policy-max-age-too-big) echo "invalid policy_max_age" ;;
    policy-enforce-no-mx) echo "invalid policy_no_mx" ;;
    mx-not-covered | mx-not-covered-testing | mx-wildcard-two-labels) echo "invalid mx_not_covered" ;;
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

while IFS=$'\t' read -r scn dom status cat tlsrpt mxh mxp mode maxage _; do
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
    http-404 | http-500)
        fetch "$host" "$addr"
        [ "$CRC" = 0 ] && [ "$CODE" = "${scn#http-}" ]; expect $? "$scn: HTTP status ${scn#http-}" "curl rc $CRC code $CODE: $CERR" ;;
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
done <"$TMP/reps.tsv"

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
EOF
cp "$TMP/q" "$D/tmp/bulk-queries.txt"
if wx dig +time=2 +tries=2 +noall +answer @127.0.0.1 -f "$D/tmp/bulk-queries.txt" >"$TMP/bulk.out" 2>"$TMP/bulk.err"; then
    $PY - "$D/truth.jsonl" "$TMP/bulk.out" <<'EOF'
import json, sys, re
mx, tr = {}, {}
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
bad_mx, bad_tr, n = [], [], 0
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
print(("ok - " if not bad_mx else "not ok - ") + "bulk: MX hosts of all %d domains match the truth" % n
      + ("" if not bad_mx else " # %d differ, e.g. %s" % (len(bad_mx), bad_mx[:5])))
print(("ok - " if not bad_tr else "not ok - ") + "bulk: TLS-RPT state of all %d domains matches the truth" % n
      + ("" if not bad_tr else " # %d differ, e.g. %s" % (len(bad_tr), bad_tr[:5])))
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
