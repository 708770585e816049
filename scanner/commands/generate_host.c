/* `mtasts generate --host STACK --out DIR`: the files each hosting stack needs to serve the
 * policy at https://mta-sts.D/.well-known/mta-sts.txt as text/plain (RFC 8461 3.2: the media
 * type is text/plain, the file is the policy, nothing else is needed from the server). */
#include "scanner/commands/generate_host.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/atomic_file.h"
#include "lib/sbuf.h"

const char generate_host_names[] =
    "nginx, caddy, cloudflare-worker, github-pages, netlify, vercel, s3-cloudfront";

static const char *const stacks[] = {"nginx",   "caddy",  "cloudflare-worker", "github-pages",
                                     "netlify", "vercel", "s3-cloudfront"};

int generate_host_known(const char *name)
{
    for (size_t i = 0; i < sizeof stacks / sizeof stacks[0]; i++)
        if (!strcmp(stacks[i], name))
            return 1;
    return 0;
}

/* mkdir -p for the folders of path (below dir, which is created too). */
static int make_parents(const char *path, char *err, size_t errlen)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        snprintf(err, errlen, "path too long: %s", path);
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s: %s", buf, strerror(errno));
            return -1;
        }
        *p = '/';
    }
    return 0;
}

static int put_file(const char *dir, const char *rel, const char *data, size_t len, FILE *out,
                    char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dir, rel) >= (int)sizeof path) {
        snprintf(err, errlen, "path too long: %s/%s", dir, rel);
        return -1;
    }
    if (make_parents(path, err, errlen) < 0)
        return -1;
    struct atomic_file af;
    if (atomic_file_open(&af, path, err, errlen) < 0)
        return -1;
    fwrite(data, 1, len, af.f);
    if (atomic_file_commit(&af, err, errlen) < 0)
        return -1;
    fprintf(out, "; wrote %s\n", path);
    return 0;
}

static int put_text(const char *dir, const char *rel, const struct sbuf *b, FILE *out, char *err,
                    size_t errlen)
{
    if (b->oom) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return put_file(dir, rel, b->data ? b->data : "", b->len, out, err, errlen);
}

/* The policy as a JavaScript string literal: CRLF kept, quotes and backslashes escaped. */
static void js_string(struct sbuf *b, const char *s, size_t len)
{
    sbuf_putc(b, '"');
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '\r')
            sbuf_puts(b, "\\r");
        else if (c == '\n')
            sbuf_puts(b, "\\n");
        else if (c == '"' || c == '\\')
            sbuf_printf(b, "\\%c", c);
        else
            sbuf_putc(b, c);
    }
    sbuf_putc(b, '"');
}

int generate_host_write(const char *stack, const char *dir, const char *domain, const char *policy,
                        size_t len, const char *tls_cert, const char *tls_key, void *out_v,
                        char *err, size_t errlen)
{
    FILE *out = out_v;
    const char *wk = ".well-known/mta-sts.txt";
    struct sbuf b = SBUF_INIT;
    int rc = 0;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    char abs[PATH_MAX];
    if (!realpath(dir, abs)) {
        snprintf(err, errlen, "cannot resolve %s: %s", dir, strerror(errno));
        return -1;
    }
    if (!strcmp(stack, "nginx")) {
        /* The file under www/, a server block that serves only it, as text/plain whatever
         * the mime.types of the installation say (types {} empties the map). */
        rc = put_file(dir, "www/.well-known/mta-sts.txt", policy, len, out, err, errlen);
        sbuf_printf(&b,
                    "# nginx: serves https://mta-sts.%s/.well-known/mta-sts.txt (RFC 8461)\n"
                    "# Include from the http block: include %s/nginx-mta-sts.conf;\n"
                    "server {\n"
                    "    listen 443 ssl;\n"
                    "    listen [::]:443 ssl;\n"
                    "    server_name mta-sts.%s;\n"
                    "    ssl_certificate %s;\n"
                    "    ssl_certificate_key %s;\n"
                    "    ssl_protocols TLSv1.2 TLSv1.3;\n"
                    "    root %s/www;\n"
                    "    location = /.well-known/mta-sts.txt {\n"
                    "        types { }\n"
                    "        default_type \"text/plain; charset=utf-8\";\n"
                    "        add_header Cache-Control \"max-age=300\";\n"
                    "    }\n"
                    "    location / {\n"
                    "        return 404;\n"
                    "    }\n"
                    "}\n",
                    domain, abs, domain,
                    tls_cert ? tls_cert : "/etc/letsencrypt/live/mta-sts.DOMAIN/fullchain.pem",
                    tls_key ? tls_key : "/etc/letsencrypt/live/mta-sts.DOMAIN/privkey.pem", abs);
        if (!tls_cert) { /* name the real host in the default paths */
            struct sbuf t = SBUF_INIT;
            for (const char *p = sbuf_str(&b); *p;) {
                const char *m = strstr(p, "mta-sts.DOMAIN");
                if (!m) {
                    sbuf_puts(&t, p);
                    break;
                }
                sbuf_append(&t, p, (size_t)(m - p));
                sbuf_printf(&t, "mta-sts.%s", domain);
                p = m + strlen("mta-sts.DOMAIN");
            }
            sbuf_free(&b);
            b = t;
        }
        if (rc == 0)
            rc = put_text(dir, "nginx-mta-sts.conf", &b, out, err, errlen);
    } else if (!strcmp(stack, "caddy")) {
        rc = put_file(dir, "www/.well-known/mta-sts.txt", policy, len, out, err, errlen);
        sbuf_printf(&b,
                    "# Caddy: serves https://mta-sts.%s/.well-known/mta-sts.txt (RFC 8461).\n"
                    "# Without a tls line Caddy obtains the certificate itself (automatic "
                    "HTTPS).\n"
                    "mta-sts.%s {\n",
                    domain, domain);
        if (tls_cert && tls_key)
            sbuf_printf(&b, "\ttls %s %s\n", tls_cert, tls_key);
        /* handle blocks: the policy path served as a file, everything else 404 (a bare
         * respond would run before file_server in Caddy's directive order). */
        sbuf_printf(&b,
                    "\thandle /.well-known/mta-sts.txt {\n"
                    "\t\troot * %s/www\n"
                    "\t\theader Content-Type \"text/plain; charset=utf-8\"\n"
                    "\t\tfile_server\n"
                    "\t}\n"
                    "\thandle {\n"
                    "\t\trespond 404\n"
                    "\t}\n"
                    "}\n",
                    abs);
        if (rc == 0)
            rc = put_text(dir, "Caddyfile", &b, out, err, errlen);
    } else if (!strcmp(stack, "cloudflare-worker")) {
        sbuf_printf(&b,
                    "// Cloudflare Worker: serves https://mta-sts.%s/.well-known/mta-sts.txt\n"
                    "// (RFC 8461) as text/plain; deploy with `wrangler deploy` (wrangler.toml).\n"
                    "const POLICY = ",
                    domain);
        js_string(&b, policy, len);
        sbuf_puts(&b, ";\n\nexport default {\n"
                      "  async fetch(request) {\n"
                      "    const url = new URL(request.url);\n"
                      "    if (url.pathname !== \"/.well-known/mta-sts.txt\")\n"
                      "      return new Response(\"not found\\n\", { status: 404 });\n"
                      "    return new Response(POLICY, {\n"
                      "      headers: { \"content-type\": \"text/plain; charset=utf-8\",\n"
                      "                 \"cache-control\": \"max-age=300\" },\n"
                      "    });\n"
                      "  },\n"
                      "};\n");
        rc = put_text(dir, "worker.js", &b, out, err, errlen);
        sbuf_reset(&b);
        sbuf_printf(&b,
                    "# wrangler.toml: the Worker answers on mta-sts.%s (a custom domain: "
                    "Cloudflare issues its certificate)\n"
                    "name = \"mta-sts\"\n"
                    "main = \"worker.js\"\n"
                    "compatibility_date = \"2024-01-01\"\n"
                    "routes = [ { pattern = \"mta-sts.%s\", custom_domain = true } ]\n",
                    domain, domain);
        if (rc == 0)
            rc = put_text(dir, "wrangler.toml", &b, out, err, errlen);
    } else if (!strcmp(stack, "github-pages")) {
        /* .nojekyll: Jekyll would skip the dot-folder. CNAME: the custom domain. GitHub
         * Pages serves .txt as text/plain. */
        rc = put_file(dir, wk, policy, len, out, err, errlen);
        if (rc == 0)
            rc = put_file(dir, ".nojekyll", "", 0, out, err, errlen);
        sbuf_printf(&b, "mta-sts.%s\n", domain);
        if (rc == 0)
            rc = put_text(dir, "CNAME", &b, out, err, errlen);
    } else if (!strcmp(stack, "netlify")) {
        rc = put_file(dir, wk, policy, len, out, err, errlen);
        sbuf_puts(&b, "/.well-known/mta-sts.txt\n"
                      "  Content-Type: text/plain; charset=utf-8\n"
                      "  Cache-Control: max-age=300\n");
        if (rc == 0)
            rc = put_text(dir, "_headers", &b, out, err, errlen);
    } else if (!strcmp(stack, "vercel")) {
        rc = put_file(dir, wk, policy, len, out, err, errlen);
        sbuf_puts(&b, "{\n"
                      "  \"headers\": [\n"
                      "    {\n"
                      "      \"source\": \"/.well-known/mta-sts.txt\",\n"
                      "      \"headers\": [\n"
                      "        { \"key\": \"Content-Type\", \"value\": \"text/plain; "
                      "charset=utf-8\" },\n"
                      "        { \"key\": \"Cache-Control\", \"value\": \"max-age=300\" }\n"
                      "      ]\n"
                      "    }\n"
                      "  ]\n"
                      "}\n");
        if (rc == 0)
            rc = put_text(dir, "vercel.json", &b, out, err, errlen);
    } else if (!strcmp(stack, "s3-cloudfront")) {
        rc = put_file(dir, wk, policy, len, out, err, errlen);
        sbuf_printf(&b,
                    "#!/bin/sh\n"
                    "# S3 + CloudFront: upload the policy with its content type (S3 serves the\n"
                    "# type stored with the object), then serve the bucket through a\n"
                    "# CloudFront distribution whose alternate domain is mta-sts.%s, with an\n"
                    "# ACM certificate for that name (issued in us-east-1).\n"
                    "# Usage: BUCKET=my-bucket sh upload.sh\n"
                    "set -eu\n"
                    ": \"${BUCKET:?set BUCKET to the bucket name}\"\n"
                    "aws s3 cp \"$(dirname \"$0\")/.well-known/mta-sts.txt\" "
                    "\"s3://$BUCKET/.well-known/mta-sts.txt\" \\\n"
                    "    --content-type \"text/plain; charset=utf-8\" --cache-control "
                    "\"max-age=300\"\n",
                    domain);
        if (rc == 0)
            rc = put_text(dir, "upload.sh", &b, out, err, errlen);
    } else {
        snprintf(err, errlen, "unknown --host '%s' (%s)", stack, generate_host_names);
        rc = -1;
    }
    sbuf_free(&b);
    return rc;
}
