#!/usr/bin/env bash
# Partial scans and their merge at province scale (issue 16):
#   1. one scan of the province world's inputs (captures, Zeek logs, squid log, crawl) against
#      the province index: the reference findings and time;
#   2. ROUNDS random partitions of those inputs scanned as parts and merged, in random order:
#      each must equal the reference byte for byte;
#   3. the merge's cost: parts' findings per second, and per million findings;
#   4. the Spark job in local mode (local[2], driver and tree merges): its wall time against
#      the single scan's, and its findings equal to the reference.
#
#   Benchmarks/merge.sh            # ROUNDS=3
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product beian > /dev/null
swift build -c release --product beian-datagen > /dev/null
beian=$(realpath .build/release/beian)
province=$(realpath Datasets/generated/province)
rounds="${ROUNDS:-3}"
command -v bc > /dev/null || apt-get install -y -qq --no-install-recommends bc > /dev/null
[ -f "$province/traffic/access-link.pcap" ] || .build/release/beian-datagen --preset province --seed 1 --out "$province" > /dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$beian" index build "$province"/registry/xml/*.xml -o "$work/province.beianidx" > /dev/null 2>&1
cd "$province"
mapfile -t inputs < <(ls traffic/*.pcap* logs/zeek/*.log logs/squid/*.log homepages/*.warc* 2> /dev/null)
options=(--geoip geo/country.mmdb)
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }

start=$(now)
"$beian" scan --index "$work/province.beianidx" "${options[@]}" --coverage-file truth/coverage.txt --threads 2 "${inputs[@]}" \
    -o "$work/single.jsonl" 2> /dev/null
single=$(since "$start")
bytes=$(du -cb "${inputs[@]}" | tail -1 | cut -f1)
printf 'single scan: %d inputs, %.2f GB, %d findings in %.2f s (2 threads)\n' "${#inputs[@]}" \
    "$(echo "$bytes / 1000000000" | bc -l)" "$(wc -l < "$work/single.jsonl")" "$single"

for round in $(seq 1 "$rounds"); do
    mapfile -t shuffled < <(printf '%s\n' "${inputs[@]}" | shuf --random-source=<(yes "$round"))
    count=$((2 + round % 3))
    parts=()
    scanning=0
    for part in $(seq 0 $((count - 1))); do
        group=()
        for i in "${!shuffled[@]}"; do [ $((i % count)) -eq "$part" ] && group+=("${shuffled[$i]}"); done
        [ ${#group[@]} -gt 0 ] || continue
        start=$(now)
        "$beian" scan --index "$work/province.beianidx" "${options[@]}" --threads 2 --partial -o "$work/r$round-$part.partial" \
            "${group[@]}" 2> /dev/null
        scanning=$(echo "$scanning + $(since "$start")" | bc)
        parts+=("$work/r$round-$part.partial")
    done
    mapfile -t order < <(printf '%s\n' "${parts[@]}" | shuf --random-source=<(yes "x$round"))
    start=$(now)
    "$beian" merge --index "$work/province.beianidx" --coverage-file truth/coverage.txt "${order[@]}" -o "$work/merged.jsonl" \
        2> "$work/merge.log"
    merging=$(since "$start")
    partial=$(grep -o '[0-9]* partial findings' "$work/merge.log" | cut -d' ' -f1)
    cmp "$work/single.jsonl" "$work/merged.jsonl"
    printf 'round %d: %d parts (scans %.2f s), merge of %d partial findings %.2f s (%.0f findings/s, %.1f s per million): equal\n' \
        "$round" "${#parts[@]}" "$scanning" "$partial" "$merging" "$(echo "$partial / $merging" | bc -l)" \
        "$(echo "$merging * 1000000 / $partial" | bc -l)"
done

if python3 -c "import pyspark" 2> /dev/null; then
    submit=$(python3 -c 'import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), "bin", "spark-submit"))')
    for merge in driver tree; do
        start=$(now)
        "$submit" --master 'local[2]' --conf spark.ui.enabled=false "$OLDPWD/Scale/spark/beian_spark.py" --beian "$beian" \
            --index "$work/province.beianidx" "${options[@]}" --coverage-file truth/coverage.txt --partitions 4 --merge "$merge" \
            --output "$work/spark.jsonl" "${inputs[@]}" > "$work/spark.log" 2>&1
        took=$(since "$start")
        cmp "$work/single.jsonl" "$work/spark.jsonl"
        printf 'spark local[2], %s merge: %.2f s against the single scan'"'"'s %.2f s (%.2f×), equal; %s\n' "$merge" "$took" "$single" \
            "$(echo "$took / $single" | bc -l)" "$(grep '^beian-spark:' "$work/spark.log" | cut -d: -f2-)"
    done
else
    echo "spark: pyspark not installed (bash Scale/spark/check.sh installs it)"
fi
