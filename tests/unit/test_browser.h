/* Helpers of the suites that load pages in headless Chromium: finding the browser, reading
 * what it wrote. */
#ifndef TEST_BROWSER_H
#define TEST_BROWSER_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* The headless browser's path, or NULL when none is installed (the suite then skips with a
 * reason starting "missing", which fails under CI=true). */
static inline const char *find_chromium(void)
{
    static const char *const names[] = {"/usr/bin/chromium", "/usr/bin/chromium-browser",
                                        "/usr/bin/google-chrome"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (access(names[i], X_OK) == 0)
            return names[i];
    return NULL;
}

/* The whole file as a malloc'ed NUL-terminated string, or NULL. */
static inline char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) {
        fclose(f);
        return NULL;
    }
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, n, m);
    fclose(f);
    fclose(m);
    return buf;
}

#endif
