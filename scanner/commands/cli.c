/* Option helpers every command uses: getopt_long set-up, numbers, scan ids, --help layout,
 * the read-only database and the output file (cli.h). */
#include "scanner/commands/cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reports/report.h"
#include "store/store.h"

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "mtasts %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void cli_getopt_reset(void)
{
    /* Options may follow the list files (`mtasts scan top.csv --db s.db`, as documented):
     * glibc stops at the first operand when POSIXLY_CORRECT is set and would take
     * `--db` for a list file. mtasts runs no child that could want the variable. */
    unsetenv("POSIXLY_CORRECT");
    optind = 0; /* 0, not 1: glibc then also resets its permutation state */
    opterr = 0;
}

void cli_getopt_message(int c, char **argv, char *err, size_t errlen)
{
    /* After a long option optind is past it; a short one is named by optopt. */
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    char shortopt[3] = {'-', (char)optopt, '\0'};
    if (strncmp(arg, "--", 2) != 0 && optopt > 0 && optopt < 128)
        arg = shortopt;
    if (c == ':')
        snprintf(err, errlen, "%s needs a value", arg);
    else
        snprintf(err, errlen, "unknown option '%s'", arg);
}

int cli_parse_int(const char *opt, const char *v, long min, long max, int *out, char *err,
                  size_t errlen)
{
    char *end;
    errno = 0;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || errno || end == v || *end || n < min || n > max) {
        snprintf(err, errlen, "%s wants an integer in %ld..%ld, got '%s'", opt, min, max,
                 v ? v : "");
        return -1;
    }
    *out = (int)n;
    return 0;
}

int cli_parse_double(const char *opt, const char *v, double min, double max, double *out, char *err,
                     size_t errlen)
{
    char *end;
    errno = 0;
    double d = v ? strtod(v, &end) : NAN;
    if (!v || errno || end == v || *end || !(d >= min && d <= max)) {
        snprintf(err, errlen, "%s wants a number in %g..%g, got '%s'", opt, min, max, v ? v : "");
        return -1;
    }
    *out = d;
    return 0;
}

int cli_parse_scan_id(const char *what, const char *v, int64_t *out, char *err, size_t errlen)
{
    char *end = NULL;
    errno = 0;
    long long n = v ? strtoll(v, &end, 10) : 0;
    if (!v || errno || end == v || *end || n <= 0) {
        snprintf(err, errlen, "%s wants a scan id (1, 2, ...), got '%s'", what, v ? v : "");
        return -1;
    }
    *out = n;
    return 0;
}

void cli_usage(FILE *out, const struct cli_help *h)
{
    fputs("usage: ", out);
    for (const char *p = h->synopsis; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        fprintf(out, "%s%.*s\n", p == h->synopsis ? "" : "       ", (int)n, p);
        p += n + (nl ? 1 : 0);
    }
    fprintf(out, "\n%s", h->summary);
    if (h->options && h->options[0])
        fprintf(out, "\noptions:\n%s", h->options);
    if (h->formats) {
        fputs("\nformats (--format):\n", out);
        const struct report_renderer *r;
        for (size_t i = 0; (r = report_renderer_at(i)) != NULL; i++)
            fprintf(out, "  %-16s %s\n", r->name, r->help);
    }
    if (h->footer && h->footer[0])
        fprintf(out, "\n%s", h->footer);
}

struct store *cli_open_db_read_only(const char *cmd, const char *path)
{
    char err[1024] = "";
    struct store *st = store_open(path, STORE_READ_ONLY, err, sizeof err);
    if (!st)
        cli_error(cmd, "%s", err[0] ? err : path);
    return st;
}

FILE *cli_output_open(const char *cmd, struct cli_output *out, const char *path)
{
    memset(out, 0, sizeof *out);
    if (!path || !strcmp(path, "-")) {
        out->f = stdout;
        return out->f;
    }
    char err[ATOMIC_FILE_PATH_MAX + 256];
    if (atomic_file_open(&out->af, path, err, sizeof err) < 0) {
        cli_error(cmd, "%s", err);
        return NULL;
    }
    out->to_file = true;
    out->f = out->af.f;
    return out->f;
}

int cli_output_close(const char *cmd, struct cli_output *out, bool ok)
{
    if (!out->to_file)
        return ok ? 0 : -1;
    if (!ok) {
        atomic_file_discard(&out->af);
        return -1;
    }
    char err[2 * ATOMIC_FILE_PATH_MAX + 256];
    if (atomic_file_commit(&out->af, err, sizeof err) < 0) {
        cli_error(cmd, "%s", err);
        return -1;
    }
    return 0;
}

const struct report_renderer *cli_find_format(const char *cmd, const char *name)
{
    const struct report_renderer *r = report_renderer_find(name);
    if (!r) {
        char names[256];
        report_renderer_names(names, sizeof names);
        cli_error(cmd, "unknown --format '%s' (%s)", name, names);
    }
    return r;
}

void cli_now(char *buf, size_t len)
{
    report_format_time((int64_t)time(NULL), buf, len);
}
