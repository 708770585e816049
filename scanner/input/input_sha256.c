/* The SHA-256 of a list file as it is on disk (input_sha256.h), through OpenSSL's EVP. */
#include "scanner/input/input_sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "scanner/input/input_source.h"

int input_sha256_file(const char *path, char hex[65], char *err, size_t errlen)
{
    hex[0] = '\0';
    if (!strcmp(path, "-")) {
        snprintf(err, errlen, "stdin has no hash");
        return -1;
    }
    if (!input_rereadable(path)) /* a pipe: hashing it would consume the scan's input */
        return input_source_error(err, errlen, path, "not a regular file: no hash");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return input_source_error(err, errlen, path, strerror(errno));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        close(fd);
        return input_source_error(err, errlen, path, "cannot initialise SHA-256");
    }
    static __thread uint8_t buf[INPUT_READ_CHUNK];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || EVP_DigestUpdate(ctx, buf, (size_t)n) != 1) {
            int saved = errno;
            EVP_MD_CTX_free(ctx);
            close(fd);
            return input_source_error(err, errlen, path,
                                      n < 0 ? strerror(saved) : "SHA-256 failed");
        }
    }
    close(fd);
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    int ok = EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    if (ok != 1 || mdlen != 32)
        return input_source_error(err, errlen, path, "SHA-256 failed");
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return 0;
}
