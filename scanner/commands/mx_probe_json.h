/* The MX probes of a domain (SMTP stage, DANE) as JSON: the facts for `check --json` and
 * the integration tests, every remote string escaped. */
#ifndef MX_PROBE_JSON_H
#define MX_PROBE_JSON_H

#include "lib/sbuf.h"
#include "rules/sts_classify.h"

/* {"smtp_checked":..,"dane_checked":..,"port25_blocked":..,"hosts":[{"host":..,"smtp":..,
 * "dane":..,"tlsa":{..},"addresses":[..]},..]}; null when the stage did not run. */
void mx_probe_json(struct sbuf *out, const struct sts_observation *o);

#endif
