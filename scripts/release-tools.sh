#!/usr/bin/env bash
# Installs the tools that build and check a release, once, in the cache, and prints where they
# are as shell `export` lines (`eval "$(scripts/release-tools.sh)"`):
#
#   JF_MATURIN                 maturin, with zig beside it (PyPI: maturin, ziglang) in a venv:
#                              builds the wheel, and in it the glibc 2.17 binary (`--zig`)
#   JF_KREW_BIN                krew v0.4.3, built from the Go module proxy (sigs.k8s.io/krew)
#   JF_VALIDATE_KREW_MANIFEST  krew's own manifest validator, from the same module
#
# Needs python3 (with venv) and Go. Cold: about 2 minutes; warm: instant.
#
# Environment read:
#   JF_CACHE_DIR   cache root (default ~/.cache/kubectl-jupyterflow)
#   JF_KREW_VERSION, JF_MATURIN_VERSION, JF_ZIGLANG_VERSION   override the pinned versions
set -euo pipefail

KREW_VERSION=${JF_KREW_VERSION:-v0.4.3}
MATURIN_VERSION=${JF_MATURIN_VERSION:-1.16.0}
ZIGLANG_VERSION=${JF_ZIGLANG_VERSION:-0.17.1}

CACHE_DIR=${JF_CACHE_DIR:-$HOME/.cache/kubectl-jupyterflow}
VENV=$CACHE_DIR/release-tools
BIN_DIR=$CACHE_DIR/bin

TOOLS_NAME=release-tools
# shellcheck source=scripts/tools-lib.sh
source "$(dirname "$0")/tools-lib.sh"

# Built like the argo CLI in scripts/control-plane.sh: a writable copy of the module, so its
# go.mod and go.sum apply as released; GOCACHE and GOMODCACHE in the cache.
krew_tools() {
    local stamp=$BIN_DIR/.krew-version
    [[ -f $stamp && $(cat "$stamp") == "$KREW_VERSION" && -x $BIN_DIR/krew &&
        -x $BIN_DIR/validate-krew-manifest ]] && return 0
    need go
    export GOCACHE=$CACHE_DIR/go/build GOMODCACHE=$CACHE_DIR/go/mod
    export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS="-modcacherw -buildvcs=false"
    log "building krew $KREW_VERSION"
    mkdir -p "$CACHE_DIR" "$BIN_DIR"
    local src dir
    src=$(cd "$CACHE_DIR" && go mod download -json "sigs.k8s.io/krew@$KREW_VERSION" |
        sed -nE 's/^[[:space:]]*"Dir": "(.*)",?$/\1/p')
    [[ -f $src/go.mod ]] || die "no module source for sigs.k8s.io/krew@$KREW_VERSION"
    dir=$CACHE_DIR/src/krew-$KREW_VERSION
    rm -rf "$dir"
    mkdir -p "$dir"
    cp -R "$src/." "$dir/"
    chmod -R u+w "$dir"
    (cd "$dir" && go build -trimpath -o "$dir/out/" \
        -ldflags="-s -w -X sigs.k8s.io/krew/internal/version.gitTag=$KREW_VERSION" \
        ./cmd/krew ./cmd/validate-krew-manifest) >"$dir/build.log" 2>&1 || {
        tail -n 40 "$dir/build.log" >&2
        die "krew build failed (full log: $dir/build.log)"
    }
    mv -f "$dir/out/krew" "$dir/out/validate-krew-manifest" "$BIN_DIR/"
    printf '%s\n' "$KREW_VERSION" >"$stamp"
}

# One builder at a time: engineers and CI share the cache.
mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.release-tools.lock"
flock 9
pip_venv "$VENV" "maturin==$MATURIN_VERSION ziglang==$ZIGLANG_VERSION"
krew_tools
flock -u 9

cat <<EOF
export JF_MATURIN='$VENV/bin/maturin'
export JF_KREW_BIN='$BIN_DIR/krew'
export JF_VALIDATE_KREW_MANIFEST='$BIN_DIR/validate-krew-manifest'
EOF
