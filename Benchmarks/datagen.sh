#!/usr/bin/env bash
# The scenario generator's figures (issue 4):
#   - the national registry (5 M sites, 10 M domains, 1 M IPv4 ranges): wall time, peak memory;
#   - traffic: MB/s of capture written on one core, and a 10 GB capture as a practical command.
#
#   Benchmarks/datagen.sh               # both
#   PARTS=traffic Benchmarks/datagen.sh # only the traffic part (ROUNDS=6 ≈ 10 GB by default)
#
# Everything goes to Datasets/generated/ (ignored by git) and is removed afterwards unless
# KEEP=1. Stage timings come from beian-datagen itself (stderr).
set -euo pipefail
cd "$(dirname "$0")/.."
parts="${PARTS:-registry traffic}"
rounds="${ROUNDS:-6}"
keep="${KEEP:-0}"
mkdir -p Datasets/generated
swift build -c release --product beian-datagen > /dev/null
datagen=.build/release/beian-datagen

run() {
    local label="$1" out="$2"; shift 2
    rm -rf "$out"
    echo "== $label"
    /usr/bin/time -f "wall %e s, user %U s, system %S s, peak %M KB" "$datagen" --out "$out" "$@" 2>&1 > "$out.log" \
        | sed 's/^/   /'
    tail -n +1 "$out.log" | grep -v "^  " | sed 's/^/   /'
    echo "   on disk: $(du -sh "$out" | cut -f1)"
    if [ "$keep" != 1 ]; then rm -rf "$out" "$out.log"; fi
}

for part in $parts; do
    case "$part" in
    registry) run "national registry (V3.0 XML GBK, CSV, JSONL)" Datasets/generated/national --preset national --seed 1 ;;
    traffic) run "province world, traffic window repeated $rounds times" Datasets/generated/province-x$rounds \
        --preset province --seed 1 --rounds "$rounds" ;;
    *) echo "unknown part $part" >&2; exit 2 ;;
    esac
done
