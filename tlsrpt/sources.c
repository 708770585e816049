/* Local sources of reports: a file (by content), a directory, a Maildir, standard input. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlsrpt/ingest.h"

#define TLSRPT_MAX_DIR_DEPTH 8

/* Reads a whole file descriptor, refusing more than TLSRPT_MAX_INPUT_BYTES. Returns 0, 1
 * (too large), or -1 (errno set). */
static int read_all(int fd, char **out, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return -1;
    for (;;) {
        if (n == cap) {
            if (cap > TLSRPT_MAX_INPUT_BYTES) {
                free(buf);
                return 1;
            }
            size_t nc = cap * 2 > TLSRPT_MAX_INPUT_BYTES + 1 ? TLSRPT_MAX_INPUT_BYTES + 1 : cap * 2;
            char *nb = realloc(buf, nc);
            if (!nb) {
                free(buf);
                return -1;
            }
            buf = nb;
            cap = nc;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            errno = e;
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > TLSRPT_MAX_INPUT_BYTES) {
            free(buf);
            return 1;
        }
    }
    *out = buf;
    *len = n;
    return 0;
}

/* The bytes of one source, by what they look like. `in_mailbox`: a message without a
 * report is counted, not rejected (Maildirs and directories hold other mail). */
static void ingest_bytes(struct tlsrpt_ingest *in, const char *name, const char *data, size_t len,
                         bool in_mailbox)
{
    size_t nm = 0, nw = 0;
    switch (tlsrpt_sniff(data, len)) {
    case TLSRPT_KIND_GZIP:
    case TLSRPT_KIND_ZIP:
    case TLSRPT_KIND_JSON:
        tlsrpt_extract_payload(&in->sink, name, data, len);
        break;
    case TLSRPT_KIND_MBOX:
        tlsrpt_extract_mbox(&in->sink, name, data, len, &nm, &nw);
        in->messages += (int64_t)nm;
        in->messages_without += (int64_t)nw;
        break;
    case TLSRPT_KIND_MESSAGE:
        if (in_mailbox) {
            tlsrpt_ingest_message(in, name, data, len);
        } else if (tlsrpt_extract_message(&in->sink, name, data, len) == 0) {
            in->rejected++; /* a file given by name must hold a report */
            tlsrpt_ingest_log(in, name, "rejected",
                              "neither a report (JSON, gzip, zip) nor a mail message or mbox "
                              "holding one");
        } else {
            in->messages++;
        }
        break;
    }
}

static void ingest_file(struct tlsrpt_ingest *in, const char *path, bool in_mailbox)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        in->io_errors++;
        tlsrpt_ingest_log(in, path, "cannot open", strerror(errno));
        return;
    }
    /* An mbox is streamed (any size); everything else is read whole under the cap. */
    char head[5];
    ssize_t h = pread(fd, head, sizeof head, 0);
    if (h == 5 && !memcmp(head, "From ", 5)) {
        size_t nm = 0, nw = 0;
        tlsrpt_extract_mbox_fd(&in->sink, path, fd, &nm, &nw);
        in->messages += (int64_t)nm;
        in->messages_without += (int64_t)nw;
        return;
    }
    char *data = NULL;
    size_t len = 0;
    int rc = read_all(fd, &data, &len);
    int e = errno;
    close(fd);
    if (rc == 1) {
        in->rejected++;
        tlsrpt_ingest_log(in, path, "rejected", "larger than the 64 MiB input cap");
        return;
    }
    if (rc < 0) {
        in->io_errors++;
        tlsrpt_ingest_log(in, path, "cannot read", strerror(e));
        return;
    }
    ingest_bytes(in, path, data, len, in_mailbox);
    free(data);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static bool is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static void ingest_dir(struct tlsrpt_ingest *in, const char *path, int depth, bool in_mailbox);

/* A Maildir: messages in new/ then cur/, read only (nothing is moved or flagged). */
static void ingest_maildir(struct tlsrpt_ingest *in, const char *path)
{
    static const char *const subs[] = {"new", "cur"};
    for (size_t i = 0; i < 2; i++) {
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, subs[i]);
        if (is_dir(sub))
            ingest_dir(in, sub, TLSRPT_MAX_DIR_DEPTH, true);
    }
}

static void ingest_dir(struct tlsrpt_ingest *in, const char *path, int depth, bool in_mailbox)
{
    struct dirent **list = NULL;
    int n = scandir(path, &list, NULL, by_name);
    if (n < 0) {
        in->io_errors++;
        tlsrpt_ingest_log(in, path, "cannot read the directory", strerror(errno));
        return;
    }
    for (int i = 0; i < n && !in->fatal; i++) {
        const char *e = list[i]->d_name;
        if (e[0] == '.')
            continue; /* ., .., and hidden files (editors' and mail clients' state) */
        char child[4096];
        if ((size_t)snprintf(child, sizeof child, "%s/%s", path, e) >= sizeof child)
            continue;
        struct stat sb;
        if (lstat(child, &sb) != 0 || S_ISLNK(sb.st_mode))
            continue; /* symbolic links are not followed (no loops, no escapes) */
        if (S_ISDIR(sb.st_mode)) {
            if (depth >= TLSRPT_MAX_DIR_DEPTH) {
                tlsrpt_ingest_log(in, child, "skipped", "directories nested too deep");
                continue;
            }
            char c1[4200], c2[4200];
            snprintf(c1, sizeof c1, "%s/cur", child);
            snprintf(c2, sizeof c2, "%s/new", child);
            if (is_dir(c1) || is_dir(c2))
                ingest_maildir(in, child);
            else if (strcmp(e, "tmp") || !in_mailbox)
                ingest_dir(in, child, depth + 1, in_mailbox);
        } else if (S_ISREG(sb.st_mode)) {
            ingest_file(in, child, in_mailbox);
        }
    }
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

void tlsrpt_ingest_path(struct tlsrpt_ingest *in, const char *path)
{
    if (!strcmp(path, "-")) {
        char *data = NULL;
        size_t len = 0;
        int rc = read_all(STDIN_FILENO, &data, &len);
        if (rc == 1) {
            in->rejected++;
            tlsrpt_ingest_log(in, "(stdin)", "rejected", "larger than the 64 MiB input cap");
        } else if (rc < 0) {
            in->io_errors++;
            tlsrpt_ingest_log(in, "(stdin)", "cannot read", strerror(errno));
        } else {
            ingest_bytes(in, "(stdin)", data, len, false);
            free(data);
        }
        return;
    }
    struct stat sb;
    if (stat(path, &sb) != 0) {
        in->io_errors++;
        tlsrpt_ingest_log(in, path, "cannot open", strerror(errno));
        return;
    }
    if (S_ISDIR(sb.st_mode)) {
        char c1[4200], c2[4200];
        snprintf(c1, sizeof c1, "%s/cur", path);
        snprintf(c2, sizeof c2, "%s/new", path);
        if (is_dir(c1) || is_dir(c2))
            ingest_maildir(in, path);
        else
            ingest_dir(in, path, 0, true);
        return;
    }
    ingest_file(in, path, false);
}
