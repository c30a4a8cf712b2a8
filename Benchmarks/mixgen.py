#!/usr/bin/env python3
"""A capture of another traffic mix than the generator's, for ingestion benchmarks.

    python3 Benchmarks/mixgen.py OUT.pcap [--megabytes 1000] [--seed 7]

Flows with bulk data after their request or hello (most 6–45 KB, a tenth 150–600 KB),
a fifth over IPv6, a third behind an 802.1Q tag; TLS hellos with padding to ~500 bytes, HTTP
requests with cookies, DNS answers with CNAME chains; ACK-only packets from clients. About
40 k flows and 1.3 M packets per gigabyte, written without a packet library (checksums
zero, as capture offload leaves them).
"""
import random
import struct
import sys


def be16(v):
    return struct.pack(">H", v)


def be32(v):
    return struct.pack(">I", v & 0xFFFFFFFF)


def name(text):
    return b"".join(bytes([len(l)]) + l.encode() for l in text.split(".")) + b"\0"


def hello(host, rng):
    server_name = host.encode()
    entry = b"\0" + be16(len(server_name)) + server_name
    extensions = be16(0) + be16(len(entry) + 2) + be16(len(entry)) + entry
    extensions += be16(0x002B) + be16(3) + b"\x02\x03\x04"  # supported versions
    padding = 300 + rng.randrange(100)
    extensions += be16(0x0015) + be16(padding) + b"\0" * padding
    body = b"\x03\x03" + bytes(rng.getrandbits(8) for _ in range(32)) + b"\x20" + bytes(32) + be16(4) + b"\x13\x01\x13\x02" + b"\x01\x00"
    body += be16(len(extensions)) + extensions
    message = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + be16(len(message)) + message


def request(host, rng):
    cookie = "".join(rng.choice("abcdef0123456789") for _ in range(120))
    return ("GET /static/%d.js HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\nCookie: sid=%s\r\n\r\n"
            % (rng.randrange(10**6), host, cookie)).encode()


def dns(host, rng):
    alias = "cdn%d.edge.example.net" % rng.randrange(1000)
    question = name(host) + be16(1) + be16(1)
    records = b"\xc0\x0c" + be16(5) + be16(1) + be32(60) + be16(len(name(alias))) + name(alias)
    for _ in range(2):
        records += name(alias) + be16(1) + be16(1) + be32(60) + be16(4) + bytes([112, 1, rng.randrange(256), rng.randrange(1, 255)])
    return be16(rng.randrange(65536)) + be16(0x8180) + be16(1) + be16(3) + be16(0) + be16(0) + question + records


def main():
    out = sys.argv[1]
    megabytes = int(sys.argv[sys.argv.index("--megabytes") + 1]) if "--megabytes" in sys.argv else 1000
    rng = random.Random(int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 7)
    limit = megabytes * 1_000_000
    bulk = bytes(rng.getrandbits(8) for _ in range(1448))
    written = 0
    time = 1772380800.0
    with open(out, "wb") as handle:
        handle.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

        def packet(frame):
            nonlocal written, time
            time += 0.00002
            seconds = int(time)
            handle.write(struct.pack("<IIII", seconds, int((time - seconds) * 1e6), len(frame), len(frame)) + frame)
            written += 16 + len(frame)

        flow = 0
        while written < limit:
            flow += 1
            six = rng.random() < 0.2
            vlan = rng.random() < 0.33
            client4 = bytes([183, 128, rng.randrange(256), rng.randrange(1, 255)])
            server4 = bytes([112, 1 + rng.randrange(8), rng.randrange(256), rng.randrange(1, 255)])
            client6 = bytes.fromhex("240e0000") + bytes(rng.getrandbits(8) for _ in range(12))
            server6 = bytes.fromhex("240e0001") + bytes(rng.getrandbits(8) for _ in range(12))

            def frame(source, destination, proto, payload):
                if six:
                    src, dst = (client6, server6) if source else (server6, client6)
                    ip = b"\x60\0\0\0" + be16(len(payload)) + bytes([proto, 64]) + src + dst + payload
                    ethertype = 0x86DD
                else:
                    src, dst = (client4, server4) if source else (server4, client4)
                    ip = b"\x45\0" + be16(20 + len(payload)) + be16(flow & 0xFFFF) + b"\x40\0" + bytes([64, proto]) + b"\0\0" + src + dst + payload
                    ethertype = 0x0800
                tag = be16(0x8100) + be16(100 + flow % 50) if vlan else b""
                return bytes.fromhex("020000000001020000000002") + tag + be16(ethertype) + ip

            host = "www.site%d.example.cn" % rng.randrange(200000)
            kind = rng.random()
            if kind < 0.12:
                packet(frame(False, True, 17, be16(53) + be16(40000 + flow % 20000) + be16(8 + len(d := dns(host, rng))) + b"\0\0" + d))
                continue
            port = 443 if kind < 0.75 else 80
            cport = 1024 + flow % 60000
            first = hello(host, rng) if port == 443 else request(host, rng)

            def tcp(source, sequence, flags, payload=b""):
                ports = be16(cport) + be16(port) if source else be16(port) + be16(cport)
                return frame(source, not source, 6, ports + be32(sequence) + be32(0) + bytes([0x50, flags]) + be16(65535) + b"\0\0\0\0" + payload)

            packet(tcp(True, 1000, 0x02))
            packet(tcp(False, 5000, 0x12))
            packet(tcp(True, 1001, 0x10))
            packet(tcp(True, 1001, 0x18, first))
            sequence = 5001
            for index in range(rng.randrange(100, 400) if rng.random() < 0.1 else rng.randrange(4, 30)):
                packet(tcp(False, sequence, 0x10, bulk))
                sequence += len(bulk)
                if index % 2:
                    packet(tcp(True, 1001 + len(first), 0x10))
            packet(tcp(True, 1001 + len(first), 0x11))
    print("%s: %d flows, %.0f MB" % (out, flow, written / 1e6))


if __name__ == "__main__":
    main()
