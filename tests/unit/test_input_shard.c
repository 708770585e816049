/* Unit tests of sharding: SipHash-2-4 reference vectors, fixed shards, balance, --shard parsing. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanner/input/shard.h"
#include "tests/unit/tap.h"

/* The reference implementation's vectors (key 00..0f, message 00..len-1). */
static const uint64_t siphash_vectors[16] = {
    0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL, 0x85676696d7fb7e2dULL,
    0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL, 0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL,
    0x93f5f5799a932462ULL, 0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
    0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL, 0xa129ca6149be45e5ULL,
};

static void test_vectors(void)
{
    uint8_t key[16], msg[16];
    for (int i = 0; i < 16; i++)
        key[i] = msg[i] = (uint8_t)i;
    for (size_t len = 0; len < 16; len++) {
        char name[64];
        snprintf(name, sizeof name, "siphash-2-4 reference vector, %zu bytes", len);
        uint64_t got = shard_siphash24(key, msg, len);
        TAP_CHECK(got == siphash_vectors[len], name, "got %016llx", (unsigned long long)got);
    }
}

/* Fixed values: if these change, every sharded scan ever run is reshuffled. */
static void test_stability(void)
{
    struct {
        const char *d;
        uint64_t hash;
        unsigned of4, of1000;
    } cases[] = {
        {"example.com", 0x1efdedb7cbe92c26ULL, 2, 166},
        {"google.com", 0xda2049959825525eULL, 2, 542},
        {"xn--bcher-kva.de", 0x63b89245e45bcddbULL, 3, 811},
        {"a.b", 0x0b1015694c533d4bULL, 3, 763},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[96];
        snprintf(name, sizeof name, "stable shard of %s", cases[i].d);
        TAP_CHECK(shard_hash(cases[i].d) == cases[i].hash &&
                      shard_of(cases[i].d, 4) == cases[i].of4 &&
                      shard_of(cases[i].d, 1000) == cases[i].of1000,
                  name, "hash %016llx of4 %u of1000 %u", (unsigned long long)shard_hash(cases[i].d),
                  shard_of(cases[i].d, 4), shard_of(cases[i].d, 1000));
    }
    TAP_CHECK(shard_of("example.com", 1) == 0 && shard_of("example.com", 0) == 0,
              "one shard takes all", "wrong");
}

/* Chi-square of 100,000 names (shaped like a top list) over n shards, against the 0.999
 * quantile for n-1 degrees of freedom (approximated by Wilson-Hilferty): a fair hash fails
 * this one time in a thousand; the names are fixed, so the result is deterministic. */
static void test_balance(unsigned n)
{
    enum { NAMES = 100000 };
    unsigned long *counts = calloc(n, sizeof *counts);
    char d[64];
    for (int i = 0; i < NAMES; i++) {
        snprintf(d, sizeof d, "site%d.%s", i, i % 3 == 0 ? "com" : i % 3 == 1 ? "net" : "co.uk");
        counts[shard_of(d, n)]++;
    }
    double expect = (double)NAMES / n, chi = 0;
    for (unsigned s = 0; s < n; s++)
        chi += ((double)counts[s] - expect) * ((double)counts[s] - expect) / expect;
    double k = n - 1, z = 3.09; /* 0.999 */
    double t = 1 - 2 / (9 * k) + z * __builtin_sqrt(2 / (9 * k));
    double limit = k * t * t * t;
    char name[96];
    snprintf(name, sizeof name, "balanced over %u shards (chi2 %.1f < %.1f)", n, chi, limit);
    TAP_CHECK(chi < limit, name, "chi2 %.1f limit %.1f", chi, limit);
    free(counts);
}

/* An independent implementation (the one docs/input.md gives users), run by python3 over
 * 2,000 names and compared with shard_hash() and shard_of(). */
static const char python_reference[] =
    "def siphash24(key: bytes, data: bytes) -> int:\n"
    "    M = (1 << 64) - 1\n"
    "    rotl = lambda x, b: ((x << b) | (x >> (64 - b))) & M\n"
    "    k0, k1 = int.from_bytes(key[:8], \"little\"), int.from_bytes(key[8:], \"little\")\n"
    "    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D, k0 ^ 0x6C7967656E657261, k1 ^ "
    "0x7465646279746573]\n"
    "    def rnd():\n"
    "        v[0] = (v[0] + v[1]) & M; v[1] = rotl(v[1], 13) ^ v[0]; v[0] = rotl(v[0], 32)\n"
    "        v[2] = (v[2] + v[3]) & M; v[3] = rotl(v[3], 16) ^ v[2]\n"
    "        v[0] = (v[0] + v[3]) & M; v[3] = rotl(v[3], 21) ^ v[0]\n"
    "        v[2] = (v[2] + v[1]) & M; v[1] = rotl(v[1], 17) ^ v[2]; v[2] = rotl(v[2], 32)\n"
    "    tail = len(data) % 8\n"
    "    blocks = [int.from_bytes(data[i:i + 8], \"little\") for i in range(0, len(data) - tail, "
    "8)]\n"
    "    blocks.append(int.from_bytes(data[len(data) - tail:], \"little\") | ((len(data) & 0xFF) "
    "<< 56))\n"
    "    for m in blocks:\n"
    "        v[3] ^= m; rnd(); rnd(); v[0] ^= m\n"
    "    v[2] ^= 0xFF\n"
    "    for _ in range(4):\n"
    "        rnd()\n"
    "    return v[0] ^ v[1] ^ v[2] ^ v[3]\n"
    "\n"
    "def shard_of(domain: str, n: int) -> int:\n"
    "    return siphash24(b\"mtasts-shard-v1.\", domain.encode()) % n if n > 1 else 0\n"
    "import sys\n"
    "for line in sys.stdin:\n"
    "    d = line.strip()\n"
    "    print(d, format(siphash24(b'mtasts-shard-v1.', d.encode()), '016x'), shard_of(d, 7))\n";

static void test_python_reference(void)
{
    char dir[] = "/tmp/mtasts-shard-XXXXXX";
    if (!mkdtemp(dir)) {
        TAP_CHECK(0, "python reference: temp dir", "mkdtemp failed");
        return;
    }
    char py[96], names[96], out[96], cmd[400];
    snprintf(py, sizeof py, "%s/ref.py", dir);
    snprintf(names, sizeof names, "%s/names.txt", dir);
    snprintf(out, sizeof out, "%s/out.txt", dir);
    FILE *f = fopen(py, "w");
    fputs(python_reference, f);
    fclose(f);
    f = fopen(names, "w");
    for (int i = 0; i < 2000; i++)
        fprintf(f, "%s%d.example%s\n", i % 2 ? "mail-" : "x", i, i % 3 ? ".com" : "");
    fclose(f);
    snprintf(cmd, sizeof cmd, "python3 %s < %s > %s", py, names, out);
    int rc = system(cmd);
    f = fopen(out, "r");
    char d[128], hex[32];
    unsigned s7;
    int n = 0, bad = 0;
    while (f && fscanf(f, "%127s %31s %u", d, hex, &s7) == 3) {
        n++;
        char mine[32];
        snprintf(mine, sizeof mine, "%016llx", (unsigned long long)shard_hash(d));
        if (strcmp(mine, hex) != 0 || shard_of(d, 7) != s7)
            bad++;
    }
    if (f)
        fclose(f);
    TAP_CHECK(rc == 0 && n == 2000 && bad == 0, "python reference agrees on 2000 names",
              "rc %d n %d bad %d", rc, n, bad);
    unlink(py);
    unlink(names);
    unlink(out);
    rmdir(dir);
}

static void test_parse(void)
{
    unsigned i = 99, n = 99;
    const char *reason = NULL;
    TAP_CHECK(shard_parse("0/4", &i, &n, &reason) == 0 && i == 0 && n == 4, "parse 0/4", "wrong");
    TAP_CHECK(shard_parse("3/4", &i, &n, &reason) == 0 && i == 3 && n == 4, "parse 3/4", "wrong");
    TAP_CHECK(shard_parse("0/1", &i, &n, &reason) == 0 && i == 0 && n == 1, "parse 0/1", "wrong");
    const char *bad[] = {"4/4",  "1/0",  "-1/4", "1/", "/4",        "a/4",
                         "1/4x", "1 /4", "",     "1",  "0/1000001", "99999999/100000000"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char name[64];
        reason = NULL;
        snprintf(name, sizeof name, "refuse --shard '%s'", bad[k]);
        TAP_CHECK(shard_parse(bad[k], &i, &n, &reason) == -1 && reason, name, "accepted");
    }
    TAP_CHECK(shard_parse(NULL, &i, &n, &reason) == -1, "refuse NULL", "accepted");
    TAP_CHECK(shard_parse("3/3", &i, &n, &reason) == -1 && reason &&
                  strstr(reason, "(0/3 .. 2/3)") && !strstr(reason, "/4"),
              "3/3 is refused with the hint for N = 3", "got %s", reason ? reason : "");
}

int main(void)
{
    TAP_PLAN(43);
    test_vectors();
    test_stability();
    test_balance(2);
    test_balance(7);
    test_balance(16);
    test_balance(100);
    test_parse();
    test_python_reference();
    TAP_DONE();
}
