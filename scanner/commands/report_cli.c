/* Shared command-line plumbing of `report` and `diff`: opening the store, the output file. */
#include "scanner/commands/report_cli.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

struct store *report_cli_open(const char *cmd, const char *path)
{
    char err[512] = "";
    struct store *st = store_open(path, STORE_READ_ONLY, err, sizeof err);
    if (!st)
        fprintf(stderr, "mtasts %s: %s\n", cmd, err[0] ? err : path);
    return st;
}

static bool to_stdout(const char *path)
{
    return !path || !strcmp(path, "-");
}

/* PATH.tmp.PID: two runs writing one file (a cron job overlapping) never share it. */
static bool tmp_name(char *buf, size_t len, const char *path)
{
    return (size_t)snprintf(buf, len, "%s.tmp.%ld", path, (long)getpid()) < len;
}

FILE *report_cli_open_output(const char *cmd, const char *path)
{
    if (to_stdout(path))
        return stdout;
    char tmp[4096];
    if (!tmp_name(tmp, sizeof tmp, path)) {
        fprintf(stderr, "mtasts %s: output path too long: %s\n", cmd, path);
        return NULL;
    }
    FILE *f = fopen(tmp, "w");
    if (!f)
        fprintf(stderr, "mtasts %s: cannot write %s: %s\n", cmd, tmp, strerror(errno));
    return f;
}

int report_cli_close_output(const char *cmd, FILE *f, const char *path, bool ok)
{
    if (to_stdout(path))
        return ok ? 0 : -1;
    char tmp[4096];
    tmp_name(tmp, sizeof tmp, path); /* fits: report_cli_open_output checked */
    if (fclose(f) != 0 && ok) {
        fprintf(stderr, "mtasts %s: cannot write %s: %s\n", cmd, tmp, strerror(errno));
        ok = false;
    }
    if (ok && rename(tmp, path) != 0) {
        fprintf(stderr, "mtasts %s: cannot rename %s to %s: %s\n", cmd, tmp, path, strerror(errno));
        ok = false;
    }
    if (!ok)
        unlink(tmp);
    return ok ? 0 : -1;
}

void report_cli_now(char *buf, size_t len)
{
    report_format_time((int64_t)time(NULL), buf, len);
}
