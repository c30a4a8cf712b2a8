#!/usr/bin/env bash
# The annual review's figure: a history of twelve monthly runs of the province preset (its
# Zeek ssl, dns and http logs moved month by month through 2026, each month leaving out a
# different twelfth of the lines so that findings come, go and come back), then
# `beian report annual` of 2026 over it — the registry check of the province index included —
# as JSON, CSV and HTML: wall time and peak memory of each, the history's size, the review's
# numbers (goal: ≤ 5 s). Then reports read while scans write: three more runs recorded while
# `beian report monthly` reads the history in a loop — every read must succeed and show whole
# runs only (WAL).
#
#   Benchmarks/annual-report.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product beian > /dev/null
swift build -c release --product beian-datagen > /dev/null
beian=$(realpath .build/release/beian)
province=Datasets/generated/province
[ -f "$province/logs/zeek/ssl.log" ] || .build/release/beian-datagen --preset province --seed 1 --out "$province" > /dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$beian" index build "$province"/registry/xml/*.xml -o "$work/province.beianidx" 2> /dev/null | head -1

# The logs start on 2026-03-01: month m (1…12) moves them to the first of that month.
base=$(date -u -d 2026-03-01 +%s)
history="$work/history.sqlite"
for month in $(seq 1 12); do
    shift=$(($(date -u -d "2026-$(printf %02d "$month")-01" +%s) - base))
    inputs=()
    for log in ssl dns http; do
        awk -F'\t' -v by="$shift" -v skip="$month" 'BEGIN { OFS = "\t" } /^#/ { print; next }
            { n++; if (n % 12 == skip % 12) next; $1 = sprintf("%.6f", $1 + by); print }' \
            "$province/logs/zeek/$log.log" > "$work/$log-$month.log"
        inputs+=("$work/$log-$month.log")
    done
    "$beian" scan --index "$work/province.beianidx" --geoip "$province/geo/country.mmdb" \
        --coverage-file "$province/truth/coverage.txt" --history "$history" -o /dev/null "${inputs[@]}" 2> /dev/null
    rm -f "${inputs[@]}"
done
"$beian" history list --history "$history" | sed 's/^/   /'
runs=$("$beian" history list --history "$history" | wc -l)
findings=$("$beian" history findings --history "$history" | wc -l)
echo "history: $runs runs, $findings findings, $(du -h "$history" | cut -f1)"

for format in json csv html; do
    /usr/bin/time -f "report annual --format $format: wall %e s, peak %M KB" \
        "$beian" report annual --history "$history" --index "$work/province.beianidx" --year 2026 --at 2026-12-31 \
        --format "$format" -o "$work/annual.$format"
    echo "   $(du -h "$work/annual.$format" | cut -f1) written"
done
python3 - "$work/annual.json" << 'PYEOF'
import json, sys
report = json.load(open(sys.argv[1]))
providers = report["providers"]
print(f"review: {len(providers)} providers, {len(report['findings'])} findings")
print("months (scan findings seen):", [sum(m["findings_by_kind"].values()) for m in report["monthly"]])
PYEOF

# Reading while writing: three more scans recorded (December again) while monthly reports of
# 2026-12 read the history over and over; each read must succeed, and its runs of the month
# must be whole runs (findings as recorded), 1 to 4 of them.
shift=$(($(date -u -d 2026-12-01 +%s) - base))
for log in ssl dns http; do
    awk -F'\t' -v by="$shift" 'BEGIN { OFS = "\t" } /^#/ { print; next } { $1 = sprintf("%.6f", $1 + by); print }' \
        "$province/logs/zeek/$log.log" > "$work/$log-again.log"
done
(
    for _ in 1 2 3; do
        "$beian" scan --index "$work/province.beianidx" --coverage-file "$province/truth/coverage.txt" --history "$history" \
            -o /dev/null "$work"/*-again.log 2> /dev/null
    done
    touch "$work/written"
) &
reads=0
failures=0
while [ ! -f "$work/written" ]; do
    if out=$("$beian" report monthly --history "$history" --month 2026-12 2>&1); then
        echo "$out" | python3 -c '
import json, sys
runs = json.load(sys.stdin)["runs"]
assert 1 <= len(runs) <= 4 and all(run["findings"] > 0 for run in runs), runs' || failures=$((failures + 1))
    else
        failures=$((failures + 1))
    fi
    reads=$((reads + 1))
done
wait
echo "reading while writing: $reads monthly reports during 3 recorded scans, $failures failed"
