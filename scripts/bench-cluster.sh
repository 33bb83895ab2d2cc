#!/usr/bin/env bash
# Builds the release binary and runs the API benchmark (scripts/bench-cluster.py) against a
# control plane that scripts/control-plane.sh starts for it (or the one already in the
# environment, when run inside `scripts/control-plane.sh run`). Figures: BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
if [[ -n ${JF_TEST_SERVER:-} ]]; then
    exec python3 scripts/bench-cluster.py "$@"
fi
scripts/build-control-plane.sh core
exec scripts/control-plane.sh run -- python3 scripts/bench-cluster.py "$@"
