/* Grouping hosts by provider: registered-domain approximation and per-group counters. */
#include "reports/groups.h"

#include <ctype.h>
#include <libpsl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The Public Suffix List: libpsl's newest data, the distribution's file (Debian's
 * `publicsuffix` package, /usr/share/publicsuffix) or the built-in copy, loaded once. */
static const psl_ctx_t *psl;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;

static void psl_load(void)
{
    psl = psl_latest(NULL);
    if (!psl)
        psl = psl_builtin();
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
    pthread_once(&psl_once, psl_load);
    /* ICANN suffixes only: a private suffix (github.io, cloudfront.net) is the provider we
     * group by, not a registry. The first label start, from the left, whose remainder is a
     * public suffix (the `*` rule makes any unknown TLD one) marks the longest suffix; the
     * registered domain is one label more. */
    const char *prev = NULL;
    for (const char *p = buf; p; prev = p, p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL) {
        if (psl && psl_is_public_suffix2(psl, p, PSL_TYPE_ICANN)) {
            if (prev)
                memmove(buf, prev, strlen(prev) + 1);
            return true; /* else the host is itself a public suffix: kept whole */
        }
    }
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
