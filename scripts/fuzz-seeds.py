#!/usr/bin/env python3
"""Writes the fuzz seeds (fuzz/seeds/<target>/) from the CLI goldens and the fixtures.

Run it after adding a golden or a fixture; commit what it writes. Crash inputs that became
regression tests live beside these as `regression-*` files, which this script leaves alone.
"""
import shlex
import shutil
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "seeds"
CMD = ROOT / "tests" / "cmd"
FIXTURES = ROOT / "tests" / "fixtures"
DEFAULT_FLAGS = ["--workdir", "/home/jovyan", "-c", "python prep.py >> [python a.py, python b.py]"]


def golden_args():
    for path in sorted(CMD.glob("*.toml")):
        args = tomllib.loads(path.read_text())["args"]
        if args[:1] == ["render"]:
            yield path.stem, args[1:]


def value_of(args, *flags):
    for index, arg in enumerate(args[:-1]):
        if arg in flags:
            return args[index + 1]
    return None


def without(args, *flags):
    """The args less each flag in `flags` and its value."""
    kept, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in flags:
            skip = True
        else:
            kept.append(arg)
    return kept


def write(target, name, data):
    folder = SEEDS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data.encode())


def main():
    for target in ("expression", "workflow_file", "pod_render"):
        for old in (SEEDS / target).glob("*"):
            if not old.name.startswith("regression-"):
                old.unlink()

    pods = {}
    for stem, args in golden_args():
        expression = value_of(args, "-c", "--command")
        if expression is not None:
            write("expression", f"cmd-{stem}", expression)
        pod_file = value_of(args, "--pod-file")
        if pod_file is None or value_of(args, "-f", "--filename") is not None:
            continue
        pod_path = (CMD / pod_file).resolve()
        if not pod_path.is_file():
            continue
        pods[pod_path.name] = pod_path
        flags = shlex.join(without(args, "--pod-file"))
        write("pod_render", f"cmd-{stem}", flags + "\n" + pod_path.read_text())

    for path in sorted(FIXTURES.glob("*.yaml")) + [ROOT / "examples" / "notebook-pod.yaml"]:
        write("pod_render", f"fixture-{path.stem}", shlex.join(DEFAULT_FLAGS) + "\n" + path.read_text())

    for path in sorted((FIXTURES / "pipelines").glob("*.yaml")) + [ROOT / "examples" / "workflow.yaml"]:
        write("workflow_file", f"fixture-{path.stem}", path.read_text())


if __name__ == "__main__":
    main()
