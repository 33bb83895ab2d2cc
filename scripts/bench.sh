#!/usr/bin/env bash
# Builds the release binary and runs the whole-process render benchmark (scripts/bench.py).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
python3 scripts/bench.py "$@"
