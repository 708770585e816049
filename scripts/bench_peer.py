#!/usr/bin/python3
"""The bench's peer: postfix-mta-sts-resolver's STSResolver over a domain list, N in flight.

  bench_peer.py LIST [--inflight 500] [--timeout 5] [--ca-file CA]

Run inside the world's namespace (`world exec`): the peer's DNS (aiodns/c-ares) reads
/etc/resolv.conf, which `world up` points at the world's unbound, and aiohttp resolves the
policy host through getaddrinfo, the same resolver. The world's CA is trusted through
SSL_CERT_FILE (aiohttp builds its context with ssl.create_default_context(), whose default
paths honour it): set here from --ca-file before anything imports ssl contexts.

What the peer does per domain is what a sending MTA's policy lookup does, the same work as
`mtasts scan --checks policy`: TXT _mta-sts.D, and when it holds a v=STSv1 record, A/AAAA of
mta-sts.D and the HTTPS fetch of the policy, then parses it. It is used as its daemon uses
it (one STSResolver, its own aiohttp session per fetch, uvloop when installed, as
`mta-sts-daemon` does).

Prints key=value lines: peer_domains, peer_seconds, peer_domains_per_s, peer_valid,
peer_none, peer_fetch_error, peer_not_changed, peer_exceptions.
"""

import argparse
import asyncio
import os
import sys
import time


def read_list(path):
    out, seen = [], set()
    for line in open(path, errors="replace"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        d = line.split(",")[-1].strip().lower().rstrip(".")
        if d and d not in seen and d != "domain":
            seen.add(d)
            out.append(d)
    return out


async def run(domains, inflight, timeout):
    from postfix_mta_sts_resolver.resolver import STSResolver

    loop = asyncio.get_running_loop()
    res = STSResolver(loop=loop, timeout=timeout)
    counts = {}
    it = iter(domains)

    async def worker():
        for d in it:
            try:
                status, _ = await res.resolve(d)
                key = status.name.lower()
            except Exception:  # the peer's own bug or an unexpected error: counted, not fatal
                key = "exceptions"
            counts[key] = counts.get(key, 0) + 1

    t0 = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(min(inflight, len(domains)) or 1)))
    return time.monotonic() - t0, counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("list")
    ap.add_argument("--inflight", type=int, default=500)
    ap.add_argument("--timeout", type=float, default=5)
    ap.add_argument("--ca-file")
    a = ap.parse_args()
    if a.ca_file:
        os.environ["SSL_CERT_FILE"] = a.ca_file
    try:
        import uvloop  # what mta-sts-daemon uses when present

        uvloop.install()
        loopname = "uvloop"
    except ImportError:
        loopname = "asyncio"
    domains = read_list(a.list)
    secs, counts = asyncio.run(run(domains, a.inflight, a.timeout))
    print("peer_loop=%s" % loopname)
    print("peer_domains=%d" % len(domains))
    print("peer_seconds=%.3f" % secs)
    print("peer_domains_per_s=%.1f" % (len(domains) / secs if secs > 0 else 0))
    for k in ("valid", "none", "fetch_error", "not_changed", "exceptions"):
        print("peer_%s=%d" % (k, counts.get(k, 0)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
