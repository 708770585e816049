#!/usr/bin/python3
"""Delay proxy for the test world's latency mode: UDP and TCP, a one-way delay both ways.

  latency_proxy.py --delay MS [--jitter MS] --map-file F [--pidfile P] [--lifetime S]
  latency_proxy.py --prepare DIR --nginx-mode static|var
      writes DIR/latency/: the servers' configurations with every listening address moved from
      127.0.X.Y to 127.100.X.Y (nsd.conf, nginx-MODE.conf, postfix/main.cf + master.cf) and
      map.txt, the proxy's map (one line per published address where something listens)

Each line of the map file is `udp|tcp LISTEN_ADDR:PORT BACKEND_ADDR:PORT`: the proxy listens
on the published address and forwards to the server moved to the backend address (the world
moves its servers from 127.0.X.Y to 127.100.X.Y in latency mode; see README "Latency mode").
This kernel has no netem qdisc, so the delay is made here, in user space.

Delay of one packet or chunk, one way: DELAY + uniform(0, JITTER) milliseconds (never less
than DELAY), so a round trip through the proxy takes at least 2 x DELAY.
- UDP (DNS only: the query ID is rewritten): each query waits its delay before it goes to
  the backend, each answer its own before it goes back. Packets may be reordered by the
  jitter, as on a real network. The ID map holds a query for 30 s (after that its answer is
  dropped, as a real path would lose a late answer's state); one backend socket per 60,000
  queries outstanding.
- TCP: the connection is accepted at once (no user-space way to delay a SYN-ACK), the
  backend connection is opened one delay later, and the client's bytes are delivered no
  earlier than accept + 3 x DELAY: a request sent right after connect() reaches the
  server when it would after a real three-way handshake, and a server that speaks first
  (SMTP) is heard one round trip after connect, as in reality. Order is kept in each
  direction (deadlines are made non-decreasing); an EOF is forwarded with the same delay.
  A backend that refuses the connection makes the proxy reset the client's (a client sees
  a reset after connect, not a refused connect: addresses where nothing listens and the
  SYN-dropping helper are not proxied).
Bounded: at most --max-conns TCP connections at once (extra ones are closed at once). Exits
after --lifetime seconds (default 1 day), like the other helpers.
"""

import argparse
import asyncio
import collections
import os
import random
import signal
import socket
import struct
import sys
import time

TICK = 0.0005  # the scheduler's resolution (s)


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


class Wheel:
    """Releases callbacks at their due times: a timing wheel of TICK slots, so a packet costs a
    list append, not an event-loop timer of its own."""

    def __init__(self, loop):
        self.loop = loop
        self.slots = {}
        self.next = 0  # the first slot not yet released
        self.handle = None
        self.handle_k = None

    def at(self, due, fn, *args):
        k = max(int(due / TICK) + 1, self.next)
        self.slots.setdefault(k, []).append((fn, args))
        if self.handle is None or k < self.handle_k:
            if self.handle is not None:
                self.handle.cancel()
            self.handle_k = k
            self.handle = self.loop.call_at(k * TICK, self.run)

    def run(self):
        self.handle = None
        now = int(self.loop.time() / TICK)
        for k in sorted(k for k in self.slots if k <= now):
            for fn, args in self.slots.pop(k):
                try:
                    fn(*args)
                except Exception as e:  # a closed transport: nothing to deliver to
                    log("deliver:", e)
        self.next = now + 1
        if self.slots:
            self.handle_k = max(min(self.slots), self.next)
            self.handle = self.loop.call_at(self.handle_k * TICK, self.run)


class Delay:
    def __init__(self, ms, jitter_ms):
        self.base = ms / 1000.0
        self.jitter = jitter_ms / 1000.0

    def one(self):
        return self.base + (random.random() * self.jitter if self.jitter > 0 else 0.0)


# --- UDP (DNS) ------------------------------------------------------------------------------
def big_buffers(transport):
    """8 MB socket buffers (capped by net.core.rmem_max/wmem_max): the proxy must not be the
    part of the path that drops a burst of queries."""
    sock = transport.get_extra_info("socket")
    for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
        try:
            sock.setsockopt(socket.SOL_SOCKET, opt, 8 << 20)
        except OSError:
            pass


class UdpFront(asyncio.DatagramProtocol):
    """The published address: queries in, answers out."""

    def __init__(self, proxy):
        self.proxy = proxy

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        if len(data) >= 12:
            p = self.proxy
            p.wheel.at(p.loop.time() + p.delay.one(), p.forward, data, addr)


class UdpBack(asyncio.DatagramProtocol):
    def __init__(self, proxy, idx):
        self.proxy = proxy
        self.idx = idx

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        p = self.proxy
        if len(data) < 12:
            return
        key = (self.idx, struct.unpack("!H", data[:2])[0])
        ent = p.ids.pop(key, None)
        if ent is None:
            return
        client, orig_id, _ = ent
        p.free.append(key)
        p.wheel.at(p.loop.time() + p.delay.one(), p.reply, orig_id + data[2:], client)


class UdpProxy:
    HOLD = 30.0

    def __init__(self, loop, wheel, delay, listen, backend):
        self.loop, self.wheel, self.delay = loop, wheel, delay
        self.listen, self.backend = listen, backend
        self.ids = {}  # (socket index, proxy id) -> (client addr, original id bytes, expiry)
        self.free = collections.deque()
        self.backs = []
        self.order = collections.deque()  # keys in the order they were handed out (expiry)

    async def start(self):
        t, self.front = await self.loop.create_datagram_endpoint(lambda: UdpFront(self), local_addr=self.listen)
        big_buffers(t)
        await self.add_backend()

    async def add_backend(self):
        idx = len(self.backs)
        t, _ = await self.loop.create_datagram_endpoint(lambda: UdpBack(self, idx), remote_addr=self.backend)
        big_buffers(t)
        self.backs.append(t)
        ids = list(range(1, 65536))
        random.shuffle(ids)
        self.free.extend((idx, i) for i in ids[:60000])

    def expire(self, now):
        while self.order:
            key, exp = self.order[0]
            if exp > now:
                break
            self.order.popleft()
            ent = self.ids.get(key)
            if ent is not None and ent[2] == exp:
                del self.ids[key]
                self.free.append(key)

    def forward(self, data, client):
        now = self.loop.time()
        self.expire(now)
        if not self.free:
            if len(self.backs) >= 16:
                return  # 960,000 queries outstanding: drop, as an overloaded path would
            self.loop.create_task(self.add_backend())
            return
        key = self.free.popleft()
        exp = now + self.HOLD
        self.ids[key] = (client, data[:2], exp)
        self.order.append((key, exp))
        self.backs[key[0]].sendto(struct.pack("!H", key[1]) + data[2:])

    def reply(self, data, client):
        self.front.transport.sendto(data, client)


# --- TCP --------------------------------------------------------------------------------------
class Pipe:
    """One direction of one connection: deadlines kept non-decreasing so bytes stay in order."""

    def __init__(self, proxy, writer, floor):
        self.proxy, self.writer, self.last = proxy, writer, floor

    def due(self):
        d = max(self.proxy.loop.time() + self.proxy.delay.one(), self.last + 1e-6)
        self.last = d
        return d

    def send(self, data):
        if not self.writer.is_closing():
            self.writer.write(data)

    def eof(self):
        if not self.writer.is_closing():
            try:
                if self.writer.can_write_eof():
                    self.writer.write_eof()
                else:
                    self.writer.close()
            except OSError:
                self.writer.close()


class TcpProxy:
    def __init__(self, loop, wheel, delay, listen, backend, limit):
        self.loop, self.wheel, self.delay = loop, wheel, delay
        self.listen, self.backend, self.limit = listen, backend, limit

    async def start(self):
        self.server = await asyncio.start_server(self.handle, self.listen[0], self.listen[1],
                                                 backlog=4096, reuse_address=True)

    async def pump(self, reader, pipe):
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    self.wheel.at(pipe.due(), pipe.eof)
                    return
                self.wheel.at(pipe.due(), pipe.send, data)
                # simple backpressure: do not read further ahead than the peer drains
                if pipe.writer.transport.get_write_buffer_size() > 1 << 20:
                    await asyncio.sleep(self.delay.base)
        except (ConnectionError, OSError):
            self.wheel.at(pipe.due(), pipe.writer.close)

    async def handle(self, creader, cwriter):
        self.limit.conns += 1
        try:
            if self.limit.conns > self.limit.max:
                cwriter.close()
                return
            t0 = self.loop.time()
            await asyncio.sleep(self.delay.one())  # the SYN on its way
            try:
                breader, bwriter = await asyncio.open_connection(*self.backend)
            except OSError:
                cwriter.transport.abort()
                return
            # client -> server: nothing arrives before a real handshake's round trip + delay
            up = Pipe(self, bwriter, t0 + 3 * self.delay.base)
            down = Pipe(self, cwriter, self.loop.time())
            await asyncio.gather(self.pump(creader, up), self.pump(breader, down))
            # both EOFs delivered: close once the last scheduled bytes are out
            await asyncio.sleep(max(up.last, down.last) - self.loop.time() + 0.01)
            for w in (bwriter, cwriter):
                w.close()
        finally:
            self.limit.conns -= 1


class Limit:
    def __init__(self, n):
        self.max, self.conns = n, 0


MOVED = "127.100."  # 127.0.X.Y -> 127.100.X.Y


def moved(addr):
    assert addr.startswith("127.0.")
    return MOVED + addr[len("127.0."):]


def prepare(d, nginx_mode):
    """Writes DIR/latency/ (see the module comment); returns nothing, exits on a surprise."""
    import re
    out = os.path.join(d, "latency")
    os.makedirs(os.path.join(out, "postfix"), exist_ok=True)
    maps = []
    # NSD (udp+tcp) and the DNS helpers (started by `world up` on the moved addresses)
    nsd = open(os.path.join(d, "dns", "nsd.conf")).read()
    m = re.search(r"^\s*ip-address:\s*(127\.0\.\d+\.\d+)\s*$", nsd, re.M)
    if not m:
        sys.exit("latency_proxy: no ip-address in nsd.conf")
    nsd = nsd[:m.start(1)] + moved(m.group(1)) + nsd[m.end(1):]
    open(os.path.join(out, "nsd.conf"), "w").write(nsd)
    for a in (m.group(1), "127.0.0.3", "127.0.0.4"):
        maps += ["udp %s:53 %s:53" % (a, moved(a)), "tcp %s:53 %s:53" % (a, moved(a))]
    # nginx: every listen address; the slow-drip helper
    conf = open(os.path.join(d, "nginx", "nginx-%s.conf" % nginx_mode)).read()
    addrs = sorted(set(re.findall(r"listen (127\.0\.\d+\.\d+):443", conf)))
    conf = re.sub(r"listen 127\.0\.(\d+\.\d+):443", r"listen %s\1:443" % MOVED, conf)
    open(os.path.join(out, "nginx-%s.conf" % nginx_mode), "w").write(conf)
    for a in addrs + ["127.0.2.3"]:
        maps.append("tcp %s:443 %s:443" % (a, moved(a)))
    # Postfix: a config directory of its own (same queue and logs), every smtpd address moved
    pf = os.path.join(d, "postfix")
    main = open(os.path.join(pf, "main.cf")).read()
    main = re.sub(r"^config_directory = .*$", "config_directory = %s" % os.path.join(out, "postfix"), main, flags=re.M)
    open(os.path.join(out, "postfix", "main.cf"), "w").write(main)
    master = open(os.path.join(pf, "master.cf")).read()
    addrs = sorted(set(re.findall(r"^(127\.0\.\d+\.\d+):25 inet", master, re.M)))
    master = re.sub(r"^127\.0\.(\d+\.\d+):25 inet", r"%s\1:25 inet" % MOVED, master, flags=re.M)
    open(os.path.join(out, "postfix", "master.cf"), "w").write(master)
    for a in addrs + ["127.0.4.19"]:
        maps.append("tcp %s:25 %s:25" % (a, moved(a)))
    with open(os.path.join(out, "map.txt"), "w") as f:
        f.write("# latency mode: published address -> moved server (generated by world up)\n")
        f.write("\n".join(maps) + "\n")


def parse_addr(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


async def main(a):
    loop = asyncio.get_running_loop()
    wheel = Wheel(loop)
    delay = Delay(a.delay, a.jitter)
    limit = Limit(a.max_conns)
    proxies = []
    for line in open(a.map_file):
        line = line.split("#")[0].split()
        if not line:
            continue
        proto, listen, backend = line[0], parse_addr(line[1]), parse_addr(line[2])
        for h in (listen[0], backend[0]):
            if not h.startswith("127."):
                sys.exit("latency_proxy: refusing non-loopback address %s" % h)
        if proto == "udp":
            proxies.append(UdpProxy(loop, wheel, delay, listen, backend))
        elif proto == "tcp":
            proxies.append(TcpProxy(loop, wheel, delay, listen, backend, limit))
        else:
            sys.exit("latency_proxy: bad protocol %r" % proto)
    for p in proxies:
        await p.start()
    if a.pidfile:
        tmp = a.pidfile + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % os.getpid())
        os.replace(tmp, a.pidfile)
    log("latency_proxy: %d listeners, delay %g ms + jitter %g ms each way" % (len(proxies), a.delay, a.jitter))
    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), a.lifetime)
    except asyncio.TimeoutError:
        log("latency_proxy: lifetime over")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--prepare", metavar="DIR")
    ap.add_argument("--nginx-mode", default="static")
    ap.add_argument("--delay", type=float, help="one-way delay (ms)")
    ap.add_argument("--jitter", type=float, default=None, help="extra uniform delay 0..J ms (default delay/5)")
    ap.add_argument("--map-file")
    ap.add_argument("--pidfile")
    ap.add_argument("--max-conns", type=int, default=20000)
    ap.add_argument("--lifetime", type=float, default=86400)
    a = ap.parse_args()
    if a.prepare:
        prepare(a.prepare, a.nginx_mode)
        sys.exit(0)
    if a.delay is None or a.map_file is None:
        ap.error("--delay and --map-file are needed")
    if a.jitter is None:
        a.jitter = a.delay / 5
    asyncio.run(main(a))
