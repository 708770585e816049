#!/usr/bin/env bash
# `mtasts check` on world domains: exit status per verdict (0 pass, 1 warn, 2 fail, 3 could
# not check), JSON that parses and agrees with the ground truth, several domains combined.
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_TRUTH:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
echo "1..19" # the plan: tests/run fails a suite that reports another count
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
opts=(--resolver "$MTASTS_WORLD_RESOLVER" --ca-file "$MTASTS_WORLD_CA" --allow-private 127.0.0.0/8
      --timeout 3 --connect-timeout 2)

# The first domain of a scenario whose truth matches an optional python condition.
pick() { # scenario [condition on t]
    python3 - "$MTASTS_WORLD_TRUTH" "$1" "${2:-True}" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["scenario"] == sys.argv[2] and eval(sys.argv[3]):
        print(t["domain"]); break
PY
}

expect_exit() { # name want domain...
    local name=$1 want=$2
    shift 2
    "${world[@]}" "$MTASTS_BIN" check "$@" "${opts[@]}" >"$tmp/out" 2>&1
    local rc=$?
    [ $rc -eq "$want" ] && echo "ok - check $name exits $want" ||
        echo "not ok - check $name exits $want # got $rc for $*: $(head -3 "$tmp/out" | tr '\n' ' ')"
}

valid=$(pick valid-enforce 'not t["warnings"]')
warn=$(pick tlsrpt-missing)
fail=$(pick cert-expired)
servfail=$(pick dns-servfail)
nx=$(pick nxdomain)
nopol=$(pick no-sts)
expect_exit "valid without warnings ($valid)" 0 "$valid"
expect_exit "valid with warnings ($warn)" 1 "$warn"
expect_exit "invalid ($fail)" 2 "$fail"
expect_exit "no policy ($nopol)" 2 "$nopol"
expect_exit "dns error ($servfail)" 3 "$servfail"
expect_exit "nonexistent domain ($nx)" 3 "$nx"
expect_exit "several domains: the worst wins" 2 "$valid" "$warn" "$fail"
expect_exit "a bad domain name (usage error)" 64 "not a domain!"

# Proxy variables in the environment change nothing: the policy host is fetched directly.
"${world[@]}" env https_proxy=http://127.0.0.5:3128 HTTPS_PROXY=http://127.0.0.5:3128 \
    ALL_PROXY=http://127.0.0.5:3128 "$MTASTS_BIN" check "$valid" "${opts[@]}" >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 0 ] && echo "ok - proxy variables in the environment are ignored" ||
    echo "not ok - proxy variables in the environment are ignored # status $rc: $(head -4 "$tmp/out" | tr '\n' ' ')"

# The policy host's Server header, a fact of the fetch (text) and of facts (--json).
gh=$(pick hosting-github-pages)
"${world[@]}" "$MTASTS_BIN" check "$gh" "${opts[@]}" >"$tmp/out" 2>&1
grep -q '^ *Server: GitHub.com$' "$tmp/out" && echo "ok - check shows the policy host's Server header ($gh)" ||
    echo "not ok - check shows the policy host's Server header # $(grep -i server "$tmp/out" | tr '\n' ' ')"
"${world[@]}" "$MTASTS_BIN" check --json "$gh" "$fail" "${opts[@]}" >"$tmp/sjson" 2>&1
python3 -c '
import json, sys
a, b = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert a["facts"]["policy_http_server"] == "GitHub.com", a["facts"]
assert b["facts"]["policy_http_server"] is None, b["facts"]  # certificate refused: no response
' "$tmp/sjson" 2>"$tmp/serr" && echo "ok - check --json: facts.policy_http_server (GitHub.com; null without a response)" ||
    echo "not ok - check --json: facts.policy_http_server # $(tail -1 "$tmp/serr")"

# JSON: one object per line, in the order given, agreeing with the truth.
"${world[@]}" "$MTASTS_BIN" check --json "$fail" "$valid" "$warn" "${opts[@]}" >"$tmp/json" 2>"$tmp/err"
python3 - "$tmp/json" "$MTASTS_WORLD_TRUTH" "$fail" "$valid" "$warn" <<'PY'
import json, sys
truth = {}
for line in open(sys.argv[2]):
    t = json.loads(line)
    truth[t["domain"]] = t
want = sys.argv[3:]
try:
    objs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    print("ok - check --json prints one valid JSON object per domain")
except ValueError as e:
    print("not ok - check --json prints one valid JSON object per domain # %s" % e)
    sys.exit(0)
got = [o.get("domain") for o in objs]
print(("ok" if got == want else "not ok") + " - check --json keeps the order given" +
      ("" if got == want else " # got %s" % got))
for o in objs:
    t = truth[o["domain"]]
    bad = [k for k in ("status", "category") if o.get(k) != t[k]]
    if sorted(o.get("warnings", [])) != sorted(t["warnings"]):
        bad.append("warnings")
    print(("ok" if not bad else "not ok") + " - check --json %s agrees with the truth" % o["domain"] +
          ("" if not bad else " # %s: got %s" % (bad, [o.get(k) for k in bad])))
    layers = o.get("layers", {})
    need = {"dns", "fetch", "parse", "mx", "tlsrpt", "readiness"}
    print(("ok" if need <= set(layers) else "not ok") + " - check --json %s has every layer" % o["domain"])
PY
