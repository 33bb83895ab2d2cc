//! `kubectl jupyterflow config`: the starter file and the effective config, through the binary.

mod common;

use std::path::Path;

use common::{temp_dir, Runner, BIN, ROOT};

/// The binary with a `$HOME` the test keeps across runs.
fn jupyterflow(home: &Path) -> Runner {
    Runner::new(BIN).home(home)
}

fn render_args() -> [String; 7] {
    [
        "render",
        "--pod-file",
        &format!("{ROOT}/examples/notebook-pod.yaml"),
        "--workdir",
        "/home/jovyan",
        "-c",
        "python a.py",
    ]
    .map(String::from)
}

#[test]
fn config_init_writes_a_starter_file_that_config_reads_back() {
    let home = temp_dir("config-home");
    let home = home.path();
    let init = jupyterflow(home).args(["config", "--init"]).run();
    init.assert_ok();
    assert!(init.stdout.is_empty(), "nothing on stdout");
    let written = std::fs::read_to_string(home.join(".jupyterflow.yaml")).unwrap();
    assert!(
        written.contains("spec:") && written.contains("#   image:"),
        "{written}"
    );

    let again = jupyterflow(home).args(["config", "--init"]).run();
    assert_eq!(again.code, Some(1), "refuses to overwrite");
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    let legacy = jupyterflow(home)
        .args(["config", "--generate-config", "--force"])
        .run();
    assert!(legacy.success(), "JupyterFlow's flag name works");

    assert_eq!(jupyterflow(home).arg("config").stdout(), "spec: {}\n");
}

#[test]
fn config_prints_the_effective_settings_and_render_uses_them() {
    let home = temp_dir("config-home");
    let home = home.path();
    let file = home.join("team.yaml");
    std::fs::write(
        &file,
        "spec:\n  image: team/image:3\n  env:\n  - {name: PROJECT, value: churn}\n",
    )
    .unwrap();
    let show = jupyterflow(home)
        .arg("config")
        .env("JUPYTERFLOW_CONFIG_FILE", &file)
        .run();
    show.assert_ok();
    assert!(
        show.stdout.contains("image: team/image:3") && show.stdout.contains("PROJECT"),
        "{}",
        show.stdout
    );
    assert!(show.stderr.contains("team.yaml"), "{}", show.stderr);

    let render = |extra: &[&str]| {
        jupyterflow(home)
            .env("JUPYTERFLOW_CONFIG_FILE", &file)
            .args(render_args())
            .args(extra)
            .stdout()
    };
    let from_config = render(&[]);
    assert!(
        from_config.contains("image: team/image:3"),
        "config file wins over the pod"
    );
    let from_flag = render(&["--image", "flag/image:1"]);
    assert!(
        from_flag.contains("image: flag/image:1") && !from_flag.contains("team/image"),
        "flag wins"
    );
}

#[test]
fn a_broken_config_file_is_an_error_naming_it() {
    let home = temp_dir("config-home");
    std::fs::write(
        home.path().join(".jupyterflow.yaml"),
        "spec:\n  imagee: x\n",
    )
    .unwrap();
    let run = jupyterflow(home.path()).args(render_args()).run();
    let error = run.assert_error();
    assert!(
        error.contains(".jupyterflow.yaml") && error.contains("imagee"),
        "{error}"
    );
    assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.stderr);
}

/// A config file that Python's `json.dump` wrote: non-ASCII as `\u` escapes, an emoji as a
/// surrogate pair. Valid JSON, so it must be read, and the value must reach the steps.
#[test]
fn a_json_config_file_with_surrogate_pair_escapes_is_read() {
    let home = temp_dir("config-home");
    let file = home.path().join("team.json");
    std::fs::write(
        &file,
        r#"{"spec": {"env": [{"name": "GREETING", "value": "Gr\u00fc\u00dfe \ud83c\udf89"}]}}"#,
    )
    .unwrap();
    let out = jupyterflow(home.path())
        .env("JUPYTERFLOW_CONFIG_FILE", &file)
        .args(render_args())
        .args(["-o", "json"])
        .stdout();
    let manifest: serde_json::Value = serde_json::from_str(&out).unwrap();
    let env = manifest["spec"]["templateDefaults"]["container"]["env"]
        .as_array()
        .unwrap();
    assert!(
        env.iter()
            .any(|e| e["name"] == "GREETING" && e["value"] == "Grüße 🎉"),
        "{env:?}"
    );
}
