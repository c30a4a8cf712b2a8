#!/usr/bin/env bash
# Fault injection (issue 17): what happens to beian's outputs when the process is killed or
# the disk fills, and to its inputs when they are odd. Prints the fault matrix (case ×
# command → outcome) and fails when an outcome is wrong.
#
#   Tests/Faults/run.sh BEIAN BEIAN_DATAGEN          # ROUNDS=N kills per command (default 8)
#
# - kill -9 at random moments during `index build`, `scan --output`, `crawl --out`,
#   `scan --history` and `watch --state/--events`: the final name holds the previous file or
#   a whole new one (readers verify: the snapshot's checksums, warcio, SQLite's integrity
#   check, every event line whole and numbered once).
# - A full disk (a small tmpfs; needs root, as in CI): a clear error, a non-zero exit, nothing
#   under the final name and no temporary file left.
# - `| head -1`: a quiet exit on the closed pipe.
# - A directory, a FIFO, an unreadable file, a file that grows or shrinks while read, given
#   as input: a clear message, the other inputs still read.
set -euo pipefail
beian=$(realpath "$1")
datagen=$(realpath "$2")
root="$(cd "$(dirname "$0")/../.." && pwd)"
sample="$root/Datasets/sample"
rounds="${ROUNDS:-8}"
work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -9 "$pid" 2> /dev/null || true; done
    mountpoint -q "$work/full" 2> /dev/null && umount "$work/full"
    rm -rf "$work"
}
trap cleanup EXIT
failures=0
matrix="$work/matrix.md"
echo "| case | command | outcome |" > "$matrix"
echo "|---|---|---|" >> "$matrix"
row() { echo "| $1 | \`$2\` | $3 |" >> "$matrix"; }
fail() {
    echo "FAULT TEST FAILED: $*" >&2
    failures=$((failures + 1))
}
# A random delay in seconds, up to $1 milliseconds.
delay() { python3 -c "import random; print(random.uniform(0, $1) / 1000)"; }
# Runs "$@" in the background and kills it with SIGKILL after a random delay of up to $limit ms.
kill_during() {
    local limit="$1" pause
    shift
    pause=$(delay "$limit")
    "$@" > /dev/null 2>&1 &
    local pid=$!
    sleep "$pause"
    kill -9 "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
}
# Milliseconds "$@" takes.
duration() {
    local start end
    start=$(date +%s%N)
    "$@" > /dev/null 2>&1
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}
leftovers() { find "$1" -name '*.partial-*' | wc -l; }

cd "$work"
registry="$sample/registry/jsonl/registry.jsonl"
"$beian" index build -o index.beianidx "$registry" 2> /dev/null
capture="$sample/traffic/access-link.pcap"

# ---- kill -9 ------------------------------------------------------------------------------
echo "== kill -9 during index build"
head -n 200 "$registry" > small.jsonl
"$beian" index build -o previous.beianidx small.jsonl 2> /dev/null
took=$(duration "$beian" index build -o timing.beianidx "$registry")
kept=0 new=0
for _ in $(seq "$rounds"); do
    cp previous.beianidx out.beianidx
    kill_during $((took * 12 / 10)) "$beian" index build -o out.beianidx "$registry"
    if cmp -s out.beianidx previous.beianidx; then
        kept=$((kept + 1))
    elif "$beian" index stats out.beianidx > /dev/null 2>&1 && [ "$(stat -c %s out.beianidx)" = "$(stat -c %s timing.beianidx)" ]; then
        new=$((new + 1))
    else
        fail "index build: out.beianidx is neither the previous snapshot nor a whole new one"
    fi
    rm -f out.beianidx.partial-*
done
row "kill -9 ×$rounds (0–$((took * 12 / 10)) ms)" "beian index build -o out.beianidx" "previous kept $kept, new whole $new, torn 0"

echo "== kill -9 during scan --output"
"$beian" scan --index index.beianidx -o expected.jsonl "$capture" "$sample"/logs/zeek/*.log 2> /dev/null
took=$(duration "$beian" scan --index index.beianidx -o timing.jsonl "$capture" "$sample"/logs/zeek/*.log)
kept=0 new=0
for _ in $(seq "$rounds"); do
    echo previous > findings.jsonl
    kill_during $((took * 12 / 10)) "$beian" scan --index index.beianidx -o findings.jsonl "$capture" "$sample"/logs/zeek/*.log
    if [ "$(cat findings.jsonl)" = previous ]; then
        kept=$((kept + 1))
    elif cmp -s findings.jsonl expected.jsonl; then
        new=$((new + 1))
    else
        fail "scan --output: findings.jsonl is neither the previous file nor the whole findings"
    fi
    rm -f findings.jsonl.partial-*
done
row "kill -9 ×$rounds (0–$((took * 12 / 10)) ms)" "beian scan -o findings.jsonl" "previous kept $kept, new whole $new, torn 0"

echo "== kill -9 during scan --history"
"$beian" scan --index index.beianidx --history history.sqlite -o /dev/null "$capture" 2> /dev/null
took=$(duration "$beian" scan --index index.beianidx --history timing.sqlite -o /dev/null "$capture")
runs_before=$("$beian" history list --history history.sqlite 2> /dev/null | grep -c . || true)
for _ in $(seq "$rounds"); do
    kill_during $((took * 12 / 10)) "$beian" scan --index index.beianidx --history history.sqlite -o /dev/null "$capture"
    check=$(sqlite3 history.sqlite "PRAGMA integrity_check" 2>&1 || true)
    [ "$check" = ok ] || fail "scan --history: the history fails SQLite's integrity check: $check"
done
"$beian" scan --index index.beianidx --history history.sqlite -o /dev/null "$capture" 2> /dev/null ||
    fail "scan --history: a run after the kills fails"
runs_after=$("$beian" history list --history history.sqlite 2> /dev/null | grep -c . || true)
[ "$runs_after" -gt "$runs_before" ] || fail "scan --history: the run after the kills is not recorded"
row "kill -9 ×$rounds (0–$((took * 12 / 10)) ms)" "beian scan --history h.sqlite" "integrity ok after every kill; the next run recorded ($runs_before → $runs_after lines of history list)"

echo "== kill -9 during crawl --out"
"$datagen" serve --warc "$sample/homepages/homepages.warc.gz" --port 0 > serve.out 2> /dev/null &
pids+=($!)
for _ in $(seq 100); do grep -q listening serve.out 2> /dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' serve.out)
python3 -c '
import json, sys
lines = open(sys.argv[1], encoding="utf-8").readlines()[:60]
for line in lines: print(json.loads(line)["host"])' "$sample/truth/homepages.jsonl" > hosts.txt
crawl=("$beian" crawl --hosts-file hosts.txt --proxy "127.0.0.1:$port" --politeness 0)
took=$(duration "${crawl[@]}" --out timing.warc.gz)
absent=0 whole=0
for _ in $(seq "$rounds"); do
    rm -f crawl.warc.gz
    kill_during $((took * 12 / 10)) "${crawl[@]}" --out crawl.warc.gz
    if [ ! -e crawl.warc.gz ]; then
        absent=$((absent + 1))
    elif warcio check crawl.warc.gz > /dev/null 2>&1; then
        whole=$((whole + 1))
    else
        fail "crawl --out: crawl.warc.gz is there but not whole"
    fi
    rm -f crawl.warc.gz.partial-*
done
row "kill -9 ×$rounds (0–$((took * 12 / 10)) ms)" "beian crawl --out crawl.warc.gz" "absent $absent, whole $whole (warcio check), torn 0"

echo "== kill -9 during watch --state --events"
mkdir -p watch-logs state
zeek="$sample/logs/zeek/ssl.log"
grep '^#' "$zeek" | grep -v '^#close' > watch-logs/ssl.log
mapfile -t lines < <(grep -v '^#' "$zeek")
per=$(((${#lines[@]} + rounds - 1) / rounds))
for round in $(seq 0 $((rounds - 1))); do
    printf '%s\n' "${lines[@]:$((round * per)):$per}" >> watch-logs/ssl.log
    pause=$(python3 -c 'import random; print(random.uniform(0.3, 2.5))')
    "$beian" watch --index index.beianidx --follow watch-logs --from-start --state state --events events.jsonl > /dev/null 2>&1 &
    pid=$!
    sleep "$pause"
    kill -9 "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
done
# A last, clean run reads the rest and stops on SIGTERM.
"$beian" watch --index index.beianidx --follow watch-logs --from-start --state state --events events.jsonl > /dev/null 2>&1 &
pid=$!
sleep 4
kill -TERM "$pid"
wait "$pid" || fail "watch: the run after the kills did not stop cleanly"
python3 - events.jsonl << 'EOF' || fail "watch: the events file is torn or repeats an event"
import json, sys
numbers = []
for number, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    event = json.loads(line)  # every line whole
    if "seq" in event:
        numbers.append(event["seq"])
assert numbers == sorted(set(numbers)), "an event written twice or out of order"
assert numbers, "no events"
print(f"{len(numbers)} events, numbered once each")
EOF
for database in state/*.sqlite; do
    [ -e "$database" ] || continue
    check=$(sqlite3 "$database" "PRAGMA integrity_check" 2>&1 || true)
    [ "$check" = ok ] || fail "watch: $database fails SQLite's integrity check: $check"
done
row "kill -9 ×$rounds (0.3–2.5 s), log growing" "beian watch --state DIR --events events.jsonl" "every event line whole, each event once; state passes integrity check"

# ---- a full disk --------------------------------------------------------------------------
echo "== a full disk"
if [ "$(id -u)" = 0 ] && mkdir -p full && mount -t tmpfs -o size=1m tmpfs full 2> /dev/null; then
    full_case() {
        local name="$1" target="$2"
        shift 2
        set +e
        "$@" > /dev/null 2> full.err
        local status=$?
        set -e
        local said
        said=$(grep -m1 -iE "no space left|disk is full|database or disk" full.err | cut -c1-120 || true)
        if [ "$status" = 0 ]; then
            fail "full disk: $name exited 0"
        elif [ -z "$said" ]; then
            fail "full disk: $name did not say the disk is full: $(head -c 300 full.err)"
        elif [ -e "$target" ] && [ "$name" != "scan --history" ]; then
            fail "full disk: $name left $target"
        elif [ "$(leftovers full)" != 0 ]; then
            fail "full disk: $name left a temporary file"
        fi
        row "a full disk (1 MB tmpfs)" "$name" "exit $status, \"${said//|/\\|}\", nothing under the final name"
    }
    fill() {
        rm -rf full/*
        dd if=/dev/zero of=full/filler bs=4k count=1000 2> /dev/null || true
        rm -f full/filler
        dd if=/dev/zero of=full/filler bs=4k count=$((256 - $1)) 2> /dev/null || true
    }
    fill 4
    full_case "index build" full/index.beianidx "$beian" index build -o full/index.beianidx "$registry"
    fill 4
    full_case "scan -o" full/findings.jsonl "$beian" scan --index index.beianidx -o full/findings.jsonl "$capture" "$sample"/logs/zeek/*.log "$capture"
    fill 4
    full_case "extract -o" full/observations.jsonl "$beian" extract -o full/observations.jsonl "$capture" "$capture" "$capture" "$capture"
    fill 4
    full_case "registry convert" full/registry.jsonl "$beian" registry convert --to jsonl -o full/registry.jsonl "$sample"/registry/csv/*.csv
    fill 4
    full_case "scan --partial" full/part.bin "$beian" scan --index index.beianidx --partial -o full/part.bin "$capture" "$sample"/logs/zeek/*.log
    fill 1
    full_case "scan --history" full/none "$beian" scan --index index.beianidx --history full/history.sqlite -o /dev/null "$capture"
    umount full
else
    echo "a full disk: needs root to mount a tmpfs (CI runs as root); not run"
    row "a full disk" "—" "not run: needs root"
fi

# ---- a closed pipe ------------------------------------------------------------------------
echo "== a closed pipe"
many=()
for _ in $(seq 30); do many+=("$capture"); done
for command in "extract" "scan --index index.beianidx"; do
    set +e
    # shellcheck disable=SC2086
    "$beian" $command "${many[@]}" 2> pipe.err | head -1 > /dev/null
    status=${PIPESTATUS[0]}
    set -e
    if [ "$status" != 0 ] && [ "$status" != 141 ]; then fail "closed pipe: beian $command exited $status"; fi
    if grep -qiE "error|fatal|broken pipe" pipe.err; then fail "closed pipe: beian $command said $(head -c 200 pipe.err)"; fi
    row "\`| head -1\`" "beian $command …" "exit $status, no message"
done

# ---- odd inputs ---------------------------------------------------------------------------
echo "== odd inputs"
odd_case() {
    local name="$1" expect="$2"
    shift 2
    set +e
    "$@" > odd.out 2> odd.err
    local status=$?
    set -e
    local said
    said=$(grep -m1 -E "$expect" odd.err | sed 's/^ *//' | cut -c1-140 || true)
    [ -n "$said" ] || fail "odd input: $name: no message matching /$expect/: $(head -c 400 odd.err)"
    grep -q "access-link.pcap: 3443 packets" odd.err || fail "odd input: $name: the other input was not read"
    row "$name" "beian scan X access-link.pcap" "exit $status; ${said//|/\\|}; the other input read"
}
mkdir -p empty-folder
odd_case "an empty folder" "empty-folder: .*has none" "$beian" scan --index index.beianidx empty-folder "$capture"
mkfifo pipe.fifo
(cat "$sample/logs/zeek/ssl.log" > pipe.fifo) &
writer=$!
odd_case "a FIFO with a writer" "pipe.fifo: [0-9]+ lines \(zeek log\)" "$beian" scan --index index.beianidx pipe.fifo "$capture"
wait "$writer"
odd_case "<(zcat …) (a pipe)" "/dev/fd/[0-9]+: 411 records" "$beian" scan --index index.beianidx <(cat "$sample/homepages/homepages.warc.gz") "$capture"
cp "$sample/logs/zeek/ssl.log" unreadable.log
chmod 000 unreadable.log
if [ "$(id -u)" = 0 ]; then
    # Root reads every file: the unreadable case runs as nobody, on copies nobody may read.
    mkdir -p nobody
    cp "$beian" nobody/beian
    cp index.beianidx "$capture" nobody/
    chmod -R a+rX nobody
    odd_case "an unreadable file" "Permission denied" setpriv --reuid=65534 --regid=65534 --clear-groups \
        nobody/beian scan --index nobody/index.beianidx unreadable.log nobody/access-link.pcap
else
    odd_case "an unreadable file" "Permission denied" "$beian" scan --index index.beianidx unreadable.log "$capture"
fi
odd_case "a missing file" "No such file" "$beian" scan --index index.beianidx missing.pcap "$capture"
# Growing and shrinking: a large log changed while the scan reads it.
python3 - "$sample/logs/zeek/ssl.log" big.log << 'EOF'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines(keepends=True)
header = [l for l in lines if l.startswith("#") and not l.startswith("#close")]
body = [l for l in lines if not l.startswith("#")]
with open(sys.argv[2], "w", encoding="utf-8") as out:
    out.writelines(header)
    for _ in range(400):
        out.writelines(body)
EOF
cp big.log growing.log
(for _ in $(seq 50); do grep -v '^#' "$sample/logs/zeek/ssl.log" >> growing.log; done) &
writer=$!
odd_case "a file growing while read" "growing.log: [0-9]+ lines \(zeek log\)" "$beian" scan --index index.beianidx growing.log "$capture"
wait "$writer"
cp big.log shrinking.log
(sleep 0.05 && truncate -s 100000 shrinking.log) &
writer=$!
odd_case "a file shrinking while read" "shrinking.log: [0-9]+ lines" "$beian" scan --index index.beianidx shrinking.log "$capture"
wait "$writer"

# Outputs given as /dev/null (above, with --history) are written in place: a rename over it
# would have replaced the device with a file.
[ -c /dev/null ] || fail "/dev/null is no longer a character device"

echo
cat "$matrix"
if [ "$failures" != 0 ]; then
    echo "fault tests: $failures failed" >&2
    exit 1
fi
echo "fault tests passed"
