/* One list file as plain bytes and lines: a file or stdin, zstd recognised by its magic
 * number and decompressed as it is read. */
#ifndef INPUT_SOURCE_H
#define INPUT_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zstd.h>

#define INPUT_READ_CHUNK (1u << 16)

/* The state of one open file (embed it: it holds a 64 KiB read buffer). */
struct input_source {
    const char *name; /* as given; "-" is stdin */
    int fd;
    bool own_fd;
    bool zstd;
    bool sniffed;    /* the first chunk was examined for the zstd magic */
    bool raw_eof;    /* read() returned 0 */
    bool frame_open; /* zstd: inside a frame (EOF now would be truncation) */
    ZSTD_DStream *zs;
    size_t raw_len, raw_pos;
    uint8_t *plain; /* decompressed bytes (zstd only; else raw is plain) */
    size_t plain_len, plain_pos;
    const uint8_t *chunk; /* plain bytes not yet split into lines */
    size_t chunk_len;
    long line;      /* lines returned so far */
    bool seen_data; /* a line that is not blank or comment was seen (headers come first) */
    uint8_t raw[INPUT_READ_CHUNK]; /* bytes as read */
};

/* Opens name ("-": stdin, not closed later). Returns 0, or -1 with err naming the file. */
int input_source_open(struct input_source *s, const char *name, char *err, size_t errlen);
void input_source_close(struct input_source *s);

/* Reads the next line (without its LF) into buf, at most max bytes: a longer line is cut
 * there and *too_long set, the rest of it skipped. Returns 1, 0 at the end of the file, or -1
 * with err naming the file (I/O error, corrupt or truncated zstd). */
int input_source_read_line(struct input_source *s, char *buf, size_t max, size_t *len,
                           bool *too_long, char *err, size_t errlen);

/* Writes "NAME: what" into err ("stdin" for "-"); returns -1. */
int input_source_error(char *err, size_t errlen, const char *name, const char *what);

/* True when path can be read twice with the same bytes: a regular file (after symlinks). False
 * for "-", pipes and FIFOs (e.g. the shell's <(zcat list.gz), /dev/fd/N), devices, sockets
 * and names that cannot be stat'ed: a pre-pass over those would consume what the scan reads. */
bool input_rereadable(const char *path);

#endif
