/* Deterministic sharding of domains: SipHash-2-4 with a fixed key, the same on every machine. */
#ifndef SHARD_H
#define SHARD_H

#include <stddef.h>
#include <stdint.h>

/* The shard key: the 16 ASCII bytes "mtasts-shard-v1." (0x6d 0x74 ... 0x2e). Changing it
 * reshuffles every sharded scan: never do it, add a new version instead. */
#define SHARD_KEY "mtasts-shard-v1."

/* SipHash-2-4 (Aumasson & Bernstein, the reference algorithm, 64-bit output, read as a
 * little-endian integer) of `len` bytes with a 16-byte key. Pure. */
uint64_t shard_siphash24(const uint8_t key[16], const void *data, size_t len);

/* SipHash-2-4 of the normalised domain's bytes (no trailing NUL) under SHARD_KEY. */
uint64_t shard_hash(const char *domain);

/* The shard of a normalised domain among n: shard_hash(domain) % n, in [0, n).
 * n of 0 or 1 returns 0. Reproducible elsewhere, e.g. in Python:
 *   int.from_bytes(siphash24(b"mtasts-shard-v1.", name.encode()), "little") % n */
unsigned shard_of(const char *domain, unsigned n);

/* Parses `--shard I/N`: I is 0-based (0 <= I < N, as Kubernetes' JOB_COMPLETION_INDEX and
 * Slurm arrays starting at 0), 1 <= N <= 1000000, decimal digits only. Returns 0, or -1
 * with *reason set to a static message. */
int shard_parse(const char *spec, unsigned *index, unsigned *count, const char **reason);

#endif
