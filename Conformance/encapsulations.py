#!/usr/bin/env python3
"""beian extract against tshark on captures of every encapsulation the decoder reads.

Writes one capture per encapsulation (tunnels with each inner type their header can name,
Cisco metadata, NSH, 802.3 with LLC/SNAP, 802.11 bare and behind radiotap, PPI, Prism
and AVS headers, CAPWAP), each carrying a TLS ClientHello, an HTTP request and a DNS answer, over
IPv4 and IPv6. tshark 4.0 reads them first and its answers are the reference; then
`Conformance/extract-realdata.py` compares `beian extract` with them item by item.

    python3 Conformance/encapsulations.py BEIAN [--report FILE]

The captures are built here byte by byte (no packet library), so that what they hold is
written down beside the test; tshark, not this script, says what is in them.
"""
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
extract = __import__("extract-realdata")

CLIENT4, SERVER4 = bytes([183, 128, 0, 7]), bytes([112, 1, 16, 9])
CLIENT6 = bytes.fromhex("240e00000000000000000000000000a7")
SERVER6 = bytes.fromhex("240e00010000000000000000000000b9")


def be16(v):
    return struct.pack(">H", v)


def be32(v):
    return struct.pack(">I", v)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(">%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def ipv4(proto, payload, source=CLIENT4, destination=SERVER4):
    header = bytes([0x45, 0]) + be16(20 + len(payload)) + be16(1) + be16(0x4000) + bytes([64, proto, 0, 0]) + source + destination
    return header[:10] + be16(checksum(header)) + header[12:] + payload


def ipv6(proto, payload, source=CLIENT6, destination=SERVER6):
    return bytes([0x60, 0, 0, 0]) + be16(len(payload)) + bytes([proto, 64]) + source + destination + payload


def tcp(sport, dport, seq, flags, payload=b""):
    return be16(sport) + be16(dport) + be32(seq) + be32(0) + bytes([0x50, flags]) + be16(65535) + be16(0) + be16(0) + payload


def udp(sport, dport, payload):
    return be16(sport) + be16(dport) + be16(8 + len(payload)) + be16(0) + payload


def client_hello(host):
    name = host.encode()
    entry = b"\0" + be16(len(name)) + name
    extensions = be16(0) + be16(len(entry) + 2) + be16(len(entry)) + entry
    extensions += be16(0x000A) + be16(4) + be16(2) + be16(0x001D)  # supported groups: x25519
    body = b"\x03\x03" + bytes(range(32)) + b"\0" + be16(2) + b"\x13\x01" + b"\x01\x00" + be16(len(extensions)) + extensions
    message = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + be16(len(message)) + message


def dns_name(text):
    return b"".join(bytes([len(label)]) + label.encode() for label in text.split(".")) + b"\0"


def dns_answer(host, address):
    rtype = 1 if len(address) == 4 else 28
    question = dns_name(host) + be16(rtype) + be16(1)
    answer = b"\xc0\x0c" + be16(rtype) + be16(1) + be32(300) + be16(len(address)) + address
    return be16(0x1234) + be16(0x8180) + be16(1) + be16(1) + be16(0) + be16(0) + question + answer


def inner_packets(tag, six):
    """IP packets: a TLS hello, an HTTP request, a DNS answer (each host names the capture)."""
    ip = ipv6 if six else ipv4
    server, client = (SERVER6, CLIENT6) if six else (SERVER4, CLIENT4)
    hello = client_hello("tls.%s.example.cn" % tag)
    request = ("GET / HTTP/1.1\r\nHost: http.%s.example.cn\r\nUser-Agent: t\r\n\r\n" % tag).encode()
    return [
        ip(6, tcp(40001, 443, 1000, 0x02)),
        ip(6, tcp(40001, 443, 1001, 0x18, hello)),
        ip(6, tcp(40002, 80, 5000, 0x02)),
        ip(6, tcp(40002, 80, 5001, 0x18, request)),
        ip(17, udp(53, 40003, dns_answer("dns.%s.example.cn" % tag, server)), source=server, destination=client),
    ]


def ethernet(payload, ethertype):
    return bytes.fromhex("020000000001020000000002") + be16(ethertype) + payload


def ether_ip(packet):
    return ethernet(packet, 0x86DD if packet[0] >> 4 == 6 else 0x0800)


def ethertype_of(packet):
    return 0x86DD if packet[0] >> 4 == 6 else 0x0800


OUTER4A, OUTER4B = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])


def outer_udp(dport, payload):
    return ether_ip(ipv4(17, udp(50000, dport, payload), OUTER4A, OUTER4B))


def outer_gre(header, payload):
    return ether_ip(ipv4(47, header + payload, OUTER4A, OUTER4B))


def snap(ethertype):
    return b"\xaa\xaa\x03\x00\x00\x00" + be16(ethertype)


def dot11_data(body, qos=False, four=False, amsdu=False, order=False):
    """An 802.11 data frame from a station to its access point (or between two bridges)."""
    subtype = 8 if qos else 0
    control = bytes([(subtype << 4) | 0x08, (0x03 if four else 0x01) | (0x80 if order else 0)])
    header = control + be16(0) + bytes.fromhex("0a0000000001") + bytes.fromhex("0a0000000002") + bytes.fromhex("0a0000000003") + be16(0x10)
    if four:
        header += bytes.fromhex("0a0000000004")
    if qos:
        header += bytes([0x80 if amsdu else 0x00, 0])
        if order:
            header += be32(0)
    return header + body


def dot11_ip(packet, **options):
    return dot11_data(snap(ethertype_of(packet)) + packet, **options)


def amsdu(packets):
    frames = b""
    for index, packet in enumerate(packets):
        body = snap(ethertype_of(packet)) + packet
        sub = bytes.fromhex("0a0000000003") + bytes.fromhex("0a0000000002") + be16(len(body)) + body
        if index < len(packets) - 1:
            sub += b"\0" * (-len(sub) % 4)
        frames += sub
    return dot11_data(frames, qos=True, amsdu=True)


def radiotap(frame, fcs=False, tsft=True):
    present = (1 if tsft else 0) | 0x02 | 0x04  # TSFT, Flags, Rate
    fields = b""
    if tsft:
        fields += b"\0" * 8  # aligned at 8: the header's 8 bytes come first
    fields += bytes([0x10 if fcs else 0x00, 0x02])  # flags, rate
    header = bytes([0, 0]) + struct.pack("<HI", 8 + len(fields), present) + fields
    trailer = struct.pack("<I", 0xDEADBEEF) if fcs else b""
    return header + frame + trailer


def ppi(frame, dlt=105):
    return bytes([0, 0]) + struct.pack("<HI", 8, dlt) + frame


def prism(frame):
    header = struct.pack("<II", 0x44, 144) + b"wlan0".ljust(16, b"\0") + b"\0" * (144 - 24)
    return header + frame


def avs(frame):
    return be32(0x80211001) + be32(64) + b"\0" * 56 + frame


def capwap(frame, native):
    # Version 0, type 0; HLEN 2 words (8 bytes), RID 0, WBID 1, T; no F, K. Native 802.11
    # frames with their frame control bytes swapped, as Cisco access points send them (and
    # as tshark reads CAPWAP by default).
    if native:
        frame = frame[1:2] + frame[0:1] + frame[2:]
    hlen = 2
    byte1 = hlen << 3
    byte2 = (1 << 1) | (1 if native else 0)
    return bytes([0, byte1, byte2, 0]) + be32(0) + frame


def captures():
    """(name, link type, frames) for every encapsulation, over IPv4 and IPv6."""
    out = []
    for six in (False, True):
        family = "v6" if six else "v4"

        def add(name, link, wrap):
            tag = "%s-%s" % (name, family)
            out.append(("%s-%s" % (name, family), link, [wrap(p) for p in inner_packets(tag, six)]))

        add("gre-ip", 1, lambda p: outer_gre(be16(0) + be16(ethertype_of(p)), p))
        add("gre-key-seq-ip", 1, lambda p: outer_gre(be16(0x3000) + be16(ethertype_of(p)) + be32(7) + be32(1), p))
        add("gre-ethernet", 1, lambda p: outer_gre(be16(0) + be16(0x6558), ether_ip(p)))
        add("gre-erspan2", 1, lambda p: outer_gre(be16(0x1000) + be16(0x88BE) + be32(1), be32(0x10000064) + be32(0) + ether_ip(p)))
        add("gre-erspan3", 1, lambda p: outer_gre(be16(0x1000) + be16(0x22EB) + be32(1), be32(0x20000064) + be32(0) + be32(0) + ether_ip(p)))
        add("gre-erspan3-platform", 1, lambda p: outer_gre(be16(0x1000) + be16(0x22EB) + be32(1),
                                                           be32(0x20000064) + be32(0) + be32(1) + b"\0" * 8 + ether_ip(p)))
        add("gre-pptp", 1, lambda p: outer_gre(be16(0x3001) + be16(0x880B) + be16(len(p) + 4) + be16(9) + be32(1),
                                               b"\xff\x03" + be16(0x57 if six else 0x21) + p))
        add("gre-pptp-compressed", 1, lambda p: outer_gre(be16(0x2081) + be16(0x880B) + be16(len(p) + 1) + be16(9) + be32(1),
                                                          bytes([0x57 if six else 0x21]) + p))
        add("vxlan", 1, lambda p: outer_udp(4789, bytes([0x08, 0, 0, 0]) + be32(0x00006400) + ether_ip(p)))
        add("vxlan-gpe-ip", 1, lambda p: outer_udp(4790, bytes([0x0C, 0, 0, 2 if six else 1]) + be32(0x00006400) + p))
        add("vxlan-gpe-ethernet", 1, lambda p: outer_udp(4790, bytes([0x0C, 0, 0, 3]) + be32(0x00006400) + ether_ip(p)))
        add("geneve-ethernet", 1, lambda p: outer_udp(6081, bytes([0, 0]) + be16(0x6558) + be32(0x00006400) + ether_ip(p)))
        add("geneve-ip", 1, lambda p: outer_udp(6081, bytes([0, 0]) + be16(ethertype_of(p)) + be32(0x00006400) + p))
        add("geneve-options-ip", 1, lambda p: outer_udp(6081, bytes([2, 0]) + be16(ethertype_of(p)) + be32(0x00006400)
                                                        + be16(0x0102) + bytes([0x03, 1]) + be32(0xAABBCCDD) + p))
        add("nsh-ip", 1, lambda p: ethernet(bytes([0x0F, 0xC2, 0x02, 2 if six else 1]) + be32(0x00010AFF) + p, 0x894F))
        add("nsh-ethernet", 1, lambda p: ethernet(bytes([0x0F, 0xC6, 0x01, 3]) + be32(0x00010AFF) + b"\0" * 16 + ether_ip(p), 0x894F))
        add("cisco-metadata", 1, lambda p: ethernet(bytes([1, 1]) + be16(0x0001) + be16(0x0010) + be16(ethertype_of(p)) + p, 0x8909))
        add("ieee8023-snap", 1, lambda p: ethernet(snap(ethertype_of(p)) + p, len(p) + 8))
        add("vlan-ieee8023-snap", 1, lambda p: ethernet(be16(100) + be16(len(p) + 8) + snap(ethertype_of(p)) + p, 0x8100))
        add("ieee80211", 105, lambda p: dot11_ip(p))
        add("ieee80211-qos-htc", 105, lambda p: dot11_ip(p, qos=True, order=True))
        add("ieee80211-four-addresses", 105, lambda p: dot11_ip(p, qos=True, four=True))
        add("radiotap", 127, lambda p: radiotap(dot11_ip(p, qos=True)))
        add("radiotap-fcs", 127, lambda p: radiotap(dot11_ip(p), fcs=True))
        add("radiotap-no-tsft", 127, lambda p: radiotap(dot11_ip(p), tsft=False))
        add("radiotap-amsdu", 127, lambda p: radiotap(amsdu([p, ipv4(17, udp(1, 2, b"pad"))])))
        add("ppi", 192, lambda p: ppi(dot11_ip(p)))
        add("prism", 119, lambda p: prism(dot11_ip(p)))
        add("avs", 163, lambda p: avs(dot11_ip(p)))
        add("capwap-ieee80211", 1, lambda p: outer_udp(5247, capwap(dot11_ip(p), native=True)))
        add("capwap-ethernet", 1, lambda p: outer_udp(5247, capwap(ether_ip(p), native=False)))
    return out


def write_pcap(path, link, frames):
    with open(path, "wb") as handle:
        handle.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, link))
        for index, frame in enumerate(frames):
            handle.write(struct.pack("<IIII", 1772380800 + index, 0, len(frame), len(frame)))
            handle.write(frame)


FIELDS = {
    "tls_clienthello": ("tls.handshake.type == 1 && tcp", ["tls.handshake.extensions_server_name", "tcp.dstport"]),
    "http_request": ("http.request", ["http.host", "tcp.dstport"]),
    "dns": ("dns", ["dns.flags.response", "dns.qry.name", "dns.a", "dns.aaaa", "udp.dstport"]),
}


def tshark_reference(pcap, base):
    counts = {}
    for kind, (display, fields) in FIELDS.items():
        columns = ["frame.number", "ip.dst", "ipv6.dst"] + fields
        command = ["tshark", "-r", pcap, "-Y", display, "-T", "fields", "-E", "header=y", "-E", "separator=/t",
                   "-E", "occurrence=a", "-E", "aggregator=,"]
        for column in columns:
            command += ["-e", column]
        result = subprocess.run(command, capture_output=True, text=True)
        with open("%s.%s.tsv" % (base, kind), "w") as handle:
            handle.write(result.stdout)
        counts[kind] = max(0, len([l for l in result.stdout.splitlines() if l]) - 1)
    return counts


def main():
    beian = sys.argv[1]
    report = sys.argv[sys.argv.index("--report") + 1] if "--report" in sys.argv else None
    work = tempfile.mkdtemp(prefix="beian-encapsulations-")
    folder = os.path.join(work, "encapsulations")
    reference = os.path.join(work, "_tshark_reference", "encapsulations")
    os.makedirs(folder)
    os.makedirs(reference)
    index = ["capture\tpackets\tencapsulation\ttls_clienthellos_tcp\tquic_clienthellos\thttp_requests\tdns_messages"]
    empty = []
    for name, link, frames in captures():
        pcap = os.path.join(folder, name + ".pcap")
        write_pcap(pcap, link, frames)
        counts = tshark_reference(pcap, os.path.join(reference, name + ".pcap"))
        if counts["tls_clienthello"] != 1 or counts["http_request"] != 1 or counts["dns"] != 1:
            empty.append("%s (tshark: %d hellos, %d requests, %d DNS messages)" % (
                name, counts["tls_clienthello"], counts["http_request"], counts["dns"]))
        index.append("encapsulations/%s.pcap\t%d\tlink %d\t%d\t0\t%d\t%d" % (
            name, len(frames), link, counts["tls_clienthello"], counts["http_request"], counts["dns"]))
    with open(os.path.join(work, "_tshark_reference", "INDEX.tsv"), "w") as handle:
        handle.write("\n".join(index) + "\n")
    if empty:
        print("tshark did not read every item of: " + "; ".join(empty))
    title = "beian extract against tshark on a capture of every encapsulation"
    sys.argv = [sys.argv[0], beian, work, "--min-ratio", "1.0", "--title", title, "Conformance/encapsulations.py"]
    sys.argv += ["--report", report] if report else []
    try:
        extract.main()
    finally:
        subprocess.run(["rm", "-rf", work])
    if report:
        with open(report, "a") as handle:
            handle.write("\n## Captures\n\nEach holds a TLS ClientHello, an HTTP request and a DNS answer (and the two SYNs), "
                         "over IPv4 (`-v4`) and IPv6 (`-v6`) inside the encapsulation.\n\n| capture | link type | packets |\n|---|---|---|\n")
            for name, link, frames in captures():
                handle.write("| %s | %d | %d |\n" % (name, link, len(frames)))
    if empty:
        sys.exit(1)


if __name__ == "__main__":
    main()
