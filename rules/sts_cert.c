/* Certificate facts to one failure category: the policy host's and every MX host's. */
#include <openssl/x509_vfy.h>

#include "rules/sts_cert.h"

enum sts_category sts_cert_category(int verify_code)
{
    switch (verify_code) {
    case X509_V_OK:
        return STS_CAT_NONE;
    case X509_V_ERR_CERT_HAS_EXPIRED:
        return STS_CAT_CERT_EXPIRED;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return STS_CAT_CERT_NOT_YET_VALID;
    case X509_V_ERR_HOSTNAME_MISMATCH:
        return STS_CAT_CERT_NAME_MISMATCH;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        return STS_CAT_CERT_SELF_SIGNED;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
        return STS_CAT_CERT_UNTRUSTED;
    default:
        return STS_CAT_CERT_OTHER;
    }
}

enum sts_category sts_cert_problem(const struct sts_cert_facts *c, int64_t now)
{
    enum sts_category by_code = sts_cert_category(c->verify_code);
    if (by_code == STS_CAT_CERT_EXPIRED || (c->present && c->not_after && c->not_after < now))
        return STS_CAT_CERT_EXPIRED;
    if (by_code == STS_CAT_CERT_NOT_YET_VALID ||
        (c->present && c->not_before && c->not_before > now))
        return STS_CAT_CERT_NOT_YET_VALID;
    if (by_code == STS_CAT_CERT_NAME_MISMATCH ||
        (c->present && !c->name_matches && c->verify_code == X509_V_OK))
        return STS_CAT_CERT_NAME_MISMATCH;
    if (by_code == STS_CAT_CERT_SELF_SIGNED ||
        (c->present && c->self_signed && c->verify_code != X509_V_OK))
        return STS_CAT_CERT_SELF_SIGNED;
    return by_code;
}
