#!/usr/bin/env bash
# Sets up what is missing, then builds and runs every test: the Swift tests, then (when no
# arguments narrow the Swift tests) the fault tests of Tests/Faults (kills, a full disk — as
# root —, a closed pipe, odd inputs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/setup.sh
swift test "$@"
if [ $# = 0 ]; then
    swift build --product beian
    swift build --product beian-datagen
    bash Tests/Faults/run.sh .build/debug/beian .build/debug/beian-datagen
fi
