#!/usr/bin/env bash
# Builds and runs a throw-away Kubernetes control plane (etcd + kube-apiserver,
# with the Argo Workflows CRDs installed) for the integration tests.
#
# No container runtime is needed: the binaries are compiled from the Go module
# proxy once and cached; no controllers or kubelet run, so pods stay Pending.
#
# Usage:
#   scripts/control-plane.sh build             build/cache kube-apiserver, etcd, Argo CRDs
#   scripts/control-plane.sh build-argo        build/cache the argo CLI as well
#   scripts/control-plane.sh run -- CMD [ARG...]
#                                              start a control plane, run CMD against it,
#                                              tear everything down, exit with CMD's code
#   scripts/control-plane.sh start             start one and leave it running; prints the
#                                              path of an env file to source
#   scripts/control-plane.sh stop [DIR]        stop the one `start` left running
#   scripts/control-plane.sh restart-apiserver [DIR]
#                                              stop kube-apiserver and start it again with
#                                              the same flags (DIR: $JF_TEST_CONTROL_PLANE_DIR)
#   scripts/control-plane.sh env               print the pinned versions and cache paths
#
# Environment read:
#   JF_CACHE_DIR            cache root (default ~/.cache/kubectl-jupyterflow)
#   JF_K8S_VERSION, JF_ETCD_VERSION, JF_ARGO_VERSION   override the pinned versions
#   JF_KEEP_CONTROL_PLANE=1 keep the temp dir (logs, etcd data) after `run`
#   JF_CONTROL_PLANE_TIMEOUT seconds to wait for readiness (default 120)
#   JF_APISERVER_EXTRA_ARGS  extra kube-apiserver flags (split on spaces)
#
# Environment exported to CMD by `run` (and written to the env file by `start`):
#   KUBECONFIG, JF_TEST_KUBECONFIG   admin kubeconfig (contexts "admin", "alice")
#   JF_TEST_SERVER                   https://127.0.0.1:PORT
#   JF_TEST_CA_FILE                  CA that signed the apiserver's serving cert
#   JF_TEST_ADMIN_TOKEN              bearer token of "admin" (group system:masters)
#   JF_TEST_UNPRIVILEGED_TOKEN       bearer token of "alice" (no RBAC grants)
#   JF_TEST_K8S_VERSION, JF_TEST_ARGO_VERSION, JF_TEST_CACHE_DIR
#   JF_TEST_CONTROL_PLANE_DIR        temp dir with logs and certs
#   JF_TEST_ARGO_BIN                 argo CLI, only if `build-argo` has been run
set -euo pipefail

# ---- pinned versions (JF_*_VERSION override them, e.g. JF_ARGO_VERSION=v4.0.5) --
K8S_VERSION=${JF_K8S_VERSION:-v1.37.2}    # k8s.io/kubernetes (kube-apiserver)
ETCD_VERSION=${JF_ETCD_VERSION:-v3.6.16}  # go.etcd.io/etcd/server/v3
ARGO_VERSION=${JF_ARGO_VERSION:-v3.7.18}  # github.com/argoproj/argo-workflows/vN
ARGO_MODULE=github.com/argoproj/argo-workflows/${ARGO_VERSION%%.*}

CACHE_DIR=${JF_CACHE_DIR:-$HOME/.cache/kubectl-jupyterflow}
BIN_DIR=$CACHE_DIR/bin
SRC_DIR=$CACHE_DIR/src
STAMP_DIR=$CACHE_DIR/stamps
CRD_DIR=$CACHE_DIR/crds/argo-$ARGO_VERSION
READY_TIMEOUT=${JF_CONTROL_PLANE_TIMEOUT:-120}

# ---- helpers -----------------------------------------------------------------
log() { printf 'control-plane: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
now_ms() { date +%s%3N; }
since() { # since START_MS -> "12.3s"
    local d=$(( $(now_ms) - $1 ))
    printf '%d.%ds' $((d / 1000)) $(((d % 1000) / 100))
}
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not on PATH"; }

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
    out=$(cd "$CACHE_DIR" && go mod download -json "$modver") \
        || die "go mod download $modver failed: $out"
    printf '%s\n' "$out" | sed -nE "s/^[[:space:]]*\"$field\": \"(.*)\",?$/\1/p"
}

stamp_ok() { [[ -f $STAMP_DIR/$1 && $(cat "$STAMP_DIR/$1") == "$2" ]]; }
stamp_set() { mkdir -p "$STAMP_DIR"; printf '%s\n' "$2" >"$STAMP_DIR/$1"; }

# Run FUNC with an exclusive lock on the cache so parallel callers build once.
with_lock() {
    mkdir -p "$CACHE_DIR"
    exec 9>"$CACHE_DIR/.lock"
    flock 9
    "$@"
    flock -u 9
    exec 9>&-
}

# ---- build: kube-apiserver ---------------------------------------------------
build_kube_apiserver() {
    local bin=$BIN_DIR/kube-apiserver
    stamp_ok kube-apiserver "$K8S_VERSION" && [[ -x $bin ]] && return 0
    local t0 modfile dir staging_ver minor
    t0=$(now_ms)
    log "building kube-apiserver $K8S_VERSION (cold: 5-10 min on 2 cores)"
    go_env
    modfile=$(mod_download "k8s.io/kubernetes@$K8S_VERSION" GoMod)
    [[ -f $modfile ]] || die "no go.mod for k8s.io/kubernetes@$K8S_VERSION"
    staging_ver=v0.${K8S_VERSION#v1.}
    minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
    dir=$SRC_DIR/kube-apiserver-$K8S_VERSION
    rm -rf "$dir"; mkdir -p "$dir"
    # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them
    # with ./staging/src/...; those replaces only apply in its own checkout, so
    # this wrapper points each one at its published v0.<minor>.<patch> instead.
    {
        echo "module jupyterflow.local/kube-apiserver-build"
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
    local ldflags="-s -w"
    local v
    for v in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ldflags+=" -X $v.gitVersion=$K8S_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor"
        ldflags+=" -X $v.gitTreeState=clean -X $v.buildDate=1970-01-01T00:00:00Z"
    done
    mkdir -p "$BIN_DIR"
    (cd "$dir" && GOFLAGS="$GOFLAGS -mod=mod" go build -trimpath -ldflags="$ldflags" \
        -o "$bin.tmp" k8s.io/kubernetes/cmd/kube-apiserver) >"$dir/build.log" 2>&1 || {
        tail -n 40 "$dir/build.log" >&2
        die "kube-apiserver build failed (full log: $dir/build.log)"
    }
    mv -f "$bin.tmp" "$bin"
    stamp_set kube-apiserver "$K8S_VERSION"
    log "built kube-apiserver $K8S_VERSION in $(since "$t0")"
}

# ---- build: etcd -------------------------------------------------------------
build_etcd() {
    local bin=$BIN_DIR/etcd
    stamp_ok etcd "$ETCD_VERSION" && [[ -x $bin ]] && return 0
    local t0 modfile dir
    t0=$(now_ms)
    log "building etcd $ETCD_VERSION"
    go_env
    modfile=$(mod_download "go.etcd.io/etcd/server/v3@$ETCD_VERSION" GoMod)
    [[ -f $modfile ]] || die "no go.mod for go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    dir=$SRC_DIR/etcd-$ETCD_VERSION
    rm -rf "$dir"; mkdir -p "$dir"
    {
        echo "module jupyterflow.local/etcd-build"
        echo
        grep -E '^go [0-9]' "$modfile"
        echo
        echo "require go.etcd.io/etcd/server/v3 $ETCD_VERSION"
    } >"$dir/go.mod"
    mkdir -p "$BIN_DIR"
    (cd "$dir" && GOFLAGS="$GOFLAGS -mod=mod" go build -trimpath -ldflags="-s -w" \
        -o "$bin.tmp" go.etcd.io/etcd/server/v3) >"$dir/build.log" 2>&1 || {
        tail -n 40 "$dir/build.log" >&2
        die "etcd build failed (full log: $dir/build.log)"
    }
    mv -f "$bin.tmp" "$bin"
    stamp_set etcd "$ETCD_VERSION"
    log "built etcd $ETCD_VERSION in $(since "$t0")"
}

# ---- build: Argo CRDs --------------------------------------------------------
fetch_argo_crds() {
    [[ -f $CRD_DIR/.complete ]] && return 0
    local t0 src
    t0=$(now_ms)
    log "fetching Argo Workflows $ARGO_VERSION CRDs"
    go_env
    src=$(mod_download "$ARGO_MODULE@$ARGO_VERSION" Dir)
    src=$src/manifests/base/crds/full
    compgen -G "$src/argoproj.io_*.yaml" >/dev/null || die "no CRDs under $src"
    rm -rf "$CRD_DIR"; mkdir -p "$CRD_DIR"
    # Only the CRD manifests: kustomization.yaml is not a Kubernetes object.
    cp "$src"/argoproj.io_*.yaml "$CRD_DIR/"
    chmod u+w "$CRD_DIR"/*.yaml
    touch "$CRD_DIR/.complete"
    log "fetched $(ls "$CRD_DIR"/*.yaml | wc -l) CRDs in $(since "$t0")"
}

# ---- build: argo CLI ---------------------------------------------------------
build_argo_cli() {
    local bin=$BIN_DIR/argo
    stamp_ok argo "$ARGO_VERSION" && [[ -x $bin ]] && return 0
    local t0 src dir
    t0=$(now_ms)
    log "building argo CLI $ARGO_VERSION"
    go_env
    src=$(mod_download "$ARGO_MODULE@$ARGO_VERSION" Dir)
    [[ -f $src/go.mod ]] || die "no module source for argo-workflows $ARGO_VERSION"
    # Built as the main module from a writable copy so that every replace in its
    # go.mod applies (tablewriter => v0.0.5) and go.sum is used as released, and
    # because ui/embed.go embeds ui/dist/app, which the module zip lacks (the
    # upstream Makefile puts a placeholder there for CLI builds as well).
    dir=$SRC_DIR/argo-$ARGO_VERSION
    rm -rf "$dir"; mkdir -p "$dir"
    cp -R "$src/." "$dir/"
    chmod -R u+w "$dir"
    mkdir -p "$dir/ui/dist/app"
    echo "Built without static files" >"$dir/ui/dist/app/index.html"
    local p=$ARGO_MODULE
    local ldflags="-s -w -X $p.version=$ARGO_VERSION -X $p.gitTag=$ARGO_VERSION"
    ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
    mkdir -p "$BIN_DIR"
    (cd "$dir" && go build -trimpath -ldflags="$ldflags" -o "$bin.tmp" ./cmd/argo) \
        >"$dir/build.log" 2>&1 || {
        tail -n 40 "$dir/build.log" >&2
        die "argo CLI build failed (full log: $dir/build.log)"
    }
    mv -f "$bin.tmp" "$bin"
    stamp_set argo "$ARGO_VERSION"
    log "built argo CLI $ARGO_VERSION in $(since "$t0")"
}

do_build() {
    build_etcd
    build_kube_apiserver
    fetch_argo_crds
}

cmd_build() {
    local t0; t0=$(now_ms)
    with_lock do_build
    log "build ready in $(since "$t0") (cache: $CACHE_DIR)"
}

cmd_build_argo() {
    local t0; t0=$(now_ms)
    with_lock build_argo_cli
    log "argo CLI ready in $(since "$t0"): $BIN_DIR/argo"
}

# ---- run ---------------------------------------------------------------------
CP_DIR=""
ETCD_PID=""
APISERVER_PID=""
WATCHDOG_PID=""
CMD_PID=""

free_ports() { # N -> N free TCP ports on 127.0.0.1, space separated
    python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
EOF
}

show_logs() {
    local f n
    for f in "$CP_DIR/etcd.log" "$CP_DIR/kube-apiserver.log" "$CP_DIR/kubectl.log"; do
        [[ -s $f ]] || continue
        n=30
        # etcd's log matters little while etcd is still up.
        if [[ $f == */etcd.log ]] && alive "$ETCD_PID"; then n=5; fi
        log "---- last lines of $f ----"
        tail -n "$n" "$f" >&2
    done
}

start_fail() { log "error: $*"; show_logs; exit 1; }

alive() { [[ -n $1 ]] && kill -0 "$1" 2>/dev/null; }

stop_pid() { # PID: TERM, wait up to 15 s, then KILL
    local pid=$1 i
    alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 150; i++)); do
        alive "$pid" || break
        sleep 0.1
    done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
}

# Start etcd + kube-apiserver in a fresh temp dir, install the CRDs, write the
# kubeconfig and the env file.  $1 = "detach" to let them outlive this shell.
start_control_plane() {
    local detach=${1:-}
    local t0; t0=$(now_ms)
    need python3; need openssl; need kubectl; need curl
    CP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/jf-control-plane.XXXXXX")
    local certs=$CP_DIR/certs
    mkdir -p "$certs" "$CP_DIR/etcd"

    local etcd_client etcd_peer api_port
    read -r etcd_client etcd_peer api_port <<<"$(free_ports 3)"

    local admin_token alice_token
    admin_token=$(openssl rand -hex 24)
    alice_token=$(openssl rand -hex 24)
    umask 077
    printf '%s,admin,admin-uid,"system:masters"\n%s,alice,alice-uid\n' \
        "$admin_token" "$alice_token" >"$CP_DIR/tokens.csv"
    openssl genrsa -out "$certs/sa.key" 2048 2>/dev/null || start_fail "openssl genrsa failed"
    umask 022

    local launch=()
    [[ $detach == detach ]] && launch=(setsid nohup)

    "${launch[@]}" "$BIN_DIR/etcd" \
        --name jf \
        --data-dir "$CP_DIR/etcd" \
        --listen-client-urls "http://127.0.0.1:$etcd_client" \
        --advertise-client-urls "http://127.0.0.1:$etcd_client" \
        --listen-peer-urls "http://127.0.0.1:$etcd_peer" \
        --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
        --initial-cluster "jf=http://127.0.0.1:$etcd_peer" \
        --unsafe-no-fsync \
        </dev/null >"$CP_DIR/etcd.log" 2>&1 &
    ETCD_PID=$!

    # --endpoint-reconciler-type none: the default (lease) reconciler refuses a
    # loopback advertise address, and nothing here needs the "kubernetes"
    # Endpoints.  ServiceAccount admission is off so that pods can be created
    # without a controller-manager making the "default" service accounts.
    "${launch[@]}" "$BIN_DIR/kube-apiserver" \
        --etcd-servers "http://127.0.0.1:$etcd_client" \
        --bind-address 127.0.0.1 \
        --advertise-address 127.0.0.1 \
        --endpoint-reconciler-type none \
        --secure-port "$api_port" \
        --cert-dir "$certs" \
        --token-auth-file "$CP_DIR/tokens.csv" \
        --authorization-mode RBAC \
        --service-account-key-file "$certs/sa.key" \
        --service-account-signing-key-file "$certs/sa.key" \
        --service-account-issuer https://kubernetes.default.svc.cluster.local \
        --disable-admission-plugins ServiceAccount \
        --service-cluster-ip-range 10.0.0.0/24 \
        --allow-privileged=true \
        ${JF_APISERVER_EXTRA_ARGS:-} \
        </dev/null >"$CP_DIR/kube-apiserver.log" 2>&1 &
    APISERVER_PID=$!
    printf '%s %s\n' "$ETCD_PID" "$APISERVER_PID" >"$CP_DIR/pids"

    if [[ $detach != detach ]]; then
        # If this shell dies without running its traps (SIGKILL), stop what it
        # started and remove the temp dir.
        (
            trap - EXIT INT TERM
            set +e
            parent=$$
            while kill -0 "$parent" 2>/dev/null; do sleep 1; done
            pids="$(cat "$CP_DIR/pids")"
            [[ -f $CP_DIR/cmd.pid ]] && pids="$(cat "$CP_DIR/cmd.pid") $pids"
            # shellcheck disable=SC2086
            kill -TERM $pids
            for ((i = 0; i < 100; i++)); do
                left=""
                for p in $pids; do kill -0 "$p" 2>/dev/null && left=1; done
                [[ -n $left ]] || break
                sleep 0.1
            done
            # shellcheck disable=SC2086
            kill -KILL $pids
            [[ ${JF_KEEP_CONTROL_PLANE:-0} == 1 ]] || rm -rf "$CP_DIR"
        ) </dev/null >/dev/null 2>&1 &
        WATCHDOG_PID=$!
    fi

    # Wait for /readyz.
    local server=https://127.0.0.1:$api_port deadline=$((SECONDS + READY_TIMEOUT)) ready=""
    while ((SECONDS < deadline)); do
        alive "$ETCD_PID" || start_fail "etcd exited during start-up"
        alive "$APISERVER_PID" || start_fail "kube-apiserver exited during start-up"
        if [[ -s $certs/apiserver.crt ]] &&
            [[ $(curl -s --max-time 5 --cacert "$certs/apiserver.crt" \
                -H "Authorization: Bearer $admin_token" "$server/readyz" 2>/dev/null) == ok ]]; then
            ready=1
            break
        fi
        sleep 0.25
    done
    [[ -n $ready ]] || start_fail "kube-apiserver not ready after ${READY_TIMEOUT}s ($server/readyz)"
    log "kube-apiserver ready at $server after $(since "$t0")"

    # apiserver.crt holds the serving cert followed by the CA that signed it.
    local ca=$CP_DIR/ca.crt
    awk '/-----BEGIN CERTIFICATE-----/ { n++; buf = "" } { buf = buf $0 "\n" }
         /-----END CERTIFICATE-----/ { last = buf } END { printf "%s", last }' \
        "$certs/apiserver.crt" >"$ca"
    openssl verify -CAfile "$ca" "$certs/apiserver.crt" >/dev/null 2>&1 ||
        cp "$certs/apiserver.crt" "$ca"

    local kubeconfig=$CP_DIR/kubeconfig ca_data
    ca_data=$(base64 -w0 <"$ca")
    cat >"$kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: jf-test
  cluster:
    server: $server
    certificate-authority-data: $ca_data
users:
- name: admin
  user:
    token: $admin_token
- name: alice
  user:
    token: $alice_token
contexts:
- name: admin
  context:
    cluster: jf-test
    user: admin
    namespace: default
- name: alice
  context:
    cluster: jf-test
    user: alice
    namespace: default
current-context: admin
EOF
    chmod 600 "$kubeconfig"

    # Install the CRDs with create (the object as-is; client-side apply would
    # try to store the ~3 MB workflow CRD in an annotation).  --validate=false
    # skips kubectl's per-object OpenAPI round trips (15-20 s here); the API
    # server still validates each CRD itself.
    local t1; t1=$(now_ms)
    kubectl --kubeconfig "$kubeconfig" create --validate=false -f "$CRD_DIR" \
        >"$CP_DIR/kubectl.log" 2>&1 ||
        start_fail "installing the Argo CRDs failed"
    local crds=() f
    for f in "$CRD_DIR"/argoproj.io_*.yaml; do # argoproj.io_workflows.yaml -> crd/workflows.argoproj.io
        f=${f##*/argoproj.io_}
        crds+=("crd/${f%.yaml}.argoproj.io")
    done
    kubectl --kubeconfig "$kubeconfig" wait --for condition=established --timeout=60s \
        "${crds[@]}" >>"$CP_DIR/kubectl.log" 2>&1 ||
        start_fail "the Argo CRDs did not become Established"
    log "Argo $ARGO_VERSION CRDs established in $(since "$t1"); control plane up in $(since "$t0")"

    local argo_bin=""
    stamp_ok argo "$ARGO_VERSION" && [[ -x $BIN_DIR/argo ]] && argo_bin=$BIN_DIR/argo
    {
        echo "export KUBECONFIG='$kubeconfig'"
        echo "export JF_TEST_KUBECONFIG='$kubeconfig'"
        echo "export JF_TEST_SERVER='$server'"
        echo "export JF_TEST_CA_FILE='$ca'"
        echo "export JF_TEST_ADMIN_TOKEN='$admin_token'"
        echo "export JF_TEST_UNPRIVILEGED_TOKEN='$alice_token'"
        echo "export JF_TEST_K8S_VERSION='$K8S_VERSION'"
        echo "export JF_TEST_ARGO_VERSION='$ARGO_VERSION'"
        echo "export JF_TEST_CACHE_DIR='$CACHE_DIR'"
        echo "export JF_TEST_CONTROL_PLANE_DIR='$CP_DIR'"
        [[ -n $argo_bin ]] && echo "export JF_TEST_ARGO_BIN='$argo_bin'"
        true
    } >"$CP_DIR/env"
    chmod 600 "$CP_DIR/env"
}

cleanup_run() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $WATCHDOG_PID ]]; then
        kill "$WATCHDOG_PID" 2>/dev/null || true
        wait "$WATCHDOG_PID" 2>/dev/null || true
    fi
    # restart-apiserver may have replaced the pid.
    [[ -f $CP_DIR/pids ]] && read -r ETCD_PID APISERVER_PID <"$CP_DIR/pids"
    stop_pid "$APISERVER_PID"
    stop_pid "$ETCD_PID"
    if [[ -n $CP_DIR && -d $CP_DIR ]]; then
        if [[ ${JF_KEEP_CONTROL_PLANE:-0} == 1 ]]; then
            log "kept $CP_DIR"
        else
            rm -rf "$CP_DIR"
        fi
    fi
    exit "$rc"
}

cmd_run() {
    [[ ${1:-} == -- ]] && shift
    (($# > 0)) || die "usage: $0 run -- CMD [ARG...]"
    cmd_build
    trap cleanup_run EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    start_control_plane
    # shellcheck disable=SC1091
    source "$CP_DIR/env"
    # CMD runs in the background so that a signal sent to this script alone is
    # handled at once (bash defers traps while a foreground child runs); the
    # handler passes it on as SIGTERM, because background commands of a
    # non-interactive shell ignore SIGINT.
    if { : <&0; } 2>/dev/null; then
        "$@" <&0 &
    else # no standard input at all
        "$@" </dev/null &
    fi
    CMD_PID=$!
    echo "$CMD_PID" >"$CP_DIR/cmd.pid"
    trap 'forward_signal 130' INT
    trap 'forward_signal 143' TERM
    local rc=0
    wait "$CMD_PID" || rc=$?
    CMD_PID=""
    exit "$rc"
}

forward_signal() { # EXIT_CODE
    trap - INT TERM
    if [[ -n $CMD_PID ]]; then
        log "interrupted; stopping the command (pid $CMD_PID)"
        stop_pid "$CMD_PID"
    fi
    exit "$1"
}

cmd_start() {
    cmd_build
    trap 'rc=$?; if ((rc != 0)); then stop_pid "$APISERVER_PID"; stop_pid "$ETCD_PID"; fi' EXIT
    start_control_plane detach
    printf '%s\n' "$CP_DIR" >"$CACHE_DIR/current"
    log "running; stop with: $0 stop $CP_DIR"
    printf '%s\n' "$CP_DIR/env"
}

cmd_stop() {
    local dir=${1:-}
    [[ -z $dir && -f $CACHE_DIR/current ]] && dir=$(cat "$CACHE_DIR/current")
    [[ -n $dir && -f $dir/pids ]] || die "no running control plane found"
    local etcd apiserver pid i
    read -r etcd apiserver <"$dir/pids"
    for pid in "$apiserver" "$etcd"; do
        kill -TERM "$pid" 2>/dev/null || continue
        for ((i = 0; i < 150; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$dir"
    [[ -f $CACHE_DIR/current && $(cat "$CACHE_DIR/current") == "$dir" ]] && rm -f "$CACHE_DIR/current"
    log "stopped $dir"
}

# For tests that prove a client survives an API server restart: same flags, port and certs;
# the new pid replaces the old one in DIR/pids, which teardown reads.
cmd_restart_apiserver() {
    local dir=${1:-${JF_TEST_CONTROL_PLANE_DIR:-}} etcd apiserver args=() i
    [[ -n $dir && -f $dir/pids && -f $dir/env ]] || die "no running control plane found"
    read -r etcd apiserver <"$dir/pids"
    mapfile -d '' args <"/proc/$apiserver/cmdline" 2>/dev/null || die "kube-apiserver is not running"
    stop_pid "$apiserver"
    setsid nohup "${args[@]}" </dev/null >>"$dir/kube-apiserver.log" 2>&1 &
    printf '%s %s\n' "$etcd" "$!" >"$dir/pids"
    # shellcheck disable=SC1091
    source "$dir/env"
    local auth="Authorization: Bearer $JF_TEST_ADMIN_TOKEN"
    for ((i = 0; i < READY_TIMEOUT * 4; i++)); do
        [[ $(curl -s --max-time 5 --cacert "$JF_TEST_CA_FILE" -H "$auth" "$JF_TEST_SERVER/readyz" \
            2>/dev/null) == ok ]] && return 0
        sleep 0.25
    done
    die "kube-apiserver not ready after a restart"
}

cmd_env() {
    cat <<EOF
K8S_VERSION=$K8S_VERSION
ETCD_VERSION=$ETCD_VERSION
ARGO_VERSION=$ARGO_VERSION
ARGO_MODULE=$ARGO_MODULE
CACHE_DIR=$CACHE_DIR
BIN_DIR=$BIN_DIR
CRD_DIR=$CRD_DIR
EOF
}

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
    exit "${1:-2}"
}

main() {
    local sub=${1:-}
    (($# > 0)) && shift
    case $sub in
    build) cmd_build ;;
    build-argo) cmd_build_argo ;;
    run) cmd_run "$@" ;;
    start) cmd_start ;;
    stop) cmd_stop "$@" ;;
    restart-apiserver) cmd_restart_apiserver "$@" ;;
    env) cmd_env ;;
    -h | --help | help) usage 0 ;;
    *) usage 2 ;;
    esac
}

main "$@"
