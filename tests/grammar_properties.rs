//! Property tests of the `-c` grammar: generated pipelines (chains, groups, every quoting style)
//! are written as an expression, parsed, rendered and read back from the YAML and the JSON
//! output. Each step must keep its exact argv (the POSIX word split of what was written) and
//! its dependencies, and both outputs must decode to the same object.
//!
//! Sweeps: brace lists and ranges expand as bash expands them (checked against bash itself),
//! and a sweep step renders to one template run `withItems`, whose items give back every
//! combination, exactly.

mod common;

use std::sync::OnceLock;

use k8s_openapi::api::core::v1::Pod;
use proptest::prelude::*;

use kubectl_jupyterflow::argo::{Item, Manifest};
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

// ---- sweeps ----------------------------------------------------------------------------------

/// One word built from the pieces of brace expansion: braces, commas, ranges, quoted and
/// escaped braces and commas. Quotes always come in pairs, so bash and the tool both accept it.
fn brace_word() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "{", "}", ",", "..", "a", "b", "1", "3", "0", "-", "x", "{a,b}", "{1..3}", "'x,y'",
        "\"{a\"", "\\{", "\\,", "\\}", "'}'", "{}",
    ]);
    prop::collection::vec(piece, 1..8).prop_map(|pieces| pieces.concat())
}

/// What bash makes of each word: the words `printf` receives, empty ones dropped (bash drops
/// unquoted empty expansions; the tool passes them as empty arguments).
fn bash_expansions(words: &[String]) -> Option<Vec<Vec<String>>> {
    let bash = common::required_tool("bash", "brace expansion is compared with bash's own")?;
    let script: String = words
        .iter()
        .map(|word| format!("printf '%s\\0' {word}; printf '\\1'\n"))
        .collect();
    let output = std::process::Command::new(bash)
        .args(["--norc", "--noprofile", "-c", &script])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let mut per_word: Vec<Vec<String>> = text
        .split('\u{1}')
        .map(|expansions| {
            expansions
                .split('\0')
                .filter(|word| !word.is_empty())
                .map(String::from)
                .collect()
        })
        .collect();
    per_word.pop(); // after the last separator
    Some(per_word)
}

/// What the tool makes of `echo WORD` in exec mode: the second argument at each point.
fn tool_expansions(word: &str) -> Vec<String> {
    let pipeline = expression::parse(&format!("echo {word}"), CommandMode::Exec)
        .unwrap_or_else(|err| panic!("{word:?}: {err:#}"));
    let step = &pipeline.steps[0];
    let argument = step.command[1].clone();
    let mut expansions = match &step.sweep {
        None => vec![argument],
        Some(sweep) => sweep
            .points
            .iter()
            .map(|point| {
                sweep.parameters.iter().zip(point).fold(
                    argument.clone(),
                    |argument, (name, value)| {
                        argument.replace(
                            &kubectl_jupyterflow::pipeline::sweep::placeholder(name),
                            value,
                        )
                    },
                )
            })
            .collect(),
    };
    expansions.retain(|word| !word.is_empty());
    expansions
}

#[test]
fn brace_expansion_matches_bash() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut words: Vec<String> = [
        "{a,b}",
        "x{1..3}y",
        "{1..10..3}",
        "{08..11}",
        "{c..a}",
        "{a,b{1,2}}",
        "{{a,b}}",
        "{a}{b,c}",
        "{}",
        "{a}",
        "'{a,b}'",
        "\\{a,b}",
        "{'a,b',c}",
        "{a,b}{1..2}",
        "{-2..1}",
    ]
    .map(String::from)
    .to_vec();
    let strategy = brace_word();
    for _ in 0..400 {
        words.push(strategy.new_tree(&mut runner).unwrap().current());
    }
    let Some(bash) = bash_expansions(&words) else {
        return;
    };
    assert_eq!(bash.len(), words.len());
    for (word, expected) in words.iter().zip(&bash) {
        assert_eq!(&tool_expansions(word), expected, "echo {word}");
    }
    let sweeps = bash
        .iter()
        .filter(|expansions| expansions.len() > 1)
        .count();
    assert!(
        sweeps > 100,
        "only {sweeps} of the words expand: the generator is too tame"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A grid renders to one template and one task whose items give back every combination,
    /// each value exact (YAML 1.1 spellings included) after the YAML and JSON round trip.
    #[test]
    fn sweep_items_give_back_every_combination(
        lists in prop::collection::vec(
            prop::collection::vec(
                prop::sample::select(vec![
                    "0.001", "1e-3", "yes", "on", "1_000", "1:20", "0x1F", "007", "~", "null",
                    "-1", "a b", "2001-12-14", "0.10",
                ]),
                1..4,
            ),
            1..4,
        )
    ) {
        let braces: Vec<String> = lists
            .iter()
            .map(|values| {
                let quoted: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
                if quoted.len() == 1 { format!("{{{},{}}}", quoted[0], quoted[0]) } else { format!("{{{}}}", quoted.join(",")) }
            })
            .collect();
        let text = format!("python prep.py >> python train.py {} >> python eval.py", braces.join(" "));
        let manifest = render_and_read_back(&text, CommandMode::Exec);
        let spec = manifest.workflow_spec();
        prop_assert_eq!(spec.templates.len(), 4);
        let tasks = &spec.templates[0].dag.as_ref().unwrap().tasks;
        let task = &tasks[1];
        prop_assert_eq!(&tasks[2].dependencies, &vec![task.name.clone()]);
        let parameters: Vec<String> = task.arguments.as_ref().unwrap().parameters.iter().map(|p| p.name.clone()).collect();
        let mut expected: Vec<Vec<String>> = vec![vec![]];
        for values in &lists {
            let values: Vec<&str> = if values.len() == 1 { vec![values[0], values[0]] } else { values.clone() };
            expected = expected.iter().flat_map(|point| values.iter().map(move |v| {
                let mut next = point.clone();
                next.push(v.to_string());
                next
            })).collect();
        }
        let points: Vec<Vec<String>> = task.with_items.iter().map(|item| match item {
            Item::Value(value) => vec![value.clone()],
            Item::Object(object) => parameters.iter().map(|name| object.0[name].clone()).collect(),
        }).collect();
        prop_assert_eq!(points, expected);
    }
}
