#!/usr/bin/env bash
# The whole test suite: unit, CLI and plugin tests, the release (wheel, krew archive), then the
# cluster tests against a real kube-apiserver (scripts/e2e.sh). Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

# krew, its manifest validator, maturin and zig (cached): tests/release.rs uses them.
eval "$(scripts/release-tools.sh)"
cargo test --locked
# The release in dist/ (wheel, krew archive, manifest), checked with krew, pip, kubectl, objdump.
scripts/dist.sh
cargo test --locked --test release -- --ignored
scripts/e2e.sh "$@"
