//! stdin sources, a closed stdout, and determinism, through the binary.

mod common;

use common::{jupyterflow, Run};

const POD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/notebook-pod.yaml");

fn stdout_of(run: Run) -> String {
    run.assert_ok();
    run.stdout
}

#[test]
fn pod_from_stdin_renders_like_pod_from_file() {
    let args = [
        "render",
        "--workdir",
        "/home/jovyan",
        "-c",
        "python a.py >> python b.py",
    ];
    let from_file = jupyterflow(args).args(["--pod-file", POD]).stdout();
    let from_stdin = jupyterflow(args)
        .args(["--pod-file", "-"])
        .stdin(std::fs::read(POD).unwrap())
        .stdout();
    assert_eq!(from_file, from_stdin);
}

#[test]
fn pod_as_json_renders_like_pod_as_yaml() {
    let yaml = std::fs::read_to_string(POD).unwrap();
    let value: serde_json::Value = kubectl_jupyterflow::yaml::from_str(&yaml).unwrap();
    let json = serde_json::to_vec(&value).unwrap();
    let args = [
        "render",
        "--workdir",
        "/home/jovyan",
        "-c",
        "python a.py",
        "--pod-file",
        "-",
    ];
    let from_json = stdout_of(jupyterflow(args).stdin(json).run());
    let from_yaml = stdout_of(jupyterflow(args).stdin(yaml).run());
    assert_eq!(from_json, from_yaml);
}

#[test]
fn workflow_file_from_stdin() {
    let text = jupyterflow([
        "render",
        "--pod-file",
        POD,
        "--workdir",
        "/home/jovyan",
        "-f",
        "-",
    ])
    .stdin("name: from-stdin\njobs:\n- python a.py\n- python b.py\ndags:\n- 1 >> 2\n")
    .stdout();
    assert!(text.contains("generateName: from-stdin-"), "{text}");
}

#[test]
fn both_from_stdin_is_a_usage_error() {
    let run = jupyterflow([
        "render",
        "--pod-file",
        "-",
        "-f",
        "-",
        "--workdir",
        "/home/jovyan",
    ])
    .stdin("")
    .run();
    assert_eq!(run.code, Some(2));
    assert!(run.stdout.is_empty());
}

#[test]
fn a_closed_stdout_ends_quietly() {
    // 199 steps make a manifest far larger than a pipe buffer, so the write meets a closed pipe.
    let expr: Vec<String> = (1..=199).map(|i| format!("python step.py {i}")).collect();
    let run = jupyterflow([
        "render",
        "--pod-file",
        POD,
        "--workdir",
        "/home/jovyan",
        "-c",
        &expr.join(" >> "),
    ])
    .close_stdout()
    .run();
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.is_empty(), "no panic, no error: {}", run.stderr);
}

#[test]
fn output_is_byte_identical_across_runs() {
    let args = [
        "render",
        "--pod-file",
        POD,
        "--workdir",
        "/home/jovyan",
        "-c",
        "python a.py >> [python b.py, python c.py]",
    ];
    let first = jupyterflow(args).stdout();
    let second = jupyterflow(args).stdout();
    assert_eq!(first, second);
    let json = jupyterflow(args).args(["-o", "json"]).stdout();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let yaml: serde_json::Value = kubectl_jupyterflow::yaml::from_str(&first).unwrap();
    assert_eq!(value, yaml, "-o json and -o yaml carry the same manifest");
}

#[test]
fn unknown_flag_is_a_usage_error_with_nothing_on_stdout() {
    let run = jupyterflow(["render", "--pod-file", POD, "-c", "x", "--frobnicate"]).run();
    assert_eq!(run.code, Some(2));
    assert!(run.stdout.is_empty());
}
