/* `mtasts scan`: streams domain lists through the engine into the result database, resumable,
 * and ends with a summary that checks results against inputs. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/escape.h"
#include "lib/sbuf.h"
#include "store/store.h"
#include "scanner/commands/commands.h"
#include "scanner/engine/engine.h"
#include "scanner/input/exclude.h"
#include "scanner/input/input.h"
#include "scanner/commands/progress.h"
#include "scanner/commands/scan_options.h"
#include "scanner/commands/smtp_summary.h"
#include "lib/version.h"

/* Everything the source (feeder thread) and the sink (writer thread) share. The store is
 * used by both (bad lines from the source, rows from the sink): one mutex serialises it. */
struct scan_run {
    struct scan_options *opt;
    struct store *st;
    pthread_mutex_t store_lock;
    int64_t scan_id;
    struct input *in;
    struct input_set *done; /* --resume: domains with a result already */
    bool done_failed;       /* the set could not hold every finished domain */
    uint64_t rows_written;
    uint64_t write_errors;
    bool input_failed;
    char input_err[512];
    char store_err[512];
    struct progress *prog; /* told the exact total once the input is read */
};

static void on_signal(int sig)
{
    (void)sig;
    engine_stop();
}

/* SIGINT and SIGTERM stay blocked while the store's commit timer and the progress thread are
 * created, so those threads inherit the block and the handler only ever runs in this thread
 * (never concurrently with the engine's teardown). A stop requested meanwhile is delivered
 * when unblocked, once the handler is in place: the scan then ends 'interrupted', resumable. */
static void stop_signals_mask(int how)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(how, &set, NULL);
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    stop_signals_mask(SIG_UNBLOCK);
}

static bool skip_done(void *arg, const char *domain)
{
    struct scan_run *r = arg;
    return r->done && input_set_contains(r->done, domain);
}

/* A bad line into the store. The engine cancels a feeder still busy after a stop (it may be
 * blocked reading a pipe); cancelled inside the store (SQLite sleeps and writes: cancellation
 * points) it would die holding the store's mutexes and hang the scan's finish. */
static void record_bad_line(struct scan_run *r, const struct input_entry *e)
{
    int oldstate;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &oldstate);
    pthread_mutex_lock(&r->store_lock);
    if (store_write_input_error(r->st, r->scan_id, e->file, e->line, e->text, e->reason) < 0)
        r->write_errors++;
    pthread_mutex_unlock(&r->store_lock);
    pthread_setcancelstate(oldstate, NULL);
}

/* Feeder thread: the next domain; bad lines go to the store on the way. */
static bool source_next(void *arg, const char **domain, long *rank)
{
    struct scan_run *r = arg;
    struct input_entry e;
    for (;;) {
        if (engine_stopped())
            return false; /* a list of bad lines must not keep the feeder after a stop */
        enum input_kind k = input_next(r->in, &e);
        if (k == INPUT_DOMAIN) {
            *domain = e.domain;
            *rank = e.rank;
            return true;
        }
        if (k == INPUT_BAD_LINE) {
            record_bad_line(r, &e);
            continue;
        }
        if (k == INPUT_ERROR) {
            r->input_failed = true;
            snprintf(r->input_err, sizeof r->input_err, "%s", input_error(r->in));
        } else if (r->prog) {
            /* The estimate counted every line; now the domains handed out are known, so
             * the progress ends at 100%, not 99.9% (invalid lines, duplicates). */
            progress_set_total(r->prog, (long long)input_get_counts(r->in)->domains);
        }
        return false;
    }
}

/* Writer thread: one row per finished domain. */
static bool sink_row(void *arg, const struct sts_result *res)
{
    struct scan_run *r = arg;
    struct store_row *row = store_row_build(res);
    if (!row) {
        snprintf(r->store_err, sizeof r->store_err, "out of memory building the row of %s",
                 res->domain);
        return false;
    }
    pthread_mutex_lock(&r->store_lock);
    int rc = store_write_row_owned(r->st, r->scan_id, row); /* the store frees the row */
    if (rc < 0)
        snprintf(r->store_err, sizeof r->store_err, "%s", store_error(r->st));
    pthread_mutex_unlock(&r->store_lock);
    if (rc < 0)
        return false;
    r->rows_written++;
    return true;
}

static void add_done(const char *domain, void *arg)
{
    struct scan_run *r = arg;
    if (input_set_add(r->done, domain) < 0)
        r->done_failed = true; /* a finished domain missing here would be scanned again */
}

static int inputs_json(const struct scan_options *o, struct sbuf *out)
{
    sbuf_putc(out, '[');
    for (size_t i = 0; i < o->n_args; i++) {
        char hex[65] = "", err[512];
        /* A pipe (-, <(zcat list.gz)) is read once, by the scan: it has no hash. */
        if (input_rereadable(o->args[i]) &&
            input_sha256_file(o->args[i], hex, err, sizeof err) < 0) {
            fprintf(stderr, "mtasts scan: %s\n", err);
            return -1;
        }
        sbuf_puts(out, i ? ",{\"name\":" : "{\"name\":");
        esc_json_str(out, o->args[i]);
        sbuf_puts(out, ",\"sha256\":");
        esc_json_str(out, hex[0] ? hex : NULL);
        sbuf_putc(out, '}');
    }
    sbuf_putc(out, ']');
    return out->oom ? -1 : 0;
}

/* Options that change verdicts: a resume under other values would mix rows made under other
 * rules into one scan, so resume refuses them (rate limits and windows: --dns-qps, --per-ip,
 * --per-ip-conns, --dns-inflight, --dns-inflight-min, --inflight, --https-conns; threads, the
 * resolver, --keep-certs, --smtp-conns and --ehlo may change; the EHLO name is not a verdict
 * input).
 * Keys of scan_options_json. "checks" holds smtp, smtp:all and dane too. */
static const struct store_option_key verdict_options[] = {
    {"checks", "--checks", NULL},
    {"smtp_timeout_s", "--smtp-timeout", "10"}, /* scans recorded before the SMTP stage */
    {"probe_orphans", "--probe-orphans", NULL},
    {"ca_file", "--ca-file", NULL},
    {"allow_private", "--allow-private", NULL},
    {"nat64_prefix", "--nat64-prefix", "[]"}, /* written only when given */
    {"timeout_s", "--timeout", NULL},
    {"connect_timeout_s", "--connect-timeout", NULL},
    {"dns_timeout_s", "--dns-timeout", NULL},
    {"dns_tries", "--dns-tries", NULL},
    {"domain_timeout_s", "--domain-timeout", "90"}, /* scans recorded before it existed */
    /* past it a fetch waiting for its turn at a busy address is https_timeout */
    {"per_ip_wait_s", "--per-ip-wait", "300"}, /* scans recorded before it existed */
};

static int begin_scan(struct scan_run *r)
{
    struct scan_options *o = r->opt;
    struct sbuf inputs = SBUF_INIT, options = SBUF_INIT;
    int rc = inputs_json(o, &inputs);
    scan_options_json(o, &options);
    struct store_scan_info info = {
        .tool_version = MTASTS_VERSION,
        .inputs_json = sbuf_str(&inputs),
        .options_json = sbuf_str(&options),
        .shard_index = o->sharded ? (int)o->shard_index : -1,
        .shard_count = o->sharded ? (int)o->shard_count : 0,
        .verdict_options = verdict_options,
        .n_verdict_options = sizeof verdict_options / sizeof verdict_options[0],
    };
    if (rc == 0 && o->resume) {
        /* The same work only: same shard, same lists, same verdict options. */
        rc = store_scan_resume_matching(r->st, o->scan_id, &info, &r->scan_id);
        if (rc < 0)
            fprintf(stderr, "mtasts scan: cannot resume: %s\n", store_error(r->st));
    } else if (rc == 0) {
        rc = store_scan_begin(r->st, &info, &r->scan_id);
        if (rc < 0)
            fprintf(stderr, "mtasts scan: %s\n", store_error(r->st));
    }
    sbuf_free(&inputs);
    sbuf_free(&options);
    if (rc < 0 || !o->resume)
        return rc;
    /* Sized once from the rows already written: no resize peak while loading them. */
    int64_t rows = store_scan_result_count(r->st, r->scan_id);
    r->done = input_set_new(rows > 0 ? (size_t)rows : 0);
    if (!r->done || store_scan_domains(r->st, r->scan_id, add_done, r) < 0 || r->done_failed) {
        fprintf(stderr, "mtasts scan: cannot load the finished domains: %s\n",
                r->done && !r->done_failed ? store_error(r->st) : "out of memory");
        return -1;
    }
    return 0;
}

/* One word for a POSIX shell: as is when it is made of safe characters, else single-quoted
 * (a list named "my list.csv" must survive being pasted back). */
static void put_shell_word(FILE *out, const char *w)
{
    bool plain = *w != '\0';
    for (const char *p = w; *p && plain; p++)
        plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                strchr("_-./:=+,@%", *p) != NULL;
    if (plain) {
        fputs(w, out);
        return;
    }
    fputc('\'', out);
    for (const char *p = w; *p; p++) {
        if (*p == '\'')
            fputs("'\\''", out);
        else
            fputc(*p, out);
    }
    fputc('\'', out);
}

static void print_resume_hint(int argc, char **argv, const struct scan_options *o)
{
    fprintf(stderr, "resume with: mtasts");
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--resume"))
            continue;
        fputc(' ', stderr);
        put_shell_word(stderr, argv[i]);
    }
    bool has_db = false;
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--db"))
            has_db = true;
    fprintf(stderr, " --resume");
    if (!has_db) {
        fprintf(stderr, " --db ");
        put_shell_word(stderr, o->db);
    }
    fputc('\n', stderr);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void print_summary(const struct scan_run *r, const struct scan_stats *stats,
                          const struct input_counts *c, double elapsed, bool interrupted,
                          int64_t total_rows)
{
    FILE *out = stderr;
    uint64_t selected = c->domains;
    fprintf(out, "scan %lld %s: %llu domains scanned in %.1f s (%.0f domains/s)\n",
            (long long)r->scan_id, interrupted ? "interrupted" : "complete",
            (unsigned long long)r->rows_written, elapsed,
            elapsed > 0 ? (double)r->rows_written / elapsed : 0.0);
    if (!interrupted && r->rows_written == selected)
        fprintf(out, "results written == inputs selected: %llu == %llu\n",
                (unsigned long long)r->rows_written, (unsigned long long)selected);
    else if (!interrupted)
        fprintf(out, "MISMATCH: results written %llu != inputs selected %llu\n",
                (unsigned long long)r->rows_written, (unsigned long long)selected);
    else
        fprintf(out, "results written %llu of %llu inputs selected so far\n",
                (unsigned long long)r->rows_written, (unsigned long long)selected);
    if (c->skipped)
        fprintf(out, "resumed: %llu domains already done, %lld results in the scan now\n",
                (unsigned long long)c->skipped, (long long)total_rows);
    fprintf(out, "by status:");
    for (int s = 0; s < STS_STATUS_COUNT; s++)
        fprintf(out, " %s %llu", sts_status_name((enum sts_status)s),
                (unsigned long long)stats->by_status[s]);
    fprintf(out, "\n");
    fprintf(out,
            "input: %llu lines, %llu invalid, %llu duplicates, %llu excluded, %llu other "
            "shards\n",
            (unsigned long long)c->lines, (unsigned long long)c->invalid,
            (unsigned long long)c->duplicates, (unsigned long long)c->excluded,
            (unsigned long long)c->other_shard);
    fprintf(out, "dns: %llu queries, %llu retries; https: %llu fetches\n",
            (unsigned long long)stats->dns_queries, (unsigned long long)stats->dns_retries,
            (unsigned long long)stats->https_fetches);
    if (stats->local_failures)
        fprintf(out,
                "local resource failures: %llu fetch attempts (EMFILE, ENFILE, ENOMEM: tried "
                "again); %llu domains left not checked (status dns_error)\n",
                (unsigned long long)stats->local_failures, (unsigned long long)stats->not_checked);
    if (stats->deadline_passed)
        fprintf(out,
                "domain deadline: %llu fetches never started within --domain-timeout (those "
                "domains not checked, status dns_error)\n",
                (unsigned long long)stats->deadline_passed);
    if (stats->perip_wait_passed)
        fprintf(out,
                "per-IP wait: %llu fetches never started within --per-ip-wait at a busy address "
                "(those domains not checked, status dns_error)\n",
                (unsigned long long)stats->perip_wait_passed);
    if (stats->alloc_failures)
        fprintf(out, "allocation failures: %llu (each domain concerned was scanned again)\n",
                (unsigned long long)stats->alloc_failures);
    if (stats->dnsw_epochs)
        fprintf(out,
                "dns window: final %llu (all workers); per worker min %llu, max %llu, mean %.0f; "
                "%llu cuts for losses, %llu for round-trip growth\n",
                (unsigned long long)stats->dns_window, (unsigned long long)stats->dnsw_min,
                (unsigned long long)stats->dnsw_max,
                (double)stats->dnsw_sum / (double)stats->dnsw_epochs,
                (unsigned long long)stats->dnsw_cuts_loss,
                (unsigned long long)stats->dnsw_cuts_latency);
}

/* The adaptive DNS window's history, stored with the scan's options ("dns_window"). Per-worker
 * figures: min, max and mean are of one worker's window; final is the sum over workers. */
static void note_dns_window(struct scan_run *r, const struct scan_stats *s)
{
    if (!s->dnsw_epochs)
        return;
    char json[512];
    snprintf(json, sizeof json,
             "{\"final\":%llu,\"worker_min\":%llu,\"worker_max\":%llu,\"worker_mean\":%.1f,"
             "\"epochs\":%llu,\"cuts_loss\":%llu,\"cuts_latency\":%llu,\"lost\":%llu}",
             (unsigned long long)s->dns_window, (unsigned long long)s->dnsw_min,
             (unsigned long long)s->dnsw_max, (double)s->dnsw_sum / (double)s->dnsw_epochs,
             (unsigned long long)s->dnsw_epochs, (unsigned long long)s->dnsw_cuts_loss,
             (unsigned long long)s->dnsw_cuts_latency, (unsigned long long)s->dnsw_lost);
    if (store_scan_note_option(r->st, r->scan_id, "dns_window", json) < 0)
        fprintf(stderr, "mtasts scan: %s\n", store_error(r->st));
}

static int open_inputs(struct scan_run *r, struct exclude_list **xl, struct input_options *io)
{
    struct scan_options *o = r->opt;
    char err[1024];
    if (o->exclude_file) {
        *xl = exclude_new();
        if (!*xl || exclude_load(*xl, o->exclude_file, err, sizeof err) < 0) {
            fprintf(stderr, "mtasts scan: %s\n", *xl ? err : "out of memory");
            return -1;
        }
    }
    memset(io, 0, sizeof *io);
    io->files = o->args;
    io->n_files = o->n_args;
    io->exclude = *xl;
    io->shard_index = o->shard_index;
    io->shard_count = o->sharded ? o->shard_count : 0;
    io->skip = skip_done;
    io->skip_arg = r;
    r->in = input_open(io, err, sizeof err);
    if (!r->in) {
        fprintf(stderr, "mtasts scan: %s\n", err);
        return -1;
    }
    return 0;
}

/* The progress total: an exact count when shard, exclude or resume drop domains (a full pass
 * over the lists first), else the cheap line count. -1 when unknown (stdin). */
static long long progress_total(const struct scan_run *r, const struct input_options *io)
{
    const struct scan_options *o = r->opt;
    if (o->sharded || o->exclude_file || o->resume)
        return input_count_selected(io);
    return input_estimate_total(o->args, o->n_args);
}

static int run_scan(struct scan_run *r, const struct input_options *io, int argc, char **argv)
{
    struct scan_options *o = r->opt;
    struct scan_stats stats;
    memset(&stats, 0, sizeof stats);
    char limits[256], err[1024];
    scan_options_limits(o, limits, sizeof limits);
    long long total = progress_total(r, io);
    struct progress_options popt = {.mode = o->progress,
                                    .out = stderr,
                                    .interval_s = 10,
                                    .total = total,
                                    .limits = limits,
                                    .smtp = (o->engine.checks & SCAN_CHECK_SMTP) != 0,
                                    .status_file = o->status_file};
    struct progress *prog = progress_start(&popt, &stats);
    r->prog = prog;
    install_signals();
    double t0 = now_s();
    int rc = engine_run(&o->engine, source_next, r, sink_row, r, &stats, err, sizeof err);
    double elapsed = now_s() - t0;
    r->prog = NULL;
    progress_stop(prog);
    if (rc < 0)
        fprintf(stderr, "mtasts scan: %s\n", err); /* setup failed: nothing was scanned */
    bool interrupted = rc < 0 || engine_stopped() || r->input_failed || r->store_err[0];
    if (r->input_failed)
        fprintf(stderr, "mtasts scan: reading the input failed: %s\n", r->input_err);
    if (r->store_err[0])
        fprintf(stderr, "mtasts scan: writing results failed: %s\n", r->store_err);
    const struct input_counts *c = input_get_counts(r->in);
    struct sbuf smtp = SBUF_INIT;
    if (o->engine.checks & (SCAN_CHECK_SMTP | SCAN_CHECK_DANE))
        scan_smtp_summary_json(&stats, &smtp);
    struct store_scan_counts counts = {
        .smtp_summary_json = smtp.len ? sbuf_str(&smtp) : NULL,
        .input_domains = (int64_t)(c->domains + c->skipped),
        .invalid_lines = (int64_t)c->invalid,
        .duplicates = (int64_t)c->duplicates,
        .excluded = (int64_t)c->excluded,
        .elapsed_s = elapsed,
    };
    note_dns_window(r, &stats);
    int frc =
        store_scan_finish(r->st, r->scan_id, interrupted ? "interrupted" : "complete", &counts);
    if (frc < 0)
        fprintf(stderr, "mtasts scan: %s\n", store_error(r->st));
    sbuf_free(&smtp);
    int64_t total_rows = store_scan_result_count(r->st, r->scan_id);
    print_summary(r, &stats, c, elapsed, interrupted, total_rows);
    if (o->engine.checks & (SCAN_CHECK_SMTP | SCAN_CHECK_DANE))
        scan_smtp_summary_print(&stats, stderr);
    if (r->write_errors)
        fprintf(stderr,
                "mtasts scan: recording %llu invalid lines met a store error (a line kept in "
                "the batch may still have been written by the final commit)\n",
                (unsigned long long)r->write_errors);
    if (rc < 0 && !engine_stopped())
        return 1; /* setup failed: nothing was scanned */
    if (interrupted) {
        print_resume_hint(argc, argv, o);
        return rc < 0 ? 1 : 130;
    }
    if (frc < 0 || r->write_errors)
        return 1;
    /* A binary file or a list of garbage: no valid name at all is an error, not a scan of
     * nothing (the invalid lines are stored: `mtasts report --section input_errors`). */
    if (c->domains + c->skipped + c->duplicates + c->excluded + c->other_shard == 0 &&
        c->invalid > 0) {
        fprintf(stderr,
                "mtasts scan: no valid domain name in the input (%llu invalid lines): is it "
                "a domain list?\n",
                (unsigned long long)c->invalid);
        return 1;
    }
    return 0;
}

int cmd_scan(int argc, char **argv)
{
    int status = 2;
    struct scan_options *o = scan_options_from_argv(SCAN_CMD_SCAN, argc, argv, &status);
    if (!o)
        return status;
    char err[1024];
    if (!o->contact && o->progress != PROGRESS_QUIET)
        fprintf(stderr,
                "mtasts scan: note: no --contact URL; the User-Agent is '%s'. "
                "Servers you scan cannot reach you: pass --contact URL for surveys.\n",
                o->user_agent);
    stop_signals_mask(SIG_BLOCK); /* until install_signals(): see there */
    struct scan_run r;
    memset(&r, 0, sizeof r);
    r.opt = o;
    pthread_mutex_init(&r.store_lock, NULL);
    int rc = 1;
    struct exclude_list *xl = NULL;
    struct input_options io;
    r.st = store_open(o->db, STORE_READ_WRITE, err, sizeof err);
    if (!r.st) {
        fprintf(stderr, "mtasts scan: %s\n", err);
        goto out;
    }
    /* Every list must be readable before a scan row is created: a missing list leaves no
     * 'interrupted' scan behind. */
    for (size_t i = 0; i < o->n_args; i++) {
        /* access(), not open(): a FIFO opened and closed here would lose its writer. */
        if (strcmp(o->args[i], "-") != 0 && access(o->args[i], R_OK) != 0) {
            fprintf(stderr, "mtasts scan: cannot read the list %s: %s\n", o->args[i],
                    strerror(errno));
            goto out;
        }
    }
    if (begin_scan(&r) < 0)
        goto out;
    if (open_inputs(&r, &xl, &io) < 0) {
        struct store_scan_counts none = {0};
        store_scan_finish(r.st, r.scan_id, "interrupted", &none);
        goto out;
    }
    rc = run_scan(&r, &io, argc, argv);
out:
    if (r.in)
        input_close(r.in);
    if (xl)
        exclude_free(xl);
    if (r.done)
        input_set_free(r.done);
    if (r.st)
        store_close(r.st);
    pthread_mutex_destroy(&r.store_lock);
    free(o);
    stop_signals_mask(SIG_UNBLOCK);
    return rc;
}
