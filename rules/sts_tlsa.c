/* TLSA answers (RFC 6698, RFC 7672): a DNS response parsed from remote bytes, bounded. */
#include "rules/sts_tlsa.h"

#include <string.h>

#define DNS_HEADER 12
#define DNS_MAX_LABELS 128

static unsigned get16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* Skips a name at *pos; false when it runs past the end or is not a name. */
static bool skip_name(const uint8_t *msg, size_t len, size_t *pos)
{
    size_t p = *pos;
    for (int labels = 0; labels < DNS_MAX_LABELS; labels++) {
        if (p >= len)
            return false;
        uint8_t b = msg[p];
        if (b == 0) {
            *pos = p + 1;
            return true;
        }
        if ((b & 0xC0) == 0xC0) { /* a compression pointer ends the name */
            if (p + 2 > len)
                return false;
            *pos = p + 2;
            return true;
        }
        if (b & 0xC0)
            return false; /* 0x40 and 0x80: extended label types, obsolete */
        p += 1 + (size_t)b;
    }
    return false;
}

bool sts_tlsa_usable(const struct sts_tlsa_rr *r)
{
    if (r->usage != 2 && r->usage != 3)
        return false;
    if (r->selector > 1)
        return false;
    switch (r->mtype) {
    case 0:
        return r->len > 0;
    case 1:
        return r->len == 32;
    case 2:
        return r->len == 64;
    default:
        return false;
    }
}

int sts_tlsa_parse(const uint8_t *msg, size_t len, struct sts_tlsa_answer *out)
{
    memset(out, 0, sizeof *out);
    out->rcode = -1;
    if (!msg || len < DNS_HEADER)
        return -1;
    out->rcode = msg[3] & 0x0F;
    out->ad = (msg[3] & 0x20) != 0;
    out->tc = (msg[2] & 0x02) != 0;
    unsigned qd = get16(msg + 4), an = get16(msg + 6);
    size_t pos = DNS_HEADER;
    for (unsigned i = 0; i < qd; i++) {
        if (!skip_name(msg, len, &pos) || pos + 4 > len)
            return -1;
        pos += 4; /* QTYPE, QCLASS */
    }
    for (unsigned i = 0; i < an; i++) {
        if (!skip_name(msg, len, &pos) || pos + 10 > len)
            return -1;
        unsigned type = get16(msg + pos), klass = get16(msg + pos + 2);
        size_t rdlen = get16(msg + pos + 8);
        pos += 10;
        if (rdlen > len - pos)
            return -1;
        const uint8_t *rd = msg + pos;
        pos += rdlen;
        if (type != STS_DNS_TYPE_TLSA || klass != 1)
            continue;
        if (rdlen < 3)
            return -1; /* a TLSA record has usage, selector and matching type at least */
        struct sts_tlsa_rr r = {rd[0], rd[1], rd[2], rd + 3, rdlen - 3};
        out->n_tlsa++;
        if (sts_tlsa_usable(&r))
            out->n_usable++;
        if (out->n_kept < STS_TLSA_MAX)
            out->rr[out->n_kept++] = r;
    }
    return 0;
}
