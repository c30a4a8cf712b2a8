#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, cut from the bundled sample (and from the real
third-party files of ../shared/realdata when given): `seeds.py OUT [REALDATA]` writes
OUT/<target>/<n> files. Each seed is laid out as its target reads its input (the choice
bytes first, then the data)."""

import gzip
import json
import os
import struct
import sys
import urllib.parse
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SAMPLE = os.path.join(ROOT, "Datasets", "sample")
MAX_SEED = 64 << 10

out = sys.argv[1]
realdata = sys.argv[2] if len(sys.argv) > 2 else None
counts = {}


def seed(target, data):
    if not data:
        return
    directory = os.path.join(out, target)
    os.makedirs(directory, exist_ok=True)
    n = counts.get(target, 0)
    if n >= 400:
        return
    counts[target] = n + 1
    with open(os.path.join(directory, "%04d" % n), "wb") as f:
        f.write(data[:MAX_SEED])


def pieces(items):
    return b"".join(struct.pack(">H", min(len(p), 0xFFFF)) + p[:0xFFFF] for p in items)


def pcap_packets(path, limit=4000):
    """(link type, packet) of a pcap or pcapng file (first section's interfaces)."""
    with open(path, "rb") as f:
        data = f.read(32 << 20)
    packets = []
    if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        link = struct.unpack(endian + "I", data[20:24])[0] & 0xFFFF
        offset = 24
        while offset + 16 <= len(data) and len(packets) < limit:
            _, _, caplen, _ = struct.unpack(endian + "IIII", data[offset : offset + 16])
            packets.append((link, data[offset + 16 : offset + 16 + caplen]))
            offset += 16 + caplen
    elif data[:4] == b"\x0a\x0d\x0d\x0a":
        endian = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        offset = 0
        links = []
        while offset + 12 <= len(data) and len(packets) < limit:
            kind, length = struct.unpack(endian + "II", data[offset : offset + 8])
            if length < 12:
                break
            body = data[offset + 8 : offset + length - 4]
            if kind == 1:
                links.append(struct.unpack(endian + "H", body[:2])[0])
            elif kind == 6 and len(body) >= 20:
                interface, _, _, caplen, _ = struct.unpack(endian + "IIIII", body[:20])
                if interface < len(links):
                    packets.append((links[interface], body[20 : 20 + caplen]))
            offset += length
    return packets


def transport_payloads(link, packet):
    """(protocol, source port, destination port, payload) of an Ethernet/raw IPv4 or IPv6
    packet, or None."""
    offset = 0
    if link == 1:
        ethertype = struct.unpack(">H", packet[12:14])[0] if len(packet) >= 14 else 0
        offset = 14
        while ethertype in (0x8100, 0x88A8) and len(packet) >= offset + 4:
            ethertype = struct.unpack(">H", packet[offset + 2 : offset + 4])[0]
            offset += 4
    elif link not in (101, 228, 229, 12, 14):
        return None
    ip = packet[offset:]
    if len(ip) < 20:
        return None
    if ip[0] >> 4 == 4:
        header = (ip[0] & 15) * 4
        protocol = ip[9]
        rest = ip[header:]
    elif ip[0] >> 4 == 6 and len(ip) >= 40:
        protocol = ip[6]
        rest = ip[40:]
    else:
        return None
    if protocol == 6 and len(rest) >= 20:
        return ("tcp", struct.unpack(">H", rest[0:2])[0], struct.unpack(">H", rest[2:4])[0], rest[(rest[12] >> 4) * 4 :])
    if protocol == 17 and len(rest) >= 8:
        return ("udp", struct.unpack(">H", rest[0:2])[0], struct.unpack(">H", rest[2:4])[0], rest[8:])
    return None


# The link types of fuzz-packets, in the order of its list (Fuzz/Packets/PacketsTarget.swift).
LINKS = [1, 101, 228, 229, 113, 276, 0, 108, 9, 50, 51, 239, 12, 14, 105, 127, 192, 119, 163]


def captures():
    paths = [os.path.join(SAMPLE, "traffic", name) for name in sorted(os.listdir(os.path.join(SAMPLE, "traffic")))]
    if realdata:
        for directory, _, files in os.walk(os.path.join(realdata, "pcap")):
            paths += [os.path.join(directory, f) for f in sorted(files) if f.endswith((".pcap", ".pcapng", ".cap"))]
    return paths


# Every encapsulation of Conformance/encapsulations.py (802.11 and its radio headers,
# tunnels, LLC/SNAP…), one capture's packets per seed.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Conformance"))
for name, link, frames in __import__("encapsulations").captures():
    seed("fuzz-packets", bytes([LINKS.index(link)]) + pieces(frames))

for path in captures():
    try:
        packets = pcap_packets(path)
        with open(path, "rb") as f:
            head = f.read(MAX_SEED)
    except OSError:
        continue
    seed("fuzz-capture", head)
    by_link = {}
    for link, packet in packets:
        by_link.setdefault(link, []).append(packet)
    for link, items in by_link.items():
        if link in LINKS:
            for start in range(0, min(len(items), 400), 20):
                seed("fuzz-packets", bytes([LINKS.index(link)]) + pieces(items[start : start + 20]))
    for link, packet in packets:
        parsed = transport_payloads(link, packet)
        if not parsed:
            continue
        protocol, source, destination, payload = parsed
        if protocol == "tcp" and payload[:1] == b"\x16" and len(payload) > 5:
            seed("fuzz-tls", payload[5:])
        if protocol == "tcp" and payload[:4] in (b"GET ", b"POST", b"HEAD", b"CONN", b"PRI "):
            seed("fuzz-http-request", payload)
        if protocol == "udp" and 53 in (source, destination):
            seed("fuzz-dns", payload)
        if protocol == "udp" and destination == 443 and payload[:1] and payload[0] & 0x80:
            seed("fuzz-quic", b"\x00" + pieces([payload]))


# QUIC decrypted payloads: a CRYPTO frame carrying a ClientHello, with padding and a PING.
for n, hello in enumerate(os.listdir(os.path.join(out, "fuzz-tls")) if os.path.isdir(os.path.join(out, "fuzz-tls")) else []):
    with open(os.path.join(out, "fuzz-tls", hello), "rb") as f:
        handshake = f.read()[:1200]
    frame = b"\x06\x00" + bytes([0x40 | (len(handshake) >> 8), len(handshake) & 0xFF]) + handshake
    seed("fuzz-quic", b"\x01\x00" + pieces([b"\x01" + frame + b"\x00" * 20]))
    if n > 20:
        break


def text_seeds(target, paths, choices):
    for path in paths:
        try:
            with open(path, "rb") as f:
                data = f.read(16 << 10)
        except OSError:
            continue
        for choice in choices:
            seed(target, bytes([choice]) + struct.pack(">H", len(data) // 2) + data)


logs = os.path.join(SAMPLE, "logs")
text_seeds("fuzz-zeek", [os.path.join(logs, "zeek", f) for f in sorted(os.listdir(os.path.join(logs, "zeek")))], [0, 2])
text_seeds("fuzz-zeek", [os.path.join(logs, "zeek-json", f) for f in sorted(os.listdir(os.path.join(logs, "zeek-json")))], [1, 2])
if realdata:
    for directory, _, files in os.walk(os.path.join(realdata, "zeek-logs")):
        text_seeds("fuzz-zeek", [os.path.join(directory, f) for f in sorted(files)][:40], [2])
web = []
for directory, _, files in os.walk(os.path.join(logs, "web")):
    web += [os.path.join(directory, f) for f in sorted(files)]
text_seeds("fuzz-access-log", web, [0, 5])
text_seeds("fuzz-access-log", [os.path.join(logs, "squid", "access.log")], [2, 5])
seed("fuzz-access-log", bytes([3, 0, 40]) + b"Dec  6 10:00:01 dnsmasq[123]: reply www.example.cn is 60.1.1.10\nDec  6 10:00:02 dnsmasq[123]: query[A] a.cn from 10.0.0.2\n")
seed("fuzz-access-log", bytes([4, 0, 30]) + b"ts,domain,server,port,client\n1765000000,www.example.cn,60.1.1.10,443,10.0.0.2\n")
if realdata:
    for directory, _, files in os.walk(os.path.join(realdata, "web-logs")):
        text_seeds("fuzz-access-log", [os.path.join(directory, f) for f in sorted(files)][:40], [5])

warc = os.path.join(SAMPLE, "homepages", "homepages.warc.gz")
with open(warc, "rb") as f:
    compressed = f.read()
seed("fuzz-warc", compressed[:MAX_SEED])
plain = gzip.decompress(compressed)
seed("fuzz-warc", plain[:MAX_SEED])
seed("fuzz-warc", b"filedesc://test.arc 0.0.0.0 20140216050221 text/plain 76\n1 0 Test\nURL IP-address Archive-date Content-type Archive-length\n\n")
if realdata:
    for directory, _, files in os.walk(os.path.join(realdata, "warc")):
        for name in sorted(files)[:40]:
            with open(os.path.join(directory, name), "rb") as f:
                seed("fuzz-warc", f.read(MAX_SEED))
# HTTP responses of the crawl, and their bodies.
for record in plain.split(b"WARC/1.")[1:]:
    header_end = record.find(b"\r\n\r\n")
    if header_end < 0 or b"WARC-Type: response" not in record[:header_end]:
        continue
    message = record[header_end + 4 :].rstrip(b"\r\n")
    seed("fuzz-homepage", b"\x01" + message)
    body_start = message.find(b"\r\n\r\n")
    if body_start > 0:
        seed("fuzz-homepage", b"\x00" + message[body_start + 4 :])
        text = message[body_start + 4 :]
        if b"ICP" in text:
            seed("fuzz-filing-number", text.decode("utf-8", "replace").encode("utf-8"))
for text in ["浙ICP备12345678号-1", "京ICP证030173号", "粤公网安备 44030502000001号", "沪ICP备2021012345号－15", "浙ＩＣＰ备１２３４５６７８号",
             "苏&#73;CP备12345678号", "浙B2-20080224", "ICP备案号：浙ICP备12345678号"]:
    seed("fuzz-filing-number", text.encode("utf-8"))
    seed("fuzz-homepage", b"\x00" + ("<html><body><footer>" + text + "</footer></body></html>").encode("gbk", "replace"))
    seed("fuzz-homepage", b"\x01" + b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\n\r\n" +
         gzip.compress(("<p>" + text + "</p>").encode("utf-8")))
    seed("fuzz-homepage", b"\x01" + b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: deflate\r\n\r\n" +
         (lambda body: b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")(zlib.compress(("<p>" + text + "</p>").encode("utf-8"))))

for fmt in ("xml", "csv", "jsonl"):
    directory = os.path.join(SAMPLE, "registry", fmt)
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), "rb") as f:
            data = f.read()
        seed("fuzz-registry-" + fmt, data[:MAX_SEED])
        seed("fuzz-registry-" + fmt, data[:4096])

# A bazs.cert as the filing system issues it (the number in GBK in a private extension).
def tlv(tag, content):
    return bytes([tag, len(content)]) + content if len(content) < 128 else bytes([tag, 0x81, len(content)]) + content
oid = bytes([0x06, 0x0A, 0x2A, 0x81, 0x1C, 0xB7, 0x81, 0x7C, 0x82, 0x36, 0x05, 0x01])
number = "浙ICP备12345678号-1".encode("gbk")
extensions = tlv(0x30, tlv(0x30, oid + tlv(0x01, b"\xff") + tlv(0x04, number)))
info = tlv(0x30, tlv(0x02, b"\x01") + tlv(0xA0, tlv(0x30, b"")) + extensions)
seed("fuzz-bazs-cert", tlv(0x30, info + tlv(0x30, bytes([0x06, 0x01, 0x2A])) + tlv(0x03, b"\x00\x01")))

# h2c and DNS over HTTP: HPACK blocks (RFC 7541 C.4 requests, Huffman and the dynamic
# table), a chunked DNS response, and an h2c exchange (client frames, server frames).
seed("fuzz-http2", b"\x00" + pieces([bytes.fromhex(h) for h in (
    "828684418cf1e3c2e5f23a6ba0ab90f4ff", "828684be5886a8eb10649cbf", "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf")]))
answer = bytes.fromhex("123481800001000100000000") + b"\x03www\x07example\x02cn\x00\x00\x01\x00\x01" + bytes.fromhex("c00c000100010000012c000470011009")
seed("fuzz-http2", b"\x01HTTP/1.1 200 OK\r\nContent-Type: application/dns-message\r\nTransfer-Encoding: chunked\r\n\r\n"
     + b"%x\r\n" % len(answer) + answer + b"\r\n0\r\n\r\n")


def h2_frame(kind, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def literal(name, value):
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


request = literal(b":method", b"GET") + literal(b":path", b"/dns-query") + literal(b":authority", b"doh.example.cn") + \
    literal(b"accept", b"application/dns-message")
settings = h2_frame(4, 0, 0, b"")
seed("fuzz-http2", b"\x02" + pieces([settings + h2_frame(1, 5, 1, request), settings + h2_frame(1, 4, 1, b"\x88") + h2_frame(0, 1, 1, answer)]))
seed("fuzz-http2", b"\x02" + pieces([settings + h2_frame(1, 1, 1, request[:20]) + h2_frame(9, 4, 1, request[20:]) + h2_frame(1, 5, 3, bytes.fromhex("828684be"))]))

# The check service: batch bodies (hosts, addresses, pairs, JSON objects; the first byte picks
# a batch) and query strings (first byte 0) as the sample's hosts give them.
service_hosts = []
truth = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Datasets", "sample", "truth", "findings.jsonl")
if os.path.exists(truth):
    for line in open(truth, encoding="utf-8"):
        finding = json.loads(line)
        service_hosts.append((finding.get("host") or "", finding.get("address") or ""))
service_hosts.sort(key=lambda pair: pair[0] == "")
for k in range(0, min(len(service_hosts), 240), 6):
    group = service_hosts[k:k + 6]
    body = "\n".join(
        [h for h, _ in group[:2]] + [a for _, a in group[2:3]] + ["%s %s" % group[3]] if len(group) > 3 else [h for h, _ in group]
    )
    body += "\n" + "\n".join(json.dumps({"host": h, "address": a}, ensure_ascii=k % 12 == 0) for h, a in group[4:]) + "\n"
    seed("fuzz-service", b"\x01" + body.encode("utf-8"))
    host = group[0][0]
    seed("fuzz-service", b"\x00" + ("domain=" + urllib.parse.quote(host.encode("gbk", "replace"))).encode("ascii"))
seed("fuzz-service", b"\x00domain=%E4%BE%8B%E5%AD%90.%E4%B8%AD%E5%9B%BD&x=1")
seed("fuzz-service", b"\x02\r\n\n  \t\n2001:db8::1\n{\"host\":\"a\\u4e2d.cn\"}\n")

# The snapshot and the partial scan are made by `beian` (Benchmarks/fuzz.sh) into OUT/made/.
made = os.path.join(out, "made")
if os.path.isdir(made):
    for name in sorted(os.listdir(made)):
        with open(os.path.join(made, name), "rb") as f:
            data = f.read()
        if name.endswith(".beianidx"):
            seed("fuzz-snapshot", b"\x00" + data)
            seed("fuzz-snapshot", b"\x01" + data)
        else:
            seed("fuzz-partial", data)

for target in sorted(counts):
    print("%s: %d seeds" % (target, counts[target]))
