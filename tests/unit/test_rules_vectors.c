/* Replays the data-driven cases of tests/vectors/ (format: tests/vectors/README.md). */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sbuf.h"
#include "rules/sts_mx.h"
#include "rules/sts_policy.h"
#include "rules/sts_tlsrpt.h"
#include "rules/sts_txt.h"
#include "tests/unit/tap.h"

#define VEC_ROOT "tests/vectors"
#define MAX_FILES 1024
#define MAX_RECORDS 32

/* Codes the vectors expect somewhere: every parser code must appear at least once. */
static struct sbuf seen_codes = SBUF_INIT;

/* With --dump-corpus DIR, each decoded input is also written to DIR/<kind>/<file>: the seed
 * corpus of the fuzzers comes from the vectors through this same decoder. */
static const char *dump_dir;

static void dump_input(const char *kind, const char *fname, const struct sbuf *input)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", dump_dir, kind, fname);
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "cannot write %s\n", path);
        return;
    }
    fwrite(input->data ? input->data : "", 1, input->len, f);
    fclose(f);
}

struct vcase {
    char path[512];
    struct sbuf expect, mx, rua, errors, warnings;
    bool has_mx, has_rua;
    bool crlf, escapes, drop_final_newline;
    long repeat, pad_to;
    struct sbuf input;
};

static void vcase_free(struct vcase *c)
{
    sbuf_free(&c->expect);
    sbuf_free(&c->mx);
    sbuf_free(&c->rua);
    sbuf_free(&c->errors);
    sbuf_free(&c->warnings);
    sbuf_free(&c->input);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct sbuf b = SBUF_INIT;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sbuf_append(&b, buf, n);
    fclose(f);
    *len = b.len;
    if (!b.data)
        return calloc(1, 1);
    return b.data;
}

/* Appends the text with spaces removed (lists are compared without them). */
static void put_compact(struct sbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            sbuf_putc(b, s[i]);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes \r \n \t \0 \\ \xNN; literal newlines become LF or CRLF per the header. */
static void emit_input(struct vcase *c, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '\n') {
            if (c->crlf)
                sbuf_putc(&c->input, '\r');
            sbuf_putc(&c->input, '\n');
            continue;
        }
        if (!c->escapes || ch != '\\' || i + 1 >= n) {
            sbuf_putc(&c->input, ch);
            continue;
        }
        char e = s[++i];
        if (e == 'r')
            sbuf_putc(&c->input, '\r');
        else if (e == 'n')
            sbuf_putc(&c->input, '\n');
        else if (e == 't')
            sbuf_putc(&c->input, '\t');
        else if (e == '0')
            sbuf_putc(&c->input, '\0');
        else if (e == 'x' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            sbuf_putc(&c->input, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
            i += 2;
        } else
            sbuf_putc(&c->input, e);
    }
}

static bool header_key(const char *line, size_t n, const char *key, const char **val, size_t *vlen)
{
    size_t kl = strlen(key);
    if (n < kl + 2 || strncmp(line, "# ", 2) != 0 || strncmp(line + 2, key, kl) != 0)
        return false;
    *val = line + 2 + kl;
    *vlen = n - 2 - kl;
    while (*vlen > 0 && (**val == ' ' || **val == '\t')) {
        (*val)++;
        (*vlen)--;
    }
    return true;
}

/* Parses a case file; returns false (with why) when the file is malformed. */
static bool load_case(const char *path, struct vcase *c, char *why, size_t whylen)
{
    size_t len;
    char *data = read_file(path, &len);
    if (!data) {
        snprintf(why, whylen, "cannot read");
        return false;
    }
    size_t p = 0;
    bool found_sep = false;
    while (p < len) {
        const char *nl = memchr(data + p, '\n', len - p);
        size_t end = nl ? (size_t)(nl - data) : len;
        const char *line = data + p;
        size_t n = end - p;
        p = nl ? end + 1 : len;
        if (n == 3 && memcmp(line, "---", 3) == 0) {
            found_sep = true;
            break;
        }
        const char *v;
        size_t vl;
        if (header_key(line, n, "expect:", &v, &vl)) {
            sbuf_putc(&c->expect, ' ');
            sbuf_append(&c->expect, v, vl);
        } else if (header_key(line, n, "mx:", &v, &vl)) {
            c->has_mx = true;
            put_compact(&c->mx, v, vl);
        } else if (header_key(line, n, "rua:", &v, &vl)) {
            c->has_rua = true;
            put_compact(&c->rua, v, vl);
        } else if (header_key(line, n, "errors:", &v, &vl)) {
            put_compact(&c->errors, v, vl);
        } else if (header_key(line, n, "warnings:", &v, &vl)) {
            put_compact(&c->warnings, v, vl);
        } else if (header_key(line, n, "endings:", &v, &vl)) {
            c->crlf = vl >= 4 && strncmp(v, "crlf", 4) == 0;
        } else if (header_key(line, n, "escapes:", &v, &vl)) {
            c->escapes = vl >= 1 && v[0] == '1';
        } else if (header_key(line, n, "final-newline:", &v, &vl)) {
            c->drop_final_newline = vl >= 1 && v[0] == '0';
        } else if (header_key(line, n, "repeat:", &v, &vl)) {
            c->repeat = strtol(v, NULL, 10);
        } else if (header_key(line, n, "pad-to:", &v, &vl)) {
            c->pad_to = strtol(v, NULL, 10);
        } else if (n > 0 && line[0] != '#') {
            snprintf(why, whylen, "header line without '#' before '---'");
            free(data);
            return false;
        }
    }
    if (!found_sep) {
        snprintf(why, whylen, "no '---' line");
        free(data);
        return false;
    }
    size_t body_len = len - p;
    if (c->drop_final_newline && body_len > 0 && data[p + body_len - 1] == '\n')
        body_len--;
    long times = c->repeat > 0 ? c->repeat : 1;
    for (long t = 0; t < times; t++)
        emit_input(c, data + p, body_len);
    if (c->pad_to > 0 && (long)c->input.len + 6 <= c->pad_to) {
        long fill = c->pad_to - (long)c->input.len - 5; /* "p: " + fill + CRLF */
        sbuf_puts(&c->input, "p: ");
        for (long k = 0; k < fill; k++)
            sbuf_putc(&c->input, 'a');
        sbuf_puts(&c->input, "\r\n");
    }
    free(data);
    if (c->input.oom) {
        snprintf(why, whylen, "out of memory");
        return false;
    }
    return true;
}

/* The value of name=... in the expect line, or NULL when absent. */
static bool expect_get(const struct vcase *c, const char *name, char *out, size_t outlen)
{
    const char *s = sbuf_str(&c->expect);
    size_t nl = strlen(name);
    for (const char *p = s; (p = strstr(p, name)) != NULL; p += nl) {
        if ((p == s || p[-1] == ' ') && p[nl] == '=') {
            size_t vl = strcspn(p + nl + 1, " \t\r");
            if (vl >= outlen)
                vl = outlen - 1;
            memcpy(out, p + nl + 1, vl);
            out[vl] = '\0';
            return true;
        }
    }
    return false;
}

struct diffs {
    char text[1024];
    size_t len;
};

static void differ(struct diffs *d, const char *field, const char *got, const char *want)
{
    int n = snprintf(d->text + d->len, sizeof d->text - d->len, "%s%s differs: got '%s', want '%s'",
                     d->len ? "; " : "", field, got, want);
    if (n > 0)
        d->len += (size_t)n < sizeof d->text - d->len ? (size_t)n : sizeof d->text - d->len - 1;
}

static void compare(struct diffs *d, const struct vcase *c, const char *field, const char *got)
{
    char want[256];
    if (!expect_get(c, field, want, sizeof want))
        return;
    if (strcmp(got, want) != 0)
        differ(d, field, got, want);
}

static void format_diags(struct sbuf *b, const struct sts_diags *dg, bool with_line)
{
    for (size_t i = 0; i < dg->n; i++) {
        if (i)
            sbuf_putc(b, ',');
        sbuf_puts(b, dg->items[i].code);
        if (with_line)
            sbuf_printf(b, "@%u", dg->items[i].line);
        sbuf_printf(&seen_codes, ",%s,", dg->items[i].code);
        if (!sts_diag_code_lookup(dg->items[i].code))
            sbuf_printf(b, "(UNLISTED CODE)");
    }
}

static void compare_list(struct diffs *d, const char *field, const struct sbuf *got,
                         const struct sbuf *want)
{
    if (strcmp(sbuf_str(got), sbuf_str(want)) != 0)
        differ(d, field, sbuf_str(got), sbuf_str(want));
}

static void compare_diags(struct diffs *d, const struct vcase *c, const struct sts_diags *errors,
                          const struct sts_diags *warnings, bool with_line)
{
    struct sbuf e = SBUF_INIT, w = SBUF_INIT;
    format_diags(&e, errors, with_line);
    format_diags(&w, warnings, with_line);
    compare_list(d, "errors", &e, &c->errors);
    compare_list(d, "warnings", &w, &c->warnings);
    sbuf_free(&e);
    sbuf_free(&w);
}

static void run_policy(const struct vcase *c, struct diffs *d)
{
    struct sts_policy p;
    sts_policy_parse(c->input.data ? c->input.data : "", c->input.len, &p);
    char num[32];
    compare(d, c, "valid", p.valid ? "1" : "0");
    compare(d, c, "strict", p.strict_ok ? "1" : "0");
    compare(d, c, "mode", p.mode ? sts_mode_name(p.mode) : "null");
    snprintf(num, sizeof num, "%lld", p.max_age);
    compare(d, c, "max_age", p.has_max_age ? num : "null");
    compare(d, c, "category", sts_category_name(p.category));
    compare(d, c, "lf", p.lf_line_endings ? "1" : "0");
    if (c->has_mx) {
        struct sbuf m = SBUF_INIT;
        for (size_t i = 0; i < p.n_mx; i++)
            sbuf_printf(&m, "%s%s", i ? "," : "", p.mx[i]);
        compare_list(d, "mx", &m, &c->mx);
        sbuf_free(&m);
    }
    compare_diags(d, c, &p.errors, &p.warnings, true);
    sts_policy_free(&p);
}

/* Splits the decoded input into records, one per line (a record cannot hold LF). */
static size_t split_records(const struct vcase *c, struct sts_txt_record *recs)
{
    size_t n = 0, p = 0, len = c->input.len;
    const char *s = c->input.data;
    while (s && p < len && n < MAX_RECORDS) {
        const char *nl = memchr(s + p, '\n', len - p);
        size_t end = nl ? (size_t)(nl - s) : len;
        size_t e = end;
        if (c->crlf && e > p && s[e - 1] == '\r')
            e--;
        recs[n].data = s + p;
        recs[n].len = e - p;
        n++;
        p = nl ? end + 1 : len;
    }
    return n;
}

static const char *status_word(enum sts_record_status s)
{
    return s == STS_RECORD_VALID ? "valid" : s == STS_RECORD_INVALID ? "invalid" : "none";
}

static void run_txt(const struct vcase *c, struct diffs *d)
{
    struct sts_txt_record recs[MAX_RECORDS];
    size_t n = split_records(c, recs);
    struct sts_txt_result r;
    sts_txt_evaluate(recs, n, &r);
    char num[32];
    compare(d, c, "status", status_word(r.status));
    compare(d, c, "id", r.id[0] ? r.id : "null");
    compare(d, c, "strict", r.strict_ok ? "1" : "0");
    compare(d, c, "category", sts_category_name(r.category));
    snprintf(num, sizeof num, "%zu", r.n_version_records);
    compare(d, c, "versions", num);
    compare_diags(d, c, &r.errors, &r.warnings, false);
}

static void run_tlsrpt(const struct vcase *c, struct diffs *d)
{
    struct sts_txt_record recs[MAX_RECORDS];
    size_t n = split_records(c, recs);
    struct sts_tlsrpt_result *r = calloc(1, sizeof *r);
    if (!r)
        return;
    sts_tlsrpt_evaluate(recs, n, r);
    char num[32];
    compare(d, c, "status", status_word(r->status));
    compare(d, c, "strict", r->strict_ok ? "1" : "0");
    compare(d, c, "state", sts_tlsrpt_state_name(sts_tlsrpt_state_of(r)));
    snprintf(num, sizeof num, "%zu", r->n_version_records);
    compare(d, c, "versions", num);
    if (c->has_rua) {
        struct sbuf u = SBUF_INIT;
        for (size_t i = 0; i < r->n_rua; i++)
            sbuf_printf(&u, "%s%s", i ? "|" : "", r->rua[i]);
        compare_list(d, "rua", &u, &c->rua);
        sbuf_free(&u);
    }
    compare_diags(d, c, &r->errors, &r->warnings, false);
    free(r);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The sorted file names of a vector directory. Caller frees each and the array. */
static size_t list_dir(const char *dir, char **names)
{
    DIR *dp = opendir(dir);
    size_t n = 0;
    if (!dp)
        return 0;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL && n < MAX_FILES) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || l < 5 || strcmp(e->d_name + l - 4, ".txt") != 0)
            continue;
        names[n++] = strdup(e->d_name);
    }
    closedir(dp);
    qsort(names, n, sizeof *names, cmp_names);
    return n;
}

static size_t run_dir(const char *kind, void (*run)(const struct vcase *, struct diffs *))
{
    char dir[256];
    snprintf(dir, sizeof dir, "%s/%s", VEC_ROOT, kind);
    char **names = calloc(MAX_FILES, sizeof *names);
    size_t n = names ? list_dir(dir, names) : 0;
    for (size_t i = 0; i < n; i++) {
        struct vcase c;
        memset(&c, 0, sizeof c);
        snprintf(c.path, sizeof c.path, "%s/%s", dir, names[i]);
        char name[600], why[200] = "";
        snprintf(name, sizeof name, "vectors: %s/%s", kind, names[i]);
        if (!load_case(c.path, &c, why, sizeof why)) {
            TAP_CHECK(false, name, "malformed case file: %s", why);
        } else if (c.expect.len == 0) {
            TAP_CHECK(false, name, "malformed case file: no '# expect:' line");
        } else {
            if (dump_dir)
                dump_input(kind, names[i], &c.input);
            struct diffs d = {.len = 0};
            d.text[0] = '\0';
            run(&c, &d);
            TAP_CHECK(d.len == 0, name, "%s", d.text);
        }
        vcase_free(&c);
        free(names[i]);
    }
    free(names);
    return n;
}

/* ---- MX table ---- */

static char *next_token(char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
    if (!**p || **p == '#')
        return NULL;
    char *t = *p;
    while (**p && **p != ' ' && **p != '\t')
        (*p)++;
    if (**p)
        *(*p)++ = '\0';
    return strcmp(t, "-") == 0 ? t + 1 : t; /* "-" is the empty string */
}

static size_t run_mx_file(const char *path, const char *fname)
{
    size_t len, cases = 0;
    char *data = read_file(path, &len);
    if (!data) {
        TAP_CHECK(false, fname, "cannot read");
        return 0;
    }
    unsigned lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        char *p = line, name[600];
        char *op = next_token(&p);
        if (!op)
            continue;
        snprintf(name, sizeof name, "vectors: mx/%s:%u %s", fname, lineno, line);
        char *a = next_token(&p), *b = next_token(&p), *want = NULL;
        if (!strcmp(op, "match")) {
            want = next_token(&p);
            if (!a || !b || !want) {
                TAP_CHECK(false, name, "malformed: match PATTERN HOST 1|0");
                continue;
            }
            bool got = sts_mx_pattern_matches(a, b);
            TAP_CHECK(got == (want[0] == '1'), name, "match(%s, %s) got %d, want %s", a, b, got,
                      want);
        } else if (!strcmp(op, "valid")) {
            want = b;
            if (!a || !want) {
                TAP_CHECK(false, name, "malformed: valid PATTERN 1|0");
                continue;
            }
            bool got = sts_mx_pattern_valid(a);
            TAP_CHECK(got == (want[0] == '1'), name, "valid(%s) got %d, want %s", a, got, want);
        } else {
            TAP_CHECK(false, name, "unknown operation '%s'", op);
        }
        cases++;
    }
    free(data);
    return cases;
}

static size_t run_mx(void)
{
    char **names = calloc(MAX_FILES, sizeof *names);
    size_t n = names ? list_dir(VEC_ROOT "/mx", names) : 0, cases = 0;
    for (size_t i = 0; i < n; i++) {
        char path[512];
        snprintf(path, sizeof path, VEC_ROOT "/mx/%s", names[i]);
        cases += run_mx_file(path, names[i]);
        free(names[i]);
    }
    free(names);
    return cases;
}

/* The plan: one case per vector file of a kind. */
static size_t count_dir(const char *kind)
{
    char dir[256];
    snprintf(dir, sizeof dir, "%s/%s", VEC_ROOT, kind);
    char **names = calloc(MAX_FILES, sizeof *names);
    size_t n = names ? list_dir(dir, names) : 0;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return n;
}

/* The plan: one case per operation line of the MX tables (as run_mx_file reports them). */
static size_t count_mx(void)
{
    char **names = calloc(MAX_FILES, sizeof *names);
    size_t n = names ? list_dir(VEC_ROOT "/mx", names) : 0, cases = 0;
    for (size_t i = 0; i < n; i++) {
        char path[512];
        size_t len;
        snprintf(path, sizeof path, VEC_ROOT "/mx/%s", names[i]);
        char *data = read_file(path, &len), *save = NULL;
        if (!data)
            cases++;
        for (char *line = data ? strtok_r(data, "\n", &save) : NULL; line;
             line = strtok_r(NULL, "\n", &save)) {
            char *p = line;
            cases += next_token(&p) != NULL;
        }
        free(data);
        free(names[i]);
    }
    free(names);
    return cases;
}

/* Every code a parser can emit is exercised by at least one vector. */
static bool is_coverage_finding(const char *code)
{
    /* coverage findings of lint --mx, not parser output; and a local out-of-memory failure */
    return !strcmp(code, "mx_not_covered") || !strcmp(code, "mx_pattern_unused") ||
           !strcmp(code, "policy_out_of_memory");
}

static size_t count_parser_codes(void)
{
    size_t n = 0;
    for (size_t i = 0; i < sts_diag_code_count(); i++)
        n += !is_coverage_finding(sts_diag_code_at(i)->code);
    return n;
}

static void check_code_coverage(void)
{
    for (size_t i = 0; i < sts_diag_code_count(); i++) {
        const char *code = sts_diag_code_at(i)->code;
        if (is_coverage_finding(code))
            continue;
        char needle[80];
        snprintf(needle, sizeof needle, ",%s,", code);
        char name[120];
        snprintf(name, sizeof name, "vectors: code %s exercised", code);
        TAP_CHECK(strstr(sbuf_str(&seen_codes), needle) != NULL, name, "no vector produces %s",
                  code);
    }
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--dump-corpus") == 0)
        dump_dir = argv[2];
    /* The plan comes from the vectors themselves, before any case runs. */
    TAP_PLAN(count_dir("policy") + count_dir("txt") + count_dir("tlsrpt") + count_mx() + 4 +
             count_parser_codes());
    size_t np = run_dir("policy", run_policy);
    size_t nt = run_dir("txt", run_txt);
    size_t nr = run_dir("tlsrpt", run_tlsrpt);
    size_t nm = run_mx();
    TAP_CHECK(np >= 60, "vectors: at least 60 policy cases", "%zu", np);
    TAP_CHECK(nt >= 30, "vectors: at least 30 TXT cases", "%zu", nt);
    TAP_CHECK(nr >= 20, "vectors: at least 20 TLS-RPT cases", "%zu", nr);
    TAP_CHECK(nm >= 30, "vectors: at least 30 MX cases", "%zu", nm);
    check_code_coverage();
    printf("# %zu policy, %zu txt, %zu tlsrpt, %zu mx cases\n", np, nt, nr, nm);
    sbuf_free(&seen_codes);
    TAP_DONE();
}
