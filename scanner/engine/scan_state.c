/* The scan state's defaults: limits that are safe for the public internet. */
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
    cfg->dns_inflight_min = 32;
}
