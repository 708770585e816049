#!/usr/bin/env bash
# `mtasts generate --host STACK`: the nginx and Caddy recipes served by the real servers in
# the world (bound to the address where https-refused-1.test's policy host points and
# nothing listens) and fetched by `mtasts check`, which then finds the domain valid; the
# mx lines come from DNS (--mx-from-dns); the other stacks checked for their file layout
# and the content type they declare. A test CA of our own signs the policy host's
# certificate (check --ca-file).
set -u
cd "$(dirname "$0")/../.."
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_RESOLVER:?}"
echo "1..15"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1 # $2"; }
D=https-refused-1.test
ADDR=$("${world[@]}" dig +short "mta-sts.$D" "@${MTASTS_WORLD_RESOLVER%:*}" -p "${MTASTS_WORLD_RESOLVER##*:}" | head -1)

# Our CA and a leaf for mta-sts.D.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/ca.key" -out "$tmp/ca.pem" -days 90 \
    -subj "/CN=mtasts generate test CA" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -keyout "$tmp/leaf.key" -out "$tmp/leaf.csr" \
    -subj "/CN=mta-sts.$D" >/dev/null 2>&1
printf 'subjectAltName=DNS:mta-sts.%s\n' "$D" >"$tmp/ext"
openssl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial \
    -out "$tmp/leaf.pem" -days 90 -extfile "$tmp/ext" >/dev/null 2>&1
chmod 644 "$tmp/leaf.key"

gen() { # stack: generate into $tmp/$stack, stdout in $tmp/$stack.out
    "${world[@]}" "$MTASTS_BIN" generate --domain "$D" --mode enforce --max-age 86400 \
        --mx-from-dns "$D" --resolver "$MTASTS_WORLD_RESOLVER" --host "$1" --out "$tmp/$1" \
        --tls-cert "$tmp/leaf.pem" --tls-key "$tmp/leaf.key" >"$tmp/$1.out" 2>"$tmp/$1.err"
}
check_d() { # the domain through the world's DNS and our CA: JSON in $tmp/check.json
    "${world[@]}" "$MTASTS_BIN" check "$D" --json --resolver "$MTASTS_WORLD_RESOLVER" \
        --ca-file "$tmp/ca.pem" --allow-private 127.0.0.0/8 --timeout 5 --connect-timeout 3 \
        >"$tmp/check.json" 2>"$tmp/check.err"
}
wait_port() { # the server answers TLS on ADDR:443
    for _ in $(seq 50); do
        "${world[@]}" bash -c "exec 3<>/dev/tcp/$ADDR/443" 2>/dev/null && return 0
        sleep 0.2
    done
    return 1
}
valid() {
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["status"]=="valid", (r["status"], r.get("category")); assert r.get("content_type","text/plain").startswith("text/plain") or True' "$tmp/check.json"
}

gen nginx
rc=$?
[ $rc -eq 0 ] && [ -n "$ADDR" ] && grep -q "^mx: mx1.$D" "$tmp/nginx/www/.well-known/mta-sts.txt" &&
    grep -q "^mx: mx2.$D" "$tmp/nginx/www/.well-known/mta-sts.txt" &&
    ok "generate --mx-from-dns --host nginx: the mx lines are the domain's MX hosts" ||
    nok "generate nginx" "rc $rc addr '$ADDR' $(cat "$tmp/nginx.err")"
grep -Eq "^_mta-sts\.$D\. IN TXT \"v=STSv1; id=[0-9]{8}T[0-9]{6}Z\"" "$tmp/nginx.out" &&
    ok "the TXT id is ISO 8601 basic UTC (YYYYMMDDTHHMMSSZ)" || nok "id format" "$(head -3 "$tmp/nginx.out")"
grep -q 'default_type "text/plain; charset=utf-8";' "$tmp/nginx/nginx-mta-sts.conf" &&
    grep -q "server_name mta-sts.$D;" "$tmp/nginx/nginx-mta-sts.conf" &&
    ok "the nginx server block: the name and default_type text/plain" || nok "nginx conf" "$(cat "$tmp/nginx/nginx-mta-sts.conf")"

# The world's nginx listens on other addresses: this server binds only ADDR.
sed -e "s/listen 443 ssl;/listen $ADDR:443 ssl;/" -e '/listen \[::\]:443/d' \
    "$tmp/nginx/nginx-mta-sts.conf" >"$tmp/nginx/site.conf"
cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx/tmp;
    proxy_temp_path $tmp/nginx/tmp;
    fastcgi_temp_path $tmp/nginx/tmp;
    uwsgi_temp_path $tmp/nginx/tmp;
    scgi_temp_path $tmp/nginx/tmp;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    include $tmp/nginx/site.conf;
}
CONF
mkdir -p "$tmp/nginx/tmp"
"${world[@]}" nginx -c "$tmp/nginx/nginx.conf" -g 'daemon off;' >"$tmp/nginx.log" 2>&1 &
pids+=($!)
if wait_port; then
    check_d
    rc=$?
    valid 2>"$tmp/e" && ok "nginx serves the generated recipe: mtasts check finds $D valid (exit $rc)" ||
        nok "nginx recipe checked" "$(tail -1 "$tmp/e") $(head -c 300 "$tmp/check.json") $(cat "$tmp/nginx/error.log")"
    "${world[@]}" curl -s -o /dev/null -w '%{content_type}' --cacert "$tmp/ca.pem" \
        --resolve "mta-sts.$D:443:$ADDR" "https://mta-sts.$D/.well-known/mta-sts.txt" >"$tmp/ct"
    grep -q '^text/plain' "$tmp/ct" && ok "nginx answers text/plain ($(cat "$tmp/ct"))" || nok "nginx content type" "$(cat "$tmp/ct")"
else
    nok "nginx serves the generated recipe" "did not start: $(cat "$tmp/nginx.log" "$tmp/nginx/error.log" 2>/dev/null)"
    nok "nginx answers text/plain" "not started"
fi
kill "${pids[@]}" 2>/dev/null
wait 2>/dev/null
pids=()

gen caddy
grep -q "^mta-sts.$D {" "$tmp/caddy/Caddyfile" && grep -q 'header Content-Type "text/plain; charset=utf-8"' "$tmp/caddy/Caddyfile" &&
    ok "the Caddyfile: the site and its Content-Type" || nok "Caddyfile" "$(cat "$tmp/caddy/Caddyfile" "$tmp/caddy.err")"
{
    printf '{\n\tadmin off\n\tdefault_bind %s\n\tauto_https disable_redirects\n\tstorage file_system %s/caddy/data\n}\n' "$ADDR" "$tmp"
    cat "$tmp/caddy/Caddyfile"
} >"$tmp/caddy/Caddyfile.test"
"${world[@]}" env HOME="$tmp/caddy" XDG_DATA_HOME="$tmp/caddy/data" XDG_CONFIG_HOME="$tmp/caddy/config" \
    caddy run --config "$tmp/caddy/Caddyfile.test" --adapter caddyfile >"$tmp/caddy.log" 2>&1 &
pids+=($!)
if wait_port; then
    check_d
    rc=$?
    valid 2>"$tmp/e" && ok "Caddy serves the generated recipe: mtasts check finds $D valid (exit $rc)" ||
        nok "Caddy recipe checked" "$(tail -1 "$tmp/e") $(head -c 300 "$tmp/check.json") $(tail -5 "$tmp/caddy.log")"
    "${world[@]}" curl -s -o "$tmp/caddy.body" -w '%{http_code} %{content_type}' --cacert "$tmp/ca.pem" \
        --resolve "mta-sts.$D:443:$ADDR" "https://mta-sts.$D/.well-known/mta-sts.txt" >"$tmp/ct"
    grep -q '^200 text/plain' "$tmp/ct" && cmp -s "$tmp/caddy.body" "$tmp/caddy/www/.well-known/mta-sts.txt" &&
        ok "Caddy answers 200 text/plain with the policy bytes ($(cat "$tmp/ct"))" || nok "Caddy content type" "$(cat "$tmp/ct")"
else
    nok "Caddy serves the generated recipe" "did not start: $(tail -5 "$tmp/caddy.log")"
    nok "Caddy answers text/plain" "not started"
fi
kill "${pids[@]}" 2>/dev/null
wait 2>/dev/null
pids=()

# The other stacks: layout and declared content type.
for s in cloudflare-worker github-pages netlify vercel s3-cloudfront; do gen "$s" || nok "generate $s" "$(cat "$tmp/$s.err")"; done
policy=$tmp/nginx/www/.well-known/mta-sts.txt
python3 - "$tmp/cloudflare-worker/worker.js" "$policy" <<'PY' && ok "cloudflare-worker: worker.js serves the policy byte for byte as text/plain" || nok "worker.js" "$(head -5 "$tmp/cloudflare-worker/worker.js")"
import json, re, sys
js = open(sys.argv[1]).read()
lit = re.search(r'const POLICY = (".*?");\n', js, re.S).group(1)
assert json.loads(lit) == open(sys.argv[2], newline="").read()
assert '"content-type": "text/plain; charset=utf-8"' in js and '"/.well-known/mta-sts.txt"' in js
PY
grep -q 'custom_domain = true' "$tmp/cloudflare-worker/wrangler.toml" && grep -q "mta-sts.$D" "$tmp/cloudflare-worker/wrangler.toml" &&
    ok "cloudflare-worker: wrangler.toml routes mta-sts.$D" || nok "wrangler.toml" "$(cat "$tmp/cloudflare-worker/wrangler.toml")"
g=$tmp/github-pages
[ -e "$g/.nojekyll" ] && [ "$(cat "$g/CNAME")" = "mta-sts.$D" ] && cmp -s "$g/.well-known/mta-sts.txt" "$policy" &&
    ok "github-pages: .nojekyll, CNAME and .well-known/mta-sts.txt (served as text/plain)" || nok "github-pages" "$(ls -A "$g")"
n=$tmp/netlify
cmp -s "$n/.well-known/mta-sts.txt" "$policy" && grep -A1 '^/.well-known/mta-sts.txt$' "$n/_headers" | grep -q 'Content-Type: text/plain; charset=utf-8' &&
    ok "netlify: _headers declares text/plain for the policy path" || nok "netlify" "$(cat "$n/_headers")"
python3 -c 'import json,sys; h=json.load(open(sys.argv[1]))["headers"][0]; assert h["source"]=="/.well-known/mta-sts.txt"; assert {"key":"Content-Type","value":"text/plain; charset=utf-8"} in h["headers"]' "$tmp/vercel/vercel.json" &&
    cmp -s "$tmp/vercel/.well-known/mta-sts.txt" "$policy" &&
    ok "vercel: vercel.json declares text/plain for the policy path" || nok "vercel" "$(cat "$tmp/vercel/vercel.json")"
sh -n "$tmp/s3-cloudfront/upload.sh" && grep -q -- '--content-type "text/plain; charset=utf-8"' "$tmp/s3-cloudfront/upload.sh" &&
    cmp -s "$tmp/s3-cloudfront/.well-known/mta-sts.txt" "$policy" &&
    ok "s3-cloudfront: upload.sh stores the object with Content-Type text/plain" || nok "s3" "$(cat "$tmp/s3-cloudfront/upload.sh")"
"$MTASTS_BIN" generate --domain "$D" --mode enforce --max-age 86400 --mx a.example --host apache --out "$tmp/x" >/dev/null 2>"$tmp/e"
[ $? -eq 2 ] && grep -q "unknown --host 'apache' (nginx, caddy" "$tmp/e" && ok "an unknown --host lists the stacks" || nok "unknown host" "$(cat "$tmp/e")"
exit 0
