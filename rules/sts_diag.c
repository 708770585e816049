/* Diagnostics (errors and lint warnings) produced by the rule parsers: code, line, message. */
#include "rules/sts_diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/escape.h"
#include "lib/sbuf.h"

void sts_diags_json(struct sbuf *out, const struct sts_diags *const *lists, size_t nlists,
                    unsigned flags)
{
    bool first = true;
    size_t dropped = 0;
    sbuf_putc(out, '[');
    for (size_t k = 0; k < nlists; k++) {
        if (!lists[k])
            continue;
        dropped += lists[k]->dropped;
        for (size_t i = 0; i < lists[k]->n && i < STS_DIAG_MAX; i++) {
            const struct sts_diag *g = &lists[k]->items[i];
            sbuf_puts(out, first ? "{\"code\":" : ",{\"code\":");
            first = false;
            esc_json_str(out, g->code);
            if (g->line || !(flags & STS_DIAGS_JSON_LINE_NULL))
                sbuf_printf(out, ",\"line\":%u,\"message\":", g->line);
            else
                sbuf_puts(out, ",\"line\":null,\"message\":");
            esc_json_str(out, g->message);
            sbuf_putc(out, '}');
        }
    }
    if (dropped && (flags & STS_DIAGS_JSON_MORE_FINDINGS))
        sbuf_printf(out,
                    "%s{\"code\":\"more_findings\",\"line\":0,\"message\":\"%zu more "
                    "findings not kept\"}",
                    first ? "" : ",", dropped);
    sbuf_putc(out, ']');
}

void sts_diags_vadd(struct sts_diags *d, const char *code, unsigned line, const char *fmt,
                    va_list ap)
{
    if (d->n >= STS_DIAG_MAX) {
        d->dropped++;
        return;
    }
    struct sts_diag *g = &d->items[d->n++];
    g->code = code;
    g->line = line;
    vsnprintf(g->message, sizeof g->message, fmt, ap);
}

void sts_diags_add(struct sts_diags *d, const char *code, unsigned line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sts_diags_vadd(d, code, line, fmt, ap);
    va_end(ap);
}

bool sts_diags_has(const struct sts_diags *d, const char *code)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->items[i].code, code) == 0)
            return true;
    return false;
}

char *sts_diag_quote(char *buf, size_t buflen, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (buflen == 0)
        return buf;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t need = (c >= 0x20 && c < 0x7f) ? 1 : 4;
        if (o + need + 4 > buflen) { /* room for "..." and the NUL */
            if (o + 4 <= buflen) {
                memcpy(buf + o, "...", 3);
                o += 3;
            }
            break;
        }
        if (need == 1) {
            buf[o++] = (char)c;
        } else {
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        }
    }
    buf[o] = '\0';
    return buf;
}
