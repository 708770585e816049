/* The reader of domain lists (input.h): one file after another, each line split,
 * normalised and filtered (shard, exclude, dedup, skip), with the counts of every outcome. */
#include "scanner/input/input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scanner/input/exclude.h"
#include "scanner/input/shard.h"

struct input {
    struct input_options opt;
    size_t file; /* index of the file being read */
    bool file_open;
    bool done;
    enum input_kind final; /* INPUT_END or INPUT_ERROR once done */
    struct input_source src;
    char line[INPUT_LINE_MAX + 1];
    size_t line_len;
    bool line_too_long;
    char text[INPUT_TEXT_MAX + 1];
    char domain[DOMAIN_NAME_BUFSZ];
    struct input_set *seen;
    struct input_counts counts;
    char err[512];
};

/* The dedup set's size: the caller's hint, else a count of the lists' candidate lines (a
 * quick pass, no normalisation) divided among the shards with 5% slack for the binomial
 * spread of shard sizes. Sizing once avoids the resize peak (old and new tables at once). */
static size_t dedup_hint(const struct input_options *opt)
{
    if (opt->expected_domains)
        return opt->expected_domains;
    long long est = input_estimate_total(opt->files, opt->n_files);
    if (est <= 0)
        return 0;
    unsigned shards = opt->shard_count > 1 ? opt->shard_count : 1;
    size_t per = (size_t)est / shards;
    return per + per / 20 + 1024;
}

struct input *input_open(const struct input_options *opt, char *err, size_t errlen)
{
    size_t stdin_uses = 0;
    for (size_t i = 0; i < opt->n_files; i++) {
        const char *name = opt->files[i];
        if (!strcmp(name, "-")) {
            if (++stdin_uses > 1) {
                snprintf(err, errlen, "stdin (-) given more than once");
                return NULL;
            }
            continue;
        }
        struct stat st;
        if (stat(name, &st) != 0) {
            input_source_error(err, errlen, name, strerror(errno));
            return NULL;
        }
        if (S_ISDIR(st.st_mode)) {
            input_source_error(err, errlen, name, "is a directory, not a domain list");
            return NULL;
        }
        if (access(name, R_OK) != 0) {
            input_source_error(err, errlen, name, strerror(errno));
            return NULL;
        }
    }
    struct input *in = calloc(1, sizeof *in);
    if (!in) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    in->opt = *opt;
    in->src.fd = -1;
    in->seen = input_set_new(dedup_hint(opt));
    if (!in->seen) {
        free(in);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return in;
}

void input_close(struct input *in)
{
    if (!in)
        return;
    if (in->file_open)
        input_source_close(&in->src);
    input_set_free(in->seen);
    free(in);
}

const struct input_counts *input_get_counts(const struct input *in)
{
    return &in->counts;
}

const char *input_error(const struct input *in)
{
    return in->err;
}

size_t input_dedup_bytes(const struct input *in)
{
    return input_set_bytes(in->seen);
}

/* Reads the next raw line of the current file into in->line. Returns 1, 0 at the end of the
 * file, -1 on error. */
static int read_line(struct input *in)
{
    return input_source_read_line(&in->src, in->line, INPUT_LINE_MAX, &in->line_len,
                                  &in->line_too_long, in->err, sizeof in->err);
}

static void set_text(struct input *in)
{
    size_t n = in->line_len < INPUT_TEXT_MAX ? in->line_len : INPUT_TEXT_MAX;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in->line[i];
        in->text[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    in->text[n] = '\0';
}

static enum input_kind bad_line(struct input *in, struct input_entry *e, const char *reason)
{
    in->counts.invalid++;
    set_text(in);
    e->kind = INPUT_BAD_LINE;
    e->text = in->text;
    e->reason = reason;
    return INPUT_BAD_LINE;
}

/* Applies shard, exclude, dedup and skip to a normalised domain: true when it is returned. */
static bool passes_filters(struct input *in, enum input_kind *fail)
{
    const struct input_options *o = &in->opt;
    *fail = INPUT_END;
    if (o->shard_count > 1 && shard_of(in->domain, o->shard_count) != o->shard_index) {
        in->counts.other_shard++;
        return false;
    }
    if (o->exclude && exclude_match(o->exclude, in->domain)) {
        in->counts.excluded++;
        return false;
    }
    int added = input_set_add(in->seen, in->domain);
    if (added < 0) {
        snprintf(in->err, sizeof in->err, "out of memory for the duplicate set (%zu domains)",
                 input_set_count(in->seen));
        *fail = INPUT_ERROR;
        return false;
    }
    if (added == 0) {
        in->counts.duplicates++;
        return false;
    }
    if (o->skip && o->skip(o->skip_arg, in->domain)) {
        in->counts.skipped++;
        return false;
    }
    return true;
}

static enum input_kind finish(struct input *in, struct input_entry *e, enum input_kind k)
{
    if (in->file_open)
        input_source_close(&in->src);
    in->file_open = false;
    in->done = true;
    in->final = k;
    e->kind = k;
    return k;
}

/* Opens the next file; false when there is none or on error (in->final set). */
static bool next_file(struct input *in, struct input_entry *e)
{
    if (in->file_open) {
        input_source_close(&in->src);
        in->file_open = false;
        in->file++;
    }
    if (in->file >= in->opt.n_files) {
        finish(in, e, INPUT_END);
        return false;
    }
    if (input_source_open(&in->src, in->opt.files[in->file], in->err, sizeof in->err) < 0) {
        finish(in, e, INPUT_ERROR);
        return false;
    }
    in->file_open = true;
    return true;
}

enum input_kind input_next(struct input *in, struct input_entry *e)
{
    memset(e, 0, sizeof *e);
    e->rank = -1;
    if (in->done) {
        e->kind = in->final;
        return in->final;
    }
    for (;;) {
        if (!in->file_open && !next_file(in, e))
            return e->kind;
        int rc = read_line(in);
        if (rc < 0)
            return finish(in, e, INPUT_ERROR);
        if (rc == 0) {
            if (!next_file(in, e))
                return e->kind;
            continue;
        }
        in->src.line++;
        in->counts.lines++;
        e->file = in->src.name;
        e->line = in->src.line;
        if (in->line_too_long)
            return bad_line(in, e, "line longer than 4096 bytes");
        struct input_line_fields f;
        enum input_line_kind k = input_split_line(in->line, in->line_len, !in->src.seen_data, &f);
        if (k == INPUT_LINE_SKIP)
            continue;
        in->src.seen_data = true;
        if (k == INPUT_LINE_HEADER) {
            in->counts.headers++;
            continue;
        }
        if (k == INPUT_LINE_BAD)
            return bad_line(in, e, f.reason);
        const char *reason;
        if (domain_normalize(f.domain, f.domain_len, in->domain, sizeof in->domain, &reason))
            return bad_line(in, e, reason);
        enum input_kind fail;
        if (!passes_filters(in, &fail)) {
            if (fail == INPUT_ERROR)
                return finish(in, e, INPUT_ERROR);
            continue;
        }
        in->counts.domains++;
        e->kind = INPUT_DOMAIN;
        e->domain = in->domain;
        e->rank = f.rank;
        return INPUT_DOMAIN;
    }
}

long long input_count_selected(const struct input_options *opt)
{
    for (size_t i = 0; i < opt->n_files; i++)
        if (!input_rereadable(opt->files[i]))
            return -1;
    char err[256];
    struct input *in = input_open(opt, err, sizeof err);
    if (!in)
        return -1;
    struct input_entry e;
    enum input_kind k;
    while ((k = input_next(in, &e)) == INPUT_DOMAIN || k == INPUT_BAD_LINE)
        ;
    long long n = k == INPUT_END ? (long long)in->counts.domains : -1;
    input_close(in);
    return n;
}
