#!/usr/bin/env bash
# --per-ip-wait bounds the SMTP stage as it bounds the HTTPS stage: a port-25 probe that waits
# past it for its turn at a busy address is not made, and its MX host says so
# (smtp_per_ip_wait: not checked), never a failure blamed on the domain, never a verdict.
# The world's batch Postfix listener 127.0.5.1 serves 128 MX host names on one address.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_TRUTH:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..7"
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1 # $2"; }

# the domains whose every MX host is on 127.0.5.1
python3 - "$MTASTS_WORLD_TRUTH" >"$tmp/list" <<'PY'
import json, sys
for t in map(json.loads, open(sys.argv[1])):
    hosts = t.get("mx_probes") or []
    if hosts and all(p["addrs"] == ["127.0.5.1"] for p in hosts):
        print(t["domain"])
PY
scan() { # scan DB ARGS...: at most 60 s (without the deadline one probe every 2 s: minutes)
    local db=$1
    shift
    timeout 60 "${world[@]}" "$MTASTS_BIN" scan "$tmp/list" --db "$db" \
        --resolver "$MTASTS_WORLD_RESOLVER" --ca-file "$MTASTS_WORLD_CA" \
        --allow-private 127.0.0.0/8 --timeout 3 --connect-timeout 2 --smtp-timeout 3 \
        --dns-qps 5000 --checks +smtp:all --quiet "$@" >"$db.log" 2>&1
}
q() { sqlite3 -separator ' ' "$1" "$2"; }

# 1. one new connection per 2 s per address, at most 1 s of waiting
t0=$(date +%s)
scan "$tmp/w.db" --per-ip 0.5 --per-ip-conns 1 --per-ip-wait 1
rc=$?
secs=$(($(date +%s) - t0))
[ "$rc" = 0 ] && ok "a scan whose port-25 probes wait too long ends (${secs} s)" ||
    nok "a scan whose port-25 probes wait too long ends" "status $rc after ${secs} s: $(tail -2 "$tmp/w.db.log" | tr '\n' ' ')"

read -r hosts waited okn named < <(q "$tmp/w.db" "
    SELECT count(*), sum(smtp_outcome = 'smtp_per_ip_wait'), sum(smtp_outcome = 'smtp_ok'),
           sum(smtp_outcome = 'smtp_per_ip_wait' AND rfc8460_result IS NULL AND
               json_extract(addrs, '\$[0].outcome') = 'smtp_per_ip_wait' AND
               json_extract(addrs, '\$[0].detail') LIKE 'not checked: waited % for a turn at this address (--per-ip 0.5/s, --per-ip-conns 1, --per-ip-wait 1 s)%')
    FROM mx_probes")
[ "${waited:-0}" -gt 0 ] && [ "$named" = "$waited" ] && [ $((waited + okn)) -eq "$hosts" ] &&
    ok "probes past --per-ip-wait: smtp_per_ip_wait naming the wait, no result type ($waited of $hosts hosts; the rest smtp_ok)" ||
    nok "probes past --per-ip-wait: smtp_per_ip_wait naming the wait" "$hosts hosts, $waited waited ($named named), $okn ok: $(q "$tmp/w.db" "SELECT smtp_outcome, count(*) FROM mx_probes GROUP BY 1" | tr '\n' ';')"

read -r conns counted port25 < <(q "$tmp/w.db" "SELECT json_extract(options, '\$.smtp_summary.connections'),
    json_extract(options, '\$.smtp_summary.addrs_per_ip_wait'), json_extract(options, '\$.smtp_summary.port25') FROM scans")
[ "$counted" = "$waited" ] && [ "$conns" = "$okn" ] &&
    grep -q "^smtp: $waited MX addresses NOT CHECKED: the probe waited past --per-ip-wait" "$tmp/w.db.log" &&
    ok "the summary counts the probes not made ($counted) apart from the connections ($conns)" ||
    nok "the summary counts the probes not made apart from the connections" "stored $counted, connections $conns; $(grep '^smtp' "$tmp/w.db.log" | tr '\n' ' ')"

[ "$port25" = open ] && ok "probes not made are no evidence of a blocked port 25 (port25 $port25)" ||
    nok "probes not made are no evidence of a blocked port 25" "port25 '$port25'"

# 2. no verdict from a probe not made: nothing failing, not verified, would_fail_delivery only
#    from the policy's coverage
read -r failing verified wrongfail < <(q "$tmp/w.db" "
    SELECT sum(mx_failing > 0), sum(mx_verified = 1 AND mx_smtp_outcome = 'smtp_per_ip_wait'),
           sum(would_fail_delivery = 1 AND coalesce(category, '') <> 'mx_not_covered')
    FROM results")
[ "$failing" = 0 ] && [ "$verified" = 0 ] && [ "$wrongfail" = 0 ] &&
    ok "domains with hosts not checked: no MX failure, mx_verified false, would_fail_delivery only from coverage" ||
    nok "domains with hosts not checked: no verdict from a probe not made" "failing $failing, verified $verified, would_fail without coverage $wrongfail"
read -r worst n < <(q "$tmp/w.db" "SELECT group_concat(DISTINCT mx_smtp_outcome), count(*) FROM results WHERE mx_smtp_outcome = 'smtp_per_ip_wait'")
[ "${n:-0}" -gt 0 ] && ok "a domain's worst MX outcome says a host was not checked ($n domains)" ||
    nok "a domain's worst MX outcome says a host was not checked" "'$worst' $n"

# 3. with room to wait, every one of those hosts is probed and smtp_ok
scan "$tmp/r.db" --per-ip 100 --per-ip-conns 4 --per-ip-wait 30
rc=$?
read -r hosts2 ok2 < <(q "$tmp/r.db" "SELECT count(*), sum(smtp_outcome = 'smtp_ok') FROM mx_probes")
[ "$rc" = 0 ] && [ "$hosts2" = "$hosts" ] && [ "$ok2" = "$hosts2" ] &&
    ok "with room to wait the same $hosts2 hosts are all probed: smtp_ok" ||
    nok "with room to wait the same hosts are all probed" "status $rc, $ok2 ok of $hosts2 (first scan: $hosts)"
