/* Shared helpers of the libFuzzer harnesses: invariant checks that abort, input splitting. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/sts_txt.h"

/* A broken invariant is a bug like a crash: abort so libFuzzer keeps the input. */
#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define FUZZ_MAX_RECORDS 8

/* Splits data on '\n' into at most FUZZ_MAX_RECORDS records pointing into data (the last
 * takes the rest). Records are not NUL-terminated: parsers must honour the lengths. */
static inline size_t fuzz_split_records(const uint8_t *data, size_t size,
                                        struct sts_txt_record *recs)
{
    size_t n = 0, p = 0;
    while (p <= size && n < FUZZ_MAX_RECORDS) {
        const uint8_t *nl = n + 1 < FUZZ_MAX_RECORDS ? memchr(data + p, '\n', size - p) : NULL;
        size_t end = nl ? (size_t)(nl - data) : size;
        recs[n].data = (const char *)data + p;
        recs[n].len = end - p;
        n++;
        if (!nl)
            break;
        p = end + 1;
    }
    return n;
}

#endif
