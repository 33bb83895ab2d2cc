# Shared by the scripts that install test and release tools into the cache (sourced, not run):
# notebook-tools.sh, mermaid-tools.sh and release-tools.sh. Each sets TOOLS_NAME (the prefix of
# its messages) before sourcing this. An install is kept in one folder with a stamp file that
# lists what was installed; a different list reinstalls the folder from scratch.
# shellcheck shell=bash

log() { printf '%s: %s\n' "$TOOLS_NAME" "$*" >&2; }
die() { log "error: $*"; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not on PATH"; }

# installed DIR WANT: whether DIR holds exactly WANT (its stamp says so).
installed() { [[ -f $1/.versions && $(cat "$1/.versions") == "$2" ]]; }

# mark_installed DIR WANT: records that DIR now holds WANT.
mark_installed() { printf '%s\n' "$2" >"$1/.versions"; }

# pip_venv VENV WANT: a venv at VENV with the pip requirements WANT (space separated).
pip_venv() {
    local venv=$1 want=$2
    installed "$venv" "$want" && return 0
    need python3
    log "installing $want into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    # shellcheck disable=SC2086 # several requirement words
    "$venv/bin/pip" install --quiet --disable-pip-version-check $want >&2 ||
        die "pip install $want failed"
    mark_installed "$venv" "$want"
}
