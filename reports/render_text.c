/* Plain-text renderer: headed sections and aligned tables for a terminal or a log. */
#include "reports/report.h"

#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"

/* Column widths come from the first rows; later rows (a long worklist) stream with them. */
#define WIDTH_ROWS 1000
#define MAX_COL_WIDTH 60

struct text_state {
    char **cells; /* buffered rows x ncols, formatted */
    size_t nrows;
    size_t *width;
    bool streaming;
};

/* Display width of UTF-8 text: one column per code point. */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

/* Remote bytes must not drive the terminal: control characters (C0, DEL, C1) and invalid
 * UTF-8 become '?' (esc_text). */
static char *format_cell(const struct report_col *col, const struct report_cell *c)
{
    struct sbuf raw = SBUF_INIT, b = SBUF_INIT;
    report_cell_format(&raw, col->kind, c);
    esc_text(&b, sbuf_str(&raw));
    bool oom = raw.oom || b.oom;
    sbuf_free(&raw);
    if (oom) {
        sbuf_free(&b);
        return NULL;
    }
    return b.data ? b.data : strdup("");
}

static void text_begin(struct report_out *o)
{
    o->rstate = calloc(1, sizeof(struct text_state));
    if (!o->rstate)
        o->buf.oom = true;
    if (o->title) {
        sbuf_printf(&o->buf, "%s\n", o->title);
        for (size_t i = text_width(o->title); i > 0; i--)
            sbuf_putc(&o->buf, '=');
        sbuf_putc(&o->buf, '\n');
    }
    if (o->timestamp)
        sbuf_printf(&o->buf, "generated %s\n", o->timestamp);
}

static void text_section(struct report_out *o, const char *id, const char *title)
{
    (void)id;
    sbuf_printf(&o->buf, "\n%s\n", title);
    for (size_t i = text_width(title); i > 0; i--)
        sbuf_putc(&o->buf, '-');
    sbuf_putc(&o->buf, '\n');
}

static void text_note(struct report_out *o, const char *text)
{
    sbuf_printf(&o->buf, "\n%s\n", text);
}

static void text_table_begin(struct report_out *o, const char *id, const char *title,
                             const struct report_col *cols, size_t ncols)
{
    (void)id;
    struct text_state *t = o->rstate;
    if (!t)
        return;
    if (title)
        sbuf_printf(&o->buf, "\n%s:\n", title);
    t->width = calloc(ncols, sizeof *t->width);
    t->cells = calloc(WIDTH_ROWS * ncols, sizeof *t->cells);
    t->nrows = 0;
    t->streaming = false;
    if (!t->width || !t->cells) {
        o->buf.oom = true;
        return;
    }
    for (size_t i = 0; i < ncols; i++)
        t->width[i] = text_width(cols[i].label);
}

static void put_padded(struct report_out *o, const char *s, size_t width, bool right, bool last)
{
    size_t w = text_width(s);
    size_t pad = w < width ? width - w : 0;
    if (right)
        for (size_t i = 0; i < pad; i++)
            sbuf_putc(&o->buf, ' ');
    sbuf_puts(&o->buf, s);
    if (!right && !last)
        for (size_t i = 0; i < pad; i++)
            sbuf_putc(&o->buf, ' ');
}

static void put_line(struct report_out *o, char *const *cells)
{
    struct text_state *t = o->rstate;
    for (size_t i = 0; i < o->ncols; i++) {
        if (i)
            sbuf_puts(&o->buf, "  ");
        put_padded(o, cells[i] ? cells[i] : "", t->width[i],
                   o->cols[i].kind != REPORT_TEXT && o->cols[i].kind != REPORT_LIST,
                   i + 1 == o->ncols);
    }
    sbuf_putc(&o->buf, '\n');
}

/* Prints the heading and the buffered rows, then switches to streaming. */
static void flush_buffered(struct report_out *o)
{
    struct text_state *t = o->rstate;
    char *heading[64] = {0};
    size_t n = o->ncols < 64 ? o->ncols : 64;
    for (size_t i = 0; i < n; i++)
        heading[i] = (char *)o->cols[i].label;
    put_line(o, heading);
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_puts(&o->buf, "  ");
        for (size_t k = 0; k < t->width[i]; k++)
            sbuf_putc(&o->buf, '-');
    }
    sbuf_putc(&o->buf, '\n');
    for (size_t r = 0; r < t->nrows; r++) {
        put_line(o, &t->cells[r * o->ncols]);
        for (size_t i = 0; i < o->ncols; i++) {
            free(t->cells[r * o->ncols + i]);
            t->cells[r * o->ncols + i] = NULL;
        }
    }
    t->nrows = 0;
    t->streaming = true;
}

static void text_table_row(struct report_out *o, const struct report_cell *cells)
{
    struct text_state *t = o->rstate;
    if (!t || !t->cells || o->ncols > 64)
        return;
    char *line[64];
    for (size_t i = 0; i < o->ncols; i++) {
        line[i] = format_cell(&o->cols[i], &cells[i]);
        if (!line[i])
            o->buf.oom = true;
    }
    if (t->streaming) {
        put_line(o, line);
        for (size_t i = 0; i < o->ncols; i++)
            free(line[i]);
        return;
    }
    for (size_t i = 0; i < o->ncols; i++) {
        size_t w = line[i] ? text_width(line[i]) : 0;
        if (w > t->width[i])
            t->width[i] = w < MAX_COL_WIDTH ? w : MAX_COL_WIDTH;
        t->cells[t->nrows * o->ncols + i] = line[i];
    }
    if (++t->nrows == WIDTH_ROWS)
        flush_buffered(o);
}

static void text_table_end(struct report_out *o)
{
    struct text_state *t = o->rstate;
    if (!t || !t->cells)
        return;
    if (!t->streaming)
        flush_buffered(o);
    if (o->rows == 0)
        sbuf_puts(&o->buf, "(none)\n");
    free(t->cells);
    free(t->width);
    t->cells = NULL;
    t->width = NULL;
}

static void text_chart(struct report_out *o, const struct report_chart *c)
{
    (void)o;
    (void)c; /* the tables carry the same figures */
}

static void text_end(struct report_out *o)
{
    free(o->rstate);
    o->rstate = NULL;
}

const struct report_renderer report_render_text = {
    .name = "text",
    .help = "headed sections and aligned tables, for a terminal or a log",
    .begin = text_begin,
    .section = text_section,
    .note = text_note,
    .table_begin = text_table_begin,
    .table_row = text_table_row,
    .table_end = text_table_end,
    .chart = text_chart,
    .end = text_end,
};
