#!/usr/bin/env python3
"""Filing numbers on real Chinese pages: beian's reading against hand-made labels.

Usage: Conformance/homepages-realdata.py BEIAN REALDATA/html --report FILE [--goal 0.95]

For every page of labels.tsv, `beian homepages --json PAGE` gives the numbers beian sees
displayed; the ICP numbers among them (filings 备, licences 证, and licences written as their
B2 number after `ICP证`) must equal the labelled set (`icp_numbers_visible`), compared in
beian's normal form: each labelled item is itself read by `beian homepages` from a page
holding only that text, so that `浙 ICP 备 17005035 号 -1` and `浙ICP备17005035号-1` compare
equal while the page reading is what is tested. Also checked and reported: the charset
decided against `actual_encoding`, and that numbers the labels say sit only in markup are
not counted as displayed. Exit status 1 when the share of pages with equal sets is below
the goal.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ICP_KINDS = {"icp-filing", "icp-licence"}


def read_pages(beian, paths):
    """beian homepages --json over paths: {path: page object}."""
    result = subprocess.run([beian, "homepages", "--json", *paths], capture_output=True, text=True, timeout=600)
    if result.returncode > 1:
        raise SystemExit(f"beian homepages crashed (exit {result.returncode}): {result.stderr[-2000:]}")
    pages = {}
    for line in result.stdout.splitlines():
        page = json.loads(line)
        pages[page["file"]] = page
    return pages


def icp_numbers(page, displayed_only=True):
    found = set()
    for number in page.get("numbers", []):
        if displayed_only and number.get("place") != "text":
            continue
        kind = number.get("kind", "")
        verbatim = number.get("verbatim", "")
        if kind in ICP_KINDS:
            found.add(number["number"])
        elif kind == "telecom-licence" and "ICP" in verbatim.upper():
            found.add(number["number"])
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("beian")
    parser.add_argument("html")
    parser.add_argument("--report", required=True)
    parser.add_argument("--goal", type=float, default=0.95)
    args = parser.parse_args()

    rows = []
    with open(os.path.join(args.html, "labels.tsv"), encoding="utf-8") as labels:
        header = labels.readline().rstrip("\n").split("\t")
        for line in labels:
            if line.strip():
                rows.append(dict(zip(header, line.rstrip("\n").split("\t"))))

    # The labelled items, each read as a page of its own.
    work = tempfile.mkdtemp()
    label_files = {}
    for row in rows:
        for k, item in enumerate(x.strip() for x in row["icp_numbers_visible"].split(";")):
            if item and item != "-":
                path = os.path.join(work, f"{len(label_files)}.html")
                with open(path, "w", encoding="utf-8") as out:
                    out.write(f"<html><body><p>{item}</p></body></html>")
                label_files[(row["file"], k)] = path
    label_pages = read_pages(args.beian, list(label_files.values())) if label_files else {}
    page_paths = [os.path.join(args.html, row["file"]) for row in rows]
    pages = read_pages(args.beian, page_paths)

    equal = 0
    charset_right = 0
    linked_right = 0
    link_misses = []
    misses = []
    lines = []
    for row in rows:
        path = os.path.join(args.html, row["file"])
        page = pages.get(path)
        expected = set()
        k = 0
        unreadable = []
        for item in (x.strip() for x in row["icp_numbers_visible"].split(";")):
            if item and item != "-":
                alone = icp_numbers(label_pages.get(label_files[(row["file"], k)], {}))
                if not alone:
                    unreadable.append(item)
                expected |= alone
                k += 1
        if page is None:
            misses.append((row["file"], "not read", expected, set()))
            continue
        got = icp_numbers(page)
        linked = any(n.get("linked") and n.get("place") == "text" for n in page.get("numbers", []))
        if linked == (row["links_to_miit_beian"] == "yes"):
            linked_right += 1
        else:
            hosts = sorted({n["link_host"] for n in page.get("numbers", []) if n.get("linked") and n.get("place") == "text"})
            link_misses.append(
                f"- `{row['file']}`: labelled {row['links_to_miit_beian']}, read {'yes' if linked else 'no'}"
                + (f" (linked to {', '.join(hosts)}: a host of the filing system by docs/findings.md, which names "
                   "www.miitbeian.gov.cn and the *.miitbeian.gov.cn hosts; the labels count beian.miit.gov.cn only)" if hosts else ""))
        actual = row["actual_encoding"].split("/")[0].lower()
        decided = page.get("charset", "")
        if (actual in ("gbk", "gb2312", "gb18030") and decided == "gb18030") or actual == decided:
            charset_right += 1
        else:
            misses.append((row["file"], f"charset {decided}, labelled {row['actual_encoding']}", expected, got))
        if unreadable:
            misses.append((row["file"], f"labelled number(s) beian cannot read even alone: {unreadable}", expected, got))
        elif got == expected:
            equal += 1
        else:
            hidden = icp_numbers(page, displayed_only=False) - got
            cause = "missed" if expected - got else "extra"
            misses.append((row["file"], cause + (f" (in markup only: {sorted(hidden)})" if hidden else ""), expected, got))
        lines.append(f"| {row['file']} | {row['actual_encoding']} | {decided} ({page.get('charset_source', '')}) | "
                     f"{' ; '.join(sorted(expected)) or '-'} | {' ; '.join(sorted(got)) or '-'} | {'yes' if got == expected and not unreadable else 'NO'} |")

    share = equal / len(rows) if rows else 1.0
    with open(args.report, "w", encoding="utf-8") as out:
        out.write("# Filing numbers on real pages\n\n")
        out.write("Generated by `Conformance/homepages-realdata.py` over `../shared/realdata/html/labels.tsv` "
                  "(pages saved by other projects, labels made by hand).\n\n")
        out.write(f"- pages: {len(rows)}\n")
        out.write(f"- displayed ICP numbers equal to the labelled set: {equal} = {share:.4f} (goal {args.goal})\n")
        out.write(f"- charset decided = actual encoding: {charset_right} of {len(rows)}\n")
        out.write(f"- a displayed number linked to the filing system, as labelled (`links_to_miit_beian`): {linked_right} of {len(rows)}\n\n")
        out.write("## Differences\n\n")
        if not misses:
            out.write("None.\n")
        for file, cause, expected, got in misses:
            out.write(f"- `{file}`: {cause}; labelled {sorted(expected)}, read {sorted(got)}\n")
        out.write("\n## Links to the filing system that differ from the labels\n\n" + ("\n".join(link_misses) or "None.") + "\n")
        out.write("\n## Every page\n\n| page | actual encoding | decided | labelled ICP numbers | read | equal |\n|---|---|---|---|---|---|\n")
        out.write("\n".join(lines) + "\n")
    print(f"homepages: {equal}/{len(rows)} pages = {share:.4f} (goal {args.goal}); charsets {charset_right}/{len(rows)}")
    sys.exit(0 if share >= args.goal else 1)


if __name__ == "__main__":
    main()
