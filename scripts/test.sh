#!/usr/bin/env bash
# The whole test suite: unit, CLI and plugin tests, the release (wheel, krew archive), then the
# cluster tests against a real kube-apiserver (scripts/e2e.sh). Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

# krew, its manifest validator, maturin and zig (cached): tests/release.rs uses them.
eval "$(scripts/release-tools.sh)"
# papermill, nbconvert and a Python kernel (cached venv): tests/notebook_steps.rs runs rendered
# notebook steps with them.
eval "$(scripts/notebook-tools.sh)"
# Mermaid's own parser (cached npm install): tests/graph.rs reads the `-o mermaid` goldens with it.
eval "$(scripts/mermaid-tools.sh)"
# The shells whose completion scripts the tests run, and Graphviz, which draws the `-o dot`
# goldens (Debian/Ubuntu; elsewhere install them yourself: without them those tests are
# skipped, and fail under CI=true).
if ! command -v zsh >/dev/null || ! command -v fish >/dev/null || ! command -v dot >/dev/null; then
    if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zsh fish graphviz
    else
        echo "test.sh: zsh, fish or dot is missing and cannot be installed here (needs apt-get as root)" >&2
    fi
fi

cargo test --locked
# The release in dist/ (wheel, krew archive, manifest), checked with krew, pip, kubectl, objdump.
scripts/dist.sh
cargo test --locked --test release -- --ignored
scripts/e2e.sh "$@"
