/* `mtasts check DOMAIN...`: the same engine as scan, each domain rendered layer by layer
 * (or as JSON), in the order given; the exit status says pass / warn / fail / could not. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/sbuf.h"
#include "scanner/commands/check_list.h"
#include "scanner/commands/check_render.h"
#include "scanner/commands/check_tlsrpt.h"
#include "scanner/commands/commands.h"
#include "scanner/input/domain_name.h"
#include "scanner/engine/engine.h"
#include "scanner/commands/scan_options.h"

struct check_item {
    char domain[DOMAIN_NAME_BUFSZ];
    struct sbuf out;
    int exit_status;
    bool done;
};

struct check_run {
    struct check_item *items;
    size_t n, next;
    bool json, color;
    struct check_tlsrpt tlsrpt; /* --db: the report-based readiness */
};

static void on_signal(int sig)
{
    (void)sig;
    engine_stop();
}

static bool check_source(void *arg, const char **domain, long *rank)
{
    struct check_run *r = arg;
    if (r->next >= r->n)
        return false;
    *domain = r->items[r->next++].domain;
    *rank = -1;
    return true;
}

static bool check_sink(void *arg, const struct sts_result *res)
{
    struct check_run *r = arg;
    for (size_t i = 0; i < r->n; i++) {
        struct check_item *it = &r->items[i];
        if (it->done || strcmp(it->domain, res->domain) != 0)
            continue;
        if (r->json) {
            check_render_json(&it->out, res);
            sbuf_putc(&it->out, '\n');
        } else {
            check_render_text(&it->out, res, r->color);
        }
        it->exit_status = check_exit_status(res);
        check_tlsrpt_append(&r->tlsrpt, &it->out, it->domain,
                            res->verdict ? sts_readiness_name(res->verdict->readiness) : NULL,
                            r->json, &it->exit_status);
        it->done = true;
        break;
    }
    return true;
}

/* Normalises every argument and every name of the lists (--file, -); duplicates are
 * checked once. Returns -1 on a bad name. */
static int collect(struct check_run *r, const struct scan_options *o, const struct check_list *l)
{
    size_t total = o->n_args + l->n;
    r->items = calloc(total ? total : 1, sizeof *r->items);
    if (!r->items) {
        fprintf(stderr, "mtasts check: out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < total; i++) {
        const char *reason;
        const char *name = i < o->n_args ? o->args[i] : l->names[i - o->n_args];
        struct check_item *it = &r->items[r->n];
        if (domain_normalize(name, strlen(name), it->domain, sizeof it->domain, &reason) < 0) {
            fprintf(stderr, "mtasts check: '%s' is not a domain name: %s\n", name, reason);
            return -1;
        }
        bool dup = false;
        for (size_t j = 0; j < r->n; j++)
            dup = dup || !strcmp(r->items[j].domain, it->domain);
        if (!dup)
            r->n++;
    }
    return 0;
}

static int report(struct check_run *r)
{
    int status = 0;
    for (size_t i = 0; i < r->n; i++) {
        struct check_item *it = &r->items[i];
        if (!it->done) {
            fprintf(stderr, "mtasts check: %s: not checked (interrupted)\n", it->domain);
            status = check_exit_combine(status, 3);
            continue;
        }
        if (i > 0 && !r->json)
            fputc('\n', stdout);
        fwrite(sbuf_str(&it->out), 1, it->out.len, stdout);
        status = check_exit_combine(status, it->exit_status);
    }
    fflush(stdout);
    return status;
}

int cmd_check(int argc, char **argv)
{
    char err[1024];
    /* --db and --window belong to the TLS-RPT gate; the rest are scan options. */
    struct check_tlsrpt tl;
    if (check_tlsrpt_take_args(&argc, argv, &tl, err, sizeof err) < 0) {
        fprintf(stderr, "mtasts check: %s\n", err);
        return 64;
    }
    /* --file LIST and `-`: names from a file or standard input, beside the arguments. */
    struct check_list list;
    if (check_list_take_args(&argc, argv, &list, err, sizeof err) < 0) {
        fprintf(stderr, "mtasts check: %s\n", err);
        check_list_free(&list);
        return 64; /* a usage error: the list could not be used */
    }
    /* scan_options wants one domain at least: a list's first name stands in for it
     * (collect() checks it once, duplicates are dropped). */
    char *argv2[argc + 2];
    memcpy(argv2, argv, (size_t)argc * sizeof *argv);
    int argc2 = argc;
    if (list.n > 0)
        argv2[argc2++] = list.names[0];
    argv2[argc2] = NULL;
    int status = 3;
    struct scan_options *o = scan_options_from_argv(SCAN_CMD_CHECK, argc2, argv2, &status);
    if (!o) {
        check_list_free(&list);
        return status;
    }
    struct check_run r = {0};
    r.tlsrpt = tl;
    r.json = o->json;
    r.color = !o->json && isatty(STDOUT_FILENO);
    if (collect(&r, o, &list) == 0) {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        struct scan_stats stats;
        memset(&stats, 0, sizeof stats);
        status = 3; /* could not check, unless the engine runs */
        if (engine_run(&o->engine, check_source, &r, check_sink, &r, &stats, err, sizeof err) < 0)
            fprintf(stderr, "mtasts check: %s\n", err);
        else
            status = report(&r);
    } else {
        status = 64; /* a name that is not a domain name: a usage error */
    }
    for (size_t i = 0; i < r.n; i++)
        sbuf_free(&r.items[i].out);
    free(r.items);
    check_tlsrpt_close(&r.tlsrpt);
    check_list_free(&list);
    free(o);
    return status;
}
