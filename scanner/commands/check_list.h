/* `mtasts check --file LIST` and `mtasts check -`: a small portfolio read from a file or
 * standard input, without a database. */
#ifndef CHECK_LIST_H
#define CHECK_LIST_H

#include <stddef.h>

/* At most this many names from a list: check keeps every domain's output until the end;
 * larger lists are what `mtasts scan` is for. */
#define CHECK_LIST_MAX 10000

struct check_list {
    char **names; /* owned */
    size_t n;
};

/* Removes `--file FILE` (also `--file=FILE`, repeatable) and a bare `-` (standard input)
 * from argv and reads their names: one per line, blank lines and `#` comments skipped, a
 * `rank,domain` line gives its last field. Returns 0, or -1 with err naming the file and
 * line. The names are not normalised here (check does it, and reports a bad one). */
int check_list_take_args(int *argc, char **argv, struct check_list *l, char *err, size_t errlen);
void check_list_free(struct check_list *l);

#endif
