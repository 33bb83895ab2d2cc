//! CLI goldens, pinned with trycmd (a .toml with its .stdout/.stderr): renders of realistic
//! notebook pods and errors (tests/cmd), and the help texts (tests/help). Refresh after an
//! intended change with `TRYCMD=overwrite cargo test --test cli`, and review the diff.

use std::path::Path;

use kubectl_jupyterflow::argo::Manifest;
use kubectl_jupyterflow::pipeline::check_step_name;

#[test]
fn cli_goldens() {
    trycmd::TestCases::new()
        .case("tests/cmd/*.toml")
        .case("tests/help/*.toml");
}

/// Every golden manifest must parse back into our typed structs (which reject unknown
/// fields), so a golden can never drift into something that is not a valid manifest.
#[test]
fn every_golden_manifest_parses_back_into_the_typed_structs() {
    let mut checked = 0;
    for entry in std::fs::read_dir("tests/cmd").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("stdout") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // graph-*: pictures of the pipeline (`-o mermaid|dot`), checked by tests/graph.rs.
        let picture = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("graph-"));
        if text.trim().is_empty() || picture {
            continue;
        }
        let manifest: Manifest = if text.trim_start().starts_with('{') {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        } else {
            kubectl_jupyterflow::yaml::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        };
        check_manifest(&manifest, &path);
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} golden manifests found");
}

/// What every step shares is written once (`templateDefaults`): 150 steps fit in 30 KiB,
/// where a full container per step took ~145 KiB.
#[test]
fn the_150_step_chain_is_compact() {
    let path = "tests/cmd/chain-150-compact.stdout";
    let text = std::fs::read_to_string(path).unwrap();
    let manifest: Manifest = kubectl_jupyterflow::yaml::from_str(&text).unwrap();
    assert_eq!(manifest.workflow_spec().templates.len(), 151, "{path}");
    assert!(text.len() <= 30 * 1024, "{path}: {} bytes", text.len());
}

fn check_manifest(manifest: &Manifest, path: &Path) {
    let shown = path.display();
    // kind and apiVersion are checked by parsing: `Manifest` is tagged by kind, and its
    // apiVersion cannot hold another value.
    let spec = manifest.workflow_spec();
    assert!(spec.templates.len() <= 200, "{shown}: too many templates");
    let entry = spec
        .templates
        .iter()
        .find(|t| t.name == spec.entrypoint)
        .expect("entrypoint exists");
    let tasks = &entry.dag.as_ref().expect("entrypoint is a DAG").tasks;
    assert!(!tasks.is_empty() && tasks.len() <= 200, "{shown}");
    for template in &spec.templates {
        check_step_name(&template.name).unwrap_or_else(|e| panic!("{shown}: {e}"));
        assert!(
            template.dag.is_some() ^ template.container.is_some(),
            "{shown}: one template type"
        );
        if let Some(container) = &template.container {
            assert!(
                container.command.as_ref().is_some_and(|c| !c.is_empty()),
                "{shown}: command is always set"
            );
            for mount in container.volume_mounts.iter().flatten() {
                assert!(
                    spec.volumes.iter().any(|v| v.name == mount.name),
                    "{shown}: mount {} has a volume",
                    mount.name
                );
            }
            for var in container.env.iter().flatten() {
                assert!(
                    !var.name.starts_with("JUPYTERHUB_") && !var.name.starts_with("JPY_"),
                    "{shown}: {}",
                    var.name
                );
            }
        }
    }
    for task in tasks {
        assert!(
            spec.templates.iter().any(|t| t.name == task.template),
            "{shown}: task {} template",
            task.name
        );
        for dep in &task.dependencies {
            assert!(
                tasks.iter().any(|t| &t.name == dep),
                "{shown}: dependency {dep}"
            );
        }
    }
    let prefix = manifest
        .metadata()
        .generate_name
        .as_deref()
        .expect("generateName");
    let limit = if manifest.kind() == "CronWorkflow" {
        52
    } else {
        63
    };
    assert!(prefix.len() + 5 <= limit, "{shown}: generateName too long");
}
