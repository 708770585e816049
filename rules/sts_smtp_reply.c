/* SMTP replies (RFC 5321 4.2): one multi-line reply parsed from remote bytes, bounded. */
#include "rules/sts_smtp_reply.h"

#include <string.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The EHLO keyword of a line's text: STARTTLS alone, or followed by a space (parameters). */
static bool keyword_starttls(const char *text, size_t len)
{
    static const char kw[] = "STARTTLS";
    size_t k = sizeof kw - 1;
    if (len < k)
        return false;
    for (size_t i = 0; i < k; i++) {
        char c = text[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c != kw[i])
            return false;
    }
    return len == k || text[k] == ' ' || text[k] == '\t';
}

static enum sts_smtp_reply_status bad(struct sts_smtp_reply *out, const char *why)
{
    out->error = why;
    return STS_SMTP_REPLY_BAD;
}

enum sts_smtp_reply_status sts_smtp_reply_parse(const char *buf, size_t len,
                                                struct sts_smtp_reply *out)
{
    memset(out, 0, sizeof *out);
    size_t pos = 0;
    for (;;) {
        if (pos >= len)
            return STS_SMTP_REPLY_INCOMPLETE;
        const char *line = buf + pos;
        size_t avail = len - pos;
        const char *lf = memchr(line, '\n', avail);
        if (!lf) {
            if (avail > STS_SMTP_LINE_MAX + 1)
                return bad(out, "reply line longer than 512 bytes");
            if (pos + avail > STS_SMTP_REPLY_BYTES)
                return bad(out, "reply longer than 8192 bytes");
            return STS_SMTP_REPLY_INCOMPLETE;
        }
        size_t raw = (size_t)(lf - line); /* without the LF */
        size_t n = raw > 0 && line[raw - 1] == '\r' ? raw - 1 : raw;
        if (n > STS_SMTP_LINE_MAX)
            return bad(out, "reply line longer than 512 bytes");
        if (pos + raw + 1 > STS_SMTP_REPLY_BYTES)
            return bad(out, "reply longer than 8192 bytes");
        if (out->n_lines >= STS_SMTP_REPLY_LINES)
            return bad(out, "reply of more than 32 lines");
        if (n < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]) ||
            line[0] < '2' || line[0] > '5')
            return bad(out, "not an SMTP reply line (no three-digit code)");
        int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
        char sep = n > 3 ? line[3] : ' ';
        if (sep != '-' && sep != ' ')
            return bad(out, "no space or hyphen after the reply code");
        if (out->n_lines > 0 && code != out->code)
            return bad(out, "reply code changes between lines");
        const char *text = n > 3 ? line + 4 : line + n;
        size_t tlen = n > 3 ? n - 4 : 0;
        if (out->n_lines == 0) {
            out->code = code;
            size_t keep = tlen < STS_SMTP_TEXT_MAX - 1 ? tlen : STS_SMTP_TEXT_MAX - 1;
            memcpy(out->text, text, keep);
            out->text[keep] = '\0';
        } else if (keyword_starttls(text, tlen)) {
            out->starttls = true;
        }
        out->n_lines++;
        pos += raw + 1;
        if (sep == ' ') {
            out->consumed = pos;
            return STS_SMTP_REPLY_DONE;
        }
    }
}
