#!/usr/bin/env bash
# Two builds of beian side by side, in one run: the findings they write (byte for byte) and
# the speed of `beian scan` (best of 5, the two builds taking turns so that the machine's
# noise falls on both alike).
#
#   Benchmarks/scan-compare.sh OLD_BEIAN [NEW_BEIAN]
#
# OLD_BEIAN is an earlier build (say, of the last release: `git worktree add /tmp/old v1 &&
# (cd /tmp/old && swift build -c release --product beian)`); NEW_BEIAN defaults to this
# checkout's release build. Inputs: the sample (captures, logs, crawl; with its coverage and
# country database) and the province preset in Datasets/generated/province (generated when
# missing). Findings are compared as JSON Lines; both builds write times in UTC there.
set -euo pipefail
cd "$(dirname "$0")/.."
old=$(realpath "${1:?usage: Benchmarks/scan-compare.sh OLD_BEIAN [NEW_BEIAN]}")
if [ -n "${2:-}" ]; then
    new=$(realpath "$2")
else
    swift build -c release --product beian > /dev/null
    swift build -c release --product beian-datagen > /dev/null
    new=$(realpath .build/release/beian)
fi
datagen=.build/release/beian-datagen
[ -x "$datagen" ] || swift build -c release --product beian-datagen > /dev/null
province=Datasets/generated/province
[ -f "$province/traffic/access-link.pcap" ] || "$datagen" --preset province --seed 1 --out "$province" > /dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sample=Datasets/sample

"$new" index build "$sample"/registry/xml/*.xml -o "$work/sample.beianidx" > /dev/null 2>&1
"$new" index build "$province"/registry/xml/*.xml -o "$work/province.beianidx" > /dev/null 2>&1

echo "## Findings, byte for byte (JSON Lines)"
echo
echo "| inputs | findings (old) | findings (new) | identical |"
echo "|---|---|---|---|"
compare() {  # name, index, world, inputs…
    local name=$1 index=$2 world=$3
    shift 3
    local args=(scan --index "$index" --geoip "$world/geo/country.mmdb" --coverage-file "$world/truth/coverage.txt")
    "$old" "${args[@]}" "$@" > "$work/old.jsonl" 2> /dev/null || true
    "$new" "${args[@]}" "$@" > "$work/new.jsonl" 2> /dev/null || true
    local same=no
    cmp -s "$work/old.jsonl" "$work/new.jsonl" && same=yes
    echo "| $name | $(wc -l < "$work/old.jsonl") | $(wc -l < "$work/new.jsonl") | $same |"
}
compare "sample: both captures" "$work/sample.beianidx" "$sample" "$sample"/traffic/access-link.pcap "$sample"/traffic/mobile-core.pcapng
compare "sample: Zeek logs" "$work/sample.beianidx" "$sample" "$sample"/logs/zeek/{dns,http,ssl}.log
compare "sample: Zeek JSON logs" "$work/sample.beianidx" "$sample" "$sample"/logs/zeek-json/{dns,http,ssl}.log
compare "sample: web and Squid logs" "$work/sample.beianidx" "$sample" "$sample"/logs/web/*/access.log "$sample"/logs/squid/access.log
compare "sample: the crawl" "$work/sample.beianidx" "$sample" "$sample"/homepages/homepages.warc.gz
compare "sample: every input" "$work/sample.beianidx" "$sample" "$sample"/traffic/* "$sample"/logs/zeek/{dns,http,ssl}.log \
    "$sample"/logs/web/*/access.log "$sample"/logs/squid/access.log "$sample"/homepages/homepages.warc.gz
compare "province: captures, Zeek logs, crawl" "$work/province.beianidx" "$province" "$province"/traffic/access-link.pcap \
    "$province"/traffic/mobile-core.pcapng "$province"/logs/zeek/{dns,http,ssl}.log "$province"/homepages/homepages.warc.gz

echo
echo "## Speed (best of 5, builds taking turns)"
echo
echo "| scan | old s | new s | new / old |"
echo "|---|---|---|---|"
timing=$work/time.txt
race() {  # name, arguments…
    local name=$1
    shift
    local best_old=999999 best_new=999999
    for _ in 1 2 3 4 5; do
        for build in old new; do
            local binary=$old
            [ "$build" = new ] && binary=$new
            /usr/bin/time -o "$timing" -f "%e" "$binary" "$@" > /dev/null 2> /dev/null || true
            local wall
            wall=$(tail -1 "$timing")
            if [ "$build" = old ]; then
                best_old=$(awk -v a="$best_old" -v b="$wall" 'BEGIN { print (b < a) ? b : a }')
            else
                best_new=$(awk -v a="$best_new" -v b="$wall" 'BEGIN { print (b < a) ? b : a }')
            fi
        done
    done
    awk -v n="$name" -v o="$best_old" -v w="$best_new" 'BEGIN { printf "| %s | %.2f | %.2f | %.2f |\n", n, o, w, w / o }'
}
scan=(scan --index "$work/province.beianidx" --geoip "$province/geo/country.mmdb" --coverage-file "$province/truth/coverage.txt")
race "province capture (1 GB), 1 thread" "${scan[@]}" --threads 1 "$province/traffic/access-link.pcap"
race "province capture (1 GB), 2 threads" "${scan[@]}" --threads 2 "$province/traffic/access-link.pcap"
race "province Zeek logs (http, ssl, dns)" "${scan[@]}" "$province"/logs/zeek/{http,ssl,dns}.log
race "province crawl (WARC), 2 threads" "${scan[@]}" --threads 2 "$province/homepages/homepages.warc.gz"
