#!/usr/bin/python3
"""Hammer for the delay proxy (by hand, not a suite): random TCP and UDP traffic for SECS seconds.

  latency_hammer.py SECS
Inside a namespace of your own, with latency_probe.py's server on 127.100.250.1:9000 and the
proxy (e.g. built with -fsanitize=address,undefined) on this map:
  tcp 127.0.250.1:9000 127.100.250.1:9000
  udp 127.0.250.3:53 127.100.250.3:53
100 TCP clients loop: 40% ask for 0-300,000 bytes and count them (bulk_ok / bulk_bad), 30% ask
for 1 MB and reset mid-transfer (SO_LINGER 0), 30% send up to 200 kB, half-close and leave.
UDP: 0-600 random bytes at 10,000/s, answered 70% of the time by an echo that keeps the ID
and sends random bytes. Prints the counts; the proxy's exit summary must show 0 open.
"""
import random, socket, struct, sys, threading, time
SECS = float(sys.argv[1])
stop = time.monotonic() + SECS
stats = {"bulk_ok": 0, "bulk_bad": 0, "rst": 0, "half": 0, "err": 0, "udp": 0}
lock = threading.Lock()
def bump(k):
    with lock: stats[k] += 1
def client():
    rnd = random.Random()
    while time.monotonic() < stop:
        try:
            s = socket.create_connection(("127.0.250.1", 9000), timeout=10)
            mode = rnd.random()
            if mode < 0.4:
                n = rnd.randint(0, 300000)
                s.sendall(b"BULK %d\n" % n)
                got = 0
                while True:
                    d = s.recv(65536)
                    if not d: break
                    got += len(d)
                bump("bulk_ok" if got == n else "bulk_bad")
            elif mode < 0.7:
                s.sendall(b"BULK 1000000\n")
                time.sleep(rnd.random() * 0.1)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close(); bump("rst"); continue
            else:
                s.sendall(b"HOLD\n" + b"x" * rnd.randint(0, 200000))
                s.shutdown(socket.SHUT_WR)
                time.sleep(rnd.random() * 0.2)
                bump("half")
            s.close()
        except OSError:
            bump("err")
def udp():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rnd = random.Random()
    while time.monotonic() < stop:
        for _ in range(100):
            u.sendto(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 600))), ("127.0.250.3", 53))
            bump("udp")
        time.sleep(0.01)
def echo():
    e = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    e.bind(("127.100.250.3", 53)); e.settimeout(1)
    rnd = random.Random()
    while time.monotonic() < stop + 2:
        try:
            d, a = e.recvfrom(65535)
        except socket.timeout:
            continue
        if rnd.random() < 0.7:
            e.sendto(d[:2] + bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 1400))), a)
ts = [threading.Thread(target=client) for _ in range(100)] + [threading.Thread(target=udp), threading.Thread(target=echo)]
for t in ts: t.start()
for t in ts: t.join()
print(stats)
