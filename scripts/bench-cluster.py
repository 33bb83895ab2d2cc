#!/usr/bin/env python3
"""Whole-process benchmark of `kubectl-jupyterflow render` against a real API server.

Run by scripts/bench-cluster.sh inside `scripts/control-plane.sh run` (it needs the JF_TEST_*
environment). Sets up a namespace like a z2jh user's (the README's service account and Role,
the notebook pod, its ReadWriteOnce home claim), then runs the release binary with the notebook
account's token, many times per scenario, and reports the median and p90 wall time and the API
requests per run, counted by the server itself (`apiserver_request_total` from /metrics, before
and after each scenario).

Then `--submit --wait`: this script writes the workflow's status as Argo's controller would (one
PATCH per step change; no controller runs here) and measures the time from the PATCH that makes
it Succeeded to the exit of the process, and the requests the tool made (PATCHes are this
script's own and are left out).
"""
import http.client
import json
import os
import re
import secrets
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("JF_BENCH_BIN", os.path.join(ROOT, "target", "release", "kubectl-jupyterflow"))
RUNS = int(os.environ.get("JF_BENCH_RUNS", "50"))
WAIT_RUNS = int(os.environ.get("JF_BENCH_WAIT_RUNS", "30"))
SERVER = os.environ["JF_TEST_SERVER"]
CA = os.environ["JF_TEST_CA_FILE"]
ADMIN_TOKEN = os.environ["JF_TEST_ADMIN_TOKEN"]
KUBECONFIG = os.environ["JF_TEST_KUBECONFIG"]
# Resources whose requests are ours; the server's own loopback traffic (leases, CRD
# controllers) touches none of them.
WATCHED = ("pods", "persistentvolumeclaims", "workflows", "cronworkflows")


def kubectl(*args, stdin=None):
    return subprocess.run(["kubectl", "--kubeconfig", KUBECONFIG, *args], input=stdin, text=True,
                          capture_output=True, check=True).stdout


def setup(workdir):
    namespace = "bench-" + secrets.token_hex(3)
    kubectl("create", "namespace", namespace)
    rbac = open(os.path.join(ROOT, "examples", "rbac.yaml")).read().replace("namespace: jhub", f"namespace: {namespace}")
    kubectl("create", "-f", "-", stdin=rbac)
    fixture = os.path.join(ROOT, "tests", "fixtures", "z2jh-dynamic-pod.yaml")
    pod = json.loads(kubectl("create", "--dry-run=client", "-o", "json", "-f", fixture))
    pod.pop("status", None)
    for key in ("uid", "resourceVersion", "creationTimestamp"):
        pod["metadata"].pop(key, None)
    pod["metadata"]["namespace"] = namespace
    subprocess.run(["kubectl", "--kubeconfig", KUBECONFIG, "create", "priorityclass",
                    pod["spec"]["priorityClassName"], "--value=0"], capture_output=True)
    kubectl("create", "-f", "-", stdin=json.dumps(pod))
    kubectl("create", "-n", namespace, "-f", "-", stdin=json.dumps({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "claim-alice"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }))
    token = kubectl("create", "token", "notebook", "-n", namespace, "--duration=1h").strip()
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": "nb",
        "clusters": [{"name": "c", "cluster": {"server": SERVER, "certificate-authority": CA}}],
        "users": [{"name": "notebook", "user": {"token": token}}],
        "contexts": [{"name": "nb", "context": {"cluster": "c", "user": "notebook", "namespace": namespace}}],
    }
    path = os.path.join(workdir, "kubeconfig")
    with open(path, "w") as f:
        json.dump(config, f)
    return namespace, path


METRIC = re.compile(r'^apiserver_request_total\{(.*)\} ([0-9.e+]+)$')
LABEL = re.compile(r'(\w+)="([^"]*)"')


def request_counts():
    context = ssl.create_default_context(cafile=CA)
    request = urllib.request.Request(SERVER + "/metrics", headers={"Authorization": "Bearer " + ADMIN_TOKEN})
    text = urllib.request.urlopen(request, context=context).read().decode()
    counts = Counter()
    for line in text.splitlines():
        match = METRIC.match(line)
        if not match:
            continue
        labels = dict(LABEL.findall(match.group(1)))
        if labels.get("resource") in WATCHED:
            resource = labels["resource"] + ("/" + labels["subresource"] if labels.get("subresource") else "")
            counts[(labels["verb"], resource)] += float(match.group(2))
    return counts


def run_once(args, home):
    start = time.perf_counter()
    proc = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={"HOME": home})
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"benchmark command failed ({proc.returncode}): {proc.stderr.decode()}")
    return elapsed


def main():
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} not found; run scripts/bench-cluster.sh (it builds the release binary first)")
    with tempfile.TemporaryDirectory(prefix="jf-bench-") as workdir:
        bench(workdir)


def bench(workdir):
    namespace, kubeconfig = setup(workdir)
    home = os.path.join(workdir, "home")
    os.mkdir(home)
    base = [BIN, "render", "--pod", "jupyter-alice", "--kubeconfig", kubeconfig, "--workdir", "/home/jovyan",
            "-c", "python prep.py >> python train.py --lr 0.1 >> python eval.py"]
    token = json.load(open(kubeconfig))["users"][0]["user"]["token"]
    scenarios = [
        # The floor: one GET of the pod on a fresh TLS connection, by curl.
        ("baseline: curl GET of the pod", ["curl", "-sf", "-o", "/dev/null", "--cacert", CA,
                                           "-H", "Authorization: Bearer " + token,
                                           f"{SERVER}/api/v1/namespaces/{namespace}/pods/jupyter-alice"]),
        ("render from the API (pod + claim)", base),
        ("--submit (pod + claim + create)", base + ["--submit"]),
        ("--submit --dry-run=server", base + ["--submit", "--dry-run=server"]),
    ]
    print(f"binary: {BIN}, {RUNS} runs per scenario, {os.cpu_count()} cores, "
          f"kube-apiserver {os.environ.get('JF_TEST_K8S_VERSION', '?')}, Argo CRDs {os.environ.get('JF_TEST_ARGO_VERSION', '?')}")
    print()
    print("| scenario | median ms | p90 ms | min ms | API requests per run |")
    print("|---|---:|---:|---:|---|")
    for name, args in scenarios:
        for _ in range(3):  # warm up: page cache, the server's caches
            run_once(args, home)
        before = request_counts()
        times = sorted(run_once(args, home) * 1000 for _ in range(RUNS))
        after = request_counts()
        delta = {key: (after[key] - before[key]) / RUNS for key in after if after[key] != before[key]}
        requests = ", ".join(f"{verb} {resource}: {count:g}" for (verb, resource), count in sorted(delta.items()))
        p90 = times[int(len(times) * 0.9) - 1]
        print(f"| {name} | {statistics.median(times):.1f} | {p90:.1f} | {times[0]:.1f} | {requests} |")
    stored = json.loads(kubectl("get", "workflows", "-n", namespace, "-o", "json"))["items"]
    print()
    print(f"workflows stored: {len(stored)} (expected {RUNS + 3}: one per --submit run, none for the dry runs)")
    print("API requests are counted by the server (apiserver_request_total) over all runs of a scenario.")
    print()
    bench_wait(namespace, home, base)


_patch_connection = None


def patch_status(namespace, name, status):
    """Writes a workflow's status as Argo's controller does (the CRD has no status subresource),
    on one kept-alive connection: a new TLS handshake per PATCH would be counted in the latency."""
    global _patch_connection
    if _patch_connection is None:
        url = urllib.parse.urlsplit(SERVER)
        _patch_connection = http.client.HTTPSConnection(
            url.hostname, url.port, context=ssl.create_default_context(cafile=CA))
    _patch_connection.request(
        "PATCH", f"/apis/argoproj.io/v1alpha1/namespaces/{namespace}/workflows/{name}",
        body=json.dumps({"status": status}),
        headers={"Authorization": "Bearer " + ADMIN_TOKEN, "Content-Type": "application/merge-patch+json"})
    response = _patch_connection.getresponse()
    body = response.read()
    if response.status != 200:
        sys.exit(f"PATCH of workflow {name} answered {response.status}: {body[:300]!r}")


def chain_statuses(wf):
    """The 3-step chain's run as the controller records it: one status per change."""
    t = ["2026-11-29T10:00:0%dZ" % i for i in range(4)]

    def node(task, phase, started, finished=None):
        n = {"id": f"{wf}-{task}", "name": f"{wf}.{task}", "displayName": task, "type": "Pod",
             "templateName": task, "phase": phase, "startedAt": started, "boundaryID": wf}
        if finished:
            n["finishedAt"] = finished
        return n

    def status(phase, nodes, finished=None):
        nodes = {n["id"]: n for n in nodes}
        nodes[wf] = {"id": wf, "name": wf, "displayName": wf, "type": "DAG", "phase": phase, "startedAt": t[0]}
        st = {"phase": phase, "startedAt": t[0], "nodes": nodes}
        if finished:
            st["finishedAt"] = finished
        return st

    return [
        status("Running", [node("job-1", "Running", t[0])]),
        status("Running", [node("job-1", "Succeeded", t[0], t[1]), node("job-2", "Running", t[1])]),
        status("Running", [node("job-2", "Succeeded", t[1], t[2]), node("job-3", "Running", t[2])]),
        status("Succeeded", [node("job-3", "Succeeded", t[2], t[3])], t[3]),
    ]


def wait_run(args, home, namespace):
    """One `--submit --wait`: ms from sending / from the answer of the final PATCH to the exit."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={"HOME": home})
    line = proc.stdout.readline().decode().strip()  # -o name: workflow.argoproj.io/NAME, then it follows
    if "/" not in line:
        proc.kill()
        sys.exit(f"--submit --wait printed {line!r}: {proc.stderr.read().decode()}")
    name = line.split("/", 1)[1]
    *steps, final = chain_statuses(name)
    for status in steps:
        patch_status(namespace, name, status)
    exited = []
    waiter = threading.Thread(target=lambda: (proc.wait(), exited.append(time.perf_counter())))
    waiter.start()
    sent = time.perf_counter()
    patch_status(namespace, name, final)
    answered = time.perf_counter()
    waiter.join()
    if proc.returncode != 0:
        sys.exit(f"--submit --wait exited {proc.returncode}: {proc.stderr.read().decode()}")
    return (exited[0] - sent) * 1000, (exited[0] - answered) * 1000


def bench_wait(namespace, home, base):
    args = base + ["--submit", "--wait", "-o", "name"]
    for _ in range(2):  # warm up
        wait_run(args, home, namespace)
    before = request_counts()
    runs = [wait_run(args, home, namespace) for _ in range(WAIT_RUNS)]
    # A watch is counted when it ends: give the server a moment to see the last one close.
    time.sleep(2)
    after = request_counts()
    delta = {key: (after[key] - before[key]) / WAIT_RUNS for key in after
             if after[key] != before[key] and key[0] != "PATCH"}
    requests = ", ".join(f"{verb} {resource}: {count:g}" for (verb, resource), count in sorted(delta.items()))
    from_sent = sorted(r[0] for r in runs)
    from_answer = sorted(r[1] for r in runs)
    p90 = lambda xs: xs[int(len(xs) * 0.9) - 1]
    print(f"--submit --wait of the 3-step chain, {WAIT_RUNS} runs: time from the PATCH that makes the "
          "workflow Succeeded to the exit of the process")
    print()
    print("| measured from | median ms | p90 ms | min ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    for label, xs in (("PATCH sent", from_sent), ("PATCH answered", from_answer)):
        print(f"| {label} | {statistics.median(xs):.1f} | {p90(xs):.1f} | {xs[0]:.1f} | {xs[-1]:.1f} |")
    print()
    print(f"API requests of the tool per run (the script's PATCHes left out): {requests}")


if __name__ == "__main__":
    main()
