#!/usr/bin/env python3
"""Makes a crawl's homepages the size real ones are (issue 18).

The generator's pages are short (about 2 KB); real Chinese homepages weigh 30-150 KB: long
navigation lists, news items, inline scripts and styles, images with attributes. This script
reads a WARC (plain or gzip) and writes it again, uncompressed (or with a gzip member per
record when OUT ends in .gz, as crawlers write WARC), with every HTML response's body grown to a
size drawn between --min and --max KB: filler is put right after the `<body>` tag, in the
page's own encoding (UTF-8, else GB18030), and the body is sent again with the page's own
framing (gzip content coding and chunked transfer kept when the page had them).

The filler holds nothing the audit looks for (no `ICP`, no licence or security numbers, no
footer words, no links to the filing system), so the findings on the grown crawl are the
findings on the original one: `Benchmarks/homepages.sh` checks that.

    Benchmarks/widen-pages.py IN.warc.gz OUT.warc [OUT.warc.gz …] [--seed 1] [--min 30] [--max 150]

Several outputs get the same records, each plain or gzip by its name.
"""

import argparse
import gzip
import random
import re
import sys

from warcio.archiveiterator import ArchiveIterator

# Common characters, without those that start a number the audit reads (公 新 网 網 备 備).
HANZI = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经"
    "十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相"
    "全表间样与关各重线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月话系总服展较标想资农器集教育科技术产品中心服务"
    "客户提供优质欢迎来电咨询合作共赢发展创业团队专业诚信质量保证价格优惠联系我们关于首页产品展示案例新闻动态企业文化招聘信息留言"
)
HANZI = "".join(character for character in HANZI if character not in "公新网網备備")
FORBIDDEN = re.compile(r"icp|ＩＣＰ|ｉｃｐ|b1|b2|公|新|网|網|备|備|foot|bottom|copyright|beian|miit", re.IGNORECASE)


def words(rng, low, high):
    return "".join(rng.choice(HANZI) for _ in range(rng.randint(low, high)))


def script(rng, size):
    parts = ["<script>(function(w,d){"]
    total = 0
    while total < size:
        name = f"_v{rng.randint(0, 99999)}"
        piece = (
            f"var {name}=function(a,c){{if(!a){{return c||{rng.randint(0, 999)};}}"
            f"for(var i=0;i<a.length;i++){{c+=a[i]*{rng.randint(2, 97)};}}return c;}};"
            f"d.addEventListener('{rng.choice(['click', 'load', 'scroll', 'resize'])}',function(e){{{name}(e.target,0);}});"
        )
        parts.append(piece)
        total += len(piece)
    parts.append("})(window,document);</script>\n")
    return "".join(parts)


def style(rng, size):
    parts = ["<style>"]
    total = 0
    while total < size:
        piece = (
            f".m{rng.randint(0, 9999)} .item-{rng.randint(0, 99)}{{margin:{rng.randint(0, 30)}px {rng.randint(0, 30)}px;"
            f"color:#{''.join(rng.choice('3456789cdef') for _ in range(6))};font-size:{rng.randint(10, 24)}px;line-height:1.{rng.randint(2, 9)}}}"
        )
        parts.append(piece)
        total += len(piece)
    parts.append("</style>\n")
    return "".join(parts)


def filler(rng, size):
    """HTML of about `size` characters: navigation, news items, scripts, styles, images."""
    parts = ['<div class="top-nav"><ul>']
    for n in range(rng.randint(30, 120)):
        parts.append(f'<li class="nav-item"><a href="/c/{n}{rng.randint(100, 999)}.html" title="{words(rng, 2, 6)}">{words(rng, 2, 6)}</a></li>')
    parts.append("</ul></div>\n")
    parts.append(style(rng, rng.randint(2_000, 8_000)))
    total = sum(len(p) for p in parts)
    while total < size:
        choice = rng.random()
        if choice < 0.12:
            piece = script(rng, rng.randint(2_000, 12_000))
        elif choice < 0.2:
            piece = (
                f'<div class="banner"><img src="/upload/{rng.randint(1000, 99999)}.jpg" alt="{words(rng, 4, 10)}" width="{rng.randint(100, 1200)}"'
                f' height="{rng.randint(60, 400)}" data-src="/upload/big/{rng.randint(1000, 99999)}.jpg" loading="lazy"></div>\n'
            )
        else:
            piece = (
                f'<div class="news-item m{rng.randint(0, 9999)}"><h3><a href="/news/{rng.randint(10000, 99999)}.html">{words(rng, 8, 24)}</a></h3>'
                f'<p class="summary">{words(rng, 40, 220)}&nbsp;{words(rng, 10, 60)}</p>'
                f'<span class="date">2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}</span></div>\n'
            )
        parts.append(piece)
        total += len(piece)
    text = "".join(parts)
    found = FORBIDDEN.search(text)
    if found:
        raise SystemExit(f"widen-pages: the filler holds {found.group(0)!r}, which the audit reads; fix the vocabulary")
    return text


def dechunk(body):
    out = bytearray()
    at = 0
    while True:
        line_end = body.find(b"\r\n", at)
        if line_end < 0:
            return None
        size = int(body[at:line_end].split(b";")[0].strip() or b"0", 16)
        if size == 0:
            return bytes(out)
        out += body[line_end + 2 : line_end + 2 + size]
        at = line_end + 2 + size + 2


def chunk(body, rng):
    out = bytearray()
    at = 0
    while at < len(body):
        size = min(len(body) - at, rng.randint(4_000, 16_000))
        out += b"%x\r\n" % size + body[at : at + size] + b"\r\n"
        at += size
    return bytes(out + b"0\r\n\r\n")


def grow(http, rng, low, high):
    """The HTTP response `http` (bytes) with its HTML body grown, or None to keep it as it is."""
    head_end = http.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    head, body = http[:head_end], http[head_end + 4 :]
    lines = head.split(b"\r\n")
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        fields[name.strip().lower()] = value.strip()
    if b"text/html" not in fields.get(b"content-type", b"").lower():
        return None
    chunked = b"chunked" in fields.get(b"transfer-encoding", b"").lower()
    zipped = fields.get(b"content-encoding", b"").lower() == b"gzip"
    if chunked:
        body = dechunk(body)
        if body is None:
            return None
    if zipped:
        try:
            body = gzip.decompress(body)
        except Exception:
            return None
    opening = re.search(rb"<body[^>]*>", body, re.IGNORECASE)
    if opening is None:
        return None
    try:
        body.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "gb18030"
    size = rng.randint(low * 1024, high * 1024) - len(body)
    if size <= 0:
        return None
    # Characters take 2-3 bytes; aim at the size in bytes.
    grown = body[: opening.end()] + b"\n" + filler(rng, size * 2 // 3).encode(encoding) + body[opening.end() :]
    if zipped:
        grown = gzip.compress(grown, 6, mtime=0)
    kept = [line for line in lines[1:] if line.split(b":")[0].strip().lower() not in (b"content-length", b"transfer-encoding")]
    if chunked:
        framed = chunk(grown, rng)
        kept.append(b"Transfer-Encoding: chunked")
    else:
        framed = grown
        kept.append(b"Content-Length: %d" % len(grown))
    return b"\r\n".join([lines[0]] + kept) + b"\r\n\r\n" + framed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input")
    parser.add_argument("outputs", nargs="+", metavar="output")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--min", type=int, default=30, help="smallest page, KB")
    parser.add_argument("--max", type=int, default=150, help="largest page, KB")
    arguments = parser.parse_args()
    rng = random.Random(arguments.seed)
    grown = kept = 0
    outs = [open(path, "wb") for path in arguments.outputs]
    with open(arguments.input, "rb") as source:
        for record in ArchiveIterator(source, no_record_parse=True):
            headers = record.rec_headers
            block = record.raw_stream.read()
            if headers.get_header("WARC-Type") == "response":
                new = grow(block, rng, arguments.min, arguments.max)
                if new is not None:
                    block = new
                    grown += 1
                else:
                    kept += 1
            record_bytes = bytearray(headers.protocol.encode() + b"\r\n")
            for name, value in headers.headers:
                if name.lower() in ("content-length", "warc-block-digest", "warc-payload-digest"):
                    continue
                record_bytes += f"{name}: {value}\r\n".encode("utf-8")
            record_bytes += b"Content-Length: %d\r\n\r\n" % len(block) + block + b"\r\n\r\n"
            # A name ending in .gz: a gzip member per record, as crawlers write WARC.
            for path, out in zip(arguments.outputs, outs):
                out.write(gzip.compress(bytes(record_bytes), 6, mtime=0) if path.endswith(".gz") else record_bytes)
    for out in outs:
        out.close()
    print(f"widen-pages: {grown} pages grown, {kept} responses kept as they were", file=sys.stderr)


if __name__ == "__main__":
    main()
