#!/usr/bin/env bash
# The whole test suite: unit, CLI and plugin tests, the release archive, then the cluster tests
# against a real kube-apiserver (scripts/e2e.sh). Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --locked
# The release archive for this platform: release build, dist script, krew manifest checks.
cargo test --locked --test plugin release_dist -- --ignored
scripts/e2e.sh "$@"
