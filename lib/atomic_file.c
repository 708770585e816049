/* The one "write to a temporary file, then rename" of the tree (atomic_file.h). */
#include "lib/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int atomic_file_open(struct atomic_file *af, const char *path, char *err, size_t errlen)
{
    memset(af, 0, sizeof *af);
    if ((size_t)snprintf(af->path, sizeof af->path, "%s", path) >= sizeof af->path ||
        (size_t)snprintf(af->tmp, sizeof af->tmp, "%s.tmp.%ld", path, (long)getpid()) >=
            sizeof af->tmp) {
        snprintf(err, errlen, "output path too long: %s", path);
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot write %s: %s", af->tmp, strerror(e));
        errno = e;
        return -1;
    }
    af->f = fdopen(fd, "wb");
    if (!af->f) {
        int e = errno;
        snprintf(err, errlen, "cannot write %s: %s", af->tmp, strerror(e));
        close(fd);
        unlink(af->tmp);
        errno = e;
        return -1;
    }
    return 0;
}

int atomic_file_commit(struct atomic_file *af, char *err, size_t errlen)
{
    const char *what = NULL;
    int e = 0;
    /* ferror first: a write that failed earlier may leave nothing for fflush to report. */
    if (ferror(af->f) || fflush(af->f) != 0) {
        what = "cannot write";
        e = errno ? errno : EIO;
    } else if (fsync(fileno(af->f)) != 0) {
        what = "cannot write";
        e = errno;
    }
    if (fclose(af->f) != 0 && !what) {
        what = "cannot write";
        e = errno;
    }
    af->f = NULL;
    if (what) {
        snprintf(err, errlen, "%s %s: %s", what, af->tmp, strerror(e));
        unlink(af->tmp);
        errno = e;
        return -1;
    }
    if (rename(af->tmp, af->path) != 0) {
        e = errno;
        snprintf(err, errlen, "cannot rename %s to %s: %s", af->tmp, af->path, strerror(e));
        unlink(af->tmp);
        errno = e;
        return -1;
    }
    return 0;
}

void atomic_file_discard(struct atomic_file *af)
{
    if (af->f)
        fclose(af->f);
    af->f = NULL;
    unlink(af->tmp);
}
