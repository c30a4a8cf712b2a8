#!/usr/bin/env bash
# Homepage figures (issue 7), on the province world's crawl (generated; built if missing):
#   1. the footer audit (`beian scan` of a WARC: read, HTTP, charset, text, numbers, judge) on
#      one core and on two, over ≥ 1 GB of uncompressed WARC (the province crawl repeated), in MB/s;
#      beside it `rg` with an ICP-number regex over the same bytes, as a reference ratio;
#   2. the crawler (`beian crawl`) against `beian-datagen serve` on loopback, every province
#      homepage, in pages per second, with its peak memory.
#
#   Benchmarks/homepages.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product beian > /dev/null
swift build -c release --product beian-datagen > /dev/null
command -v rg > /dev/null || { apt-get install -y -qq ripgrep > /dev/null 2>&1 || true; }
beian=.build/release/beian
world=Datasets/generated/province
[ -f "$world/homepages/homepages.warc.gz" ] || .build/release/beian-datagen --preset province --seed 1 --out "$world" > /dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"; [ -n "${server:-}" ] && kill -9 "$server" 2> /dev/null || true' EXIT
"$beian" index build "$world"/registry/xml/*.xml -o "$work/province.beianidx" > /dev/null 2>&1

# 1. Footer audit.
zcat "$world/homepages/homepages.warc.gz" > "$work/one.warc"
one=$(stat -c %s "$work/one.warc")
copies=$(( (1000000000 + one - 1) / one ))
for _ in $(seq "$copies"); do cat "$work/one.warc"; done > "$work/corpus.warc"
rm "$work/one.warc"
bytes=$(stat -c %s "$work/corpus.warc")
pages=$(( $("$beian" homepages "$world/homepages/homepages.warc.gz" 2>&1 > /dev/null | sed -n 's/.*pages \([0-9]*\).*/\1/p') * copies ))
best() {
    local wall=999999
    for _ in 1 2 3; do
        /usr/bin/time -o "$work/time" -f "%e %M" "$@" > /dev/null 2> /dev/null || true
        wall=$(awk -v a="$wall" -v b="$(cut -d' ' -f1 < "$work/time")" 'BEGIN { print (b < a) ? b : a }')
    done
    echo "$wall"
}
audit=$(best "$beian" scan --threads 1 --index "$work/province.beianidx" "$work/corpus.warc")
audit2=$(best "$beian" scan --threads 2 --index "$work/province.beianidx" "$work/corpus.warc")
regex='(京|津|沪|渝|冀|豫|辽|黑|湘|皖|鲁|新|苏|浙|赣|鄂|桂|晋|蒙|陕|吉|闽|粤|青|藏|宁|琼|蜀|黔|滇|陇|川|贵|云|甘)\s*ICP\s*[备证]\s*[0-9]{6,10}'
if command -v rg > /dev/null; then
    grep_time=$(best rg -c --no-mmap "$regex" "$work/corpus.warc")
else
    grep_time=0
fi
echo "| footer audit | bytes | pages | seconds | MB/s | pages/s |"
echo "|---|---|---|---|---|---|"
awk -v b="$bytes" -v p="$pages" -v t="$audit" 'BEGIN { printf "| beian scan (one core) | %d | %d | %.2f | %.0f | %.0f |\n", b, p, t, b / t / 1e6, p / t }'
awk -v b="$bytes" -v p="$pages" -v t="$audit2" 'BEGIN { printf "| beian scan --threads 2 | %d | %d | %.2f | %.0f | %.0f |\n", b, p, t, b / t / 1e6, p / t }'
awk -v b="$bytes" -v t="$grep_time" 'BEGIN { if (t > 0) printf "| rg ICP regex (reference) | %d | | %.2f | %.0f | |\n", b, t, b / t / 1e6 }'
awk -v a="$audit" -v g="$grep_time" 'BEGIN { if (g > 0) printf "beian / rg time: %.1f×\n", a / g }'
rm "$work/corpus.warc"

# 1b. Pages the size real homepages are (30-150 KB: navigation, news, inline scripts and
# styles), grown from the same crawl by Benchmarks/widen-pages.py; their findings must be the
# short pages' findings, evidence offsets aside.
python3 Benchmarks/widen-pages.py "$world/homepages/homepages.warc.gz" "$work/wide.warc" "$work/wide.warc.gz" 2> /dev/null
wide_bytes=$(stat -c %s "$work/wide.warc")
"$beian" scan --threads 1 --index "$work/province.beianidx" "$world/homepages/homepages.warc.gz" -o "$work/short.findings" 2> /dev/null
"$beian" scan --threads 1 --index "$work/province.beianidx" "$work/wide.warc" -o "$work/wide.findings" 2> /dev/null
same=$(python3 - "$work/short.findings" "$work/wide.findings" << 'PYTHON'
import json, sys
def findings(path):
    rows = []
    for line in open(path, encoding="utf-8"):
        row = json.loads(line)
        for evidence in row.get("evidence", []):
            evidence.pop("location", None)
            evidence.pop("source", None)
        rows.append(json.dumps(row, sort_keys=True, ensure_ascii=False))
    return sorted(rows)
short, wide = findings(sys.argv[1]), findings(sys.argv[2])
print(f"{len(wide)} findings, " + ("the same as on the short pages" if short == wide else "NOT the same as on the short pages"))
PYTHON
)
wide1=$(best "$beian" scan --threads 1 --index "$work/province.beianidx" "$work/wide.warc")
wide2=$(best "$beian" scan --threads 2 --index "$work/province.beianidx" "$work/wide.warc")
echo
echo "| real-size pages (30-150 KB) | bytes | seconds | MB/s |"
echo "|---|---|---|---|"
awk -v b="$wide_bytes" -v t="$wide1" 'BEGIN { printf "| beian scan (one core) | %d | %.2f | %.0f |\n", b, t, b / t / 1e6 }'
awk -v b="$wide_bytes" -v t="$wide2" 'BEGIN { printf "| beian scan --threads 2 | %d | %.2f | %.0f |\n", b, t, b / t / 1e6 }'
echo "findings: $same"
rm "$work/wide.warc"

# 1c. Crawls as stored (gzip, a member per record) against decompression alone.
for crawl in "$world/homepages/homepages.warc.gz" "$work/wide.warc.gz"; do
    gzip_time=$(best gzip -dc "$crawl")
    gzip_scan=$(best "$beian" scan --threads 1 --index "$work/province.beianidx" "$crawl")
    awk -v n="$(basename "$crawl")" -v g="$gzip_time" -v s="$gzip_scan" \
        'BEGIN { printf "%s: beian scan (one core) %.2f s, gzip -dc alone %.2f s: %.2f× (goal ≤ 1.2×)\n", n, s, g, s / g }'
done
rm "$work/wide.warc.gz"

# 2. Crawler against the loopback server.
.build/release/beian-datagen serve --warc "$world/homepages/homepages.warc.gz" --port 0 > "$work/serve.out" 2> /dev/null &
server=$!
for _ in $(seq 50); do grep -q listening "$work/serve.out" 2> /dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$work/serve.out")
"$beian" homepages --json "$world/homepages/homepages.warc.gz" 2> /dev/null | python3 -c '
import json, sys
hosts = sorted({json.loads(line)["host"] for line in sys.stdin if "charset" in line})
print("\n".join(hosts))' > "$work/hosts.txt"
/usr/bin/time -o "$work/time" -f "%e %M" "$beian" crawl --hosts-file "$work/hosts.txt" --proxy "127.0.0.1:$port" \
    --out "$work/crawl.warc.gz" --politeness 0 --concurrency 128 2> "$work/crawl.err" || true
grep "^crawl:" "$work/crawl.err" | sed 's/^/    /'
read -r wall peak < "$work/time"
hosts=$(wc -l < "$work/hosts.txt")
awk -v h="$hosts" -v t="$wall" -v m="$peak" 'BEGIN { printf "crawler: %d homepages in %.2f s = %.0f pages/s (HTTPS refused, then HTTP), peak RSS %.0f MB\n", h, t, h / t, m / 1024 }'
