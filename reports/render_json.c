/* JSON renderer: the summary events as the stable keys of reports/README.md, then every table
 * by id. */
#include "reports/report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"
#include "reports/stats.h"

#define REPORT_JSON_SCHEMA "mtasts-report/1"

#define JSON_DEPTH 8

/* Where the document is: the summary's open groups, then the tables object. */
struct json_state {
    int depth;                  /* open summary groups */
    bool first[JSON_DEPTH + 1]; /* nothing written yet at this depth (0: the top level) */
    bool list[JSON_DEPTH + 1];  /* the group at this depth is a list */
    bool tables_open, any_table, any_row;
};

static void key(struct sbuf *b, const char *k)
{
    esc_json_str(b, k);
    sbuf_putc(b, ':');
}

static void kv_str(struct sbuf *b, const char *k, const char *v)
{
    key(b, k);
    esc_json_str(b, v);
    sbuf_putc(b, ',');
}

/* {"count":n,"of":den,"pct":p,"ci95":[lo,hi]}; pct and ci95 null when den is 0. */
static void fraction(struct sbuf *b, int64_t n, int64_t den, bool ci)
{
    sbuf_printf(b, "{\"count\":%" PRId64 ",\"of\":%" PRId64 ",\"pct\":", n, den);
    if (den <= 0) {
        sbuf_puts(b, ci ? "null,\"ci95\":null}" : "null}");
        return;
    }
    sbuf_printf(b, "%.4f", 100.0 * (double)n / (double)den);
    if (ci) {
        double lo, hi;
        report_wilson(n, den, REPORT_Z95, &lo, &hi);
        sbuf_printf(b, ",\"ci95\":[%.4f,%.4f]", 100.0 * lo, 100.0 * hi);
    }
    sbuf_putc(b, '}');
}

/* One value, the same way in the summary and in table rows. */
static void json_cell(struct sbuf *b, enum report_kind kind, const struct report_cell *c)
{
    switch (kind) {
    case REPORT_TEXT:
        esc_json_str(b, c->s);
        break;
    case REPORT_INT:
        if (c->null)
            sbuf_puts(b, "null");
        else
            sbuf_printf(b, "%" PRId64, c->n);
        break;
    case REPORT_REAL:
        if (c->null)
            sbuf_puts(b, "null");
        else
            sbuf_printf(b, "%.4f", c->x);
        break;
    case REPORT_PCT:
        fraction(b, c->n, c->den, true);
        break;
    case REPORT_SHARE:
        fraction(b, c->n, c->den, false);
        break;
    case REPORT_LIST: {
        /* "a,b" -> ["a","b"]; empty or absent -> []. */
        sbuf_putc(b, '[');
        const char *p = c->s;
        bool first = true;
        while (p && *p) {
            size_t n = strcspn(p, ",");
            if (n > 0) {
                struct sbuf item = SBUF_INIT;
                sbuf_append(&item, p, n);
                if (!first)
                    sbuf_putc(b, ',');
                esc_json_str(b, sbuf_str(&item));
                if (item.oom)
                    b->oom = true;
                sbuf_free(&item);
                first = false;
            }
            p += n;
            if (*p == ',')
                p++;
        }
        sbuf_putc(b, ']');
        break;
    }
    }
}

/* Before a summary member: its separator and key. Top-level members each end with a comma
 * (the tables object always follows them); nested ones are separated by commas. */
static void member_begin(struct report_out *o, const char *k)
{
    struct json_state *j = o->rstate;
    if (j && j->depth > 0 && !j->first[j->depth])
        sbuf_putc(&o->buf, ',');
    if (j)
        j->first[j->depth] = false;
    if (k && !(j && j->depth > 0 && j->list[j->depth]))
        key(&o->buf, k);
}

static void member_end(struct report_out *o)
{
    struct json_state *j = o->rstate;
    if (!j || j->depth == 0)
        sbuf_putc(&o->buf, ',');
}

static void json_group_begin(struct report_out *o, const char *k, bool list)
{
    struct json_state *j = o->rstate;
    member_begin(o, k);
    sbuf_putc(&o->buf, list ? '[' : '{');
    if (j && j->depth < JSON_DEPTH) {
        j->depth++;
        j->first[j->depth] = true;
        j->list[j->depth] = list;
    }
}

static void json_group_end(struct report_out *o)
{
    struct json_state *j = o->rstate;
    bool list = j && j->depth > 0 && j->list[j->depth];
    sbuf_putc(&o->buf, list ? ']' : '}');
    if (j && j->depth > 0)
        j->depth--;
    member_end(o);
}

static void json_figure(struct report_out *o, const char *k, enum report_kind kind,
                        const struct report_cell *c)
{
    member_begin(o, k);
    json_cell(&o->buf, kind, c);
    member_end(o);
}

/* The tables object follows the summary: opened at the first table, or at the end. */
static void open_tables(struct report_out *o)
{
    struct json_state *j = o->rstate;
    if (j && j->tables_open)
        return;
    if (j)
        j->tables_open = true;
    key(&o->buf, "tables");
    sbuf_putc(&o->buf, '{');
}

static void json_begin(struct report_out *o)
{
    struct json_state *j = calloc(1, sizeof *j);
    o->rstate = j;
    if (!j)
        o->buf.oom = true;
    struct sbuf *b = &o->buf;
    sbuf_putc(b, '{');
    kv_str(b, "schema", REPORT_JSON_SCHEMA);
    kv_str(b, "kind", o->kind);
    if (o->timestamp)
        kv_str(b, "generated", o->timestamp);
}

static void json_section(struct report_out *o, const char *id, const char *title)
{
    (void)o;
    (void)id;
    (void)title;
}

static void json_note(struct report_out *o, const char *text)
{
    (void)o;
    (void)text;
}

static void json_table_begin(struct report_out *o, const char *id, const char *title,
                             const struct report_col *cols, size_t ncols)
{
    struct json_state *j = o->rstate;
    struct sbuf *b = &o->buf;
    open_tables(o);
    if (j && j->any_table)
        sbuf_putc(b, ',');
    if (j) {
        j->any_table = true;
        j->any_row = false;
    }
    key(b, id);
    sbuf_putc(b, '{');
    kv_str(b, "section", o->section_id);
    kv_str(b, "title", title ? title : o->section_title);
    key(b, "columns");
    sbuf_putc(b, '[');
    for (size_t i = 0; i < ncols; i++) {
        if (i)
            sbuf_putc(b, ',');
        esc_json_str(b, cols[i].name);
    }
    sbuf_puts(b, "],");
    key(b, "rows");
    sbuf_putc(b, '[');
}

static void json_table_row(struct report_out *o, const struct report_cell *cells)
{
    struct json_state *j = o->rstate;
    struct sbuf *b = &o->buf;
    if (j && j->any_row)
        sbuf_putc(b, ',');
    if (j)
        j->any_row = true;
    sbuf_putc(b, '{');
    for (size_t i = 0; i < o->ncols; i++) {
        const struct report_cell *c = &cells[i];
        if (i)
            sbuf_putc(b, ',');
        key(b, o->cols[i].name);
        json_cell(b, o->cols[i].kind, c);
    }
    sbuf_putc(b, '}');
}

static void json_table_end(struct report_out *o)
{
    sbuf_puts(&o->buf, "]}");
}

static void json_chart(struct report_out *o, const struct report_chart *c)
{
    (void)o;
    (void)c;
}

static void json_end(struct report_out *o)
{
    open_tables(o);
    sbuf_puts(&o->buf, "}}\n");
    free(o->rstate);
    o->rstate = NULL;
}

const struct report_renderer report_render_json = {
    .name = "json",
    .help = "one JSON document: the stable summary keys, then every table by id",
    .begin = json_begin,
    .section = json_section,
    .note = json_note,
    .table_begin = json_table_begin,
    .table_row = json_table_row,
    .table_end = json_table_end,
    .chart = json_chart,
    .end = json_end,
    .group_begin = json_group_begin,
    .group_end = json_group_end,
    .figure = json_figure,
};
