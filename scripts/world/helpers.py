#!/usr/bin/python3
"""Hostile helper servers for the test world (run inside its network namespace).

  helpers.py dns-blackhole --addr 127.0.0.3      UDP+TCP :53, reads queries, never answers
  helpers.py dns-refused   --addr 127.0.0.4      UDP+TCP :53, answers REFUSED (a lame server)
  helpers.py syn-blackhole --addr 127.0.2.2      TCP :443 with a full accept queue: SYNs dropped
  helpers.py slow-drip     --addr 127.0.2.3 --cert C --key K --body F
                                                 TLS :443, HTTP 200 headers at once, then the
                                                 body one byte every 3 s; closes after 45 s
  helpers.py smtp-silent   --addr 127.0.4.19      TCP :25, accepts and reads, never sends a byte
                                                 (no greeting); closes each connection after
                                                 --hold seconds (default 300)

Each writes its PID to --pidfile once it listens, and exits after --lifetime seconds
(default: 1 day) so nothing can outlive a forgotten world for long. All load is bounded:
at most --max-conns concurrent connections, extra ones are closed at once.
"""

import argparse
import asyncio
import os
import signal
import socket
import ssl
import struct
import sys
import time


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def write_pid(path):
    if path:
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % os.getpid())
        os.replace(tmp, path)


def refused_reply(q):
    if len(q) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", q[:6])
    # QR=1, opcode copied, RD copied, RA=0, RCODE=5 (REFUSED); echo the question section
    opcode_rd = flags & 0x7900
    hdr = struct.pack("!HHHHHH", qid, 0x8000 | opcode_rd | 5, min(qd, 1), 0, 0, 0)
    # find the end of the first question
    i = 12
    try:
        while q[i] != 0:
            i += 1 + q[i]
        i += 5
    except IndexError:
        return hdr[:4] + b"\x00\x00" + hdr[6:]
    return hdr + q[12:i]


class UDP(asyncio.DatagramProtocol):
    def __init__(self, answer):
        self.answer = answer

    def connection_made(self, t):
        self.t = t

    def datagram_received(self, data, addr):
        if self.answer:
            r = refused_reply(data)
            if r:
                self.t.sendto(r, addr)


async def dns_server(a, answer):
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(lambda: UDP(answer), local_addr=(a.addr, 53))
    sem = asyncio.Semaphore(a.max_conns)

    async def tcp(reader, writer):
        if sem.locked():
            writer.close()
            return
        async with sem:
            try:
                while True:
                    ln = await asyncio.wait_for(reader.readexactly(2), 60)
                    q = await asyncio.wait_for(reader.readexactly(struct.unpack("!H", ln)[0]), 60)
                    if answer:
                        r = refused_reply(q)
                        writer.write(struct.pack("!H", len(r)) + r)
                        await writer.drain()
            except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError):
                pass
            writer.close()

    await asyncio.start_server(tcp, a.addr, 53)
    write_pid(a.pidfile)
    log("%s listening on %s:53" % (a.mode, a.addr))
    await asyncio.sleep(a.lifetime)


def syn_blackhole(a):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.addr, 443))
    s.listen(0)
    fill = []
    # fill the accept queue ourselves; never accept: further SYNs are dropped by the kernel
    for _ in range(3):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect((a.addr, 443))
        except BlockingIOError:
            pass
        fill.append(c)
    time.sleep(0.2)
    # prove it: a new connect must not complete
    probe = socket.socket()
    probe.settimeout(1.0)
    try:
        probe.connect((a.addr, 443))
        sys.exit("syn-blackhole: a probe connection was accepted; the trick does not work here")
    except socket.timeout:
        pass
    finally:
        probe.close()
    write_pid(a.pidfile)
    log("syn-blackhole listening (queue full) on %s:443" % a.addr)
    time.sleep(a.lifetime)


async def slow_drip(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    body = open(a.body, "rb").read()
    sem = asyncio.Semaphore(a.max_conns)

    async def handle(reader, writer):
        if sem.locked():
            writer.close()
            return
        async with sem:
            start = time.monotonic()
            try:
                await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                             b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body))
                await writer.drain()
                for i in range(len(body)):
                    if time.monotonic() - start > a.drip_total:
                        break
                    await asyncio.sleep(a.drip_interval)
                    writer.write(body[i:i + 1])
                    await writer.drain()
            except (asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    ConnectionError, ssl.SSLError, OSError):
                pass
            try:
                writer.close()
            except Exception:
                pass

    await asyncio.start_server(handle, a.addr, 443, ssl=ctx, ssl_handshake_timeout=10)
    write_pid(a.pidfile)
    log("slow-drip listening on %s:443 (1 byte / %.1f s, at most %d s)"
        % (a.addr, a.drip_interval, a.drip_total))
    await asyncio.sleep(a.lifetime)


async def smtp_silent(a):
    sem = asyncio.Semaphore(a.max_conns)

    async def handle(reader, writer):
        if sem.locked():
            writer.close()
            return
        async with sem:
            deadline = time.monotonic() + a.hold
            try:
                while time.monotonic() < deadline:
                    data = await asyncio.wait_for(reader.read(4096),
                                                  max(0.1, deadline - time.monotonic()))
                    if not data:
                        break
            except (asyncio.TimeoutError, ConnectionError, OSError):
                pass
            try:
                writer.close()
            except Exception:
                pass

    await asyncio.start_server(handle, a.addr, 25, backlog=512)
    write_pid(a.pidfile)
    log("smtp-silent listening on %s:25 (never speaks; holds connections %d s)" % (a.addr, a.hold))
    await asyncio.sleep(a.lifetime)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=["dns-blackhole", "dns-refused", "syn-blackhole", "slow-drip",
                                     "smtp-silent"])
    ap.add_argument("--addr", required=True)
    ap.add_argument("--pidfile")
    ap.add_argument("--lifetime", type=float, default=86400)
    ap.add_argument("--max-conns", type=int, default=2000)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--body")
    ap.add_argument("--drip-interval", type=float, default=3.0)
    ap.add_argument("--drip-total", type=float, default=45.0)
    ap.add_argument("--hold", type=float, default=300.0)
    a = ap.parse_args()
    try:
        loopback = socket.inet_aton(a.addr)[0] == 127 and a.addr.count(".") == 3
    except OSError:
        loopback = False
    if not loopback:
        sys.exit("helpers: refusing to listen on %s (the world uses 127.0.0.0/8 only)" % a.addr)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        if a.mode == "syn-blackhole":
            syn_blackhole(a)
        elif a.mode == "slow-drip":
            asyncio.run(slow_drip(a))
        elif a.mode == "smtp-silent":
            asyncio.run(smtp_silent(a))
        else:
            asyncio.run(dns_server(a, a.mode == "dns-refused"))
    finally:
        if a.pidfile:
            try:
                if open(a.pidfile).read().strip() == str(os.getpid()):
                    os.unlink(a.pidfile)
            except OSError:
                pass


if __name__ == "__main__":
    main()
