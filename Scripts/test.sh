#!/usr/bin/env bash
# Sets up what is missing, then builds and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/setup.sh
swift test "$@"
