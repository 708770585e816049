/* Reading the store's JSON arrays of strings (mx_hosts, rua, mx_patterns) without SQLite. */
#include "reports/json_list.h"

#include <stdbool.h>

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes one escape after the backslash at *pp; returns the byte or -1. */
static int decode_escape(const char **pp)
{
    const char *p = *pp;
    int c;
    switch (*p) {
    case '"':
        c = '"';
        break;
    case '\\':
        c = '\\';
        break;
    case '/':
        c = '/';
        break;
    case 'b':
        c = '\b';
        break;
    case 'f':
        c = '\f';
        break;
    case 'n':
        c = '\n';
        break;
    case 'r':
        c = '\r';
        break;
    case 't':
        c = '\t';
        break;
    case 'u': {
        int v = 0;
        for (int i = 1; i <= 4; i++) {
            int h = hex_value(p[i]);
            if (h < 0)
                return -1;
            v = v * 16 + h;
        }
        p += 4;
        c = v > 0 && v < 0x80 ? v : '?';
        break;
    }
    default:
        return -1;
    }
    *pp = p + 1;
    return c;
}

/* Reads the string starting after its opening quote; returns the position after the
 * closing quote, or NULL when malformed. *len is set to the decoded length, or to
 * REPORT_JSON_STRING_MAX when the string did not fit. */
static const char *read_string(const char *p, char *buf, size_t *len)
{
    size_t n = 0;
    bool fits = true;
    while (*p && *p != '"') {
        int c;
        if (*p == '\\') {
            p++;
            c = decode_escape(&p);
            if (c < 0)
                return NULL;
        } else if ((unsigned char)*p < 0x20) {
            return NULL;
        } else {
            c = (unsigned char)*p++;
        }
        if (n + 1 < REPORT_JSON_STRING_MAX)
            buf[n++] = (char)c;
        else
            fits = false;
    }
    if (*p != '"')
        return NULL;
    buf[n] = '\0';
    *len = fits ? n : REPORT_JSON_STRING_MAX;
    return p + 1;
}

int report_json_strings(const char *json, void (*fn)(const char *s, void *arg), void *arg)
{
    if (!json)
        return -1;
    const char *p = skip_ws(json);
    if (*p++ != '[')
        return -1;
    p = skip_ws(p);
    int count = 0;
    if (*p == ']')
        return *skip_ws(p + 1) ? -1 : 0;
    char buf[REPORT_JSON_STRING_MAX];
    for (;;) {
        if (*p++ != '"')
            return -1;
        size_t len;
        p = read_string(p, buf, &len);
        if (!p)
            return -1;
        if (len < REPORT_JSON_STRING_MAX)
            fn(buf, arg);
        count++;
        p = skip_ws(p);
        if (*p == ']')
            return *skip_ws(p + 1) ? -1 : count;
        if (*p++ != ',')
            return -1;
        p = skip_ws(p);
    }
}
