/* Replays every file of tests/fuzz/corpus/<name>/ through the fuzz harnesses' own code, so the
 * seeds and every saved crash stay covered in the normal and sanitizer builds. */
#include <dirent.h>
#include <unistd.h>

#define FUZZ_NO_MAIN
#include "tests/fuzz/fuzz_classify.c"
#include "tests/fuzz/fuzz_imap_fetch.c"
#include "tests/fuzz/fuzz_policy.c"
#include "tests/fuzz/fuzz_smtp_reply.c"
#include "tests/fuzz/fuzz_tlsa.c"
#include "tests/fuzz/fuzz_tlsrpt.c"
#include "tests/fuzz/fuzz_txt.c"
#include "tests/unit/tap.h"

#define CORPUS_ROOT "tests/fuzz/corpus"
#define CORPUS_MAX_BYTES (1 << 20)

struct target {
    const char *name;
    int (*one)(const uint8_t *, size_t);
};

static const struct target targets[] = {
    {"txt", fuzz_txt_one},
    {"policy", fuzz_policy_one},
    {"tlsrpt", fuzz_tlsrpt_one},
    {"classify", fuzz_classify_one},
    {"smtp_reply", fuzz_smtp_reply_one},
    {"tlsa", fuzz_tlsa_one},
    {"imap_fetch", fuzz_imap_fetch_one},
};

/* Runs one file; a broken invariant aborts the suite, which tests/run counts as a failure. */
static bool replay_file(const struct target *t, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    uint8_t *buf = malloc(CORPUS_MAX_BYTES);
    size_t n = buf ? fread(buf, 1, CORPUS_MAX_BYTES, f) : 0;
    fclose(f);
    if (!buf)
        return false;
    /* An exact-size copy, so ASan sees any read past the input. */
    uint8_t *exact = malloc(n ? n : 1);
    if (exact) {
        memcpy(exact, buf, n);
        t->one(exact, n);
    }
    free(exact);
    free(buf);
    return exact != NULL;
}

static void replay_target(const struct target *t)
{
    char dir[256], name[400];
    snprintf(dir, sizeof dir, "%s/%s", CORPUS_ROOT, t->name);
    DIR *dp = opendir(dir);
    size_t files = 0, failed = 0;
    if (dp) {
        struct dirent *e;
        while ((e = readdir(dp)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char path[600];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            files++;
            if (!replay_file(t, path))
                failed++;
        }
        closedir(dp);
    }
    snprintf(name, sizeof name, "corpus: %s replays through fuzz_%s", dir, t->name);
    TAP_CHECK(files > 0 && failed == 0, name, "%zu files, %zu unreadable", files, failed);
    printf("# %s: %zu files\n", dir, files);
}

/* Every vector of a kind is a seed of that fuzzer (tests/fuzz/seed-corpus puts it there under
 * the vector's file name): a new vector without its seed fails here. */
static void check_vectors_seeded(const char *kind)
{
    char vdir[256], path[700], name[300], missing[300] = "";
    snprintf(vdir, sizeof vdir, "tests/vectors/%s", kind);
    DIR *dp = opendir(vdir);
    size_t n = 0, absent = 0;
    struct dirent *e;
    while (dp && (e = readdir(dp)) != NULL) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || l < 5 || strcmp(e->d_name + l - 4, ".txt") != 0)
            continue;
        n++;
        snprintf(path, sizeof path, "%s/%s/%s", CORPUS_ROOT, kind, e->d_name);
        if (access(path, R_OK) != 0 && absent++ == 0)
            snprintf(missing, sizeof missing, "%s", e->d_name);
    }
    if (dp)
        closedir(dp);
    snprintf(name, sizeof name, "corpus: every %s vector is a seed of fuzz_%s", kind, kind);
    TAP_CHECK(n > 0 && absent == 0, name,
              "%zu of %zu missing (first: %s): run tests/fuzz/seed-corpus", absent, n, missing);
}

static const char *const seeded_kinds[] = {"policy", "txt", "tlsrpt"};

int main(void)
{
    TAP_PLAN(sizeof targets / sizeof targets[0] + sizeof seeded_kinds / sizeof seeded_kinds[0]);
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
        replay_target(&targets[i]);
    for (size_t i = 0; i < sizeof seeded_kinds / sizeof seeded_kinds[0]; i++)
        check_vectors_seeded(seeded_kinds[i]);
    TAP_DONE();
}
