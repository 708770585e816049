/* Private to the classifier: the delivery side of a verdict (MX probes, DANE, their warnings). */
#ifndef STS_CLASSIFY_MX_H
#define STS_CLASSIFY_MX_H

#include <stdbool.h>

#include "rules/sts_classify.h"

/* Fills the verdict's delivery fields (smtp_checked .. dane_outcome) from obs->mx_probes, and
 * for a domain with a v=STSv1 record (has_record) adds the delivery warnings to v->warnings.
 * Needs v->status, v->category, v->policy and v->mx_covered decided. Pure. */
void sts_classify_delivery(const struct sts_observation *obs, struct sts_verdict *v,
                           bool has_record);

/* would_fail_delivery: the policy in force is `enforce` and a compliant sender refuses mail
 * now: an MX host not covered, or a reached MX host whose outcome fails delivery. */
bool sts_classify_would_fail(const struct sts_verdict *v);

#endif
