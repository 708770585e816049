/* Unit tests of the list reader: formats, headers, zstd, stdin, bad lines, filters, counters. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include "scanner/input/exclude.h"
#include "scanner/input/input.h"
#include "scanner/input/shard.h"
#include "tests/unit/tap.h"

static void str_eq(const char *got, const char *want, const char *name)
{
    TAP_STR_EQ(got, want, name);
}

static char tmpdir[] = "/tmp/mtasts-input-XXXXXX";

static const char *write_file(const char *name, const void *data, size_t len)
{
    static char paths[16][256];
    static int next;
    char *p = paths[next++ % 16];
    snprintf(p, 256, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(data, 1, len, f) != len) {
        perror(p);
        exit(1);
    }
    fclose(f);
    return p;
}

static const char *write_str(const char *name, const char *s)
{
    return write_file(name, s, strlen(s));
}

static const char *write_zst(const char *name, const char *s, int frames, size_t cut)
{
    size_t len = strlen(s), cap = ZSTD_compressBound(len) * (size_t)frames + 64, out = 0;
    char *buf = malloc(cap);
    size_t part = len / (size_t)frames;
    for (int i = 0; i < frames; i++) {
        size_t off = part * (size_t)i, n = i == frames - 1 ? len - off : part;
        size_t rc = ZSTD_compress(buf + out, cap - out, s + off, n, 3);
        if (ZSTD_isError(rc))
            exit(1);
        out += rc;
    }
    const char *p = write_file(name, buf, out - cut);
    free(buf);
    return p;
}

/* Reads everything; the domains joined by ' ' (with rank as rank:domain when >= 0), the bad
 * lines as "!line:reason" */
static enum input_kind read_all(struct input *in, char *out, size_t outlen)
{
    struct input_entry e;
    enum input_kind k;
    out[0] = '\0';
    size_t n = 0;
    while ((k = input_next(in, &e)) == INPUT_DOMAIN || k == INPUT_BAD_LINE) {
        if (k == INPUT_DOMAIN && e.rank >= 0)
            n += (size_t)snprintf(out + n, outlen - n, "%s%ld:%s", n ? " " : "", e.rank, e.domain);
        else if (k == INPUT_DOMAIN)
            n += (size_t)snprintf(out + n, outlen - n, "%s%s", n ? " " : "", e.domain);
        else
            n += (size_t)snprintf(out + n, outlen - n, "%s!%ld", n ? " " : "", e.line);
        if (n >= outlen)
            n = outlen - 1;
    }
    return k;
}

static struct input *open1(const char *path, const struct exclude_list *x)
{
    const char *files[1] = {path};
    struct input_options o = {.files = files, .n_files = 1, .exclude = x};
    char err[256];
    static const char *keep[1];
    keep[0] = path;
    o.files = keep;
    struct input *in = input_open(&o, err, sizeof err);
    if (!in)
        printf("# open: %s\n", err);
    return in;
}

static void expect_list(const char *name, const char *content, const char *want)
{
    struct input *in = open1(write_str("list.txt", content), NULL);
    char got[4096];
    enum input_kind k = read_all(in, got, sizeof got);
    TAP_CHECK(k == INPUT_END && !strcmp(got, want), name, "got '%s' want '%s' (kind %d, %s)", got,
              want, k, input_error(in));
    input_close(in);
}

static void test_formats(void)
{
    expect_list("plain list", "example.com\nExample.ORG.\n\n# comment\n  # indented\nb.net\n",
                "example.com example.org b.net");
    expect_list("CRLF lines", "a.com\r\nb.com\r\n", "a.com b.com");
    expect_list("last line without newline", "a.com\nb.com", "a.com b.com");
    expect_list("trailing comment cut", "a.com # mine\nb.com\t# theirs\n", "a.com b.com");
    expect_list("tranco csv", "1,google.com\n2,facebook.com\r\n3,Bücher.de\n",
                "1:google.com 2:facebook.com 3:xn--bcher-kva.de");
    expect_list("csv header rank,domain", "rank,domain\n1,a.com\n2,b.com\n", "1:a.com 2:b.com");
    expect_list("csv header after comment", "# top list\nRank,Domain\n1,a.com\n", "1:a.com");
    expect_list("header domain alone", "Domain\na.com\n", "a.com");
    expect_list("header with extra columns", "rank,domain,country\n7,a.com,de\n", "7:a.com");
    expect_list("extra columns", "1,a.com,x,y\n2,b.com,\n", "1:a.com 2:b.com");
    expect_list("domain first column", "a.com,1234\nb.com,5\n", "a.com b.com");
    expect_list("quoted fields", "\"1\",\"a.com\"\n\"b.com\",x\n", "1:a.com b.com");
    expect_list("spaces in fields", " 1 , a.com \n", "1:a.com");
    expect_list("only second line is not a header", "a.com\nrank,domain\n", "a.com !2");
    expect_list("header-like single label is bad, not header", "localhost\na.com\n", "!1 a.com");
    expect_list("bad lines reported by number", "a.com\nnot a domain\n1,\n-x.com\nb.com\n",
                "a.com !2 !3 !4 b.com");
    expect_list("empty file", "", "");
    expect_list("only comments", "# a\n\n#b\n", "");
}

static void test_bad_line_details(void)
{
    static char content[12000];
    size_t n = 0;
    n += (size_t)snprintf(content, sizeof content, "a.com\n");
    memset(content + n, 'x', 10000);
    n += 10000;
    content[n++] = '\n';
    memcpy(content + n, "b.c\0m\n", 6);
    n += 6;
    memcpy(content + n, "c.\x01om\nd.com\n", 12);
    n += 12;
    const char *path = write_file("bad.txt", content, n);
    struct input *in = open1(path, NULL);
    struct input_entry e;
    input_next(in, &e);
    TAP_CHECK(e.kind == INPUT_DOMAIN && !strcmp(e.domain, "a.com") && e.line == 1 &&
                  !strcmp(e.file, path),
              "first domain with file and line", "kind %d line %ld", e.kind, e.line);
    input_next(in, &e);
    TAP_CHECK(e.kind == INPUT_BAD_LINE && e.line == 2 && strstr(e.reason, "4096") &&
                  strlen(e.text) == INPUT_TEXT_MAX,
              "10000-byte line is one bad line, text truncated",
              "kind %d line %ld reason %s len %zu", e.kind, e.line, e.reason ? e.reason : "",
              e.text ? strlen(e.text) : 0);
    input_next(in, &e);
    TAP_CHECK(e.kind == INPUT_BAD_LINE && e.line == 3 && strstr(e.reason, "NUL") &&
                  !strcmp(e.text, "b.c?m"),
              "NUL byte in a line", "kind %d line %ld reason %s text %s", e.kind, e.line,
              e.reason ? e.reason : "", e.text ? e.text : "");
    input_next(in, &e);
    TAP_CHECK(e.kind == INPUT_BAD_LINE && e.line == 4 && !strcmp(e.text, "c.?om"),
              "control byte shown as ?", "kind %d text %s", e.kind, e.text ? e.text : "");
    input_next(in, &e);
    TAP_CHECK(e.kind == INPUT_DOMAIN && !strcmp(e.domain, "d.com") && e.line == 5,
              "reading resumes after bad lines", "kind %d line %ld", e.kind, e.line);
    input_next(in, &e);
    TAP_CHECK(e.kind == INPUT_END, "end", "kind %d", e.kind);
    input_next(in, &e);
    TAP_CHECK(e.kind == INPUT_END, "end is sticky", "kind %d", e.kind);
    const struct input_counts *c = input_get_counts(in);
    TAP_CHECK(c->lines == 5 && c->invalid == 3 && c->domains == 2, "counts of bad lines",
              "lines %lu invalid %lu domains %lu", (unsigned long)c->lines,
              (unsigned long)c->invalid, (unsigned long)c->domains);
    input_close(in);

    /* a line of exactly INPUT_LINE_MAX bytes is read whole (then refused as a name) */
    static char exact[INPUT_LINE_MAX + 16];
    memset(exact, 'a', INPUT_LINE_MAX);
    memcpy(exact + INPUT_LINE_MAX, "\nb.com\n", 8);
    in = open1(write_str("exact.txt", exact), NULL);
    input_next(in, &e);
    TAP_CHECK(e.kind == INPUT_BAD_LINE && !strstr(e.reason, "4096"),
              "4096-byte line is not 'too long'", "reason %s", e.reason ? e.reason : "");
    input_next(in, &e);
    TAP_CHECK(e.kind == INPUT_DOMAIN && e.line == 2, "next line after 4096 bytes", "kind %d",
              e.kind);
    input_close(in);
}

static void test_dedup_and_counts(void)
{
    const char *path = write_str("dup.txt", "header\na.com\nA.COM.\nb.com\n1,a.com\nb.com\n"
                                            "# c\n\nbad..name\nc.com\n");
    struct input *in = open1(path, NULL);
    char got[512];
    read_all(in, got, sizeof got);
    str_eq(got, "!1 a.com b.com !9 c.com", "duplicates dropped after normalisation");
    const struct input_counts *c = input_get_counts(in);
    TAP_CHECK(c->lines == 10 && c->duplicates == 3 && c->domains == 3 && c->invalid == 2 &&
                  c->headers == 0,
              "dedup counters", "lines %lu dup %lu dom %lu inv %lu hdr %lu",
              (unsigned long)c->lines, (unsigned long)c->duplicates, (unsigned long)c->domains,
              (unsigned long)c->invalid, (unsigned long)c->headers);
    input_close(in);

    /* duplicates across files */
    const char *p1 = write_str("f1.txt", "a.com\nb.com\n");
    const char *p2 = write_str("f2.csv", "rank,domain\n1,b.com\n2,c.com\n");
    const char *files[2] = {p1, p2};
    struct input_options o = {.files = files, .n_files = 2};
    char err[256];
    in = input_open(&o, err, sizeof err);
    struct input_entry e;
    int n = 0;
    long last_line = 0;
    const char *last_file = NULL;
    while (input_next(in, &e) == INPUT_DOMAIN) {
        n++;
        last_line = e.line;
        last_file = e.file;
    }
    TAP_CHECK(n == 3 && last_line == 3 && last_file == p2, "several files, dedup across them",
              "n %d line %ld", n, last_line);
    c = input_get_counts(in);
    TAP_CHECK(c->headers == 1 && c->duplicates == 1, "header per file counted",
              "headers %lu dup %lu", (unsigned long)c->headers, (unsigned long)c->duplicates);
    input_close(in);
}

static void test_zstd(void)
{
    const char *text = "rank,domain\n1,a.com\n2,b.com\n3,c.com\n4,d.com\n";
    char got[512];
    struct input *in = open1(write_zst("list.csv.zst", text, 1, 0), NULL);
    enum input_kind k = read_all(in, got, sizeof got);
    TAP_CHECK(k == INPUT_END && !strcmp(got, "1:a.com 2:b.com 3:c.com 4:d.com"), "zstd file",
              "got '%s' kind %d %s", got, k, input_error(in));
    input_close(in);

    in = open1(write_zst("multi.zst", text, 3, 0), NULL);
    k = read_all(in, got, sizeof got);
    TAP_CHECK(k == INPUT_END && !strcmp(got, "1:a.com 2:b.com 3:c.com 4:d.com"),
              "zstd with several frames", "got '%s' kind %d %s", got, k, input_error(in));
    input_close(in);

    in = open1(write_zst("noext", text, 1, 0), NULL);
    k = read_all(in, got, sizeof got);
    TAP_CHECK(k == INPUT_END && !strcmp(got, "1:a.com 2:b.com 3:c.com 4:d.com"),
              "zstd recognised by magic, any name", "got '%s'", got);
    input_close(in);

    in = open1(write_zst("cut.zst", text, 1, 5), NULL);
    k = read_all(in, got, sizeof got);
    TAP_CHECK(k == INPUT_ERROR && strstr(input_error(in), "cut.zst"), "truncated zstd is an error",
              "kind %d err '%s'", k, input_error(in));
    input_close(in);

    /* a big list: 200k lines compressed, read in many output chunks */
    size_t cap = 200000 * 24;
    char *big = malloc(cap);
    size_t n = 0;
    for (int i = 0; i < 200000; i++)
        n += (size_t)snprintf(big + n, cap - n, "%d,d%d.example\n", i + 1, i);
    in = open1(write_zst("big.zst", big, 2, 0), NULL);
    struct input_entry e;
    long count = 0;
    bool ranks_ok = true;
    while ((k = input_next(in, &e)) == INPUT_DOMAIN) {
        if (e.rank != ++count)
            ranks_ok = false;
    }
    TAP_CHECK(k == INPUT_END && count == 200000 && ranks_ok, "200k-line zstd list streamed",
              "count %ld kind %d %s", count, k, input_error(in));
    TAP_CHECK(input_dedup_bytes(in) < 200000 * 16, "dedup memory under 16 bytes a domain",
              "%zu bytes", input_dedup_bytes(in));
    input_close(in);
    free(big);
}

static void test_stdin(void)
{
    const char *path = write_str("stdin.txt", "a.com\n2,b.com\n");
    int saved = dup(STDIN_FILENO);
    int fd = open(path, O_RDONLY);
    dup2(fd, STDIN_FILENO);
    close(fd);
    struct input *in = open1("-", NULL);
    char got[256];
    struct input_entry e;
    input_next(in, &e);
    TAP_CHECK(e.kind == INPUT_DOMAIN && !strcmp(e.file, "-"), "stdin named '-'", "file %s",
              e.file ? e.file : "");
    read_all(in, got, sizeof got);
    str_eq(got, "2:b.com", "stdin read");
    input_close(in);
    dup2(saved, STDIN_FILENO);
    close(saved);

    const char *files[2] = {"-", "-"};
    struct input_options o = {.files = files, .n_files = 2};
    char err[256] = "";
    in = input_open(&o, err, sizeof err);
    TAP_CHECK(!in && strstr(err, "stdin"), "stdin twice refused", "err '%s'", err);
    TAP_CHECK(input_estimate_total(files, 1) == -1, "no estimate for stdin", "wrong");
}

static void test_open_errors(void)
{
    const char *files[2] = {write_str("ok.txt", "a.com\n"), "/nonexistent/list.txt"};
    struct input_options o = {.files = files, .n_files = 2};
    char err[256] = "";
    struct input *in = input_open(&o, err, sizeof err);
    TAP_CHECK(!in && strstr(err, "/nonexistent/list.txt") && strstr(err, "No such file"),
              "missing file named before the scan", "err '%s'", err);
    files[1] = tmpdir;
    in = input_open(&o, err, sizeof err);
    TAP_CHECK(!in && strstr(err, "directory"), "directory refused", "err '%s'", err);
}

static void test_exclude(void)
{
    struct exclude_list *x = exclude_new();
    const char *reason = NULL;
    exclude_add(x, "Example.COM.", &reason);
    exclude_add(x, ".sub.org", &reason);
    exclude_add(x, "*.wild.net", &reason);
    exclude_add(x, "mil", &reason);
    struct {
        const char *d;
        bool want;
    } cases[] = {
        {"example.com", true},
        {"a.example.com", true},
        {"a.b.example.com", true},
        {"notexample.com", false},
        {"example.com.au", false},
        {"sub.org", false},
        {"x.sub.org", true},
        {"y.x.sub.org", true},
        {"wild.net", false},
        {"a.wild.net", true},
        {"army.mil", true},
        {"mil.com", false},
        {"com", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[128];
        snprintf(name, sizeof name, "exclude %s: %s", cases[i].d, cases[i].want ? "yes" : "no");
        TAP_CHECK(exclude_match(x, cases[i].d) == cases[i].want, name, "wrong");
    }
    TAP_CHECK(exclude_count(x) == 4, "exclude count", "%zu", exclude_count(x));
    TAP_CHECK(exclude_add(x, "bad..name", &reason) == -1 && reason, "bad exclude entry refused",
              "wrong");

    /* file form, then applied by the reader */
    const char *xf =
        write_str("exclude.txt", "# do not scan\ndomain\nblocked.com\n2,.corp.example\n");
    struct exclude_list *y = exclude_new();
    char err[256] = "";
    int rc = exclude_load(y, xf, err, sizeof err);
    TAP_CHECK(rc == 0 && exclude_count(y) == 2, "exclude file loaded", "rc %d err %s", rc, err);
    struct input *in = open1(write_str("l.txt", "a.com\nblocked.com\nwww.blocked.com\n"
                                                "corp.example\nhr.corp.example\nb.com\n"),
                             y);
    char got[256];
    read_all(in, got, sizeof got);
    str_eq(got, "a.com corp.example b.com", "reader applies the exclude list");
    TAP_CHECK(input_get_counts(in)->excluded == 3, "excluded counted", "%lu",
              (unsigned long)input_get_counts(in)->excluded);
    input_close(in);

    const char *bf = write_str("badx.txt", "ok.com\nnot valid\n");
    struct exclude_list *z = exclude_new();
    rc = exclude_load(z, bf, err, sizeof err);
    TAP_CHECK(rc == -1 && strstr(err, "badx.txt:2"), "bad exclude line names file:line", "err '%s'",
              err);
    rc = exclude_load(z, "/nonexistent", err, sizeof err);
    TAP_CHECK(rc == -1 && strstr(err, "/nonexistent"), "missing exclude file", "err '%s'", err);
    exclude_free(x);
    exclude_free(y);
    exclude_free(z);
}

static bool skip_b(void *arg, const char *d)
{
    (*(int *)arg)++;
    return d[0] == 'b';
}

static void test_shard_and_skip(void)
{
    size_t cap = 3000 * 20, n = 0;
    char *list = malloc(cap);
    for (int i = 0; i < 3000; i++)
        n += (size_t)snprintf(list + n, cap - n, "s%d.example\n", i);
    const char *path = write_str("shard.txt", list);
    const char *files[1] = {path};
    unsigned long total = 0;
    bool disjoint = true;
    for (unsigned s = 0; s < 3; s++) {
        struct input_options o = {.files = files, .n_files = 1, .shard_index = s, .shard_count = 3};
        char err[256];
        struct input *in = input_open(&o, err, sizeof err);
        struct input_entry e;
        while (input_next(in, &e) == INPUT_DOMAIN) {
            total++;
            if (shard_of(e.domain, 3) != s)
                disjoint = false;
        }
        const struct input_counts *c = input_get_counts(in);
        if (c->domains + c->other_shard != 3000)
            disjoint = false;
        input_close(in);
    }
    TAP_CHECK(total == 3000 && disjoint, "three shards partition the list", "total %lu", total);
    struct input_options o1 = {.files = files, .n_files = 1, .shard_index = 1, .shard_count = 3};
    struct input *in1 = input_open(&o1, (char[64]){0}, 64);
    unsigned long n1 = 0;
    struct input_entry e1;
    while (input_next(in1, &e1) == INPUT_DOMAIN)
        n1++;
    input_close(in1);
    TAP_CHECK(input_count_selected(&o1) == (long long)n1 && n1 > 900 && n1 < 1100,
              "count_selected is the exact count of a shard", "count %lld read %lu",
              input_count_selected(&o1), n1);
    free(list);

    int calls = 0;
    const char *p2 = write_str("skip.txt", "a.com\nb.com\nb.com\nc.com\nbb.com\n");
    const char *f2[1] = {p2};
    struct input_options o = {.files = f2, .n_files = 1, .skip = skip_b, .skip_arg = &calls};
    char err[256];
    struct input *in = input_open(&o, err, sizeof err);
    char got[256];
    read_all(in, got, sizeof got);
    str_eq(got, "a.com c.com", "skip hook drops done domains");
    TAP_CHECK(calls == 4 && input_get_counts(in)->skipped == 2 &&
                  input_get_counts(in)->duplicates == 1,
              "skip hook called after dedup", "calls %d skipped %lu", calls,
              (unsigned long)input_get_counts(in)->skipped);
    input_close(in);
}

static void test_estimate_and_hash(void)
{
    const char *p = write_str("est.txt", "rank,domain\n1,a.com\n# x\n\n2,b.com\nbad..x\n");
    const char *files[2] = {p, write_zst("est.zst", "a.com\nc.com\n", 1, 0)};
    long long t = input_estimate_total(files, 2);
    TAP_CHECK(t == 5, "estimate counts candidate lines", "got %lld", t);
    char hex[65], err[256];
    const char *h = write_str("hash.txt", "abc");
    int rc = input_sha256_file(h, hex, err, sizeof err);
    str_eq(rc == 0 ? hex : err, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
           "sha256 of a file");
    rc = input_sha256_file("-", hex, err, sizeof err);
    TAP_CHECK(rc == -1 && hex[0] == '\0', "stdin has no hash", "rc %d", rc);
    rc = input_sha256_file("/nonexistent", hex, err, sizeof err);
    TAP_CHECK(rc == -1 && strstr(err, "/nonexistent"), "hash of missing file", "err %s", err);
}

static void fifo_timeout(int sig)
{
    (void)sig;
    static const char msg[] = "not ok - a FIFO input is read once, by the scan # timed out: "
                              "a pre-pass consumed it\n";
    ssize_t r = write(1, msg, sizeof msg - 1);
    (void)r;
    _exit(1);
}

/* A FIFO (as the shell's <(zcat list.gz) gives) can be read once: the estimate, the exact
 * count and the hash must not touch it, or the scan finds it empty (or waits forever). */
static void test_fifo_read_once(void)
{
    char fifo[300];
    snprintf(fifo, sizeof fifo, "%s/list.fifo", tmpdir);
    if (mkfifo(fifo, 0600) != 0) {
        perror("mkfifo");
        exit(1);
    }
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        int fd = open(fifo, O_WRONLY);
        static const char list[] = "a.com\nb.com\nc.com\n";
        _exit(fd >= 0 && write(fd, list, sizeof list - 1) == (ssize_t)(sizeof list - 1) ? 0 : 1);
    }
    signal(SIGALRM, fifo_timeout);
    alarm(10);
    const char *files[1] = {fifo};
    TAP_CHECK(!input_rereadable(fifo) && !input_rereadable("-"), "a FIFO is not rereadable",
              "wrong");
    TAP_CHECK(input_rereadable(write_str("plain.txt", "a.com\n")), "a regular file is rereadable",
              "wrong");
    TAP_CHECK(input_estimate_total(files, 1) == -1, "no estimate for a FIFO", "wrong");
    struct input_options o = {.files = files, .n_files = 1};
    TAP_CHECK(input_count_selected(&o) == -1, "no exact count for a FIFO", "wrong");
    char hex[65], err[256];
    TAP_CHECK(input_sha256_file(fifo, hex, err, sizeof err) == -1 && hex[0] == '\0',
              "no hash for a FIFO", "hex '%s'", hex);
    struct input *in = input_open(&o, err, sizeof err);
    struct input_entry e;
    int n = 0;
    while (in && input_next(in, &e) == INPUT_DOMAIN)
        n++;
    alarm(0);
    TAP_CHECK(n == 3, "a FIFO input is read once, by the scan", "%d domains", n);
    if (in)
        input_close(in);
    int status = 0;
    waitpid(child, &status, 0);
}

static void test_split_line(void)
{
    struct input_line_fields f;
    TAP_CHECK(input_split_line("5,x.com", 7, true, &f) == INPUT_LINE_DOMAIN && f.rank == 5 &&
                  f.domain_len == 5 && !strncmp(f.domain, "x.com", 5),
              "split rank,domain", "wrong");
    TAP_CHECK(input_split_line("rank,domain\r", 12, true, &f) == INPUT_LINE_HEADER, "split header",
              "wrong");
    TAP_CHECK(input_split_line("rank,domain", 11, false, &f) == INPUT_LINE_DOMAIN,
              "no header past the first line", "wrong");
    TAP_CHECK(input_split_line("  ", 2, true, &f) == INPUT_LINE_SKIP, "split blank", "wrong");
    TAP_CHECK(input_split_line("12345678901234567890,a.com", 26, false, &f) == INPUT_LINE_DOMAIN &&
                  f.rank == -1,
              "overlong rank is not a rank", "rank %ld", f.rank);
}

/* Random bytes, commas, quotes, CR, NUL and UTF-8 fragments: the reader never crashes, every
 * domain it returns is normalised (normalising it again is the identity), and the counters
 * add up. Deterministic (fixed seed); run under ASan by `make asan`. */
static void test_random_lines(void)
{
    static const char *const pieces[] = {
        "a", "B",    "-", ".", ",",        "\"",   "#",        " ",   "\t",      "\r",   "\n", "0",
        "9", "xn--", "_", "*", "\xc3\xa4", "\xff", "\xe2\x82", "com", "example", "\x01", "[",  ":"};
    size_t cap = 400000, n = 0;
    char *buf = malloc(cap);
    unsigned seed = 7;
    while (n < cap - 64) {
        seed = seed * 1103515245u + 12345u;
        if ((seed >> 16) % 97 == 0) {
            buf[n++] = '\0';
            continue;
        }
        const char *p = pieces[(seed >> 8) % (sizeof pieces / sizeof pieces[0])];
        size_t len = strlen(p);
        memcpy(buf + n, p, len);
        n += len;
    }
    const char *path = write_file("random.txt", buf, n);
    free(buf);
    struct input *in = open1(path, NULL);
    struct input_entry e;
    enum input_kind k;
    bool normalised = true;
    unsigned long domains = 0, bad = 0;
    while ((k = input_next(in, &e)) == INPUT_DOMAIN || k == INPUT_BAD_LINE) {
        if (k == INPUT_BAD_LINE) {
            bad++;
            if (!e.reason || !e.text || strlen(e.text) > INPUT_TEXT_MAX)
                normalised = false;
            continue;
        }
        domains++;
        char again[DOMAIN_NAME_BUFSZ];
        const char *reason;
        if (domain_normalize(e.domain, strlen(e.domain), again, sizeof again, &reason) != 0 ||
            strcmp(again, e.domain) != 0)
            normalised = false;
    }
    const struct input_counts *c = input_get_counts(in);
    TAP_CHECK(k == INPUT_END && normalised, "random lines: no crash, domains normalised", "kind %d",
              k);
    TAP_CHECK(c->domains == domains && c->invalid == bad && c->lines >= domains + bad + c->headers,
              "random lines: counters add up", "lines %lu domains %lu bad %lu",
              (unsigned long)c->lines, domains, bad);
    TAP_CHECK(domains > 0 && bad > 0, "random lines: both outcomes exercised",
              "domains %lu bad %lu", domains, bad);
    input_close(in);
}

int main(void)
{
    TAP_PLAN(86);
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_formats();
    test_bad_line_details();
    test_dedup_and_counts();
    test_zstd();
    test_stdin();
    test_open_errors();
    test_exclude();
    test_shard_and_skip();
    test_estimate_and_hash();
    test_fifo_read_once();
    test_split_line();
    test_random_lines();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", tmpdir);
    TAP_DONE();
}
