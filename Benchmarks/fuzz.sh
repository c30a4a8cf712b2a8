#!/usr/bin/env bash
# Coverage-guided fuzzing of every reader (issue 17): each libFuzzer target of Fuzz/ built with
# the fuzzer and address sanitizers, seeded from the sample (and ../shared/realdata when it is
# there), run for RUNS executions (default 10 M) or SECONDS_EACH seconds, then a table of
# executions, executions per second, coverage and features per target. A crash stops that
# target and leaves its input in $WORK/crashes/ (make it a regression input under
# Tests/Fuzz/<target>/ with its fix).
#
#   Benchmarks/fuzz.sh                                   # every target, 10 M executions each
#   TARGETS="fuzz-dns fuzz-tls" SECONDS_EACH=60 Benchmarks/fuzz.sh
#   CHECK=1 SECONDS_EACH=10 Benchmarks/fuzz.sh           # what CI runs: the regression inputs, then a short run each (debug build)
#
# The corpus each target grows is kept in $WORK/corpus/<target> (default WORK=Datasets/generated/fuzz)
# and reused by the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-10000000}"
seconds="${SECONDS_EACH:-0}"
work="${WORK:-Datasets/generated/fuzz}"
check="${CHECK:-0}"
# Optimised builds run four times the executions per second; the check (CI) builds in debug,
# which compiles in a fraction of the time.
configuration="${CONFIGURATION:-$([ "$check" = 1 ] && echo debug || echo release)}"
realdata="${REALDATA:-../shared/realdata}"
all=$(BEIAN_FUZZ=1 swift package dump-package 2> /dev/null | python3 -c \
    'import json,sys; print(" ".join(t["name"] for t in json.load(sys.stdin)["targets"] if t["name"].startswith("fuzz-")))')
targets="${TARGETS:-$all}"
mkdir -p "$work"
work=$(realpath "$work")

# The largest input each target is given, and the dictionary of its format.
max_len() {
    case "$1" in
    # Snapshots need room for their header and section table; the file readers' cost grows
    # with the input, and 16 KiB holds many records.
    fuzz-snapshot) echo 65536 ;;
    fuzz-capture | fuzz-warc | fuzz-registry-*) echo 16384 ;;
    fuzz-packets | fuzz-homepage | fuzz-zeek | fuzz-access-log | fuzz-partial) echo 32768 ;;
    *) echo 8192 ;;
    esac
}
dictionary() {
    local file="Fuzz/dictionaries/${1#fuzz-}.dict"
    case "$1" in fuzz-registry-*) file="Fuzz/dictionaries/registry.dict" ;; esac
    [ -f "$file" ] && echo "-dict=$file" || true
}

export BEIAN_FUZZ=1
export SWIFT_BACKTRACE=enable=no
# `--sanitize=fuzzer --sanitize=address` hands swiftc two flags, and this toolchain then drops
# the coverage instrumentation (libFuzzer finds nothing); one `-sanitize=address,fuzzer` keeps
# both. C targets get AddressSanitizer through -Xcc. Optimised (-c release keeps Swift's bounds
# and overflow checks; only `assert` goes): four times the executions per second of a debug build.
build() {
    swift build --sanitize=fuzzer -Xswiftc -sanitize=address,fuzzer -Xcc -fsanitize=address -Xswiftc -use-ld=lld \
        -c "$configuration" --product "$1" --scratch-path .build-fuzz 2>&1 | grep -E "error|warning: .*Fuzz/" || true
    [ -x ".build-fuzz/$configuration/$1" ] || { echo "fuzz.sh: $1 did not build" >&2; exit 1; }
}

# Seeds: cut from the sample, plus a small snapshot and a partial scan made by beian itself.
swift build --product beian > /dev/null 2>&1 || swift build --product beian
seeds="$work/seeds"
rm -rf "$seeds"
mkdir -p "$seeds/made"
printf 'com\ncn\ncom.cn\n*.ck\n!www.ck\n' > "$seeds/made/psl.dat"
head -n 60 Datasets/sample/registry/jsonl/registry.jsonl > "$seeds/made/registry.jsonl"
.build/debug/beian index build --psl "$seeds/made/psl.dat" -o "$seeds/made/small.beianidx" "$seeds/made/registry.jsonl" > /dev/null 2>&1
.build/debug/beian scan --index "$seeds/made/small.beianidx" --partial -o "$seeds/made/sample.partial" \
    Datasets/sample/logs/zeek/ssl.log > /dev/null 2>&1
rm "$seeds/made/psl.dat" "$seeds/made/registry.jsonl"
python3 Fuzz/seeds.py "$seeds" $( [ -d "$realdata" ] && echo "$realdata" ) > "$work/seeds.txt"

failed=0
echo "| target | executions | exec/s | coverage | features | outcome |"
echo "|---|---|---|---|---|---|"
for target in $targets; do
    build "$target"
    binary=".build-fuzz/$configuration/$target"
    # Regression inputs: each must run clean.
    regressions="Tests/Fuzz/$target"
    if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
        if ! "$binary" -rss_limit_mb=4096 "$regressions"/* > "$work/$target.regressions.log" 2>&1; then
            echo "| $target | — | — | — | — | a regression input fails: $work/$target.regressions.log |"
            failed=1
            continue
        fi
    fi
    corpus="$work/corpus/$target"
    mkdir -p "$corpus" "$work/crashes"
    limits=(-runs="$runs")
    [ "$seconds" != 0 ] && limits=(-max_total_time="$seconds")
    [ "$check" = 1 ] && limits=(-max_total_time="${seconds:-10}")
    outcome="no crash"
    if ! "$binary" "${limits[@]}" -max_len="$(max_len "$target")" -rss_limit_mb=4096 -timeout=10 $(dictionary "$target") \
        -artifact_prefix="$work/crashes/$target-" -print_final_stats=1 "$corpus" "$seeds/$target" > "$work/$target.log" 2>&1; then
        outcome="**crash**: $(ls -t "$work/crashes/$target-"* 2> /dev/null | head -1)"
        failed=1
    fi
    executions=$(grep -a "stat::number_of_executed_units" "$work/$target.log" | awk '{print $2}' | tail -1)
    speed=$(grep -a "stat::average_exec_per_sec" "$work/$target.log" | awk '{print $2}' | tail -1)
    coverage=$(grep -aE "^#[0-9]+" "$work/$target.log" | grep -ao "cov: [0-9]*" | tail -1 | awk '{print $2}')
    features=$(grep -aE "^#[0-9]+" "$work/$target.log" | grep -ao "ft: [0-9]*" | tail -1 | awk '{print $2}')
    echo "| $target | ${executions:-?} | ${speed:-?} | ${coverage:-?} | ${features:-?} | $outcome |"
done
exit $failed
