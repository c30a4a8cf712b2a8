#!/usr/bin/env bash
# The crawler's WARC read by warcio: the sample's sites served on loopback by
# `beian-datagen serve`, crawled by `beian crawl` (homepages, redirects, bazs.cert), then
# `warcio check` (every record's digest) and `warcio index` (every record, the same count as
# beian's). Usage: Conformance/crawl-warcio.sh BEIAN BEIAN_DATAGEN
set -euo pipefail
beian="$1"
datagen="$2"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
"$datagen" serve --warc "$root/Datasets/sample/homepages/homepages.warc.gz" --port 0 > "$work/serve.out" 2> /dev/null &
server=$!
trap '{ kill -9 "$server"; wait "$server"; } 2> /dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q listening "$work/serve.out" 2> /dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$work/serve.out")
python3 -c '
import json, sys
for k, line in enumerate(open(sys.argv[1], encoding="utf-8")):
    host = json.loads(line)["host"]
    print(host[4:] if k % 3 == 0 and host.startswith("www.") else host)' "$root/Datasets/sample/truth/homepages.jsonl" > "$work/hosts.txt"
"$beian" crawl --hosts-file "$work/hosts.txt" --proxy "127.0.0.1:$port" --out "$work/crawl.warc.gz" --cert --politeness 0 2> "$work/crawl.err"
cat "$work/crawl.err"
records=$(sed -n 's/.*; \([0-9]*\) records.*/\1/p' "$work/crawl.err")
warcio check "$work/crawl.warc.gz"
indexed=$(warcio index "$work/crawl.warc.gz" | wc -l)
echo "warcio check passed; warcio index lists $indexed records, beian wrote $records"
[ "$indexed" = "$records" ]
