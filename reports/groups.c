/* Grouping hosts by provider: registered-domain approximation and per-group counters. */
#include "reports/groups.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Second-level public suffixes under which registrations are one label deeper. Not the
 * Public Suffix List: the common ones, enough to group mail providers. */
static const char *const multi_label_suffixes[] = {
    "ac.at",  "ac.il",  "ac.in",  "ac.jp",  "ac.kr",  "ac.nz",  "ac.uk",  "ac.za",
    "co.at",  "co.id",  "co.il",  "co.in",  "co.jp",  "co.kr",  "co.nz",  "co.th",
    "co.uk",  "co.za",  "com.ar", "com.au", "com.br", "com.cn", "com.co", "com.hk",
    "com.mx", "com.my", "com.ng", "com.pl", "com.sg", "com.tr", "com.tw", "com.ua",
    "edu.au", "gov.au", "gov.br", "gov.uk", "go.jp",  "gv.at",  "ltd.uk", "me.uk",
    "ne.jp",  "net.au", "net.br", "net.cn", "net.nz", "or.jp",  "or.kr",  "org.au",
    "org.br", "org.cn", "org.nz", "org.uk", "org.za", "plc.uk", "sch.uk"};

static bool is_multi_label_suffix(const char *s)
{
    /* Every listed suffix ends in a two-letter country code: skip the list otherwise. */
    const char *dot = strrchr(s, '.');
    if (!dot || strlen(dot + 1) != 2)
        return false;
    for (size_t i = 0; i < sizeof multi_label_suffixes / sizeof multi_label_suffixes[0]; i++)
        if (!strcmp(s, multi_label_suffixes[i]))
            return true;
    return false;
}

bool report_registered_domain(const char *host, char *buf, size_t len)
{
    size_t n = strlen(host);
    while (n > 0 && host[n - 1] == '.')
        n--;
    if (n == 0 || n >= len)
        return false;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)tolower((unsigned char)host[i]);
    buf[n] = '\0';
    /* Start of the last k labels, scanning dots from the right. */
    const char *starts[4] = {buf, buf, buf, buf};
    int found = 0;
    for (size_t i = n; i > 0 && found < 3; i--)
        if (buf[i - 1] == '.')
            starts[++found] = buf + i;
    /* starts[1] = last label, starts[2] = last two, starts[3] = last three. */
    const char *two = found >= 2 ? starts[2] : buf;
    const char *keep = two;
    if (is_multi_label_suffix(two))
        keep = found >= 3 ? starts[3] : buf;
    memmove(buf, keep, strlen(keep) + 1);
    return true;
}

static size_t hash_name(const char *s)
{
    size_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static bool groups_rehash(struct report_groups *g, size_t nslots)
{
    size_t *slots = malloc(nslots * sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < nslots; i++)
        slots[i] = (size_t)-1;
    for (size_t k = 0; k < g->n; k++) {
        size_t i = hash_name(g->items[k].name) & (nslots - 1);
        while (slots[i] != (size_t)-1)
            i = (i + 1) & (nslots - 1);
        slots[i] = k;
    }
    free(g->slots);
    g->slots = slots;
    g->nslots = nslots;
    return true;
}

struct report_group *report_groups_get(struct report_groups *g, const char *name)
{
    if (g->nslots == 0 && !groups_rehash(g, 64))
        return NULL;
    size_t i = hash_name(name) & (g->nslots - 1);
    while (g->slots[i] != (size_t)-1) {
        if (!strcmp(g->items[g->slots[i]].name, name))
            return &g->items[g->slots[i]];
        i = (i + 1) & (g->nslots - 1);
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        struct report_group *items = realloc(g->items, cap * sizeof *items);
        if (!items)
            return NULL;
        g->items = items;
        g->cap = cap;
    }
    struct report_group *item = &g->items[g->n];
    memset(item, 0, sizeof *item);
    item->name = strdup(name);
    if (!item->name)
        return NULL;
    g->slots[i] = g->n++;
    /* Keep the load factor under one half. */
    if (g->n * 2 > g->nslots && !groups_rehash(g, g->nslots * 2))
        return NULL;
    return item;
}

static int group_cmp(const void *a, const void *b)
{
    const struct report_group *x = a, *y = b;
    if (x->domains != y->domains)
        return x->domains > y->domains ? -1 : 1;
    return strcmp(x->name, y->name);
}

void report_groups_sort(struct report_groups *g)
{
    free(g->slots);
    g->slots = NULL;
    g->nslots = 0;
    if (g->n > 1)
        qsort(g->items, g->n, sizeof *g->items, group_cmp);
}

void report_groups_free(struct report_groups *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->items[i].name);
    free(g->items);
    free(g->slots);
    memset(g, 0, sizeof *g);
}
