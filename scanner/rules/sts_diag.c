/* Diagnostics (errors and lint warnings) produced by the rule parsers: code, line, message. */
#include "sts_diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sts_diags_add(struct sts_diags *d, const char *code, unsigned line, const char *fmt, ...)
{
    if (d->n >= STS_DIAG_MAX) {
        d->dropped++;
        return;
    }
    struct sts_diag *g = &d->items[d->n++];
    g->code = code;
    g->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->message, sizeof g->message, fmt, ap);
    va_end(ap);
}

bool sts_diags_has(const struct sts_diags *d, const char *code)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->items[i].code, code) == 0)
            return true;
    return false;
}
