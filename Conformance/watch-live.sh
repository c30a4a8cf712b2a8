#!/usr/bin/env bash
# `beian watch` on a live interface (root): the sample's access-link capture replayed with
# tcpreplay onto one end of a veth pair while the watch listens on the other end, and dumpcap
# records the same packets. The findings the watch reports as "new" events must be, key for
# key (kind, independent domain, address), those of a batch scan of what dumpcap recorded:
# the same packets with the same times (live packets carry today's time, so filings are
# judged as they stand today, by both).
#
#   Conformance/watch-live.sh [BEIAN]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
beian="${1:-$root/.build/debug/beian}"
sample="$root/Datasets/sample"
work="$(mktemp -d)"
# shellcheck source=Conformance/veth.sh
. "$root/Conformance/veth.sh"
a=beianwt0
b=beianwt1
watcher=""
cleanup() {
    [ -n "$watcher" ] && kill "$watcher" 2> /dev/null || true
    veth_down "$a"
    rm -rf "$work"
}
trap cleanup EXIT

if ! veth_usable; then
    echo "watch live test: needs root, tcpreplay and iproute2; skipped" >&2
    exit 0
fi
veth_up "$a" "$b"

index="$work/sample.beianidx"
"$beian" index build "$sample"/registry/xml/*.xml -o "$index" > /dev/null 2>&1
capture="$sample/traffic/access-link.pcap"
dumpcap -q -i "$b" -w "$work/replayed.pcapng" 2> "$work/dumpcap.err" &
recorder=$!
"$beian" watch --index "$index" --geoip "$sample/geo/country.mmdb" --interface "$b" --state "$work/state" \
    --events "$work/events.jsonl" --update-interval 3600 --summary-interval 3600 2> "$work/watch.err" &
watcher=$!
sleep 2
tcpreplay --intf1="$a" --pps=2000 "$capture" > "$work/replay.txt" 2>&1
sleep 2
kill -TERM "$watcher"
wait "$watcher" || true
watcher=""
kill -INT "$recorder"
wait "$recorder" || true
# The batch scan of the same packets (no coverage: empty shells and over-reporting need the
# whole input).
"$beian" scan --index "$index" --geoip "$sample/geo/country.mmdb" "$work/replayed.pcapng" > "$work/batch.jsonl" 2> /dev/null

python3 - "$work/batch.jsonl" "$work/events.jsonl" <<'PY'
import json, sys
def key(finding):
    return (finding.get("kind"), finding.get("independent_domain"), finding.get("address"))
batch = {key(json.loads(line)) for line in open(sys.argv[1]) if line.strip()}
events = [json.loads(line) for line in open(sys.argv[2]) if line.strip()]
new = [key(e["finding"]) for e in events if e.get("event") == "new"]
print(f"watch live: {len(new)} new findings reported, the batch scan: {len(batch)}")
if len(set(new)) != len(new):
    print("  a finding reported twice")
    sys.exit(1)
if set(new) != batch:
    for item in sorted(batch - set(new), key=str)[:10]:
        print("  only in the batch scan:", item)
    for item in sorted(set(new) - batch, key=str)[:10]:
        print("  only in the watch:", item)
    sys.exit(1)
print("watch live: the same findings as the batch scan")
PY
grep -E "libpcap|dropped" "$work/watch.err" | tail -2 || true
