/* The scan state's defaults: limits that are safe for the public internet. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "scanner/engine/scan_state.h"

void scan_config_defaults(struct scan_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->threads = cores > 0 ? (int)cores : 1;
    cfg->checks = SCAN_CHECK_DEFAULT;
    cfg->dns_qps = 500;
    cfg->inflight = 2000;
    cfg->https_conns = 200;
    cfg->per_ip = 20;
    cfg->per_ip_conns = 8;
    cfg->per_ip_wait_s = 300;
    cfg->timeout_s = 10;
    cfg->connect_timeout_s = 5;
    cfg->dns_timeout_s = 3;
    cfg->dns_tries = 3;
    cfg->dns_inflight = 1000;
    cfg->domain_timeout_s = 90;
    cfg->dns_inflight_min = 32;
    cfg->smtp_timeout_s = 10;
    cfg->smtp_conns = 50;
    scan_default_ehlo(cfg->ehlo_name, sizeof cfg->ehlo_name);
}

/* The machine's fully qualified name when it has one (a dotted name is what a mail server
 * expects after EHLO), else SCAN_EHLO_FALLBACK: .invalid never resolves (RFC 2606). */
void scan_default_ehlo(char *buf, size_t buflen)
{
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0 || !strchr(host, '.') || host[0] == '.' ||
        strlen(host) >= buflen) {
        snprintf(buf, buflen, "%s", SCAN_EHLO_FALLBACK);
        return;
    }
    for (const char *p = host; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.';
        if (!ok) {
            snprintf(buf, buflen, "%s", SCAN_EHLO_FALLBACK);
            return;
        }
    }
    snprintf(buf, buflen, "%s", host);
}
