#!/usr/bin/env bash
# Sets up what is missing, builds beian and runs the main job on the bundled sample.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/setup.sh
swift build -c release --product beian > /dev/null
beian=".build/release/beian"
echo "== beian registry validate: the sample registry (V3.0 XML in GBK, CSV, JSON Lines)"
"$beian" registry validate Datasets/sample/registry/xml/*.xml
echo
echo "== the same records as CSV (GBK and UTF-8) and JSON Lines"
"$beian" registry validate Datasets/sample/registry/csv/*.csv | tail -1
"$beian" registry validate Datasets/sample/registry/jsonl/*.jsonl | tail -1
