/* The table of diff change kinds with their severity (reports/README.md, "Trend and diff"). */
#include "reports/diff.h"

#include <stdio.h>
#include <string.h>

/* Order: the enum in diff.c follows it. Severity answers "must someone act today?": high
 * when mail delivery or report confidentiality is at stake, medium when protection changed,
 * low for cosmetic drift, info for improvements. */
const struct diff_kind diff_kinds[] = {
    {"adopted", DIFF_INFO,
     "no v=STSv1 record before (no_policy or domain_nxdomain), one now (valid or invalid)"},
    {"dropped", DIFF_HIGH, "a v=STSv1 record before, none now"},
    {"broke", DIFF_HIGH, "valid before, invalid now"},
    {"fixed", DIFF_INFO, "invalid before, valid now"},
    {"mode_changed", DIFF_MEDIUM, "the parsed policy mode changed"},
    {"max_age_changed", DIFF_LOW, "the parsed max_age changed"},
    {"mx_patterns_changed", DIFF_MEDIUM, "the policy's mx patterns changed"},
    {"policy_changed_same_id", DIFF_HIGH,
     "the policy content changed but the TXT id did not: senders keep the old policy"},
    {"category_changed", DIFF_MEDIUM, "invalid in both, the primary category changed"},
    {"tlsrpt_removed", DIFF_MEDIUM, "a _smtp._tls record before (valid or invalid), none now"},
    {"rua_changed", DIFF_HIGH,
     "the TLS-RPT rua addresses changed: someone else may now receive the reports"},
    {"mx_hosts_changed", DIFF_MEDIUM,
     "the set of MX hosts changed (before: removed, after: added)"},
    {"cert_expiring_14d", DIFF_HIGH,
     "the policy host certificate now expires within 14 days (it did not before)"},
    {"cert_expiring_30d", DIFF_MEDIUM,
     "the policy host certificate now expires within 30 days (it did not before)"},
    {"would_fail_delivery", DIFF_HIGH,
     "would_fail_delivery now: an enforced policy does not cover an MX host"},
    {"would_fail_delivery_cleared", DIFF_INFO, "would_fail_delivery before, not now"},
    {"readiness_changed", DIFF_MEDIUM, "the promotion readiness changed"},
    {"warning_added", DIFF_LOW, "warning codes raised now, not before (after: the codes)"},
    {"warning_removed", DIFF_INFO, "warning codes raised before, not now (before: the codes)"},
    {"enforce_tlsrpt_failures", DIFF_HIGH,
     "in enforce, and TLS-RPT reports show blocking failures since (table "
     "tlsrpt_enforce_failures)"},
    {"mx_tls_broke", DIFF_HIGH,
     "an MX host is refused now (no STARTTLS or a bad certificate), none was"},
    {"mx_tls_fixed", DIFF_INFO,
     "an MX host was refused before (no STARTTLS or a bad certificate), none is now"},
};
const size_t diff_nkinds = sizeof diff_kinds / sizeof diff_kinds[0];

_Static_assert(sizeof diff_kinds / sizeof diff_kinds[0] == K_COUNT, "one row per kind");
_Static_assert(K_COUNT <= DIFF_KINDS_MAX, "the masks are 64 bits");

static const char *const severity_names[DIFF_SEVERITIES] = {"info", "low", "medium", "high"};

int diff_kind_find(const char *name)
{
    for (size_t i = 0; i < diff_nkinds; i++)
        if (!strcmp(diff_kinds[i].name, name))
            return (int)i;
    return -1;
}

const char *diff_severity_name(enum diff_severity s)
{
    return (unsigned)s < DIFF_SEVERITIES ? severity_names[s] : "?";
}

int diff_severity_parse(const char *s)
{
    for (int i = 0; i < DIFF_SEVERITIES; i++)
        if (s && !strcmp(s, severity_names[i]))
            return i;
    return -1;
}

int diff_only_parse(const char *list, uint64_t *mask, char *err, size_t errlen)
{
    char name[64];
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        int k = -1;
        if (n > 0 && n < sizeof name) {
            memcpy(name, p, n);
            name[n] = '\0';
            k = diff_kind_find(name);
        }
        if (k < 0) {
            size_t used = (size_t)snprintf(err, errlen, "unknown change kind '%.*s' (",
                                           (int)(n < 64 ? n : 64), p);
            for (size_t i = 0; i < diff_nkinds && used < errlen; i++)
                used += (size_t)snprintf(err + used, errlen - used, "%s%s", i ? ", " : "",
                                         diff_kinds[i].name);
            if (used < errlen)
                snprintf(err + used, errlen - used, ")");
            return -1;
        }
        *mask |= (uint64_t)1 << k;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}
