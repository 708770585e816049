/* Report payloads: gzip and zip decompressed under a cap, JSON passed on; content sniffing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>
#include <zlib.h>

#include "tlsrpt/extract.h"

enum tlsrpt_kind tlsrpt_sniff(const char *data, size_t len)
{
    if (len >= 2 && (unsigned char)data[0] == 0x1f && (unsigned char)data[1] == 0x8b)
        return TLSRPT_KIND_GZIP;
    if (len >= 4 && !memcmp(data, "PK\x03\x04", 4))
        return TLSRPT_KIND_ZIP;
    size_t i = 0;
    if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
        i = 3; /* a UTF-8 byte order mark before the JSON */
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    if (i < len && (data[i] == '{' || data[i] == '['))
        return TLSRPT_KIND_JSON;
    if (len >= 5 && !memcmp(data, "From ", 5))
        return TLSRPT_KIND_MBOX;
    return TLSRPT_KIND_MESSAGE;
}

int tlsrpt_gunzip(const char *data, size_t len, size_t cap, char **out, size_t *out_len, char *err,
                  size_t errlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        snprintf(err, errlen, "cannot start gzip decompression");
        return -1;
    }
    size_t bufcap = len * 4 + 4096 < cap + 1 ? len * 4 + 4096 : cap + 1;
    char *buf = malloc(bufcap);
    size_t n = 0;
    int rc = -1;
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (len > TLSRPT_MAX_INPUT_BYTES) {
        snprintf(err, errlen, "larger than the input cap");
        goto done;
    }
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)len; /* the input cap keeps it far below 4 GiB */
    for (;;) {
        if (n == bufcap) {
            if (bufcap > cap) {
                snprintf(err, errlen,
                         "decompresses to more than %zu bytes (the cap): refused as a gzip bomb",
                         cap);
                goto done;
            }
            size_t nc = bufcap * 2 > cap + 1 ? cap + 1 : bufcap * 2;
            char *nb = realloc(buf, nc);
            if (!nb) {
                snprintf(err, errlen, "out of memory");
                goto done;
            }
            buf = nb;
            bufcap = nc;
        }
        zs.next_out = (Bytef *)buf + n;
        zs.avail_out = (uInt)(bufcap - n);
        int z = inflate(&zs, Z_NO_FLUSH);
        n = bufcap - zs.avail_out;
        if (n > cap) {
            snprintf(err, errlen,
                     "decompresses to more than %zu bytes (the cap): refused as a gzip bomb", cap);
            goto done;
        }
        if (z == Z_STREAM_END) {
            /* Concatenated members are one file (RFC 1952 2.2); trailing zero padding is
             * tolerated. */
            const unsigned char *rest = zs.next_in;
            if (zs.avail_in == 0)
                break;
            if (zs.avail_in >= 2 && rest[0] == 0x1f && rest[1] == 0x8b) {
                inflateReset(&zs);
                continue;
            }
            bool zeros = true;
            for (size_t i = 0; i < zs.avail_in && zeros; i++)
                zeros = rest[i] == 0;
            if (zeros)
                break;
            snprintf(err, errlen, "trailing bytes after the gzip data");
            goto done;
        }
        if (z == Z_BUF_ERROR && zs.avail_in == 0) {
            snprintf(err, errlen, "truncated gzip data");
            goto done;
        }
        if (z != Z_OK && z != Z_BUF_ERROR) {
            snprintf(err, errlen, "bad gzip data (%s)", zs.msg ? zs.msg : "zlib error");
            goto done;
        }
    }
    *out = buf;
    *out_len = n;
    buf = NULL;
    rc = 0;
done:
    inflateEnd(&zs);
    free(buf);
    return rc;
}

static void extract_depth(const struct tlsrpt_sink *sink, const char *name, const char *data,
                          size_t len, int depth);

/* Every file entry of a zip archive, each read under the cap (sizes in the directory are
 * not trusted: the bytes are counted as they come). */
static void extract_zip(const struct tlsrpt_sink *sink, const char *name, const char *data,
                        size_t len, int depth)
{
    zip_error_t zerr;
    zip_error_init(&zerr);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &zerr);
    zip_t *za = src ? zip_open_from_source(src, ZIP_RDONLY, &zerr) : NULL;
    if (!za) {
        char why[256];
        snprintf(why, sizeof why, "bad zip archive (%s)", zip_error_strerror(&zerr));
        sink->reject(sink->arg, name, why);
        if (src)
            zip_source_free(src);
        zip_error_fini(&zerr);
        return;
    }
    zip_int64_t n = zip_get_num_entries(za, 0);
    if (n > TLSRPT_MAX_ZIP_ENTRIES) {
        char why[128];
        snprintf(why, sizeof why, "zip archive with %lld entries (cap %d)", (long long)n,
                 TLSRPT_MAX_ZIP_ENTRIES);
        sink->reject(sink->arg, name, why);
        goto done;
    }
    size_t files = 0;
    for (zip_int64_t i = 0; i < n; i++) {
        const char *ename = zip_get_name(za, (zip_uint64_t)i, 0);
        char ename_s[512];
        snprintf(ename_s, sizeof ename_s, "%s: %s", name, ename ? ename : "(unnamed entry)");
        size_t el = ename ? strlen(ename) : 0;
        if (el > 0 && ename[el - 1] == '/')
            continue; /* a directory */
        files++;
        zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)i, 0);
        if (!zf) {
            sink->reject(sink->arg, ename_s, zip_strerror(za));
            continue;
        }
        size_t cap = TLSRPT_MAX_INFLATED_BYTES, bufcap = 65536, got = 0;
        char *buf = malloc(bufcap);
        const char *why = NULL;
        while (buf) {
            if (got == bufcap) {
                if (bufcap > cap) {
                    why = "decompresses to more than the cap: refused as a zip bomb";
                    break;
                }
                size_t nc = bufcap * 2 > cap + 1 ? cap + 1 : bufcap * 2;
                char *nb = realloc(buf, nc);
                if (!nb) {
                    why = "out of memory";
                    break;
                }
                buf = nb;
                bufcap = nc;
            }
            zip_int64_t r = zip_fread(zf, buf + got, bufcap - got);
            if (r < 0) {
                why = "bad zip entry (CRC or data error)";
                break;
            }
            if (r == 0)
                break;
            got += (size_t)r;
            if (got > cap) {
                why = "decompresses to more than the cap: refused as a zip bomb";
                break;
            }
        }
        zip_fclose(zf);
        if (!buf)
            why = "out of memory";
        if (why)
            sink->reject(sink->arg, ename_s, why);
        else
            extract_depth(sink, ename_s, buf, got, depth + 1);
        free(buf);
    }
    if (files == 0)
        sink->reject(sink->arg, name, "the zip archive holds no file");
done:
    zip_close(za); /* read-only: frees the source too */
    zip_error_fini(&zerr);
}

static void extract_depth(const struct tlsrpt_sink *sink, const char *name, const char *data,
                          size_t len, int depth)
{
    enum tlsrpt_kind k = tlsrpt_sniff(data, len);
    if ((k == TLSRPT_KIND_GZIP || k == TLSRPT_KIND_ZIP) && depth >= 2) {
        sink->reject(sink->arg, name, "compressed data nested more than twice");
        return;
    }
    if (k == TLSRPT_KIND_GZIP) {
        char *json = NULL, why[256];
        size_t jl = 0;
        if (tlsrpt_gunzip(data, len, TLSRPT_MAX_INFLATED_BYTES, &json, &jl, why, sizeof why) < 0) {
            sink->reject(sink->arg, name, why);
            return;
        }
        extract_depth(sink, name, json, jl, depth + 1);
        free(json);
    } else if (k == TLSRPT_KIND_ZIP) {
        if (sink->note)
            sink->note(sink->arg, name, "a zip archive, not gzip (RFC 8460 5.3 says gzip)");
        extract_zip(sink, name, data, len, depth);
    } else {
        sink->report(sink->arg, name, data, len);
    }
}

void tlsrpt_extract_payload(const struct tlsrpt_sink *sink, const char *name, const char *data,
                            size_t len)
{
    if (len > TLSRPT_MAX_INPUT_BYTES) {
        sink->reject(sink->arg, name, "larger than the input cap");
        return;
    }
    extract_depth(sink, name, data, len, 0);
}
