#!/usr/bin/env bash
# The whole test suite: unit, CLI, plugin and release-packaging tests, then the cluster tests
# against a real kube-apiserver (scripts/e2e.sh). Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

# krew, its manifest validator, maturin and zig (cached): tests/release.rs uses them.
eval "$(scripts/release-tools.sh)"
cargo test --locked
scripts/e2e.sh "$@"
