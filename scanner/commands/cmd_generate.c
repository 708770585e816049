/* `mtasts generate`: the _mta-sts and _smtp._tls TXT records and a CRLF policy file. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "scanner/commands/commands.h"
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
};

static void gen_usage(FILE *out)
{
    fprintf(out,
            "usage: mtasts generate --domain D --mode enforce|testing|none --mx HOST...\n"
            "                       --max-age SECONDS [--rua URI...] [--id ID] [--out DIR]\n"
            "                       [--policy-only]\n"
            "\n"
            "Prints the _mta-sts TXT record, the _smtp._tls TXT record (with --rua) and the\n"
            "policy file (CRLF line endings) to serve at\n"
            "https://mta-sts.D/.well-known/mta-sts.txt. Everything printed passes `mtasts lint`;\n"
            "input lint would reject is refused.\n"
            "\n"
            "  --mx HOST...     MX host names or *.parent patterns (repeat --mx or list several)\n"
            "                   required unless the mode is none\n"
            "  --max-age N      seconds senders cache the policy, 0-31557600 (604800 is a week)\n"
            "  --rua URI...     TLS-RPT report addresses: mailto:... or https://...\n"
            "  --id ID          the policy id (1-32 letters and digits); default: the UTC time,\n"
            "                   e.g. 20261122T120000. Change it whenever the policy changes.\n"
            "  --out DIR        also write DIR/.well-known/mta-sts.txt\n"
            "  --policy-only    print only the policy file (for `| mtasts lint -`)\n"
            "\n"
            "Exit status: 0 generated, 1 refused (lint would reject it), 2 usage or I/O error.\n");
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

/* Consumes the values after a list option: up to the next argument starting with "--". */
static int take_list(int argc, char **argv, int *i, const char **list, size_t *n)
{
    const char *opt = argv[*i];
    size_t before = *n;
    while (*i + 1 < argc && strncmp(argv[*i + 1], "--", 2) != 0) {
        if (*n >= GEN_MAX_ITEMS)
            return gen_error(2, "too many %s values", opt);
        list[(*n)++] = argv[++*i];
    }
    if (*n == before)
        return gen_error(2, "%s needs at least one value", opt);
    return 0;
}

static int parse_opts(int argc, char **argv, struct gen_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **single = NULL;
        int rc;
        if (!strcmp(a, "--mx")) {
            if ((rc = take_list(argc, argv, &i, o->mx, &o->n_mx)))
                return rc;
            continue;
        }
        if (!strcmp(a, "--rua")) {
            if ((rc = take_list(argc, argv, &i, o->rua, &o->n_rua)))
                return rc;
            continue;
        }
        if (!strcmp(a, "--policy-only")) {
            o->policy_only = true;
            continue;
        }
        if (!strcmp(a, "--domain"))
            single = &o->domain;
        else if (!strcmp(a, "--mode"))
            single = &o->mode;
        else if (!strcmp(a, "--max-age"))
            single = &o->max_age;
        else if (!strcmp(a, "--id"))
            single = &o->id;
        else if (!strcmp(a, "--out"))
            single = &o->out_dir;
        else
            return gen_error(2, "unknown argument '%s' (see mtasts generate --help)", a);
        if (i + 1 >= argc)
            return gen_error(2, "%s needs a value", a);
        *single = argv[++i];
    }
    if (!o->domain)
        return gen_error(2, "--domain is required");
    if (!o->mode)
        return gen_error(2, "--mode is required (enforce, testing or none)");
    if (!o->max_age)
        return gen_error(2, "--max-age is required (seconds, e.g. 604800 for a week)");
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
    strftime(buf, n, "%Y%m%dT%H%M%S", &tm);
}

/* Writes DIR/.well-known/mta-sts.txt through a temporary file and rename. */
static int write_policy_file(const char *dir, const struct sbuf *policy, struct sbuf *path)
{
    struct sbuf wk = SBUF_INIT, tmp = SBUF_INIT;
    int rc = 0;
    sbuf_printf(&wk, "%s/.well-known", dir);
    sbuf_printf(path, "%s/mta-sts.txt", sbuf_str(&wk));
    sbuf_printf(&tmp, "%s.tmp.%ld", sbuf_str(path), (long)getpid());
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        rc = gen_error(2, "cannot create '%s': %s", dir, strerror(errno));
    else if (mkdir(sbuf_str(&wk), 0755) != 0 && errno != EEXIST)
        rc = gen_error(2, "cannot create '%s': %s", sbuf_str(&wk), strerror(errno));
    if (rc == 0) {
        FILE *f = fopen(sbuf_str(&tmp), "wb");
        if (!f) {
            rc = gen_error(2, "cannot write '%s': %s", sbuf_str(&tmp), strerror(errno));
        } else {
            bool ok = fwrite(policy->data, 1, policy->len, f) == policy->len;
            ok = (fclose(f) == 0) && ok;
            if (!ok || rename(sbuf_str(&tmp), sbuf_str(path)) != 0) {
                rc = gen_error(2, "cannot write '%s': %s", sbuf_str(path), strerror(errno));
                unlink(sbuf_str(&tmp));
            }
        }
    }
    sbuf_free(&wk);
    sbuf_free(&tmp);
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
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            gen_usage(stdout);
            return 0;
        }
    }
    struct gen_opts o = {0};
    int rc = parse_opts(argc, argv, &o);
    if (rc == 0)
        rc = check_printable(&o);
    if (rc)
        return rc;
    struct generated g = {SBUF_INIT, SBUF_INIT, SBUF_INIT, SBUF_INIT};
    rc = build(&o, &g);
    struct sbuf path = SBUF_INIT;
    if (rc == 0 && o.out_dir)
        rc = write_policy_file(o.out_dir, &g.policy, &path);
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
        if (o.out_dir)
            printf("; policy written to %s\n", sbuf_str(&path));
        printf("; policy file (CRLF line endings), served as text/plain at\n"
               "; https://mta-sts.%s/.well-known/mta-sts.txt\n",
               d);
        fwrite(g.policy.data, 1, g.policy.len, stdout);
    }
    if (fflush(stdout) != 0 && rc == 0)
        rc = gen_error(2, "cannot write standard output: %s", strerror(errno));
    sbuf_free(&path);
    generated_free(&g);
    return rc;
}
