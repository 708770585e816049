/* The section and table ids a report writes, collected by a renderer that writes nothing:
 * an unknown --section is told the valid names. */
#include "reports/report.h"

#include <string.h>

/* Appends id to the list (", "-separated) once. */
static void add(struct report_out *o, const char *id)
{
    struct sbuf *b = o->rstate;
    if (!b || !id)
        return;
    const char *list = sbuf_str(b);
    size_t n = strlen(id);
    for (const char *p = list; (p = strstr(p, id)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
            return;
    if (b->len)
        sbuf_puts(b, ", ");
    sbuf_puts(b, id);
}

static void names_begin(struct report_out *o)
{
    (void)o;
}

static void names_section(struct report_out *o, const char *id, const char *title)
{
    (void)title;
    add(o, id);
}

static void names_note(struct report_out *o, const char *text)
{
    (void)o;
    (void)text;
}

static void names_table_begin(struct report_out *o, const char *id, const char *title,
                              const struct report_col *cols, size_t ncols)
{
    (void)title;
    (void)cols;
    (void)ncols;
    add(o, id);
}

static void names_row(struct report_out *o, const struct report_cell *cells)
{
    (void)o;
    (void)cells;
}

static void names_table_end(struct report_out *o)
{
    (void)o;
}

static void names_chart(struct report_out *o, const struct report_chart *c)
{
    (void)o;
    (void)c;
}

static void names_end(struct report_out *o)
{
    (void)o;
}

/* Not in the renderer table (it is no output format): set o->rstate to an sbuf first. */
const struct report_renderer report_render_names = {
    .name = "names",
    .help = "the section and table ids, for messages",
    .begin = names_begin,
    .section = names_section,
    .note = names_note,
    .table_begin = names_table_begin,
    .table_row = names_row,
    .table_end = names_table_end,
    .chart = names_chart,
    .end = names_end,
};
