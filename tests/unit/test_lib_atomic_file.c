/* Unit suite for lib/atomic_file.c: exclusive creation, rename on success, the target untouched
 * on failure. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/atomic_file.h"
#include "tests/unit/tap.h"

#define PLAN 9

static char dir[] = "/tmp/mtasts-atomic-XXXXXX";

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

int main(void)
{
    printf("1..%d\n", PLAN);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char target[256], victim[256], err[512];
    snprintf(target, sizeof target, "%s/report.txt", dir);
    snprintf(victim, sizeof victim, "%s/victim", dir);
    struct atomic_file af;

    /* Success: the contents appear at the target, nothing else is left. */
    put(target, "old\n");
    int rc = atomic_file_open(&af, target, err, sizeof err);
    TAP_CHECK(rc == 0 && af.f && exists(af.tmp) && !strcmp(slurp(target), "old\n"),
              "the temporary file is beside the target, which still holds the old contents",
              "rc %d: %s", rc, err);
    if (rc == 0) {
        fputs("new\n", af.f);
        rc = atomic_file_commit(&af, err, sizeof err);
    }
    char *got = slurp(target);
    TAP_CHECK(rc == 0 && got && !strcmp(got, "new\n"), "commit renames the new contents into place",
              "rc %d, '%s': %s", rc, got ? got : "(none)", err);
    TAP_CHECK(!exists(af.tmp), "no temporary file left after commit", "%s exists", af.tmp);

    /* Exclusive creation: a symbolic link planted at the temporary name is not followed. */
    put(victim, "victim\n");
    char tmp[ATOMIC_FILE_PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", target, (long)getpid());
    if (symlink(victim, tmp) != 0)
        perror("symlink");
    rc = atomic_file_open(&af, target, err, sizeof err);
    TAP_CHECK(rc < 0 && errno == EEXIST && strstr(err, "cannot write"),
              "a link planted at the temporary name makes the open fail (EEXIST)", "rc %d: %s", rc,
              err);
    got = slurp(victim);
    TAP_CHECK(got && !strcmp(got, "victim\n") && !strcmp(slurp(target), "new\n"),
              "the link's target and the file are untouched", "victim '%s'", got ? got : "");
    unlink(tmp);

    /* A failed write (the file size limit: EFBIG) leaves the target as it was. */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 16;
    rc = atomic_file_open(&af, target, err, sizeof err);
    if (rc == 0) {
        setrlimit(RLIMIT_FSIZE, &lim);
        for (int i = 0; i < 64; i++)
            fputs("0123456789abcdef", af.f);
        rc = atomic_file_commit(&af, err, sizeof err);
        setrlimit(RLIMIT_FSIZE, &old);
    }
    got = slurp(target);
    TAP_CHECK(rc < 0 && strstr(err, "cannot write"), "a failed write makes commit fail",
              "rc %d: %s", rc, err);
    TAP_CHECK(got && !strcmp(got, "new\n") && !exists(af.tmp),
              "after a failed write the target is untouched and the temporary file removed",
              "target '%s'", got ? got : "(none)");

    /* Discard: nothing written, nothing left. */
    rc = atomic_file_open(&af, target, err, sizeof err);
    if (rc == 0) {
        fputs("discarded\n", af.f);
        atomic_file_discard(&af);
    }
    got = slurp(target);
    TAP_CHECK(rc == 0 && got && !strcmp(got, "new\n") && !exists(af.tmp),
              "discard removes the temporary file and keeps the target", "rc %d", rc);

    /* A directory that does not exist: the open fails, naming the file. */
    char missing[300];
    snprintf(missing, sizeof missing, "%s/no-such-dir/x", dir);
    rc = atomic_file_open(&af, missing, err, sizeof err);
    TAP_CHECK(rc < 0 && strstr(err, "cannot write") && strstr(err, "no-such-dir"),
              "an output in a missing directory is refused, naming it", "rc %d: %s", rc, err);

    unlink(target);
    unlink(victim);
    rmdir(dir);
    TAP_DONE();
}
