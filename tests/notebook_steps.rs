//! Notebook steps run for real: the commands `render` writes for `.ipynb` steps (papermill with
//! parameters, nbconvert without), with Argo's placeholders filled in as the controller fills
//! them, executed here with papermill, nbconvert and a Python kernel. The executed notebooks must
//! land where `--explain` and the README say, one per sweep point, showing the values passed.
//!
//! The tools come from `eval "$(scripts/notebook-tools.sh)"` ($JF_PAPERMILL; jupyter and python
//! beside it). Without them the test says so and skips, except under `CI=true`.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{jupyterflow, required_tool_from, temp_dir, Runner};
use serde_json::{json, Value};

/// A notebook whose `parameters` cell sets `lr` and `epochs`, and which prints what it got.
fn write_notebook(path: &Path) {
    let cell = |source: &str, tags: &[&str]| {
        json!({"cell_type": "code", "execution_count": null, "outputs": [],
               "metadata": {"tags": tags}, "source": source})
    };
    let notebook = json!({
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [
            cell("lr = 1.0\nepochs = 1", &["parameters"]),
            cell("print(f'lr={lr!r} epochs={epochs!r}')", &[]),
        ],
    });
    std::fs::write(path, notebook.to_string()).unwrap();
}

/// What the notebook printed, from its executed copy.
fn printed(path: &Path) -> String {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("no executed notebook at {}: {err}", path.display()));
    let notebook: Value = serde_json::from_str(&text).unwrap();
    let mut out = String::new();
    for cell in notebook["cells"].as_array().unwrap() {
        for output in cell["outputs"].as_array().into_iter().flatten() {
            match &output["text"] {
                Value::String(s) => out.push_str(s),
                Value::Array(lines) => lines.iter().for_each(|l| out.push_str(l.as_str().unwrap())),
                _ => {}
            }
        }
    }
    out
}

/// Each run of each step: its argv with `{{workflow.name}}`, `{{item...}}` and
/// `{{inputs.parameters.NAME}}` filled in as Argo's controller fills them.
fn step_runs(workflow: &Value, workflow_name: &str) -> Vec<Vec<String>> {
    let templates = workflow["spec"]["templates"].as_array().unwrap();
    let tasks: Vec<&Value> = templates
        .iter()
        .filter_map(|t| t["dag"]["tasks"].as_array())
        .flatten()
        .collect();
    let mut runs = Vec::new();
    for task in tasks {
        let template = templates
            .iter()
            .find(|t| t["name"] == task["template"])
            .expect("the task's template");
        let Some(command) = template["container"]["command"].as_array() else {
            continue;
        };
        let items: Vec<Option<&Value>> = match task["withItems"].as_array() {
            Some(items) => items.iter().map(Some).collect(),
            None => vec![None],
        };
        for item in items {
            let mut inputs = BTreeMap::new();
            for parameter in task["arguments"]["parameters"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let value = parameter["value"].as_str().unwrap();
                let filled = match item {
                    Some(Value::Object(fields)) => {
                        fields.iter().fold(value.to_string(), |v, (key, field)| {
                            v.replace(&format!("{{{{item.{key}}}}}"), field.as_str().unwrap())
                        })
                    }
                    Some(Value::String(s)) => value.replace("{{item}}", s),
                    _ => value.to_string(),
                };
                inputs.insert(parameter["name"].as_str().unwrap().to_string(), filled);
            }
            let argv = command
                .iter()
                .map(|word| {
                    let word = word
                        .as_str()
                        .unwrap()
                        .replace("{{workflow.name}}", workflow_name);
                    inputs.iter().fold(word, |w, (name, value)| {
                        w.replace(&format!("{{{{inputs.parameters.{name}}}}}"), value)
                    })
                })
                .collect::<Vec<_>>();
            assert!(
                !argv.iter().any(|w| w.contains("{{")),
                "unfilled placeholder in {argv:?}"
            );
            runs.push(argv);
        }
    }
    runs
}

#[test]
fn notebook_steps_run_with_papermill_and_nbconvert_and_keep_every_output() {
    let Some(papermill) = required_tool_from(
        "JF_PAPERMILL",
        "papermill",
        "it runs rendered notebook steps; eval \"$(scripts/notebook-tools.sh)\" sets it",
    ) else {
        return;
    };
    let tools = papermill.parent().unwrap();
    let work = temp_dir("notebooks");
    write_notebook(&work.path().join("prep.ipynb"));
    write_notebook(&work.path().join("train.ipynb"));

    let rendered = jupyterflow([
        "render",
        "--pod-file",
        "examples/notebook-pod.yaml",
        "--workdir",
        "/home/jovyan",
        "-o",
        "json",
        "-c",
        "prep.ipynb >> train.ipynb -p lr {0.1,yes} -p epochs 5",
    ])
    .stdout();
    let workflow: Value = serde_json::from_str(&rendered).unwrap();
    let runs = step_runs(&workflow, "nb-run-1");
    assert_eq!(runs.len(), 3, "prep once, train once per point: {runs:?}");

    let path = std::env::join_paths([tools, Path::new("/usr/bin"), Path::new("/bin")]).unwrap();
    for argv in &runs {
        let run = Runner::new(&argv[0])
            .args(&argv[1..])
            .env("PATH", &path)
            .current_dir(work.path())
            .run();
        assert!(run.success(), "{argv:?} failed:\n{}", run.stderr);
    }

    let outputs = work.path().join("jupyterflow-runs/nb-run-1");
    assert_eq!(printed(&outputs.join("job-1.ipynb")), "lr=1.0 epochs=1\n");
    // papermill passes -p values as Python literals where they are ones, as its CLI does.
    assert_eq!(
        printed(&outputs.join("job-2/lr=0.1.ipynb")),
        "lr=0.1 epochs=5\n"
    );
    assert_eq!(
        printed(&outputs.join("job-2/lr=yes.ipynb")),
        "lr='yes' epochs=5\n"
    );
}
