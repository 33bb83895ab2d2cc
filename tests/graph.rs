//! The `-o mermaid` and `-o dot` goldens (tests/cmd/graph-*) are pictures a real tool can
//! draw: Graphviz's `dot` renders each DOT golden to SVG, Mermaid's own parser reads each
//! Mermaid golden as the nodes, edges and labels it writes, and each Mermaid golden keeps to
//! the flowchart syntax the tool writes (one statement per line, every label quoted once).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{required_tool, required_tool_from, temp_dir, ROOT};
use serde_json::Value;

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

/// What Mermaid's parser made of each file (scripts/mermaid-parse.mjs: one JSON line per file),
/// and whether every file parsed; `None` when node or the parser is missing (see
/// `required_tool`).
fn mermaid_parse(files: &[&Path]) -> Option<(bool, Vec<Value>)> {
    let why = "Mermaid's own parser reads the -o mermaid goldens; \
               eval \"$(scripts/mermaid-tools.sh)\" installs it";
    let node = required_tool("node", why)?;
    let parser = required_tool_from("JF_MERMAID_PARSER", "mermaid", why)?;
    let output = Command::new(node)
        .arg(Path::new(ROOT).join("scripts/mermaid-parse.mjs"))
        .args(files)
        .env("JF_MERMAID_PARSER", parser)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let code = output.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "mermaid-parse.mjs: {code:?} {stderr}"
    );
    let results: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert_eq!(results.len(), files.len(), "{stderr}");
    Some((code == Some(0), results))
}

/// A node as Mermaid's parser names it: id, shape, classes.
type Node = (String, String, Vec<String>);
/// An edge: from, to, stroke (`normal` or `dotted`).
type Edge = (String, String, String);

/// A golden's nodes and edges as its lines write them, to compare with what Mermaid read.
fn written_graph(text: &str) -> (Vec<Node>, Vec<Edge>) {
    let (mut nodes, mut edges) = (Vec::new(), Vec::new());
    let mut classes: Vec<(String, String)> = Vec::new();
    for line in text.lines().skip(1).map(str::trim) {
        // A node statement opens its shape in its first word (its label may hold ` --> `).
        let first_word = line.split(' ').next().unwrap_or_default();
        if let Some(at) = first_word.find(['[', '{']) {
            let shape = match &line[at..at + 2] {
                "[[" => "subroutine",
                "{{" => "hexagon",
                _ => "square",
            };
            nodes.push((line[..at].to_string(), shape.to_string(), Vec::new()));
        } else if let Some((from, to)) = line.split_once(" --> ") {
            edges.push((from.into(), to.into(), "normal".into()));
        } else if let Some((from, to)) = line.split_once(" -.-> ") {
            edges.push((from.into(), to.into(), "dotted".into()));
        } else if let Some(rest) = line.strip_prefix("class ") {
            let (ids, class) = rest.split_once(' ').unwrap();
            classes.extend(ids.split(',').map(|id| (id.to_string(), class.to_string())));
        }
    }
    for (id, class) in classes {
        let node = nodes.iter_mut().find(|n| n.0 == id).unwrap();
        node.2.push(class);
    }
    (nodes, edges)
}

#[test]
fn mermaid_reads_every_mermaid_golden_as_written() {
    let goldens = goldens("mermaid");
    let files: Vec<&Path> = goldens.iter().map(|(path, _)| path.as_path()).collect();
    let Some((all_parsed, results)) = mermaid_parse(&files) else {
        return;
    };
    assert!(all_parsed, "{results:#?}");
    for ((path, text), read) in goldens.iter().zip(&results) {
        let shown = path.display();
        assert_eq!(read["type"], "flowchart-v2", "{shown}: {read}");
        let (nodes, edges) = written_graph(text);
        let read_nodes: Vec<Node> = serde_json::from_value::<Vec<Value>>(read["nodes"].clone())
            .unwrap()
            .iter()
            .map(|n| {
                (
                    n["id"].as_str().unwrap().to_string(),
                    n["shape"].as_str().unwrap().to_string(),
                    serde_json::from_value(n["classes"].clone()).unwrap(),
                )
            })
            .collect();
        assert_eq!(read_nodes, nodes, "{shown}");
        let read_edges: Vec<Edge> = serde_json::from_value::<Vec<Value>>(read["edges"].clone())
            .unwrap()
            .iter()
            .map(|e| {
                let field = |k: &str| e[k].as_str().unwrap().to_string();
                (field("from"), field("to"), field("stroke"))
            })
            .collect();
        assert_eq!(read_edges, edges, "{shown}");
        // Every label shows a name, then the command; no escape is left for the reader.
        for node in read["nodes"].as_array().unwrap() {
            let label: Vec<&str> = node["label"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l.as_str().unwrap())
                .collect();
            assert_eq!(label.len(), 2, "{shown}: {node}");
            for line in label {
                assert!(
                    !line.contains("#quot;") && !line.contains("&quot;") && !line.contains("#gt;"),
                    "{shown}: {node}"
                );
            }
        }
    }

    // Quotes, brackets, `>>`, `#`, `&&`, backticks and `<...>` in commands: Mermaid shows each
    // command exactly as the user typed it (tests/cmd/graph-mermaid-escapes.toml).
    let (_, escapes) = goldens
        .iter()
        .zip(&results)
        .find(|((path, _), _)| path.ends_with("graph-mermaid-escapes.stdout"))
        .expect("the escapes golden");
    let commands: Vec<&str> = escapes["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["label"][1].as_str().unwrap())
        .collect();
    assert_eq!(
        commands,
        [
            "prep.ipynb",
            r#"python train.py --tag "a [b]" --note "x >> y""#,
            r##"python eval.py --out "#1" && echo `date`"##,
            r#"echo "<done>" > /tmp/log.txt"#,
        ]
    );
}

/// The check can fail: a label with a bare quote inside (what the tool's escaping prevents) is
/// refused by Mermaid's parser, and one written with Mermaid's escapes shows the quotes.
#[test]
fn mermaid_refuses_a_bare_quote_and_shows_an_escaped_one() {
    let dir = temp_dir("mermaid-quotes");
    let (bare, escaped) = (dir.path().join("bare.mmd"), dir.path().join("escaped.mmd"));
    std::fs::write(&bare, "flowchart TD\n    s1[\"job-1<br>echo \"a\"b\"]\n").unwrap();
    std::fs::write(
        &escaped,
        "flowchart TD\n    s1[\"job-1<br>echo #quot;a#quot;b\"]\n",
    )
    .unwrap();
    let Some((all_parsed, results)) = mermaid_parse(&[&bare, &escaped]) else {
        return;
    };
    assert!(!all_parsed, "{results:#?}");
    let error = results[0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("Parse error"), "{results:#?}");
    assert_eq!(
        results[1]["nodes"][0]["label"][1], r#"echo "a"b"#,
        "{results:#?}"
    );
}
