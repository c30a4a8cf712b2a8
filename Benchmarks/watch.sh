#!/usr/bin/env bash
# `beian watch` figures (root, tcpreplay, dumpcap; a veth pair of its own):
#   1. latency from the packet on the wire to its finding's event: the sample's access-link
#      capture replayed at 2,000 packets/s; each new event's line is timed as it appears in the
#      events file, against the capture time of the packet its evidence names (dumpcap records
#      the same packets, numbered as the watch numbers them): p50, p99, max;
#   2. the highest replay rate of the province capture (1.26 M packets) with no packet
#      dropped by the kernel (libpcap's counter), rates rising up to tcpreplay's top speed;
#   3. followed logs: province Zeek ssl lines appended in one go to a followed file, lines per
#      second until the watch's state says it has read them all;
#   4. memory: resident size after a minute and after MINUTES (default 30) of the province
#      capture replayed in a loop at 20,000 packets/s.
#
#   Benchmarks/watch.sh            # PARTS="latency rate follow memory" MINUTES=30
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product beian > /dev/null
swift build -c release --product beian-datagen > /dev/null
beian=$(realpath .build/release/beian)
sample=Datasets/sample
province=Datasets/generated/province
[ -f "$province/traffic/access-link.pcap" ] || .build/release/beian-datagen --preset province --seed 1 --out "$province" > /dev/null
parts="${PARTS:-latency rate follow memory}"
minutes="${MINUTES:-30}"
work=$(mktemp -d)
a=beianbw0
b=beianbw1
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
    veth_down "$a"
    rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=Conformance/veth.sh
. Conformance/veth.sh
veth_usable || { echo "watch.sh: needs root, tcpreplay and iproute2 (a veth pair)" >&2; exit 1; }
veth_up "$a" "$b"
"$beian" index build "$sample"/registry/xml/*.xml -o "$work/sample.beianidx" > /dev/null 2>&1
"$beian" index build "$province"/registry/xml/*.xml -o "$work/province.beianidx" > /dev/null 2>&1

# Starts a watch on the veth pair with the index $1 and extra options; its pid in $watcher.
watch() {
    local index=$1
    shift
    rm -rf "$work/state" "$work/events.jsonl"
    "$beian" watch --index "$index" --interface "$b" --state "$work/state" --events "$work/events.jsonl" \
        --update-interval 3600 --summary-interval 3600 "$@" 2> "$work/watch.err" &
    watcher=$!
    pids+=("$watcher")
    sleep 2
}

stop() {
    kill -TERM "$1"
    wait "$1" 2> /dev/null || true
}

if [[ " $parts " == *" latency "* ]]; then
    dumpcap -q -i "$b" -w "$work/replayed.pcapng" 2> /dev/null &
    recorder=$!
    pids+=("$recorder")
    watch "$work/sample.beianidx" --geoip "$sample/geo/country.mmdb"
    # Each event line timed as it appears.
    python3 - "$work/events.jsonl" "$work/arrivals.tsv" <<'PY' &
import sys, time, os
path, out = sys.argv[1], open(sys.argv[2], "w")
position, pending, idle = 0, b"", 0
while idle < 4000:
    try:
        with open(path, "rb") as f:
            f.seek(position)
            chunk = f.read()
    except FileNotFoundError:
        chunk = b""
    now = time.time()
    if chunk:
        idle = 0
        position += len(chunk)
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            out.write(f"{now:.6f}\t{line.decode()}\n")
        out.flush()
    else:
        idle += 1
        time.sleep(0.001)
PY
    tailer=$!
    tcpreplay --intf1="$a" --pps=2000 "$sample/traffic/access-link.pcap" > /dev/null 2>&1
    sleep 2
    stop "$watcher"
    kill -INT "$recorder"
    wait "$recorder" 2> /dev/null || true
    wait "$tailer" 2> /dev/null || true
    tshark -r "$work/replayed.pcapng" -T fields -e frame.number -e frame.time_epoch 2> /dev/null > "$work/packets.tsv"
    python3 - "$work/arrivals.tsv" "$work/packets.tsv" <<'PY'
import json, sys, statistics
packets = {}
for line in open(sys.argv[2]):
    number, epoch = line.split()
    packets[int(number)] = float(epoch)
latencies = []
for line in open(sys.argv[1]):
    arrived, text = line.split("\t", 1)
    event = json.loads(text)
    if event.get("event") != "new":
        continue
    location = event["finding"]["evidence"][0]["location"]
    if location.startswith("packet "):
        latencies.append(float(arrived) - packets[int(location.split()[1])])
latencies.sort()
if latencies:
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    print(f"latency, packet to event, {len(latencies)} new findings: p50 {p(0.5) * 1000:.0f} ms, p99 {p(0.99) * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
PY
fi

if [[ " $parts " == *" rate "* ]]; then
    capture="$province/traffic/access-link.pcap"
    ticks=$(getconf CLK_TCK)
    for rate in 100000 200000 400000 800000 top; do
        watch "$work/province.beianidx" --buffer-size 512
        sleep 3  # the kernel ring of 512 MiB is set up before the replay starts
        if [ "$rate" = top ]; then speed=(--topspeed); else speed=(--pps="$rate"); fi
        cpu_before=$(awk '{ print $14 + $15 }' "/proc/$watcher/stat")
        tcpreplay --intf1="$a" "${speed[@]}" "$capture" > "$work/replay.txt" 2>&1
        sleep 1
        cpu_after=$(awk '{ print $14 + $15 }' "/proc/$watcher/stat")
        stop "$watcher"
        achieved=$(sed -n 's/.*Rated: [0-9.]* Bps, [0-9.]* Mbps, \([0-9.]*\) pps.*/\1/p' "$work/replay.txt" | head -1)
        seconds=$(sed -n 's/.*Actual: [0-9]* packets ([0-9]* bytes) sent in \([0-9.]*\) seconds.*/\1/p' "$work/replay.txt" | head -1)
        received=$(sed -n 's/.*libpcap received \([0-9]*\).*/\1/p' "$work/watch.err" | tail -1)
        dropped=$(sed -n 's/.*dropped by the kernel \([0-9]*\).*/\1/p' "$work/watch.err" | tail -1)
        awk -v r="$rate" -v a="${achieved:-0}" -v rc="${received:-0}" -v d="${dropped:-?}" -v c="$((cpu_after - cpu_before))" -v t="$ticks" \
            'BEGIN { cpu = c / t; printf "replay at %s (achieved %.0f packets/s): received %d, dropped by the kernel %s; watch CPU %.2f s = %.0f k packets per CPU-second\n", r, a, rc, d, cpu, (cpu > 0 ? rc / cpu / 1000 : 0) }'
    done
fi

if [[ " $parts " == *" follow "* ]]; then
    mkdir -p "$work/logs"
    grep -v '^#' "$province/logs/zeek/ssl.log" > "$work/lines.txt"
    for _ in $(seq 1 "${REPEAT:-20}"); do cat "$work/lines.txt"; done > "$work/many.txt"
    lines=$(wc -l < "$work/many.txt")
    grep '^#' "$province/logs/zeek/ssl.log" | grep -v '^#close' > "$work/logs/ssl.log"
    rm -rf "$work/state"
    "$beian" watch --index "$work/province.beianidx" --follow "$work/logs" --state "$work/state" --events "$work/follow-events.jsonl" \
        --update-interval 3600 --summary-interval 3600 2> "$work/follow.err" &
    follower=$!
    pids+=("$follower")
    sleep 2
    header=$(wc -l < "$work/logs/ssl.log")
    start=$(date +%s.%N)
    cat "$work/many.txt" >> "$work/logs/ssl.log"
    target=$((header + lines))
    while :; do
        read_to=$(sqlite3 "$work/state/state.sqlite" "SELECT MAX(line) FROM position" 2> /dev/null || echo 0)
        [ "${read_to:-0}" -ge "$target" ] && break
        sleep 0.02
    done
    end=$(date +%s.%N)
    stop "$follower"
    awk -v l="$lines" -v s="$start" -v e="$end" 'BEGIN { printf "followed log: %d lines appended at once, read and judged in %.2f s: %.0f k lines/s\n", l, e - s, l / (e - s) / 1000 }'
fi

if [[ " $parts " == *" memory "* ]]; then
    watch "$work/province.beianidx" --buffer-size 256
    tcpreplay --intf1="$a" --pps=20000 --loop=0 "$province/traffic/access-link.pcap" > /dev/null 2>&1 &
    replayer=$!
    pids+=("$replayer")
    sleep 60
    early=$(awk '/VmRSS/ { print $2 }' "/proc/$watcher/status")
    sleep $((minutes * 60 - 60))
    late=$(awk '/VmRSS/ { print $2 }' "/proc/$watcher/status")
    kill "$replayer" 2> /dev/null || true
    stop "$watcher"
    received=$(sed -n 's/.*libpcap received \([0-9]*\).*/\1/p' "$work/watch.err" | tail -1)
    dropped=$(sed -n 's/.*dropped by the kernel \([0-9]*\).*/\1/p' "$work/watch.err" | tail -1)
    echo "memory: ${minutes} min at 20,000 packets/s (${received:-?} packets, ${dropped:-?} dropped): RSS $((early / 1024)) MB after 1 min, $((late / 1024)) MB at the end"
fi
