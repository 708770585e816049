/* Streaming reader of domain lists: plain, rank CSV, .zst, stdin; dedup, exclude, shard, skip. */
#include "scanner/input/input.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "scanner/input/exclude.h"
#include "scanner/input/shard.h"

/* ---- The dedup set -------------------------------------------------------------------- */

#define SET_KEY "mtasts-dedup-v1."
#define SET_MIN_SLOTS 1024

struct input_set {
    uint64_t *slots; /* 0: empty; stored hashes are never 0 */
    size_t size;     /* number of slots (any integer; fastrange maps hashes onto it) */
    size_t count;
};

static uint64_t set_hash(const char *domain)
{
    uint64_t h = shard_siphash24((const uint8_t *)SET_KEY, domain, strlen(domain));
    return h ? h : 1;
}

static size_t set_home(uint64_t h, size_t size)
{
    return (size_t)(((unsigned __int128)h * size) >> 64);
}

/* Inserts a hash known not to be present. */
static void set_place(uint64_t *slots, size_t size, uint64_t h)
{
    size_t i = set_home(h, size);
    while (slots[i] != 0)
        i = i + 1 == size ? 0 : i + 1;
    slots[i] = h;
}

static int set_resize(struct input_set *s, size_t size)
{
    uint64_t *slots = calloc(size, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < s->size; i++)
        if (s->slots[i])
            set_place(slots, size, s->slots[i]);
    free(s->slots);
    s->slots = slots;
    s->size = size;
    return 0;
}

struct input_set *input_set_new(size_t expected)
{
    struct input_set *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    size_t size = expected > SET_MIN_SLOTS * 7 / 10 ? expected / 7 * 10 + 10 : SET_MIN_SLOTS;
    if (set_resize(s, size) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

void input_set_free(struct input_set *s)
{
    if (!s)
        return;
    free(s->slots);
    free(s);
}

/* Index of h, or of the empty slot where the probe for h ends. */
static size_t set_find(const struct input_set *s, uint64_t h)
{
    size_t i = set_home(h, s->size);
    while (s->slots[i] != 0 && s->slots[i] != h)
        i = i + 1 == s->size ? 0 : i + 1;
    return i;
}

int input_set_add(struct input_set *s, const char *domain)
{
    uint64_t h = set_hash(domain);
    if (s->slots[set_find(s, h)] == h)
        return 0;
    if ((s->count + 1) * 10 > s->size * 8 && set_resize(s, s->size + s->size / 2) != 0)
        return -1;
    s->slots[set_find(s, h)] = h;
    s->count++;
    return 1;
}

bool input_set_contains(const struct input_set *s, const char *domain)
{
    uint64_t h = set_hash(domain);
    return s->slots[set_find(s, h)] == h;
}

size_t input_set_count(const struct input_set *s)
{
    return s->count;
}

size_t input_set_bytes(const struct input_set *s)
{
    return s->size * sizeof *s->slots;
}

/* ---- One file: raw bytes (zstd decompressed) to lines ---------------------------------- */

#define READ_CHUNK (1u << 16)
static const uint8_t zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};

struct source {
    const char *name;
    int fd;
    bool own_fd;
    bool zstd;
    bool sniffed;    /* the first chunk was examined for the zstd magic */
    bool raw_eof;    /* read() returned 0 */
    bool frame_open; /* zstd: inside a frame (EOF now would be truncation) */
    ZSTD_DStream *zs;
    uint8_t raw[READ_CHUNK]; /* bytes as read */
    size_t raw_len, raw_pos;
    uint8_t *plain; /* decompressed bytes (zstd only; else raw is plain) */
    size_t plain_len, plain_pos;
    long line; /* lines returned so far */
    bool seen_data;
};

static int source_error(char *err, size_t errlen, const char *name, const char *what)
{
    snprintf(err, errlen, "%s: %s", strcmp(name, "-") ? name : "stdin", what);
    return -1;
}

static int source_open(struct source *s, const char *name, char *err, size_t errlen)
{
    memset(s, 0, offsetof(struct source, raw));
    s->name = name;
    s->plain = NULL;
    s->raw_len = s->raw_pos = s->plain_len = s->plain_pos = 0;
    s->line = 0;
    s->seen_data = false;
    if (!strcmp(name, "-")) {
        s->fd = STDIN_FILENO;
        return 0;
    }
    s->fd = open(name, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0)
        return source_error(err, errlen, name, strerror(errno));
    s->own_fd = true;
    return 0;
}

static void source_close(struct source *s)
{
    if (s->own_fd && s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    s->own_fd = false;
    ZSTD_freeDStream(s->zs);
    s->zs = NULL;
    free(s->plain);
    s->plain = NULL;
}

/* Refills raw[]; returns bytes read, 0 at EOF, -1 on error. */
static ssize_t source_read_raw(struct source *s, char *err, size_t errlen)
{
    ssize_t n;
    do
        n = read(s->fd, s->raw, sizeof s->raw);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return source_error(err, errlen, s->name, strerror(errno));
    s->raw_len = (size_t)n;
    s->raw_pos = 0;
    if (n == 0)
        s->raw_eof = true;
    return n;
}

/* Makes plain bytes available at *data (length *len); returns 1, 0 at the end, -1 on error. */
static int source_fill(struct source *s, const uint8_t **data, size_t *len, char *err,
                       size_t errlen)
{
    if (!s->sniffed) {
        if (source_read_raw(s, err, errlen) < 0)
            return -1;
        s->sniffed = true;
        if (s->raw_len >= 4 && memcmp(s->raw, zstd_magic, 4) == 0) {
            s->zstd = true;
            s->zs = ZSTD_createDStream();
            s->plain = malloc(ZSTD_DStreamOutSize());
            if (!s->zs || !s->plain || ZSTD_isError(ZSTD_initDStream(s->zs)))
                return source_error(err, errlen, s->name, "out of memory for zstd");
        }
    }
    if (!s->zstd) {
        if (s->raw_pos == s->raw_len && !s->raw_eof && source_read_raw(s, err, errlen) < 0)
            return -1;
        if (s->raw_pos == s->raw_len)
            return 0;
        *data = s->raw + s->raw_pos;
        *len = s->raw_len - s->raw_pos;
        s->raw_pos = s->raw_len;
        return 1;
    }
    for (;;) {
        if (s->raw_pos == s->raw_len && !s->raw_eof && source_read_raw(s, err, errlen) < 0)
            return -1;
        if (s->raw_pos == s->raw_len) {
            if (s->frame_open)
                return source_error(err, errlen, s->name, "zstd stream truncated");
            return 0;
        }
        ZSTD_inBuffer in = {s->raw, s->raw_len, s->raw_pos};
        ZSTD_outBuffer out = {s->plain, ZSTD_DStreamOutSize(), 0};
        size_t rc = ZSTD_decompressStream(s->zs, &out, &in);
        if (ZSTD_isError(rc)) {
            char what[160];
            snprintf(what, sizeof what, "zstd: %s", ZSTD_getErrorName(rc));
            return source_error(err, errlen, s->name, what);
        }
        s->raw_pos = in.pos;
        s->frame_open = rc != 0;
        if (out.pos > 0) {
            *data = s->plain;
            *len = out.pos;
            return 1;
        }
    }
}

/* ---- The reader ------------------------------------------------------------------------ */

struct input {
    struct input_options opt;
    size_t file; /* index of the file being read */
    bool file_open;
    bool done;
    enum input_kind final; /* INPUT_END or INPUT_ERROR once done */
    bool count_only;       /* input_estimate_total: stop after the header check */
    struct source src;
    const uint8_t *chunk; /* unconsumed plain bytes of the source */
    size_t chunk_len;
    char line[INPUT_LINE_MAX + 1];
    size_t line_len;
    bool line_too_long;
    char text[INPUT_TEXT_MAX + 1];
    char domain[DOMAIN_NAME_BUFSZ];
    struct input_set *seen;
    struct input_counts counts;
    char err[512];
};

static const char *const header_names[] = {"rank",   "domain",   "domains", "name",
                                           "host",   "hostname", "site",    "url",
                                           "origin", "position", "id",      NULL};

/* The dedup set's size: the caller's hint, else a count of the lists' candidate lines (a
 * quick pass, no normalisation) divided among the shards with 5% slack for the binomial
 * spread of shard sizes. Sizing once avoids the resize peak (old and new tables at once). */
static size_t dedup_hint(const struct input_options *opt)
{
    if (opt->expected_domains)
        return opt->expected_domains;
    long long est = input_estimate_total(opt->files, opt->n_files);
    if (est <= 0)
        return 0;
    unsigned shards = opt->shard_count > 1 ? opt->shard_count : 1;
    size_t per = (size_t)est / shards;
    return per + per / 20 + 1024;
}

static struct input *input_open_sized(const struct input_options *opt, bool presize, char *err,
                                      size_t errlen);

struct input *input_open(const struct input_options *opt, char *err, size_t errlen)
{
    return input_open_sized(opt, true, err, errlen);
}

static struct input *input_open_sized(const struct input_options *opt, bool presize, char *err,
                                      size_t errlen)
{
    size_t stdin_uses = 0;
    for (size_t i = 0; i < opt->n_files; i++) {
        const char *name = opt->files[i];
        if (!strcmp(name, "-")) {
            if (++stdin_uses > 1) {
                snprintf(err, errlen, "stdin (-) given more than once");
                return NULL;
            }
            continue;
        }
        struct stat st;
        if (stat(name, &st) != 0) {
            source_error(err, errlen, name, strerror(errno));
            return NULL;
        }
        if (S_ISDIR(st.st_mode)) {
            source_error(err, errlen, name, "is a directory, not a domain list");
            return NULL;
        }
        if (access(name, R_OK) != 0) {
            source_error(err, errlen, name, strerror(errno));
            return NULL;
        }
    }
    struct input *in = calloc(1, sizeof *in);
    if (!in) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    in->opt = *opt;
    in->src.fd = -1;
    in->seen = input_set_new(presize ? dedup_hint(opt) : opt->expected_domains);
    if (!in->seen) {
        free(in);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return in;
}

void input_close(struct input *in)
{
    if (!in)
        return;
    if (in->file_open)
        source_close(&in->src);
    input_set_free(in->seen);
    free(in);
}

const struct input_counts *input_get_counts(const struct input *in)
{
    return &in->counts;
}

const char *input_error(const struct input *in)
{
    return in->err;
}

size_t input_dedup_bytes(const struct input *in)
{
    return input_set_bytes(in->seen);
}

/* Reads the next raw line of the current file into in->line (truncated at INPUT_LINE_MAX,
 * in->line_too_long set). Returns 1, 0 at the end of the file, -1 on error. */
static int read_line(struct input *in)
{
    in->line_len = 0;
    in->line_too_long = false;
    bool any = false;
    for (;;) {
        if (in->chunk_len == 0) {
            int rc = source_fill(&in->src, &in->chunk, &in->chunk_len, in->err, sizeof in->err);
            if (rc < 0)
                return -1;
            if (rc == 0)
                return any ? 1 : 0;
        }
        any = true;
        const uint8_t *nl = memchr(in->chunk, '\n', in->chunk_len);
        size_t take = nl ? (size_t)(nl - in->chunk) : in->chunk_len;
        size_t room = INPUT_LINE_MAX - in->line_len;
        if (take > room) {
            in->line_too_long = true;
            memcpy(in->line + in->line_len, in->chunk, room);
            in->line_len += room;
        } else {
            memcpy(in->line + in->line_len, in->chunk, take);
            in->line_len += take;
        }
        size_t used = nl ? take + 1 : take;
        in->chunk += used;
        in->chunk_len -= used;
        if (nl)
            return 1;
    }
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* One CSV field of [p, end): trimmed, double quotes stripped. */
static void field_bounds(const char **p, const char **end)
{
    while (*p < *end && is_blank(**p))
        (*p)++;
    while (*end > *p && is_blank((*end)[-1]))
        (*end)--;
    if (*end - *p >= 2 && **p == '"' && (*end)[-1] == '"') {
        (*p)++;
        (*end)--;
    }
}

static bool all_digits(const char *p, const char *end)
{
    if (p == end || end - p > 18)
        return false;
    for (; p < end; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

static bool is_header(const char *p, const char *end)
{
    if (memchr(p, '.', (size_t)(end - p)))
        return false;
    while (p <= end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *fe = comma ? comma : end;
        const char *fp = p;
        field_bounds(&fp, &fe);
        for (size_t i = 0; header_names[i]; i++)
            if ((size_t)(fe - fp) == strlen(header_names[i]) &&
                strncasecmp(fp, header_names[i], (size_t)(fe - fp)) == 0)
                return true;
        if (!comma)
            break;
        p = comma + 1;
    }
    return false;
}

static void set_text(struct input *in)
{
    size_t n = in->line_len < INPUT_TEXT_MAX ? in->line_len : INPUT_TEXT_MAX;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in->line[i];
        in->text[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    in->text[n] = '\0';
}

static enum input_kind bad_line(struct input *in, struct input_entry *e, const char *reason)
{
    in->counts.invalid++;
    set_text(in);
    e->kind = INPUT_BAD_LINE;
    e->text = in->text;
    e->reason = reason;
    return INPUT_BAD_LINE;
}

enum input_line_kind input_split_line(const char *line, size_t len, bool first_data_line,
                                      struct input_line_fields *out)
{
    out->domain = NULL;
    out->domain_len = 0;
    out->rank = -1;
    out->reason = NULL;
    if (len > 0 && line[len - 1] == '\r')
        len--;
    const char *p = line, *end = line + len;
    if (memchr(p, '\0', len)) {
        out->reason = "NUL byte in line";
        return INPUT_LINE_BAD;
    }
    while (p < end && is_blank(*p))
        p++;
    if (p == end || *p == '#')
        return INPUT_LINE_SKIP;
    for (const char *q = p + 1; q < end; q++)
        if (*q == '#' && is_blank(q[-1])) {
            end = q;
            break;
        }
    while (end > p && is_blank(end[-1]))
        end--;
    if (first_data_line && is_header(p, end))
        return INPUT_LINE_HEADER;
    const char *comma = memchr(p, ',', (size_t)(end - p));
    if (!comma) {
        out->domain = p;
        out->domain_len = (size_t)(end - p);
        return INPUT_LINE_DOMAIN;
    }
    const char *f1 = p, *f1e = comma;
    field_bounds(&f1, &f1e);
    if (!all_digits(f1, f1e)) {
        out->domain = f1;
        out->domain_len = (size_t)(f1e - f1);
        return INPUT_LINE_DOMAIN;
    }
    out->rank = strtol(f1, NULL, 10);
    const char *f2 = comma + 1;
    const char *c2 = memchr(f2, ',', (size_t)(end - f2));
    const char *f2e = c2 ? c2 : end;
    field_bounds(&f2, &f2e);
    if (f2 == f2e) {
        out->reason = "rank without a domain in the second column";
        return INPUT_LINE_BAD;
    }
    out->domain = f2;
    out->domain_len = (size_t)(f2e - f2);
    return INPUT_LINE_DOMAIN;
}

/* Applies shard, exclude, dedup and skip to a normalised domain: true when it is returned. */
static bool passes_filters(struct input *in, enum input_kind *fail)
{
    const struct input_options *o = &in->opt;
    *fail = INPUT_END;
    if (o->shard_count > 1 && shard_of(in->domain, o->shard_count) != o->shard_index) {
        in->counts.other_shard++;
        return false;
    }
    if (o->exclude && exclude_match(o->exclude, in->domain)) {
        in->counts.excluded++;
        return false;
    }
    int added = input_set_add(in->seen, in->domain);
    if (added < 0) {
        snprintf(in->err, sizeof in->err, "out of memory for the duplicate set (%zu domains)",
                 input_set_count(in->seen));
        *fail = INPUT_ERROR;
        return false;
    }
    if (added == 0) {
        in->counts.duplicates++;
        return false;
    }
    if (o->skip && o->skip(o->skip_arg, in->domain)) {
        in->counts.skipped++;
        return false;
    }
    return true;
}

static enum input_kind finish(struct input *in, struct input_entry *e, enum input_kind k)
{
    if (in->file_open)
        source_close(&in->src);
    in->file_open = false;
    in->done = true;
    in->final = k;
    e->kind = k;
    return k;
}

/* Opens the next file; false when there is none or on error (in->final set). */
static bool next_file(struct input *in, struct input_entry *e)
{
    if (in->file_open) {
        source_close(&in->src);
        in->file_open = false;
        in->file++;
    }
    if (in->file >= in->opt.n_files) {
        finish(in, e, INPUT_END);
        return false;
    }
    if (source_open(&in->src, in->opt.files[in->file], in->err, sizeof in->err) < 0) {
        finish(in, e, INPUT_ERROR);
        return false;
    }
    in->file_open = true;
    in->chunk_len = 0;
    return true;
}

enum input_kind input_next(struct input *in, struct input_entry *e)
{
    memset(e, 0, sizeof *e);
    e->rank = -1;
    if (in->done) {
        e->kind = in->final;
        return in->final;
    }
    for (;;) {
        if (!in->file_open && !next_file(in, e))
            return e->kind;
        int rc = read_line(in);
        if (rc < 0)
            return finish(in, e, INPUT_ERROR);
        if (rc == 0) {
            if (!next_file(in, e))
                return e->kind;
            continue;
        }
        in->src.line++;
        in->counts.lines++;
        e->file = in->src.name;
        e->line = in->src.line;
        if (in->line_too_long)
            return bad_line(in, e, "line longer than 4096 bytes");
        struct input_line_fields f;
        enum input_line_kind k = input_split_line(in->line, in->line_len, !in->src.seen_data, &f);
        if (k == INPUT_LINE_SKIP)
            continue;
        in->src.seen_data = true;
        if (k == INPUT_LINE_HEADER) {
            in->counts.headers++;
            continue;
        }
        if (k == INPUT_LINE_BAD)
            return bad_line(in, e, f.reason);
        if (in->count_only) {
            in->counts.domains++;
            continue;
        }
        const char *reason;
        if (domain_normalize(f.domain, f.domain_len, in->domain, sizeof in->domain, &reason))
            return bad_line(in, e, reason);
        enum input_kind fail;
        if (!passes_filters(in, &fail)) {
            if (fail == INPUT_ERROR)
                return finish(in, e, INPUT_ERROR);
            continue;
        }
        in->counts.domains++;
        e->kind = INPUT_DOMAIN;
        e->domain = in->domain;
        e->rank = f.rank;
        return INPUT_DOMAIN;
    }
}

bool input_rereadable(const char *path)
{
    struct stat st;
    return path && strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

long long input_estimate_total(const char *const *files, size_t n_files)
{
    for (size_t i = 0; i < n_files; i++)
        if (!input_rereadable(files[i]))
            return -1;
    struct input_options opt = {.files = files, .n_files = n_files};
    char err[256];
    struct input *in = input_open_sized(&opt, false, err, sizeof err);
    if (!in)
        return -1;
    in->count_only = true;
    struct input_entry e;
    enum input_kind k;
    long long bad = 0;
    while ((k = input_next(in, &e)) != INPUT_END && k != INPUT_ERROR)
        bad++;
    long long total = k == INPUT_ERROR ? -1 : (long long)in->counts.domains + bad;
    input_close(in);
    return total;
}

long long input_count_selected(const struct input_options *opt)
{
    for (size_t i = 0; i < opt->n_files; i++)
        if (!input_rereadable(opt->files[i]))
            return -1;
    char err[256];
    struct input *in = input_open(opt, err, sizeof err);
    if (!in)
        return -1;
    struct input_entry e;
    enum input_kind k;
    while ((k = input_next(in, &e)) == INPUT_DOMAIN || k == INPUT_BAD_LINE)
        ;
    long long n = k == INPUT_END ? (long long)in->counts.domains : -1;
    input_close(in);
    return n;
}

int input_sha256_file(const char *path, char hex[65], char *err, size_t errlen)
{
    hex[0] = '\0';
    if (!strcmp(path, "-")) {
        snprintf(err, errlen, "stdin has no hash");
        return -1;
    }
    if (!input_rereadable(path)) /* a pipe: hashing it would consume the scan's input */
        return source_error(err, errlen, path, "not a regular file: no hash");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return source_error(err, errlen, path, strerror(errno));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        close(fd);
        return source_error(err, errlen, path, "cannot initialise SHA-256");
    }
    static __thread uint8_t buf[READ_CHUNK];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || EVP_DigestUpdate(ctx, buf, (size_t)n) != 1) {
            int saved = errno;
            EVP_MD_CTX_free(ctx);
            close(fd);
            return source_error(err, errlen, path, n < 0 ? strerror(saved) : "SHA-256 failed");
        }
    }
    close(fd);
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    int ok = EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    if (ok != 1 || mdlen != 32)
        return source_error(err, errlen, path, "SHA-256 failed");
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return 0;
}
