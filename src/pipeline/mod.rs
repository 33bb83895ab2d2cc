//! The pipeline: which commands run, in which order. Parsed from a `-c` expression
//! (`expression.rs`) or a JupyterFlow workflow file (`file.rs`), then validated here.
//! No I/O happens in this module: callers hand in text.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use anyhow::{anyhow, bail, ensure, Result};
use k8s_openapi::api::core::v1::ResourceRequirements;
use serde::Deserialize;

use crate::run_policy::RunPolicy;

pub mod expression;
pub mod file;
mod file_policy;
pub mod notebook;
pub mod sweep;

pub use notebook::Notebook;
pub use sweep::Sweep;

/// Argo's full CRDs accept at most 200 templates per Workflow; one is the DAG itself.
pub const MAX_STEPS: usize = 199;

/// How a step's text becomes a container command; a workflow file's `cmd_mode: exec|shell`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommandMode {
    /// Split into words with shell quoting rules and run directly (JupyterFlow's `cmd_mode: exec`).
    #[default]
    Exec,
    /// Run as `/bin/sh -c "<step>"`, for pipes and redirects (JupyterFlow's `cmd_mode: shell`).
    Shell,
}

/// A parsed, validated pipeline.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pipeline {
    /// `name:` of a workflow file (used for `generateName`).
    pub name: Option<String>,
    /// `schedule:` of a workflow file (makes a CronWorkflow).
    pub schedule: Option<String>,
    /// Steps in the order they were written; `job-1` is `steps[0]`.
    pub steps: Vec<Step>,
    /// Runs after the pipeline, whatever its outcome (`--on-exit`); never a sweep.
    pub exit_handler: Option<Step>,
    /// A workflow file's run-policy keys (`retries:`, `deadline:`, `labels:`, ...).
    pub run_policy: RunPolicy,
}

/// The exit handler's template name.
pub const EXIT_HANDLER: &str = "on-exit";

/// The step `--on-exit CMD` runs after the pipeline: a command or a notebook, once. A command
/// always runs with `/bin/sh -c`, so `$WORKFLOW_STATUS` in it expands. `what` names where the
/// command was given (`--on-exit`, a file's `on_exit`), for messages.
pub fn exit_step(text: &str, pipeline: &Pipeline, what: &str) -> Result<Step> {
    ensure!(
        !pipeline.steps.iter().any(|s| s.name == EXIT_HANDLER),
        "a job is named {EXIT_HANDLER:?}, which is the name of the {what} step; rename the job"
    );
    let (command, sweep, notebook) = step_command(text, CommandMode::Shell, EXIT_HANDLER)
        .map_err(|err| anyhow!("{what}: {err}"))?;
    ensure!(
        sweep.is_none(),
        "{what} runs once, but `{text}` holds a sweep (a brace list or range); quote the braces \
         to pass them literally, e.g. '{{a,b}}'"
    );
    Ok(Step {
        name: EXIT_HANDLER.to_string(),
        text: text.to_string(),
        command,
        notebook,
        ..Step::default()
    })
}

/// One step: one Argo template and one DAG task.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Step {
    /// Template and task name: `job-N` (1-based, as JupyterFlow) or the name given in a file.
    pub name: String,
    /// The step as the user wrote it (for messages and `--explain`).
    pub text: String,
    /// The container command, argv-style. In shell mode: `["/bin/sh", "-c", text]`.
    pub command: Vec<String>,
    /// Indices into `Pipeline::steps` this step runs after; sorted, no duplicates.
    pub depends_on: Vec<usize>,
    /// Per-step overrides from a workflow file (job given as a map).
    pub overrides: StepOverrides,
    /// Set when the step runs once per point of a sweep; `command` then holds a
    /// [`sweep::placeholder`] for each parameter.
    pub sweep: Option<Sweep>,
    /// Set when the step runs a notebook (`command` runs papermill or nbconvert on it).
    pub notebook: Option<Notebook>,
}

/// Per-job settings a workflow file may give; they win over flags, config file and pod.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepOverrides {
    pub image: Option<String>,
    /// Extra environment variables, set after (and so overriding) the copied ones.
    pub env: BTreeMap<String, String>,
    pub resources: Option<ResourceRequirements>,
    /// `gpu: N`: this job's `nvidia.com/gpu`, like `--gpu N` for it alone (0: none).
    pub gpu: Option<u32>,
    /// `node_selector:`, on top of the workflow's node selector (checked as labels).
    pub node_selector: BTreeMap<String, String>,
    /// `retries:` and `timeout:` of this job, over the workflow's (`--retries`, `--step-timeout`).
    pub retries: Option<u32>,
    pub timeout: Option<Duration>,
}

/// Argo puts template names into pod names, which are DNS labels.
pub const MAX_STEP_NAME_LENGTH: usize = 63;

/// Checks what Argo and Kubernetes would otherwise reject at submit time, or worse, at run time.
pub fn validate(pipeline: &Pipeline) -> Result<()> {
    let step_count = pipeline.steps.len();
    ensure!(step_count > 0, "the pipeline has no steps");
    ensure!(
        step_count <= MAX_STEPS,
        "the pipeline has {step_count} steps, but at most {MAX_STEPS} fit in one Workflow \
         (Argo's CRDs accept 200 templates per Workflow and one of them is the DAG); \
         split the pipeline into several workflows"
    );

    // A sweep with its own parallelism takes a second template (see render::sweep).
    let template_count = step_count
        + pipeline
            .steps
            .iter()
            .filter(|step| step.sweep.as_ref().is_some_and(|s| s.parallelism.is_some()))
            .count();
    ensure!(
        template_count <= MAX_STEPS,
        "the pipeline needs {template_count} step templates (each sweep with its own \
         parallelism takes two), but at most {MAX_STEPS} fit in one Workflow; split the pipeline"
    );

    let mut first_use_of_name: HashMap<&str, usize> = HashMap::with_capacity(step_count);
    for (index, step) in pipeline.steps.iter().enumerate() {
        check_step_name(&step.name).map_err(|err| anyhow!("step {}: {err}", index + 1))?;
        if let Some(first) = first_use_of_name.insert(&step.name, index) {
            bail!(
                "steps {} and {} are both named `{}`; step names must be unique",
                first + 1,
                index + 1,
                step.name
            );
        }
        let program = step.command.first().map(String::as_str).unwrap_or("");
        ensure!(
            !program.trim().is_empty(),
            "step {}: the command is empty",
            step.name
        );
        if let Some(sweep) = &step.sweep {
            sweep::check_sweep(sweep).map_err(|err| anyhow!("step {}: {err}", step.name))?;
        }
        for (position, &dependency) in step.depends_on.iter().enumerate() {
            ensure!(
                dependency < step_count,
                "step {} depends on step number {}, but the pipeline has only {step_count} steps",
                step.name,
                dependency + 1
            );
            ensure!(dependency != index, "step {} depends on itself", step.name);
            // Sorted and unique is what renderers rely on for deterministic output.
            if position > 0 {
                ensure!(
                    step.depends_on[position - 1] < dependency,
                    "step {}: its dependencies are not sorted and unique: {:?}",
                    step.name,
                    step.depends_on
                );
            }
        }
    }

    for step in &pipeline.steps {
        if step.sweep.as_ref().is_some_and(|s| s.parallelism.is_some()) {
            let point = format!("{}-point", step.name);
            ensure!(
                !first_use_of_name.contains_key(point.as_str()),
                "step {} has its own parallelism, so its points run a template `{point}`, \
                 which is also the name of a step; rename one of them",
                step.name
            );
        }
    }

    if let Some(cycle) = find_cycle(&pipeline.steps) {
        let names: Vec<&str> = cycle
            .iter()
            .map(|&index| pipeline.steps[index].name.as_str())
            .collect();
        bail!(
            "the steps depend on each other in a cycle: {}; a pipeline must run from start to end",
            names.join(" >> ")
        );
    }
    Ok(())
}

/// Checks a template/task name against Argo's rules, with the stricter parts that avoid
/// run-time failures: lowercase (pod names) and a leading letter (tasks with dependencies).
pub fn check_step_name(name: &str) -> Result<()> {
    ensure!(!name.is_empty(), "the step name is empty");
    let length = name.chars().count();
    ensure!(
        length <= MAX_STEP_NAME_LENGTH,
        "step name `{name}` is {length} characters long; Argo allows at most {MAX_STEP_NAME_LENGTH}"
    );
    if let Some(bad) = name
        .chars()
        .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '-'))
    {
        if bad.is_ascii_uppercase() {
            bail!("step name `{name}` has uppercase letters; Argo puts it into pod names, which must be lowercase");
        }
        bail!("step name `{name}` contains `{bad}`; only lowercase letters, digits and `-` are allowed");
    }
    ensure!(
        name.starts_with(|c: char| c.is_ascii_lowercase()),
        "step name `{name}` must start with a lowercase letter (Argo rejects tasks that start \
         with a digit or `-` once they have dependencies)"
    );
    Ok(())
}

/// A step's command from its text, its sweep (brace lists) and, when its program is a
/// notebook, how that runs. Notebook steps are split as in exec mode whatever `mode` says:
/// papermill or nbconvert run them, not a shell.
pub fn step_command(
    text: &str,
    mode: CommandMode,
    step_name: &str,
) -> Result<(Vec<String>, Option<Sweep>, Option<Notebook>)> {
    let first_word = shell_words::split(text)
        .ok()
        .and_then(|words| words.into_iter().next());
    if !first_word.as_deref().is_some_and(notebook::is_notebook) {
        let (command, sweep) = sweep::command_and_sweep(text, mode)?;
        return Ok((command, sweep, None));
    }
    let (words, sweep) = sweep::command_and_sweep(text, CommandMode::Exec)?;
    let (command, notebook) = notebook::notebook_command(step_name, &words, sweep.as_ref())?;
    Ok((command, sweep, Some(notebook)))
}

/// Turns a step's text into a container command.
pub fn command_for(text: &str, mode: CommandMode) -> Result<Vec<String>> {
    let text = trim_unescaped(text);
    ensure!(!text.is_empty(), "the command is empty");
    // Quotes are checked in shell mode too: an unbalanced quote there is a `sh` syntax error
    // that would otherwise surface only when the pod runs.
    let words = shell_words::split(text).map_err(|_| anyhow!("unbalanced quotes in `{text}`"))?;
    match mode {
        CommandMode::Exec => {
            let program = words
                .first()
                .ok_or_else(|| anyhow!("`{text}` has no command, only a comment"))?;
            ensure!(!program.is_empty(), "the program name in `{text}` is empty");
            if let Some((_, operator)) = crate::checks::shell::first_unquoted_operator(text) {
                bail!(
                    "{}",
                    exec_mode_operator_message(
                        &operator,
                        "set `cmd_mode: shell` in the workflow file (or add --shell)"
                    )
                );
            }
            Ok(words)
        }
        CommandMode::Shell => Ok(vec![
            "/bin/sh".to_string(),
            "-c".to_string(),
            text.to_string(),
        ]),
    }
}

/// Why a shell operator cannot stay in an exec-mode step, and the two ways out;
/// `turn_on_shell` says how to run the steps with /bin/sh -c where they come from.
pub fn exec_mode_operator_message(operator: &str, turn_on_shell: &str) -> String {
    format!(
        "`{operator}` is a shell operator, which exec mode does not run (the program would get \
         it as an argument); {turn_on_shell} to run the steps with /bin/sh -c, or quote it \
         ('{operator}') to pass it to the program"
    )
}

/// Trims surrounding whitespace, except a last character escaped by a backslash (`a\ `).
fn trim_unescaped(text: &str) -> &str {
    let text = text.trim_start();
    let trimmed = text.trim_end();
    let trailing_backslashes = trimmed
        .bytes()
        .rev()
        .take_while(|&byte| byte == b'\\')
        .count();
    if trailing_backslashes % 2 == 0 {
        return trimmed;
    }
    let escaped_len = text[trimmed.len()..]
        .chars()
        .next()
        .map_or(0, char::len_utf8);
    &text[..trimmed.len() + escaped_len]
}

/// Number of dependency edges in the DAG (for `--explain` and size estimates).
pub fn edge_count(pipeline: &Pipeline) -> usize {
    pipeline
        .steps
        .iter()
        .map(|step| step.depends_on.len())
        .sum()
}

/// Returns one cycle in execution order, its first step repeated at the end, if there is any.
fn find_cycle(steps: &[Step]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Visit {
        NotYet,
        OnPath,
        Done,
    }
    let mut visits = vec![Visit::NotYet; steps.len()];
    // Iterative depth-first search along `depends_on`; each frame is (step, next dependency to try).
    let mut path: Vec<(usize, usize)> = Vec::new();
    for start in 0..steps.len() {
        if visits[start] != Visit::NotYet {
            continue;
        }
        visits[start] = Visit::OnPath;
        path.push((start, 0));
        while let Some(frame) = path.last_mut() {
            let (step, next) = *frame;
            let Some(&dependency) = steps[step].depends_on.get(next) else {
                visits[step] = Visit::Done;
                path.pop();
                continue;
            };
            frame.1 += 1;
            if dependency >= steps.len() {
                continue;
            }
            match visits[dependency] {
                Visit::Done => {}
                Visit::NotYet => {
                    visits[dependency] = Visit::OnPath;
                    path.push((dependency, 0));
                }
                Visit::OnPath => {
                    let cycle_start = path
                        .iter()
                        .position(|&(on_path, _)| on_path == dependency)?;
                    // The path follows "runs after"; reverse it to read in execution order.
                    let mut cycle: Vec<usize> =
                        path[cycle_start..].iter().map(|&(s, _)| s).collect();
                    cycle.push(dependency);
                    cycle.reverse();
                    return Some(cycle);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(name: &str, command: &[&str], depends_on: &[usize]) -> Step {
        Step {
            name: name.to_string(),
            text: command.join(" "),
            command: command.iter().map(|word| word.to_string()).collect(),
            depends_on: depends_on.to_vec(),
            ..Step::default()
        }
    }

    fn pipeline(steps: Vec<Step>) -> Pipeline {
        Pipeline {
            steps,
            ..Pipeline::default()
        }
    }

    fn validation_error(steps: Vec<Step>) -> String {
        match validate(&pipeline(steps)) {
            Ok(()) => panic!("should fail validation"),
            Err(err) => format!("{err:#}"),
        }
    }

    #[test]
    fn valid_dag_passes() {
        let steps = vec![
            step("prep", &["a"], &[]),
            step("train", &["b"], &[0]),
            step("job-3", &["c"], &[0, 1]),
        ];
        assert!(validate(&pipeline(steps)).is_ok());
    }

    #[test]
    fn step_count_limits() {
        assert_eq!(validation_error(vec![]), "the pipeline has no steps");
        let too_many = (1..=MAX_STEPS + 1)
            .map(|n| step(&format!("job-{n}"), &["a"], &[]))
            .collect();
        let message = validation_error(too_many);
        assert!(
            message.contains("200 steps, but at most 199 fit in one Workflow"),
            "{message}"
        );
        assert!(message
            .contains("Argo's CRDs accept 200 templates per Workflow and one of them is the DAG"));
        assert!(message.contains("split the pipeline"), "{message}");
        let at_limit: Vec<Step> = (1..=MAX_STEPS)
            .map(|n| step(&format!("job-{n}"), &["a"], &[]))
            .collect();
        assert!(validate(&pipeline(at_limit)).is_ok());
    }

    #[test]
    fn names_must_be_unique() {
        assert_eq!(
            validation_error(vec![
                step("a", &["x"], &[]),
                step("b", &["x"], &[]),
                step("a", &["x"], &[])
            ]),
            "steps 1 and 3 are both named `a`; step names must be unique"
        );
    }

    #[test]
    fn name_rules() {
        assert!(check_step_name("a").is_ok());
        assert!(check_step_name("job-12").is_ok());
        assert!(check_step_name("x-").is_ok());
        assert!(check_step_name(&"a".repeat(63)).is_ok());
        let cases = [
            ("", "the step name is empty"),
            ("Train", "has uppercase letters"),
            ("my_job", "contains `_`"),
            ("my.job", "contains `.`"),
            ("a b", "contains ` `"),
            ("2nd", "must start with a lowercase letter"),
            ("-a", "must start with a lowercase letter"),
        ];
        for (name, expected) in cases {
            let message = check_step_name(name)
                .map_err(|err| err.to_string())
                .unwrap_err();
            assert!(message.contains(expected), "{name:?}: {message}");
        }
        let message = check_step_name(&"a".repeat(64))
            .map_err(|err| err.to_string())
            .unwrap_err();
        assert!(
            message.contains("64 characters long; Argo allows at most 63"),
            "{message}"
        );
        assert_eq!(
            validation_error(vec![step("Job", &["x"], &[])]),
            "step 1: step name `Job` has uppercase letters; Argo puts it into pod names, which must be lowercase"
        );
    }

    #[test]
    fn commands_must_not_be_empty() {
        assert_eq!(
            validation_error(vec![step("a", &[], &[])]),
            "step a: the command is empty"
        );
        assert_eq!(
            validation_error(vec![step("a", &[" ", "x"], &[])]),
            "step a: the command is empty"
        );
    }

    #[test]
    fn dependencies_in_range_not_self_sorted() {
        assert_eq!(
            validation_error(vec![step("a", &["x"], &[]), step("b", &["x"], &[2])]),
            "step b depends on step number 3, but the pipeline has only 2 steps"
        );
        assert_eq!(
            validation_error(vec![step("a", &["x"], &[0])]),
            "step a depends on itself"
        );
        let message = validation_error(vec![
            step("a", &["x"], &[]),
            step("b", &["x"], &[]),
            step("c", &["x"], &[1, 0]),
        ]);
        assert!(
            message.contains("step c: its dependencies are not sorted and unique"),
            "{message}"
        );
        let message = validation_error(vec![step("a", &["x"], &[]), step("b", &["x"], &[0, 0])]);
        assert!(message.contains("not sorted and unique"), "{message}");
    }

    #[test]
    fn cycles_name_their_steps_in_execution_order() {
        assert_eq!(
            validation_error(vec![
                step("job-1", &["x"], &[1]),
                step("job-2", &["x"], &[0])
            ]),
            "the steps depend on each other in a cycle: job-1 >> job-2 >> job-1; \
             a pipeline must run from start to end"
        );
        // prep runs first; a >> b >> c >> a is the cycle behind it.
        let steps = vec![
            step("prep", &["x"], &[]),
            step("a", &["x"], &[0, 3]),
            step("b", &["x"], &[1]),
            step("c", &["x"], &[2]),
        ];
        assert!(validation_error(steps).contains("cycle: a >> b >> c >> a;"));
    }

    #[test]
    fn long_chain_has_no_false_cycle() {
        let steps: Vec<Step> = (0..MAX_STEPS)
            .map(|index| {
                let depends_on: Vec<usize> = (0..index).collect();
                step(&format!("job-{}", index + 1), &["x"], &depends_on)
            })
            .collect();
        assert!(validate(&pipeline(steps)).is_ok());
    }

    #[test]
    fn exec_commands_split_with_quoting() {
        let split = |text| command_for(text, CommandMode::Exec).map_err(|err| err.to_string());
        assert_eq!(
            split("echo 'good bye'"),
            Ok(vec!["echo".to_string(), "good bye".to_string()])
        );
        assert_eq!(
            split("  python  \"a b\".py \\\" x\\ "),
            Ok(vec![
                "python".into(),
                "a b.py".into(),
                "\"".into(),
                "x ".into()
            ])
        );
        assert_eq!(split("   "), Err("the command is empty".to_string()));
        assert_eq!(split(""), Err("the command is empty".to_string()));
        assert_eq!(
            split("echo 'oops"),
            Err("unbalanced quotes in `echo 'oops`".to_string())
        );
        assert_eq!(
            split("echo \"oops"),
            Err("unbalanced quotes in `echo \"oops`".to_string())
        );
        assert_eq!(
            split("# only a comment"),
            Err("`# only a comment` has no command, only a comment".to_string())
        );
        assert_eq!(
            split("'' a"),
            Err("the program name in `'' a` is empty".to_string())
        );
    }

    #[test]
    fn shell_commands_keep_the_text() {
        let shell = |text| command_for(text, CommandMode::Shell).map_err(|err| err.to_string());
        assert_eq!(
            shell("  echo 'a  b' | wc -c > out  \n"),
            Ok(vec![
                "/bin/sh".to_string(),
                "-c".to_string(),
                "echo 'a  b' | wc -c > out".to_string()
            ])
        );
        assert_eq!(shell(" \t"), Err("the command is empty".to_string()));
        assert_eq!(
            shell("echo 'oops"),
            Err("unbalanced quotes in `echo 'oops`".to_string())
        );
    }

    #[test]
    fn trimming_keeps_an_escaped_space() {
        assert_eq!(trim_unescaped("  a\\  "), "a\\ ");
        assert_eq!(trim_unescaped("  a\\\\  "), "a\\\\");
        assert_eq!(trim_unescaped(" a "), "a");
    }

    #[test]
    fn counts_edges() {
        let steps = vec![
            step("a", &["x"], &[]),
            step("b", &["x"], &[0]),
            step("c", &["x"], &[0, 1]),
        ];
        assert_eq!(edge_count(&pipeline(steps)), 3);
    }
}
