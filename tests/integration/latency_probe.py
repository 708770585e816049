#!/usr/bin/python3
"""Probes for world_latency.sh: times and checks traffic through the world's delay proxy.

  latency_probe.py udp-rtt ADDR:PORT N         N sequential DNS queries; prints "min MS median MS"
  latency_probe.py udp-burst ADDR:PORT N       N queries sent at once from one socket; prints
                                               "answered A matched M min MS" (matched: the answer
                                               carries the query's own ID and question)
  latency_probe.py tcp-dns ADDR:PORT N         DNS over TCP, the query sent right after connect;
                                               prints the smallest time to the answer, in ms
  latency_probe.py tcp-greet ADDR:PORT N       time from connect to a server's first line (SMTP);
                                               prints the smallest of N, in ms
  latency_probe.py tcp-first ADDR:PORT         connect, send "HOLD", read for 1 s: prints
                                               reset|eof|data|open (nothing came)
  latency_probe.py hold ADDR:PORT N SECONDS    opens N connections ("HOLD"), keeps them open
  latency_probe.py server ADDR:PORT            a TCP server: "BULK n" -> n bytes of a pattern then
                                               close; "HOLD" -> keep the connection until EOF
  latency_probe.py bulk ADDR:PORT N PAUSE      asks for N bytes, reads nothing for PAUSE seconds,
                                               then reads all; prints "bytes B intact yes|no"

Times are taken with time.monotonic() just before the first byte is sent (or connect starts)
and just after the answer is read: a proxy that released anything early shows up as a time
below the delay. Loopback addresses only (inside the world's namespace).
"""

import select
import socket
import statistics
import struct
import sys
import threading
import time


def addr(s):
    h, p = s.rsplit(":", 1)
    assert h.startswith("127."), h
    return h, int(p)


def query(qid, name, qtype=6):
    q = struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0)  # RD off: the servers are authoritative
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", qtype, 1)


def question(msg):
    """The question section's bytes (from offset 12 to the end of QTYPE/QCLASS)."""
    i = 12
    while msg[i]:
        i += 1 + msg[i]
    return msg[12:i + 5]


def udp_rtt(a, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    times = []
    for i in range(n):
        q = query(1000 + i, "test.")
        t0 = time.monotonic()
        s.sendto(q, a)
        while True:
            d, _ = s.recvfrom(65535)
            if d[:2] == q[:2]:
                break
        times.append((time.monotonic() - t0) * 1000)
    print("min %d median %d" % (min(times), statistics.median(times)))


def udp_burst(a, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.connect(a)
    sent = {}
    for i in range(n):
        q = query(i + 1, "burst-%d.test." % i, 1)
        sent[i + 1] = (q, time.monotonic())
        s.send(q)
    answered = matched = 0
    best = 1e9
    deadline = time.monotonic() + 5
    while answered < n and time.monotonic() < deadline:
        r, _, _ = select.select([s], [], [], 0.2)
        if not r:
            continue
        d = s.recv(65535)
        t = time.monotonic()
        answered += 1
        qid = struct.unpack("!H", d[:2])[0]
        if qid in sent and question(d) == question(sent[qid][0]):
            matched += 1
            best = min(best, (t - sent[qid][1]) * 1000)
            del sent[qid]
    print("answered %d matched %d min %d" % (answered, matched, best if matched else -1))


def tcp_dns(a, n):
    best = 1e9
    for i in range(n):
        q = query(2000 + i, "test.")
        t0 = time.monotonic()
        s = socket.create_connection(a, timeout=3)
        s.sendall(struct.pack("!H", len(q)) + q)
        buf = b""
        while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
            d = s.recv(65535)
            if not d:
                raise SystemExit("tcp-dns: EOF before the answer")
            buf += d
        best = min(best, (time.monotonic() - t0) * 1000)
        s.close()
    print("%d" % best)


def tcp_greet(a, n):
    best = 1e9
    for _ in range(n):
        t0 = time.monotonic()
        s = socket.create_connection(a, timeout=5)
        f = s.makefile("rb")
        line = f.readline()
        t = (time.monotonic() - t0) * 1000
        if not line.startswith(b"220"):
            raise SystemExit("tcp-greet: %r" % line)
        s.sendall(b"QUIT\r\n")
        f.readline()
        s.close()
        best = min(best, t)
    print("%d" % best)


def tcp_first(a):
    s = socket.create_connection(a, timeout=5)
    try:
        s.sendall(b"HOLD\n")
        s.settimeout(1)
        d = s.recv(100)
        print("data" if d else "eof")
    except ConnectionResetError:
        print("reset")
    except socket.timeout:
        print("open")


def hold(a, n, secs):
    conns = []
    for _ in range(n):
        s = socket.create_connection(a, timeout=5)
        s.sendall(b"HOLD\n")
        conns.append(s)
    time.sleep(secs)


PATTERN = bytes(range(251)) * 4  # a period that does not divide the chunk sizes


def server(a):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(a)
    ls.listen(64)

    def serve(c):
        try:
            f = c.makefile("rb")
            cmd = f.readline().split()
            if cmd and cmd[0] == b"BULK":
                left, off = int(cmd[1]), 0
                while left > 0:
                    chunk = (PATTERN * (65536 // len(PATTERN) + 2))[off % len(PATTERN):][:min(left, 65536)]
                    c.sendall(chunk)
                    off += len(chunk)
                    left -= len(chunk)
            else:  # HOLD
                while c.recv(4096):
                    pass
        except OSError:  # a client that resets: nothing to serve
            pass
        c.close()

    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def bulk(a, n, pause):
    s = socket.create_connection(a, timeout=30)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(b"BULK %d\n" % n)
    time.sleep(pause)
    got, ok = 0, True
    period = len(PATTERN)
    while True:
        d = s.recv(1 << 20)
        if not d:
            break
        start = got % period
        want = (PATTERN * (len(d) // period + 2))[start:start + len(d)]
        ok = ok and d == want
        got += len(d)
    print("bytes %d intact %s" % (got, "yes" if ok and got == n else "no"))


if __name__ == "__main__":
    cmd, rest = sys.argv[1], sys.argv[2:]
    a = addr(rest[0])
    if cmd == "udp-rtt":
        udp_rtt(a, int(rest[1]))
    elif cmd == "udp-burst":
        udp_burst(a, int(rest[1]))
    elif cmd == "tcp-dns":
        tcp_dns(a, int(rest[1]))
    elif cmd == "tcp-greet":
        tcp_greet(a, int(rest[1]))
    elif cmd == "tcp-first":
        tcp_first(a)
    elif cmd == "hold":
        hold(a, int(rest[1]), float(rest[2]))
    elif cmd == "server":
        server(a)
    elif cmd == "bulk":
        bulk(a, int(rest[1]), float(rest[2]))
    else:
        sys.exit("latency_probe: unknown command %s" % cmd)
