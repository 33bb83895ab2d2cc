//! What the binary says about itself: the version line, the man pages, and what the help
//! texts (pinned by trycmd in tests/help) must never show.

mod common;

use common::{jupyterflow, temp_dir, ROOT};
use kubectl_jupyterflow::manual;

const VERSION: &str = env!("CARGO_PKG_VERSION");

#[test]
fn help_goldens_show_no_hidden_command() {
    let mut checked = 0;
    for entry in std::fs::read_dir(std::path::Path::new(ROOT).join("tests/help")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".stdout") {
            continue;
        }
        let help = std::fs::read_to_string(&path).unwrap();
        assert!(
            help.contains("Usage: kubectl jupyterflow"),
            "{name}: {help}"
        );
        assert!(
            !help.contains("__complete") && !help.contains("kubectl-jupyterflow man"),
            "{name} shows a hidden command"
        );
        checked += 1;
    }
    assert_eq!(checked, 6, "six help goldens in tests/help");
    let help = jupyterflow(["render", "--help"]).stdout();
    assert!(
        help.contains("Examples:") && help.contains("kubectl jupyterflow render -c"),
        "{help}"
    );
}

#[test]
fn version_flag_and_subcommand_print_the_crate_version() {
    let expected = format!("kubectl-jupyterflow {VERSION}\n");
    assert_eq!(jupyterflow(["--version"]).stdout(), expected);
    assert_eq!(jupyterflow(["-V"]).stdout(), expected);
    assert_eq!(jupyterflow(["version"]).stdout(), expected);
    assert_eq!(manual::version_line(), expected);
}

#[test]
fn man_pages_come_from_the_same_definition() {
    let page = jupyterflow(["man"]).stdout();
    assert!(
        page.contains("\n.TH kubectl-jupyterflow 1 "),
        "{}",
        &page[..page.len().min(300)]
    );
    assert!(
        page.contains("kubectl jupyterflow") && page.contains("render"),
        "{page}"
    );
    assert!(
        !page.contains("__complete"),
        "the man page shows a hidden command"
    );
    assert_eq!(page, manual::man_page().unwrap());

    let dir = temp_dir("man");
    jupyterflow(["man", "--dir", dir.path().to_str().unwrap()]).stdout();
    let mut pages: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "kubectl-jupyterflow-completions.1",
            "kubectl-jupyterflow-config.1",
            "kubectl-jupyterflow-render.1",
            "kubectl-jupyterflow-version.1",
            "kubectl-jupyterflow-wait.1",
            "kubectl-jupyterflow.1"
        ]
    );
    let render = std::fs::read_to_string(dir.path().join("kubectl-jupyterflow-render.1")).unwrap();
    assert!(
        render.contains("\\-\\-pod\\-file") && render.contains("Examples"),
        "{render}"
    );
}
