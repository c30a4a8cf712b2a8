#!/usr/bin/env python3
"""beian extract against tshark on real h2c and DNS-over-HTTP traffic in cleartext.

Runs a small HTTP server on loopback (the `h2` PyPI package: HTTP/1.1, h2c by prior
knowledge and by `Upgrade: h2c`, and DNS over HTTP as RFC 8484 has it, GET `?dns=` and
POST `application/dns-message`), drives it with curl (libcurl's nghttp2), captures the
traffic with dumpcap, then compares what `beian extract` reads in the capture with what
tshark 4.0 reads: every request's host (`Host`, `:authority`) and every DNS answer of the
responses.

    python3 Conformance/h2c-doh.py BEIAN [--report FILE] [--keep CAPTURE]

Needs root (capture on the loopback interface), dumpcap, tshark, curl and the h2 package.
"""
import base64
import collections
import json
import os
import socket
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading
import time

import h2.config
import h2.connection
import h2.events

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
# Prior-knowledge h2c on one port (tshark decodes it as HTTP/2 by decode-as); HTTP/1.1 and
# the upgrade on another, which tshark takes as HTTP by its port.
H2_PORT, HTTP_PORT = 18081, 8080


def address_of(name):
    """The answer the server gives for a name: 112.1.16.x from the name's length."""
    return bytes([112, 1, 16, 1 + len(name) % 200])


def dns_answer(query):
    """The answer to a DNS query: one A record for its first question."""
    offset = 12
    labels = []
    while query[offset] != 0:
        length = query[offset]
        labels.append(query[offset + 1:offset + 1 + length].decode())
        offset += 1 + length
    question = query[12:offset + 5]
    name = ".".join(labels)
    answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 300, 4) + address_of(name)
    return query[:2] + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0) + question + answer


def dns_query(name):
    question = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
    return struct.pack(">HHHHHH", 0, 0x0100, 1, 0, 0, 0) + question


def respond(method, path, body):
    """(status, headers, body) for a request: a DNS message for /dns-query, else text."""
    if path.startswith("/dns-query"):
        if method == "GET":
            encoded = path.split("dns=", 1)[1].split("&")[0]
            query = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        else:
            query = body
        return 200, [("content-type", "application/dns-message")], dns_answer(query)
    return 200, [("content-type", "text/plain")], b"hello\n"


class HTTP2Session:
    def __init__(self, sock, upgrade_settings=None, upgrade_request=None):
        self.sock = sock
        config = h2.config.H2Configuration(client_side=False)
        self.conn = h2.connection.H2Connection(config=config)
        self.bodies = collections.defaultdict(bytes)
        self.heads = {}
        if upgrade_settings is not None:
            self.conn.initiate_upgrade_connection(upgrade_settings)
            self.heads[1] = upgrade_request
        else:
            self.conn.initiate_connection()
        self.flush()
        if upgrade_request is not None:
            self.answer(1)

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def answer(self, stream):
        method, path = self.heads.pop(stream)
        status, headers, body = respond(method, path, self.bodies.pop(stream, b""))
        self.conn.send_headers(stream, [(":status", str(status)), ("content-length", str(len(body)))] + headers)
        self.conn.send_data(stream, body, end_stream=True)
        self.flush()

    def run(self, initial=b""):
        data = initial
        while True:
            if data:
                for event in self.conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        fields = {k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
                                  for k, v in event.headers}
                        self.heads[event.stream_id] = (fields[":method"], fields[":path"])
                        if event.stream_ended:
                            self.answer(event.stream_id)
                    elif isinstance(event, h2.events.DataReceived):
                        self.bodies[event.stream_id] += event.data
                        self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                        if event.stream_ended:
                            self.answer(event.stream_id)
                    elif isinstance(event, h2.events.StreamEnded):
                        if event.stream_id in self.heads:
                            self.answer(event.stream_id)
                    elif isinstance(event, h2.events.ConnectionTerminated):
                        return
                self.flush()
            data = self.sock.recv(65536)
            if not data:
                return


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        data = b""
        while len(data) < len(PREFACE) and PREFACE.startswith(data):
            chunk = sock.recv(65536)
            if not chunk:
                return
            data += chunk
        if data.startswith(PREFACE):
            HTTP2Session(sock).run(data)
            return
        while True:  # HTTP/1.1, keep-alive
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, data = data.split(b"\r\n\r\n", 1)
            lines = head.decode().split("\r\n")
            method, path = lines[0].split(" ")[:2]
            fields = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
            length = int(fields.get("content-length", "0"))
            while len(data) < length:
                data += sock.recv(65536)
            body, data = data[:length], data[length:]
            if "h2c" in fields.get("upgrade", "").lower():
                sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
                settings = fields.get("http2-settings", "")
                HTTP2Session(sock, settings.encode(), (method, path)).run(data)
                return
            status, headers, answer = respond(method, path, body)
            extra = "".join("%s: %s\r\n" % h for h in headers)
            sock.sendall(("HTTP/1.1 %d OK\r\n%sContent-Length: %d\r\n\r\n" % (status, extra, len(answer))).encode() + answer)


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


def curl(*arguments):
    subprocess.run(["curl", "-s", "-o", "/dev/null", "--max-time", "10"] + list(arguments), check=True)


def h2_client(port, requests):
    """Requests one after the other on one prior-knowledge connection."""
    sock = socket.create_connection(("127.0.0.1", port))
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    for authority, path in requests:
        stream = conn.get_next_available_stream_id()
        conn.send_headers(stream, [(":method", "GET"), (":path", path), (":scheme", "http"), (":authority", authority),
                                   ("user-agent", "beian-conformance/1"), ("x-trace", "same-value-every-time")], end_stream=True)
        sock.sendall(conn.data_to_send())
        ended = False
        while not ended:
            data = sock.recv(65536)
            if not data:
                raise RuntimeError("the server closed the connection")
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.StreamEnded) and event.stream_id == stream:
                    ended = True
            sock.sendall(conn.data_to_send())
    conn.close_connection()
    sock.sendall(conn.data_to_send())
    sock.close()


def drive(work):
    """The client side: every form, names telling which."""
    def url(host, port, path="/"):
        return "http://%s:%d%s" % (host, port, path)

    def resolve(host, port):
        return ["--resolve", "%s:%d:127.0.0.1" % (host, port)]

    query_file = os.path.join(work, "query.bin")
    # Prior knowledge, by curl; and three requests on one connection by the h2 package's
    # client, the later ones naming fields of the earlier from the dynamic table.
    curl("--http2-prior-knowledge", *resolve("prior.h2c.example.cn", H2_PORT), url("prior.h2c.example.cn", H2_PORT))
    h2_client(H2_PORT, [("first.h2c.example.cn", "/"), ("first.h2c.example.cn", "/again"), ("other.h2c.example.cn", "/")])
    # Upgrade from HTTP/1.1, then a second request on the upgraded connection.
    host = "upgrade.h2c.example.cn"
    curl("--http2", *resolve(host, HTTP_PORT), url(host, HTTP_PORT), url(host, HTTP_PORT, "/after"))
    # DNS over HTTP: POST and GET, over h2c and HTTP/1.1; and GET through the upgrade.
    for index, (flags, port, method) in enumerate([
        (["--http2-prior-knowledge"], H2_PORT, "POST"), (["--http2-prior-knowledge"], H2_PORT, "GET"),
        (["--http1.1"], HTTP_PORT, "POST"), (["--http1.1"], HTTP_PORT, "GET"), (["--http2"], HTTP_PORT, "GET"),
    ]):
        server = "doh%d.example.cn" % index
        name = "answer%d.%s.example.cn" % (index, method.lower())
        query = dns_query(name)
        accept = ["-H", "accept: application/dns-message"]
        if method == "POST":
            with open(query_file, "wb") as handle:
                handle.write(query)
            curl(*flags, *resolve(server, port), *accept, "-H", "content-type: application/dns-message",
                 "--data-binary", "@" + query_file, url(server, port, "/dns-query"))
        else:
            encoded = base64.urlsafe_b64encode(query).decode().rstrip("=")
            curl(*flags, *resolve(server, port), *accept, url(server, port, "/dns-query?dns=" + encoded))


def tshark_items(capture):
    """(kind, host, address) items tshark reads, with their counts."""
    items = collections.Counter()
    common = ["tshark", "-r", capture, "-d", "tcp.port==%d,http2" % H2_PORT, "-T", "fields", "-E", "separator=/t",
              "-E", "occurrence=a", "-E", "aggregator=,"]
    out = subprocess.run(common + ["-Y", "http.request", "-e", "http.host"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        for host in filter(None, line.split(",")):
            items[("http", host.split(":")[0].lower(), "")] += 1
    out = subprocess.run(common + ["-Y", "http2.type == 1", "-e", "http2.headers.authority"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        for host in filter(None, line.split(",")):
            items[("http", host.split(":")[0].lower(), "")] += 1
    out = subprocess.run(common + ["-Y", "dns.flags.response == 1", "-e", "dns.qry.name", "-e", "dns.a"],
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        fields = line.split("\t")
        if len(fields) == 2 and fields[0] and fields[1]:
            for address in fields[1].split(","):
                items[("dns", fields[0].split(",")[0].lower(), address)] += 1
    return items


def beian_items(beian, capture):
    run = subprocess.run([beian, "extract", "--threads", "1", capture], capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit("beian extract failed: " + run.stderr[-500:])
    items = collections.Counter()
    for line in run.stdout.splitlines():
        o = json.loads(line)
        if o["protocol"] == "http":
            items[("http", o["host"], "")] += 1
        elif o["protocol"] == "dns":
            items[("dns", o["host"], o["address"])] += 1
    return items, run.stderr


def main():
    beian = sys.argv[1]
    report = sys.argv[sys.argv.index("--report") + 1] if "--report" in sys.argv else None
    keep = sys.argv[sys.argv.index("--keep") + 1] if "--keep" in sys.argv else None
    work = tempfile.mkdtemp(prefix="beian-h2c-")
    capture = keep or os.path.join(work, "h2c-doh.pcapng")
    servers = []
    for port in (H2_PORT, HTTP_PORT):
        server = Server(("127.0.0.1", port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    dumpcap = subprocess.Popen(["dumpcap", "-q", "-i", "lo", "-f", "tcp port %d or tcp port %d" % (H2_PORT, HTTP_PORT), "-w", capture],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.5)
    try:
        drive(work)
    finally:
        time.sleep(1.0)
        dumpcap.terminate()
        dumpcap.wait()
        for server in servers:
            server.shutdown()
    expected = tshark_items(capture)
    found, stderr = beian_items(beian, capture)
    rows = []
    for item in sorted(set(expected) | set(found)):
        rows.append("| %s | %s | %s | %d | %d |" % (item[0], item[1], item[2] or "", expected[item], found[item]))
    agree = sum(min(expected[i], found[i]) for i in expected)
    total = sum(expected.values())
    extra = sum(max(0, found[i] - expected[i]) for i in found)
    lines = ["# beian extract against tshark on h2c and DNS over HTTP", "",
             "Generated by `Conformance/h2c-doh.py`; do not edit by hand. The traffic: curl %s against a server "
             "written with the `h2` package, captured on loopback." % subprocess.run(
                 ["curl", "--version"], capture_output=True, text=True).stdout.split()[1], "",
             "tshark's items found by beian: %d/%d; items beian reads beyond them: %d." % (agree, total, extra), "",
             "| kind | host | address | tshark | beian |", "|---|---|---|---|---|"] + rows
    text = "\n".join(lines) + "\n"
    if report:
        with open(report, "w") as handle:
            handle.write(text)
    print(text)
    subprocess.run(["rm", "-rf", work])
    if agree != total or extra or total == 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
