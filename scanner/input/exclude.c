/* The exclude list (`--exclude FILE`): domains, and whole subtrees, the scan must not touch. */
#include "scanner/input/exclude.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/input/domain_name.h"
#include "scanner/input/input_line.h"
#include "scanner/input/shard.h"

#define EXCLUDE_SELF 1u  /* the name itself */
#define EXCLUDE_BELOW 2u /* every name below it */
#define EXCLUDE_KEY "mtasts-exclude1."

struct exclude_slot {
    char *name; /* NULL: empty */
    unsigned flags;
};

struct exclude_list {
    struct exclude_slot *slots;
    size_t size; /* power of two */
    size_t count;
};

static size_t name_hash(const char *name, size_t len)
{
    return (size_t)shard_siphash24((const uint8_t *)EXCLUDE_KEY, name, len);
}

/* Slot of the name, or the empty slot where it would go. */
static size_t find_slot(const struct exclude_list *x, const char *name, size_t len)
{
    size_t i = name_hash(name, len) & (x->size - 1);
    while (x->slots[i].name &&
           !(strlen(x->slots[i].name) == len && memcmp(x->slots[i].name, name, len) == 0))
        i = (i + 1) & (x->size - 1);
    return i;
}

static int grow(struct exclude_list *x)
{
    size_t size = x->size * 2;
    struct exclude_slot *slots = calloc(size, sizeof *slots);
    if (!slots)
        return -1;
    struct exclude_list bigger = {slots, size, 0};
    for (size_t i = 0; i < x->size; i++)
        if (x->slots[i].name)
            bigger.slots[find_slot(&bigger, x->slots[i].name, strlen(x->slots[i].name))] =
                x->slots[i];
    free(x->slots);
    x->slots = slots;
    x->size = size;
    return 0;
}

struct exclude_list *exclude_new(void)
{
    struct exclude_list *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->size = 64;
    x->slots = calloc(x->size, sizeof *x->slots);
    if (!x->slots) {
        free(x);
        return NULL;
    }
    return x;
}

void exclude_free(struct exclude_list *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->size; i++)
        free(x->slots[i].name);
    free(x->slots);
    free(x);
}

size_t exclude_count(const struct exclude_list *x)
{
    return x->count;
}

static int add_normalised(struct exclude_list *x, const char *name, unsigned flags)
{
    if ((x->count + 1) * 2 > x->size && grow(x) != 0)
        return -1;
    size_t len = strlen(name);
    size_t i = find_slot(x, name, len);
    if (!x->slots[i].name) {
        x->slots[i].name = strdup(name);
        if (!x->slots[i].name)
            return -1;
        x->count++;
    }
    x->slots[i].flags |= flags;
    return 0;
}

/* Adds `len` bytes of an entry. */
static int add_entry(struct exclude_list *x, const char *entry, size_t len, const char **reason)
{
    unsigned flags = EXCLUDE_SELF | EXCLUDE_BELOW;
    if (len >= 2 && entry[0] == '*' && entry[1] == '.') {
        entry += 2;
        len -= 2;
        flags = EXCLUDE_BELOW;
    } else if (len >= 1 && entry[0] == '.') {
        entry++;
        len--;
        flags = EXCLUDE_BELOW;
    }
    char name[DOMAIN_NAME_BUFSZ];
    if (domain_normalize_flags(entry, len, DOMAIN_ALLOW_SINGLE_LABEL, name, sizeof name, reason))
        return -1;
    if (add_normalised(x, name, flags) != 0) {
        *reason = "out of memory";
        return -1;
    }
    return 0;
}

int exclude_add(struct exclude_list *x, const char *entry, const char **reason)
{
    return add_entry(x, entry, entry ? strlen(entry) : 0, reason);
}

static unsigned lookup(const struct exclude_list *x, const char *name, size_t len)
{
    const struct exclude_slot *s = &x->slots[find_slot(x, name, len)];
    return s->name ? s->flags : 0;
}

bool exclude_match(const struct exclude_list *x, const char *domain)
{
    if (!x || x->count == 0)
        return false;
    size_t len = strlen(domain);
    if (lookup(x, domain, len) & EXCLUDE_SELF)
        return true;
    for (const char *dot = memchr(domain, '.', len); dot;
         dot = memchr(dot + 1, '.', len - (size_t)(dot + 1 - domain))) {
        const char *parent = dot + 1;
        if (lookup(x, parent, len - (size_t)(parent - domain)) & EXCLUDE_BELOW)
            return true;
    }
    return false;
}

int exclude_load(struct exclude_list *x, const char *path, char *err, size_t errlen)
{
    if (!strcmp(path, "-")) {
        snprintf(err, errlen, "--exclude: stdin (-) is reserved for the domain list");
        return -1;
    }
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    bool first = true;
    int rc = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t len = (size_t)n;
        if (len > 0 && line[len - 1] == '\n')
            len--;
        const char *reason = NULL;
        struct input_line_fields fields;
        enum input_line_kind k = INPUT_LINE_BAD;
        if (len > INPUT_LINE_MAX)
            reason = "line longer than 4096 bytes";
        else
            k = input_split_line(line, len, first, &fields);
        if (k == INPUT_LINE_SKIP)
            continue;
        first = false;
        if (k == INPUT_LINE_HEADER)
            continue;
        if (k == INPUT_LINE_BAD && !reason)
            reason = fields.reason;
        if (k == INPUT_LINE_DOMAIN && add_entry(x, fields.domain, fields.domain_len, &reason) == 0)
            continue;
        snprintf(err, errlen, "%s:%ld: not an exclude entry: %s", path, lineno, reason);
        rc = -1;
        break;
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}
