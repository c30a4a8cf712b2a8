#!/usr/bin/env bash
# The Spark job in local mode (local[2]) on the sample: its findings, merged on the driver and
# in a tree, equal byte for byte those of one `beian scan` of the same inputs. Installs what
# it needs (Java 17 from Debian, PySpark 4.3 from PyPI) when missing.
#
#   bash Scale/spark/check.sh [BEIAN]      # BEIAN: the binary (default .build/debug/beian)
set -euo pipefail
cd "$(dirname "$0")/../.."
beian=$(realpath "${1:-.build/debug/beian}")
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
command -v java > /dev/null || $sudo apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless > /dev/null
if ! python3 -c "import pyspark" 2> /dev/null; then
    echo "check: installing pyspark 4.3 (PyPI)"
    python3 -m pip install --quiet --disable-pip-version-check "pyspark==4.3.0" 2> /dev/null \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "pyspark==4.3.0"
fi
submit=$(python3 -c 'import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), "bin", "spark-submit"))')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$beian" index build Datasets/sample/registry/xml/*.xml -o "$work/sample.beianidx" > /dev/null 2>&1
cd Datasets/sample
inputs=(traffic/access-link.pcap traffic/mobile-core.pcapng homepages/homepages.warc.gz logs/zeek/ssl.log logs/zeek/http.log
    logs/zeek/dns.log logs/squid/access.log)
options=(--geoip geo/country.mmdb --coverage-file truth/coverage.txt)
milliseconds() { echo $(($(date +%s%N) / 1000000)); }
start=$(milliseconds)
"$beian" scan --index "$work/sample.beianidx" "${options[@]}" "${inputs[@]}" -o "$work/single.jsonl" 2> /dev/null
single=$(($(milliseconds) - start))
for merge in driver tree; do
    start=$(milliseconds)
    "$submit" --master 'local[2]' --conf spark.ui.enabled=false ../../Scale/spark/beian_spark.py --beian "$beian" \
        --index "$work/sample.beianidx" "${options[@]}" --partitions 4 --merge "$merge" --output "$work/spark-$merge.jsonl" \
        "${inputs[@]}" > "$work/spark-$merge.log" 2>&1 || { tail -30 "$work/spark-$merge.log"; exit 1; }
    took=$(($(milliseconds) - start))
    grep '^beian-spark:' "$work/spark-$merge.log"
    cmp "$work/single.jsonl" "$work/spark-$merge.jsonl"
    printf 'spark local[2], %s merge: %d findings equal to one scan'"'"'s; %d ms against %d ms (Spark starting a JVM included)\n' \
        "$merge" "$(wc -l < "$work/single.jsonl")" "$took" "$single"
done
