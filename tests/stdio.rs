//! stdin sources, a closed stdout, and determinism, through the binary.

use std::io::Write;
use std::process::{Command, Stdio};

const POD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/notebook-pod.yaml");

fn jupyterflow() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kubectl-jupyterflow"));
    command.env_clear().env("HOME", "/nonexistent");
    command
}

fn run_with_stdin(args: &[&str], stdin: &[u8]) -> std::process::Output {
    let mut child = jupyterflow()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
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
    let from_file = jupyterflow()
        .args(args)
        .args(["--pod-file", POD])
        .output()
        .unwrap();
    assert!(from_file.status.success());
    let pod = std::fs::read(POD).unwrap();
    let from_stdin = run_with_stdin(&[&args[..], &["--pod-file", "-"]].concat(), &pod);
    assert!(
        from_stdin.status.success(),
        "{}",
        String::from_utf8_lossy(&from_stdin.stderr)
    );
    assert_eq!(from_file.stdout, from_stdin.stdout);
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
    let from_json = run_with_stdin(&args, &json);
    let from_yaml = run_with_stdin(&args, yaml.as_bytes());
    assert!(
        from_json.status.success(),
        "{}",
        String::from_utf8_lossy(&from_json.stderr)
    );
    assert_eq!(from_json.stdout, from_yaml.stdout);
}

#[test]
fn workflow_file_from_stdin() {
    let out = run_with_stdin(
        &[
            "render",
            "--pod-file",
            POD,
            "--workdir",
            "/home/jovyan",
            "-f",
            "-",
        ],
        b"name: from-stdin\njobs:\n- python a.py\n- python b.py\ndags:\n- 1 >> 2\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("generateName: from-stdin-"), "{text}");
}

#[test]
fn both_from_stdin_is_a_usage_error() {
    let out = run_with_stdin(
        &[
            "render",
            "--pod-file",
            "-",
            "-f",
            "-",
            "--workdir",
            "/home/jovyan",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn a_closed_stdout_ends_quietly() {
    // 199 steps make a manifest far larger than a pipe buffer, so the write meets a closed pipe.
    let expr: Vec<String> = (1..=199).map(|i| format!("python step.py {i}")).collect();
    let mut child = jupyterflow()
        .args([
            "render",
            "--pod-file",
            POD,
            "--workdir",
            "/home/jovyan",
            "-c",
            &expr.join(" >> "),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "no panic, no error: {}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    let first = jupyterflow().args(args).output().unwrap();
    let second = jupyterflow().args(args).output().unwrap();
    assert!(first.status.success());
    assert_eq!(first.stdout, second.stdout);
    let json = jupyterflow()
        .args(args)
        .args(["-o", "json"])
        .output()
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let yaml: serde_json::Value =
        kubectl_jupyterflow::yaml::from_str(&String::from_utf8_lossy(&first.stdout)).unwrap();
    assert_eq!(value, yaml, "-o json and -o yaml carry the same manifest");
}

#[test]
fn unknown_flag_is_a_usage_error_with_nothing_on_stdout() {
    let out = jupyterflow()
        .args(["render", "--pod-file", POD, "-c", "x", "--frobnicate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}
