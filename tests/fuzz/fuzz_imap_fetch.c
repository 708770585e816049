/* libFuzzer harness: the message of a UID FETCH response by its literal (tlsrpt/imap_fetch.c),
 * the IMAP server's bytes as libcurl hands them over. */
#include "tests/fuzz/fuzz_common.h"
#include "tlsrpt/imap_fetch.h"

static int fuzz_imap_fetch_one(const uint8_t *data, size_t size)
{
    /* the first byte picks the UID asked for (small ones, so inputs can match them) and the
     * cap; the rest is the response */
    if (size < 1)
        return 0;
    int64_t uid = data[0] % 16;
    size_t max = data[0] & 0x80 ? 64 : 1 << 16;
    const char *resp = (const char *)data + 1;
    size_t len = size - 1;
    const char *body = NULL, *why = NULL;
    size_t body_len = 0;
    int rc = tlsrpt_imap_fetch_body(resp, len, uid, max, &body, &body_len, &why);
    if (rc == 0) {
        FUZZ_ASSERT(body != NULL && body >= resp && body_len <= max);
        FUZZ_ASSERT((size_t)(body - resp) + body_len <= len);
    } else {
        FUZZ_ASSERT(rc == -1 && why != NULL && why[0] != '\0');
    }
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_imap_fetch_one(data, size);
}
#endif
