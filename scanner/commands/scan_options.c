/* Command-line options shared by `mtasts scan` and `mtasts check`: parsed into the engine's
 * configuration, the address policy and the scan's own settings. */
#include "scanner/commands/scan_options.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"
#include "scanner/commands/cli.h"
#include "scanner/engine/https_stage.h"
#include "scanner/input/shard.h"

static const struct cli_help scan_help = {
    .synopsis = "mtasts scan LIST... [options]",
    .summary =
        "Scans every domain of the lists (plain, rank,domain CSV, .zst, or - for stdin) and\n"
        "writes one result row per domain into the database.\n",
    .options = "  --db FILE              result database (default mtasts.db)\n"
               "  --resume               continue the latest unfinished scan of --db\n"
               "  --scan ID              with --resume: the scan to continue\n"
               "  --shard I/N            scan only shard I (0-based) of N\n"
               "  --exclude FILE         never touch these domains (and names below them)\n"
               "  --resolver IP[:PORT]   resolver to use, repeatable (default: /etc/resolv.conf)\n"
               "  --dns-qps N            DNS queries per second, all threads (default 500;\n"
               "                         0: unlimited)\n"
               "  --inflight N           domains in flight (default 2000)\n"
               "  --dns-inflight N       DNS queries outstanding at most (default 1000): the\n"
               "                         ceiling of the adaptive window, which follows the\n"
               "                         resolver's latency and losses (Debian's unbound drops\n"
               "                         past 1,000 waiting per client: docs/resolver.md)\n"
               "  --dns-inflight-min N   the window's floor and start (default 32;\n"
               "                         = --dns-inflight fixes it)\n"
               "  --https-conns N        HTTPS transfers in flight (default 200)\n"
               "  --per-ip R             new connections per second per destination IP\n"
               "                         (default 20, evenly spaced; 0: no rate limit)\n"
               "  --per-ip-conns N       connections per destination IP at once (default 8)\n"
               "  --per-ip-wait S        longest wait for a turn at a busy IP, then not\n"
               "                         checked: the fetch never starts (dns_error), a port-25\n"
               "                         probe ends smtp_per_ip_wait (default 300)\n"
               "  --timeout S            HTTPS total time limit per fetch (default 10)\n"
               "  --connect-timeout S    TCP+TLS connect limit (default 5)\n"
               "  --domain-timeout S     deadline per domain (default 90): a fetch still waiting\n"
               "                         for a connection slot then never starts (not checked:\n"
               "                         dns_error)\n"
               "  --dns-timeout S        per DNS try (default 3); --dns-tries N (default 3):\n"
               "                         timeouts are retried, a SERVFAIL only on another\n"
               "                         --resolver\n"
               "  --threads N            worker threads (default: number of cores)\n"
               "  --checks LIST          policy,mx,tlsrpt,apex,smtp,smtp:all,dane; +X/-X adjust\n"
               "                         the default (policy,mx,tlsrpt). smtp: STARTTLS and\n"
               "                         certificate of the MX hosts of domains with a v=STSv1\n"
               "                         record; smtp:all: of every domain; dane: TLSA of those\n"
               "                         MX hosts (DNSSEC, AD bit)\n"
               "  --ehlo NAME            name sent in EHLO (default: this machine's dotted host\n"
               "                         name, else mtasts.invalid)\n"
               "  --smtp-timeout S       limit of each SMTP step: connect, greeting, EHLO,\n"
               "                         STARTTLS, TLS handshake (default 10)\n"
               "  --smtp-conns N         SMTP probes in flight (default 50)\n"
               "  --probe-orphans        fetch the policy even without a TXT record\n"
               "  --ca-file FILE         trust these CAs instead of the system store\n"
               "  --allow-private CIDR.. allow these otherwise refused ranges (test worlds)\n"
               "  --nat64-prefix P/96    this network's DNS64 prefix: P::V4 is refused when V4 is\n"
               "                         (repeatable; 64:ff9b::/96 is always refused)\n"
               "  --contact URL          contact URL sent in the User-Agent\n"
               "  --keep-certs           store each policy host's certificate chain (PEM)\n"
               "  --progress | --quiet   status line on stderr / nothing\n"
               "  --status-file FILE     JSON status (counts, rates, queries/s, in flight, ETA)\n"
               "                         rewritten atomically every 5 s and at the end\n"
               "  -h, --help             this text\n",
    .footer =
        "Exit status: 0 complete, 130 interrupted (resume with --resume), 1 error, 2 usage.\n",
};

static const struct cli_help check_help = {
    .synopsis = "mtasts check DOMAIN... [options]\n"
                "mtasts check --file LIST [DOMAIN...] [options]    mtasts check - [options]",
    .summary = "Checks each domain layer by layer (DNS record, policy fetch, policy, MX coverage,\n"
               "TLS-RPT, readiness) and says how to fix each problem.\n",
    .options =
        "  --file LIST            also check the names in LIST (one a line, # comments,\n"
        "                         rank,domain lines; at most 10000); `-` reads stdin\n"
        "  --json                 one JSON object per domain\n"
        "  --resolver IP[:PORT]   resolver to use, repeatable (default: /etc/resolv.conf)\n"
        "  --ca-file FILE         trust these CAs instead of the system store\n"
        "  --allow-private CIDR.. allow these otherwise refused ranges (test worlds)\n"
        "  --nat64-prefix P/96    this network's DNS64 prefix: P::V4 is refused when V4 is\n"
        "                         (repeatable; 64:ff9b::/96 is always refused)\n"
        "  --timeout S            HTTPS total time limit (default 10)\n"
        "  --connect-timeout S    TCP+TLS connect limit (default 5)\n"
        "  --domain-timeout S     deadline per domain (default 90): a fetch still waiting for\n"
        "                         a connection slot then never starts (not checked: dns_error)\n"
        "  --dns-timeout S        per DNS try (default 3); --dns-tries N (default 3):\n"
        "                         timeouts are retried, a SERVFAIL only on another --resolver\n"
        "  --checks LIST          as for scan (default policy,mx,tlsrpt,smtp,dane: the MX\n"
        "                         hosts are probed on port 25; -smtp,-dane to skip)\n"
        "  --ehlo NAME            name sent in EHLO (default: this machine's dotted host\n"
        "                         name, else mtasts.invalid)\n"
        "  --smtp-timeout S       limit of each SMTP step (default 10)\n"
        "  --smtp-conns N         SMTP probes in flight (default 16)\n"
        "  --probe-orphans        fetch the policy even without a TXT record\n"
        "  --contact URL          contact URL sent in the User-Agent\n"
        "  --db FILE              add the TLS-RPT reports ingested into FILE to readiness\n"
        "  --window DAYS          days of clean reports ready_to_enforce needs (default 14)\n"
        "  -h, --help             this text\n",
    .footer = "Exit status: 0 pass, 1 warnings, 2 failures, 3 could not check, 64 usage error\n"
              "(a bad option or name, an unreadable --file).\n",
};

void scan_options_usage(enum scan_command cmd, FILE *out)
{
    cli_usage(out, cmd == SCAN_CMD_SCAN ? &scan_help : &check_help);
}

static const struct {
    const char *name;
    unsigned bit;
} check_names[] = {
    {"policy", SCAN_CHECK_POLICY}, {"mx", SCAN_CHECK_MX},
    {"tlsrpt", SCAN_CHECK_TLSRPT}, {"apex", SCAN_CHECK_APEX},
    {"smtp", SCAN_CHECK_SMTP},     {"smtp:all", SCAN_CHECK_SMTP | SCAN_CHECK_SMTP_ALL},
    {"dane", SCAN_CHECK_DANE},
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
    return scan_options_parse_checks_from(list, SCAN_CHECK_DEFAULT, checks, reason);
}

int scan_options_parse_checks_from(const char *list, unsigned base_default, unsigned *checks,
                                   const char **reason)
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
            *reason = "unknown check (known: policy, mx, tlsrpt, apex, smtp, smtp:all, dane)";
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
    unsigned base = exact ? set : base_default;
    unsigned result = (base | add) & ~del;
    /* The delivery side works on the MX answer: it asks for it. smtp:all without smtp or
     * dane selects nothing to probe. */
    if (result & (SCAN_CHECK_SMTP | SCAN_CHECK_DANE))
        result |= SCAN_CHECK_MX;
    else
        result &= ~SCAN_CHECK_SMTP_ALL;
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

/* The EHLO name goes verbatim on the wire: a domain name (letters, digits, hyphens, dots) or
 * an address literal in brackets, nothing that could end the command line. */
static int check_ehlo(const char *v, char *dst, size_t dstlen, char *err, size_t errlen)
{
    size_t len = strlen(v);
    bool ok = len > 0 && len < dstlen && len <= 255;
    for (size_t i = 0; ok && i < len; i++) {
        char ch = v[i];
        ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
             ch == '-' || ch == '.' || ch == '[' || ch == ']' || ch == ':';
    }
    if (!ok) {
        /* Not echoed: it may hold control bytes. */
        snprintf(err, errlen,
                 "--ehlo: not a host name or an address literal ([192.0.2.1]): "
                 "letters, digits, '-', '.', '[', ']', ':' only, at most 255 bytes");
        return -1;
    }
    snprintf(dst, dstlen, "%s", v);
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

/* --allow-private takes its value and every following argument that is a CIDR (or a comma
 * list of them), consumed by advancing optind. */
static int allow_private(struct scan_options *o, int argc, char **argv, char *err, size_t errlen)
{
    int taken = 0;
    for (const char *v = optarg; v && v[0] != '-'; v = optind < argc ? argv[optind] : NULL) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", v);
        const char *reason = NULL;
        char *save = NULL;
        bool all_ok = true;
        struct addr_policy trial = o->addrs;
        for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
            if (addr_policy_allow(&trial, tok, &reason) < 0)
                all_ok = false;
        if (!all_ok) {
            if (taken == 0) {
                snprintf(err, errlen, "--allow-private: '%s': %s", v,
                         reason ? reason : "not a CIDR");
                return -1;
            }
            break; /* not a CIDR: the first positional argument */
        }
        o->addrs = trial;
        if (taken++ > 0)
            optind++; /* optarg was getopt_long's; the following ones are ours */
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
    o->command = cmd;
    if (cmd == SCAN_CMD_CHECK) {
        o->engine.checks = SCAN_CHECK_CHECK_DEFAULT;
        o->engine.smtp_conns = 16;
        o->engine.threads = 1;
        o->engine.inflight = 64;
        o->engine.https_conns = 16;
        o->progress = PROGRESS_QUIET;
    }
}

/* The long options; `scan_only` ones are refused by check, `check_only` ones by scan. */
enum {
    O_RESOLVER = 256,
    O_CA_FILE,
    O_ALLOW_PRIVATE,
    O_TIMEOUT,
    O_CONNECT_TIMEOUT,
    O_DNS_TIMEOUT,
    O_DNS_TRIES,
    O_CHECKS,
    O_CONTACT,
    O_PROBE_ORPHANS,
    O_EHLO,
    O_SMTP_TIMEOUT,
    O_SMTP_CONNS,
    O_NAT64_PREFIX,
    O_DOMAIN_TIMEOUT,
    O_DB, /* scan only from here */
    O_RESUME,
    O_SCAN,
    O_SHARD,
    O_EXCLUDE,
    O_DNS_QPS,
    O_DNS_INFLIGHT,
    O_DNS_INFLIGHT_MIN,
    O_INFLIGHT,
    O_HTTPS_CONNS,
    O_PER_IP,
    O_PER_IP_CONNS,
    O_PER_IP_WAIT,
    O_THREADS,
    O_KEEP_CERTS,
    O_PROGRESS,
    O_QUIET,
    O_STATUS_FILE,
    O_JSON, /* check only */
};

#define COMMON_OPTIONS                                                                             \
    {"resolver", required_argument, NULL, O_RESOLVER},                                             \
        {"ca-file", required_argument, NULL, O_CA_FILE},                                           \
        {"allow-private", required_argument, NULL, O_ALLOW_PRIVATE},                               \
        {"timeout", required_argument, NULL, O_TIMEOUT},                                           \
        {"connect-timeout", required_argument, NULL, O_CONNECT_TIMEOUT},                           \
        {"dns-timeout", required_argument, NULL, O_DNS_TIMEOUT},                                   \
        {"dns-tries", required_argument, NULL, O_DNS_TRIES},                                       \
        {"checks", required_argument, NULL, O_CHECKS},                                             \
        {"contact", required_argument, NULL, O_CONTACT},                                           \
        {"probe-orphans", no_argument, NULL, O_PROBE_ORPHANS},                                     \
        {"ehlo", required_argument, NULL, O_EHLO},                                                 \
        {"smtp-timeout", required_argument, NULL, O_SMTP_TIMEOUT},                                 \
        {"smtp-conns", required_argument, NULL, O_SMTP_CONNS},                                     \
        {"nat64-prefix", required_argument, NULL, O_NAT64_PREFIX},                                 \
        {"domain-timeout", required_argument, NULL, O_DOMAIN_TIMEOUT},                             \
    {                                                                                              \
        "help", no_argument, NULL, 'h'                                                             \
    }

static const struct option scan_opts[] = {
    COMMON_OPTIONS,
    {"db", required_argument, NULL, O_DB},
    {"resume", no_argument, NULL, O_RESUME},
    {"scan", required_argument, NULL, O_SCAN},
    {"shard", required_argument, NULL, O_SHARD},
    {"exclude", required_argument, NULL, O_EXCLUDE},
    {"dns-qps", required_argument, NULL, O_DNS_QPS},
    {"dns-inflight", required_argument, NULL, O_DNS_INFLIGHT},
    {"dns-inflight-min", required_argument, NULL, O_DNS_INFLIGHT_MIN},
    {"inflight", required_argument, NULL, O_INFLIGHT},
    {"https-conns", required_argument, NULL, O_HTTPS_CONNS},
    {"per-ip", required_argument, NULL, O_PER_IP},
    {"per-ip-conns", required_argument, NULL, O_PER_IP_CONNS},
    {"per-ip-wait", required_argument, NULL, O_PER_IP_WAIT},
    {"threads", required_argument, NULL, O_THREADS},
    {"keep-certs", no_argument, NULL, O_KEEP_CERTS},
    {"progress", no_argument, NULL, O_PROGRESS},
    {"quiet", no_argument, NULL, O_QUIET},
    {"status-file", required_argument, NULL, O_STATUS_FILE},
    {NULL, 0, NULL, 0}};

static const struct option check_opts[] = {
    COMMON_OPTIONS, {"json", no_argument, NULL, O_JSON}, {NULL, 0, NULL, 0}};

/* Applies one option getopt_long returned (optarg is its value). Returns 0 or -1. */
static int apply_option(struct scan_options *o, int c, int argc, char **argv, char *err,
                        size_t errlen)
{
    struct scan_config *cfg = &o->engine;
    const char *v = optarg, *reason;
    int id;
    switch (c) {
    case O_RESOLVER:
        return add_resolver(o, v, err, errlen);
    case O_CA_FILE:
        cfg->ca_file = v;
        return 0;
    case O_ALLOW_PRIVATE:
        return allow_private(o, argc, argv, err, errlen);
    case O_NAT64_PREFIX:
        reason = NULL;
        if (addr_policy_add_nat64(&o->addrs, v, &reason) < 0) {
            snprintf(err, errlen, "--nat64-prefix: '%s': %s", v, reason);
            return -1;
        }
        return 0;
    case O_DOMAIN_TIMEOUT:
        return cli_parse_double("--domain-timeout", v, 0.5, 86400, &cfg->domain_timeout_s, err,
                                errlen);
    case O_TIMEOUT:
        return cli_parse_double("--timeout", v, 0.1, 3600, &cfg->timeout_s, err, errlen);
    case O_CONNECT_TIMEOUT:
        return cli_parse_double("--connect-timeout", v, 0.1, 3600, &cfg->connect_timeout_s, err,
                                errlen);
    case O_DNS_TIMEOUT:
        return cli_parse_double("--dns-timeout", v, 0.05, 60, &cfg->dns_timeout_s, err, errlen);
    case O_DNS_TRIES:
        return cli_parse_int("--dns-tries", v, 1, 10, &cfg->dns_tries, err, errlen);
    case O_CHECKS:
        if (scan_options_parse_checks_from(
                v, o->command == SCAN_CMD_CHECK ? SCAN_CHECK_CHECK_DEFAULT : SCAN_CHECK_DEFAULT,
                &cfg->checks, &reason) < 0) {
            snprintf(err, errlen, "--checks '%s': %s", v, reason);
            return -1;
        }
        return 0;
    case O_CONTACT:
        o->contact = v;
        return check_contact(v, err, errlen);
    case O_PROBE_ORPHANS:
        cfg->probe_orphans = true;
        return 0;
    case O_EHLO:
        return check_ehlo(v, cfg->ehlo_name, sizeof cfg->ehlo_name, err, errlen);
    case O_SMTP_TIMEOUT:
        return cli_parse_double("--smtp-timeout", v, 0.1, 600, &cfg->smtp_timeout_s, err, errlen);
    case O_SMTP_CONNS:
        return cli_parse_int("--smtp-conns", v, 1, 100000, &cfg->smtp_conns, err, errlen);
    case O_DB:
        o->db = v;
        return 0;
    case O_RESUME:
        o->resume = true;
        return 0;
    case O_SCAN:
        if (cli_parse_int("--scan", v, 1, 2147483647L, &id, err, errlen) < 0)
            return -1;
        o->scan_id = id;
        return 0;
    case O_SHARD:
        o->sharded = true;
        if (shard_parse(v, &o->shard_index, &o->shard_count, &reason) < 0) {
            snprintf(err, errlen, "--shard '%s': %s", v, reason);
            return -1;
        }
        return 0;
    case O_EXCLUDE:
        o->exclude_file = v;
        return 0;
    case O_DNS_QPS:
        return cli_parse_double("--dns-qps", v, 0, 10000000, &cfg->dns_qps, err, errlen);
    case O_DNS_INFLIGHT:
        return cli_parse_int("--dns-inflight", v, 1, 1000000, &cfg->dns_inflight, err, errlen);
    case O_INFLIGHT:
        return cli_parse_int("--inflight", v, 1, 1000000, &cfg->inflight, err, errlen);
    case O_HTTPS_CONNS:
        return cli_parse_int("--https-conns", v, 1, 100000, &cfg->https_conns, err, errlen);
    case O_DNS_INFLIGHT_MIN:
        return cli_parse_int("--dns-inflight-min", v, 1, 1000000, &cfg->dns_inflight_min, err,
                             errlen);
    case O_PER_IP:
        return cli_parse_double("--per-ip", v, 0, 100000, &cfg->per_ip, err, errlen);
    case O_PER_IP_CONNS:
        return cli_parse_int("--per-ip-conns", v, 0, 100000, &cfg->per_ip_conns, err, errlen);
    case O_PER_IP_WAIT:
        return cli_parse_double("--per-ip-wait", v, 0.1, 86400, &cfg->per_ip_wait_s, err, errlen);
    case O_THREADS:
        return cli_parse_int("--threads", v, 1, 256, &cfg->threads, err, errlen);
    case O_KEEP_CERTS:
        cfg->keep_cert_pem = true;
        return 0;
    case O_PROGRESS:
        o->progress = PROGRESS_TTY;
        return 0;
    case O_QUIET:
        o->progress = PROGRESS_QUIET;
        return 0;
    case O_STATUS_FILE:
        o->status_file = v;
        return 0;
    case O_JSON:
        o->json = true;
        return 0;
    default:
        cli_getopt_message(c, argv, err, errlen);
        if (errlen > 0 && c == '?')
            snprintf(err + strlen(err), errlen - strlen(err), " (see --help)");
        return -1;
    }
}

int scan_options_parse(enum scan_command cmd, int argc, char **argv, struct scan_options *o,
                       char *err, size_t errlen)
{
    set_defaults(cmd, o);
    cli_getopt_reset();
    const struct option *opts = cmd == SCAN_CMD_SCAN ? scan_opts : check_opts;
    int c;
    while ((c = getopt_long(argc, argv, CLI_SHORT_OPTS, opts, NULL)) != -1) {
        if (c == 'h') {
            scan_options_usage(cmd, stdout);
            return 1;
        }
        if (apply_option(o, c, argc, argv, err, errlen) < 0)
            return -1;
    }
    for (int i = optind; i < argc; i++) {
        if (o->n_args >= SCAN_MAX_ARGS) {
            snprintf(err, errlen, "too many arguments (at most %d)", SCAN_MAX_ARGS);
            return -1;
        }
        o->args[o->n_args++] = argv[i];
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

struct scan_options *scan_options_from_argv(enum scan_command cmd, int argc, char **argv,
                                            int *status)
{
    const char *name = cmd == SCAN_CMD_SCAN ? "scan" : "check";
    /* check: any failure is "could not check" (3); scan: usage 2, out of memory 1. */
    /* check: 0-3 are verdicts (3 "could not check"); a usage error has its own code,
     * EX_USAGE from sysexits.h, so a script never mistakes a typo for a DNS failure. */
    int usage_status = cmd == SCAN_CMD_SCAN ? 2 : 64, oom_status = cmd == SCAN_CMD_SCAN ? 1 : 3;
    struct scan_options *o = malloc(sizeof *o);
    if (!o) {
        cli_error(name, "out of memory");
        *status = oom_status;
        return NULL;
    }
    char err[1024];
    int rc = scan_options_parse(cmd, argc, argv, o, err, sizeof err);
    if (rc == 0)
        return o;
    if (rc < 0)
        cli_error(name, "%s", err);
    free(o);
    *status = rc < 0 ? usage_status : 0;
    return NULL;
}

static void json_checks(unsigned checks, struct sbuf *out)
{
    sbuf_putc(out, '[');
    bool first = true;
    for (size_t i = 0; i < sizeof check_names / sizeof check_names[0]; i++) {
        if ((checks & check_names[i].bit) != check_names[i].bit) /* smtp:all is two bits */
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
                "inflight_min\":%d,\"timeout_s\":%g,\"connect_timeout_s\":%g,\"dns_"
                "timeout_s\":%g,"
                "\"dns_tries\":%d,\"domain_timeout_s\":%g,\"threads\":%d,\"keep_certs\":%s,"
                "\"smtp_timeout_s\":%g,\"smtp_conns\":%d,\"ehlo\":",
                c->probe_orphans ? "true" : "false", c->dns_qps, c->inflight, c->https_conns,
                c->per_ip, c->per_ip_conns, c->per_ip_wait_s, c->dns_inflight, c->dns_inflight_min,
                c->timeout_s, c->connect_timeout_s, c->dns_timeout_s, c->dns_tries,
                c->domain_timeout_s, c->threads, c->keep_cert_pem ? "true" : "false",
                c->smtp_timeout_s, c->smtp_conns);
    esc_json_str(out, c->ehlo_name);
    sbuf_puts(out, ",\"ca_file\":");
    esc_json_str(out, c->ca_file);
    sbuf_puts(out, ",\"allow_private\":[");
    for (size_t i = 0; i < o->addrs.n_allow; i++) {
        if (i)
            sbuf_putc(out, ',');
        esc_json_str(out, o->addrs.allow_text[i]);
    }
    sbuf_puts(out, "]");
    if (o->addrs.n_nat64) {
        sbuf_puts(out, ",\"nat64_prefix\":[");
        for (size_t i = 0; i < o->addrs.n_nat64; i++) {
            if (i)
                sbuf_putc(out, ',');
            esc_json_str(out, o->addrs.nat64_text[i]);
        }
        sbuf_puts(out, "]");
    }
    sbuf_puts(out, ",\"exclude\":");
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
    int n = snprintf(
        buf, buflen, "qps %s, dns %d, inflight %d, https %d, per-ip %g/s x%d, timeout %gs", qps,
        c->dns_inflight, c->inflight, c->https_conns, c->per_ip, c->per_ip_conns, c->timeout_s);
    if ((c->checks & (SCAN_CHECK_SMTP | SCAN_CHECK_DANE)) && n > 0 && (size_t)n < buflen)
        snprintf(buf + n, buflen - (size_t)n, ", smtp %d", c->smtp_conns);
}
