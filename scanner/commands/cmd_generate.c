/* `mtasts generate`: the _mta-sts and _smtp._tls TXT records and a CRLF policy file. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/atomic_file.h"
#include "scanner/commands/cli.h"
#include "scanner/commands/commands.h"
#include "scanner/commands/generate_host.h"
#include "scanner/commands/generate_mx.h"
#include "lib/sbuf.h"
#include "rules/sts_mx.h"
#include "rules/sts_policy.h"
#include "rules/sts_tlsrpt.h"
#include "rules/sts_txt.h"

#define GEN_MAX_ITEMS 64

struct gen_opts {
    const char *domain;
    const char *mode;
    const char *max_age;
    const char *id;
    const char *out_dir;
    const char *mx[GEN_MAX_ITEMS];
    size_t n_mx;
    const char *rua[GEN_MAX_ITEMS];
    size_t n_rua;
    bool policy_only;
    const char *host;               /* --host STACK: write the stack's files under --out */
    const char *mx_from_dns;        /* --mx-from-dns D: the mx lines from D's MX records */
    const char *resolver;           /* for --mx-from-dns */
    const char *tls_cert, *tls_key; /* --host nginx|caddy */
    struct generate_mx dns_mx;
};

static const struct cli_help gen_help = {
    .synopsis = "mtasts generate --domain D --mode enforce|testing|none --mx HOST...\n"
                "                --max-age SECONDS [--rua URI...] [--id ID] [--out DIR]\n"
                "                [--policy-only] [--host STACK] [--mx-from-dns D [--resolver IP]]",
    .summary =
        "Prints the _mta-sts TXT record, the _smtp._tls TXT record (with --rua) and the\n"
        "policy file (CRLF line endings) to serve at\n"
        "https://mta-sts.D/.well-known/mta-sts.txt. Everything printed passes `mtasts lint`;\n"
        "input lint would reject is refused.\n",
    .options =
        "  --domain D       the domain the policy is for\n"
        "  --mode M         enforce, testing or none\n"
        "  --mx HOST...     MX host names or *.parent patterns (repeat --mx or list several)\n"
        "                   required unless the mode is none\n"
        "  --max-age N      seconds senders cache the policy, 0-31557600 (604800 is a week)\n"
        "  --rua URI...     TLS-RPT report addresses: mailto:... or https://...\n"
        "  --id ID          the policy id (1-32 letters and digits); default: the UTC time\n"
        "                   in ISO 8601 basic format, YYYYMMDDTHHMMSSZ (20261122T120000Z).\n"
        "                   Change it whenever the policy changes.\n"
        "  --out DIR        also write DIR/.well-known/mta-sts.txt (atomically)\n"
        "  --host STACK     with --out: the files STACK needs to serve the policy as\n"
        "                   text/plain: nginx (server block + www/), caddy (Caddyfile +\n"
        "                   www/), cloudflare-worker (worker.js, wrangler.toml), github-pages\n"
        "                   (.nojekyll, CNAME, .well-known/), netlify (_headers), vercel\n"
        "                   (vercel.json), s3-cloudfront (upload.sh with the content type)\n"
        "  --tls-cert F, --tls-key F  certificate files for --host nginx|caddy\n"
        "  --mx-from-dns D  the mx lines from D's MX records (and a note where *.parent\n"
        "                   would cover three or more of them); --resolver IP[:PORT]\n"
        "  --policy-only    print only the policy file (for `| mtasts lint -`)\n"
        "  -h, --help       this text\n",
    .footer = "Exit status: 0 generated, 1 refused (lint would reject it), 2 usage or I/O error.\n",
};

static void gen_usage(FILE *out)
{
    cli_usage(out, &gen_help);
}

static int gen_error(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int gen_error(int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "mtasts generate: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return rc;
}

/* A list option: its value (optarg), then every following argument up to the next one
 * starting with "--" (consumed by advancing optind, which getopt_long allows). */
static int take_list(const char *opt, int argc, char **argv, const char **list, size_t *n)
{
    if (strncmp(optarg, "--", 2) == 0)
        return gen_error(2, "%s needs at least one value", opt);
    for (const char *v = optarg;;) {
        if (*n >= GEN_MAX_ITEMS)
            return gen_error(2, "too many %s values", opt);
        list[(*n)++] = v;
        if (optind >= argc || strncmp(argv[optind], "--", 2) == 0)
            return 0;
        v = argv[optind++];
    }
}

/* Returns 0, 1 after --help, or 2 after a usage error. */
static int parse_opts(int argc, char **argv, struct gen_opts *o)
{
    enum {
        O_DOMAIN = 256,
        O_MODE,
        O_MAX_AGE,
        O_ID,
        O_OUT,
        O_MX,
        O_RUA,
        O_POLICY_ONLY,
        O_HOST,
        O_MX_DNS,
        O_RESOLVER,
        O_TLS_CERT,
        O_TLS_KEY
    };
    static const struct option opts[] = {{"domain", required_argument, NULL, O_DOMAIN},
                                         {"mode", required_argument, NULL, O_MODE},
                                         {"max-age", required_argument, NULL, O_MAX_AGE},
                                         {"id", required_argument, NULL, O_ID},
                                         {"out", required_argument, NULL, O_OUT},
                                         {"mx", required_argument, NULL, O_MX},
                                         {"rua", required_argument, NULL, O_RUA},
                                         {"policy-only", no_argument, NULL, O_POLICY_ONLY},
                                         {"host", required_argument, NULL, O_HOST},
                                         {"mx-from-dns", required_argument, NULL, O_MX_DNS},
                                         {"resolver", required_argument, NULL, O_RESOLVER},
                                         {"tls-cert", required_argument, NULL, O_TLS_CERT},
                                         {"tls-key", required_argument, NULL, O_TLS_KEY},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    char err[256];
    cli_getopt_reset();
    int c, rc = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, CLI_SHORT_OPTS, opts, NULL)) != -1) {
        switch (c) {
        case O_DOMAIN:
            o->domain = optarg;
            break;
        case O_MODE:
            o->mode = optarg;
            break;
        case O_MAX_AGE:
            o->max_age = optarg;
            break;
        case O_ID:
            o->id = optarg;
            break;
        case O_OUT:
            o->out_dir = optarg;
            break;
        case O_MX:
            rc = take_list("--mx", argc, argv, o->mx, &o->n_mx);
            break;
        case O_RUA:
            rc = take_list("--rua", argc, argv, o->rua, &o->n_rua);
            break;
        case O_POLICY_ONLY:
            o->policy_only = true;
            break;
        case O_HOST:
            o->host = optarg;
            break;
        case O_MX_DNS:
            o->mx_from_dns = optarg;
            break;
        case O_RESOLVER:
            o->resolver = optarg;
            break;
        case O_TLS_CERT:
            o->tls_cert = optarg;
            break;
        case O_TLS_KEY:
            o->tls_key = optarg;
            break;
        case 'h':
            gen_usage(stdout);
            return 1;
        default:
            cli_getopt_message(c, argv, err, sizeof err);
            return gen_error(2, "%s (see mtasts generate --help)", err);
        }
    }
    if (rc)
        return rc;
    if (optind < argc)
        return gen_error(2, "unknown argument '%s' (see mtasts generate --help)", argv[optind]);
    if (!o->domain)
        return gen_error(2, "--domain is required");
    if (!o->mode)
        return gen_error(2, "--mode is required (enforce, testing or none)");
    if (!o->max_age)
        return gen_error(2, "--max-age is required (seconds, e.g. 604800 for a week)");
    if (o->host && !generate_host_known(o->host))
        return gen_error(2, "unknown --host '%s' (%s)", o->host, generate_host_names);
    if (o->host && !o->out_dir)
        return gen_error(2, "--host needs --out DIR (where the files go)");
    if (o->mx_from_dns && o->n_mx)
        return gen_error(2, "give --mx or --mx-from-dns, not both");
    return 0;
}

/* Control bytes would inject lines into the policy or the zone text: refuse them outright. */
static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
            return true;
    return false;
}

static int check_printable(const struct gen_opts *o)
{
    const char *singles[] = {o->domain, o->mode, o->max_age, o->id};
    const char *names[] = {"--domain", "--mode", "--max-age", "--id"};
    for (size_t i = 0; i < 4; i++)
        if (singles[i] && has_control(singles[i]))
            return gen_error(1, "%s holds a control character", names[i]);
    for (size_t i = 0; i < o->n_mx; i++)
        if (has_control(o->mx[i]))
            return gen_error(1, "--mx value %zu holds a control character", i + 1);
    for (size_t i = 0; i < o->n_rua; i++)
        if (has_control(o->rua[i]) || strpbrk(o->rua[i], "\"\\;"))
            return gen_error(1,
                             "--rua value %zu holds a control character, quote, backslash or ';' "
                             "(a ';' would end the rua field; percent-encode it as %%3B)",
                             i + 1);
    return 0;
}

static void lower_into(struct sbuf *b, const char *s)
{
    for (; *s; s++)
        sbuf_putc(b, (*s >= 'A' && *s <= 'Z') ? (char)(*s - 'A' + 'a') : *s);
}

static void print_diags(const char *what, const char *kind, const struct sts_diags *d)
{
    for (size_t i = 0; i < d->n; i++)
        fprintf(stderr, "mtasts generate: %s %s [%s]: %s\n", what, kind, d->items[i].code,
                d->items[i].message);
}

static void default_id(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y%m%dT%H%M%SZ", &tm); /* one format: ISO 8601 basic, UTC */
}

/* Writes DIR/.well-known/mta-sts.txt atomically (lib/atomic_file.h). */
static int write_policy_file(const char *dir, const struct sbuf *policy, struct sbuf *path)
{
    struct sbuf wk = SBUF_INIT;
    int rc = 0;
    sbuf_printf(&wk, "%s/.well-known", dir);
    sbuf_printf(path, "%s/mta-sts.txt", sbuf_str(&wk));
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        rc = gen_error(2, "cannot create '%s': %s", dir, strerror(errno));
    else if (mkdir(sbuf_str(&wk), 0755) != 0 && errno != EEXIST)
        rc = gen_error(2, "cannot create '%s': %s", sbuf_str(&wk), strerror(errno));
    struct atomic_file af;
    char err[2 * ATOMIC_FILE_PATH_MAX + 256];
    if (rc == 0 && atomic_file_open(&af, sbuf_str(path), err, sizeof err) < 0) {
        rc = gen_error(2, "%s", err);
    } else if (rc == 0) {
        fwrite(policy->data, 1, policy->len, af.f);
        if (atomic_file_commit(&af, err, sizeof err) < 0)
            rc = gen_error(2, "%s", err);
    }
    sbuf_free(&wk);
    return rc;
}

struct generated {
    struct sbuf domain, policy, txt, tlsrpt;
};

static void generated_free(struct generated *g)
{
    sbuf_free(&g->domain);
    sbuf_free(&g->policy);
    sbuf_free(&g->txt);
    sbuf_free(&g->tlsrpt);
}

/* Builds the three texts and runs each through the same rules lint uses. */
static int build(const struct gen_opts *o, struct generated *g)
{
    lower_into(&g->domain, o->domain);
    if (g->domain.len > 0 && g->domain.data[g->domain.len - 1] == '.')
        g->domain.data[--g->domain.len] = '\0';
    if (!sts_hostname_valid(sbuf_str(&g->domain), g->domain.len))
        return gen_error(1, "--domain '%s' is not a valid host name", o->domain);

    sbuf_printf(&g->policy, "version: STSv1\r\nmode: %s\r\n", o->mode);
    for (size_t i = 0; i < o->n_mx; i++) {
        sbuf_puts(&g->policy, "mx: ");
        lower_into(&g->policy, o->mx[i]);
        sbuf_puts(&g->policy, "\r\n");
    }
    sbuf_printf(&g->policy, "max_age: %s\r\n", o->max_age);

    char id[33];
    if (o->id)
        snprintf(id, sizeof id, "%s", o->id);
    else
        default_id(id, sizeof id);
    if (o->id && strlen(o->id) > 32)
        return gen_error(1, "--id '%s' is longer than 32 characters", o->id);
    sbuf_printf(&g->txt, "v=STSv1; id=%s", id);
    if (o->n_rua > 0) {
        sbuf_puts(&g->tlsrpt, "v=TLSRPTv1; rua=");
        for (size_t i = 0; i < o->n_rua; i++)
            sbuf_printf(&g->tlsrpt, "%s%s", i ? "," : "", o->rua[i]);
    }
    if (g->domain.oom || g->policy.oom || g->txt.oom || g->tlsrpt.oom)
        return gen_error(2, "out of memory");

    int rc = 0;
    struct sts_policy p;
    sts_policy_parse(g->policy.data, g->policy.len, &p);
    print_diags("policy", "warning", &p.warnings);
    if (!p.valid || !p.strict_ok) {
        print_diags("policy", "error", &p.errors);
        rc = gen_error(1, "refused: the policy would not pass mtasts lint");
    }
    sts_policy_free(&p);
    if (rc)
        return rc;

    struct sts_txt_record rec = {g->txt.data, g->txt.len};
    struct sts_txt_result t;
    sts_txt_evaluate(&rec, 1, &t);
    if (t.status != STS_RECORD_VALID) {
        print_diags("_mta-sts TXT", "error", &t.errors);
        return gen_error(1, "refused: the id must be 1-32 letters and digits");
    }
    /* "abc; x=y" parses as the id abc plus an extension field: still not the id asked for. */
    if (strcmp(t.id, id) != 0)
        return gen_error(1, "refused: --id '%s' is not 1-32 letters and digits", id);
    if (o->n_rua > 0) {
        struct sts_tlsrpt_result *r = calloc(1, sizeof *r);
        if (!r)
            return gen_error(2, "out of memory");
        struct sts_txt_record rr = {g->tlsrpt.data, g->tlsrpt.len};
        sts_tlsrpt_evaluate(&rr, 1, r);
        if (r->status != STS_RECORD_VALID || !r->strict_ok) {
            print_diags("_smtp._tls TXT", "error", &r->errors);
            rc = gen_error(1, "refused: --rua takes mailto:address or https://host/path URIs");
        }
        free(r);
    }
    return rc;
}

int cmd_generate(int argc, char **argv)
{
    struct gen_opts o = {0};
    int rc = parse_opts(argc, argv, &o);
    if (rc == 1)
        return 0;
    if (rc == 0)
        rc = check_printable(&o);
    if (rc)
        return rc;
    char wild[1024] = "";
    if (o.mx_from_dns) {
        char err[512];
        if (generate_mx_lookup(o.mx_from_dns, o.resolver, 10.0, &o.dns_mx, err, sizeof err) < 0)
            return gen_error(1, "--mx-from-dns: %s", err);
        for (size_t i = 0; i < o.dns_mx.n; i++)
            o.mx[o.n_mx++] = o.dns_mx.hosts[i];
        generate_mx_wildcards(&o.dns_mx, wild, sizeof wild);
    }
    struct generated g = {SBUF_INIT, SBUF_INIT, SBUF_INIT, SBUF_INIT};
    rc = build(&o, &g);
    struct sbuf path = SBUF_INIT;
    if (rc == 0 && o.out_dir && !o.host)
        rc = write_policy_file(o.out_dir, &g.policy, &path);
    struct sbuf host_log = SBUF_INIT;
    if (rc == 0 && o.host) {
        char err[1024];
        char *log = NULL;
        size_t loglen = 0;
        FILE *lf = open_memstream(&log, &loglen);
        if (!lf ||
            generate_host_write(o.host, o.out_dir, sbuf_str(&g.domain), g.policy.data, g.policy.len,
                                o.tls_cert, o.tls_key, lf, err, sizeof err) < 0)
            rc = gen_error(2, "--host %s: %s", o.host, lf ? err : "out of memory");
        if (lf)
            fclose(lf);
        if (log)
            sbuf_puts(&host_log, log);
        free(log);
    }
    if (rc == 0 && o.policy_only) {
        fwrite(g.policy.data, 1, g.policy.len, stdout);
    } else if (rc == 0) {
        const char *d = sbuf_str(&g.domain);
        printf("; DNS: the MTA-STS record (change the id whenever the policy changes)\n");
        printf("_mta-sts.%s. IN TXT \"%s\"\n", d, sbuf_str(&g.txt));
        if (o.n_rua > 0) {
            printf("; DNS: the TLS-RPT record\n");
            printf("_smtp._tls.%s. IN TXT \"%s\"\n", d, sbuf_str(&g.tlsrpt));
        }
        printf("; DNS: mta-sts.%s needs an A or AAAA record and a certificate for that name\n", d);
        if (o.mx_from_dns)
            printf("; mx lines from the MX records of %s\n", o.mx_from_dns);
        for (const char *w = wild; *w;) { /* suggestions only: the exact hosts are listed */
            size_t n = strcspn(w, "\n");
            printf("; suggestion: mx: %.*s (one line instead of several)\n", (int)n, w);
            w += n + (w[n] == '\n');
        }
        if (o.out_dir && !o.host)
            printf("; policy written to %s\n", sbuf_str(&path));
        if (o.host)
            printf("; --host %s files:\n%s", o.host, sbuf_str(&host_log));
        printf("; policy file (CRLF line endings), served as text/plain at\n"
               "; https://mta-sts.%s/.well-known/mta-sts.txt\n",
               d);
        fwrite(g.policy.data, 1, g.policy.len, stdout);
    }
    if (fflush(stdout) != 0 && rc == 0)
        rc = gen_error(2, "cannot write standard output: %s", strerror(errno));
    sbuf_free(&path);
    sbuf_free(&host_log);
    generated_free(&g);
    generate_mx_free(&o.dns_mx);
    return rc;
}
