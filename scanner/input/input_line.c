/* One line of a domain list (input_line.h): comments, CSV fields, rank, header recognition. */
#include "scanner/input/input_line.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const header_names[] = {"rank",   "domain",   "domains", "name",
                                           "host",   "hostname", "site",    "url",
                                           "origin", "position", "id",      NULL};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* One CSV field of [p, end): trimmed, double quotes stripped. */
static void field_bounds(const char **p, const char **end)
{
    while (*p < *end && is_blank(**p))
        (*p)++;
    while (*end > *p && is_blank((*end)[-1]))
        (*end)--;
    if (*end - *p >= 2 && **p == '"' && (*end)[-1] == '"') {
        (*p)++;
        (*end)--;
    }
}

static bool all_digits(const char *p, const char *end)
{
    if (p == end || end - p > 18)
        return false;
    for (; p < end; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

static bool is_header(const char *p, const char *end)
{
    if (memchr(p, '.', (size_t)(end - p)))
        return false;
    while (p <= end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *fe = comma ? comma : end;
        const char *fp = p;
        field_bounds(&fp, &fe);
        for (size_t i = 0; header_names[i]; i++)
            if ((size_t)(fe - fp) == strlen(header_names[i]) &&
                strncasecmp(fp, header_names[i], (size_t)(fe - fp)) == 0)
                return true;
        if (!comma)
            break;
        p = comma + 1;
    }
    return false;
}

enum input_line_kind input_split_line(const char *line, size_t len, bool first_data_line,
                                      struct input_line_fields *out)
{
    out->domain = NULL;
    out->domain_len = 0;
    out->rank = -1;
    out->reason = NULL;
    if (len > 0 && line[len - 1] == '\r')
        len--;
    const char *p = line, *end = line + len;
    if (memchr(p, '\0', len)) {
        out->reason = "NUL byte in line";
        return INPUT_LINE_BAD;
    }
    while (p < end && is_blank(*p))
        p++;
    if (p == end || *p == '#')
        return INPUT_LINE_SKIP;
    for (const char *q = p + 1; q < end; q++)
        if (*q == '#' && is_blank(q[-1])) {
            end = q;
            break;
        }
    while (end > p && is_blank(end[-1]))
        end--;
    if (first_data_line && is_header(p, end))
        return INPUT_LINE_HEADER;
    const char *comma = memchr(p, ',', (size_t)(end - p));
    if (!comma) {
        out->domain = p;
        out->domain_len = (size_t)(end - p);
        return INPUT_LINE_DOMAIN;
    }
    const char *f1 = p, *f1e = comma;
    field_bounds(&f1, &f1e);
    if (!all_digits(f1, f1e)) {
        out->domain = f1;
        out->domain_len = (size_t)(f1e - f1);
        return INPUT_LINE_DOMAIN;
    }
    out->rank = strtol(f1, NULL, 10);
    const char *f2 = comma + 1;
    const char *c2 = memchr(f2, ',', (size_t)(end - f2));
    const char *f2e = c2 ? c2 : end;
    field_bounds(&f2, &f2e);
    if (f2 == f2e) {
        out->reason = "rank without a domain in the second column";
        return INPUT_LINE_BAD;
    }
    out->domain = f2;
    out->domain_len = (size_t)(f2e - f2);
    return INPUT_LINE_DOMAIN;
}
