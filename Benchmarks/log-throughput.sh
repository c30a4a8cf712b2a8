#!/usr/bin/env bash
# Text readers on one core (issue 18): Zeek TSV and Zeek JSON lines per second (`beian extract
# --threads 1` of the province world's ssl.log repeated ROUNDS times, observations written to a
# file), and registry CSV MB/s (`beian registry validate --threads 1` of the province export).
# Best of RUNS each. Goals: Zeek TSV 1.5 M lines/s, Zeek JSON 1 M lines/s, registry CSV 150 MB/s.
#
#   Benchmarks/log-throughput.sh            # ROUNDS=12 RUNS=5 by default
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${ROUNDS:-12}"
runs="${RUNS:-5}"
for product in beian beian-datagen; do
    swift build -c release --product "$product" > /dev/null 2>&1 || swift build -c release --product "$product"
done
beian=.build/release/beian
world=Datasets/generated/province
[ -f "$world/logs/zeek/ssl.log" ] || .build/release/beian-datagen --preset province --seed 1 --out "$world" > /dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

best() {  # best wall seconds of $runs runs
    local wall=999999
    for _ in $(seq "$runs"); do
        /usr/bin/time -o "$work/time" -f "%e" "$@" > /dev/null 2>&1
        wall=$(awk -v a="$wall" -v b="$(tail -1 "$work/time")" 'BEGIN { print (b < a) ? b : a }')
    done
    echo "$wall"
}

for i in $(seq "$rounds"); do cat "$world/logs/zeek/ssl.log"; done > "$work/ssl.log"
for i in $(seq "$rounds"); do cat "$world/logs/zeek-json/ssl.log"; done > "$work/ssl.json.log"

echo "| reader | input | seconds | rate | goal |"
echo "|---|---|---|---|---|"
for format in tsv json; do
    file="$work/ssl.log"
    [ "$format" = json ] && file="$work/ssl.json.log"
    lines=$(grep -vc '^#' "$file")
    wall=$(best "$beian" extract --threads 1 "$file" -o "$work/out.jsonl")
    goal=$([ "$format" = tsv ] && echo "1.5 M lines/s" || echo "1 M lines/s")
    awk -v f="$format" -v l="$lines" -v w="$wall" -v m="$(du -m "$file" | cut -f1)" -v g="$goal" \
        'BEGIN { printf "| Zeek %s | %d lines, %d MB | %.2f | %.2f M lines/s | %s |\n", toupper(f), l, m, w, l / w / 1e6, g }'
done
csv=("$world"/registry/csv/*.csv)
bytes=$(cat "${csv[@]}" | wc -c)
wall=$(best "$beian" registry validate --threads 1 "${csv[@]}")
awk -v b="$bytes" -v w="$wall" \
    'BEGIN { printf "| registry CSV | %.1f MB | %.2f | %.0f MB/s | 150 MB/s |\n", b / 1e6, w, b / w / 1e6 }'
