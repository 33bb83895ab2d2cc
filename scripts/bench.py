#!/usr/bin/env python3
"""Whole-process benchmark of `kubectl-jupyterflow render` from a pod file, then of the failure
paths that need no cluster: how long the tool takes to give up.

Runs the release binary many times per scenario and reports the median and p90 wall time
and the peak resident memory of the process. Usage: scripts/bench.sh (builds, then runs this).
"""
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("JF_BENCH_BIN", os.path.join(ROOT, "target", "release", "kubectl-jupyterflow"))
POD = os.path.join(ROOT, "examples", "notebook-pod.yaml")
RUNS = int(os.environ.get("JF_BENCH_RUNS", "200"))


def chain(n):
    return " >> ".join(f"python step.py --index {i} --lr 0.{i % 10}" for i in range(1, n + 1))


def sweep(points):
    """A chain whose middle step is a sweep of `points` points (one range)."""
    return f"python prep.py >> python train.py --seed {{1..{points}}} >> python eval.py"


def grid(lrs, layers):
    """A chain whose middle step sweeps a grid of two parameters."""
    values = ",".join(f"0.{i:03d}" for i in range(1, lrs + 1))
    return f"python prep.py >> python train.py --lr {{{values}}} --layers {{1..{layers}}} >> python eval.py"


SCENARIOS = [
    ("3-step chain", ["-c", "python prep.py >> python train.py --lr 0.1 >> python eval.py"]),
    ("1,000-point sweep {1..1000}", ["-c", sweep(1000)]),
    ("1,000-point grid (100 x 10)", ["-c", grid(100, 10)]),
    ("fan-out (1 >> [2 x 8] >> 1)", ["-c", "python prep.py >> [" + ", ".join(
        f"python train.py --lr 0.{i}" for i in range(1, 9)) + "] >> python eval.py"]),
    ("150-step chain", ["-c", chain(150)]),
    ("199-step chain (the limit)", ["-c", chain(199)]),
]


def run_once(args):
    start = time.perf_counter()
    proc = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={"HOME": "/nonexistent"})
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"benchmark command failed ({proc.returncode}): {proc.stderr.decode()}")
    return elapsed


def manifest_bytes(args):
    return len(subprocess.run(args, capture_output=True, check=True, env={"HOME": "/nonexistent"}).stdout)


def peak_rss_mib(args):
    # ru_maxrss of RUSAGE_CHILDREN is the largest of all waited-for children: measure each
    # scenario in a fresh child process so earlier scenarios do not mask it.
    code = (
        "import resource,subprocess,sys;"
        "subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,env={'HOME':'/nonexistent'},check=True);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, check=True, text=True)
    return int(out.stdout.strip()) / 1024


def main():
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} not found; run scripts/bench.sh (it builds the release binary first)")
    print(f"binary: {BIN} ({os.path.getsize(BIN) / 1024 / 1024:.1f} MiB), {RUNS} runs per scenario, "
          f"{os.cpu_count()} cores")
    print(f"{'scenario':<30} {'median ms':>10} {'p90 ms':>8} {'min ms':>8} {'peak RSS MiB':>13} "
          f"{'manifest bytes':>15}")
    for name, pipeline in SCENARIOS:
        args = [BIN, "render", "--pod-file", POD, "--workdir", "/home/jovyan", *pipeline]
        for _ in range(5):  # warm the page cache
            run_once(args)
        times = sorted(run_once(args) * 1000 for _ in range(RUNS))
        p90 = times[int(len(times) * 0.9) - 1]
        print(f"{name:<30} {statistics.median(times):>10.2f} {p90:>8.2f} {times[0]:>8.2f} "
              f"{peak_rss_mib(args):>13.1f} {manifest_bytes(args):>15}")


def chain_bytes(pipeline):
    return manifest_bytes([BIN, "render", "--pod-file", POD, "--workdir", "/home/jovyan", "-c", pipeline])


def sweep_sizes():
    """How much each point adds to the manifest: the same chain with 1 and with 1,000 points."""
    print("\nmanifest size (YAML bytes on stdout)")
    print(f"{'pipeline':<36} {'bytes':>9} {'bytes per point':>16}")
    chain = chain_bytes("python prep.py >> python train.py --seed 1 >> python eval.py")
    print(f"{'3-step chain':<36} {chain:>9}")
    for name, one, many, points in [
        ("sweep {1..1000}", sweep(1), sweep(1000), 1000),
        ("sweep {1..10000}", sweep(1), sweep(10000), 10000),
        ("grid 100 x 10 (2 parameters)", grid(1, 1), grid(100, 10), 1000),
    ]:
        small, large = chain_bytes(one), chain_bytes(many)
        print(f"{name:<36} {large:>9} {(large - small) / (points - 1):>16.1f}")


def kubeconfig(folder, name, port):
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
            f"clusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:{port}', insecure-skip-tls-verify: true}}}}]\n"
            "users: [{name: u, user: {token: t}}]\n"
            "contexts: [{name: c, context: {cluster: c, user: u, namespace: jhub}}]\n")
    return path


def silent_server():
    """A local server that accepts connections and never answers: the worst case."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held = []

    def hold_forever():
        while True:
            held.append(listener.accept())

    threading.Thread(target=hold_forever, daemon=True).start()
    return listener.getsockname()[1]


def closed_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def failure_paths():
    """How long giving up takes. The tests check only that the tool gives up (completion within
    its 1.5 s look-up limit, the API within its 20 s budget); these are the figures."""
    home = tempfile.mkdtemp()
    silent = kubeconfig(home, "silent", silent_server())
    closed = kubeconfig(home, "closed", closed_port())
    runs = int(os.environ.get("JF_BENCH_FAILURE_RUNS", "5"))
    scenarios = [
        ("<TAB> on --pod, no credentials", RUNS, 0,
         [BIN, "__complete", "render", "--pod", ""]),
        ("<TAB> on --pod, server silent", runs, 0,
         [BIN, "__complete", "render", "--kubeconfig", silent, "--pod", ""]),
        ("render --pod, port closed", runs, 1,
         [BIN, "render", "--kubeconfig", closed, "--pod", "jupyter-alice", "-c", "python a.py"]),
    ]
    print("\nfailure paths (no cluster; HOME empty)")
    print(f"{'scenario':<34} {'runs':>5} {'median ms':>10} {'max ms':>8}")
    for name, count, code, args in scenarios:
        times = []
        for _ in range(count):
            start = time.perf_counter()
            proc = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  env={"HOME": home, "PATH": os.environ.get("PATH", "")})
            times.append((time.perf_counter() - start) * 1000)
            if proc.returncode != code:
                sys.exit(f"{name}: exit {proc.returncode}, expected {code}: {proc.stderr.decode()}")
        print(f"{name:<34} {count:>5} {statistics.median(times):>10.1f} {max(times):>8.1f}")


if __name__ == "__main__":
    main()
    sweep_sizes()
    if os.environ.get("JF_BENCH_FAILURES", "1") != "0":
        failure_paths()
