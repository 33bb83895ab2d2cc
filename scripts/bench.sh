#!/usr/bin/env bash
# Builds the release binary and runs the whole-process benchmarks (scripts/bench.py): render
# from a pod file, then how long the failure paths without a cluster take to give up.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
python3 scripts/bench.py "$@"
