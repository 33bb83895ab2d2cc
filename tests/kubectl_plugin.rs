//! Discovery by the real kubectl: `kubectl plugin list` shows the binary, and `kubectl
//! jupyterflow ...` behaves exactly like `kubectl-jupyterflow ...`.

mod common;

use std::path::Path;

use common::{jupyterflow, plugin_path_dir, required_tool, Runner, COMPLETE_HELPER, RENDER_ARGS};

#[test]
fn kubectl_plugin_list_shows_the_plugin() {
    let Some(kubectl) = required_tool("kubectl", "it proves kubectl finds the plugin") else {
        return;
    };
    let path_dir = plugin_path_dir();
    let listed = Runner::new(&kubectl)
        .args(["plugin", "list"])
        .path_first(path_dir.path())
        .stdout();
    let ours = path_dir.path().join("kubectl-jupyterflow");
    assert!(
        listed.lines().any(|l| Path::new(l.trim()) == ours),
        "kubectl plugin list does not show {}:\n{listed}",
        ours.display()
    );
    assert!(
        !listed.contains(COMPLETE_HELPER),
        "the completion helper is not a plugin"
    );
}

#[test]
fn kubectl_runs_the_plugin_like_the_binary() {
    let Some(kubectl) = required_tool("kubectl", "it proves kubectl runs the plugin") else {
        return;
    };
    let path_dir = plugin_path_dir();
    let via_kubectl = |args: &[&str]| {
        Runner::new(&kubectl)
            .arg("jupyterflow")
            .args(args)
            .path_first(path_dir.path())
            .stdout()
    };
    let direct = |args: &[&str]| jupyterflow(args).stdout();

    let help = via_kubectl(&["--help"]);
    assert_eq!(help, direct(&["--help"]));
    assert!(
        help.contains("Usage: kubectl jupyterflow <COMMAND>"),
        "{help}"
    );
    assert_eq!(
        via_kubectl(&["version"]),
        format!("kubectl-jupyterflow {}\n", env!("CARGO_PKG_VERSION"))
    );

    let manifest = via_kubectl(&RENDER_ARGS);
    assert_eq!(manifest, direct(&RENDER_ARGS));
    assert!(
        manifest.contains("kind: Workflow") && manifest.contains("hello.py"),
        "{manifest}"
    );
}
