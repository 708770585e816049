/* Minimal test protocol for unit suites: prints `ok - name` / `not ok - name # why`. */
#ifndef TAP_H
#define TAP_H

#include <stdio.h>
#include <string.h>

static int tap_failures;

/* Reports one case; `why` is printf-formatted and shown only on failure. */
#define TAP_CHECK(cond, name, ...)                                                                 \
    do {                                                                                           \
        if (cond) {                                                                                \
            printf("ok - %s\n", (name));                                                           \
        } else {                                                                                   \
            tap_failures++;                                                                        \
            printf("not ok - %s # ", (name));                                                      \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)

#define TAP_STR_EQ(got, want, name)                                                                \
    TAP_CHECK(((got) == NULL && (want) == NULL) ||                                                 \
                  ((got) != NULL && (want) != NULL && strcmp((got), (want)) == 0),                 \
              name, "got '%s', want '%s'", (got) ? (got) : "(null)", (want) ? (want) : "(null)")

/* Suites exit 0 when every case ran (failures are counted from the output). */
#define TAP_DONE() return 0

#endif
