#!/usr/bin/env bash
# Live capture test (root): replays a capture with tcpreplay onto one end of a veth pair
# while `beian extract --interface` listens on the other end, and checks that the
# observations are those of reading the file (hosts, addresses, ports, protocols, clients;
# times and packet numbers are the replay's own).
#
#   Conformance/live-capture.sh [BEIAN] [CAPTURE]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
beian="${1:-$root/.build/debug/beian}"
capture="${2:-$root/Datasets/sample/traffic/access-link.pcap}"
work="$(mktemp -d)"
# shellcheck source=Conformance/veth.sh
. "$root/Conformance/veth.sh"
a=beianrp0
b=beianrp1
cleanup() {
    veth_down "$a"
    rm -rf "$work"
}
trap cleanup EXIT

if ! veth_usable; then
    echo "live capture test: needs root, tcpreplay and iproute2; skipped" >&2
    exit 0
fi
veth_up "$a" "$b"

packets=$("$beian" extract --threads 1 "$capture" 2>&1 > "$work/file.jsonl" | sed -n 's/.*: \([0-9]*\) packets.*/\1/p' | head -1)
"$beian" extract --interface "$b" --packets "$packets" --duration 60 > "$work/live.jsonl" 2> "$work/live.err" &
listener=$!
sleep 2
tcpreplay --intf1="$a" --pps=5000 "$capture" > "$work/replay.txt" 2>&1
wait "$listener" || true

python3 - "$work/file.jsonl" "$work/live.jsonl" <<'PY'
import json, sys
from collections import Counter
def load(path):
    keep = ("host", "address", "port", "protocol", "transport", "client", "ech", "proxy")
    return Counter(tuple(json.loads(line).get(k) for k in keep) for line in open(path) if line.strip())
expected, seen = load(sys.argv[1]), load(sys.argv[2])
print(f"live capture: {sum(seen.values())} observations, reading the file: {sum(expected.values())}")
if expected != seen:
    for item in list((expected - seen).elements())[:10]:
        print("  only in the file:", item)
    for item in list((seen - expected).elements())[:10]:
        print("  only live:", item)
    sys.exit(1)
print("live capture: identical to the file")
PY
grep "libpcap" "$work/live.err" || true
