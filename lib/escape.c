/* The one place remote bytes are escaped for output: JSON, CSV, HTML and terminal text. */
#include "lib/escape.h"

#include <stdint.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when the bytes there are invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

bool esc_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0, n; i < len; i += n)
        if ((n = utf8_seq_len(p + i, len - i)) == 0)
            return false;
    return true;
}

void esc_json(struct sbuf *out, const char *s, size_t len)
{
    if (!s) {
        sbuf_puts(out, "null");
        return;
    }
    const unsigned char *p = (const unsigned char *)s;
    sbuf_putc(out, '"');
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            sbuf_putc(out, '\\');
            sbuf_putc(out, (char)c);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            switch (c) {
            case '\n':
                sbuf_puts(out, "\\n");
                break;
            case '\r':
                sbuf_puts(out, "\\r");
                break;
            case '\t':
                sbuf_puts(out, "\\t");
                break;
            default:
                sbuf_printf(out, "\\u%04x", c);
                break;
            }
            i++;
        } else if (c < 0x80) {
            sbuf_putc(out, (char)c);
            i++;
        } else {
            size_t n = utf8_seq_len(p + i, len - i);
            if (n == 0) {
                sbuf_puts(out, "\\ufffd");
                i++;
            } else {
                sbuf_append(out, p + i, n);
                i += n;
            }
        }
    }
    sbuf_putc(out, '"');
}

void esc_json_str(struct sbuf *out, const char *s)
{
    esc_json(out, s, s ? strlen(s) : 0);
}

/* The unit (one byte, or one UTF-8 sequence) at p: its length, and whether it is a control
 * (C0 but TAB, LF and CR, which a quoted CSV field may hold anyway; DEL; C1 U+0080..U+009F)
 * or invalid UTF-8 (length 1). */
static size_t unit_at(const unsigned char *p, size_t left, bool *control, bool *invalid)
{
    unsigned char c = p[0];
    *control = *invalid = false;
    if (c < 0x80) {
        *control = (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F;
        return 1;
    }
    size_t n = utf8_seq_len(p, left);
    *invalid = n == 0;
    *control = c == 0xC2 && n == 2 && p[1] < 0xA0;
    return n ? n : 1;
}

void esc_csv(struct sbuf *out, const char *s)
{
    if (!s)
        return;
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    bool control, invalid;
    /* OWASP's CSV-injection list: a spreadsheet evaluates a cell starting with one. */
    bool formula = s[0] && strchr("=+-@\t\r", s[0]) != NULL;
    bool quote = formula || strpbrk(s, ",\"\r\n") != NULL;
    /* shared/DESIGN.md: remote bytes are "quoted in CSV (control bytes too)": a field holding
     * a control byte keeps it, byte for byte, inside quotes (the data is the data; the JSON
     * exports escape the same bytes). */
    for (size_t i = 0; i < len && !quote;) {
        i += unit_at(p + i, len - i, &control, &invalid);
        quote = control;
    }
    if (quote)
        sbuf_putc(out, '"');
    if (formula)
        sbuf_putc(out, '\'');
    for (size_t i = 0, n; i < len; i += n) {
        n = unit_at(p + i, len - i, &control, &invalid);
        if (invalid)
            sbuf_puts(out, "\xEF\xBF\xBD"); /* the file stays valid UTF-8 */
        else if (p[i] == '"')
            sbuf_puts(out, "\"\"");
        else
            sbuf_append(out, p + i, n);
    }
    if (quote)
        sbuf_putc(out, '"');
}

void esc_html(struct sbuf *out, const char *s)
{
    if (!s)
        return;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '&':
            sbuf_puts(out, "&amp;");
            break;
        case '<':
            sbuf_puts(out, "&lt;");
            break;
        case '>':
            sbuf_puts(out, "&gt;");
            break;
        case '"':
            sbuf_puts(out, "&quot;");
            break;
        case '\'':
            sbuf_puts(out, "&#39;");
            break;
        default:
            if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7F)
                sbuf_puts(out, "\xEF\xBF\xBD");
            else if (*p == 0xC2 && p[1] >= 0x80 && p[1] < 0xA0) { /* a C1 control */
                sbuf_puts(out, "\xEF\xBF\xBD");
                p++;
            } else
                sbuf_putc(out, (char)*p);
        }
    }
}

void esc_text(struct sbuf *out, const char *s)
{
    if (!s)
        return;
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s), i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c < 0x80) {
            sbuf_putc(out, (c < 0x20 || c == 0x7F) ? '?' : (char)c);
            i++;
            continue;
        }
        size_t n = utf8_seq_len(p + i, len - i);
        if (n == 0 || (c == 0xC2 && p[i + 1] < 0xA0)) { /* invalid, or a C1 control */
            sbuf_putc(out, '?');
            i += n ? n : 1;
            continue;
        }
        sbuf_append(out, p + i, n);
        i += n;
    }
}
