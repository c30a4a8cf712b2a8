#!/usr/bin/env bash
# Traffic ingestion figures (issue 5), on the province world's access-link capture (≈ 1 GB,
# 1.26 M packets, the generator's realistic mix):
#   1. stage by stage, best of 5 (extract-speed): walking the records, decoding on one
#      thread, the pipeline on 1 and 2 threads;
#   2. end to end, wall time of whole commands on the same file: `beian extract` (1 and 2
#      threads, JSON Lines to /dev/null), ndpiReader (nDPI's own tool, -q) and tshark
#      (fields of SNI, Host and DNS names), with the ratios;
#   3. memory of 1 M concurrent flows.
#
#   Benchmarks/extract.sh            # needs tshark and ndpiReader (apt: tshark libndpi-bin)
#
# The capture is generated into Datasets/generated/province (ignored by git) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
capture=Datasets/generated/province/traffic/access-link.pcap
swift build -c release --product beian > /dev/null
swift build -c release --product beian-datagen > /dev/null
BEIAN_BENCHMARKS=1 swift build -c release --scratch-path .build-bench --product extract-speed > /dev/null
if [ ! -f "$capture" ]; then
    echo "generating the province world into Datasets/generated/province…"
    .build/release/beian-datagen --preset province --seed 1 --out Datasets/generated/province > /dev/null
fi

echo "## stages"
.build-bench/release/extract-speed "$capture" --runs 5

wall() {  # best wall time of 3 runs of a command, in seconds
    local best=999999
    for _ in 1 2 3; do
        local start end
        start=$(date +%s.%N)
        "$@" > /dev/null 2>&1 || true
        end=$(date +%s.%N)
        best=$(awk -v a="$best" -v b="$(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')" 'BEGIN { print (b < a) ? b : a }')
    done
    echo "$best"
}

echo
echo "## end to end (best of 3, wall seconds)"
one=$(wall .build/release/beian extract --threads 1 "$capture")
two=$(wall .build/release/beian extract --threads 2 "$capture")
echo "| command | seconds |"
echo "|---|---|"
echo "| beian extract --threads 1 | $one |"
echo "| beian extract --threads 2 | $two |"
if command -v ndpiReader > /dev/null; then
    ndpi=$(wall ndpiReader -q -i "$capture")
    echo "| ndpiReader -q | $ndpi |"
    awk -v a="$ndpi" -v b="$one" 'BEGIN { printf "ndpiReader / beian (1 thread): %.1f×\n", a / b }'
fi
if command -v tshark > /dev/null; then
    tshark_time=$(wall tshark -r "$capture" -n -T fields -e tls.handshake.extensions_server_name -e http.host -e dns.qry.name)
    echo "| tshark -T fields (SNI, Host, DNS name) | $tshark_time |"
    awk -v a="$tshark_time" -v b="$one" 'BEGIN { printf "tshark / beian (1 thread): %.1f×\n", a / b }'
fi
awk -v a="$one" -v b="$two" 'BEGIN { printf "beian 2 threads / 1 thread: %.2f×\n", a / b }'

echo
echo "## memory"
.build-bench/release/extract-speed --flows 1000000
