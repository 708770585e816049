#!/usr/bin/python3
"""Hostile SMTP servers for the SMTP stage's tests: a tiny DNS responder and port-25 servers
that misbehave (an endless line, a flood of lines, a slow drip, garbage, a hang-up, an
endless EHLO reply, STARTTLS refused, garbage or silence instead of TLS), and one that is
well behaved without STARTTLS. Every command received is logged, so the test can check that
no MAIL FROM or RCPT TO is ever sent.

Usage (inside a world namespace, as root): hostile_smtp.py DIR
Writes DIR/domains.txt, serves DNS on 127.0.10.53:53 (UDP) and SMTP on 127.0.10.N:25, logs
commands to DIR/commands.log, then writes DIR/ready and runs until killed. Only
127.0.10.0/24 is used.
"""

import os
import socket
import socketserver
import struct
import sys
import threading
import time

from tiny_dns import encode_name, qname, reply, serve

ZONE = "hsmtp.test"
DNS_ADDR = ("127.0.10.53", 53)
HOSTS = ["longline", "manylines", "drip", "garbage", "hangup", "ehloflood", "starttls454",
         "tlsgarbage", "tlssilent", "nostarttls", "six", "manyaddrs", "mixed"]
# Hosts behind a SYN blackhole (connects time out, as behind a firewall dropping port 25);
# listed apart in DIR/dropped.txt: a check of only them finds port 25 blocked.
DROPPED = ["drop1", "drop2", "drop3"]
BLACKHOLE = "127.0.10.200"
# Address records beyond the default (one A record 127.0.10.N, N the host's index + 1):
# "six" is IPv6 only (::1), "manyaddrs" has 10 addresses with no listener (8 are probed, 2
# counted as dropped), "mixed" has a private address the address policy refuses first.
A_RECORDS = {"six": [], "manyaddrs": ["127.0.10.%d" % (101 + i) for i in range(10)],
             "mixed": ["10.0.0.1", "127.0.10.13"]}
AAAA_RECORDS = {"six": ["::1"]}
SERVE = {"six": [("::1", socket.AF_INET6)], "manyaddrs": [],
         "mixed": [("127.0.10.13", socket.AF_INET)]}
LOG_LOCK = threading.Lock()
LOG = None


def addr_of(host):
    if host in DROPPED:
        return BLACKHOLE
    return "127.0.10.%d" % (HOSTS.index(host) + 1)


def answer(packet):
    name, qtype, end = qname(packet)
    labels = name.split(".")
    rrs, rcode = [], 3
    # <host>.hsmtp.test: MX mx.<host>.hsmtp.test; mx.<host>.hsmtp.test: A 127.0.10.N
    if name.endswith("." + ZONE) and len(labels) == 3 and labels[0] in HOSTS + DROPPED:
        rcode = 0
        if qtype == 15:
            rrs.append((15, struct.pack("!H", 10) + encode_name("mx." + name)))
    elif name.endswith("." + ZONE) and len(labels) == 4 and labels[0] == "mx" \
            and labels[1] in HOSTS + DROPPED:
        rcode = 0
        host = labels[1]
        if qtype == 1:
            for a in A_RECORDS.get(host, [addr_of(host)]):
                rrs.append((1, socket.inet_aton(a)))
        elif qtype == 28:
            for a in AAAA_RECORDS.get(host, []):
                rrs.append((28, socket.inet_pton(socket.AF_INET6, a)))
    return reply(packet, end, rcode, rrs)


def serve_dns():
    serve(DNS_ADDR, answer)


def log(host, line):
    with LOG_LOCK:
        LOG.write("%s %s\n" % (host, line.decode("ascii", "replace").rstrip("\r\n")))
        LOG.flush()


def read_line(conn, host):
    buf = b""
    while not buf.endswith(b"\n"):
        b = conn.recv(1)
        if not b:
            raise ConnectionError
        buf += b
    log(host, buf)
    return buf.upper()


def ehlo_reply(starttls=True):
    return b"250-mx.hsmtp.test\r\n250-PIPELINING\r\n" + (b"250-STARTTLS\r\n" if starttls else b"") \
        + b"250 8BITMIME\r\n"


def session(conn, host):
    """Until the client gives up; the client's deadlines and bounds end every case."""
    if host == "longline":
        conn.sendall(b"220 " + b"x" * 100000)
        time.sleep(5)
    elif host == "manylines":
        for _ in range(2000):
            conn.sendall(b"220-still greeting\r\n")
        time.sleep(5)
    elif host == "drip":
        for c in b"220 slowly\r\n":
            conn.sendall(bytes([c]))
            time.sleep(1)
    elif host == "garbage":
        conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
        time.sleep(5)
    elif host == "hangup":
        return
    else:
        conn.sendall(b"220 mx.hsmtp.test ESMTP hostile\r\n")
        while True:
            line = read_line(conn, host)
            if line.startswith(b"EHLO"):
                if host == "ehloflood":
                    while True:
                        conn.sendall(b"250-" + b"A" * 60 + b"\r\n")
                conn.sendall(ehlo_reply(host not in ("nostarttls", "six", "mixed")))
            elif line.startswith(b"STARTTLS"):
                if host == "starttls454":
                    conn.sendall(b"454 4.7.0 TLS not available\r\n")
                elif host == "tlsgarbage":
                    conn.sendall(b"220 2.0.0 go ahead\r\n")
                    conn.sendall(b"this is not a TLS server hello\r\n" * 10)
                    time.sleep(5)
                    return
                else:  # tlssilent
                    conn.sendall(b"220 2.0.0 go ahead\r\n")
                    time.sleep(10)
                    return
            elif line.startswith(b"QUIT"):
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"502 5.5.1 not here\r\n")


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        host = self.server.host
        log(host, b"CONNECT")
        try:
            session(self.request, host)
        except (ConnectionError, OSError):
            pass


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


class Server6(Server):
    address_family = socket.AF_INET6


def syn_blackhole():
    """A listening socket whose accept queue is full and never drained: SYNs are dropped by
    the kernel, so connects time out (the trick of scripts/world/helpers.py)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((BLACKHOLE, 25))
    s.listen(0)
    fill = []
    for _ in range(3):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect((BLACKHOLE, 25))
        except BlockingIOError:
            pass
        fill.append(c)
    time.sleep(0.2)
    return s, fill


def main():
    global LOG
    d = sys.argv[1]
    LOG = open(os.path.join(d, "commands.log"), "w")
    with open(os.path.join(d, "domains.txt"), "w") as f:
        for h in HOSTS:
            f.write("%s.%s\n" % (h, ZONE))
    with open(os.path.join(d, "dropped.txt"), "w") as f:
        for h in DROPPED:
            f.write("%s.%s\n" % (h, ZONE))
    blackhole = syn_blackhole()  # kept open for the server's life
    threading.Thread(target=serve_dns, daemon=True).start()
    for h in HOSTS:
        for addr, family in SERVE.get(h, [(addr_of(h), socket.AF_INET)]):
            srv = (Server6 if family == socket.AF_INET6 else Server)((addr, 25), Handler)
            srv.host = h
            threading.Thread(target=srv.serve_forever, daemon=True).start()
    open(os.path.join(d, "ready"), "w").close()
    assert blackhole
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
