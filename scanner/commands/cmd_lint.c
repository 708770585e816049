/* `mtasts lint`: checks a policy file, _mta-sts or _smtp._tls TXT records offline. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/commands/commands.h"
#include "lib/escape.h"
#include "lib/sbuf.h"
#include "scanner/commands/cli.h"
#include "rules/sts_mx.h"
#include "rules/sts_policy.h"
#include "rules/sts_tlsrpt.h"
#include "rules/sts_txt.h"

#define LINT_MAX_ITEMS 64

enum lint_kind { LINT_POLICY, LINT_TXT, LINT_TLSRPT };

struct lint_opts {
    bool json;
    const char *file;
    const char *txt_args[LINT_MAX_ITEMS];
    size_t n_txt_args;
    const char *tlsrpt_args[LINT_MAX_ITEMS];
    size_t n_tlsrpt_args;
    const char *mx[LINT_MAX_ITEMS];
    size_t n_mx;
};

/* TXT records parsed from the command line: each the concatenation of its strings. */
struct record_list {
    struct sbuf bufs[LINT_MAX_ITEMS];
    struct sts_txt_record recs[LINT_MAX_ITEMS];
    size_t n;
};

static const struct cli_help lint_help = {
    .synopsis = "mtasts lint [--json] [--mx HOST]... FILE|-\n"
                "mtasts lint [--json] --txt RECORD [--txt RECORD]...\n"
                "mtasts lint [--json] --tlsrpt RECORD [--tlsrpt RECORD]...",
    .summary =
        "Checks an MTA-STS policy file (RFC 8461 3.2), the TXT records of _mta-sts.<domain>\n"
        "(3.1) or of _smtp._tls.<domain> (RFC 8460 3), offline.\n",
    .options =
        "  FILE|-           the policy file (- reads standard input); at most 65536 bytes\n"
        "  --mx HOST        with a policy: report whether the policy covers this MX host\n"
        "                   and by which pattern (repeatable)\n"
        "  --txt RECORD     one _mta-sts TXT record (repeatable, one per record): a bare\n"
        "                   string, or as `dig +short` prints it (\"v=STSv1; \" \"id=1\"); the\n"
        "                   quoted form may hold several records, one per line\n"
        "  --tlsrpt RECORD  one _smtp._tls TXT record, same forms\n"
        "  --json           one JSON object instead of text\n"
        "  -h, --help       this text\n",
    .footer = "Exit status: 0 valid (warnings allowed), 1 invalid, 2 usage or I/O error.\n"
              "Tolerances and edge cases: docs/lint.md.\n",
};

static void lint_usage(FILE *out)
{
    cli_usage(out, &lint_help);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "mtasts lint: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see mtasts lint --help)\n");
    va_end(ap);
    return 2;
}

/* Appends a value of a repeatable option. */
static int add_value(const char *opt, const char *v, const char **list, size_t *n)
{
    if (*n >= LINT_MAX_ITEMS)
        return usage_error("too many %s values", opt);
    list[(*n)++] = v;
    return 0;
}

/* Returns 0, 1 after --help, or 2 after a usage error. */
static int parse_opts(int argc, char **argv, struct lint_opts *o)
{
    enum { O_JSON = 256, O_TXT, O_TLSRPT, O_MX };
    static const struct option opts[] = {{"json", no_argument, NULL, O_JSON},
                                         {"txt", required_argument, NULL, O_TXT},
                                         {"tlsrpt", required_argument, NULL, O_TLSRPT},
                                         {"mx", required_argument, NULL, O_MX},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    cli_getopt_reset();
    int c, rc = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, CLI_SHORT_OPTS, opts, NULL)) != -1) {
        switch (c) {
        case O_JSON:
            o->json = true;
            break;
        case O_TXT:
            rc = add_value("--txt", optarg, o->txt_args, &o->n_txt_args);
            break;
        case O_TLSRPT:
            rc = add_value("--tlsrpt", optarg, o->tlsrpt_args, &o->n_tlsrpt_args);
            break;
        case O_MX:
            rc = add_value("--mx", optarg, o->mx, &o->n_mx);
            break;
        case 'h':
            lint_usage(stdout);
            return 1;
        default: {
            char err[256];
            cli_getopt_message(c, argv, err, sizeof err);
            return usage_error("%s", err);
        }
        }
    }
    if (rc)
        return rc;
    for (int i = optind; i < argc; i++) {
        if (o->file)
            return usage_error("more than one file given ('%s')", argv[i]);
        o->file = argv[i];
    }
    int kinds = (o->file != NULL) + (o->n_txt_args > 0) + (o->n_tlsrpt_args > 0);
    if (kinds == 0)
        return usage_error("%s", "nothing to check: give a policy FILE, --txt or --tlsrpt");
    if (kinds > 1)
        return usage_error("%s", "check one thing at a time: a FILE, --txt or --tlsrpt");
    if (o->n_mx > 0 && !o->file)
        return usage_error("%s", "--mx needs a policy FILE");
    return 0;
}

/* One line of `dig +short` output: "..." "..." with \" \\ and \DDD escapes. Appends the
 * concatenated strings to out; returns NULL or an error message. */
static const char *parse_quoted_line(const char *s, size_t n, struct sbuf *out)
{
    size_t i = 0;
    for (;;) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
            i++;
        if (i >= n)
            return NULL;
        if (s[i] != '"')
            return "text outside the quoted strings";
        i++;
        for (;;) {
            if (i >= n)
                return "unterminated quoted string";
            char c = s[i++];
            if (c == '"')
                break;
            if (c != '\\') {
                sbuf_putc(out, c);
                continue;
            }
            if (i >= n)
                return "backslash at the end of the record";
            if (s[i] >= '0' && s[i] <= '9') {
                if (i + 3 > n || s[i + 1] < '0' || s[i + 1] > '9' || s[i + 2] < '0' ||
                    s[i + 2] > '9')
                    return "\\DDD escape needs three digits";
                int v = (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
                if (v > 255)
                    return "\\DDD escape above 255";
                sbuf_putc(out, (char)v);
                i += 3;
            } else {
                sbuf_putc(out, s[i++]);
            }
        }
    }
}

/* Adds the record(s) of one --txt/--tlsrpt argument. Returns NULL or an error message. */
static const char *add_record_arg(const char *arg, struct record_list *l)
{
    const char *p = arg;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != '"') {
        if (l->n >= LINT_MAX_ITEMS)
            return "too many records";
        sbuf_append(&l->bufs[l->n], arg, strlen(arg));
        l->n++;
        return NULL;
    }
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        size_t k = 0;
        while (k < len && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r'))
            k++;
        if (k < len) {
            if (l->n >= LINT_MAX_ITEMS)
                return "too many records";
            const char *err = parse_quoted_line(p, len, &l->bufs[l->n]);
            if (err)
                return err;
            l->n++;
        }
        p += len + (nl ? 1 : 0);
    }
    return NULL;
}

static void records_finish(struct record_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        l->recs[i].data = l->bufs[i].data ? l->bufs[i].data : "";
        l->recs[i].len = l->bufs[i].len;
    }
}

static void records_free(struct record_list *l)
{
    for (size_t i = 0; i < LINT_MAX_ITEMS; i++)
        sbuf_free(&l->bufs[i]);
}

/* Reads the policy file (or stdin) up to one byte over the cap. Returns 0, or 2 with a
 * message printed. */
static int read_policy(const char *path, struct sbuf *body, bool *too_large)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    const char *name = strcmp(path, "-") == 0 ? "standard input" : path;
    if (!f) {
        fprintf(stderr, "mtasts lint: cannot open '%s': %s\n", name, strerror(errno));
        return 2;
    }
    char buf[8192];
    size_t n;
    *too_large = false;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        size_t room = STS_POLICY_MAX_BYTES + 1 - body->len;
        sbuf_append(body, buf, n < room ? n : room);
        if (body->len > STS_POLICY_MAX_BYTES) {
            *too_large = true;
            break;
        }
    }
    int failed = ferror(f);
    int saved = errno;
    if (f != stdin)
        fclose(f);
    if (failed) {
        fprintf(stderr, "mtasts lint: cannot read '%s': %s\n", name, strerror(saved));
        return 2;
    }
    if (body->oom) {
        fprintf(stderr, "mtasts lint: out of memory reading '%s'\n", name);
        return 2;
    }
    return 0;
}

/* ---- output ---- */

static void json_diags(struct sbuf *o, const char *key, const struct sts_diags *d,
                       const struct sts_diags *extra)
{
    const struct sts_diags *lists[2] = {d, extra};
    sbuf_printf(o, "\"%s\":", key);
    sts_diags_json(o, lists, 2, STS_DIAGS_JSON_LINE_NULL);
}

static void json_bool(struct sbuf *o, const char *key, bool v)
{
    sbuf_printf(o, "\"%s\":%s,", key, v ? "true" : "false");
}

static void human_diags(const char *kind, const struct sts_diags *d)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct sts_diag *g = &d->items[i];
        if (g->line)
            printf("  %s line %u [%s]: %s\n", kind, g->line, g->code, g->message);
        else
            printf("  %s [%s]: %s\n", kind, g->code, g->message);
    }
    if (d->dropped)
        printf("  ... and %zu more %ss\n", d->dropped, kind);
}

static const char *verdict_word(bool valid, bool strict)
{
    if (!valid)
        return "invalid";
    return strict ? "valid (strict RFC grammar)" : "valid with tolerances (not strictly RFC)";
}

/* ---- policy ---- */

struct coverage {
    const char *host;
    int pattern; /* index, or -1 */
    bool null_mx;
};

static void policy_coverage(const struct lint_opts *o, struct sts_policy *p, struct coverage *cov,
                            struct sts_diags *errors, struct sts_diags *warnings)
{
    bool checks = p->mode == STS_MODE_ENFORCE || p->mode == STS_MODE_TESTING;
    for (size_t i = 0; i < o->n_mx; i++) {
        cov[i].host = o->mx[i];
        cov[i].null_mx = strcmp(o->mx[i], ".") == 0 || o->mx[i][0] == '\0';
        cov[i].pattern = cov[i].null_mx
                             ? -1
                             : sts_mx_find_pattern((const char *const *)p->mx, p->n_mx, o->mx[i]);
        if (checks && !cov[i].null_mx && cov[i].pattern < 0)
            sts_diags_add(errors, "mx_not_covered", 0,
                          "MX host '%.120s' matches no mx pattern: in enforce mode, senders "
                          "refuse to deliver to it",
                          o->mx[i]);
    }
    if (o->n_mx == 0)
        return;
    for (size_t j = 0; j < p->n_mx; j++) {
        bool used = false;
        for (size_t i = 0; i < o->n_mx && !used; i++)
            used = cov[i].pattern == (int)j;
        if (!used)
            sts_diags_add(warnings, "mx_pattern_unused", 0,
                          "mx pattern '%.120s' matches none of the MX hosts given", p->mx[j]);
    }
}

static int lint_policy(const struct lint_opts *o)
{
    struct sbuf body = SBUF_INIT;
    bool too_large = false;
    int rc = read_policy(o->file, &body, &too_large);
    if (rc) {
        sbuf_free(&body);
        return rc;
    }
    struct sts_policy p;
    /* Over the cap, the parser only needs the length to say body_too_large. */
    sts_policy_parse(body.data ? body.data : "", too_large ? STS_POLICY_MAX_BYTES + 1 : body.len,
                     &p);
    struct coverage cov[LINT_MAX_ITEMS];
    struct sts_diags cov_errors = {0}, cov_warnings = {0};
    policy_coverage(o, &p, cov, &cov_errors, &cov_warnings);
    bool valid = p.valid && cov_errors.n == 0;
    bool strict = valid && p.strict_ok;
    const char *name = strcmp(o->file, "-") == 0 ? "<stdin>" : o->file;

    if (o->json) {
        struct sbuf j = SBUF_INIT;
        sbuf_putc(&j, '{');
        json_bool(&j, "valid", valid);
        json_bool(&j, "valid_strict", strict);
        sbuf_puts(&j, "\"mode\":");
        esc_json_str(&j, sts_mode_name(p.mode));
        if (p.has_max_age)
            sbuf_printf(&j, ",\"max_age\":%lld,\"mx\":[", p.max_age);
        else
            sbuf_puts(&j, ",\"max_age\":null,\"mx\":[");
        for (size_t i = 0; i < p.n_mx; i++) {
            if (i)
                sbuf_putc(&j, ',');
            esc_json_str(&j, p.mx[i]);
        }
        sbuf_puts(&j, "],\"id\":null,\"mx_coverage\":[");
        for (size_t i = 0; i < o->n_mx; i++) {
            sbuf_puts(&j, i ? ",{\"host\":" : "{\"host\":");
            esc_json_str(&j, cov[i].host);
            bool covered = cov[i].pattern >= 0 || cov[i].null_mx;
            sbuf_printf(&j, ",\"covered\":%s,\"pattern\":", covered ? "true" : "false");
            esc_json_str(&j, cov[i].pattern >= 0 ? p.mx[cov[i].pattern] : NULL);
            sbuf_putc(&j, '}');
        }
        sbuf_puts(&j, "],");
        json_diags(&j, "errors", &p.errors, &cov_errors);
        sbuf_putc(&j, ',');
        json_diags(&j, "warnings", &p.warnings, &cov_warnings);
        sbuf_puts(&j, "}\n");
        fwrite(j.data, 1, j.len, stdout);
        sbuf_free(&j);
    } else {
        printf("%s: %s\n", name, verdict_word(valid, strict));
        if (!p.valid)
            printf("  category: %s\n", sts_category_name(p.category));
        if (p.mode != STS_MODE_UNKNOWN || p.has_max_age || p.n_mx) {
            printf("  mode %s", p.mode ? sts_mode_name(p.mode) : "?");
            if (p.has_max_age)
                printf(", max_age %lld", p.max_age);
            for (size_t i = 0; i < p.n_mx; i++)
                printf("%s%s", i ? ", " : ", mx ", p.mx[i]);
            printf("\n");
        }
        human_diags("error", &p.errors);
        human_diags("error", &cov_errors);
        human_diags("warning", &p.warnings);
        human_diags("warning", &cov_warnings);
        for (size_t i = 0; i < o->n_mx; i++) {
            if (cov[i].null_mx)
                printf("  MX %s: null MX (accepts no mail)\n", cov[i].host);
            else if (cov[i].pattern >= 0)
                printf("  MX %s: covered by %s\n", cov[i].host, p.mx[cov[i].pattern]);
            else
                printf("  MX %s: NOT covered\n", cov[i].host);
        }
        if (!valid)
            printf("  fix: %s\n", sts_category_fix(p.valid ? STS_CAT_MX_NOT_COVERED : p.category));
    }
    sts_policy_free(&p);
    sbuf_free(&body);
    return valid ? 0 : 1;
}

/* ---- TXT and TLS-RPT records ---- */

static const char *status_word(enum sts_record_status s)
{
    return s == STS_RECORD_VALID ? "valid" : s == STS_RECORD_INVALID ? "invalid" : "none";
}

static int lint_records(const struct lint_opts *o, enum lint_kind kind)
{
    struct record_list *l = calloc(1, sizeof *l);
    if (!l) {
        fprintf(stderr, "mtasts lint: out of memory\n");
        return 2;
    }
    const char *const *args = kind == LINT_TXT ? o->txt_args : o->tlsrpt_args;
    size_t n = kind == LINT_TXT ? o->n_txt_args : o->n_tlsrpt_args;
    for (size_t i = 0; i < n; i++) {
        const char *err = add_record_arg(args[i], l);
        if (err) {
            fprintf(stderr, "mtasts lint: record '%s': %s\n", args[i], err);
            records_free(l);
            free(l);
            return 2;
        }
    }
    records_finish(l);

    struct sts_txt_result txt;
    struct sts_tlsrpt_result *rpt = calloc(1, sizeof *rpt);
    if (!rpt) {
        records_free(l);
        free(l);
        return 2;
    }
    enum sts_record_status status;
    const struct sts_diags *errors, *warnings;
    bool strict;
    size_t n_version;
    if (kind == LINT_TXT) {
        sts_txt_evaluate(l->recs, l->n, &txt);
        status = txt.status;
        errors = &txt.errors;
        warnings = &txt.warnings;
        strict = txt.strict_ok;
        n_version = txt.n_version_records;
    } else {
        sts_tlsrpt_evaluate(l->recs, l->n, rpt);
        status = rpt->status;
        errors = &rpt->errors;
        warnings = &rpt->warnings;
        strict = rpt->strict_ok;
        n_version = rpt->n_version_records;
    }
    bool valid = status == STS_RECORD_VALID;
    const char *label = kind == LINT_TXT ? "_mta-sts TXT" : "_smtp._tls TXT";

    if (o->json) {
        struct sbuf j = SBUF_INIT;
        sbuf_puts(&j, "{\"status\":");
        esc_json_str(&j, status_word(status));
        sbuf_putc(&j, ',');
        json_bool(&j, "valid", valid);
        json_bool(&j, "valid_strict", valid && strict);
        sbuf_puts(&j, "\"mode\":null,\"max_age\":null,\"mx\":[],\"id\":");
        esc_json_str(&j, kind == LINT_TXT && valid ? txt.id : NULL);
        if (kind == LINT_TLSRPT) {
            sbuf_puts(&j, ",\"rua\":[");
            for (size_t i = 0; i < rpt->n_rua; i++) {
                if (i)
                    sbuf_putc(&j, ',');
                esc_json_str(&j, rpt->rua[i]);
            }
            sbuf_putc(&j, ']');
        }
        sbuf_puts(&j, ",\"mx_coverage\":[],");
        json_diags(&j, "errors", errors, NULL);
        sbuf_putc(&j, ',');
        json_diags(&j, "warnings", warnings, NULL);
        sbuf_puts(&j, "}\n");
        fwrite(j.data, 1, j.len, stdout);
        sbuf_free(&j);
    } else {
        printf("%s: %s", label, status == STS_RECORD_NONE ? "none" : verdict_word(valid, strict));
        if (status == STS_RECORD_NONE && n_version == 0)
            printf(" (no record begins with %s; %zu record%s ignored)",
                   kind == LINT_TXT ? "v=STSv1" : "v=TLSRPTv1", l->n, l->n == 1 ? "" : "s");
        else if (status == STS_RECORD_NONE)
            printf(" (%zu records begin with the version tag: senders apply none)", n_version);
        printf("\n");
        if (kind == LINT_TXT && valid)
            printf("  id %s\n", txt.id);
        for (size_t i = 0; kind == LINT_TLSRPT && i < rpt->n_rua; i++)
            printf("  rua %s\n", rpt->rua[i]);
        human_diags("error", errors);
        human_diags("warning", warnings);
        if (!valid && (n_version > 0 || kind == LINT_TXT))
            printf("  fix: %s\n", kind == LINT_TLSRPT ? sts_warning_fix(STS_WARN_TLSRPT_INVALID)
                                  : n_version > 1     ? sts_category_fix(STS_CAT_TXT_MULTIPLE)
                                                      : sts_category_fix(STS_CAT_TXT_SYNTAX));
    }
    free(rpt);
    records_free(l);
    free(l);
    return valid ? 0 : 1;
}

int cmd_lint(int argc, char **argv)
{
    struct lint_opts o = {0};
    int rc = parse_opts(argc, argv, &o);
    if (rc)
        return rc == 1 ? 0 : rc;
    rc = o.file ? lint_policy(&o) : lint_records(&o, o.n_txt_args ? LINT_TXT : LINT_TLSRPT);
    /* A verdict lost on a full disk or a closed pipe must not read as success. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "mtasts lint: cannot write standard output: %s\n", strerror(errno));
        return 2;
    }
    return rc;
}
