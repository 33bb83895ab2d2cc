#!/usr/bin/env bash
# Builds the binaries of the test cluster from the Go module proxy and caches them, so that
# scripts/control-plane.sh can run them. Linux only (it builds linux binaries for this host,
# and the run script relies on Linux tools: setsid, flock, ss).
#
# Usage: scripts/build-control-plane.sh TARGET...
#   core        etcd, kube-apiserver and the Argo CRDs (what every cluster test needs)
#   argo        the argo CLI (`argo lint --offline` of the goldens)
#   simulated   kube-scheduler, KWOK and Argo's workflow-controller (workflows that run)
#   all         all of the above
#
# Cold builds on 2 busy cores (BENCHMARKS.md): etcd ~5 min, kube-apiserver ~10 min,
# kube-scheduler ~2 min more (it shares kube-apiserver's packages through the Go build
# cache), KWOK ~8 min, workflow-controller ~11 min, argo CLI ~10 min. Warm: under a second.
#
# Environment read:
#   JF_CACHE_DIR        cache root (default ~/.cache/kubectl-jupyterflow): bin/, src/, go/
#   JF_BIN_DIR          prebuilt binaries: when set, nothing is compiled; this only checks
#                       that the directory holds what TARGET needs (the CRDs still come from
#                       the Go module proxy unless JF_CRD_DIR holds them)
#   JF_K8S_VERSION, JF_ETCD_VERSION, JF_ARGO_VERSION, JF_KWOK_VERSION   override the pins
set -euo pipefail
# shellcheck source=scripts/control-plane-lib.sh
source "$(dirname "$0")/control-plane-lib.sh"

go_env() {
    need go
    mkdir -p "$CACHE_DIR/go"
    export GOCACHE=$CACHE_DIR/go/build
    export GOMODCACHE=$CACHE_DIR/go/mod
    export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
    # -modcacherw keeps the module cache deletable with a plain `rm -rf`.
    export GOFLAGS="-modcacherw -buildvcs=false"
}

# go mod download -json MOD@VER -> prints the value of FIELD (Dir, GoMod, ...)
mod_download() {
    local modver=$1 field=$2 out
    out=$(cd "$CACHE_DIR" && go mod download -json "$modver") ||
        die "go mod download $modver failed: $out"
    printf '%s\n' "$out" | sed -nE "s/^[[:space:]]*\"$field\": \"(.*)\",?$/\1/p"
}

stamp_ok() { [[ -f $STAMP_DIR/$1 && $(cat "$STAMP_DIR/$1") == "$2" && -x $BIN_DIR/$1 ]]; }
stamp_set() { mkdir -p "$STAMP_DIR"; printf '%s\n' "$2" >"$STAMP_DIR/$1"; }

# with_lock NAME FUNC: one lock per binary, so that parallel callers build each one once
# while different binaries build side by side (the Go caches are safe to share).
with_lock() {
    local name=$1
    shift
    mkdir -p "$CACHE_DIR/locks"
    (
        exec 9>"$CACHE_DIR/locks/$name"
        flock 9
        "$@"
    )
}

# go_build NAME DIR LDFLAGS PACKAGE [GOFLAGS...]: build in DIR into $BIN_DIR/NAME, atomically.
go_build() {
    local name=$1 dir=$2 ldflags=$3 pkg=$4
    shift 4
    mkdir -p "$BIN_DIR"
    (cd "$dir" && GOFLAGS="$GOFLAGS $*" nice go build -trimpath -ldflags="$ldflags" \
        -o "$BIN_DIR/$name.tmp" "$pkg") >"$dir/build-$name.log" 2>&1 || {
        tail -n 40 "$dir/build-$name.log" >&2
        die "$name build failed (full log: $dir/build-$name.log)"
    }
    mv -f "$BIN_DIR/$name.tmp" "$BIN_DIR/$name"
}

# ---- kube-apiserver and kube-scheduler: one wrapper module around k8s.io/kubernetes ----------
kubernetes_wrapper() { # -> prints the wrapper module's directory
    local dir=$SRC_DIR/kubernetes-$K8S_VERSION modfile staging_ver
    if [[ ! -f $dir/.complete ]]; then
        modfile=$(mod_download "k8s.io/kubernetes@$K8S_VERSION" GoMod)
        [[ -f $modfile ]] || die "no go.mod for k8s.io/kubernetes@$K8S_VERSION"
        staging_ver=v0.${K8S_VERSION#v1.}
        rm -rf "$dir"
        mkdir -p "$dir"
        # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with
        # ./staging/src/...; those replaces only apply in its own checkout, so this wrapper
        # points each one at its published v0.<minor>.<patch> instead.
        {
            echo "module jupyterflow.local/kubernetes-build"
            echo
            grep -E '^go [0-9]' "$modfile"
            grep -E '^godebug [a-z]' "$modfile" || true
            echo
            echo "require k8s.io/kubernetes $K8S_VERSION"
            echo
            echo "replace ("
            awk -v ver="$staging_ver" '
                /^replace[[:space:]]*\(/ { inrep = 1; next }
                /^require[[:space:]]*\(/ { inreq = 1; next }
                /^\)/ { inrep = 0; inreq = 0; next }
                inreq && $2 == "v0.0.0" { req[$1] = 1 }
                inrep && $2 == "=>" && $3 ~ /^\.\/staging\// { rep[$1] = 1 }
                END { for (m in rep) if (m in req) printf "\t%s => %s %s\n", m, m, ver }
            ' "$modfile" | sort
            echo ")"
        } >"$dir/go.mod"
        touch "$dir/.complete"
    fi
    printf '%s\n' "$dir"
}

build_kubernetes_binary() { # NAME (kube-apiserver | kube-scheduler)
    local name=$1
    stamp_ok "$name" "$K8S_VERSION" && return 0
    local t0 dir minor v ldflags="-s -w"
    t0=$(now_ms)
    log "building $name $K8S_VERSION"
    go_env
    dir=$(kubernetes_wrapper)
    minor=${K8S_VERSION#v1.}
    minor=${minor%%.*}
    for v in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ldflags+=" -X $v.gitVersion=$K8S_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor"
        ldflags+=" -X $v.gitTreeState=clean -X $v.buildDate=1970-01-01T00:00:00Z"
    done
    go_build "$name" "$dir" "$ldflags" "k8s.io/kubernetes/cmd/$name" -mod=mod
    stamp_set "$name" "$K8S_VERSION"
    log "built $name $K8S_VERSION in $(since "$t0")"
}

# ---- etcd ----------------------------------------------------------------------------------
build_etcd() {
    stamp_ok etcd "$ETCD_VERSION" && return 0
    local t0 modfile dir
    t0=$(now_ms)
    log "building etcd $ETCD_VERSION"
    go_env
    modfile=$(mod_download "go.etcd.io/etcd/server/v3@$ETCD_VERSION" GoMod)
    [[ -f $modfile ]] || die "no go.mod for go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    dir=$SRC_DIR/etcd-$ETCD_VERSION
    rm -rf "$dir"
    mkdir -p "$dir"
    {
        echo "module jupyterflow.local/etcd-build"
        echo
        grep -E '^go [0-9]' "$modfile"
        echo
        echo "require go.etcd.io/etcd/server/v3 $ETCD_VERSION"
    } >"$dir/go.mod"
    go_build etcd "$dir" "-s -w" go.etcd.io/etcd/server/v3 -mod=mod
    stamp_set etcd "$ETCD_VERSION"
    log "built etcd $ETCD_VERSION in $(since "$t0")"
}

# ---- KWOK: simulated nodes and pods --------------------------------------------------------
build_kwok() {
    stamp_ok kwok "$KWOK_VERSION" && return 0
    local t0 modfile dir
    t0=$(now_ms)
    log "building kwok $KWOK_VERSION"
    go_env
    modfile=$(mod_download "sigs.k8s.io/kwok@$KWOK_VERSION" GoMod)
    [[ -f $modfile ]] || die "no go.mod for sigs.k8s.io/kwok@$KWOK_VERSION"
    # Its go.mod has no replace directives, so a plain wrapper module builds it as released.
    dir=$SRC_DIR/kwok-$KWOK_VERSION
    rm -rf "$dir"
    mkdir -p "$dir"
    {
        echo "module jupyterflow.local/kwok-build"
        echo
        grep -E '^go [0-9]' "$modfile"
        echo
        echo "require sigs.k8s.io/kwok $KWOK_VERSION"
    } >"$dir/go.mod"
    go_build kwok "$dir" "-s -w" sigs.k8s.io/kwok/cmd/kwok -mod=mod
    stamp_set kwok "$KWOK_VERSION"
    log "built kwok $KWOK_VERSION in $(since "$t0")"
}

# ---- Argo: CRDs, CLI, workflow-controller --------------------------------------------------
fetch_argo_crds() {
    [[ -f $CRD_DIR/.complete ]] && return 0
    local t0 src
    t0=$(now_ms)
    log "fetching Argo Workflows $ARGO_VERSION CRDs"
    go_env
    src=$(mod_download "$ARGO_MODULE@$ARGO_VERSION" Dir)/manifests/base/crds/full
    compgen -G "$src/argoproj.io_*.yaml" >/dev/null || die "no CRDs under $src"
    rm -rf "$CRD_DIR"
    mkdir -p "$CRD_DIR"
    # Only the CRD manifests: kustomization.yaml is not a Kubernetes object.
    cp "$src"/argoproj.io_*.yaml "$CRD_DIR/"
    chmod u+w "$CRD_DIR"/*.yaml
    touch "$CRD_DIR/.complete"
    log "fetched $(find "$CRD_DIR" -name '*.yaml' | wc -l) CRDs in $(since "$t0")"
}

# argo_source DIR: a writable copy of the argo-workflows module in DIR. Built as the main
# module so that every replace in its go.mod applies (tablewriter => v0.0.5) and its go.sum is
# used as released; ui/embed.go embeds ui/dist/app, which the module zip lacks (the upstream
# Makefile puts a placeholder there for CLI builds as well).
argo_source() {
    local dir=$1 src
    src=$(mod_download "$ARGO_MODULE@$ARGO_VERSION" Dir)
    [[ -f $src/go.mod ]] || die "no module source for argo-workflows $ARGO_VERSION"
    rm -rf "$dir"
    mkdir -p "$dir"
    cp -R "$src/." "$dir/"
    chmod -R u+w "$dir"
    mkdir -p "$dir/ui/dist/app"
    echo "Built without static files" >"$dir/ui/dist/app/index.html"
}

argo_ldflags() {
    local p=$ARGO_MODULE
    printf '%s' "-s -w -X $p.version=$ARGO_VERSION -X $p.gitTag=$ARGO_VERSION" \
        " -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
}

build_argo_cli() {
    stamp_ok argo "$ARGO_VERSION" && return 0
    local t0 dir=$SRC_DIR/argo-$ARGO_VERSION
    t0=$(now_ms)
    log "building argo CLI $ARGO_VERSION"
    go_env
    argo_source "$dir"
    go_build argo "$dir" "$(argo_ldflags)" ./cmd/argo
    stamp_set argo "$ARGO_VERSION"
    log "built argo CLI $ARGO_VERSION in $(since "$t0")"
}

build_workflow_controller() {
    # The stamp names the patch too, so that a binary built without it is rebuilt.
    local stamp="$ARGO_VERSION healthz-on-loopback-any-port"
    stamp_ok workflow-controller "$stamp" && return 0
    local t0 dir=$SRC_DIR/workflow-controller-$ARGO_VERSION main
    t0=$(now_ms)
    log "building workflow-controller $ARGO_VERSION"
    go_env
    argo_source "$dir"
    # Its main.go serves /healthz on ":6060", i.e. on every interface: every server of the
    # test cluster listens on loopback only. Port 0 (any free one) lets several test
    # clusters run side by side; nothing here reads that healthz.
    main=$dir/cmd/workflow-controller/main.go
    grep -q 'ListenAndServe(":6060"' "$main" || die "no ListenAndServe(\":6060\") in $main to patch"
    sed -i 's/ListenAndServe(":6060"/ListenAndServe("127.0.0.1:0"/' "$main"
    go_build workflow-controller "$dir" "$(argo_ldflags)" ./cmd/workflow-controller
    stamp_set workflow-controller "$stamp"
    log "built workflow-controller $ARGO_VERSION in $(since "$t0")"
}

# ---- prebuilt binaries ---------------------------------------------------------------------
check_prebuilt() { # NAME...
    local name missing=()
    for name in "$@"; do
        [[ -x $BIN_DIR/$name ]] || missing+=("$name")
    done
    ((${#missing[@]} == 0)) ||
        die "JF_BIN_DIR=$BIN_DIR lacks ${missing[*]} (unset JF_BIN_DIR to build them)"
}

build_target() { # TARGET
    local t0
    t0=$(now_ms)
    case $1 in
    core)
        if [[ -n ${JF_BIN_DIR:-} ]]; then
            check_prebuilt etcd kube-apiserver
        else
            with_lock etcd build_etcd
            with_lock kubernetes build_kubernetes_binary kube-apiserver
        fi
        [[ -n ${JF_CRD_DIR:-} ]] || with_lock "crds-$ARGO_VERSION" fetch_argo_crds
        ;;
    argo)
        if [[ -n ${JF_BIN_DIR:-} ]]; then check_prebuilt argo; else with_lock argo build_argo_cli; fi
        ;;
    simulated)
        if [[ -n ${JF_BIN_DIR:-} ]]; then
            check_prebuilt kube-scheduler kwok workflow-controller
        else
            with_lock kubernetes build_kubernetes_binary kube-scheduler
            with_lock kwok build_kwok
            with_lock workflow-controller build_workflow_controller
        fi
        ;;
    all)
        build_target core
        build_target simulated
        build_target argo
        return 0
        ;;
    *)
        die "unknown build target '$1' (core, argo, simulated, all)"
        ;;
    esac
    log "$1 ready in $(since "$t0") ($BIN_DIR)"
}

main() {
    (($# > 0)) || {
        sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
        exit 2
    }
    [[ $(uname -s) == Linux ]] || die "Linux only: this script builds and runs Linux binaries"
    local target
    for target in "$@"; do build_target "$target"; done
}

main "$@"
