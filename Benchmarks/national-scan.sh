#!/usr/bin/env bash
# The scan against the national index, side by side with the province index (issue 16): the
# province world's access-link capture (1 GB, its own traffic: the national world has none
# generated yet) judged against each, twice each (the second warm), wall time and peak
# resident memory; and the fixed cost of loading each (a tiny input).
#
#   Benchmarks/national-scan.sh
# Needs Datasets/generated/national/national.beianidx (2.9 GB: `beian index build` of the
# national preset's registry, see Benchmarks/README "Index at national scale").
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product beian > /dev/null
swift build -c release --product beian-datagen > /dev/null
beian=$(realpath .build/release/beian)
province=Datasets/generated/province
national=Datasets/generated/national/national.beianidx
[ -f "$province/traffic/access-link.pcap" ] || .build/release/beian-datagen --preset province --seed 1 --out "$province" > /dev/null
[ -f "$national" ] || { echo "national-scan.sh: $national is missing" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$beian" index build "$province"/registry/xml/*.xml -o "$work/province.beianidx" > /dev/null 2>&1
for index in "$work/province.beianidx" "$national"; do
    name=$(basename "$index" .beianidx)
    /usr/bin/time -f "$name index, loading (a tiny input): %e s, peak %M KB" "$beian" scan --index "$index" \
        Datasets/sample/logs/zeek/dns.log -o /dev/null 2>&1 | tail -1
    for run in 1 2; do
        /usr/bin/time -f "$name index, access-link.pcap, run $run: %e s, peak %M KB" "$beian" scan --index "$index" \
            --geoip "$province/geo/country.mmdb" --threads 2 "$province/traffic/access-link.pcap" -o "$work/$name.jsonl" 2>&1 | tail -1
    done
    echo "   $(wc -l < "$work/$name.jsonl") findings"
done
