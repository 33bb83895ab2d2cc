//! Our YAML means what our JSON means, to the readers that matter: kubectl (Go's YAML 1.1 rules,
//! as the argo CLI and Argo's controller read it) and our own YAML 1.2 reader. Strings that a
//! YAML 1.1 reader takes for booleans, numbers, timestamps, nulls or merge keys go through
//! every place a user's string reaches: step arguments, env values, node-selector keys and
//! values, and the source-pod label (from the pod's name).
//!
//! The corpus manifest is also a CLI golden (tests/cmd/yaml-ambiguous-strings.*), so the
//! cluster tests check it against the real API server's strict validation and `argo lint`.

mod common;

use std::path::Path;

use common::{required_tool, run, temp_dir, Runner, ROOT};
use serde_json::Value;

/// Strings that are not plain strings to some YAML reader, or that need care to stay one.
const AMBIGUOUS: &[&str] = &[
    // YAML 1.1 booleans, in any case.
    "y",
    "Y",
    "n",
    "N",
    "yes",
    "Yes",
    "YES",
    "no",
    "No",
    "NO",
    "on",
    "On",
    "ON",
    "off",
    "Off",
    "OFF",
    "true",
    "True",
    "TRUE",
    "false",
    "False",
    "FALSE",
    "yEs",
    "oN",
    // Null.
    "null",
    "Null",
    "NULL",
    "~",
    "",
    // Integers: with `_`, octal, hex, binary, sexagesimal, signed.
    "0",
    "12",
    "-12",
    "+12",
    "1_000",
    "1__0",
    "_1",
    "0o17",
    "0O17",
    "017",
    "08",
    "0x1F",
    "0X1f",
    "0b1010",
    "0b1_0",
    "1:20",
    "190:20:30",
    "-1:20",
    "1:20:30.5",
    // Floats.
    "1.5",
    "1.",
    ".5",
    "-.5",
    "1e3",
    "1E3",
    "1.5e-3",
    "6.8523015e+5",
    "685.230_15e+03",
    ".inf",
    "-.inf",
    "+.Inf",
    ".INF",
    ".nan",
    ".NaN",
    "inf",
    "nan",
    ".",
    "..",
    // Timestamps.
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5",
    "2001-12-15T02:59:43.1Z",
    "2002-1-1",
    // Merge keys, values, indicators, comments, document markers.
    "=",
    "<<",
    "- a",
    "-",
    "? a",
    "?",
    ": a",
    ":",
    "a:",
    "a: b",
    "a:b",
    "#a",
    "a #b",
    "a#b",
    "&a",
    "*a",
    "!a",
    "!!str",
    "|a",
    ">a",
    "'a",
    "\"a",
    "%a",
    "@a",
    "`a",
    "{a}",
    "[a]",
    ",a",
    "---",
    "...",
    "--- a",
    "a, b",
    // Whitespace and line breaks.
    " a",
    "a ",
    " ",
    "\t",
    "a\tb",
    "a\nb",
    "a\n",
    "a\n\n",
    "\na",
    "\n",
    " a\nb",
    "a \nb ",
    "a\n  b\n c",
    "a\r\nb",
    "a\rb",
    // Other characters that need escapes or care.
    "\u{85}",
    "a\u{2028}b",
    "\u{feff}a",
    "\u{7f}",
    "\u{1b}[1m",
    "é",
    "🎉",
    "a\\b",
    "\\n",
];

/// Pod names are DNS labels; these are the ambiguous ones among them (they reach the
/// source-pod label and the workflow's generateName).
const AMBIGUOUS_POD_NAMES: &[&str] = &[
    "on",
    "off",
    "yes",
    "no",
    "y",
    "n",
    "true",
    "null",
    "12",
    "0x1f",
    "0o17",
    "0b1",
    "1e3",
    "2001-12-14",
    "nan",
    "inf",
];

/// Node-selector keys and values are label keys and values: the ambiguous ones among them.
const AMBIGUOUS_LABEL_VALUES: &[&str] = &[
    "",
    "y",
    "N",
    "yes",
    "No",
    "on",
    "OFF",
    "true",
    "False",
    "null",
    "NULL",
    "12",
    "1_000",
    "017",
    "0x1F",
    "0b1010",
    "1.5",
    "1e3",
    "2001-12-14",
    "nan",
    "inf",
];

fn corpus_args() -> Vec<String> {
    let words: Vec<String> = AMBIGUOUS
        .iter()
        .map(|s| shell_words::quote(s).into_owned())
        .collect();
    let mut args: Vec<String> = [
        "render",
        "--pod-file",
        "../../examples/notebook-pod.yaml",
        "--workdir",
        "/home/jovyan",
        "-c",
    ]
    .map(String::from)
    .to_vec();
    args.push(format!("echo {}", words.join(" ")));
    for (index, value) in AMBIGUOUS.iter().enumerate() {
        args.extend(["--env".to_string(), format!("VAR_{index}={value}")]);
    }
    for name in ["y", "n", "on", "NO", "Off", "null", "~", "<<"] {
        args.extend(["--env".to_string(), format!("{name}=x")]);
    }
    for (index, value) in AMBIGUOUS_LABEL_VALUES.iter().enumerate() {
        args.extend([
            "--node-selector".to_string(),
            format!("key-{index}={value}"),
        ]);
    }
    for key in ["y", "n", "on", "off", "yes", "no", "true", "null"] {
        args.extend(["--node-selector".to_string(), format!("{key}=v")]);
    }
    args
}

/// `kubectl` decodes a file without a cluster with `patch --local`: the identity merge patch
/// `{}` prints the object as kubectl read it. `None` when kubectl is missing (see `required_tool`).
fn kubectl_decode(yaml: &str) -> Option<Value> {
    let kubectl = required_tool("kubectl", "it decodes our YAML with Go's YAML 1.1 rules")?;
    let run = Runner::new(kubectl)
        .args(["patch", "--local", "-f", "-", "--type", "merge", "-p", "{}"])
        .args(["-o", "json"])
        // A kubeconfig that points nowhere: nothing here may reach a cluster.
        .env("KUBECONFIG", "/dev/null")
        .stdin(yaml)
        .run();
    assert!(
        run.success(),
        "kubectl could not read our YAML: {}\n{yaml}",
        run.stderr
    );
    Some(serde_json::from_str(&run.stdout).unwrap())
}

/// Renders `args` as YAML and as JSON; returns (yaml text, json value).
fn render_both(args: &[&str]) -> (String, Value) {
    let yaml = run(args, &[], None);
    yaml.assert_ok();
    let json = run(&[args, &["-o", "json"]].concat(), &[], None);
    json.assert_ok();
    (yaml.stdout, serde_json::from_str(&json.stdout).unwrap())
}

/// Every difference between two JSON values, as paths (empty when equal).
fn differences(path: &str, ours: &Value, theirs: &Value, out: &mut Vec<String>) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => differences(&format!("{path}.{key}"), x, y, out),
                    (x, y) => out.push(format!("{path}.{key}: {x:?} != {y:?}")),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (index, (x, y)) in a.iter().zip(b).enumerate() {
                differences(&format!("{path}[{index}]"), x, y, out);
            }
        }
        (x, y) if x != y => out.push(format!("{path}: {x} != {y}")),
        _ => {}
    }
}

fn assert_same(what: &str, json: &Value, decoded: &Value) {
    let mut diff = Vec::new();
    differences("", json, decoded, &mut diff);
    assert!(
        diff.is_empty(),
        "{what} decodes differently from our JSON:\n{}",
        diff.join("\n")
    );
}

fn absolute(args: &[String]) -> Vec<String> {
    args.iter()
        .map(|a| {
            a.strip_prefix("../../")
                .map(|p| format!("{ROOT}/{p}"))
                .unwrap_or_else(|| a.clone())
        })
        .collect()
}

#[test]
fn kubectl_and_our_reader_decode_our_yaml_as_our_json() {
    let args = absolute(&corpus_args());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (yaml, json) = render_both(&args);

    // The corpus did reach the manifest: every string, as a step argument and an env value.
    let template = &json["spec"]["templates"][1]["container"];
    let command: Vec<&str> = template["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(command[1..], *AMBIGUOUS);
    let env = json["spec"]["templateDefaults"]["container"]["env"]
        .as_array()
        .unwrap();
    for (index, value) in AMBIGUOUS.iter().enumerate() {
        let name = format!("VAR_{index}");
        assert!(
            env.iter()
                .any(|e| e["name"] == name.as_str() && e["value"] == *value),
            "{name}={value:?} is not in the env"
        );
    }
    assert_eq!(
        json["spec"]["nodeSelector"].as_object().unwrap().len(),
        AMBIGUOUS_LABEL_VALUES.len() + 8
    );

    // Our own reader (YAML 1.2) reads the YAML as the JSON.
    let ours: Value = kubectl_jupyterflow::yaml::from_str(&yaml).unwrap();
    assert_same("our YAML read by our reader", &json, &ours);

    if let Some(decoded) = kubectl_decode(&yaml) {
        assert_same("our YAML read by kubectl", &json, &decoded);
    }

    // The golden that the cluster tests check (strict API validation, argo lint) is this corpus.
    let golden =
        std::fs::read_to_string(Path::new(ROOT).join("tests/cmd/yaml-ambiguous-strings.stdout"))
            .unwrap();
    assert!(
        golden == yaml,
        "tests/cmd/yaml-ambiguous-strings.* is not this corpus: refresh it \
         (TRYCMD=overwrite cargo test --test cli) and its .toml's args \
         (cargo test --test yaml_readers -- --ignored --nocapture)"
    );
}

#[test]
fn kubectl_reads_ambiguous_pod_names_in_labels_as_strings() {
    let pod: Value = kubectl_jupyterflow::yaml::from_str(
        &std::fs::read_to_string(Path::new(ROOT).join("examples/notebook-pod.yaml")).unwrap(),
    )
    .unwrap();
    let dir = temp_dir("pod-names");
    for name in AMBIGUOUS_POD_NAMES {
        let mut pod = pod.clone();
        pod["metadata"]["name"] = Value::from(*name);
        let file = dir.path().join(format!("{name}.json"));
        std::fs::write(&file, pod.to_string()).unwrap();
        let args = [
            "render",
            "--pod-file",
            file.to_str().unwrap(),
            "--workdir",
            "/home/jovyan",
            "-c",
            "python a.py",
        ];
        let (yaml, json) = render_both(&args);
        assert_eq!(
            json["metadata"]["labels"]["kubectl-jupyterflow/source-pod"], *name,
            "the pod name reaches the label"
        );
        let ours: Value = kubectl_jupyterflow::yaml::from_str(&yaml).unwrap();
        assert_same(&format!("pod {name:?}: our reader"), &json, &ours);
        match kubectl_decode(&yaml) {
            Some(decoded) => assert_same(&format!("pod {name:?}: kubectl"), &json, &decoded),
            None => return,
        }
    }
}

/// The corpus args as the golden's .toml holds them (run it to refresh the .toml after a
/// change to the corpus): `cargo test --test yaml_readers -- --ignored --nocapture`.
#[test]
#[ignore = "prints the golden's args"]
fn print_golden_args() {
    // JSON strings are TOML basic strings, once DEL (raw in JSON, not in TOML) is escaped.
    let args = serde_json::to_string(&corpus_args()).unwrap();
    println!("args = {}", args.replace('\u{7f}', "\\u007F"));
}
