#!/usr/bin/env bash
# Registry reader throughput and memory on a generated export.
#
#   Benchmarks/registry-throughput.sh            # 420,000 sponsors: about 1 GB of V3.0 XML
#   SPONSORS=65000 Benchmarks/registry-throughput.sh   # a quick run (about 150 MB)
#
# Generates the world once into Datasets/generated/ (ignored by git), then times
# `beian registry validate` (one thread) per format and reports MB/s and peak resident
# memory. libxml2's own streaming parser (xmllint --stream) on the same XML is printed as a
# reference for the cost of the XML parsing alone.
set -euo pipefail
cd "$(dirname "$0")/.."
sponsors="${SPONSORS:-420000}"
seed="${SEED:-7}"
out="Datasets/generated/registry-$sponsors-$seed"

swift build -c release --product beian > /dev/null
swift build -c release --product beian-datagen > /dev/null
beian=.build/release/beian
if [ ! -f "$out/registry/xml/icp.xml" ]; then
    echo "generating $sponsors sponsors into $out…"
    /usr/bin/time -f "generated in %e s, peak %M KB" .build/release/beian-datagen --sponsors "$sponsors" --seed "$seed" --out "$out" > /dev/null
fi

measure() {
    local label="$1"; shift
    local bytes
    bytes=$(du -cb "$@" | tail -1 | cut -f1)
    local result
    result=$( { /usr/bin/time -f "%e %M" "$beian" registry validate "$@" > /dev/null; } 2>&1 | tail -1)
    local seconds=${result% *}
    local rss=${result#* }
    awk -v l="$label" -v b="$bytes" -v s="$seconds" -v r="$rss" \
        'BEGIN { printf "| %-34s | %8.1f MB | %6.2f s | %7.1f MB/s | %6.1f MB |\n", l, b/1e6, s, b/1e6/s, r/1024 }'
}

echo
echo "| input | size | time | throughput | peak RSS |"
echo "|---|---|---|---|---|"
measure "V3.0 XML, GBK (icp.xml + sync.xml)" "$out"/registry/xml/icp.xml "$out"/registry/xml/sync.xml
measure "V3.0 XML, GBK: icp.xml only" "$out"/registry/xml/icp.xml
measure "CSV, all kinds (sponsors GBK)" "$out"/registry/csv/*.csv
measure "CSV, UTF-8 only (site, access, …)" $(ls "$out"/registry/csv/*.csv | grep -v sponsor.csv)
measure "JSON Lines" "$out"/registry/jsonl/registry.jsonl
if command -v xmllint > /dev/null; then
    bytes=$(du -cb "$out"/registry/xml/icp.xml | tail -1 | cut -f1)
    seconds=$( { /usr/bin/time -f "%e" xmllint --stream --noout "$out"/registry/xml/icp.xml; } 2>&1 | tail -1)
    awk -v b="$bytes" -v s="$seconds" 'BEGIN { printf "| %-34s | %8.1f MB | %6.2f s | %7.1f MB/s | (reference) |\n", "xmllint --stream on icp.xml", b/1e6, s, b/1e6/s }'
fi
