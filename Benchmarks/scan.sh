#!/usr/bin/env bash
# Scan figures (issue 6), end to end (`beian scan`, findings to /dev/null), best of 3:
#   1. the province access-link capture (≈ 1 GB): Mpps on 1 and 2 threads;
#   2. peak memory of a scan of ≈ 1 GB and of ≈ 10 GB of captures (6 rounds of the province
#      traffic), the index excluded (its mapping is reported apart);
#   3. Zeek lines per second (the 6-round world's http, ssl and dns logs).
#
#   Benchmarks/scan.sh          # KEEP=1 keeps the 10 GB world in Datasets/generated
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product beian > /dev/null
swift build -c release --product beian-datagen > /dev/null
beian=.build/release/beian
one=Datasets/generated/province
ten=Datasets/generated/province-x6
[ -f "$one/traffic/access-link.pcap" ] || .build/release/beian-datagen --preset province --seed 1 --out "$one" > /dev/null
[ -f "$ten/traffic/access-link.pcap" ] || .build/release/beian-datagen --preset province --seed 1 --rounds 6 --out "$ten" > /dev/null
work=$(mktemp -d)
index=$work/province.beianidx
timing=$work/time.txt
"$beian" index build "$one"/registry/xml/*.xml -o "$index" > /dev/null 2>&1
echo "index: $(du -m "$index" | cut -f1) MB mapped"

best() {  # best wall seconds and the peak RSS (KB) of 3 runs
    local wall=999999 peak=0
    for _ in 1 2 3; do
        local out
        /usr/bin/time -o "$timing" -f "%e %M" "$@" > /dev/null 2> /dev/null || true
        out=$(tail -1 "$timing")
        wall=$(awk -v a="$wall" -v b="${out% *}" 'BEGIN { print (b < a) ? b : a }')
        peak=$(awk -v a="$peak" -v b="${out#* }" 'BEGIN { print (b > a) ? b : a }')
    done
    echo "$wall $peak"
}

packets=$("$beian" extract "$one/traffic/access-link.pcap" 2>&1 > /dev/null | sed -n 's/.*: \([0-9]*\) packets.*/\1/p' | head -1)
scan=("$beian" scan --index "$index" --geoip "$one/geo/country.mmdb" --coverage-file "$one/truth/coverage.txt")
echo
echo "| scan | seconds | Mpps | peak RSS |"
echo "|---|---|---|---|"
for threads in 1 2; do
    read -r wall peak <<< "$(best "${scan[@]}" --threads "$threads" "$one/traffic/access-link.pcap")"
    awk -v t="$threads" -v w="$wall" -v p="$packets" -v m="$peak" \
        'BEGIN { printf "| 1 GB capture, %d thread(s) | %.2f | %.2f | %.0f MB |\n", t, w, p / w / 1e6, m / 1024 }'
    eval "wall$threads=$wall"
done
awk -v a="$wall1" -v b="$wall2" 'BEGIN { printf "threads 2 / 1: %.2f×\n", a / b }'

read -r wall peak1 <<< "$(best "${scan[@]}" --threads 2 "$one"/traffic/access-link.pcap "$one"/traffic/mobile-core.pcapng)"
echo "| 1.7 GB (province, both captures), 2 threads | $wall | | $((peak1 / 1024)) MB |"
read -r wall peak10 <<< "$(best "${scan[@]}" --threads 2 "$ten"/traffic/access-link.pcap "$ten"/traffic/mobile-core.pcapng)"
echo "| 10.3 GB (6 rounds), 2 threads | $wall | | $((peak10 / 1024)) MB |"

lines=$(cat "$ten"/logs/zeek/{http,ssl,dns}.log | wc -l)
read -r wall peak <<< "$(best "${scan[@]}" "$ten"/logs/zeek/http.log "$ten"/logs/zeek/ssl.log "$ten"/logs/zeek/dns.log)"
awk -v l="$lines" -v w="$wall" 'BEGIN { printf "Zeek logs: %d lines in %.2f s: %.2f M lines/s (scan, one core)\n", l, w, l / w / 1e6 }'
[ "${KEEP:-0}" = 1 ] || rm -rf "$ten"
