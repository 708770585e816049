/* Raw artifacts: SHA-256 of the content (the dedup key) and zstd compression, per thread. */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "store/store_internal.h"

/* Level 3 is zstd's default: on the short texts stored here, higher levels gain a few
 * bytes for several times the CPU (measured in store/README.md). 0 stores everything raw
 * (the benchmark's baseline). */
static int zstd_level = 3;

void store_blob_set_level(int level)
{
    zstd_level = level;
}

static pthread_key_t cctx_key, dctx_key;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static void free_cctx(void *p)
{
    ZSTD_freeCCtx(p);
}

static void free_dctx(void *p)
{
    ZSTD_freeDCtx(p);
}

static void make_keys(void)
{
    pthread_key_create(&cctx_key, free_cctx);
    pthread_key_create(&dctx_key, free_dctx);
}

/* One compression context per thread, reused: workers build rows in parallel. */
static ZSTD_CCtx *thread_cctx(void)
{
    pthread_once(&ctx_once, make_keys);
    ZSTD_CCtx *c = pthread_getspecific(cctx_key);
    if (!c) {
        c = ZSTD_createCCtx();
        if (c)
            pthread_setspecific(cctx_key, c);
    }
    return c;
}

static ZSTD_DCtx *thread_dctx(void)
{
    pthread_once(&ctx_once, make_keys);
    ZSTD_DCtx *d = pthread_getspecific(dctx_key);
    if (!d) {
        d = ZSTD_createDCtx();
        if (d)
            pthread_setspecific(dctx_key, d);
    }
    return d;
}

const char *store_art_kind(enum store_art kind)
{
    static const char *const names[SA_COUNT] = {"txt", "tlsrpt", "policy", "cert"};
    return kind < SA_COUNT ? names[kind] : "unknown";
}

/* Whether compressing is worth trying: zstd's frame overhead makes tiny inputs larger. */
static bool worth_compressing(size_t len)
{
    return len >= 32;
}

int store_blob_encode(const char *raw, size_t len, enum store_art kind, uint8_t sha256[32],
                      char *codec, size_t codec_len, void **out, size_t *out_len)
{
    (void)kind;
    unsigned int md_len = 0;
    if (!EVP_Digest(raw, len, sha256, &md_len, EVP_sha256(), NULL) || md_len != 32)
        return -1;
    if (zstd_level > 0 && worth_compressing(len)) {
        ZSTD_CCtx *cctx = thread_cctx();
        size_t bound = ZSTD_compressBound(len);
        void *buf = cctx ? malloc(bound) : NULL;
        if (buf) {
            size_t n = ZSTD_compressCCtx(cctx, buf, bound, raw, len, zstd_level);
            if (!ZSTD_isError(n) && n < len) {
                snprintf(codec, codec_len, "zstd");
                *out = buf;
                *out_len = n;
                return 0;
            }
            free(buf);
        }
    }
    void *copy = malloc(len ? len : 1);
    if (!copy)
        return -1;
    memcpy(copy, raw, len);
    snprintf(codec, codec_len, "raw");
    *out = copy;
    *out_len = len;
    return 0;
}

int store_blob_decode(const char *codec, const void *data, size_t len, size_t raw_size, char **out,
                      size_t *out_len)
{
    if (raw_size > (size_t)64 << 20)
        return -1; /* no artifact is this large: a damaged row, not a reason to allocate */
    char *buf = malloc(raw_size + 1);
    if (!buf)
        return -1;
    size_t n;
    if (!strcmp(codec, "raw")) {
        if (len != raw_size)
            goto fail;
        memcpy(buf, data, len);
        n = len;
    } else if (!strcmp(codec, "zstd")) {
        ZSTD_DCtx *d = thread_dctx();
        if (!d)
            goto fail;
        n = ZSTD_decompressDCtx(d, buf, raw_size, data, len);
        if (ZSTD_isError(n) || n != raw_size)
            goto fail;
    } else {
        goto fail;
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return 0;
fail:
    free(buf);
    return -1;
}

int store_blob_read(struct store *st, const char *codec, const void *data, size_t len,
                    size_t raw_size, char **out, size_t *out_len)
{
    if (!codec || (!data && len) ||
        store_blob_decode(codec, data ? data : "", len, raw_size, out, out_len) < 0) {
        store_set_error(st, "%s: a stored artifact cannot be decoded (codec %s)", st->path,
                        codec ? codec : "(null)");
        return -1;
    }
    return 0;
}

int store_artifact_get(struct store *st, int64_t blob_id, char **out, size_t *out_len)
{
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    pthread_mutex_lock(&st->mu);
    if (sqlite3_prepare_v2(st->db, "SELECT codec, data, raw_size FROM blobs WHERE id = ?", -1,
                           &stmt, NULL) != SQLITE_OK) {
        store_set_sqlite_error(st, "cannot read an artifact");
    } else {
        sqlite3_bind_int64(stmt, 1, blob_id);
        if (sqlite3_step(stmt) == SQLITE_ROW)
            rc =
                store_blob_read(st, (const char *)sqlite3_column_text(stmt, 0),
                                sqlite3_column_blob(stmt, 1), (size_t)sqlite3_column_bytes(stmt, 1),
                                (size_t)sqlite3_column_int64(stmt, 2), out, out_len);
        else
            store_set_error(st, "%s: no artifact %lld", st->path, (long long)blob_id);
    }
    sqlite3_finalize(stmt);
    pthread_mutex_unlock(&st->mu);
    return rc;
}
