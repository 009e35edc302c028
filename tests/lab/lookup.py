"""A DNS lookup with the standard library, run on a lab host as that host's resolver would ask:
to the first nameserver of its /etc/resolv.conf.

    python3 lookup.py MX example.org [SERVER]   ->  one answer a line: "10 mx.example.net."
"""
import random
import socket
import struct
import sys

TYPES = {"A": 1, "NS": 2, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28}


def nameserver(resolv_conf="/etc/resolv.conf"):
    with open(resolv_conf) as lines:
        return next(line.split()[1] for line in lines if line.startswith("nameserver"))


def encode(name):
    return b"".join(bytes([len(label)]) + label.encode() for label in name.rstrip(".").split(".")) + b"\0"


def decode(packet, offset):
    """A (possibly compressed) name at `offset`: (name, offset after it)."""
    labels, end = [], None
    while True:
        length = packet[offset]
        if length >= 0xC0:
            end = end or offset + 2
            offset = struct.unpack("!H", packet[offset:offset + 2])[0] & 0x3FFF
        elif length == 0:
            return ".".join(labels) + ".", end or offset + 1
        else:
            labels.append(packet[offset + 1:offset + 1 + length].decode())
            offset += 1 + length


def rdata(kind, packet, offset, length):
    if kind == "A":
        return socket.inet_ntop(socket.AF_INET, packet[offset:offset + length])
    if kind == "AAAA":
        return socket.inet_ntop(socket.AF_INET6, packet[offset:offset + length])
    if kind == "MX":
        return f"{struct.unpack('!H', packet[offset:offset + 2])[0]} {decode(packet, offset + 2)[0]}"
    if kind == "TXT":
        strings, end = [], offset + length
        while offset < end:
            strings.append(packet[offset + 1:offset + 1 + packet[offset]].decode())
            offset += 1 + packet[offset]
        return "".join(strings)
    return decode(packet, offset)[0]


def query(kind, name, server=None, timeout=5):
    """The answers of `server` (default: the resolver of /etc/resolv.conf) for `name`, `kind`."""
    server = server or nameserver()
    ident = random.randrange(65536)
    request = struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + encode(name) + struct.pack("!HH", TYPES[kind], 1)
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(request, (server, 53))
        packet = sock.recv(4096)
    _, flags, questions, answers = struct.unpack("!HHHH", packet[:8])
    if flags & 0xF:
        raise LookupError(f"{kind} {name}: rcode {flags & 0xF}")
    offset = 12
    for _ in range(questions):
        offset = decode(packet, offset)[1] + 4
    found = []
    for _ in range(answers):
        offset = decode(packet, offset)[1]
        code, _, _, length = struct.unpack("!HHIH", packet[offset:offset + 10])
        offset += 10
        if code == TYPES[kind]:
            found.append(rdata(kind, packet, offset, length))
        offset += length
    return found


if __name__ == "__main__":
    print("\n".join(query(*sys.argv[1:4])))
