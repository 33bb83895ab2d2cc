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

TOOLS_NAME=notebook-tools
# shellcheck source=scripts/tools-lib.sh
source "$(dirname "$0")/tools-lib.sh"

pip_venv "$VENV" "$WANT"
printf 'export JF_PAPERMILL=%q\n' "$VENV/bin/papermill"
