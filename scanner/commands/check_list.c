/* `mtasts check --file LIST` and `mtasts check -`: a small portfolio read from a file or
 * standard input, without a database. */
#include "scanner/commands/check_list.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_LINE_MAX 1024

static int read_names(FILE *f, const char *name, struct check_list *l, char *err, size_t errlen)
{
    char line[CHECK_LINE_MAX + 2];
    long lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        if (n > CHECK_LINE_MAX) {
            snprintf(err, errlen, "%s:%ld: line longer than %d bytes", name, lineno,
                     CHECK_LINE_MAX);
            return -1;
        }
        while (n > 0 && isspace((unsigned char)line[n - 1]))
            line[--n] = '\0';
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#')
            continue;
        char *comma = strrchr(p, ',');
        if (comma)
            p = comma + 1;
        while (isspace((unsigned char)*p))
            p++;
        if (l->n >= CHECK_LIST_MAX) {
            snprintf(err, errlen, "%s: more than %d names: use mtasts scan for lists this size",
                     name, CHECK_LIST_MAX);
            return -1;
        }
        char **names = realloc(l->names, (l->n + 1) * sizeof *names);
        char *copy = strdup(p);
        if (!names || !copy) {
            free(copy);
            if (names)
                l->names = names;
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        l->names = names;
        l->names[l->n++] = copy;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "cannot read %s: %s", name, strerror(errno));
        return -1;
    }
    return 0;
}

static int read_file(const char *path, struct check_list *l, char *err, size_t errlen)
{
    if (!strcmp(path, "-"))
        return read_names(stdin, "standard input", l, err, errlen);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = read_names(f, path, l, err, errlen);
    fclose(f);
    return rc;
}

int check_list_take_args(int *argc, char **argv, struct check_list *l, char *err, size_t errlen)
{
    memset(l, 0, sizeof *l);
    int out = 1;
    bool stdin_read = false;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        const char *path = NULL;
        if (!strcmp(a, "--file")) {
            if (i + 1 >= *argc) {
                snprintf(err, errlen, "--file needs a value");
                return -1;
            }
            path = argv[++i];
        } else if (!strncmp(a, "--file=", 7)) {
            path = a + 7;
        } else if (!strcmp(a, "-")) {
            path = "-";
        } else if (!strcmp(a, "--")) {
            while (i < *argc)
                argv[out++] = argv[i++];
            break;
        } else {
            argv[out++] = argv[i];
            continue;
        }
        if (!strcmp(path, "-")) {
            if (stdin_read)
                continue; /* standard input is read once */
            stdin_read = true;
        }
        if (read_file(path, l, err, errlen) < 0)
            return -1;
        if (l->n == 0) {
            snprintf(err, errlen, "%s holds no domain name",
                     strcmp(path, "-") ? path : "standard input");
            return -1;
        }
    }
    *argc = out;
    argv[out] = NULL;
    return 0;
}

void check_list_free(struct check_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
    memset(l, 0, sizeof *l);
}
