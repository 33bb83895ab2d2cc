//! The `-o mermaid` and `-o dot` goldens (tests/cmd/graph-*) are pictures a real tool can
//! draw: Graphviz's `dot` renders each DOT golden to SVG, and each Mermaid golden keeps to the
//! flowchart syntax the tool writes (one statement per line, every label quoted once).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{required_tool, ROOT};

/// The goldens of one format: `graph-*.stdout` whose case asks for `-o FORMAT`.
fn goldens(format: &str) -> Vec<(PathBuf, String)> {
    let dir = Path::new(ROOT).join("tests/cmd");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name
            .strip_prefix("graph-")
            .and_then(|n| n.strip_suffix(".toml"))
        else {
            continue;
        };
        let case = std::fs::read_to_string(&path).unwrap();
        if case.contains(&format!("\"-o\", \"{format}\"")) {
            let stdout = dir.join(format!("graph-{stem}.stdout"));
            let text = std::fs::read_to_string(&stdout).unwrap();
            found.push((stdout, text));
        }
    }
    found.sort();
    assert!(found.len() >= 2, "only {} {format} goldens", found.len());
    found
}

#[test]
fn graphviz_draws_every_dot_golden() {
    let Some(dot) = required_tool("dot", "Graphviz draws the -o dot goldens") else {
        return;
    };
    for (path, text) in goldens("dot") {
        let output = Command::new(&dot).arg("-Tsvg").arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && stderr.is_empty(),
            "dot -Tsvg {}: {stderr}",
            path.display()
        );
        let svg = String::from_utf8_lossy(&output.stdout);
        // One drawn node per step, and Graphviz read the labels as written (quotes and all).
        let nodes = text.lines().filter(|l| l.contains(" [label=")).count();
        assert_eq!(
            svg.matches("class=\"node\"").count(),
            nodes,
            "{}",
            path.display()
        );
        assert!(svg.contains("<svg"), "{}", path.display());
    }
}

#[test]
fn mermaid_goldens_keep_to_the_flowchart_syntax() {
    for (path, text) in goldens("mermaid") {
        let shown = path.display();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("flowchart TD"), "{shown}");
        for line in lines {
            let line = line.trim_start();
            if let Some((id, rest)) = line.split_once(['[', '{']) {
                // A node: `sN["label"]`, `sN[["label"]]`, `exit{{"label"}}`; the label holds
                // no quote of its own (they are written #quot;), so it cannot end early.
                assert!(id == "exit" || id.starts_with('s'), "{shown}: {line}");
                let label = rest.trim_start_matches(['[', '{']);
                let label = label.trim_end_matches([']', '}']);
                assert!(
                    label.len() >= 2 && label.starts_with('"') && label.ends_with('"'),
                    "{shown}: {line}"
                );
                assert!(!label[1..label.len() - 1].contains('"'), "{shown}: {line}");
            } else {
                // An edge or a style.
                assert!(
                    line.contains(" --> ")
                        || line.contains(" -.-> ")
                        || line.starts_with("classDef ")
                        || line.starts_with("class "),
                    "{shown}: not a statement the tool writes: {line}"
                );
            }
        }
    }
}
