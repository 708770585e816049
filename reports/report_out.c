/* The output dispatcher: passes document events to the chosen renderer, applies --section. */
#include "reports/report.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "reports/stats.h"

#define FLUSH_AT 65536

static const struct report_renderer *const renderers[] = {&report_render_text, &report_render_md,
                                                          &report_render_csv, &report_render_json,
                                                          &report_render_html};

const struct report_renderer *report_renderer_at(size_t i)
{
    return i < sizeof renderers / sizeof renderers[0] ? renderers[i] : NULL;
}

const struct report_renderer *report_renderer_find(const char *name)
{
    const struct report_renderer *r;
    for (size_t i = 0; (r = report_renderer_at(i)) != NULL; i++)
        if (!strcmp(r->name, name))
            return r;
    return NULL;
}

void report_renderer_names(char *buf, size_t len)
{
    size_t off = 0;
    const struct report_renderer *r;
    if (len)
        buf[0] = '\0';
    for (size_t i = 0; (r = report_renderer_at(i)) != NULL && off < len; i++) {
        int n = snprintf(buf + off, len - off, "%s%s", i ? ", " : "", r->name);
        off += n > 0 ? (size_t)n : 0;
    }
}

void report_out_init(struct report_out *o, const struct report_renderer *r, FILE *f,
                     const char *kind, const char *title)
{
    memset(o, 0, sizeof *o);
    o->r = r;
    o->f = f;
    o->kind = kind;
    o->title = title;
}

void report_out_maybe_flush(struct report_out *o)
{
    if (o->buf.len < FLUSH_AT)
        return;
    if (!o->buf.oom && fwrite(o->buf.data, 1, o->buf.len, o->f) != o->buf.len)
        o->write_error = true;
    sbuf_reset(&o->buf);
}

void report_out_begin(struct report_out *o)
{
    o->begun = true;
    o->r->begin(o);
}

/* With --section NAME: a table whose id is NAME; else, in a section whose id is NAME, every
 * table. A name that is both (the first table of a section is often named like it) selects
 * the table alone: tables are checked in order, and the same-named table comes first. */
static bool wanted(struct report_out *o, const char *table_id)
{
    if (!o->only)
        return true;
    if (table_id && !strcmp(o->only, table_id)) {
        o->exact_table = true;
        return true;
    }
    return !o->exact_table && o->section_id && !strcmp(o->only, o->section_id);
}

void report_out_section(struct report_out *o, const char *id, const char *title)
{
    o->section_id = id;
    o->section_title = title;
    o->section_open = false;
}

/* Sections are opened lazily, so a filtered-out section leaves no heading behind. */
static void open_section(struct report_out *o)
{
    if (o->section_open)
        return;
    o->section_open = true;
    o->r->section(o, o->section_id, o->section_title);
}

void report_out_note(struct report_out *o, const char *fmt, ...)
{
    if (o->only && !(o->section_id && !strcmp(o->only, o->section_id)))
        return;
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    open_section(o);
    o->r->note(o, text);
    report_out_maybe_flush(o);
}

void report_out_table_begin(struct report_out *o, const char *id, const char *title,
                            const struct report_col *cols, size_t ncols)
{
    o->table_skip = !wanted(o, id);
    if (o->table_skip)
        return;
    o->matched = true;
    o->cols = cols;
    o->ncols = ncols;
    o->rows = 0;
    open_section(o);
    o->r->table_begin(o, id, title, cols, ncols);
}

void report_out_row(struct report_out *o, const struct report_cell *cells)
{
    if (o->table_skip)
        return;
    o->rows++;
    o->r->table_row(o, cells);
    report_out_maybe_flush(o);
}

void report_out_table_end(struct report_out *o)
{
    if (o->table_skip) {
        o->table_skip = false;
        return;
    }
    o->r->table_end(o);
    report_out_maybe_flush(o);
}

void report_out_chart(struct report_out *o, const struct report_chart *c)
{
    if (!wanted(o, c->id))
        return;
    open_section(o);
    o->r->chart(o, c);
    report_out_maybe_flush(o);
}

void report_out_chart_styled(struct report_out *o, const struct report_chart *c,
                             const struct report_chart_style *style)
{
    o->chart_style = style;
    report_out_chart(o, c);
    o->chart_style = NULL;
}

static bool summary_wanted(const struct report_out *o)
{
    return !o->only && o->r->figure;
}

void report_out_group(struct report_out *o, const char *key)
{
    if (summary_wanted(o))
        o->r->group_begin(o, key, false);
}

void report_out_list(struct report_out *o, const char *key)
{
    if (summary_wanted(o))
        o->r->group_begin(o, key, true);
}

void report_out_group_end(struct report_out *o)
{
    if (summary_wanted(o))
        o->r->group_end(o);
}

void report_out_figure(struct report_out *o, const char *key, enum report_kind kind,
                       struct report_cell c)
{
    if (!summary_wanted(o))
        return;
    o->r->figure(o, key, kind, &c);
    report_out_maybe_flush(o);
}

int report_out_finish(struct report_out *o)
{
    o->r->end(o);
    if (o->buf.oom) {
        o->write_error = true;
    } else if (o->buf.len && fwrite(o->buf.data, 1, o->buf.len, o->f) != o->buf.len) {
        o->write_error = true;
    }
    if (fflush(o->f) != 0 || ferror(o->f))
        o->write_error = true;
    sbuf_free(&o->buf);
    return o->write_error ? -1 : 0;
}

void report_out_discard(struct report_out *o)
{
    if (o->begun)
        o->r->end(o); /* frees renderer state; the buffered output is dropped */
    sbuf_free(&o->buf);
}

struct report_cell report_text(const char *s)
{
    return (struct report_cell){.s = s, .null = s == NULL};
}

struct report_cell report_int(int64_t n)
{
    return (struct report_cell){.n = n};
}

struct report_cell report_real(double x)
{
    return (struct report_cell){.x = x};
}

struct report_cell report_pct(int64_t n, int64_t den)
{
    return (struct report_cell){.n = n, .den = den, .null = den <= 0};
}

struct report_cell report_share(int64_t n, int64_t den)
{
    return (struct report_cell){.n = n, .den = den, .null = den <= 0};
}

struct report_cell report_null(void)
{
    return (struct report_cell){.null = true};
}

void report_cell_format(struct sbuf *b, enum report_kind kind, const struct report_cell *c)
{
    if (kind == REPORT_TEXT || kind == REPORT_LIST) {
        sbuf_puts(b, c->s ? c->s : "");
        return;
    }
    if (c->null) {
        sbuf_puts(b, kind == REPORT_PCT || kind == REPORT_SHARE ? "n/a" : "-");
        return;
    }
    switch (kind) {
    case REPORT_INT:
        sbuf_printf(b, "%" PRId64, c->n);
        break;
    case REPORT_REAL:
        sbuf_printf(b, "%.1f", c->x);
        break;
    case REPORT_SHARE:
        sbuf_printf(b, "%.1f%%", 100.0 * (double)c->n / (double)c->den);
        break;
    case REPORT_PCT: {
        double lo, hi;
        report_wilson(c->n, c->den, REPORT_Z95, &lo, &hi);
        sbuf_printf(b, "%.2f%% [%.2f, %.2f]", 100.0 * (double)c->n / (double)c->den, 100.0 * lo,
                    100.0 * hi);
        break;
    }
    default:
        break;
    }
}

void report_format_date(int64_t t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(buf, len, "%Y-%m-%d", &tm) == 0)
        snprintf(buf, len, "%" PRId64, t);
}

void report_format_time(int64_t t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "%" PRId64, t);
}
