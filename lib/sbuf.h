/* A growable byte buffer for building strings, JSON and SQL values without fixed limits. */
#ifndef SBUF_H
#define SBUF_H

#include <stdbool.h>
#include <stddef.h>

/* Always NUL-terminated once anything was appended. `oom` is set, and further appends are
 * ignored, when memory runs out: check it once at the end instead of after every call. */
struct sbuf {
    char *data;
    size_t len;
    size_t cap;
    bool oom;
};

#define SBUF_INIT                                                                                  \
    {                                                                                              \
        NULL, 0, 0, false                                                                          \
    }

void sbuf_append(struct sbuf *b, const void *data, size_t len);
void sbuf_puts(struct sbuf *b, const char *s);
void sbuf_putc(struct sbuf *b, char c);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_reset(struct sbuf *b); /* length 0, keeps the memory, clears oom: a fresh start */
void sbuf_free(struct sbuf *b);
/* The contents ("" when empty); valid until the next append. */
const char *sbuf_str(const struct sbuf *b);

#endif
