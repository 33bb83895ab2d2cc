//! `kubectl jupyterflow config`: the starter file and the effective config, through the binary.

use std::process::Command;

fn jupyterflow(home: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kubectl-jupyterflow"));
    command.env_clear().env("HOME", home);
    command
}

#[test]
fn config_init_writes_a_starter_file_that_config_reads_back() {
    let home = tempdir();
    let init = jupyterflow(&home)
        .args(["config", "--init"])
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    assert!(init.stdout.is_empty(), "nothing on stdout");
    let written = std::fs::read_to_string(home.join(".jupyterflow.yaml")).unwrap();
    assert!(
        written.contains("spec:") && written.contains("#   image:"),
        "{written}"
    );

    let again = jupyterflow(&home)
        .args(["config", "--init"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1), "refuses to overwrite");
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    let legacy = jupyterflow(&home)
        .args(["config", "--generate-config", "--force"])
        .output()
        .unwrap();
    assert!(legacy.status.success(), "JupyterFlow's flag name works");

    let show = jupyterflow(&home).arg("config").output().unwrap();
    assert!(show.status.success());
    assert_eq!(String::from_utf8_lossy(&show.stdout), "spec: {}\n");
}

#[test]
fn config_prints_the_effective_settings_and_render_uses_them() {
    let home = tempdir();
    let file = home.join("team.yaml");
    std::fs::write(
        &file,
        "spec:\n  image: team/image:3\n  env:\n  - {name: PROJECT, value: churn}\n",
    )
    .unwrap();
    let show = jupyterflow(&home)
        .arg("config")
        .env("JUPYTERFLOW_CONFIG_FILE", &file)
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&show.stdout);
    assert!(
        printed.contains("image: team/image:3") && printed.contains("PROJECT"),
        "{printed}"
    );
    assert!(String::from_utf8_lossy(&show.stderr).contains("team.yaml"));

    let pod = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/notebook-pod.yaml");
    let render = |extra: &[&str]| {
        let mut command = jupyterflow(&home);
        command.env("JUPYTERFLOW_CONFIG_FILE", &file);
        command.args([
            "render",
            "--pod-file",
            pod,
            "--workdir",
            "/home/jovyan",
            "-c",
            "python a.py",
        ]);
        command.args(extra).output().unwrap()
    };
    let from_config = String::from_utf8_lossy(&render(&[]).stdout).into_owned();
    assert!(
        from_config.contains("image: team/image:3"),
        "config file wins over the pod"
    );
    let from_flag =
        String::from_utf8_lossy(&render(&["--image", "flag/image:1"]).stdout).into_owned();
    assert!(
        from_flag.contains("image: flag/image:1") && !from_flag.contains("team/image"),
        "flag wins"
    );
}

#[test]
fn a_broken_config_file_is_an_error_naming_it() {
    let home = tempdir();
    std::fs::write(home.join(".jupyterflow.yaml"), "spec:\n  imagee: x\n").unwrap();
    let pod = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/notebook-pod.yaml");
    let out = jupyterflow(&home)
        .args([
            "render",
            "--pod-file",
            pod,
            "--workdir",
            "/home/jovyan",
            "-c",
            "python a.py",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(".jupyterflow.yaml") && stderr.contains("imagee"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
}

/// A config file that Python's `json.dump` wrote: non-ASCII as `\u` escapes, an emoji as a
/// surrogate pair. Valid JSON, so it must be read, and the value must reach the steps.
#[test]
fn a_json_config_file_with_surrogate_pair_escapes_is_read() {
    let home = tempdir();
    let file = home.join("team.json");
    std::fs::write(
        &file,
        r#"{"spec": {"env": [{"name": "GREETING", "value": "Gr\u00fc\u00dfe \ud83c\udf89"}]}}"#,
    )
    .unwrap();
    let pod = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/notebook-pod.yaml");
    let out = jupyterflow(&home)
        .env("JUPYTERFLOW_CONFIG_FILE", &file)
        .args([
            "render",
            "--pod-file",
            pod,
            "--workdir",
            "/home/jovyan",
            "-c",
            "python a.py",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let env = manifest["spec"]["templates"][1]["container"]["env"]
        .as_array()
        .unwrap();
    assert!(
        env.iter()
            .any(|e| e["name"] == "GREETING" && e["value"] == "Grüße 🎉"),
        "{env:?}"
    );
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "jupyterflow-config-test-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
