#!/usr/bin/env bash
# `beian serve` figures (wrk, curl; the service and wrk share this machine's cores):
#   1. single-host checks with keep-alive: wrk (1 thread, CONNECTIONS connections, SECONDS s)
#      against GET /v1/hosts/{host} for one filed name of the province index, then against
#      names taken in turn from 10,000 (a Lua script), then GET /isp_querybeianstatus:
#      requests per second and latency percentiles (wrk --latency);
#   2. POST /v1/check: one batch of LINES hosts (the province's filed names, names under them
#      and names nobody filed, mixed), timed by curl: hosts per second;
#   3. reload under load: wrk for 30 s on GET /v1/hosts/{host} while a new snapshot is renamed
#      over the index file every second: non-2xx answers, socket errors, reloads taken;
#   4. memory: resident size of the service with the national preset's index after a warm-up
#      of 100,000 requests (NATIONAL=1; generates the national registry and builds its index
#      when missing — long: about 10 minutes and 18 GB).
#
#   Benchmarks/serve.sh            # PARTS="single batch reload" CONNECTIONS=64 SECONDS=15 LINES=2000000
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in wrk curl; do command -v "$tool" > /dev/null || { echo "serve.sh: needs $tool (Scripts/setup.sh installs it)" >&2; exit 1; }; done
swift build -c release --product beian > /dev/null
swift build -c release --product beian-datagen > /dev/null
beian=$(realpath .build/release/beian)
province=Datasets/generated/province
[ -f "$province/registry/xml/icp.xml" ] || .build/release/beian-datagen --preset province --seed 1 --out "$province" > /dev/null
parts="${PARTS:-single batch reload}"
[ "${NATIONAL:-0}" = 1 ] && parts="$parts memory"
connections="${CONNECTIONS:-64}"
seconds="${SECONDS_EACH:-15}"
lines="${LINES:-2000000}"
work=$(mktemp -d)
server=
cleanup() {
    [ -n "$server" ] && kill "$server" 2> /dev/null || true
    [ -n "${swapper:-}" ] && kill "$swapper" 2> /dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
"$beian" index build "$province"/registry/xml/*.xml -o "$work/province.beianidx" > /dev/null 2>&1

# Starts the service on the index $1 (then more options) at port 18480; its pid in $server.
serve() {
    local index=$1
    shift
    "$beian" serve --index "$index" --listen 127.0.0.1:18480 "$@" 2> "$work/serve.err" &
    server=$!
    for _ in $(seq 100); do
        curl -sf http://127.0.0.1:18480/healthz > /dev/null 2>&1 && return 0
        sleep 0.1
    done
    cat "$work/serve.err" >&2
    exit 1
}

# A wrk script asking GET /v1/hosts/PREFIX NAME for the names of file $1 in turn.
names_script() {
    cat << EOF
local names = {}
for line in io.lines("$1") do names[#names + 1] = line end
local i = 0
request = function()
    i = i % #names + 1
    return wrk.format(nil, "/v1/hosts/$2" .. names[i])
end
EOF
}

stop() {
    kill -TERM "$server"
    wait "$server" 2> /dev/null || true
    server=
}

# The province's filed domains (names as filed in the ICP export).
grep -o '<Ym>[^<]*</Ym>' "$province/registry/xml/icp.xml" | sed -e 's/<Ym>//' -e 's#</Ym>##' | sort -u > "$work/filed.txt"
filed=$(head -1 "$work/filed.txt")
echo "province index: $(wc -l < "$work/filed.txt") filed domains; one of them: $filed"
echo "machine: $(nproc) CPUs shared by the service and wrk"

# wrk's figures as one line: requests/s, p50, p99, errors.
report() {
    awk '/Requests\/sec/ { rps = $2 } /^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 } /Non-2xx/ { non2xx = $5 }
        /Socket errors/ { errors = $0 } END { printf "%s requests/s, p50 %s, p99 %s, non-2xx %s, %s\n", rps, p50, p99, non2xx + 0, errors ? errors : "no socket errors" }' "$1"
}

if [[ " $parts " == *" single "* ]]; then
    serve "$work/province.beianidx"
    wrk -t1 -c"$connections" -d2s "http://127.0.0.1:18480/v1/hosts/$filed" > /dev/null
    wrk -t1 -c"$connections" -d"${seconds}s" --latency "http://127.0.0.1:18480/v1/hosts/$filed" > "$work/single.txt"
    echo "GET /v1/hosts/{one name}, keep-alive, $connections connections: $(report "$work/single.txt")"
    wrk -t1 -c8 -d"${seconds}s" --latency "http://127.0.0.1:18480/v1/hosts/$filed" > "$work/light.txt"
    echo "GET /v1/hosts/{one name}, keep-alive, 8 connections: $(report "$work/light.txt")"
    wrk -t1 -c"$connections" -d"${seconds}s" --latency "http://127.0.0.1:18480/healthz" > "$work/health.txt"
    echo "GET /healthz (the framework's own cost: Hummingbird, the middleware, no index work): $(report "$work/health.txt")"
    head -10000 "$work/filed.txt" > "$work/names.txt"
    names_script "$work/names.txt" www. > "$work/names.lua"
    wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$work/names.lua" http://127.0.0.1:18480 > "$work/many.txt"
    echo "GET /v1/hosts/{10,000 names in turn}: $(report "$work/many.txt")"
    wrk -t1 -c"$connections" -d"${seconds}s" --latency "http://127.0.0.1:18480/isp_querybeianstatus?domain=$filed" > "$work/query.txt"
    echo "GET /isp_querybeianstatus?domain={one name}: $(report "$work/query.txt")"
    stop
    serve "$work/province.beianidx" --access-log "$work/access.jsonl"
    wrk -t1 -c"$connections" -d"${seconds}s" --latency "http://127.0.0.1:18480/v1/hosts/$filed" > "$work/logged.txt"
    stop
    echo "GET /v1/hosts/{one name} with --access-log: $(report "$work/logged.txt"); $(wc -l < "$work/access.jsonl") lines logged"
fi

if [[ " $parts " == *" batch "* ]]; then
    serve "$work/province.beianidx"
    awk -v want="$lines" 'BEGIN { srand(7) } { names[NR] = $0 } END {
        for (i = 0; i < want; i++) {
            n = names[int(rand() * NR) + 1]; r = rand()
            if (r < 0.4) print n; else if (r < 0.7) print "www." n; else printf "unfiled%d-%s\n", i, n
        } }' "$work/filed.txt" > "$work/batch.txt"
    size=$(stat -c %s "$work/batch.txt")
    curl -s --data-binary @"$work/batch.txt" http://127.0.0.1:18480/v1/check -o /dev/null # warm-up
    best=
    for run in 1 2 3; do
        start=$(date +%s.%N)
        curl -s --data-binary @"$work/batch.txt" http://127.0.0.1:18480/v1/check -o "$work/answers.jsonl"
        end=$(date +%s.%N)
        took=$(echo "$end - $start" | bc -l)
        [ -z "$best" ] || (($(echo "$took < $best" | bc -l))) && best=$took
    done
    answered=$(wc -l < "$work/answers.jsonl")
    [ "$answered" = "$lines" ] || { echo "batch: $answered answers for $lines lines" >&2; exit 1; }
    printf "POST /v1/check, %d hosts (%.0f MB): best of 3 %.2f s, %.2f M hosts/s; answers %.0f MB\n" "$lines" \
        "$(echo "$size / 1000000" | bc -l)" "$best" "$(echo "$lines / $best / 1000000" | bc -l)" \
        "$(echo "$(stat -c %s "$work/answers.jsonl") / 1000000" | bc -l)"
    stop
fi

if [[ " $parts " == *" reload "* ]]; then
    cp "$work/province.beianidx" "$work/live.beianidx"
    # A second build of the same registry: another file, another build time.
    "$beian" index build "$province"/registry/xml/*.xml -o "$work/other.beianidx" > /dev/null 2>&1
    serve "$work/live.beianidx"
    (
        for i in $(seq 30); do
            sleep 1
            if ((i % 2)); then cp "$work/other.beianidx" "$work/live.new"; else cp "$work/province.beianidx" "$work/live.new"; fi
            mv "$work/live.new" "$work/live.beianidx"
        done
    ) &
    swapper=$!
    wrk -t1 -c"$connections" -d30s --latency "http://127.0.0.1:18480/v1/hosts/$filed" > "$work/reload.txt"
    wait "$swapper"
    swapper=
    sleep 1.5
    taken=$(curl -s http://127.0.0.1:18480/readyz | sed -e 's/.*"taken":\([0-9]*\).*/\1/')
    echo "reload under load (30 s, a new snapshot every second): $(report "$work/reload.txt"); reloads taken: $taken"
    stop
fi

if [[ " $parts " == *" memory "* ]]; then
    national=Datasets/generated/national
    [ -f "$national/national.beianidx" ] || {
        [ -d "$national/registry" ] || .build/release/beian-datagen --preset national --seed 1 --registry-only --out "$national" > /dev/null
        "$beian" index build "$national"/registry/jsonl/*.jsonl -o "$national/national.beianidx" > /dev/null 2>&1
    }
    serve "$national/national.beianidx"
    echo "national index: $(du -h "$national/national.beianidx" | cut -f1); resident after start: $(($(awk '/VmRSS/ { print $2 }' /proc/"$server"/status) / 1024)) MB"
    grep -o '"domains":\[[^]]*' "$national"/registry/jsonl/*.jsonl 2> /dev/null | head -10000 | grep -o '"[a-z0-9.-]*\.[a-z]*"' | tr -d '"' > "$work/names.txt" || true
    [ -s "$work/names.txt" ] || cp "$work/filed.txt" "$work/names.txt"
    names_script "$work/names.txt" "" > "$work/names.lua"
    wrk -t1 -c"$connections" -d10s --latency -s "$work/names.lua" http://127.0.0.1:18480 > "$work/national.txt"
    echo "national index, GET /v1/hosts/{names in turn}: $(report "$work/national.txt")"
    echo "resident with the national index after the run: $(($(awk '/VmRSS/ { print $2 }' /proc/"$server"/status) / 1024)) MB (peak $(($(awk '/VmHWM/ { print $2 }' /proc/"$server"/status) / 1024)) MB)"
    # A reload: the file looks replaced; the new snapshot is loaded and verified beside the old.
    touch "$national/national.beianidx"
    for _ in $(seq 120); do
        curl -s http://127.0.0.1:18480/readyz | grep -q '"taken":1' && break
        sleep 0.5
    done
    sleep 1
    echo "after a reload: resident $(($(awk '/VmRSS/ { print $2 }' /proc/"$server"/status) / 1024)) MB, peak so far $(($(awk '/VmHWM/ { print $2 }' /proc/"$server"/status) / 1024)) MB"
    stop
fi
