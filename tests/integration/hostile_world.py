#!/usr/bin/python3
"""Hostile policy servers for the engine's tests: a tiny DNS responder and a TLS server whose
policy hosts misbehave (endless or huge bodies, NUL bytes, a redirect to itself, a slow drip,
garbage instead of HTTP, a hang-up, an endless header block), plus well-behaved hosts that
need address handling: IPv6 only, dual-stack, and a first address that refuses.

Usage (inside a world namespace, as root): hostile_world.py DIR
Writes DIR/ca.pem and DIR/domains.txt, serves DNS on 127.0.9.53:53 (UDP) and HTTPS on
127.0.9.1:443 and [::1]:443, then writes DIR/ready and runs until killed. Only 127.0.9.0/24
and ::1 are used (127.0.9.2 has no listener: connections to it are refused).
"""

import datetime
import os
import socket
import socketserver
import ssl
import sys
import threading
import time

from tiny_dns import qname, reply, serve

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ZONE = "hostile.test"
DNS_ADDR = ("127.0.9.53", 53)
HTTPS_ADDR = ("127.0.9.1", 443)
HTTPS6_ADDR = ("::1", 443)
REFUSING_ADDR = "127.0.9.2"
HOSTS = ["endless", "huge", "nul", "loop", "drip", "garbage", "hangup", "headers", "good",
         "six", "dual", "twoaddr"]
GOOD = {"good", "six", "dual", "twoaddr"}
A_RECORDS = {"six": [], "twoaddr": [REFUSING_ADDR, HTTPS_ADDR[0]]}  # default: HTTPS_ADDR
AAAA_RECORDS = {"six": ["::1"], "dual": ["::1"]}  # default: none
GOOD_POLICY = b"version: STSv1\r\nmode: testing\r\nmx: mx.good.hostile.test\r\nmax_age: 86400\r\n"


def make_pki(d):
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hostile test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(1)
          .not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    sans = [x509.DNSName("mta-sts.%s.%s" % (h, ZONE)) for h in HOSTS]
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hostile")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    with open(os.path.join(d, "ca.pem"), "wb") as f:
        f.write(ca.public_bytes(pem))
    with open(os.path.join(d, "leaf.pem"), "wb") as f:
        f.write(leaf.public_bytes(pem))
    with open(os.path.join(d, "leaf.key"), "wb") as f:
        f.write(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


# ---- DNS ---------------------------------------------------------------------------------
def answer(packet):
    name, qtype, end = qname(packet)
    host = name.split(".")[1] if name.count(".") >= 2 else ""
    known = name.endswith("." + ZONE) and any(name.endswith("%s.%s" % (h, ZONE)) for h in HOSTS)
    rrs = []
    rcode = 0 if known else 3
    if known and qtype == 16 and name.startswith("_mta-sts."):
        txt = b"v=STSv1; id=20261122;"
        rrs.append((16, bytes([len(txt)]) + txt))
    elif known and qtype == 1 and name.startswith("mta-sts."):
        for a in A_RECORDS.get(host, [HTTPS_ADDR[0]]):
            rrs.append((1, socket.inet_aton(a)))
    elif known and qtype == 28 and name.startswith("mta-sts."):
        for a in AAAA_RECORDS.get(host, []):
            rrs.append((28, socket.inet_pton(socket.AF_INET6, a)))
    elif known and name.startswith(("_smtp._tls.", "mta-sts.", "_mta-sts.")):
        rcode = 0  # NODATA
    elif known and qtype == 15 and host:
        rcode = 0  # no MX: NODATA
    return reply(packet, end, rcode, rrs)


def serve_dns():
    serve(DNS_ADDR, answer)


# ---- HTTPS -------------------------------------------------------------------------------
def send(conn, data):
    try:
        conn.sendall(data)
        return True
    except OSError:
        return False


def behave(conn, host):
    name = host.split(".")[1] if host.count(".") >= 2 else ""
    ok = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
    if name == "endless":
        send(conn, ok + b"Connection: close\r\n\r\n")
        line = b"mx: endless.example\r\n" * 100
        while send(conn, line):
            pass
    elif name == "huge":
        send(conn, ok + b"Content-Length: 10485760\r\n\r\n")
        chunk = b"#" * 65536
        for _ in range(160):
            if not send(conn, chunk):
                break
    elif name == "nul":
        body = b"version: STSv1\r\nmode: enforce\x00\r\nmx: mx.nul.hostile.test\r\nmax_age: 86400\r\n"
        send(conn, ok + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    elif name == "loop":
        url = "https://%s/.well-known/mta-sts.txt" % host
        send(conn, b"HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n" % url.encode())
    elif name == "drip":
        send(conn, ok + b"Content-Length: 1000\r\n\r\n")
        for _ in range(1000):
            if not send(conn, b"v"):
                break
            time.sleep(1)
    elif name == "garbage":
        send(conn, b"\x00\x01\x02 this is not HTTP \xff\xfe\r\n\r\n")
    elif name == "hangup":
        pass
    elif name == "headers":
        send(conn, ok)
        while send(conn, b"X-Filler: " + b"a" * 1000 + b"\r\n"):
            pass
    elif name in GOOD:
        send(conn, ok + b"Content-Length: %d\r\n\r\n" % len(GOOD_POLICY) + GOOD_POLICY)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            conn = self.server.tls.wrap_socket(self.request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        conn.settimeout(30)
        req = b""
        try:
            while b"\r\n\r\n" not in req and len(req) < 16384:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                req += chunk
        except OSError:
            return
        host = ""
        for line in req.split(b"\r\n"):
            if line.lower().startswith(b"host:"):
                host = line[5:].strip().decode("ascii", "replace").split(":")[0]
        behave(conn, host)
        try:
            conn.close()
        except OSError:
            pass


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class Server6(Server):
    address_family = socket.AF_INET6


def main():
    d = sys.argv[1]
    make_pki(d)
    with open(os.path.join(d, "domains.txt"), "w") as f:
        for h in HOSTS:
            f.write("%s.%s\n" % (h, ZONE))
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(os.path.join(d, "leaf.pem"), os.path.join(d, "leaf.key"))
    threading.Thread(target=serve_dns, daemon=True).start()
    for cls, addr in ((Server, HTTPS_ADDR), (Server6, HTTPS6_ADDR)):
        srv = cls(addr, Handler)
        srv.tls = tls
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    with open(os.path.join(d, "ready"), "w") as f:
        f.write("ready\n")
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
