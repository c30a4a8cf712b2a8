#!/usr/bin/env bash
# Ingestion against the C reference (issue 18): `beian extract` on one and two threads and
# the minimal C extractor of ../shared/reference/extract.c (read(2) in 1 MiB chunks, a flow
# table, first-segment SNI/Host, DNS answers: less than beian does, on purpose), run in turn
# on the same capture, best wall time of RUNS (default 7) each, with the ratios.
#
#   Benchmarks/extract-vs-c.sh            # the province capture and a capture of another mix
#
# Captures: the province world's access link (Datasets/generated/province, made by
# beian-datagen when missing) and Benchmarks/mixgen.py's (Datasets/generated/mix: more bulk
# data per flow, VLAN tags, a fifth IPv6, padded hellos, DNS with CNAME chains).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-7}"
reference="${REFERENCE:-../shared/reference/extract.c}"
[ -f "$reference" ] || { echo "extract-vs-c.sh: $reference not found" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -march=native -o "$work/extract" "$reference" -lpcap
swift build -c release --product beian > /dev/null
swift build -c release --product beian-datagen > /dev/null
province=Datasets/generated/province/traffic/access-link.pcap
mix=Datasets/generated/mix/mix.pcap
[ -f "$province" ] || .build/release/beian-datagen --preset province --seed 1 --out Datasets/generated/province > /dev/null
[ -f "$mix" ] || { mkdir -p "$(dirname "$mix")" && python3 Benchmarks/mixgen.py "$mix" > /dev/null; }

seconds() {  # wall seconds of one run of a command
    local start end
    start=$(date +%s.%N)
    "$@" > /dev/null 2>&1
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.4f", e - s }'
}

echo "| capture | packets | C reference (read(2)) | beian extract, 1 thread | ratio | beian extract, 2 threads | ratio |"
echo "|---|---|---|---|---|---|---|"
for capture in "$province" "$mix"; do
    cat "$capture" > /dev/null  # in the page cache for all
    c=999
    one=999
    two=999
    for _ in $(seq "$runs"); do
        c=$(awk -v a="$c" -v b="$(seconds "$work/extract" -R "$capture")" 'BEGIN { print (b < a) ? b : a }')
        one=$(awk -v a="$one" -v b="$(seconds .build/release/beian extract --threads 1 "$capture")" 'BEGIN { print (b < a) ? b : a }')
        two=$(awk -v a="$two" -v b="$(seconds .build/release/beian extract --threads 2 "$capture")" 'BEGIN { print (b < a) ? b : a }')
    done
    packets=$("$work/extract" -R "$capture" 2>&1 | sed -n 's/^pkts \([0-9]*\).*/\1/p')
    echo "| $(basename "$capture") | $packets | $c s | $one s | $(awk -v a="$one" -v c="$c" 'BEGIN { printf "%.2f×", a / c }') | $two s | $(awk -v a="$two" -v c="$c" 'BEGIN { printf "%.2f×", a / c }') |"
done
