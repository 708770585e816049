/* HTML renderer: one self-contained page (inline CSS and SVG, no external resource). */
#include "reports/report.h"

#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"
#include "reports/html_worklist.h"
#include "reports/svg_chart.h"

static const char style[] =
    "body{font-family:'DejaVu Sans',Arial,sans-serif;margin:2em auto;max-width:1100px;"
    "color:#1a202c;font-size:14px}"
    "h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #cbd5e0;margin-top:2em}"
    "h3{font-size:1em}"
    "table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #e2e8f0;"
    "padding:3px 8px;vertical-align:top;max-width:40em;overflow-wrap:break-word}"
    /* Words never break inside (no `domain s`, `inv alid`): headers wrap between words,
     * cells only when one word is longer than the column may grow; wide tables scroll. */
    "th{background:#edf2f7;text-align:left;word-break:keep-all;hyphens:none}"
    "div.tw{overflow-x:auto;max-width:100%}"
    "th[tabindex]{cursor:pointer}#wl-controls{margin:.5em 0}"
    "#t-domains td:nth-last-child(2){min-width:14em}#t-domains td:last-child{min-width:24em}"
    "td.n{text-align:right;white-space:nowrap}td.w,span.w{white-space:nowrap}p.note{color:#4a5568;"
    "margin:.3em 0}"
    "svg.chart{display:block;margin:.4em 0}svg.chart text{font-size:12px;fill:#2d3748}"
    "figure{margin:1em 0}figcaption{font-weight:bold;color:#2d3748}"
    /* The contents are written last (sections stream) and shown after the heading. */
    "body{display:flex;flex-direction:column}body>h1,body>p.note{order:-2}"
    "nav.toc{order:-1;margin:.5em 0;line-height:1.8}nav.toc a{margin-right:1em;white-space:nowrap}";

/* Links to the sections, collected while they stream. */
struct html_state {
    struct sbuf toc;
    struct html_worklist *wl; /* the per-domain table while it streams (html_worklist.c) */
    bool wl_active;
};

static bool is_worklist(const struct report_out *o)
{
    return o->kind && !strcmp(o->kind, "per_domain");
}

static void html_begin(struct report_out *o)
{
    o->rstate = calloc(1, sizeof(struct html_state));
    if (!o->rstate)
        o->buf.oom = true;
    struct sbuf *b = &o->buf;
    sbuf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                 "style-src 'unsafe-inline'; img-src data:");
    /* The worklist's own script, by its hash: nothing else may run, nothing is fetched. */
    if (is_worklist(o))
        sbuf_printf(b, "; script-src %s", html_worklist_script_csp());
    sbuf_puts(b, "\">\n<title>");
    esc_html(b, o->title ? o->title : "mtasts report");
    sbuf_printf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", style);
    esc_html(b, o->title ? o->title : "mtasts report");
    sbuf_puts(b, "</h1>\n");
    if (o->timestamp) {
        sbuf_puts(b, "<p class=\"note\">Generated ");
        esc_html(b, o->timestamp);
        sbuf_puts(b, "</p>\n");
    }
}

static void html_section(struct report_out *o, const char *id, const char *title)
{
    if (o->in_section)
        sbuf_puts(&o->buf, "</section>\n");
    sbuf_puts(&o->buf, "<section id=\"");
    esc_html(&o->buf, id);
    sbuf_puts(&o->buf, "\">\n<h2>");
    esc_html(&o->buf, title);
    sbuf_puts(&o->buf, "</h2>\n");
    o->in_section = true;
    struct html_state *h = o->rstate;
    if (h) {
        sbuf_puts(&h->toc, "<a href=\"#");
        esc_html(&h->toc, id);
        sbuf_puts(&h->toc, "\">");
        esc_html(&h->toc, title);
        sbuf_puts(&h->toc, "</a>\n");
    }
}

static void html_note(struct report_out *o, const char *text)
{
    sbuf_puts(&o->buf, "<p class=\"note\">");
    esc_html(&o->buf, text);
    sbuf_puts(&o->buf, "</p>\n");
}

/* Text that may wrap between words: a word with a hyphen or slash (`_mta-sts.example`,
 * `CN/SAN`) is kept whole, or the browser would break it there. */
static void put_words(struct sbuf *b, const char *t)
{
    while (*t) {
        size_t n = strcspn(t, " ");
        bool keep = n <= 40 && (memchr(t, '-', n) || memchr(t, '/', n));
        if (keep)
            sbuf_puts(b, "<span class=\"w\">");
        struct sbuf w = SBUF_INIT;
        sbuf_append(&w, t, n);
        esc_html(b, sbuf_str(&w));
        if (w.oom)
            b->oom = true;
        sbuf_free(&w);
        if (keep)
            sbuf_puts(b, "</span>");
        t += n;
        while (*t == ' ')
            sbuf_putc(b, *t++);
    }
}

static void html_table_begin(struct report_out *o, const char *id, const char *title,
                             const struct report_col *cols, size_t ncols)
{
    struct sbuf *b = &o->buf;
    struct html_state *h = o->rstate;
    if (h && is_worklist(o) && id && !strcmp(id, "domains")) {
        h->wl = html_worklist_begin(b, cols, ncols);
        h->wl_active = true;
        return;
    }
    if (title) {
        sbuf_puts(b, "<h3>");
        esc_html(b, title);
        sbuf_puts(b, "</h3>\n");
    }
    sbuf_puts(b, "<div class=\"tw\"><table id=\"t-");
    esc_html(b, id);
    sbuf_puts(b, "\">\n<tr>");
    for (size_t i = 0; i < ncols; i++) {
        sbuf_puts(b, "<th>");
        put_words(b, cols[i].label); /* "DANE-checked" never breaks at its hyphen */
        sbuf_puts(b, "</th>");
    }
    sbuf_puts(b, "</tr>\n");
}

static void html_table_row(struct report_out *o, const struct report_cell *cells)
{
    struct html_state *h = o->rstate;
    if (h && h->wl_active) {
        html_worklist_row(h->wl, &o->buf, o->cols, o->ncols, cells);
        return;
    }
    struct sbuf cell = SBUF_INIT;
    sbuf_puts(&o->buf, "<tr>");
    for (size_t i = 0; i < o->ncols; i++) {
        sbuf_reset(&cell);
        report_cell_format(&cell, o->cols[i].kind, &cells[i]);
        /* One short token (a date, a code, a domain) never breaks; long ones may. */
        const char *t = sbuf_str(&cell);
        bool token = cell.len <= 40 && !strchr(t, ' ');
        sbuf_puts(&o->buf, (o->cols[i].kind != REPORT_TEXT && o->cols[i].kind != REPORT_LIST)
                               ? "<td class=\"n\">"
                           : token ? "<td class=\"w\">"
                                   : "<td>");
        if (token || (o->cols[i].kind != REPORT_TEXT && o->cols[i].kind != REPORT_LIST))
            esc_html(&o->buf, t);
        else
            put_words(&o->buf, t);
        sbuf_puts(&o->buf, "</td>");
    }
    sbuf_puts(&o->buf, "</tr>\n");
    if (cell.oom)
        o->buf.oom = true;
    sbuf_free(&cell);
}

static void html_table_end(struct report_out *o)
{
    struct html_state *h = o->rstate;
    if (h && h->wl_active) {
        html_worklist_end(h->wl, &o->buf);
        h->wl = NULL;
        h->wl_active = false;
        return;
    }
    if (o->rows == 0)
        sbuf_printf(&o->buf, "<tr><td colspan=\"%zu\">(none)</td></tr>\n", o->ncols);
    sbuf_puts(&o->buf, "</table></div>\n");
}

static void html_chart(struct report_out *o, const struct report_chart *c)
{
    sbuf_puts(&o->buf, "<figure>\n<figcaption>");
    esc_html(&o->buf, c->title);
    sbuf_puts(&o->buf, "</figcaption>\n");
    report_svg_chart(&o->buf, c, o->chart_style);
    sbuf_puts(&o->buf, "</figure>\n");
}

static void html_end(struct report_out *o)
{
    if (o->in_section)
        sbuf_puts(&o->buf, "</section>\n");
    struct html_state *h = o->rstate;
    if (h && h->toc.len) {
        sbuf_puts(&o->buf, "<nav class=\"toc\">");
        sbuf_puts(&o->buf, sbuf_str(&h->toc));
        sbuf_puts(&o->buf, "</nav>\n");
    }
    if (h) {
        if (h->toc.oom)
            o->buf.oom = true;
        sbuf_free(&h->toc);
        free(h);
        o->rstate = NULL;
    }
    sbuf_puts(&o->buf, "</body>\n</html>\n");
}

const struct report_renderer report_render_html = {
    .name = "html",
    .help = "one self-contained page (inline CSS and SVG charts), for a browser",
    .begin = html_begin,
    .section = html_section,
    .note = html_note,
    .table_begin = html_table_begin,
    .table_row = html_table_row,
    .table_end = html_table_end,
    .chart = html_chart,
    .end = html_end,
};
