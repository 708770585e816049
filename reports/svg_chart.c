/* Inline SVG charts for the HTML report: horizontal bars, columns, and line charts. */
#include "reports/svg_chart.h"

#include <math.h>
#include <string.h>

#include "lib/escape.h"

#define CHART_W 760
#define BAR_H 22
#define LABEL_W 230

static const char *const palette[] = {"#2b6cb0", "#c05621", "#2f855a", "#9b2c2c",
                                      "#6b46c1", "#b7791f", "#2c7a7b", "#4a5568"};
#define NPALETTE (sizeof palette / sizeof palette[0])

static double value_at(const struct report_chart *c, size_t i)
{
    double v = c->values[i];
    return isfinite(v) && v > 0 ? v : 0;
}

static double max_of(const struct report_chart *c, size_t count)
{
    double m = 0;
    for (size_t i = 0; i < count; i++)
        if (value_at(c, i) > m)
            m = value_at(c, i);
    return m;
}

/* Numbers print without trailing zeros: 12, 12.5. */
static void put_number(struct sbuf *b, double v)
{
    if (fabs(v - round(v)) < 1e-9)
        sbuf_printf(b, "%.0f", v);
    else
        sbuf_printf(b, "%.1f", v);
}

static void svg_open(struct sbuf *b, const struct report_chart *c, int w, int h)
{
    sbuf_printf(b,
                "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
                w, h, w, h);
    esc_html(b, c->title);
    sbuf_puts(b, "\"><title>");
    esc_html(b, c->title);
    sbuf_puts(b, "</title>\n");
}

/* Bar length for v: linear, or log10 with 1 at the axis (a value of 1 gets a sliver). */
static int bar_len(bool log_scale, double v, double max, int span)
{
    if (max <= 0 || v <= 0)
        return 0;
    if (!log_scale)
        return (int)lround(v / max * span);
    double top = log10(max > 10 ? max : 10);
    int w = (int)lround(log10(v < 1 ? 1 : v) / top * span);
    return w < 2 ? 2 : w;
}

static void draw_bars(struct sbuf *b, const struct report_chart *c,
                      const struct report_chart_style *st)
{
    bool log_scale = st && st->log_scale;
    const char *const *value_labels = st ? st->value_labels : NULL;
    const int axis = log_scale ? 22 : 0;
    int h = (int)c->n * BAR_H + 10 + axis;
    svg_open(b, c, CHART_W, h);
    double max = max_of(c, c->n);
    int span = CHART_W - LABEL_W - (value_labels ? 230 : 90);
    if (log_scale && max > 0) {
        /* Gridlines at powers of ten, labelled under the bars. */
        double top = log10(max > 10 ? max : 10);
        int yb = 5 + (int)c->n * BAR_H;
        for (int e = 0; e <= (int)floor(top); e++) {
            int x = LABEL_W + (int)lround(e / top * span);
            sbuf_printf(b,
                        "<line x1=\"%d\" y1=\"5\" x2=\"%d\" y2=\"%d\" stroke=\"#cbd5e0\"/>"
                        "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">",
                        x, x, yb, x, yb + 15);
            put_number(b, pow(10, e));
            sbuf_puts(b, "</text>\n");
        }
    }
    for (size_t i = 0; i < c->n; i++) {
        int y = 5 + (int)i * BAR_H;
        int w = bar_len(log_scale, value_at(c, i), max, span);
        sbuf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", LABEL_W - 6, y + 15);
        esc_html(b, c->labels[i]);
        sbuf_printf(b,
                    "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                    "fill=\"%s\"/><text x=\"%d\" y=\"%d\">",
                    LABEL_W, y + 2, w, BAR_H - 6, palette[0], LABEL_W + w + 5, y + 15);
        if (value_labels && value_labels[i]) {
            esc_html(b, value_labels[i]);
        } else {
            put_number(b, c->values[i]);
            if (c->unit)
                esc_html(b, c->unit);
        }
        sbuf_puts(b, "</text>\n");
    }
    sbuf_puts(b, "</svg>\n");
}

static void draw_columns(struct sbuf *b, const struct report_chart *c,
                         const struct report_chart_style *st)
{
    const char *const *value_labels = st ? st->value_labels : NULL;
    const int h = 260, top = 20, bottom = 60, left = 40;
    svg_open(b, c, CHART_W, h);
    double max = max_of(c, c->n);
    int plot_h = h - top - bottom;
    int slot = c->n ? (CHART_W - left - 10) / (int)c->n : 0;
    sbuf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#718096\"/>\n", left,
                h - bottom, CHART_W - 10, h - bottom);
    for (size_t i = 0; i < c->n; i++) {
        int bh = max > 0 ? (int)lround(value_at(c, i) / max * plot_h) : 0;
        int x = left + (int)i * slot;
        sbuf_printf(b,
                    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>"
                    "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">",
                    x + 4, h - bottom - bh, slot - 8, bh, palette[i % NPALETTE], x + slot / 2,
                    h - bottom - bh - 4);
        if (value_labels && value_labels[i])
            esc_html(b, value_labels[i]);
        else
            put_number(b, c->values[i]);
        sbuf_printf(b, "</text><text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", x + slot / 2,
                    h - bottom + 16);
        esc_html(b, c->labels[i]);
        sbuf_puts(b, "</text>\n");
    }
    sbuf_puts(b, "</svg>\n");
}

static void draw_lines(struct sbuf *b, const struct report_chart *c)
{
    const int h = 340, top = 20, bottom = 90, left = 130, right = 160;
    svg_open(b, c, CHART_W, h);
    double max = max_of(c, c->n * c->nseries);
    if (max <= 0)
        max = 1;
    int plot_w = CHART_W - left - right, plot_h = h - top - bottom;
    sbuf_printf(b,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#718096\"/>"
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#718096\"/>\n",
                left, top, left, top + plot_h, left, top + plot_h, left + plot_w, top + plot_h);
    sbuf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 4, top + 10);
    put_number(b, max);
    if (c->unit)
        esc_html(b, c->unit);
    sbuf_printf(b, "</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", left - 4,
                top + plot_h);
    /* At most about eight x labels, always the first and the last. */
    size_t step = c->n > 8 ? (c->n + 7) / 8 : 1;
    for (size_t i = 0; i < c->n; i++) {
        if (i % step != 0 && i + 1 != c->n)
            continue;
        if (i + 1 == c->n && i % step != 0 && c->n - 1 - (i - i % step) < step / 2 + 1)
            continue; /* too close to the previous label */
        int x = left + (c->n > 1 ? (int)(i * (size_t)plot_w / (c->n - 1)) : plot_w / 2);
        /* Slanted, so dates with times ("2026-12-03 09:53") never run into each other. */
        sbuf_printf(b,
                    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" "
                    "transform=\"rotate(-30 %d %d)\">",
                    x, top + plot_h + 16, x, top + plot_h + 16);
        esc_html(b, c->labels[i]);
        sbuf_puts(b, "</text>\n");
    }
    for (size_t s = 0; s < c->nseries; s++) {
        const char *colour = palette[s % NPALETTE];
        sbuf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
                    colour);
        for (size_t i = 0; i < c->n; i++) {
            int x = left + (c->n > 1 ? (int)(i * (size_t)plot_w / (c->n - 1)) : plot_w / 2);
            int y = top + plot_h - (int)lround(value_at(c, s * c->n + i) / max * plot_h);
            sbuf_printf(b, "%s%d,%d", i ? " " : "", x, y);
        }
        sbuf_puts(b, "\"/>\n");
        /* Markers, so a single scan (one point, an empty polyline) still shows. */
        for (size_t i = 0; i < c->n && c->n <= 60; i++) {
            int x = left + (c->n > 1 ? (int)(i * (size_t)plot_w / (c->n - 1)) : plot_w / 2);
            int y = top + plot_h - (int)lround(value_at(c, s * c->n + i) / max * plot_h);
            sbuf_printf(b, "<circle cx=\"%d\" cy=\"%d\" r=\"3\" fill=\"%s\"/>", x, y, colour);
        }
        sbuf_putc(b, '\n');
        int ly = top + 12 + (int)s * 18;
        sbuf_printf(b,
                    "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                    "<text x=\"%d\" y=\"%d\">",
                    left + plot_w + 12, ly - 10, colour, left + plot_w + 30, ly);
        esc_html(b, c->series[s]);
        sbuf_puts(b, "</text>\n");
    }
    sbuf_puts(b, "</svg>\n");
}

void report_svg_chart(struct sbuf *b, const struct report_chart *c,
                      const struct report_chart_style *style)
{
    switch (c->kind) {
    case REPORT_CHART_BARS:
        draw_bars(b, c, style);
        break;
    case REPORT_CHART_COLUMNS:
        draw_columns(b, c, style);
        break;
    case REPORT_CHART_LINES:
        draw_lines(b, c);
        break;
    }
}
