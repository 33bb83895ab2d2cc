#!/usr/bin/env bash
# Runs a throw-away Kubernetes control plane for the integration tests: etcd + kube-apiserver
# with the Argo Workflows CRDs installed, and optionally a simulated cluster in which workflows
# really run (kube-scheduler, KWOK's fake nodes and pods, Argo's workflow-controller). Every
# server listens on 127.0.0.1 only. Linux only.
#
# No container runtime is needed: scripts/build-control-plane.sh compiles the binaries from the
# Go module proxy once and caches them (or JF_BIN_DIR names a directory of prebuilt ones).
# Without --simulated no controllers or kubelet run, so pods stay Pending.
#
# Usage:
#   scripts/control-plane.sh build [TARGET...]  scripts/build-control-plane.sh TARGET... (core)
#   scripts/control-plane.sh build-argo         the same as `build argo`
#   scripts/control-plane.sh run [--simulated] -- CMD [ARG...]
#                                              start a control plane, run CMD against it,
#                                              tear everything down, exit with CMD's code
#   scripts/control-plane.sh start [--simulated]
#                                              start one and leave it running; prints the
#                                              path of an env file to source
#   scripts/control-plane.sh stop [DIR]        stop the one `start` left running
#   scripts/control-plane.sh restart-apiserver [DIR]
#                                              stop kube-apiserver and start it again with
#                                              the same flags (DIR: $JF_TEST_CONTROL_PLANE_DIR)
#   scripts/control-plane.sh env               print the pinned versions and cache paths
# `run` and `start` build nothing: they fail, naming the build command, if a binary is missing.
#
# The simulated cluster (--simulated; scripts/simulated-cluster/ holds its nodes and stages):
# four KWOK nodes shaped like a JupyterHub cluster (two CPU nodes of the user pool, a GPU node
# with 4 nvidia.com/gpu, a core-pool node), kube-scheduler, and Argo's workflow-controller
# watching every namespace. A step pod runs for JF_SIM_RUN_MS and succeeds; one whose program
# is `false` fails; one whose program is `sleep N` runs N seconds; a pod past its
# activeDeadlineSeconds fails there, as the kubelet would (reason DeadlineExceeded).
#
# Environment read:
#   JF_CACHE_DIR            cache root (default ~/.cache/kubectl-jupyterflow)
#   JF_BIN_DIR              prebuilt binaries to run (default: the cache's bin/)
#   JF_CRD_DIR              the Argo CRDs to install (default: the cache's, for JF_ARGO_VERSION)
#   JF_K8S_VERSION, JF_ETCD_VERSION, JF_ARGO_VERSION, JF_KWOK_VERSION   override the pins
#   JF_KEEP_CONTROL_PLANE=1 keep the temp dir (logs, etcd data) after `run`
#   JF_CONTROL_PLANE_TIMEOUT seconds to wait for readiness (default 120)
#   JF_APISERVER_EXTRA_ARGS  extra kube-apiserver flags (split on spaces)
#   JF_SIM_START_MS, JF_SIM_RUN_MS  simulated pods: Pending -> Running, Running -> done
#                           (default 1000 each)
#
# Environment exported to CMD by `run` (and written to the env file by `start`):
#   KUBECONFIG, JF_TEST_KUBECONFIG   admin kubeconfig (contexts "admin", "alice")
#   JF_TEST_SERVER                   https://127.0.0.1:PORT
#   JF_TEST_CA_FILE                  CA that signed the apiserver's serving cert
#   JF_TEST_ADMIN_TOKEN              bearer token of "admin" (group system:masters)
#   JF_TEST_UNPRIVILEGED_TOKEN       bearer token of "alice" (no RBAC grants)
#   JF_TEST_K8S_VERSION, JF_TEST_ARGO_VERSION, JF_TEST_CACHE_DIR
#   JF_TEST_CONTROL_PLANE_DIR        temp dir with logs and certs
#   JF_TEST_ARGO_BIN                 argo CLI, if built (`build argo`)
#   JF_TEST_SIMULATED=1              with --simulated: workflows run
#   JF_TEST_SIM_RUN_MS               with --simulated: how long a step pod runs
#   JF_TEST_AUDIT_LOG                the API server's audit log (JSON lines) of the requests
#                                    made with service-account tokens (the notebooks' accounts;
#                                    admin, controllers and KWOK are not logged)
set -euo pipefail
SCRIPTS=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/control-plane-lib.sh
source "$SCRIPTS/control-plane-lib.sh"
READY_TIMEOUT=${JF_CONTROL_PLANE_TIMEOUT:-120}
SIM_START_MS=${JF_SIM_START_MS:-1000}
SIM_RUN_MS=${JF_SIM_RUN_MS:-1000}

# ---- run ---------------------------------------------------------------------
CP_DIR=""
SIMULATED=""
DETACH=""
SERVER_PIDS=() # every server started, in start order
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
    for f in "$CP_DIR"/*.log; do
        [[ -s $f ]] || continue
        n=30
        # etcd's log matters little.
        [[ $f == */etcd.log ]] && n=5
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

stop_servers() { # newest first: the controllers before the API server, etcd last
    local i
    for ((i = ${#SERVER_PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${SERVER_PIDS[i]}"; done
}

need_binary() { # NAME BUILD-TARGET
    [[ -x $BIN_DIR/$1 ]] ||
        die "no $1 in $BIN_DIR: build it with scripts/build-control-plane.sh $2 (or set JF_BIN_DIR)"
}

# launch NAME BINARY ARG...: start a server in the background, its output in $CP_DIR/NAME.log;
# with DETACH it outlives this shell (`start`).
launch() {
    local name=$1
    shift
    if [[ -n $DETACH ]]; then
        setsid nohup "$@" </dev/null >"$CP_DIR/$name.log" 2>&1 &
    else
        "$@" </dev/null >"$CP_DIR/$name.log" 2>&1 &
    fi
    SERVER_PIDS+=("$!")
    printf '%s\n' "${SERVER_PIDS[*]}" >"$CP_DIR/pids"
}

# If this shell dies without running its traps (SIGKILL), stop what it started (the pids
# file, read then, lists every server) and remove the temp dir.
start_watchdog() {
    (
        trap - EXIT INT TERM
        set +e
        parent=$$
        while kill -0 "$parent" 2>/dev/null; do sleep 1; done
        pids=$(cat "$CP_DIR/pids")
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
}

# Start etcd + kube-apiserver in a fresh temp dir, install the CRDs, write the kubeconfig and
# the env file; with SIMULATED, the simulated cluster too.
start_control_plane() {
    local t0
    t0=$(now_ms)
    need python3; need openssl; need kubectl; need curl
    need_binary etcd core
    need_binary kube-apiserver core
    [[ -f $CRD_DIR/.complete || -n ${JF_CRD_DIR:-} ]] ||
        die "no Argo $ARGO_VERSION CRDs in $CRD_DIR: run scripts/build-control-plane.sh core"
    if [[ -n $SIMULATED ]]; then
        need_binary kube-scheduler simulated
        need_binary kwok simulated
        need_binary workflow-controller simulated
    fi
    CP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/jf-control-plane.XXXXXX")
    local certs=$CP_DIR/certs
    mkdir -p "$certs" "$CP_DIR/etcd"
    [[ -n $DETACH ]] || start_watchdog

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

    launch etcd "$BIN_DIR/etcd" \
        --name jf \
        --data-dir "$CP_DIR/etcd" \
        --listen-client-urls "http://127.0.0.1:$etcd_client" \
        --advertise-client-urls "http://127.0.0.1:$etcd_client" \
        --listen-peer-urls "http://127.0.0.1:$etcd_peer" \
        --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
        --initial-cluster "jf=http://127.0.0.1:$etcd_peer" \
        --unsafe-no-fsync
    local etcd_pid=$!

    # Tests count the tool's own requests here (the notebook account's token is a service
    # account's); one line per request, at its first stage after it was received.
    cat >"$CP_DIR/audit-policy.yaml" <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  userGroups: ["system:serviceaccounts"]
- level: None
EOF
    # --endpoint-reconciler-type none: the default (lease) reconciler refuses a loopback
    # advertise address, and nothing here needs the "kubernetes" Endpoints. ServiceAccount
    # admission is off so that pods can be created without a controller-manager making the
    # "default" service accounts. TaintNodesByCondition would taint every new Node not-ready,
    # and with no node lifecycle controller nothing would lift it.
    local disabled=ServiceAccount
    [[ -n $SIMULATED ]] && disabled+=,TaintNodesByCondition
    # shellcheck disable=SC2086
    launch kube-apiserver "$BIN_DIR/kube-apiserver" \
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
        --disable-admission-plugins "$disabled" \
        --service-cluster-ip-range 10.0.0.0/24 \
        --allow-privileged=true \
        --audit-policy-file "$CP_DIR/audit-policy.yaml" \
        --audit-log-path "$CP_DIR/audit.log" \
        --audit-log-format json \
        ${JF_APISERVER_EXTRA_ARGS:-}
    local apiserver_pid=$!

    # Wait for /readyz.
    local server=https://127.0.0.1:$api_port deadline=$((SECONDS + READY_TIMEOUT)) ready=""
    while ((SECONDS < deadline)); do
        alive "$etcd_pid" || start_fail "etcd exited during start-up"
        alive "$apiserver_pid" || start_fail "kube-apiserver exited during start-up"
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

    # Install the CRDs with create (the object as-is; client-side apply would try to store the
    # ~3 MB workflow CRD in an annotation). --validate=false skips kubectl's per-object OpenAPI
    # round trips (15-20 s here); the API server still validates each CRD itself.
    local t1
    t1=$(now_ms)
    kubectl --kubeconfig "$kubeconfig" create --validate=false -f "$CRD_DIR" \
        >"$CP_DIR/kubectl.log" 2>&1 ||
        start_fail "installing the Argo CRDs failed"
    local crds=() f
    for f in "$CRD_DIR"/argoproj.io_*.yaml; do # argoproj.io_workflows.yaml -> crd/workflows.argoproj.io
        f=${f##*/argoproj.io_}
        crds+=("crd/${f%.yaml}.argoproj.io")
    done
    kubectl --kubeconfig "$kubeconfig" wait --for condition=established --timeout="${READY_TIMEOUT}s" \
        "${crds[@]}" >>"$CP_DIR/kubectl.log" 2>&1 ||
        start_fail "the Argo CRDs did not become Established"
    log "Argo $ARGO_VERSION CRDs established in $(since "$t1"); control plane up in $(since "$t0")"

    [[ -z $SIMULATED ]] || start_simulated_cluster "$kubeconfig"

    local argo_bin=""
    [[ -x $BIN_DIR/argo ]] && argo_bin=$BIN_DIR/argo
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
        echo "export JF_TEST_AUDIT_LOG='$CP_DIR/audit.log'"
        [[ -n $argo_bin ]] && echo "export JF_TEST_ARGO_BIN='$argo_bin'"
        if [[ -n $SIMULATED ]]; then
            echo "export JF_TEST_SIMULATED=1"
            echo "export JF_TEST_SIM_RUN_MS='$SIM_RUN_MS'"
        fi
        true
    } >"$CP_DIR/env"
    chmod 600 "$CP_DIR/env"
}

# kube-scheduler, KWOK with its nodes, Argo's workflow-controller; then one probe workflow
# proves that a step is scheduled, run and finished before any test starts.
start_simulated_cluster() {
    local kubeconfig=$1 t0 sim=$SCRIPTS/simulated-cluster
    t0=$(now_ms)
    local k=(kubectl --kubeconfig "$kubeconfig")
    "${k[@]}" create -f "$sim/nodes.yaml" >>"$CP_DIR/kubectl.log" 2>&1 ||
        start_fail "creating the simulated nodes failed"
    sed -e "s/@START_MS@/$SIM_START_MS/g" -e "s/@RUN_MS@/$SIM_RUN_MS/g" \
        "$sim/stages.yaml" >"$CP_DIR/kwok-stages.yaml"
    # No --server-address and no --node-port: KWOK opens no port at all.
    launch kwok "$BIN_DIR/kwok" \
        --kubeconfig "$kubeconfig" \
        --config "$CP_DIR/kwok-stages.yaml" \
        --manage-all-nodes=false \
        --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake
    # --secure-port 0: no health or metrics endpoint (it would listen on every interface).
    launch kube-scheduler "$BIN_DIR/kube-scheduler" \
        --kubeconfig "$kubeconfig" \
        --leader-elect=false \
        --secure-port 0
    "${k[@]}" wait --for condition=Ready node --all --timeout="${READY_TIMEOUT}s" >>"$CP_DIR/kubectl.log" 2>&1 ||
        start_fail "KWOK did not report the simulated nodes Ready"

    # The controller reads its configuration from the namespace it runs in. It reconciles a
    # workflow at most once per DEFAULT_REQUEUE_TIME (10 s by default; Argo's own e2e tests use
    # 1 s, which makes a 3-step chain take seconds instead of half a minute).
    if ! "${k[@]}" create namespace argo >>"$CP_DIR/kubectl.log" 2>&1 ||
        ! "${k[@]}" create -f "$sim/workflow-controller-configmap.yaml" >>"$CP_DIR/kubectl.log" 2>&1; then
        start_fail "creating the workflow-controller's configuration failed"
    fi
    launch workflow-controller env LEADER_ELECTION_DISABLE=true DEFAULT_REQUEUE_TIME=1s \
        "$BIN_DIR/workflow-controller" \
        --kubeconfig "$kubeconfig" \
        --namespace argo \
        --executor-image "quay.io/argoproj/argoexec:$ARGO_VERSION"

    "${k[@]}" create -f "$sim/probe-workflow.yaml" >>"$CP_DIR/kubectl.log" 2>&1 ||
        start_fail "creating the probe workflow failed"
    "${k[@]}" -n argo wait --for jsonpath='{.status.phase}'=Succeeded workflow/probe \
        --timeout="${READY_TIMEOUT}s" >>"$CP_DIR/kubectl.log" 2>&1 || {
        "${k[@]}" -n argo get workflow,pod -o wide >>"$CP_DIR/kubectl.log" 2>&1
        start_fail "the probe workflow did not succeed: the simulated cluster does not run workflows"
    }
    "${k[@]}" -n argo delete workflow probe --wait=false >>"$CP_DIR/kubectl.log" 2>&1 || true
    log "simulated cluster (4 nodes, scheduler, KWOK, workflow-controller) ran a probe" \
        "workflow in $(since "$t0")"
}

cleanup_run() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $WATCHDOG_PID ]]; then
        kill "$WATCHDOG_PID" 2>/dev/null || true
        wait "$WATCHDOG_PID" 2>/dev/null || true
    fi
    # restart-apiserver may have replaced a pid.
    [[ -n $CP_DIR && -f $CP_DIR/pids ]] && read -r -a SERVER_PIDS <"$CP_DIR/pids"
    stop_servers
    if [[ -n $CP_DIR && -d $CP_DIR ]]; then
        if [[ ${JF_KEEP_CONTROL_PLANE:-0} == 1 ]]; then
            log "kept $CP_DIR"
        else
            rm -rf "$CP_DIR"
        fi
    fi
    exit "$rc"
}

# Leading options of `run` and `start`; sets SIMULATED and OPTIONS_USED (how many it read).
parse_start_options() {
    OPTIONS_USED=0
    while (($# > 0)); do
        case $1 in
        --simulated) SIMULATED=1 ;;
        *) break ;;
        esac
        shift
        OPTIONS_USED=$((OPTIONS_USED + 1))
    done
}

cmd_run() {
    parse_start_options "$@"
    shift "$OPTIONS_USED"
    [[ ${1:-} == -- ]] && shift
    (($# > 0)) || die "usage: $0 run [--simulated] -- CMD [ARG...]"
    trap cleanup_run EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    start_control_plane
    # shellcheck disable=SC1091
    source "$CP_DIR/env"
    # CMD runs in the background so that a signal sent to this script alone is handled at once
    # (bash defers traps while a foreground child runs); the handler passes it on as SIGTERM,
    # because background commands of a non-interactive shell ignore SIGINT.
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
    parse_start_options "$@"
    shift "$OPTIONS_USED"
    (($# == 0)) || die "usage: $0 start [--simulated]"
    DETACH=1
    trap 'rc=$?; ((rc == 0)) || stop_servers' EXIT
    start_control_plane
    printf '%s\n' "$CP_DIR" >"$CACHE_DIR/current"
    log "running; stop with: $0 stop $CP_DIR"
    printf '%s\n' "$CP_DIR/env"
}

cmd_stop() {
    local dir=${1:-}
    [[ -z $dir && -f $CACHE_DIR/current ]] && dir=$(cat "$CACHE_DIR/current")
    [[ -n $dir && -f $dir/pids ]] || die "no running control plane found"
    local pids pid i n
    read -r -a pids <"$dir/pids"
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        pid=${pids[i]}
        kill -TERM "$pid" 2>/dev/null || continue
        for ((n = 0; n < 150; n++)); do
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
# the new pid replaces the old one in DIR/pids (etcd, kube-apiserver, then the rest), which
# teardown reads.
cmd_restart_apiserver() {
    local dir=${1:-${JF_TEST_CONTROL_PLANE_DIR:-}} pids=() args=() i
    [[ -n $dir && -f $dir/pids && -f $dir/env ]] || die "no running control plane found"
    read -r -a pids <"$dir/pids"
    mapfile -d '' args <"/proc/${pids[1]}/cmdline" 2>/dev/null || die "kube-apiserver is not running"
    stop_pid "${pids[1]}"
    setsid nohup "${args[@]}" </dev/null >>"$dir/kube-apiserver.log" 2>&1 &
    pids[1]=$!
    printf '%s\n' "${pids[*]}" >"$dir/pids"
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
KWOK_VERSION=$KWOK_VERSION
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
    [[ $(uname -s) == Linux ]] || die "Linux only (it runs Linux binaries and uses setsid, flock)"
    case $sub in
    build) exec "$SCRIPTS/build-control-plane.sh" "${@:-core}" ;;
    build-argo) exec "$SCRIPTS/build-control-plane.sh" argo ;;
    run) cmd_run "$@" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    restart-apiserver) cmd_restart_apiserver "$@" ;;
    env) cmd_env ;;
    -h | --help | help) usage 0 ;;
    *) usage 2 ;;
    esac
}

main "$@"
