//! Property tests of the `-c` grammar: generated pipelines (chains, groups, every quoting style)
//! are written as an expression, parsed, rendered and read back from the YAML and the JSON
//! output. Each step must keep its exact argv (the POSIX word split of what was written) and
//! its dependencies, and both outputs must decode to the same object.

use std::sync::OnceLock;

use k8s_openapi::api::core::v1::Pod;
use proptest::prelude::*;

use kubectl_jupyterflow::argo::Manifest;
use kubectl_jupyterflow::cli::OutputFormat;
use kubectl_jupyterflow::config::Settings;
use kubectl_jupyterflow::pipeline::{expression, CommandMode, MAX_STEPS};
use kubectl_jupyterflow::render::{self, RenderInput, ENTRYPOINT};
use kubectl_jupyterflow::{output, source, yaml};

/// A pipeline as the user means it.
#[derive(Debug, Clone)]
enum Stage {
    Step(Vec<String>),
    Group(Vec<Vec<Stage>>),
}

/// How one word is written down; each gives the same word after a POSIX split.
#[derive(Debug, Clone, Copy)]
enum Quoting {
    /// Bare where it can be, else single quotes.
    Bare,
    Single,
    Double,
    Backslashes,
}

/// Characters that need no quoting anywhere in an expression.
fn is_bare(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._/=:@%+-".contains(c)
}

fn quote(word: &str, quoting: Quoting) -> String {
    let single = || format!("'{}'", word.replace('\'', r"'\''"));
    match quoting {
        Quoting::Bare if !word.is_empty() && word.chars().all(is_bare) => word.to_string(),
        Quoting::Bare | Quoting::Single => single(),
        Quoting::Double => {
            let mut quoted = String::from('"');
            for c in word.chars() {
                // The only characters a backslash escapes inside double quotes.
                if matches!(c, '"' | '\\' | '$' | '`') {
                    quoted.push('\\');
                }
                quoted.push(c);
            }
            quoted.push('"');
            quoted
        }
        // A backslash before a line break joins lines, so such a word is single-quoted.
        Quoting::Backslashes if word.is_empty() || word.contains('\n') => single(),
        Quoting::Backslashes => word
            .chars()
            .flat_map(|c| if is_bare(c) { vec![c] } else { vec!['\\', c] })
            .collect(),
    }
}

/// Words with the grammar's operators, shell metacharacters, blanks and non-ASCII text.
fn word() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "[a-z0-9._/=-]{1,6}",
        1 => prop::sample::select(vec![
            ">>", ">", ">>>", ",", "[", "]", "[1,2]", "'", "\"", "\\", "#", "$HOME", "`x`",
            "|", "&&", ";", "*", "~", " ", "\t", "\n", "é", "🎉", "yes", "1:20", "~",
        ])
        .prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..4).prop_map(|pieces| pieces.concat())
}

fn quoting() -> impl Strategy<Value = Quoting> {
    prop_oneof![
        Just(Quoting::Bare),
        Just(Quoting::Single),
        Just(Quoting::Double),
        Just(Quoting::Backslashes),
    ]
}

/// A step: a program (never blank) and its arguments, each with its own quoting.
fn step() -> impl Strategy<Value = Stage> {
    let program = word().prop_filter("a program name", |w| !w.trim().is_empty());
    (program, prop::collection::vec(word(), 0..4))
        .prop_map(|(program, arguments)| Stage::Step([vec![program], arguments].concat()))
}

fn chain() -> impl Strategy<Value = Vec<Stage>> {
    // Small pipelines reach every rule of the grammar; large ones only cost time.
    let stage = step().prop_recursive(3, 8, 3, |inner| {
        prop_oneof![
            2 => inner.clone(),
            1 => prop::collection::vec(prop::collection::vec(inner, 1..3), 1..4)
                .prop_map(Stage::Group),
        ]
    });
    prop::collection::vec(stage, 1..4)
}

/// Writes the pipeline as a `-c` expression, with blanks (or none) around the operators.
struct Writer<'a> {
    quotings: &'a [Quoting],
    blanks: &'a [&'static str],
    used: usize,
}

impl Writer<'_> {
    fn next_quoting(&mut self) -> Quoting {
        self.used += 1;
        self.quotings[self.used % self.quotings.len()]
    }

    fn blank(&mut self) -> &'static str {
        self.used += 1;
        self.blanks[self.used % self.blanks.len()]
    }

    fn chain(&mut self, chain: &[Stage]) -> String {
        let stages: Vec<String> = chain.iter().map(|stage| self.stage(stage)).collect();
        let mut text = String::new();
        for (index, stage) in stages.iter().enumerate() {
            if index > 0 {
                text.push_str(self.blank());
                text.push_str(">>");
                text.push_str(self.blank());
            }
            text.push_str(stage);
        }
        text
    }

    fn stage(&mut self, stage: &Stage) -> String {
        match stage {
            Stage::Step(words) => {
                let words: Vec<String> = words
                    .iter()
                    .map(|w| quote(w, self.next_quoting()))
                    .collect();
                // Words need a blank between them; " " is the one blank that is never empty.
                words.join(" ")
            }
            Stage::Group(chains) => {
                let chains: Vec<String> = chains.iter().map(|c| self.chain(c)).collect();
                let separator = format!("{},{}", self.blank(), self.blank());
                format!(
                    "[{}{}{}]",
                    self.blank(),
                    chains.join(&separator),
                    self.blank()
                )
            }
        }
    }
}

/// Each step's argv and the indices of the steps it runs after, as the grammar defines them:
/// a stage runs after every exit of the stage before it; a group's chains all start after
/// that, and the group's exits are all of theirs.
fn expected_steps(chain: &[Stage]) -> Vec<(Vec<String>, Vec<usize>)> {
    fn walk(
        chain: &[Stage],
        incoming: Vec<usize>,
        steps: &mut Vec<(Vec<String>, Vec<usize>)>,
    ) -> Vec<usize> {
        let mut exits = incoming;
        for stage in chain {
            exits = match stage {
                Stage::Step(words) => {
                    let mut after = exits.clone();
                    after.sort_unstable();
                    after.dedup();
                    steps.push((words.clone(), after));
                    vec![steps.len() - 1]
                }
                Stage::Group(chains) => chains
                    .iter()
                    .flat_map(|c| walk(c, exits.clone(), steps))
                    .collect(),
            };
        }
        exits
    }
    let mut steps = Vec::new();
    walk(chain, Vec::new(), &mut steps);
    steps
}

fn notebook_pod() -> &'static Pod {
    static POD: OnceLock<Pod> = OnceLock::new();
    POD.get_or_init(|| {
        let text = std::fs::read_to_string("tests/fixtures/z2jh-dynamic-pod.yaml").unwrap();
        source::parse_pod(&text).unwrap()
    })
}

/// Renders in `mode` and reads the manifest back from both outputs, checking they agree.
fn render_and_read_back(expression_text: &str, mode: CommandMode) -> Manifest {
    let pipeline = expression::parse(expression_text, mode)
        .unwrap_or_else(|err| panic!("{expression_text:?} does not parse: {err:#}"));
    let pod = notebook_pod();
    let container = source::select_container(pod, None).unwrap();
    let rendered = render::render(&RenderInput {
        pod,
        container,
        pipeline: &pipeline,
        settings: &Settings::default(),
        workdir: "/home/jovyan",
        cluster: None,
    })
    .unwrap_or_else(|err| panic!("{expression_text:?} does not render: {err:#}"));
    let yaml_text = output::to_text(&rendered.manifest, OutputFormat::Yaml).unwrap();
    let json_text = output::to_text(&rendered.manifest, OutputFormat::Json).unwrap();
    let yaml_value: serde_json::Value = yaml::from_str(&yaml_text).unwrap();
    let json_value: serde_json::Value = serde_json::from_str(&json_text).unwrap();
    assert_eq!(yaml_value, json_value, "YAML and JSON decode differently");
    yaml::from_str(&yaml_text).unwrap()
}

/// (argv, dependency names) of each DAG task, in order.
fn read_steps(manifest: &Manifest) -> Vec<(Vec<String>, Vec<String>)> {
    let spec = manifest.workflow_spec();
    let template = |name: &str| spec.templates.iter().find(|t| t.name == name).unwrap();
    let tasks = &template(ENTRYPOINT).dag.as_ref().unwrap().tasks;
    tasks
        .iter()
        .map(|task| {
            let container = template(&task.template).container.as_ref().unwrap();
            let argv = container.command.clone().unwrap();
            (argv, task.dependencies.clone())
        })
        .collect()
}

fn pipelines() -> impl Strategy<Value = (Vec<Stage>, Vec<Quoting>, Vec<&'static str>)> {
    (
        chain(),
        prop::collection::vec(quoting(), 1..8),
        prop::collection::vec(prop::sample::select(vec!["", " ", "  ", "\t"]), 1..5),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn rendered_steps_keep_their_argv_and_dependencies((chain, quotings, blanks) in pipelines()) {
        let text = Writer { quotings: &quotings, blanks: &blanks, used: 0 }.chain(&chain);
        let expected = expected_steps(&chain);
        prop_assume!(expected.len() <= MAX_STEPS);
        let names: Vec<String> = (1..=expected.len()).map(|n| format!("job-{n}")).collect();

        let exec = read_steps(&render_and_read_back(&text, CommandMode::Exec));
        prop_assert_eq!(exec.len(), expected.len(), "{:?}", text);
        for ((argv, dependencies), (words, after)) in exec.iter().zip(&expected) {
            prop_assert_eq!(argv, words, "{:?}", text);
            let after: Vec<&String> = after.iter().map(|&i| &names[i]).collect();
            prop_assert_eq!(dependencies.iter().collect::<Vec<_>>(), after, "{:?}", text);
        }

        // With --shell, `sh -c` gets the step's text, which splits into the same words.
        let shell = read_steps(&render_and_read_back(&text, CommandMode::Shell));
        for ((argv, dependencies), (exec_argv, exec_dependencies)) in shell.iter().zip(&exec) {
            prop_assert_eq!(&argv[..2], ["/bin/sh", "-c"]);
            let resplit = shell_words::split(&argv[2]);
            prop_assert_eq!(resplit.as_ref(), Ok(exec_argv), "{:?}", text);
            prop_assert_eq!(dependencies, exec_dependencies);
        }
    }
}

#[test]
fn quoting_styles_split_back_into_the_word() {
    let word = "a >> [b, c] 'd' \"e\" \\f $g #h\ni 🎉";
    for quoting in [
        Quoting::Bare,
        Quoting::Single,
        Quoting::Double,
        Quoting::Backslashes,
    ] {
        let written = quote(word, quoting);
        assert_eq!(shell_words::split(&written).unwrap(), [word], "{written}");
    }
}
