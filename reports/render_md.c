/* Markdown renderer: sections as headings, tables as pipe tables, remote text escaped. */
#include "reports/report.h"

#include <string.h>
#include <strings.h>

#include "lib/escape.h"

/* Markdown passes HTML through, so text goes through the HTML escaper; then Markdown's own
 * punctuation is backslash-escaped, so a remote "[x](https://...)" or "*x*" stays text; a
 * pipe would end the cell and a newline the row. ':' and '@' are escaped too, and the dot of
 * "www.", so a remote URL, address or www. name is not autolinked (GFM's extension). */
static void md_text(struct report_out *o, const char *s)
{
    struct sbuf tmp = SBUF_INIT;
    esc_html(&tmp, s);
    const char *start = sbuf_str(&tmp);
    for (const char *p = start; *p; p++) {
        /* Quotes need no escaping in Markdown text: `["127.0.0.1"]`, not &quot;. */
        if (!strncmp(p, "&quot;", 6) || !strncmp(p, "&#39;", 5)) {
            sbuf_putc(&o->buf, p[1] == 'q' ? '"' : '\'');
            p += p[1] == 'q' ? 5 : 4;
            continue;
        }
        bool www_dot = *p == '.' && p - start >= 3 && !strncasecmp(p - 3, "www", 3);
        if (strchr("\\`*_[]|~:@", *p) || www_dot)
            sbuf_printf(&o->buf, "\\%c", *p);
        else if (*p == '\n' || *p == '\r')
            sbuf_putc(&o->buf, ' ');
        else
            sbuf_putc(&o->buf, *p);
    }
    if (tmp.oom)
        o->buf.oom = true;
    sbuf_free(&tmp);
}

static void md_begin(struct report_out *o)
{
    if (o->title) {
        sbuf_puts(&o->buf, "# ");
        md_text(o, o->title);
        sbuf_putc(&o->buf, '\n');
    }
    if (o->timestamp)
        sbuf_printf(&o->buf, "\nGenerated %s\n", o->timestamp);
}

static void md_section(struct report_out *o, const char *id, const char *title)
{
    (void)id;
    sbuf_puts(&o->buf, "\n## ");
    md_text(o, title);
    sbuf_putc(&o->buf, '\n');
}

static void md_note(struct report_out *o, const char *text)
{
    sbuf_putc(&o->buf, '\n');
    md_text(o, text);
    sbuf_putc(&o->buf, '\n');
}

static void md_table_begin(struct report_out *o, const char *id, const char *title,
                           const struct report_col *cols, size_t ncols)
{
    (void)id;
    if (title) {
        sbuf_puts(&o->buf, "\n**");
        md_text(o, title);
        sbuf_puts(&o->buf, "**\n");
    }
    sbuf_puts(&o->buf, "\n|");
    for (size_t i = 0; i < ncols; i++) {
        sbuf_putc(&o->buf, ' ');
        md_text(o, cols[i].label);
        sbuf_puts(&o->buf, " |");
    }
    sbuf_puts(&o->buf, "\n|");
    for (size_t i = 0; i < ncols; i++)
        sbuf_puts(&o->buf, (cols[i].kind == REPORT_TEXT || cols[i].kind == REPORT_LIST)
                               ? " --- |"
                               : " ---: |");
    sbuf_putc(&o->buf, '\n');
}

static void md_table_row(struct report_out *o, const struct report_cell *cells)
{
    struct sbuf cell = SBUF_INIT;
    sbuf_putc(&o->buf, '|');
    for (size_t i = 0; i < o->ncols; i++) {
        sbuf_reset(&cell);
        report_cell_format(&cell, o->cols[i].kind, &cells[i]);
        sbuf_putc(&o->buf, ' ');
        md_text(o, sbuf_str(&cell));
        sbuf_puts(&o->buf, " |");
    }
    sbuf_putc(&o->buf, '\n');
    if (cell.oom)
        o->buf.oom = true;
    sbuf_free(&cell);
}

static void md_table_end(struct report_out *o)
{
    if (o->rows == 0)
        sbuf_puts(&o->buf, "\n(none)\n");
}

static void md_chart(struct report_out *o, const struct report_chart *c)
{
    (void)o;
    (void)c;
}

static void md_end(struct report_out *o)
{
    (void)o;
}

const struct report_renderer report_render_md = {
    .name = "md",
    .help = "Markdown tables, for a README or a wiki",
    .begin = md_begin,
    .section = md_section,
    .note = md_note,
    .table_begin = md_table_begin,
    .table_row = md_table_row,
    .table_end = md_table_end,
    .chart = md_chart,
    .end = md_end,
};
