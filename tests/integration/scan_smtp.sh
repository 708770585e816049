#!/usr/bin/env bash
# The SMTP stage against the world's real Postfix MX hosts and its DNSSEC-signed zone: every
# MX host's SMTP and DANE outcome equals the truth (check --json), each distinct host is
# probed once per scan and shared, refused addresses are never contacted, and a network
# where no MX host answers on port 25 is reported once as blocked, not as the domains' fault.
# Needs the world up (tests/run does it) and its facts in MTASTS_WORLD_* (world env).
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_DOMAINS:?}" "${MTASTS_WORLD_TRUTH:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
net=(--resolver "$MTASTS_WORLD_RESOLVER" --ca-file "$MTASTS_WORLD_CA" --timeout 3
     --connect-timeout 2 --smtp-timeout 3)
domains() { cut -d, -f2 "$MTASTS_WORLD_DOMAINS" | grep -v '^\s*$'; }
n_scn=$(python3 -c '
import json, sys
print(len({t["scenario"] for t in map(json.loads, open(sys.argv[1])) if t.get("mx_probes")}))
' "$MTASTS_WORLD_TRUTH")
echo "1..$((n_scn + 14))"
# A domain served by the shared provider host (gmail-smtp-in.l.provider-g.test).
shared_domain=$(python3 -c '
import json, sys
for t in map(json.loads, open(sys.argv[1])):
    if any("provider-g" in p["host"] for p in t.get("mx_probes") or []):
        print(t["domain"]); break
' "$MTASTS_WORLD_TRUTH")

ok() { echo "ok - $1"; }
nok() { echo "not ok - $1 # $2"; }
check() { if eval "$2"; then ok "$1"; else nok "$1" "$3"; fi; }

# 1. check --json on every world domain, MX hosts of every domain: compared with the truth.
mapfile -t all < <(domains)
"${world[@]}" "$MTASTS_BIN" check "${all[@]}" --json --checks +smtp:all "${net[@]}" \
    --allow-private 127.0.0.0/8 >"$tmp/check.jsonl" 2>"$tmp/check.err"
python3 tests/integration/compare_mx_probes.py "$tmp/check.jsonl" "$MTASTS_WORLD_TRUTH" |
    tail -n +2
check "check: no port-25-blocked message when hosts answer" \
    "! grep -q 'port 25 looks blocked' '$tmp/check.err'" "$(head -c 300 "$tmp/check.err")"

# 2. A scan of the world with smtp:all and dane: complete, each distinct host probed once.
db=$tmp/smtp.db
"${world[@]}" "$MTASTS_BIN" scan "$MTASTS_WORLD_DOMAINS" --db "$db" "${net[@]}" \
    --allow-private 127.0.0.0/8 --dns-qps 5000 --checks +smtp:all,+dane --quiet \
    >"$tmp/scan.out" 2>&1
rc=$?
check "scan with +smtp:all,+dane exits 0" "[ $rc -eq 0 ]" "status $rc: $(tail -3 "$tmp/scan.out" | tr '\n' ' ')"
check "scan: results written == inputs selected" \
    "grep -q '^results written == inputs selected' '$tmp/scan.out'" "$(grep -i results "$tmp/scan.out")"
summary=$(sqlite3 "$db" "SELECT json_extract(options, '\$.smtp_summary') FROM scans ORDER BY id DESC LIMIT 1")
distinct=$(python3 -c '
import json, sys
print(len({p["host"] for t in map(json.loads, open(sys.argv[1])) for p in t.get("mx_probes") or []}))
' "$MTASTS_WORLD_TRUTH")
probed=$(echo "$summary" | python3 -c 'import json,sys; print(json.load(sys.stdin)["mx_hosts_probed"])' 2>/dev/null)
saved=$(echo "$summary" | python3 -c 'import json,sys; print(json.load(sys.stdin)["probes_saved_by_sharing"])' 2>/dev/null)
port25=$(echo "$summary" | python3 -c 'import json,sys; print(json.load(sys.stdin)["port25"])' 2>/dev/null)
check "scan: each distinct MX host probed once ($distinct hosts in the truth)" \
    "[ '$probed' = '$distinct' ]" "probed '$probed', summary '$summary'"
# provider-g's three hosts serve hundreds of domains: their joins are saved probes.
check "scan: probes saved by sharing counted ($saved)" "[ '${saved:-0}' -gt 100 ]" "summary '$summary'"
check "scan: port 25 found open and stored with the scan" "[ '$port25' = open ]" "summary '$summary'"
check "scan: summary line shows the SMTP figures" \
    "grep -q '^smtp: $distinct MX hosts probed, $saved probes saved by sharing' '$tmp/scan.out'" \
    "$(grep '^smtp' "$tmp/scan.out")"

# 3. Without --allow-private every world address is refused: no MX host is contacted.
head -200 "$MTASTS_WORLD_DOMAINS" >"$tmp/some.csv"
"${world[@]}" "$MTASTS_BIN" scan "$tmp/some.csv" --db "$tmp/private.db" "${net[@]}" \
    --checks +smtp:all,+dane --quiet >"$tmp/private.out" 2>&1
summary=$(sqlite3 "$tmp/private.db" "SELECT json_extract(options, '\$.smtp_summary') FROM scans")
conns=$(echo "$summary" | python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"])' 2>/dev/null)
probed=$(echo "$summary" | python3 -c 'import json,sys; print(json.load(sys.stdin)["mx_hosts_probed"])' 2>/dev/null)
check "refused addresses: hosts probed but no connection made" \
    "[ '${probed:-0}' -gt 0 ] && [ '$conns' = 0 ]" "summary '$summary'"
"${world[@]}" "$MTASTS_BIN" check "$shared_domain" "$(grep -m1 -o 'mx-cert-expired-[0-9]*.test' "$MTASTS_WORLD_DOMAINS")" \
    --json "${net[@]}" >"$tmp/private.jsonl" 2>/dev/null
check "refused addresses: check says smtp_address_refused" \
    "python3 -c '
import json, sys
hosts = [h for l in open(sys.argv[1]) for h in (json.loads(l)[\"mx_probes\"] or {}).get(\"hosts\", [])]
sys.exit(0 if hosts and all(h[\"smtp\"] == \"smtp_address_refused\" for h in hosts) else 1)' '$tmp/private.jsonl'" \
    "$(head -c 400 "$tmp/private.jsonl")"

# 4. No host answers on port 25 (only the hosts whose address refuses TCP): after every probe
#    (fewer than 20) failed to connect, the scan says port 25 is blocked, once, and the hosts
#    are smtp_unreachable with port25_blocked set.
mapfile -t refused < <(grep -o 'mx-refused-[0-9]*\.test' "$MTASTS_WORLD_DOMAINS")
"${world[@]}" "$MTASTS_BIN" check "${refused[@]}" --json "${net[@]}" --allow-private 127.0.0.0/8 \
    >"$tmp/blocked.jsonl" 2>"$tmp/blocked.err"
n_msg=$(grep -c 'port 25 looks blocked' "$tmp/blocked.err")
check "port 25 blocked: said once on stderr (${#refused[@]} domains)" \
    "[ ${#refused[@]} -gt 0 ] && [ '$n_msg' = 1 ]" "$n_msg messages: $(head -c 300 "$tmp/blocked.err")"
check "port 25 blocked: every host smtp_unreachable, port25_blocked true" "python3 -c '
import json, sys
ds = [json.loads(l) for l in open(sys.argv[1])]
ok = ds and all(d[\"mx_probes\"][\"port25_blocked\"] and d[\"mx_probes\"][\"hosts\"] and
                all(h[\"smtp\"] == \"smtp_unreachable\" for h in d[\"mx_probes\"][\"hosts\"]) for d in ds)
sys.exit(0 if ok else 1)' '$tmp/blocked.jsonl'" "$(head -c 400 "$tmp/blocked.jsonl")"

# 5. The stage is off unless asked: scan keeps it off, check turns it off with -smtp,-dane.
"${world[@]}" "$MTASTS_BIN" scan "$tmp/some.csv" --db "$tmp/off.db" "${net[@]}" \
    --allow-private 127.0.0.0/8 --quiet >"$tmp/off.out" 2>&1
check "scan without --checks smtp: no SMTP stage" \
    "! grep -q '^smtp:' '$tmp/off.out' && [ \"\$(sqlite3 '$tmp/off.db' \"SELECT json_extract(options, '\\\$.smtp_summary') IS NULL FROM scans\")\" = 1 ]" \
    "$(grep '^smtp' "$tmp/off.out")"
"${world[@]}" "$MTASTS_BIN" check "$shared_domain" --json --checks -smtp,-dane "${net[@]}" \
    --allow-private 127.0.0.0/8 >"$tmp/off.jsonl" 2>/dev/null
check "check --checks -smtp,-dane: no probes" \
    "grep -q '\"mx_probes\":null' '$tmp/off.jsonl'" "$(head -c 300 "$tmp/off.jsonl")"

# 6. The EHLO name is validated (it goes on the wire as is).
"$MTASTS_BIN" scan "$tmp/some.csv" --db "$tmp/ehlo.db" --ehlo $'bad\r\nMAIL FROM:<x>' >/dev/null 2>"$tmp/ehlo.err"
rc=$?
check "--ehlo with CR LF refused as a usage error" "[ $rc -eq 2 ] && grep -q -- '--ehlo' '$tmp/ehlo.err'" \
    "status $rc: $(cat "$tmp/ehlo.err")"
