#!/usr/bin/env bash
# Installs Mermaid's own parser (the npm package `mermaid`, with linkedom as the little DOM it
# needs outside a browser) once, in the cache, and prints where it is as a shell `export` line
# (`eval "$(scripts/mermaid-tools.sh)"`):
#
#   JF_MERMAID_PARSER   mermaid's ES module in that install; scripts/mermaid-parse.mjs loads it.
#
# tests/graph.rs reads every `-o mermaid` golden with it. Parse only: no browser, no rendering.
# Needs node and npm and the npm registry. Cold: 20 to 40 s (22 s measured with npm's download
# cache warm), 210 MB; warm: instant.
#
# Environment read:
#   JF_CACHE_DIR   cache root (default ~/.cache/kubectl-jupyterflow)
set -euo pipefail

WANT="mermaid@12.3.0 linkedom@0.18.15"
CACHE_DIR=${JF_CACHE_DIR:-$HOME/.cache/kubectl-jupyterflow}
DIR=$CACHE_DIR/mermaid-tools

TOOLS_NAME=mermaid-tools
# shellcheck source=scripts/tools-lib.sh
source "$(dirname "$0")/tools-lib.sh"

if ! installed "$DIR" "$WANT"; then
    command -v npm >/dev/null 2>&1 || die "'npm' is required but not on PATH (Node.js 20+)"
    log "installing $WANT into $DIR"
    rm -rf "$DIR"
    mkdir -p "$DIR"
    # A package.json of its own, so npm installs here and not in a parent project.
    printf '{"private": true}\n' >"$DIR/package.json"
    # --ignore-scripts: nothing of theirs runs at install (no browser download either).
    # shellcheck disable=SC2086 # several package words
    npm install --prefix "$DIR" --ignore-scripts --no-audit --no-fund --loglevel=error \
        $WANT >&2 || die "npm install $WANT failed"
    mark_installed "$DIR" "$WANT"
fi
printf 'export JF_MERMAID_PARSER=%q\n' "$DIR/node_modules/mermaid/dist/mermaid.core.mjs"
