/* Minimal test protocol for unit suites: prints the plan `1..N`, then `ok - name` /
 * `not ok - name # why` / `ok - name # SKIP reason` (tests/run checks the count). */
#ifndef TAP_H
#define TAP_H

#include <stdio.h>
#include <string.h>

static int tap_failures;

/* Declares how many cases the suite reports; call once, before the first case. tests/run fails
 * a suite whose number of cases differs (a suite that stops early is never a silent pass). */
#define TAP_PLAN(n)                                                                                \
    do {                                                                                           \
        printf("1..%d\n", (int)(n));                                                               \
        fflush(stdout);                                                                            \
    } while (0)

/* Reports a skipped case (counted as skipped, not passed). A reason starting with "missing"
 * means a required tool is not installed: a failure under CI=true (tests/run). */
#define TAP_SKIP(name, reason) printf("ok - %s # SKIP %s\n", (name), (reason))

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
