#!/usr/bin/env python3
"""beian extract against tshark's answers on the real captures of ../shared/realdata/pcap.

    Conformance/extract-realdata.py BEIAN REALDATA_PCAP_DIR [--report FILE] [--min-ratio 0.99]

For every capture listed in _tshark_reference/INDEX.tsv, runs `beian extract` and compares
its observations with the items tshark 4.0 extracted:
  - TLS ClientHello server names over TCP: (frame, name, server port) — and the server
    address when the capture has a single IP family at that frame;
  - QUIC Initial server names: the same over UDP;
  - HTTP request hosts over TCP (tshark also dissects SSDP/HTTP over UDP: those are not web
    requests and are left out): (frame, host without port, server port);
  - DNS answers: (frame, address) for every A/AAAA address of a response.
Every capture must be read without a crash or a hang (a timeout per capture). Items tshark
has that beian lacks, and the reverse, are listed with a cause: the known causes are in
KNOWN_CAUSES (keyed by capture and item), anything else is "unexplained" and fails the run.
"""
import json
import os
import subprocess
import sys
from collections import defaultdict

TIMEOUT = 60

# Disagreements understood, by (capture, kind): why beian differs from tshark. Reviewed by
# hand; a new disagreement is unexplained until someone looks at it and adds it here.
KNOWN_CAUSES = {
    ("arkime/v6.pcap", "dns", 137): "a DNS response quoted inside an ICMPv6 error message: tshark decodes the quote, beian reads only traffic",
    ("ndpi/dns-invalid-chars.pcap", "dns"): "the name holds control characters (\\001\\002\\003): not a host name, counted as such and not reported",
    ("ndpi/quic-29.pcap", "quic"): "after the server's Initial the client sends its ClientHello a third time on the same connection: beian reads one hello per connection",
    ("tcpdump/quic_vn.pcap", "quic"): "an Initial of the reserved version 0x1a2a3a4a (forcing version negotiation): beian decrypts it with the draft-29 salt and reads the client's server name, tshark 4.0 does not try",
    ("zeek/vlan-collisions.pcap", "http"): "the same addresses and ports on two VLANs are two connections (as Zeek sees them); tshark keys TCP conversations without the VLAN and takes the second request for a retransmission",
    ("arkime/dns-https.pcap", "dns"): "addresses from the ipv4hint/ipv6hint of an HTTPS record: beian binds them to the name, tshark lists them as SVCB parameters, not in dns.a/dns.aaaa",
    ("zeek/dns-https.pcap", "dns"): "addresses from the ipv4hint/ipv6hint of an HTTPS record (see arkime/dns-https.pcap)",
    ("zeek/dns/ech.pcap", "dns"): "addresses from the ipv4hint/ipv6hint of HTTPS records (see arkime/dns-https.pcap)",
}


def rows(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8", errors="replace") as handle:
        lines = handle.read().split("\n")
    header = lines[0].split("\t")
    out = []
    for line in lines[1:]:
        if not line:
            continue
        fields = line.split("\t")
        fields += [""] * (len(header) - len(fields))
        out.append(dict(zip(header, fields)))
    return out


def innermost(value):
    return value.split(",")[-1] if value else ""


def server(row):
    """The destination address when unambiguous (one family), else None."""
    v4, v6 = innermost(row.get("ip.dst", "")), innermost(row.get("ipv6.dst", ""))
    if v4 and v6:
        return None
    return v4 or v6 or None


def host_of(value):
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    if value.count(":") == 1:
        value = value.split(":")[0]
    return value.rstrip(".")


def expected_items(reference, capture):
    base = os.path.join(reference, capture)
    items = []
    for row in rows(base + ".tls_clienthello.tsv"):
        name = row.get("tls.handshake.extensions_server_name", "")
        for sni in [s for s in name.split(",") if s]:
            items.append(("tls", int(row["frame.number"]), host_of(sni), row.get("tcp.dstport", "").split(",")[-1], server(row)))
    for row in rows(base + ".quic_clienthello.tsv"):
        name = row.get("tls.handshake.extensions_server_name", "")
        for sni in [s for s in name.split(",") if s]:
            items.append(("quic", int(row["frame.number"]), host_of(sni), row.get("udp.dstport", "").split(",")[-1], server(row)))
    for row in rows(base + ".http_request.tsv"):
        if not row.get("tcp.dstport"):
            continue  # HTTP over UDP (SSDP): not a web request
        hosts = [h for h in row.get("http.host", "").split(",") if h]
        for host in hosts:
            items.append(("http", int(row["frame.number"]), host_of(host), row["tcp.dstport"].split(",")[-1], server(row)))
    for row in rows(base + ".dns.tsv"):
        if row.get("dns.flags.response", "").split(",")[0] != "1":
            continue
        names = [n for n in row.get("dns.qry.name", "").split(",") if n]
        addresses = [a for a in (row.get("dns.a", "") + "," + row.get("dns.aaaa", "")).split(",") if a]
        # tshark's flat dns.a/dns.aaaa lists do not say which name an address belongs to
        # (glue of referrals, additional records): items are (frame, address); beian binds
        # each address to its owner and the CNAME chain above it, which the generated captures
        # check exactly.
        for name in names[:1]:
            for address in addresses:
                items.append(("dns", int(row["frame.number"]), name.lower().rstrip("."), "*", address))
    return items


def compare(items, observations):
    """Matches tshark's items with observations one to one. tshark reports an HTTP request in
    the frame where its body ends, beian in the frame where its head ends: an HTTP item not
    matched in its own frame takes the closest earlier unmatched observation of the same
    host, port and address."""
    by_frame = defaultdict(list)
    for index, o in enumerate(observations):
        by_frame[o.get("packet")].append(index)
    used = set()
    found, missing = [], []

    def fits(o, kind, host, port, address):
        if o["protocol"] != kind:
            return False
        if kind == "dns":
            return o["address"] == address
        return o["host"] == host and str(o["port"]) == port and (address is None or o["address"] == address)

    for item in items:
        kind, frame, host, port, address = item
        match = None
        for index in by_frame.get(frame, []):
            o = observations[index]
            if fits(o, kind, host, port, address) and (kind == "dns" or index not in used):
                match = index
                break
        if match is not None and kind == "dns" and port != "*":
            if not any(observations[i]["host"] == host and observations[i]["protocol"] == "dns" for i in by_frame.get(frame, [])):
                match = None
        if match is None and kind == "http":
            earlier = [i for i, o in enumerate(observations)
                       if i not in used and o.get("packet", 0) < frame and fits(o, kind, host, port, address)]
            if earlier:
                match = max(earlier, key=lambda i: observations[i]["packet"])
        if match is None:
            missing.append(item)
        else:
            used.add(match)
            found.append(item)
    dns_frames = {i[1] for i in items if i[0] == "dns"}
    extra = []
    for index, o in enumerate(observations):
        if index in used:
            continue
        if o["protocol"] == "dns":
            if o.get("packet") not in dns_frames:
                extra.append(o)
        else:
            extra.append(o)
    return found, missing, extra


def main():
    beian, pcaps = sys.argv[1], sys.argv[2]
    report_path = None
    minimum = 0.99
    title = "beian extract against tshark on the real captures"
    generator = "Conformance/extract-realdata.py"
    args = sys.argv[3:]
    while args:
        if args[0] == "--report":
            report_path = args[1]
            args = args[2:]
        elif args[0] == "--title":
            title, generator = args[1], args[2]
            args = args[3:]
        elif args[0] == "--min-ratio":
            minimum = float(args[1])
            args = args[2:]
        else:
            sys.exit("unknown argument " + args[0])
    reference = os.path.join(pcaps, "_tshark_reference")
    captures = [r["capture"] for r in rows(os.path.join(reference, "INDEX.tsv"))]
    totals = defaultdict(lambda: [0, 0])
    lines = []
    unexplained = 0
    crashes = []
    for capture in captures:
        path = os.path.join(pcaps, capture)
        try:
            run = subprocess.run([beian, "extract", "--threads", "1", path], capture_output=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            crashes.append((capture, "timeout"))
            continue
        if run.returncode not in (0, 1) or run.returncode < 0:
            crashes.append((capture, "exit status %d: %s" % (run.returncode, run.stderr.decode(errors="replace")[-300:])))
            continue
        observations = [json.loads(line) for line in run.stdout.decode().splitlines() if line]
        items = expected_items(reference, capture)
        found, missing, extra = compare(items, observations)
        for item in items:
            totals[item[0]][1] += 1
        for item in found:
            totals[item[0]][0] += 1
        for item in missing:
            cause = KNOWN_CAUSES.get((capture, item[0], item[1])) or KNOWN_CAUSES.get((capture, item[0]))
            if cause is None:
                unexplained += 1
                cause = "UNEXPLAINED"
            lines.append("| %s | %s | frame %d | %s | tshark only | %s |" % (capture, item[0], item[1], item[2], cause))
        for o in extra:
            cause = KNOWN_CAUSES.get((capture, o["protocol"], o.get("packet"))) or KNOWN_CAUSES.get((capture, o["protocol"]))
            if cause is None:
                unexplained += 1
                cause = "UNEXPLAINED"
            lines.append("| %s | %s | frame %s | %s | beian only | %s |" % (capture, o["protocol"], o.get("packet"), o["host"], cause))
    all_found = sum(v[0] for v in totals.values())
    all_items = sum(v[1] for v in totals.values())
    ratio = all_found / all_items if all_items else 1.0
    out = ["# " + title, "",
           "Generated by `%s`; do not edit by hand." % generator, "",
           "%d captures, %d read without a crash or hang." % (len(captures), len(captures) - len(crashes)), "",
           "| items | tshark | found by beian | ratio |", "|---|---|---|---|"]
    for kind in ("tls", "quic", "http", "dns"):
        found, total = totals[kind]
        out.append("| %s | %d | %d | %.4f |" % (kind, total, found, found / total if total else 1.0))
    out.append("| all | %d | %d | %.4f |" % (all_items, all_found, ratio))
    out += ["", "## Disagreements", "", "| capture | kind | where | host | side | cause |", "|---|---|---|---|---|---|"] + lines
    if crashes:
        out += ["", "## Captures not read", ""] + ["- %s: %s" % c for c in crashes]
    text = "\n".join(out) + "\n"
    if report_path:
        with open(report_path, "w") as handle:
            handle.write(text)
    print("\n".join(out[:14]))
    print("disagreements: %d (%d unexplained), captures not read: %d" % (len(lines), unexplained, len(crashes)))
    if crashes or ratio < minimum:
        sys.exit(1)


if __name__ == "__main__":
    main()
