/* Runs the mtasts binary ($MTASTS_BIN): `lint` JSON contract and exit codes, `generate`
 * refusals, and generate -> lint round trips. */
#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/sbuf.h"
#include "tests/unit/tap.h"

static const char *bin;
static char tmpdir[64];

struct result {
    int rc;
    struct sbuf out, err;
};

static void slurp(FILE *f, struct sbuf *b)
{
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sbuf_append(b, buf, n);
}

/* Runs `mtasts ARGS` through sh; stdout and stderr captured, exit status in rc. */
static void run(struct result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void run(struct result *r, const char *fmt, ...)
{
    struct sbuf cmd = SBUF_INIT, args = SBUF_INIT, errpath = SBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    char tmp[8192];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    sbuf_puts(&args, tmp);
    sbuf_printf(&errpath, "%s/stderr", tmpdir);
    sbuf_printf(&cmd, "'%s' %s 2>'%s'", bin, sbuf_str(&args), sbuf_str(&errpath));
    memset(r, 0, sizeof *r);
    FILE *p = popen(sbuf_str(&cmd), "r");
    if (p) {
        slurp(p, &r->out);
        int st = pclose(p);
        r->rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    } else {
        r->rc = -1;
    }
    FILE *e = fopen(sbuf_str(&errpath), "rb");
    if (e) {
        slurp(e, &r->err);
        fclose(e);
    }
    sbuf_free(&cmd);
    sbuf_free(&args);
    sbuf_free(&errpath);
}

static void result_free(struct result *r)
{
    sbuf_free(&r->out);
    sbuf_free(&r->err);
}

static void write_file(const char *name, const char *data, size_t len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, len, f);
        fclose(f);
    }
}

static bool has(const struct result *r, const char *needle)
{
    return strstr(sbuf_str(&r->out), needle) != NULL;
}

/* A JSON object on one line, no raw control bytes, and the contract's keys. */
static bool json_shape(const struct result *r, bool records)
{
    const char *s = sbuf_str(&r->out);
    size_t n = strlen(s);
    if (n < 3 || s[0] != '{' || strcmp(s + n - 2, "}\n") != 0)
        return false;
    for (size_t i = 0; i + 1 < n; i++)
        if ((unsigned char)s[i] < 0x20)
            return false;
    const char *keys[] = {
        "\"valid\":", "\"valid_strict\":", "\"mode\":",    "\"max_age\":",  "\"mx\":[",
        "\"id\":",    "\"mx_coverage\":[", "\"errors\":[", "\"warnings\":["};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strstr(s, keys[i]))
            return false;
    return !records || strstr(s, "\"status\":") != NULL;
}

#define GOOGLE                                                                                     \
    "version: STSv1\r\nmode: enforce\r\nmx: gmail-smtp-in.l.google.com\r\n"                        \
    "mx: *.gmail-smtp-in.l.google.com\r\nmax_age: 86400\r\n"

static void test_lint_policy(void)
{
    struct result r;
    write_file("google.txt", GOOGLE, strlen(GOOGLE));
    run(&r, "lint --json %s/google.txt", tmpdir);
    TAP_CHECK(r.rc == 0 && json_shape(&r, false), "cli: lint valid policy exits 0 with JSON",
              "rc=%d out=%s", r.rc, sbuf_str(&r.out));
    TAP_CHECK(has(&r, "\"valid\":true,\"valid_strict\":true,\"mode\":\"enforce\",\"max_age\":86400,"
                      "\"mx\":[\"gmail-smtp-in.l.google.com\",\"*.gmail-smtp-in.l.google.com\"],"
                      "\"id\":null,\"mx_coverage\":[],\"errors\":[],\"warnings\":[]"),
              "cli: lint JSON fields", "out=%s", sbuf_str(&r.out));
    result_free(&r);

    run(&r, "lint %s/google.txt", tmpdir);
    TAP_CHECK(r.rc == 0 && has(&r, "valid (strict"), "cli: lint human output", "rc=%d out=%s", r.rc,
              sbuf_str(&r.out));
    result_free(&r);

    const char *lf = "version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 3600\n";
    write_file("lf.txt", lf, strlen(lf));
    run(&r, "lint --json - < %s/lf.txt", tmpdir);
    TAP_CHECK(r.rc == 0 && has(&r, "\"valid\":true,\"valid_strict\":true") &&
                  has(&r, "{\"code\":\"lf_line_endings\",\"line\":1,") &&
                  has(&r, "{\"code\":\"max_age_short\",\"line\":4,"),
              "cli: lint stdin, LF and short max_age are warnings", "rc=%d out=%s", r.rc,
              sbuf_str(&r.out));
    result_free(&r);

    const char *tol = "Version: STSv1\r\nmode: Enforce\r\nmx: a.example.com.\r\nmax_age: 86400\r\n";
    write_file("tol.txt", tol, strlen(tol));
    run(&r, "lint --json %s/tol.txt", tmpdir);
    TAP_CHECK(r.rc == 0 && has(&r, "\"valid\":true,\"valid_strict\":false") &&
                  has(&r, "\"policy_key_case\",\"line\":1") &&
                  has(&r, "\"mx\":[\"a.example.com\"]"),
              "cli: lint tolerances: valid, not strict", "rc=%d out=%s", r.rc, sbuf_str(&r.out));
    result_free(&r);

    const char *bad = "version: STSv1\r\nmode: enforcing\r\nmx: mx.example.com\r\n";
    write_file("bad.txt", bad, strlen(bad));
    run(&r, "lint --json %s/bad.txt", tmpdir);
    TAP_CHECK(r.rc == 1 && json_shape(&r, false) && has(&r, "\"valid\":false") &&
                  has(&r, "\"mode\":null,\"max_age\":null") &&
                  has(&r, "{\"code\":\"policy_mode_invalid\",\"line\":2,\"message\":") &&
                  has(&r, "{\"code\":\"policy_max_age_missing\",\"line\":null,"),
              "cli: lint invalid policy exits 1 with codes and lines", "rc=%d out=%s", r.rc,
              sbuf_str(&r.out));
    result_free(&r);

    char *big = malloc(70000);
    if (big) {
        memset(big, 'a', 70000);
        write_file("big.txt", big, 70000);
        free(big);
    }
    run(&r, "lint --json %s/big.txt", tmpdir);
    TAP_CHECK(r.rc == 1 && has(&r, "\"code\":\"body_too_large\""), "cli: lint over 64 KiB",
              "rc=%d out=%s", r.rc, sbuf_str(&r.out));
    result_free(&r);

    write_file("nul.txt", "version: STSv1\r\nmode: en\0force\r\n", 32);
    run(&r, "lint --json %s/nul.txt", tmpdir);
    TAP_CHECK(r.rc == 1 && json_shape(&r, false) && has(&r, "\"policy_nul\",\"line\":2"),
              "cli: lint NUL byte", "rc=%d out=%s", r.rc, sbuf_str(&r.out));
    result_free(&r);
}

static void test_lint_mx(void)
{
    struct result r;
    run(&r,
        "lint --json --mx ALT1.gmail-smtp-in.l.google.com. --mx gmail-smtp-in.l.google.com "
        "%s/google.txt",
        tmpdir);
    TAP_CHECK(r.rc == 0 &&
                  has(&r, "\"mx_coverage\":[{\"host\":\"ALT1.gmail-smtp-in.l.google.com.\","
                          "\"covered\":true,\"pattern\":\"*.gmail-smtp-in.l.google.com\"},"
                          "{\"host\":\"gmail-smtp-in.l.google.com\",\"covered\":true,"
                          "\"pattern\":\"gmail-smtp-in.l.google.com\"}]"),
              "cli: lint --mx covered, with the pattern", "rc=%d out=%s", r.rc, sbuf_str(&r.out));
    result_free(&r);

    run(&r, "lint --json --mx a.b.gmail-smtp-in.l.google.com %s/google.txt", tmpdir);
    TAP_CHECK(r.rc == 1 && has(&r, "\"covered\":false,\"pattern\":null") &&
                  has(&r, "\"code\":\"mx_not_covered\"") &&
                  has(&r, "\"code\":\"mx_pattern_unused\""),
              "cli: lint --mx not covered exits 1", "rc=%d out=%s", r.rc, sbuf_str(&r.out));
    result_free(&r);

    run(&r, "lint --mx mx.example.com --txt 'v=STSv1; id=1'");
    TAP_CHECK(r.rc == 2, "cli: lint --mx without a policy is a usage error", "rc=%d", r.rc);
    result_free(&r);
}

static void test_lint_records(void)
{
    struct result r;
    run(&r, "lint --json --txt '\"v=STSv1; \" \"id=2019\" \"0429\"'");
    TAP_CHECK(
        r.rc == 0 && json_shape(&r, true) &&
            has(&r, "{\"status\":\"valid\",\"valid\":true,\"valid_strict\":true,\"mode\":null,"
                    "\"max_age\":null,\"mx\":[],\"id\":\"20190429\""),
        "cli: lint --txt dig form, strings concatenated", "rc=%d out=%s", r.rc, sbuf_str(&r.out));
    result_free(&r);

    run(&r, "lint --json --txt 'v=STSv1; id=1' --txt 'v=STSv1; id=2'");
    TAP_CHECK(r.rc == 1 && has(&r, "\"status\":\"none\"") && has(&r, "\"code\":\"txt_multiple\""),
              "cli: lint two version records: none, txt_multiple", "rc=%d out=%s", r.rc,
              sbuf_str(&r.out));
    result_free(&r);

    run(&r, "lint --json --txt '\"v=STSv1; id=1\"\n\"v=STSv1; id=2\"\n'");
    TAP_CHECK(r.rc == 1 && has(&r, "\"code\":\"txt_multiple\""),
              "cli: lint --txt multi-line dig output is several records", "rc=%d out=%s", r.rc,
              sbuf_str(&r.out));
    result_free(&r);

    run(&r, "lint --json --txt 'v=spf1 -all'");
    TAP_CHECK(r.rc == 1 && has(&r, "\"status\":\"none\"") && has(&r, "\"errors\":[]"),
              "cli: lint no version record: none", "rc=%d out=%s", r.rc, sbuf_str(&r.out));
    result_free(&r);

    run(&r, "lint --json --txt 'v=STSv1; id=a\"b\\\\c'");
    TAP_CHECK(r.rc == 1 && json_shape(&r, true) && has(&r, "\"txt_id_invalid\""),
              "cli: lint quotes remote bytes in JSON", "rc=%d out=%s", r.rc, sbuf_str(&r.out));
    result_free(&r);

    run(&r, "lint --txt '\"v=STSv1; id=1'");
    TAP_CHECK(r.rc == 2 && strstr(sbuf_str(&r.err), "unterminated"),
              "cli: lint unterminated quote is a usage error", "rc=%d err=%s", r.rc,
              sbuf_str(&r.err));
    result_free(&r);

    run(&r,
        "lint --json --tlsrpt 'v=TLSRPTv1; rua=mailto:tls@example.com,https://r.example.com/x'");
    TAP_CHECK(r.rc == 0 && json_shape(&r, true) &&
                  has(&r, "\"rua\":[\"mailto:tls@example.com\",\"https://r.example.com/x\"]"),
              "cli: lint --tlsrpt valid with rua list", "rc=%d out=%s", r.rc, sbuf_str(&r.out));
    result_free(&r);

    run(&r, "lint --json --tlsrpt 'v=TLSRPTv1; rua=ftp://example.com'");
    TAP_CHECK(r.rc == 1 && has(&r, "\"status\":\"invalid\"") && has(&r, "\"rua\":[]") &&
                  has(&r, "\"tlsrpt_rua_scheme\""),
              "cli: lint --tlsrpt bad scheme", "rc=%d out=%s", r.rc, sbuf_str(&r.out));
    result_free(&r);
}

static void test_lint_usage(void)
{
    struct result r;
    run(&r, "lint");
    TAP_CHECK(r.rc == 2 && r.err.len > 0, "cli: lint without input exits 2", "rc=%d", r.rc);
    result_free(&r);
    run(&r, "lint %s/does-not-exist.txt", tmpdir);
    TAP_CHECK(r.rc == 2 && strstr(sbuf_str(&r.err), "does-not-exist.txt"),
              "cli: lint missing file names it, exits 2", "rc=%d err=%s", r.rc, sbuf_str(&r.err));
    result_free(&r);
    run(&r, "lint --bogus x");
    TAP_CHECK(r.rc == 2 && strstr(sbuf_str(&r.err), "--bogus"), "cli: lint unknown option", "rc=%d",
              r.rc);
    result_free(&r);
    run(&r, "lint --help");
    TAP_CHECK(r.rc == 0 && has(&r, "usage: mtasts lint"), "cli: lint --help", "rc=%d", r.rc);
    result_free(&r);
    run(&r, "generate --help");
    TAP_CHECK(r.rc == 0 && has(&r, "usage: mtasts generate"), "cli: generate --help", "rc=%d",
              r.rc);
    result_free(&r);
}

/* The quoted TXT value of the zone line starting with `owner`, or "" . */
static void zone_value(const struct result *r, const char *owner, char *out, size_t n)
{
    out[0] = '\0';
    const char *p = strstr(sbuf_str(&r->out), owner);
    const char *q = p ? strchr(p, '"') : NULL;
    const char *e = q ? strchr(q + 1, '"') : NULL;
    if (!e || (size_t)(e - q - 1) >= n)
        return;
    memcpy(out, q + 1, (size_t)(e - q - 1));
    out[e - q - 1] = '\0';
}

static void test_generate(void)
{
    struct result r, l;
    run(&r,
        "generate --domain Example.COM. --mode testing --mx MX1.example.com '*.mail.example.net' "
        "--max-age 604800 --rua mailto:tls@example.com https://r.example.com/tls --out %s/site",
        tmpdir);
    TAP_CHECK(r.rc == 0, "cli: generate with --out", "rc=%d err=%s", r.rc, sbuf_str(&r.err));
    char txt[256], rpt[256];
    zone_value(&r, "_mta-sts.example.com. IN TXT", txt, sizeof txt);
    zone_value(&r, "_smtp._tls.example.com. IN TXT", rpt, sizeof rpt);
    const char *id = strstr(txt, "id=");
    bool id_ok = id && strlen(id + 3) == 16 && id[3 + 8] == 'T' && id[3 + 15] == 'Z';
    for (size_t i = 0; id_ok && i < 15; i++)
        id_ok = (id[3 + i] >= '0' && id[3 + i] <= '9') || i == 8;
    TAP_CHECK(id_ok, "cli: generate default id is a UTC timestamp YYYYMMDDTHHMMSSZ", "txt '%s'",
              txt);
    TAP_CHECK(strcmp(rpt, "v=TLSRPTv1; rua=mailto:tls@example.com,https://r.example.com/tls") == 0,
              "cli: generate TLS-RPT record", "got '%s'", rpt);
    result_free(&r);

    run(&l, "lint --json %s/site/.well-known/mta-sts.txt", tmpdir);
    TAP_CHECK(l.rc == 0 &&
                  has(&l,
                      "\"valid\":true,\"valid_strict\":true,\"mode\":\"testing\","
                      "\"max_age\":604800,\"mx\":[\"mx1.example.com\",\"*.mail.example.net\"]") &&
                  has(&l, "\"warnings\":[]"),
              "cli: generated policy file passes lint, strict, no warnings", "rc=%d out=%s", l.rc,
              sbuf_str(&l.out));
    result_free(&l);

    run(&l, "lint --json --txt '%s'", txt);
    TAP_CHECK(l.rc == 0 && has(&l, "\"valid_strict\":true"), "cli: generated TXT passes lint",
              "rc=%d out=%s", l.rc, sbuf_str(&l.out));
    result_free(&l);
    run(&l, "lint --json --tlsrpt '%s'", rpt);
    TAP_CHECK(l.rc == 0 && has(&l, "\"valid_strict\":true"), "cli: generated TLS-RPT passes lint",
              "rc=%d out=%s", l.rc, sbuf_str(&l.out));
    result_free(&l);

    run(&r, "generate --domain example.com --mode enforce --mx mx.example.com --max-age 86400 "
            "--id abc123 --policy-only");
    const char *want =
        "version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: 86400\r\n";
    TAP_CHECK(r.rc == 0 && strcmp(sbuf_str(&r.out), want) == 0,
              "cli: generate --policy-only prints the exact CRLF policy", "rc=%d out='%s'", r.rc,
              sbuf_str(&r.out));
    result_free(&r);

    run(&r,
        "generate --domain example.com --mode none --max-age 0 --policy-only 2>/dev/null | '%s' "
        "lint -",
        bin);
    TAP_CHECK(r.rc == 0, "cli: generate mode none piped into lint", "rc=%d out=%s", r.rc,
              sbuf_str(&r.out));
    result_free(&r);
}

/* A verdict that never reached its reader is not a verdict: exit 2, naming the output. */
static void test_lint_write_error(void)
{
    struct result r;
    run(&r, "lint --json --txt 'v=STSv1; id=1' >/dev/full");
    TAP_CHECK(r.rc == 2 && strstr(sbuf_str(&r.err), "standard output"),
              "cli: lint exits 2 when standard output cannot be written", "rc=%d err=%s", r.rc,
              sbuf_str(&r.err));
    result_free(&r);
}

static void test_generate_refusals(void)
{
    static const struct {
        const char *args;
        int rc;
        const char *err;
    } t[] = {
        {"--mode enforce --mx mx.example.com --max-age 86400", 2, "--domain"},
        {"--domain example.com --mx mx.example.com --max-age 86400", 2, "--mode"},
        {"--domain example.com --mode enforce --mx mx.example.com", 2, "--max-age"},
        {"--domain example.com --mode enforce --max-age 86400", 1, "policy_mx_missing"},
        {"--domain example.com --mode enforcing --mx mx.example.com --max-age 86400", 1,
         "policy_mode_invalid"},
        {"--domain example.com --mode enforce --mx 'mx.*.example.com' --max-age 86400", 1,
         "policy_mx_invalid"},
        {"--domain example.com --mode enforce --mx mx.example.com --max-age 31557601", 1,
         "policy_max_age_too_large"},
        {"--domain example.com --mode enforce --mx mx.example.com --max-age -5", 1,
         "policy_max_age_invalid"},
        {"--domain example.com --mode Enforce --mx mx.example.com --max-age 86400", 1,
         "policy_value_case"},
        {"--domain example.com --mode enforce --mx mx.example.com --max-age 86400 --id 2024-01-01",
         1, "txt_id_invalid"},
        {"--domain example.com --mode enforce --mx mx.example.com --max-age 86400 --rua "
         "tls@example.com",
         1, "tlsrpt_rua_scheme"},
        {"--domain 'bad domain' --mode enforce --mx mx.example.com --max-age 86400", 1, "domain"},
        {"--domain example.com --mode enforce --mx \"$(printf 'mx.example.com\\r\\nmode: none')\" "
         "--max-age 86400",
         1, "control character"},
        {"--domain example.com --mode enforce --mx --max-age 86400", 2, "--mx"},
        /* values that would add fields to a record lint then accepts */
        {"--domain example.com --mode enforce --mx mx.example.com --max-age 86400 --id 'abc; "
         "x=y'",
         1, "--id"},
        {"--domain example.com --mode enforce --mx mx.example.com --max-age 86400 --rua "
         "'mailto:tls@example.com;x=y'",
         1, "--rua"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct result r;
        run(&r, "generate %s", t[i].args);
        char name[300];
        snprintf(name, sizeof name, "cli: generate refuses: %s", t[i].args);
        TAP_CHECK(r.rc == t[i].rc && strstr(sbuf_str(&r.err), t[i].err) && r.out.len == 0, name,
                  "rc=%d (want %d) out=%s err=%s", r.rc, t[i].rc, sbuf_str(&r.out),
                  sbuf_str(&r.err));
        result_free(&r);
    }
}

/* `lint --json` on every policy vector (decoded inputs: tests/fuzz/corpus/policy/, written
 * by test_rules_vectors --dump-corpus): JSON shape, exit status and verdict as expected. The
 * corpus's other seeds (world bodies, hostile fixtures: tests/fuzz/seed-corpus) have no
 * expected verdict: JSON shape and exit status only. */
static void test_lint_every_vector(void)
{
    DIR *dp = opendir("tests/fuzz/corpus/policy");
    size_t files = 0, bad = 0;
    char first_bad[600] = "";
    struct dirent *e;
    while (dp && (e = readdir(dp)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char vec[512], want_valid = '?';
        snprintf(vec, sizeof vec, "tests/vectors/policy/%s", e->d_name);
        FILE *f = fopen(vec, "r");
        bool is_vector = f != NULL;
        char line[512];
        while (f && fgets(line, sizeof line, f)) {
            const char *v = strstr(line, "# expect:") ? strstr(line, " valid=") : NULL;
            if (v)
                want_valid = v[7];
        }
        if (f)
            fclose(f);
        struct result r;
        run(&r, "lint --json 'tests/fuzz/corpus/policy/%s'", e->d_name);
        bool valid = has(&r, "{\"valid\":true,");
        bool ok = json_shape(&r, false) && (r.rc == 0) == valid && (r.rc == 0 || r.rc == 1) &&
                  (!is_vector || want_valid == (valid ? '1' : '0'));
        files += is_vector;
        if (!ok && !bad++)
            snprintf(first_bad, sizeof first_bad, "%s: rc=%d want valid=%c out=%.300s", e->d_name,
                     r.rc, want_valid, sbuf_str(&r.out));
        result_free(&r);
    }
    if (dp)
        closedir(dp);
    TAP_CHECK(files >= 60 && bad == 0, "cli: lint --json agrees with every policy vector",
              "%zu files, %zu differ; first: %s", files, bad, first_bad);
}

int main(void)
{
    TAP_PLAN(50);
    bin = getenv("MTASTS_BIN");
    if (!bin || !*bin)
        bin = "./mtasts";
    if (access(bin, X_OK) != 0) {
        TAP_CHECK(false, "cli: mtasts binary", "'%s' is not executable (set MTASTS_BIN)", bin);
        TAP_DONE();
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mtasts-cli-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        TAP_CHECK(false, "cli: temporary directory", "mkdtemp failed");
        TAP_DONE();
    }
    test_lint_policy();
    test_lint_mx();
    test_lint_records();
    test_lint_usage();
    test_generate();
    test_generate_refusals();
    test_lint_write_error();
    test_lint_every_vector();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    TAP_DONE();
}
