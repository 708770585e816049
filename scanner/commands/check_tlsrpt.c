/* The report-based readiness of `mtasts check --db FILE`: gate verdict, reason, readiness. */
#include "scanner/commands/check_tlsrpt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"
#include "reports/tlsrpt.h"
#include "store/store.h"

int check_tlsrpt_take_args(int *argc, char **argv, struct check_tlsrpt *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->window = TLSRPT_WINDOW_DEFAULT;
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--db") || !strcmp(a, "--window")) {
            if (i + 1 >= *argc) {
                snprintf(err, errlen, "%s needs a value", a);
                return -1;
            }
            const char *v = argv[++i];
            if (!strcmp(a, "--db")) {
                c->db = v;
            } else {
                char *end;
                long n = strtol(v, &end, 10);
                if (*end || n < 1 || n > 366) {
                    snprintf(err, errlen, "--window wants 1..366 days, got '%s'", v);
                    return -1;
                }
                c->window = (int)n;
            }
            continue;
        }
        if (!strcmp(a, "--")) { /* the rest are domains: keep them as they are */
            while (i < *argc)
                argv[out++] = argv[i++];
            break;
        }
        argv[out++] = argv[i];
    }
    *argc = out;
    argv[out] = NULL;
    return 0;
}

void check_tlsrpt_append(struct check_tlsrpt *c, struct sbuf *out, const char *domain,
                         const char *scan_readiness, bool json, int *exit_status)
{
    if (!c->db || c->open_failed)
        return;
    if (!c->st) {
        char err[1024];
        c->st = store_open(c->db, STORE_READ_ONLY, err, sizeof err);
        if (!c->st) {
            c->open_failed = true;
            fprintf(stderr, "mtasts check: %s (TLS-RPT reports not used)\n", err);
            return;
        }
    }
    struct report_tlsrpt_gate g;
    char err[512];
    if (report_tlsrpt_gate_load(store_db(c->st), domain, c->window, report_tlsrpt_today(), &g, err,
                                sizeof err) < 0) {
        fprintf(stderr, "mtasts check: %s: %s\n", c->db, err);
        return;
    }
    if (g.g.verdict == TLSRPT_GATE_NO_REPORTS) {
        report_tlsrpt_gate_free(&g);
        return;
    }
    char why[512];
    tlsrpt_gate_describe(&g.g, why, sizeof why);
    const char *verdict = tlsrpt_gate_verdict_name(g.g.verdict);
    const char *readiness = tlsrpt_gate_readiness(scan_readiness, g.g.verdict);
    if (json) {
        /* out ends with the domain's object and a newline: add one member to it. */
        while (out->len && (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == '}'))
            if (out->data[--out->len] == '}')
                break;
        sbuf_puts(out, ",\"tlsrpt_reports\":{\"window\":");
        sbuf_printf(out, "%d,\"days_covered\":%d,\"verdict\":", g.g.window, g.g.days_covered);
        esc_json_str(out, verdict);
        sbuf_printf(out,
                    ",\"blocking_sessions\":%lld,\"readiness\":", (long long)g.g.blocking_sessions);
        esc_json_str(out, readiness);
        sbuf_puts(out, ",\"result_type\":");
        esc_json_str(out, g.g.worst ? g.g.worst->result_type : NULL);
        sbuf_puts(out, ",\"reporter\":");
        esc_json_str(out, g.g.worst ? g.g.worst->organization : NULL);
        sbuf_puts(out, ",\"mx_host\":");
        esc_json_str(out, g.g.worst ? g.g.worst->mx_host : NULL);
        sbuf_puts(out, ",\"detail\":");
        esc_json_str(out, why);
        sbuf_puts(out, "}}\n");
    } else {
        sbuf_printf(out, "  TLS-RPT reports (%d-day window): %s; readiness with reports: %s\n    ",
                    g.g.window, verdict, readiness ? readiness : "n/a");
        esc_text(out, why);
        sbuf_putc(out, '\n');
    }
    int st = 0;
    if (readiness && !strcmp(readiness, "enforcing_with_failures"))
        st = 2;
    else if (g.g.verdict != TLSRPT_GATE_CLEAN)
        st = 1;
    if (st > *exit_status)
        *exit_status = st;
    report_tlsrpt_gate_free(&g);
}

void check_tlsrpt_close(struct check_tlsrpt *c)
{
    store_close(c->st);
    c->st = NULL;
}
