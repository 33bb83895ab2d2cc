# Shared by scripts/build-control-plane.sh and scripts/control-plane.sh (sourced, not run):
# the pinned versions and the cache layout.
# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this

# ---- pinned versions (JF_*_VERSION override them, e.g. JF_ARGO_VERSION=v4.0.5) ----------
K8S_VERSION=${JF_K8S_VERSION:-v1.37.2}    # k8s.io/kubernetes (kube-apiserver, kube-scheduler)
ETCD_VERSION=${JF_ETCD_VERSION:-v3.6.16}  # go.etcd.io/etcd/server/v3
ARGO_VERSION=${JF_ARGO_VERSION:-v3.7.18}  # github.com/argoproj/argo-workflows/vN
KWOK_VERSION=${JF_KWOK_VERSION:-v0.8.0}   # sigs.k8s.io/kwok
ARGO_MODULE=github.com/argoproj/argo-workflows/${ARGO_VERSION%%.*}

CACHE_DIR=${JF_CACHE_DIR:-$HOME/.cache/kubectl-jupyterflow}
BIN_DIR=${JF_BIN_DIR:-$CACHE_DIR/bin}
SRC_DIR=$CACHE_DIR/src
STAMP_DIR=$CACHE_DIR/stamps
CRD_DIR=${JF_CRD_DIR:-$CACHE_DIR/crds/argo-$ARGO_VERSION}

log() { printf 'control-plane: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
now_ms() { date +%s%3N; }
since() { # since START_MS -> "12.3s"
    local d=$(($(now_ms) - $1))
    printf '%d.%ds' $((d / 1000)) $(((d % 1000) / 100))
}
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not on PATH"; }
