/* The SHA-256 of a list file as it is on disk, recorded with the scan's inputs. */
#ifndef INPUT_SHA256_H
#define INPUT_SHA256_H

#include <stddef.h>

/* SHA-256 of a file's bytes as it is on disk (compressed for .zst), 64 lower-case hex
 * digits and a NUL into hex. "-" (stdin) and other files that are not input_rereadable() have
 * no hash: returns -1 with hex "" without reading them. Returns 0,
 * or -1 with a message naming the file in err. */
int input_sha256_file(const char *path, char hex[65], char *err, size_t errlen);

#endif
