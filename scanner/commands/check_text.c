/* Bounded text fields of `mtasts check`: appending to a CHECK_TEXT_MAX buffer, remote bytes
 * escaped. */
#include "scanner/commands/check_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/escape.h"
#include "lib/sbuf.h"

/* Appends to a CHECK_TEXT_MAX field; truncates, never overruns. */
void check_text_add(char *buf, const char *fmt, ...)
{
    size_t off = strnlen(buf, CHECK_TEXT_MAX - 1);
    if (off + 1 >= CHECK_TEXT_MAX)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + off, CHECK_TEXT_MAX - off, fmt, ap);
    va_end(ap);
}

/* Appends at most max bytes of remote data through esc_text (lib/escape.c, the one terminal
 * escaper: C0 and C1 controls, DEL and invalid UTF-8 become '?'); a NUL shows as '?' too.
 * Truncates at a character boundary when the field is full. */
void check_text_remote(char *buf, const char *s, size_t len, size_t max)
{
    size_t off = strnlen(buf, CHECK_TEXT_MAX - 1);
    if (!s)
        return;
    struct sbuf raw = SBUF_INIT, esc = SBUF_INIT;
    for (size_t i = 0; i < len && i < max; i++)
        sbuf_putc(&raw, s[i] ? s[i] : '\x01'); /* esc_text stops at a NUL: make it a control */
    esc_text(&esc, sbuf_str(&raw));
    size_t n = esc.len, room = CHECK_TEXT_MAX - 1 - off;
    if (n > room) {
        n = room;
        while (n > 0 && ((unsigned char)esc.data[n] & 0xC0) == 0x80)
            n--; /* do not split a UTF-8 sequence */
    }
    if (n)
        memcpy(buf + off, esc.data, n);
    off += n;
    if (len > max && off + 4 < CHECK_TEXT_MAX) {
        memcpy(buf + off, "...", 3);
        off += 3;
    }
    buf[off] = '\0';
    sbuf_free(&raw);
    sbuf_free(&esc);
}

void check_text_remote_str(char *buf, const char *s)
{
    if (s)
        check_text_remote(buf, s, strlen(s), 200);
}

/* Appends a fix text with every "<domain>" replaced by the domain. */
void check_text_fix(char *buf, const char *tmpl, const char *domain)
{
    if (!tmpl)
        return;
    if (buf[0])
        check_text_add(buf, " ");
    for (const char *p = tmpl; *p;) {
        const char *mark = strstr(p, "<domain>");
        if (!mark) {
            check_text_add(buf, "%s", p);
            return;
        }
        check_text_add(buf, "%.*s%s", (int)(mark - p), p, domain);
        p = mark + 8;
    }
}

void check_text_date(char *buf, int64_t t)
{
    char d[32];
    time_t tt = (time_t)t;
    struct tm tm;
    if (t <= 0 || !gmtime_r(&tt, &tm) || !strftime(d, sizeof d, "%Y-%m-%d %H:%M UTC", &tm)) {
        check_text_add(buf, "unknown");
        return;
    }
    check_text_add(buf, "%s", d);
}

void check_text_diags(char *buf, const struct sts_diags *d, size_t max)
{
    for (size_t i = 0; i < d->n && i < max; i++) {
        check_text_add(buf, "\n");
        if (d->items[i].line)
            check_text_add(buf, "line %u: ", d->items[i].line);
        check_text_remote_str(buf, d->items[i].message);
    }
    if (d->n > max)
        check_text_add(buf, "\n(%zu more)", d->n - max + d->dropped);
}
