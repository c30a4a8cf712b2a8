#!/usr/bin/env bash
# The reports of the sample, as a browser shows them: two scans of the sample a month apart
# (its Zeek logs, the second moved 35 days on, half its lines and the HTTP log added) recorded
# in a history, a handling result recorded for one unfiled site, then `beian report monthly`
# for March and April, `beian report annual` for 2026 and `beian report handling` for the
# provider with the most unfiled sites as HTML, and headless Chromium's screenshots of them
# under docs/ (linked from the README).
#
#   bash Scripts/report-screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium > /dev/null || { echo "report-screenshots.sh: needs chromium (Scripts/setup.sh installs it)" >&2; exit 1; }
# Chinese glyphs in screenshots.
dpkg -s fonts-noto-cjk > /dev/null 2>&1 || apt-get install -y -qq --no-install-recommends fonts-noto-cjk > /dev/null
swift build --product beian > /dev/null
beian=.build/debug/beian
sample=Datasets/sample
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$beian" index build "$sample"/registry/xml/*.xml -o "$work/sample.beianidx" > /dev/null 2>&1
shift_log() { # log seconds every output
    awk -F'\t' -v by="$2" -v every="$3" 'BEGIN { OFS = "\t" } /^#/ { print; next } { n++; if (n % every) next; $1 = sprintf("%.6f", $1 + by); print }' \
        "$sample/logs/zeek/$1" > "$4"
}
shift_log ssl.log 0 1 "$work/ssl.log"
shift_log dns.log 0 1 "$work/dns.log"
shift_log ssl.log 3024000 2 "$work/ssl-april.log"
shift_log http.log 3024000 1 "$work/http-april.log"
common=(scan --index "$work/sample.beianidx" --geoip "$sample/geo/country.mmdb" --coverage-file "$sample/truth/coverage.txt"
    --history "$work/history.sqlite" -o /dev/null)
"$beian" "${common[@]}" "$work/ssl.log" "$work/dns.log" 2> /dev/null
"$beian" "${common[@]}" "$work/ssl-april.log" "$work/http-april.log" 2> /dev/null
for month in 2026-03 2026-04; do
    "$beian" report monthly --history "$work/history.sqlite" --month "$month" -o "$work/$month.html"
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,1250 \
        --screenshot="docs/report-monthly-$month.png" "file://$work/$month.html" 2> /dev/null
    echo "docs/report-monthly-$month.png"
done
codes="$sample/registry/xml/codes.xml"
handling=(report handling --history "$work/history.sqlite" --unit 102 --codes "$codes")
first=$("$beian" "${handling[@]}" --format csv | sed -n 2p | cut -d, -f1)
"$beian" history handle --history "$work/history.sqlite" --codes "$codes" --domain "$first" --status 2 --opinion "已关闭网站" \
    --at 2026-03-20 2> /dev/null
"$beian" "${handling[@]}" -o "$work/handling.html"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,900 \
    --screenshot="docs/report-handling.png" "file://$work/handling.html" 2> /dev/null
echo "docs/report-handling.png"
"$beian" report annual --history "$work/history.sqlite" --index "$work/sample.beianidx" --year 2026 --at 2026-12-01 \
    -o "$work/annual.html" 2> /dev/null
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,2200 \
    --screenshot="docs/report-annual-2026.png" "file://$work/annual.html" 2> /dev/null
echo "docs/report-annual-2026.png"
