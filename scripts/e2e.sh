#!/usr/bin/env bash
# Runs the cluster tests (tests/cluster.rs, marked #[ignore = "needs cluster"]) against a real
# control plane: kube-apiserver + etcd built from the Go module proxy and Argo Workflows' full
# CRDs (scripts/control-plane.sh; built once, cached in ~/.cache/kubectl-jupyterflow), started
# on 127.0.0.1 for this run and stopped afterwards. Needs Go, kubectl, openssl, python3 and curl;
# no Docker.
#
# Usage: scripts/e2e.sh [TEST-NAME-FILTER...]      (extra arguments go to the test binary)
#
#   JF_SKIP_ARGO_LINT=1   do not build the argo CLI; the `argo lint --offline` test then skips
#                         (the CRDs' server-side validation still checks every golden)
#   JF_E2E_THREADS=N      tests run in parallel (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."

start=$SECONDS
ARGO_V4=${JF_ARGO_V4_VERSION:-v4.0.5}   # the second pass's CRDs
log() { printf 'e2e: %s\n' "$*" >&2; }

scripts/control-plane.sh build
if [[ ${JF_SKIP_ARGO_LINT:-0} == 1 ]]; then
    log "JF_SKIP_ARGO_LINT=1: not building the argo CLI"
else
    scripts/control-plane.sh build-argo
fi
# Compile before the control plane starts, so that it is up only while tests run.
cargo test --locked --test cluster --test plugin --test wait --no-run
log "built in $((SECONDS - start))s"

# One control plane for both: the cluster tests, then completion of --pod/--container/-n from it.
status=0
scripts/control-plane.sh run -- bash -c '
    set -e
    cargo test --locked --test cluster -- --ignored --test-threads="${JF_E2E_THREADS:-2}" --skip v4_ "$@"
    # A binary of its own: one of its tests restarts kube-apiserver.
    cargo test --locked --test wait -- --ignored --test-threads="${JF_E2E_THREADS:-2}" "$@"
    if [[ $# -eq 0 ]]; then
        cargo test --locked --test plugin cluster_completion -- --ignored
    fi
' e2e "$@" || status=$?

# Argo v3.7's full CRDs do not enforce template counts or types; v4's do. The goldens and the
# largest pipeline are checked against both.
if [[ $status -eq 0 && $# -eq 0 ]]; then
    JF_ARGO_VERSION=$ARGO_V4 scripts/control-plane.sh run -- \
        cargo test --locked --test cluster -- --ignored --test-threads="${JF_E2E_THREADS:-2}" \
        golden_manifest_is_accepted v4_ || status=$?
fi
log "finished in $((SECONDS - start))s (exit $status)"
exit "$status"
