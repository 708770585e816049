"""A minimal authoritative DNS answerer for the hostile test servers (hostile_world.py,
hostile_smtp.py): parse the question, build a reply, serve UDP. Each caller decides the
records; nothing here knows a zone."""

import socket
import struct


def qname(packet):
    """The question's name (lower case), type, and the offset just past the question."""
    labels, i = [], 12
    while packet[i]:
        n = packet[i]
        labels.append(packet[i + 1:i + 1 + n].decode("ascii", "replace").lower())
        i += n + 1
    qtype, _ = struct.unpack("!HH", packet[i + 1:i + 5])
    return ".".join(labels), qtype, i + 5


def encode_name(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"


def reply(packet, end, rcode, rrs):
    """A response to the query `packet` (question ending at `end`): authoritative answer
    flags, `rcode`, and `rrs` = [(type, rdata)] for the question's name, TTL 60."""
    out = packet[:2] + struct.pack("!HHHHH", 0x8180 | rcode, 1, len(rrs), 0, 0) + packet[12:end]
    for rtype, rdata in rrs:
        out += b"\xc0\x0c" + struct.pack("!HHIH", rtype, 1, 60, len(rdata)) + rdata
    return out


def serve(addr, answer):
    """Answers UDP queries on addr with answer(packet) -> bytes, forever; a query that
    answer() cannot parse is ignored."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(addr)
    while True:
        data, peer = s.recvfrom(4096)
        try:
            s.sendto(answer(data), peer)
        except Exception:  # a malformed query: ignore it
            pass
