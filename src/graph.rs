//! `-o mermaid` and `-o dot`: a picture of the pipeline's DAG, for a Markdown cell in
//! JupyterLab (which renders Mermaid) or for Graphviz. Pure: a pipeline in, text out.
//!
//! What is drawn is a small model of its own (`Graph`), built from the pipeline, so that each
//! kind of step is one field here and one shape in each drawing: a plain step, a notebook run
//! as a step, a sweep (one node, however many points it runs), and the exit handler that runs
//! after the pipeline whatever its outcome.

use crate::pipeline::Pipeline;

/// Labels longer than this are cut (with `…`): a long command would make a huge box.
const MAX_COMMAND_CHARS: usize = 60;

/// The pipeline as drawn.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    /// Runs after the pipeline, whatever its outcome (Argo's `onExit`).
    pub exit_handler: Option<Node>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Node {
    /// The step's name (`job-1`, or the name a workflow file gives).
    pub name: String,
    /// What it runs, as the user wrote it.
    pub command: String,
    pub kind: Kind,
    /// Indices into `Graph::nodes` it runs after.
    pub after: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    #[default]
    Command,
    /// A notebook run headless as the step.
    Notebook,
    /// One step run once per point of a parameter grid.
    Sweep { points: usize },
    /// A notebook run once per point.
    NotebookSweep { points: usize },
}

impl Kind {
    fn is_notebook(self) -> bool {
        matches!(self, Kind::Notebook | Kind::NotebookSweep { .. })
    }

    /// The second line of a node: what kind of step it is, if not a plain command.
    fn caption(self) -> Option<String> {
        let points = |n: usize| {
            if n == 1 {
                "1 point".into()
            } else {
                format!("{n} points")
            }
        };
        match self {
            Kind::Command => None,
            Kind::Notebook => Some("notebook".into()),
            Kind::Sweep { points: n } => Some(format!("sweep of {}", points(n))),
            Kind::NotebookSweep { points: n } => Some(format!("notebook sweep of {}", points(n))),
        }
    }
}

impl Graph {
    pub fn of(pipeline: &Pipeline) -> Graph {
        let nodes = pipeline
            .steps
            .iter()
            .map(|step| Node {
                name: step.name.clone(),
                command: step.text.clone(),
                kind: match (&step.notebook, &step.sweep) {
                    (Some(_), Some(sweep)) => Kind::NotebookSweep {
                        points: sweep.points.len(),
                    },
                    (Some(_), None) => Kind::Notebook,
                    (None, Some(sweep)) => Kind::Sweep {
                        points: sweep.points.len(),
                    },
                    (None, None) => Kind::Command,
                },
                after: step.depends_on.clone(),
            })
            .collect();
        Graph {
            nodes,
            exit_handler: pipeline.exit_handler.as_ref().map(|step| Node {
                name: step.name.clone(),
                command: step.text.clone(),
                kind: if step.notebook.is_some() {
                    Kind::Notebook
                } else {
                    Kind::Command
                },
                after: Vec::new(),
            }),
        }
    }

    /// Steps nothing runs after: where the exit handler's edges start.
    fn last_steps(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| !self.nodes.iter().any(|n| n.after.contains(&i)))
            .collect()
    }
}

/// The command cut to `MAX_COMMAND_CHARS`, on one line.
fn short_command(command: &str) -> String {
    let one_line = command.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX_COMMAND_CHARS {
        return one_line;
    }
    let cut: String = one_line.chars().take(MAX_COMMAND_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

/// The lines of a node's label: name (and kind), then the command.
fn label_lines(node: &Node) -> Vec<String> {
    let mut first = node.name.clone();
    if let Some(caption) = node.kind.caption() {
        first.push_str(&format!(" ({caption})"));
    }
    vec![first, short_command(&node.command)]
}

fn exit_label_lines(node: &Node) -> Vec<String> {
    vec![
        format!("{} (on exit, whatever the outcome)", node.name),
        short_command(&node.command),
    ]
}

// ---- Mermaid -------------------------------------------------------------------------------

/// Mermaid's flowchart syntax. Node ids are `s1`, `s2`, ... (step names may be Mermaid
/// keywords such as `end`); labels are quoted, with every character that Mermaid or the HTML
/// it renders to would read as syntax written as an entity code (`#quot;`, `#lt;`, ...).
pub fn to_mermaid(graph: &Graph) -> String {
    let mut out = String::from("flowchart TD\n");
    for (index, node) in graph.nodes.iter().enumerate() {
        let label = mermaid_label(&label_lines(node));
        let (open, close) = match node.kind {
            Kind::Command | Kind::Notebook => ("[", "]"),
            // A subroutine box: one step that stands for many pods.
            Kind::Sweep { .. } | Kind::NotebookSweep { .. } => ("[[", "]]"),
        };
        out.push_str(&format!("    s{}{open}{label}{close}\n", index + 1));
    }
    if let Some(exit) = &graph.exit_handler {
        out.push_str(&format!(
            "    exit{{{{{}}}}}\n",
            mermaid_label(&exit_label_lines(exit))
        ));
    }
    for (index, node) in graph.nodes.iter().enumerate() {
        for &before in &node.after {
            out.push_str(&format!("    s{} --> s{}\n", before + 1, index + 1));
        }
    }
    if graph.exit_handler.is_some() {
        for last in graph.last_steps() {
            out.push_str(&format!("    s{} -.-> exit\n", last + 1));
        }
    }
    let notebooks: Vec<String> = graph
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.kind.is_notebook())
        .map(|(i, _)| format!("s{}", i + 1))
        .collect();
    if !notebooks.is_empty() {
        out.push_str("    classDef notebook fill:#fff3e0,stroke:#f57c00\n");
        out.push_str(&format!("    class {} notebook\n", notebooks.join(",")));
    }
    if graph.exit_handler.is_some() {
        out.push_str("    classDef exitHandler stroke-dasharray:5 5\n");
        out.push_str("    class exit exitHandler\n");
    }
    out
}

/// `"line 1<br>line 2"`, each line escaped.
fn mermaid_label(lines: &[String]) -> String {
    let escaped: Vec<String> = lines.iter().map(|l| mermaid_escape(l)).collect();
    format!("\"{}\"", escaped.join("<br>"))
}

fn mermaid_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            // `#` first: Mermaid reads `#name;` as an entity code.
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            // A label that starts with a backtick is Markdown.
            '`' => out.push_str("#96;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

// ---- Graphviz ------------------------------------------------------------------------------

/// Graphviz's DOT language: `dot -Tsvg` draws it.
pub fn to_dot(graph: &Graph) -> String {
    let mut out = String::from(
        "digraph pipeline {\n    rankdir=TB;\n    node [shape=box, fontname=\"Helvetica\"];\n",
    );
    for (index, node) in graph.nodes.iter().enumerate() {
        let shape = match node.kind {
            Kind::Command => "",
            Kind::Notebook => ", shape=note, style=filled, fillcolor=\"#fff3e0\"",
            // A stack of boxes: one step that stands for many pods.
            Kind::Sweep { .. } => ", shape=box3d",
            Kind::NotebookSweep { .. } => ", shape=box3d, style=filled, fillcolor=\"#fff3e0\"",
        };
        out.push_str(&format!(
            "    s{} [label={}{shape}];\n",
            index + 1,
            dot_label(&label_lines(node))
        ));
    }
    if let Some(exit) = &graph.exit_handler {
        out.push_str(&format!(
            "    exit [label={}, shape=hexagon, style=dashed];\n",
            dot_label(&exit_label_lines(exit))
        ));
    }
    for (index, node) in graph.nodes.iter().enumerate() {
        for &before in &node.after {
            out.push_str(&format!("    s{} -> s{};\n", before + 1, index + 1));
        }
    }
    if graph.exit_handler.is_some() {
        for last in graph.last_steps() {
            out.push_str(&format!("    s{} -> exit [style=dashed];\n", last + 1));
        }
    }
    out.push_str("}\n");
    out
}

/// A quoted DOT string; lines joined with `\n` (centred lines in Graphviz's labels).
fn dot_label(lines: &[String]) -> String {
    let escaped: Vec<String> = lines.iter().map(|l| dot_escape(l)).collect();
    format!("\"{}\"", escaped.join("\\n"))
}

fn dot_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            // In a label, `\` starts an escape (`\n`, `\N`, `\G`): a literal one is doubled.
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::expression;

    fn graph(expression: &str) -> Graph {
        let pipeline = expression::parse(expression, crate::pipeline::CommandMode::Exec).unwrap();
        Graph::of(&pipeline)
    }

    #[test]
    fn a_chain_and_a_group_are_edges_between_steps() {
        let drawn = to_mermaid(&graph(
            "python a.py >> [python b.py, python c.py] >> python d.py",
        ));
        assert_eq!(
            drawn,
            "flowchart TD\n\
             \x20   s1[\"job-1<br>python a.py\"]\n\
             \x20   s2[\"job-2<br>python b.py\"]\n\
             \x20   s3[\"job-3<br>python c.py\"]\n\
             \x20   s4[\"job-4<br>python d.py\"]\n\
             \x20   s1 --> s2\n\
             \x20   s1 --> s3\n\
             \x20   s2 --> s4\n\
             \x20   s3 --> s4\n"
        );
    }

    #[test]
    fn mermaid_labels_escape_what_mermaid_or_html_would_read() {
        assert_eq!(
            mermaid_escape(r#"echo "a#b" > `out` && [x] <y>"#),
            "echo #quot;a#35;b#quot; #gt; #96;out#96; #amp;#amp; [x] #lt;y#gt;"
        );
        // Nothing left that ends the quoted label early.
        let label = mermaid_label(&["a \"b\" c".into()]);
        assert_eq!(label.matches('"').count(), 2, "{label}");
    }

    #[test]
    fn dot_labels_escape_quotes_and_backslashes() {
        assert_eq!(dot_escape(r#"printf "a\n" > x"#), r#"printf \"a\\n\" > x"#);
        assert_eq!(
            dot_label(&["job-1".into(), "python a.py".into()]),
            r#""job-1\npython a.py""#
        );
    }

    #[test]
    fn long_commands_are_cut_and_kept_on_one_line() {
        let long = format!("python train.py {}", "--flag value ".repeat(10));
        let short = short_command(&long);
        assert_eq!(short.chars().count(), MAX_COMMAND_CHARS);
        assert!(short.ends_with('…'), "{short}");
        assert_eq!(short_command("a\n  b"), "a b");
    }

    #[test]
    fn notebooks_are_marked() {
        let drawn = graph("prep.ipynb >> python train.py");
        assert_eq!(drawn.nodes[0].kind, Kind::Notebook);
        assert_eq!(drawn.nodes[1].kind, Kind::Command);
        let mermaid = to_mermaid(&drawn);
        assert!(
            mermaid.contains("s1[\"job-1 (notebook)<br>prep.ipynb\"]"),
            "{mermaid}"
        );
        assert!(mermaid.ends_with("    class s1 notebook\n"), "{mermaid}");
        assert!(to_dot(&drawn).contains("s1 [label=\"job-1 (notebook)\\nprep.ipynb\", shape=note"));
    }

    #[test]
    fn sweeps_come_from_the_pipeline() {
        let drawn =
            graph("python train.py --lr {0.1,0.01,0.001} --layers {2,4} >> nb.ipynb -p k {1..3}");
        assert_eq!(drawn.nodes[0].kind, Kind::Sweep { points: 6 });
        assert_eq!(drawn.nodes[1].kind, Kind::NotebookSweep { points: 3 });
    }

    /// Sweeps and the exit handler (which the pipeline does not carry yet).
    fn with_sweep_and_exit_handler() -> Graph {
        let mut drawn = graph("python prep.py >> python train.py >> [python a.py, python b.py]");
        drawn.nodes[1].kind = Kind::Sweep { points: 6 };
        drawn.nodes[3].kind = Kind::NotebookSweep { points: 1 };
        drawn.exit_handler = Some(Node {
            name: "on-exit".into(),
            command: "python notify.py $WORKFLOW_STATUS".into(),
            ..Node::default()
        });
        drawn
    }

    #[test]
    fn a_sweep_is_one_node_with_its_number_of_points() {
        let drawn = with_sweep_and_exit_handler();
        let mermaid = to_mermaid(&drawn);
        assert!(
            mermaid.contains("    s2[[\"job-2 (sweep of 6 points)<br>python train.py\"]]\n"),
            "{mermaid}"
        );
        assert!(mermaid.contains("(notebook sweep of 1 point)"), "{mermaid}");
        let dot = to_dot(&drawn);
        assert!(
            dot.contains(
                "    s2 [label=\"job-2 (sweep of 6 points)\\npython train.py\", shape=box3d];\n"
            ),
            "{dot}"
        );
    }

    #[test]
    fn the_exit_handler_follows_every_last_step() {
        let drawn = with_sweep_and_exit_handler();
        let mermaid = to_mermaid(&drawn);
        assert!(
            mermaid.contains(
                "    exit{{\"on-exit (on exit, whatever the outcome)<br>python notify.py $WORKFLOW_STATUS\"}}\n"
            ),
            "{mermaid}"
        );
        assert!(
            mermaid.contains("    s3 -.-> exit\n    s4 -.-> exit\n"),
            "{mermaid}"
        );
        assert!(!mermaid.contains("s2 -.-> exit"), "{mermaid}");
        let dot = to_dot(&drawn);
        assert!(
            dot.contains("    s3 -> exit [style=dashed];\n    s4 -> exit [style=dashed];\n"),
            "{dot}"
        );
    }

    #[test]
    fn step_names_are_never_node_ids() {
        // `end` is a Mermaid keyword; a file may name a step so.
        let mut drawn = graph("python a.py");
        drawn.nodes[0].name = "end".into();
        assert!(to_mermaid(&drawn).contains("    s1[\"end<br>python a.py\"]\n"));
    }
}
