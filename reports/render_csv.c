/* CSV renderer: one RFC 4180 table per report table; a percentage spans four columns. */
#include "reports/report.h"

#include <inttypes.h>
#include <string.h>

#include "lib/escape.h"
#include "reports/stats.h"

/* Every table is a block: a `# <table id>` line, the header, the rows, and a blank line
 * before the next block. With --section naming one table, only its header and rows: a
 * plain CSV file. */
static void csv_begin(struct report_out *o)
{
    (void)o;
}

static void csv_section(struct report_out *o, const char *id, const char *title)
{
    (void)o;
    (void)id;
    (void)title;
}

static void csv_note(struct report_out *o, const char *text)
{
    (void)o;
    (void)text;
}

static void csv_header(struct report_out *o, const char *name, const char *suffix)
{
    struct sbuf h = SBUF_INIT;
    sbuf_printf(&h, "%s%s", name, suffix);
    esc_csv(&o->buf, sbuf_str(&h));
    sbuf_free(&h);
}

static void csv_table_begin(struct report_out *o, const char *id, const char *title,
                            const struct report_col *cols, size_t ncols)
{
    (void)title;
    /* A table asked for by its own id is a plain CSV file; otherwise tables are blocks. */
    if (!o->exact_table) {
        if (o->rstate)
            sbuf_putc(&o->buf, '\n');
        sbuf_printf(&o->buf, "# %s\n", id);
        o->rstate = o; /* a table was printed: separate the next one */
    }
    for (size_t i = 0; i < ncols; i++) {
        if (i)
            sbuf_putc(&o->buf, ',');
        if (cols[i].kind == REPORT_PCT || cols[i].kind == REPORT_SHARE) {
            csv_header(o, cols[i].name, "_count");
            sbuf_putc(&o->buf, ',');
            csv_header(o, cols[i].name, "_of");
            sbuf_putc(&o->buf, ',');
            csv_header(o, cols[i].name, "_pct");
            if (cols[i].kind == REPORT_PCT) {
                sbuf_putc(&o->buf, ',');
                csv_header(o, cols[i].name, "_ci95_low");
                sbuf_putc(&o->buf, ',');
                csv_header(o, cols[i].name, "_ci95_high");
            }
        } else {
            esc_csv(&o->buf, cols[i].name);
        }
    }
    sbuf_puts(&o->buf, "\r\n");
}

static void csv_fraction(struct report_out *o, enum report_kind kind, const struct report_cell *c)
{
    sbuf_printf(&o->buf, "%" PRId64 ",%" PRId64 ",", c->n, c->den);
    if (c->den <= 0) {
        sbuf_puts(&o->buf, kind == REPORT_PCT ? ",," : "");
        return;
    }
    sbuf_printf(&o->buf, "%.4f", 100.0 * (double)c->n / (double)c->den);
    if (kind == REPORT_PCT) {
        double lo, hi;
        report_wilson(c->n, c->den, REPORT_Z95, &lo, &hi);
        sbuf_printf(&o->buf, ",%.4f,%.4f", 100.0 * lo, 100.0 * hi);
    }
}

static void csv_table_row(struct report_out *o, const struct report_cell *cells)
{
    for (size_t i = 0; i < o->ncols; i++) {
        if (i)
            sbuf_putc(&o->buf, ',');
        const struct report_cell *c = &cells[i];
        switch (o->cols[i].kind) {
        case REPORT_TEXT:
        case REPORT_LIST:
            esc_csv(&o->buf, c->s);
            break;
        case REPORT_INT:
            if (!c->null)
                sbuf_printf(&o->buf, "%" PRId64, c->n);
            break;
        case REPORT_REAL:
            if (!c->null)
                sbuf_printf(&o->buf, "%.4f", c->x);
            break;
        case REPORT_PCT:
        case REPORT_SHARE:
            csv_fraction(o, o->cols[i].kind, c);
            break;
        }
    }
    sbuf_puts(&o->buf, "\r\n");
}

static void csv_table_end(struct report_out *o)
{
    (void)o;
}

static void csv_chart(struct report_out *o, const struct report_chart *c)
{
    (void)o;
    (void)c;
}

static void csv_end(struct report_out *o)
{
    o->rstate = NULL;
}

const struct report_renderer report_render_csv = {
    .name = "csv",
    .help = "RFC 4180 tables, formula-safe cells, for a spreadsheet",
    .begin = csv_begin,
    .section = csv_section,
    .note = csv_note,
    .table_begin = csv_table_begin,
    .table_row = csv_table_row,
    .table_end = csv_table_end,
    .chart = csv_chart,
    .end = csv_end,
};
