/* One list file as plain bytes and lines (input_source.h): read(2), zstd streaming. */
#include "scanner/input/input_source.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};

int input_source_error(char *err, size_t errlen, const char *name, const char *what)
{
    snprintf(err, errlen, "%s: %s", strcmp(name, "-") ? name : "stdin", what);
    return -1;
}

int input_source_open(struct input_source *s, const char *name, char *err, size_t errlen)
{
    memset(s, 0, offsetof(struct input_source, raw));
    s->name = name;
    if (!strcmp(name, "-")) {
        s->fd = STDIN_FILENO;
        return 0;
    }
    s->fd = open(name, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0)
        return input_source_error(err, errlen, name, strerror(errno));
    s->own_fd = true;
    return 0;
}

void input_source_close(struct input_source *s)
{
    if (s->own_fd && s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    s->own_fd = false;
    ZSTD_freeDStream(s->zs);
    s->zs = NULL;
    free(s->plain);
    s->plain = NULL;
}

/* Refills raw[]; returns bytes read, 0 at EOF, -1 on error. */
static ssize_t source_read_raw(struct input_source *s, char *err, size_t errlen)
{
    ssize_t n;
    do
        n = read(s->fd, s->raw, sizeof s->raw);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return input_source_error(err, errlen, s->name, strerror(errno));
    s->raw_len = (size_t)n;
    s->raw_pos = 0;
    if (n == 0)
        s->raw_eof = true;
    return n;
}

/* Makes plain bytes available at *data (length *len); returns 1, 0 at the end, -1 on error. */
static int source_fill(struct input_source *s, const uint8_t **data, size_t *len, char *err,
                       size_t errlen)
{
    if (!s->sniffed) {
        if (source_read_raw(s, err, errlen) < 0)
            return -1;
        s->sniffed = true;
        if (s->raw_len >= 4 && memcmp(s->raw, zstd_magic, 4) == 0) {
            s->zstd = true;
            s->zs = ZSTD_createDStream();
            s->plain = malloc(ZSTD_DStreamOutSize());
            if (!s->zs || !s->plain || ZSTD_isError(ZSTD_initDStream(s->zs)))
                return input_source_error(err, errlen, s->name, "out of memory for zstd");
        }
    }
    if (!s->zstd) {
        if (s->raw_pos == s->raw_len && !s->raw_eof && source_read_raw(s, err, errlen) < 0)
            return -1;
        if (s->raw_pos == s->raw_len)
            return 0;
        *data = s->raw + s->raw_pos;
        *len = s->raw_len - s->raw_pos;
        s->raw_pos = s->raw_len;
        return 1;
    }
    for (;;) {
        if (s->raw_pos == s->raw_len && !s->raw_eof && source_read_raw(s, err, errlen) < 0)
            return -1;
        if (s->raw_pos == s->raw_len) {
            if (s->frame_open)
                return input_source_error(err, errlen, s->name, "zstd stream truncated");
            return 0;
        }
        ZSTD_inBuffer in = {s->raw, s->raw_len, s->raw_pos};
        ZSTD_outBuffer out = {s->plain, ZSTD_DStreamOutSize(), 0};
        size_t rc = ZSTD_decompressStream(s->zs, &out, &in);
        if (ZSTD_isError(rc)) {
            char what[160];
            snprintf(what, sizeof what, "zstd: %s", ZSTD_getErrorName(rc));
            return input_source_error(err, errlen, s->name, what);
        }
        s->raw_pos = in.pos;
        s->frame_open = rc != 0;
        if (out.pos > 0) {
            *data = s->plain;
            *len = out.pos;
            return 1;
        }
    }
}

int input_source_read_line(struct input_source *s, char *buf, size_t max, size_t *len,
                           bool *too_long, char *err, size_t errlen)
{
    *len = 0;
    *too_long = false;
    bool any = false;
    for (;;) {
        if (s->chunk_len == 0) {
            int rc = source_fill(s, &s->chunk, &s->chunk_len, err, errlen);
            if (rc < 0)
                return -1;
            if (rc == 0)
                return any ? 1 : 0;
        }
        any = true;
        const uint8_t *nl = memchr(s->chunk, '\n', s->chunk_len);
        size_t take = nl ? (size_t)(nl - s->chunk) : s->chunk_len;
        size_t room = max - *len;
        if (take > room) {
            *too_long = true;
            memcpy(buf + *len, s->chunk, room);
            *len += room;
        } else {
            memcpy(buf + *len, s->chunk, take);
            *len += take;
        }
        size_t used = nl ? take + 1 : take;
        s->chunk += used;
        s->chunk_len -= used;
        if (nl)
            return 1;
    }
}

bool input_rereadable(const char *path)
{
    struct stat st;
    return path && strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}
