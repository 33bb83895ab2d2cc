#!/usr/bin/env bash
# Installs what a notebook step runs (papermill, nbconvert, a Python kernel) once, in a venv in
# the cache, and prints where it is as a shell `export` line (`eval "$(scripts/notebook-tools.sh)"`):
#
#   JF_PAPERMILL   papermill in that venv; jupyter (nbconvert) and python sit beside it.
#
# tests/notebook_steps.rs runs the commands of rendered notebook steps with them. Needs python3
# (with venv) and PyPI. Cold: about a minute; warm: instant.
#
# Environment read:
#   JF_CACHE_DIR   cache root (default ~/.cache/kubectl-jupyterflow)
set -euo pipefail

WANT="papermill==2.7.0 nbconvert==7.17.2 ipykernel==7.4.0"
CACHE_DIR=${JF_CACHE_DIR:-$HOME/.cache/kubectl-jupyterflow}
VENV=$CACHE_DIR/notebook-tools

log() { printf 'notebook-tools: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

stamp=$VENV/.versions
if ! [[ -f $stamp && $(cat "$stamp") == "$WANT" ]]; then
    command -v python3 >/dev/null 2>&1 || die "'python3' is required but not on PATH"
    log "installing $WANT into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    # shellcheck disable=SC2086 # several requirement words
    "$VENV/bin/pip" install --quiet --disable-pip-version-check $WANT >&2 ||
        die "pip install $WANT failed"
    printf '%s\n' "$WANT" >"$stamp"
fi
printf 'export JF_PAPERMILL=%q\n' "$VENV/bin/papermill"
