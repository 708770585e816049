/* The one "write to a temporary file, then rename" of the tree: a reader of PATH sees the old
 * file or the whole new one, never a part. */
#ifndef ATOMIC_FILE_H
#define ATOMIC_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define ATOMIC_FILE_PATH_MAX 4096

struct atomic_file {
    FILE *f; /* write the contents here */
    char path[ATOMIC_FILE_PATH_MAX];
    char tmp[ATOMIC_FILE_PATH_MAX]; /* PATH.tmp.PID, beside PATH so rename(2) stays atomic */
};

/* Creates PATH.tmp.PID with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0666 less the umask (as fopen):
 * a file or symbolic link already at that name, left over or planted, is never followed,
 * truncated or reused (the open fails with EEXIST). Two runs writing one PATH (overlapping
 * cron jobs) use different names. Returns 0, or -1 with errno set and err saying
 * "cannot write TMP: reason" (or that the path is too long); nothing is left behind. */
int atomic_file_open(struct atomic_file *af, const char *path, char *err, size_t errlen);

/* Flushes, fsyncs and closes the temporary file, then renames it over PATH. On any failure
 * (a write error seen now or earlier, a full disk, rename) the temporary file is removed and
 * PATH is left as it was; returns -1 with err naming the file and the reason. Returns 0 on
 * success. af->f is closed in every case. */
int atomic_file_commit(struct atomic_file *af, char *err, size_t errlen);

/* Closes and removes the temporary file; PATH is left as it was. */
void atomic_file_discard(struct atomic_file *af);

#endif
