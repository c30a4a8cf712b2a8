#!/usr/bin/env python3
"""Proves a generated world is what its truth says, with outside tools only.

  Conformance/generated-world.py WORLD_DIR

- tshark reads every capture; the observations it shows (TLS and QUIC SNI, HTTP Host and
  absolute-form or CONNECT targets, DNS answers with their CNAME chains) must equal
  truth/observations.jsonl for that capture exactly: packet number, time, protocol, host,
  server address and port, ECH and proxy marks.

- mmdblookup answers every network of truth/geo.tsv from geo/country.mmdb with the country,
  ASN and organisation the truth gives.

- warcio checks every record digest of homepages/homepages.warc.gz and reads every page; each
  page decodes in the charset the truth gives (after warcio undoes chunking and gzip) and
  holds the footer the truth describes; openssl parses every /cert/bazs.cert and its private
  extension (1.2.156.901372.310.5.1) carries, in GBK, the number the truth gives.

Exit status 1 on any difference, with the differences listed.
"""
import collections
import json
import os
import subprocess
import sys

FIELDS = [
    "frame.number", "frame.time_epoch", "ip.dst", "ipv6.dst", "tcp.dstport", "udp.dstport",
    "tls.handshake.type", "tls.handshake.extensions_server_name", "tls.handshake.extension.type",
    "quic.long.packet_type", "http.request.method", "http.request.uri", "http.host",
    "dns.flags.response", "dns.qry.name", "dns.cname", "dns.a", "dns.aaaa", "ip.src", "ipv6.src",
]


def tshark_rows(path):
    # QUIC on UDP 443 whatever the client's port (tshark would otherwise decode a client port
    # that some protocol registered, EtherCAT's 34980 say, as that protocol).
    command = ["tshark", "-r", path, "-n", "-o", "tcp.reassemble_out_of_order:TRUE", "-d", "udp.port==443,quic", "-T", "fields", "-E", "separator=\t",
               "-E", "occurrence=a", "-E", "aggregator=|"]
    for field in FIELDS:
        command += ["-e", field]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    for line in output.splitlines():
        values = line.split("\t")
        yield {name: (values[i].split("|") if i < len(values) and values[i] else []) for i, name in enumerate(FIELDS)}


def last(values):
    return values[-1] if values else ""


def micros(epoch):
    seconds, _, fraction = epoch.partition(".")
    return int(seconds) * 1_000_000 + int((fraction + "000000")[:6])


def observations(path):
    """The observations tshark sees, as tuples comparable with the truth's."""
    seen = []
    for row in tshark_rows(path):
        number = int(row["frame.number"][0])
        time = micros(row["frame.time_epoch"][0])
        # The innermost IP header is the one that matters (GTP-U tunnels carry two; their
        # outer header is IPv4 in generated worlds, so an IPv6 header is always the inner one).
        destination = last(row["ipv6.dst"]) if row["ipv6.dst"] else last(row["ip.dst"])
        tcp_port = last(row["tcp.dstport"])
        udp_port = last(row["udp.dstport"])
        if row["quic.long.packet_type"] and "0" in row["quic.long.packet_type"] and row["tls.handshake.extensions_server_name"]:
            seen.append((number, time, "quic", row["tls.handshake.extensions_server_name"][0], destination, int(udp_port), "udp", False, False))
            continue
        if "1" in row["tls.handshake.type"] and row["tls.handshake.extensions_server_name"]:
            ech = "65037" in row["tls.handshake.extension.type"]
            seen.append((number, time, "tls", row["tls.handshake.extensions_server_name"][0], destination, int(tcp_port), "tcp", ech, False))
            continue
        for index, method in enumerate(row["http.request.method"]):
            uri = row["http.request.uri"][index] if index < len(row["http.request.uri"]) else ""
            host = row["http.host"][index] if index < len(row["http.host"]) else ""
            proxy = method == "CONNECT" or uri.startswith("http://")
            name = host.rsplit(":", 1)[0] if ":" in host else host
            seen.append((number, time, "http", name, destination, int(tcp_port), "tcp", False, proxy))
        if row["dns.flags.response"] and row["dns.flags.response"][0] in ("1", "True"):
            names = row["dns.qry.name"][:1] + row["dns.cname"]
            answers = row["dns.a"] + row["dns.aaaa"]
            transport = "tcp" if tcp_port else "udp"
            for name in names:
                for answer in answers:
                    seen.append((number, time, "dns", name, answer, 0, transport, False, False))
    return seen


def truth(world, relative):
    expected = []
    with open(os.path.join(world, "truth", "observations.jsonl"), encoding="utf-8") as handle:
        for line in handle:
            o = json.loads(line)
            if o["file"] != relative:
                continue
            expected.append((o["packet"], micros_from_iso(o["time"]), o["protocol"], o["host"], o["address"], o["port"], o["transport"],
                             o.get("ech", False), o.get("proxy", False)))
    return expected


def micros_from_iso(text):
    # 2026-03-01T23:55:00.123456+08:00
    import datetime
    moment = datetime.datetime.fromisoformat(text)
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    delta = moment - epoch
    return delta.days * 86_400_000_000 + delta.seconds * 1_000_000 + delta.microseconds


def main():
    world = sys.argv[1]
    failed = False
    for relative in ["traffic/access-link.pcap", "traffic/mobile-core.pcapng"]:
        path = os.path.join(world, relative)
        ours = collections.Counter(truth(world, relative))
        theirs = collections.Counter(observations(path))
        missing = ours - theirs
        extra = theirs - ours
        status = "identical" if not missing and not extra else "DIFFERENT"
        print(f"{relative}: truth {sum(ours.values())} observations, tshark {sum(theirs.values())}: {status}")
        for item in sorted(missing)[:20]:
            print(f"  in the truth, not seen by tshark: {item}")
        for item in sorted(extra)[:20]:
            print(f"  seen by tshark, not in the truth: {item}")
        failed = failed or bool(missing or extra)
    failed = check_geo(world) or failed
    failed = check_homepages(world) or failed
    sys.exit(1 if failed else 0)


def check_homepages(world):
    import re
    import tempfile
    from warcio.archiveiterator import ArchiveIterator
    path = os.path.join(world, "homepages", "homepages.warc.gz")
    problems = []
    check = subprocess.run(["warcio", "check", path], capture_output=True, text=True)
    if check.returncode != 0:
        problems.append(f"  warcio check: {check.stdout.strip()} {check.stderr.strip()}")
    pages = {}
    with open(os.path.join(world, "truth", "homepages.jsonl"), encoding="utf-8") as handle:
        for line in handle:
            page = json.loads(line)
            pages[page["url"]] = page
    responses = {}
    with open(path, "rb") as handle:
        for record in ArchiveIterator(handle):
            if record.rec_type == "response":
                responses[record.rec_headers.get_header("WARC-Target-URI")] = record.content_stream().read()
    for url, page in pages.items():
        body = responses.get(url)
        if body is None:
            problems.append(f"  {url}: no response record")
            continue
        try:
            text = body.decode("gbk" if page["charset"] == "gbk" else "utf-8")
        except UnicodeDecodeError as error:
            problems.append(f"  {url}: does not decode as {page['charset']}: {error}")
            continue
        # The visible text, crudely: no comments, scripts or tags, entities decoded.
        import html
        visible = re.sub(r"<!--.*?-->|<script.*?</script>|<style.*?</style>", "", text, flags=re.S)
        visible = html.unescape(re.sub(r"<[^>]+>", "", visible))
        for shown in page["numbers"]:
            where = visible if shown.get("visible", False) else text
            if shown["verbatim"] not in where:
                problems.append(f"  {url}: {shown['verbatim']!r} not found {'in the visible text' if shown['visible'] else 'in the source'}")
            elif not shown.get("visible", False) and shown["verbatim"] in visible:
                problems.append(f"  {url}: {shown['verbatim']!r} is visible but the truth says it is not")
        if page.get("cert_number"):
            certificate = responses.get(url + "cert/bazs.cert")
            if certificate is None:
                problems.append(f"  {url}: no bazs.cert response")
                continue
            with tempfile.NamedTemporaryFile(suffix=".der") as der:
                der.write(certificate)
                der.flush()
                parsed = subprocess.run(["openssl", "asn1parse", "-inform", "DER", "-in", der.name], capture_output=True, text=True).stdout
            match = re.search(r":1\.2\.156\.901372\.310\.5\.1\s*\n.*?OCTET STRING\s+\[HEX DUMP\]:([0-9A-F]+)", parsed)
            number = bytes.fromhex(match.group(1)).decode("gbk") if match else None
            if number != page["cert_number"]:
                problems.append(f"  {url}bazs.cert: openssl reads {number!r}, truth {page['cert_number']!r}")
    print(f"homepages/homepages.warc.gz: {len(responses)} responses, {len(pages)} pages in the truth: "
          f"{'consistent' if not problems else 'DIFFERENT'}")
    for line in problems[:20]:
        print(line)
    return bool(problems)


def mmdb_value(database, address, *path):
    output = subprocess.run(["mmdblookup", "--file", database, "--ip", address, *path], capture_output=True, text=True).stdout.strip()
    if not output:
        return None
    value = output.split("<")[0].strip()
    return value.strip('"')


def check_geo(world):
    database = os.path.join(world, "geo", "country.mmdb")
    wrong = []
    count = 0
    with open(os.path.join(world, "truth", "geo.tsv"), encoding="utf-8") as handle:
        for line in handle:
            address, country, asn, organisation = line.rstrip("\n").split("\t")
            count += 1
            answer = (mmdb_value(database, address, "country", "iso_code"), mmdb_value(database, address, "autonomous_system_number"),
                      mmdb_value(database, address, "autonomous_system_organization"))
            if answer != (country, asn, organisation):
                wrong.append(f"  {address}: mmdblookup {answer}, truth {(country, asn, organisation)}")
    print(f"geo/country.mmdb: {count} lookups with mmdblookup: {'identical' if not wrong else 'DIFFERENT'}")
    for line in wrong[:20]:
        print(line)
    return bool(wrong)


if __name__ == "__main__":
    main()
