#!/usr/bin/env bash
# `beian index build` of the national preset's registry (5 M sites, 10 M domains, 1.3 M IP
# filing records) from each export format: wall time, CPU time and peak resident memory, the
# snapshot's size, and that the three snapshots hold the same tables (`index stats` counts).
#
#   Benchmarks/national-build.sh              # JSON Lines, CSV and V3.0 XML
#   FORMATS="jsonl" THREADS=1 Benchmarks/national-build.sh
#
# The registry is generated into Datasets/generated/national when it is missing (about 22 GB
# for the three formats: `beian-datagen --preset national --seed 1`, the figures' world); each
# snapshot (2.9 GB) goes to a temporary directory. Give it the machine: a build holds up to
# 6 GB and every core.
set -euo pipefail
cd "$(dirname "$0")/.."
formats="${FORMATS:-jsonl csv xml}"
threads="${THREADS:-$(nproc)}"
swift build -c release --product beian > /dev/null
beian=$(realpath .build/release/beian)
registry=Datasets/generated/national/registry
if [ ! -d "$registry/jsonl" ] || [ ! -d "$registry/csv" ] || [ ! -d "$registry/xml" ]; then
    swift build -c release --product beian-datagen > /dev/null
    echo "generating the national registry into Datasets/generated/national…"
    .build/release/beian-datagen --preset national --seed 1 --out Datasets/generated/national > /dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
head -c 32 /dev/urandom > "$work/key"
echo "| export | size | wall | CPU (user + sys) | peak RSS | snapshot |"
echo "|---|---|---|---|---|---|"
for format in $formats; do
    files=("$registry/$format"/*)
    [ "$format" = xml ] && files=("$registry/xml"/*.xml)
    bytes=$(du -cb "${files[@]}" | tail -1 | cut -f1)
    # One snapshot at a time: the disk holds the exports already.
    rm -f "$work"/*.beianidx
    /usr/bin/time -o "$work/$format.time" -f "%e %U %S %M" "$beian" index build --threads "$threads" --id-key-file "$work/key" \
        -o "$work/$format.beianidx" "${files[@]}" > "$work/$format.out" 2> "$work/$format.err"
    read -r wall user sys rss < "$work/$format.time"
    size=$(stat -c %s "$work/$format.beianidx")
    awk -v f="$format" -v b="$bytes" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v z="$size" \
        'BEGIN { printf "| %s | %.2f GB | %.1f s | %.0f + %.0f s | %.2f GB | %.2f GB |\n", f, b/1e9, w, u, s, r/1048576, z/1e9 }'
    "$beian" index stats --json "$work/$format.beianidx" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["counts"], sort_keys=True))' > "$work/$format.counts"
done
first=""
for format in $formats; do
    if [ -z "$first" ]; then first=$format; continue; fi
    if cmp -s "$work/$first.counts" "$work/$format.counts"; then
        echo "$format: the same tables as $first"
    else
        echo "$format: tables differ from $first:" >&2
        diff "$work/$first.counts" "$work/$format.counts" >&2 || true
        exit 1
    fi
done
