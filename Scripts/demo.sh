#!/usr/bin/env bash
# Sets up what is missing, builds beian and runs the main job on the bundled sample.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/setup.sh
swift build -c release --product beian > /dev/null
beian=".build/release/beian"
echo "== beian registry validate: the sample registry (V3.0 XML in GBK, CSV, JSON Lines)"
"$beian" registry validate Datasets/sample/registry/xml/*.xml
echo
echo "== the same records as CSV (GBK and UTF-8) and JSON Lines"
"$beian" registry validate Datasets/sample/registry/csv/*.csv | tail -1
"$beian" registry validate Datasets/sample/registry/jsonl/*.jsonl | tail -1

echo
echo "== beian index build: the sample registry into one snapshot"
index="$(mktemp -d)/sample.beianidx"
"$beian" index build Datasets/sample/registry/xml/*.xml -o "$index" 2> /dev/null | sed -n 1p
echo
echo "== beian check-registry: inconsistencies inside the registry itself"
"$beian" check-registry --index "$index" --at 2026-06-30 > /dev/null
echo
echo "== beian lookup: an address and two hosts"
"$beian" lookup ip 101.69.16.1 --index "$index"
host=$("$beian" lookup ip 101.69.16.1 --index "$index" --json | sed -n 's/.*"domains":\[{"name":"\([^"]*\)".*/\1/p')
"$beian" lookup host "www.$host" no-such-site.example.cn --index "$index"

echo
echo "== beian extract: what the sample's captures and logs show (the first observations)"
work="$(mktemp -d)"
(cd Datasets/sample && "../../$beian" extract traffic/access-link.pcap traffic/mobile-core.pcapng logs/zeek/ssl.log --format tsv \
    > "$work/observations.tsv" 2> "$work/extract.err")
head -8 "$work/observations.tsv"
echo "…"
grep -E "packets|lines|observations" "$work/extract.err"

echo
echo "== beian homepages: what the audit reads on one crawled homepage"
"$beian" homepages --index "$index" Datasets/sample/homepages/homepages.warc.gz > "$work/pages.txt" 2> /dev/null
head -6 "$work/pages.txt"

echo
echo "== beian scan: the sample's captures and crawl judged against its registry (the main job)"
(cd Datasets/sample && "../../$beian" scan --index "$index" --geoip geo/country.mmdb --coverage-file truth/coverage.txt \
    traffic/access-link.pcap traffic/mobile-core.pcapng homepages/homepages.warc.gz > "$work/findings.jsonl")
echo "first findings:"
head -3 "$work/findings.jsonl"
echo
echo "== the findings scored against the sample's ground truth (traffic and homepages)"
swift build -c release --product beian-datagen > /dev/null
.build/release/beian-datagen score --truth Datasets/sample/truth --findings "$work/findings.jsonl" \
    --truth-file findings.jsonl --truth-file findings-homepages.jsonl | head -12
