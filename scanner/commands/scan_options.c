/* Command-line options shared by `mtasts scan` and `mtasts check`: parsed into the engine's
 * configuration, the address policy and the scan's own settings. */
#include "scanner/commands/scan_options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"
#include "scanner/engine/https_stage.h"
#include "scanner/input/shard.h"

static const char scan_usage[] =
    "usage: mtasts scan LIST... [options]\n"
    "\n"
    "Scans every domain of the lists (plain, rank,domain CSV, .zst, or - for stdin) and\n"
    "writes one result row per domain into the database.\n"
    "Exit status: 0 complete, 130 interrupted (resume with --resume), 1 error, 2 usage.\n"
    "\n"
    "  --db FILE              result database (default mtasts.db)\n"
    "  --resume               continue the latest unfinished scan of --db\n"
    "  --scan ID              with --resume: the scan to continue\n"
    "  --shard I/N            scan only shard I (0-based) of N\n"
    "  --exclude FILE         never touch these domains (and names below them)\n"
    "  --resolver IP[:PORT]   resolver to use, repeatable (default: /etc/resolv.conf)\n"
    "  --dns-qps N            DNS queries per second, all threads (default 500)\n"
    "  --inflight N           domains in flight (default 2000)\n"
    "  --dns-inflight N       DNS queries outstanding at most (default 1000): the ceiling\n"
    "                         of the adaptive window, which follows the resolver's latency\n"
    "                         and losses\n"
    "  --dns-inflight-min N   the window's floor and start (default 32; = --dns-inflight\n"
    "                         fixes it)\n"
    "  --https-conns N        HTTPS transfers in flight (default 200)\n"
    "  --per-ip R             new connections per second per destination IP (default 20;\n"
    "                         0: no rate limit), evenly spaced\n"
    "  --per-ip-conns N       connections per destination IP at once (default 8; 0: no cap)\n"
    "  --per-ip-wait S        longest wait for a turn at a busy IP, then https_timeout\n"
    "                         (default 300)\n"
    "  --timeout S            HTTPS total time limit per fetch (default 10)\n"
    "  --connect-timeout S    TCP+TLS connect limit (default 5)\n"
    "  --dns-timeout S        per DNS try (default 3); --dns-tries N (default 3)\n"
    "  --threads N            worker threads (default: number of cores)\n"
    "  --checks LIST          policy,mx,tlsrpt,apex; +X/-X adjust the default\n"
    "                         (policy,mx,tlsrpt)\n"
    "  --probe-orphans        fetch the policy even without a TXT record\n"
    "  --ca-file FILE         trust these CAs instead of the system store\n"
    "  --allow-private CIDR.. allow these otherwise refused ranges (test worlds)\n"
    "  --contact URL          contact URL sent in the User-Agent\n"
    "  --keep-certs           store each policy host's certificate chain (PEM)\n"
    "  --progress | --quiet   status line on stderr / nothing\n";

static const char check_usage[] =
    "usage: mtasts check DOMAIN... [options]\n"
    "\n"
    "Checks each domain layer by layer (DNS record, policy fetch, policy, MX coverage,\n"
    "TLS-RPT, readiness) and says how to fix each problem.\n"
    "Exit status: 0 pass, 1 warnings, 2 failures, 3 could not check.\n"
    "\n"
    "  --json                 one JSON object per domain\n"
    "  --resolver IP[:PORT]   resolver to use, repeatable (default: /etc/resolv.conf)\n"
    "  --ca-file FILE         trust these CAs instead of the system store\n"
    "  --allow-private CIDR.. allow these otherwise refused ranges (test worlds)\n"
    "  --timeout S            HTTPS total time limit (default 10)\n"
    "  --connect-timeout S    TCP+TLS connect limit (default 5)\n"
    "  --dns-timeout S        per DNS try (default 3); --dns-tries N (default 3)\n"
    "  --checks LIST          as for scan (default policy,mx,tlsrpt)\n"
    "  --probe-orphans        fetch the policy even without a TXT record\n"
    "  --contact URL          contact URL sent in the User-Agent\n";

void scan_options_usage(enum scan_command cmd, FILE *out)
{
    fputs(cmd == SCAN_CMD_SCAN ? scan_usage : check_usage, out);
}

static const struct {
    const char *name;
    unsigned bit;
} check_names[] = {
    {"policy", SCAN_CHECK_POLICY},
    {"mx", SCAN_CHECK_MX},
    {"tlsrpt", SCAN_CHECK_TLSRPT},
    {"apex", SCAN_CHECK_APEX},
};

static int check_bit(const char *name, size_t len, unsigned *bit)
{
    for (size_t i = 0; i < sizeof check_names / sizeof check_names[0]; i++) {
        if (strlen(check_names[i].name) == len && !strncmp(check_names[i].name, name, len)) {
            *bit = check_names[i].bit;
            return 0;
        }
    }
    return -1;
}

int scan_options_parse_checks(const char *list, unsigned *checks, const char **reason)
{
    unsigned set = 0, add = 0, del = 0;
    bool exact = false;
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char sign = (*p == '+' || *p == '-') ? *p : 0;
        const char *name = sign ? p + 1 : p;
        size_t nlen = sign ? len - 1 : len;
        unsigned bit;
        if (nlen == 0 || check_bit(name, nlen, &bit) < 0) {
            *reason = "unknown check (known: policy, mx, tlsrpt, apex)";
            return -1;
        }
        if (sign == '+')
            add |= bit;
        else if (sign == '-')
            del |= bit;
        else {
            set |= bit;
            exact = true;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    unsigned base = exact ? set : SCAN_CHECK_DEFAULT;
    unsigned result = (base | add) & ~del;
    if (result == 0) {
        *reason = "no check left to run";
        return -1;
    }
    *checks = result;
    return 0;
}

/* The contact goes verbatim into the User-Agent header of every request: printable ASCII only
 * (a CR or LF would inject headers), and short enough to fit whole. */
#define CONTACT_MAX 400
static int check_contact(const char *v, char *err, size_t errlen)
{
    size_t len = strlen(v);
    if (len > CONTACT_MAX) {
        snprintf(err, errlen, "--contact: longer than %d bytes", CONTACT_MAX);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c > 0x7e) {
            snprintf(err, errlen,
                     "--contact: byte 0x%02x at offset %zu: printable ASCII only (it is sent in "
                     "the User-Agent header)",
                     c, i);
            return -1;
        }
    }
    return 0;
}

static int parse_double(const char *opt, const char *v, double min, double max, double *out,
                        char *err, size_t errlen)
{
    char *end;
    errno = 0;
    double d = v ? strtod(v, &end) : NAN;
    if (!v || errno || end == v || *end || !(d >= min && d <= max)) {
        snprintf(err, errlen, "%s: '%s' is not a number in %g..%g", opt, v ? v : "", min, max);
        return -1;
    }
    *out = d;
    return 0;
}

static int parse_int(const char *opt, const char *v, long min, long max, int *out, char *err,
                     size_t errlen)
{
    char *end;
    errno = 0;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || errno || end == v || *end || n < min || n > max) {
        snprintf(err, errlen, "%s: '%s' is not an integer in %ld..%ld", opt, v ? v : "", min, max);
        return -1;
    }
    *out = (int)n;
    return 0;
}

/* "IP", "IP:PORT", "IPv6" or "[IPv6]:PORT", the forms c-ares accepts. */
static bool resolver_valid(const char *v)
{
    char host[64];
    unsigned char buf[16];
    const char *port = NULL;
    size_t len = strlen(v);
    if (len == 0 || len >= sizeof host)
        return false;
    if (v[0] == '[') {
        const char *close = strchr(v, ']');
        if (!close || (close[1] != '\0' && close[1] != ':'))
            return false;
        snprintf(host, sizeof host, "%.*s", (int)(close - v - 1), v + 1);
        port = close[1] == ':' ? close + 2 : NULL;
        if (inet_pton(AF_INET6, host, buf) != 1)
            return false;
    } else if (inet_pton(AF_INET6, v, buf) == 1) {
        return true;
    } else {
        const char *colon = strchr(v, ':');
        snprintf(host, sizeof host, "%.*s", (int)(colon ? (size_t)(colon - v) : len), v);
        port = colon ? colon + 1 : NULL;
        if (inet_pton(AF_INET, host, buf) != 1)
            return false;
    }
    if (!port)
        return true;
    char *end;
    long p = strtol(port, &end, 10);
    return *port && !*end && p >= 1 && p <= 65535;
}

static int add_resolver(struct scan_options *o, const char *v, char *err, size_t errlen)
{
    struct scan_config *c = &o->engine;
    if (!v || !*v || strlen(v) >= sizeof c->resolvers[0] || !resolver_valid(v)) {
        snprintf(err, errlen, "--resolver: '%s' is not IP, IP:PORT or [IPv6]:PORT", v ? v : "");
        return -1;
    }
    if (c->n_resolvers >= SCAN_MAX_RESOLVERS) {
        snprintf(err, errlen, "--resolver: at most %d resolvers", SCAN_MAX_RESOLVERS);
        return -1;
    }
    snprintf(c->resolvers[c->n_resolvers++], sizeof c->resolvers[0], "%s", v);
    return 0;
}

/* --allow-private takes every following argument that is a CIDR (or a comma list of them). */
static int allow_private(struct scan_options *o, int argc, char **argv, int *i, char *err,
                         size_t errlen)
{
    int taken = 0;
    while (*i + 1 < argc && argv[*i + 1][0] != '-') {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", argv[*i + 1]);
        const char *reason = NULL;
        char *save = NULL;
        bool all_ok = true;
        struct addr_policy trial = o->addrs;
        for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
            if (addr_policy_allow(&trial, tok, &reason) < 0)
                all_ok = false;
        if (!all_ok) {
            if (taken == 0) {
                snprintf(err, errlen, "--allow-private: '%s': %s", argv[*i + 1],
                         reason ? reason : "not a CIDR");
                return -1;
            }
            break; /* not a CIDR: the first positional argument */
        }
        o->addrs = trial;
        taken++;
        (*i)++;
    }
    if (taken == 0) {
        snprintf(err, errlen, "--allow-private needs at least one CIDR, e.g. 127.0.0.0/8");
        return -1;
    }
    return 0;
}

static void set_defaults(enum scan_command cmd, struct scan_options *o)
{
    memset(o, 0, sizeof *o);
    scan_config_defaults(&o->engine);
    addr_policy_init(&o->addrs);
    o->db = "mtasts.db";
    o->progress = PROGRESS_AUTO;
    if (cmd == SCAN_CMD_CHECK) {
        o->engine.threads = 1;
        o->engine.inflight = 64;
        o->engine.https_conns = 16;
        o->progress = PROGRESS_QUIET;
    }
}

#define NEED_VALUE()                                                                               \
    do {                                                                                           \
        if (i + 1 >= argc) {                                                                       \
            snprintf(err, errlen, "%s needs a value", a);                                          \
            return -1;                                                                             \
        }                                                                                          \
        v = argv[++i];                                                                             \
    } while (0)

/* Options both commands accept. Returns 1 when a was one of them, 0 when not, -1 on error. */
static int parse_common(struct scan_options *o, int argc, char **argv, int *ip, char *err,
                        size_t errlen)
{
    int i = *ip;
    const char *a = argv[i], *v = NULL;
    struct scan_config *c = &o->engine;
    int rc = 0;
    if (!strcmp(a, "--resolver")) {
        NEED_VALUE();
        rc = add_resolver(o, v, err, errlen);
    } else if (!strcmp(a, "--ca-file")) {
        NEED_VALUE();
        c->ca_file = v;
    } else if (!strcmp(a, "--allow-private")) {
        rc = allow_private(o, argc, argv, &i, err, errlen);
    } else if (!strcmp(a, "--timeout")) {
        NEED_VALUE();
        rc = parse_double(a, v, 0.1, 3600, &c->timeout_s, err, errlen);
    } else if (!strcmp(a, "--connect-timeout")) {
        NEED_VALUE();
        rc = parse_double(a, v, 0.1, 3600, &c->connect_timeout_s, err, errlen);
    } else if (!strcmp(a, "--dns-timeout")) {
        NEED_VALUE();
        rc = parse_double(a, v, 0.05, 60, &c->dns_timeout_s, err, errlen);
    } else if (!strcmp(a, "--dns-tries")) {
        NEED_VALUE();
        rc = parse_int(a, v, 1, 10, &c->dns_tries, err, errlen);
    } else if (!strcmp(a, "--checks")) {
        NEED_VALUE();
        const char *reason;
        if (scan_options_parse_checks(v, &c->checks, &reason) < 0) {
            snprintf(err, errlen, "--checks '%s': %s", v, reason);
            rc = -1;
        }
    } else if (!strcmp(a, "--contact")) {
        NEED_VALUE();
        o->contact = v;
        rc = check_contact(v, err, errlen);
    } else if (!strcmp(a, "--probe-orphans")) {
        c->probe_orphans = true;
    } else {
        return 0;
    }
    *ip = i;
    return rc < 0 ? -1 : 1;
}

static int parse_scan_only(struct scan_options *o, int argc, char **argv, int *ip, char *err,
                           size_t errlen)
{
    int i = *ip;
    const char *a = argv[i], *v = NULL;
    struct scan_config *c = &o->engine;
    int rc = 0;
    if (!strcmp(a, "--db")) {
        NEED_VALUE();
        o->db = v;
    } else if (!strcmp(a, "--resume")) {
        o->resume = true;
    } else if (!strcmp(a, "--scan")) {
        NEED_VALUE();
        int id;
        rc = parse_int(a, v, 1, 2147483647L, &id, err, errlen);
        o->scan_id = id;
    } else if (!strcmp(a, "--shard")) {
        NEED_VALUE();
        const char *reason;
        if (shard_parse(v, &o->shard_index, &o->shard_count, &reason) < 0) {
            snprintf(err, errlen, "--shard '%s': %s", v, reason);
            rc = -1;
        }
        o->sharded = true;
    } else if (!strcmp(a, "--exclude")) {
        NEED_VALUE();
        o->exclude_file = v;
    } else if (!strcmp(a, "--dns-qps")) {
        NEED_VALUE();
        rc = parse_double(a, v, 0, 10000000, &c->dns_qps, err, errlen);
    } else if (!strcmp(a, "--dns-inflight")) {
        NEED_VALUE();
        rc = parse_int(a, v, 1, 1000000, &c->dns_inflight, err, errlen);
    } else if (!strcmp(a, "--dns-inflight-min")) {
        NEED_VALUE();
        rc = parse_int(a, v, 1, 1000000, &c->dns_inflight_min, err, errlen);
    } else if (!strcmp(a, "--inflight")) {
        NEED_VALUE();
        rc = parse_int(a, v, 1, 1000000, &c->inflight, err, errlen);
    } else if (!strcmp(a, "--https-conns")) {
        NEED_VALUE();
        rc = parse_int(a, v, 1, 100000, &c->https_conns, err, errlen);
    } else if (!strcmp(a, "--per-ip")) {
        NEED_VALUE();
        rc = parse_double(a, v, 0, 100000, &c->per_ip, err, errlen);
    } else if (!strcmp(a, "--per-ip-conns")) {
        NEED_VALUE();
        rc = parse_int(a, v, 0, 100000, &c->per_ip_conns, err, errlen);
    } else if (!strcmp(a, "--per-ip-wait")) {
        NEED_VALUE();
        rc = parse_double(a, v, 0.1, 86400, &c->per_ip_wait_s, err, errlen);
    } else if (!strcmp(a, "--threads")) {
        NEED_VALUE();
        rc = parse_int(a, v, 1, 256, &c->threads, err, errlen);
    } else if (!strcmp(a, "--keep-certs")) {
        c->keep_cert_pem = true;
    } else if (!strcmp(a, "--progress")) {
        o->progress = PROGRESS_TTY;
    } else if (!strcmp(a, "--quiet")) {
        o->progress = PROGRESS_QUIET;
    } else {
        return 0;
    }
    *ip = i;
    return rc < 0 ? -1 : 1;
}

static int parse_check_only(struct scan_options *o, int *ip, char **argv)
{
    if (!strcmp(argv[*ip], "--json")) {
        o->json = true;
        return 1;
    }
    return 0;
}

int scan_options_parse(enum scan_command cmd, int argc, char **argv, struct scan_options *o,
                       char *err, size_t errlen)
{
    set_defaults(cmd, o);
    bool positional_only = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!positional_only && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
            scan_options_usage(cmd, stdout);
            return 1;
        }
        if (!positional_only && !strcmp(a, "--")) {
            positional_only = true;
            continue;
        }
        if (positional_only || a[0] != '-' || !strcmp(a, "-")) {
            if (o->n_args >= SCAN_MAX_ARGS) {
                snprintf(err, errlen, "too many arguments (at most %d)", SCAN_MAX_ARGS);
                return -1;
            }
            o->args[o->n_args++] = a;
            continue;
        }
        int rc = parse_common(o, argc, argv, &i, err, errlen);
        if (rc == 0)
            rc = cmd == SCAN_CMD_SCAN ? parse_scan_only(o, argc, argv, &i, err, errlen)
                                      : parse_check_only(o, &i, argv);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            snprintf(err, errlen, "unknown option '%s' (see --help)", a);
            return -1;
        }
    }
    if (o->n_args == 0) {
        snprintf(err, errlen,
                 cmd == SCAN_CMD_SCAN ? "no domain list given (see --help)"
                                      : "no domain given (see --help)");
        return -1;
    }
    if (o->scan_id && !o->resume) {
        snprintf(err, errlen, "--scan ID is only meaningful with --resume");
        return -1;
    }
    https_user_agent(o->user_agent, sizeof o->user_agent, o->contact);
    o->engine.user_agent = o->user_agent;
    o->engine.addrs = &o->addrs;
    return 0;
}

static void json_checks(unsigned checks, struct sbuf *out)
{
    sbuf_putc(out, '[');
    bool first = true;
    for (size_t i = 0; i < sizeof check_names / sizeof check_names[0]; i++) {
        if (!(checks & check_names[i].bit))
            continue;
        sbuf_printf(out, "%s\"%s\"", first ? "" : ",", check_names[i].name);
        first = false;
    }
    sbuf_putc(out, ']');
}

void scan_options_json(const struct scan_options *o, struct sbuf *out)
{
    const struct scan_config *c = &o->engine;
    sbuf_puts(out, "{\"resolvers\":[");
    for (size_t i = 0; i < c->n_resolvers; i++) {
        if (i)
            sbuf_putc(out, ',');
        esc_json_str(out, c->resolvers[i]);
    }
    sbuf_puts(out, "],\"checks\":");
    json_checks(c->checks, out);
    sbuf_printf(out,
                ",\"probe_orphans\":%s,\"dns_qps\":%g,\"inflight\":%d,\"https_conns\":%d,"
                "\"per_ip\":%g,\"per_ip_conns\":%d,\"per_ip_wait_s\":%g,\"dns_inflight\":%d,\"dns_"
                "inflight_min\":%d,\"timeout_s\":%g,"
                "\"connect_timeout_s\":%g,\"dns_"
                "timeout_s\":%g,"
                "\"dns_tries\":%d,\"threads\":%d,\"keep_certs\":%s,\"ca_file\":",
                c->probe_orphans ? "true" : "false", c->dns_qps, c->inflight, c->https_conns,
                c->per_ip, c->per_ip_conns, c->per_ip_wait_s, c->dns_inflight, c->dns_inflight_min,
                c->timeout_s, c->connect_timeout_s, c->dns_timeout_s, c->dns_tries, c->threads,
                c->keep_cert_pem ? "true" : "false");
    esc_json_str(out, c->ca_file);
    sbuf_puts(out, ",\"allow_private\":[");
    for (size_t i = 0; i < o->addrs.n_allow; i++) {
        if (i)
            sbuf_putc(out, ',');
        esc_json_str(out, o->addrs.allow_text[i]);
    }
    sbuf_puts(out, "],\"exclude\":");
    esc_json_str(out, o->exclude_file);
    sbuf_puts(out, ",\"user_agent\":");
    esc_json_str(out, o->user_agent);
    sbuf_putc(out, '}');
}

void scan_options_limits(const struct scan_options *o, char *buf, size_t buflen)
{
    const struct scan_config *c = &o->engine;
    char qps[32];
    if (c->dns_qps > 0)
        snprintf(qps, sizeof qps, "%g", c->dns_qps);
    else
        snprintf(qps, sizeof qps, "unlimited");
    snprintf(buf, buflen, "qps %s, dns %d, inflight %d, https %d, per-ip %g/s x%d, timeout %gs",
             qps, c->dns_inflight, c->inflight, c->https_conns, c->per_ip, c->per_ip_conns,
             c->timeout_s);
}
