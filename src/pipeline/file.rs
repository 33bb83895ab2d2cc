//! JupyterFlow's workflow file, accepted unchanged, plus a few additions:
//!
//! ```yaml
//! version: 1                 # accepted and ignored
//! name: my-pipeline          # optional
//! jobs:                      # job-1 .. job-N
//! - python prep.py
//! - name: train              # a job may be a map with per-job settings
//!   command: python train.py --lr 0.1   # or a list: [python, train.py, --lr, "0.1"]
//!   image: pytorch/pytorch:2.4.0
//!   env: {EPOCHS: 10}
//!   resources: {requests: {cpu: 1, memory: 2Gi}}
//!   gpu: 1                   # nvidia.com/gpu for this job alone (like --gpu 1)
//!   node_selector: {disktype: ssd}   # on top of the workflow's node selector
//! - name: sweep               # a sweep: one pod per combination, each value where `{name}` is
//!   command: python train.py --lr {lr} --layers {layers} --seed {1..3}   # (braces as in -c)
//!   sweep: {lr: [0.001, 0.01], layers: [2, 4]}
//!   parallelism: 4            # at most 4 points at once
//! cmd_mode: exec             # exec | shell
//! dags:                      # 1-based numbers or job names; absent: all jobs run in parallel
//! - 1 >> train >> 3          # a chain in one entry
//! - 1 >> [2, 3]              # a flat group of jobs
//! schedule: "*/2 * * * *"
//! retries: 2                 # run policy, as the flags (see file_policy.rs); per job too
//! ```
//!
//! A `command` list is an exact argv. In shell mode it is joined with shell quoting for
//! `/bin/sh -c`, so every element still reaches the program as one argument, unexpanded.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use anyhow::{anyhow, bail, ensure, Result};
use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use serde::de::{
    self, value::MapAccessDeserializer, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde::Deserialize;

use crate::checks;

use super::file_policy::{
    read_job_policy, read_workflow_policy, top_level_line, KeyError, WrittenPolicy,
};
use super::notebook::{is_notebook, notebook_command};
use super::sweep::{combinations, command_and_sweep, placeholder};
use super::{
    check_step_name, exit_step, step_command, validate, CommandMode, Pipeline, Step, StepOverrides,
    Sweep,
};

/// The resource a job's `gpu: N` asks for.
const JOB_GPU_RESOURCE: &str = "nvidia.com/gpu";

/// Unknown job names in an error are listed up to this many.
const MAX_LISTED_NAMES: usize = 10;

/// Parses a workflow file's text into a validated pipeline; `origin` names the file in messages.
/// `force_shell` (the `--shell` flag) runs every step with `/bin/sh -c`, whatever `cmd_mode` says.
pub fn parse(text: &str, origin: &str, force_shell: bool) -> Result<Pipeline> {
    ensure!(
        !text.trim().is_empty(),
        "{origin}: the file is empty; a workflow file lists its commands under `jobs:`"
    );
    let file: WorkflowFile = crate::yaml::from_str(text)
        .map_err(|err| anyhow!("{origin}: {err}{}", hint_for_yaml_error(text, err.line)))?;

    let mode = if force_shell {
        CommandMode::Shell
    } else {
        file.cmd_mode.unwrap_or_default()
    };
    let Some(jobs) = file.jobs else {
        bail!(
            "{origin}: there is no `jobs:` list; a workflow file lists its commands under `jobs:`"
        );
    };
    ensure!(
        !jobs.is_empty(),
        "{origin}: `jobs:` is empty; list at least one command"
    );

    let mut steps = Vec::with_capacity(jobs.len());
    for (index, job) in jobs.into_iter().enumerate() {
        steps.push(step_from_job(index, job, mode, text, origin)?);
    }
    check_unique_names(&steps, origin)?;

    for (entry_index, entry) in file.dags.unwrap_or_default().into_iter().enumerate() {
        let entry = entry.0;
        let edges = parse_dag_entry(&entry, &steps).map_err(|err| {
            anyhow!(
                "{}dags entry {} (\"{entry}\"): {err}",
                origin_and_line(origin, line_of_unique(text, &entry)),
                entry_index + 1
            )
        })?;
        for (before, after) in edges {
            steps[after].depends_on.push(before);
        }
    }
    for step in &mut steps {
        step.depends_on.sort_unstable();
        step.depends_on.dedup();
    }

    let name = match file.name {
        Some(Scalar(name)) if name.trim().is_empty() => bail!("{origin}: `name:` is empty"),
        Some(Scalar(name)) => Some(name.trim().to_string()),
        None => None,
    };
    if let Some(schedule) = &file.schedule {
        checks::schedule::check_schedule(schedule, None, "schedule").map_err(|err| {
            anyhow!(
                "{}{err}",
                origin_and_line(origin, line_of_unique(text, schedule))
            )
        })?;
    }
    let run_policy = read_workflow_policy(WrittenPolicy {
        retries: file.retries.map(Scalar::into_text),
        step_timeout: file.step_timeout.map(Scalar::into_text),
        deadline: file.deadline.map(Scalar::into_text),
        keep_succeeded: file.keep_succeeded.map(Scalar::into_text),
        keep_failed: file.keep_failed.map(Scalar::into_text),
        parallelism: file.parallelism.map(Scalar::into_text),
        labels: texts(file.labels),
        annotations: texts(file.annotations),
        on_exit: file.on_exit,
    })
    .map_err(|KeyError { key, message }| {
        anyhow!(
            "{}{message}",
            origin_and_line(origin, top_level_line(text, key))
        )
    })?;
    let mut pipeline = Pipeline {
        name,
        schedule: file.schedule,
        steps,
        exit_handler: None,
        run_policy,
    };
    validate(&pipeline).map_err(|err| anyhow!("{origin}: {err}"))?;
    if let Some(command) = &pipeline.run_policy.on_exit {
        let handler = exit_step(command, &pipeline, "on_exit").map_err(|err| {
            anyhow!(
                "{}{err}",
                origin_and_line(origin, top_level_line(text, "on_exit"))
            )
        })?;
        pipeline.exit_handler = Some(handler);
    }
    Ok(pipeline)
}

/// A map of scalars as text (label values may be written as numbers or bools).
fn texts(map: Option<BTreeMap<String, Scalar>>) -> BTreeMap<String, String> {
    map.unwrap_or_default()
        .into_iter()
        .map(|(key, Scalar(value))| (key, value))
        .collect()
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a workflow file: a map with `jobs:` and optionally `name`, `cmd_mode`, `dags`, `schedule`, \
                 `retries`, `step_timeout`, `deadline`, `keep_succeeded`, `keep_failed`, `parallelism`, \
                 `labels`, `annotations`, `on_exit`"
)]
struct WorkflowFile {
    /// JupyterFlow writes it; nothing depends on it.
    #[serde(default, rename = "version")]
    _version: IgnoredAny,
    name: Option<Scalar>,
    jobs: Option<Vec<Job>>,
    cmd_mode: Option<CommandMode>,
    dags: Option<Vec<Scalar>>,
    schedule: Option<String>,
    // The run policy, as the flags of the same names (see file_policy.rs).
    retries: Option<Scalar>,
    step_timeout: Option<Scalar>,
    deadline: Option<Scalar>,
    keep_succeeded: Option<Scalar>,
    keep_failed: Option<Scalar>,
    parallelism: Option<Scalar>,
    labels: Option<BTreeMap<String, Scalar>>,
    annotations: Option<BTreeMap<String, Scalar>>,
    on_exit: Option<String>,
}

/// A `jobs:` entry: JupyterFlow's plain command string, or a map with per-job settings.
enum Job {
    Command(String),
    Detailed(Box<JobSpec>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JobSpec {
    name: Option<Scalar>,
    command: Option<JobCommand>,
    /// A notebook to run, with papermill's `parameters` (instead of `command`).
    notebook: Option<String>,
    parameters: Option<Ordered<Scalar>>,
    image: Option<String>,
    env: Option<BTreeMap<String, Scalar>>,
    resources: Option<Resources>,
    gpu: Option<u32>,
    node_selector: Option<BTreeMap<String, Scalar>>,
    sweep: Option<Ordered<Vec<Scalar>>>,
    parallelism: Option<u32>,
    /// Over the workflow's `retries` and `step_timeout`, for this job only.
    retries: Option<Scalar>,
    timeout: Option<Scalar>,
}

/// A map read in the order it was written (a sweep's first key varies slowest).
struct Ordered<V>(Vec<(String, V)>);

enum JobCommand {
    Text(String),
    Argv(Vec<String>),
}

/// Our own shape instead of `ResourceRequirements`: that one ignores unknown keys (a typo like
/// `request:` would vanish) and wants quantities as strings (`cpu: 1` is what people write).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Resources {
    requests: Option<BTreeMap<String, Scalar>>,
    limits: Option<BTreeMap<String, Scalar>>,
}

/// A string, number or bool, kept as text: YAML makes `10`, `0.5` and `true` non-strings.
struct Scalar(String);

impl Scalar {
    fn into_text(self) -> String {
        self.0
    }
}

fn step_from_job(
    index: usize,
    job: Job,
    mode: CommandMode,
    source: &str,
    origin: &str,
) -> Result<Step> {
    let default_name = format!("job-{}", index + 1);
    let (name, text, command, overrides, sweep, notebook) = match job {
        Job::Command(text) => {
            let (command, sweep, notebook) =
                step_command(&text, mode, &default_name).map_err(|err| {
                    anyhow!(
                        "{}job {}: {err}",
                        origin_and_line(origin, line_of_unique(source, text.trim())),
                        index + 1
                    )
                })?;
            (
                default_name,
                text.trim().to_string(),
                command,
                StepOverrides::default(),
                sweep,
                notebook,
            )
        }
        Job::Detailed(spec) => {
            let name = match spec.name {
                Some(Scalar(name)) => {
                    check_job_name(&name).map_err(|err| {
                        anyhow!(
                            "{}job {}: {err}",
                            origin_and_line(origin, line_of_unique(source, &name)),
                            index + 1
                        )
                    })?;
                    name
                }
                None => default_name,
            };
            let in_job =
                |err: anyhow::Error| anyhow!("{origin}: job {} ({name}): {err}", index + 1);
            let (text, words, brace_sweep, runs_notebook) =
                job_words(spec.command, spec.notebook, spec.parameters, mode).map_err(|err| {
                    match &err {
                        JobWordsError::At(text, _) => anyhow!(
                            "{}job {} ({name}): {}",
                            origin_and_line(origin, line_of_unique(source, text.trim())),
                            index + 1,
                            err.message()
                        ),
                        JobWordsError::Job(_) => in_job(anyhow!(err.message())),
                    }
                })?;
            // Run as papermill's parameters, a notebook's sweep keys need no `{key}`.
            let mut words = words;
            if let (true, Some(Ordered(entries))) = (runs_notebook, &spec.sweep) {
                for (key, _) in entries {
                    let written = format!("{{{key}}}");
                    if !words.iter().any(|word| word.contains(&written)) {
                        words.extend(["-p".to_string(), key.clone(), written]);
                    }
                }
            }
            let word_mode = if runs_notebook {
                CommandMode::Exec
            } else {
                mode
            };
            let (words, sweep) = add_sweep_map(words, brace_sweep, spec.sweep, word_mode)
                .and_then(|(words, sweep)| with_parallelism(words, sweep, spec.parallelism))
                .map_err(in_job)?;
            let (command, notebook) = if runs_notebook {
                let (command, notebook) =
                    notebook_command(&name, &words, sweep.as_ref()).map_err(in_job)?;
                (command, Some(notebook))
            } else {
                (words, None)
            };
            let env: BTreeMap<String, String> = spec
                .env
                .unwrap_or_default()
                .into_iter()
                .map(|(key, Scalar(value))| (key, value))
                .collect();
            let resources = spec.resources.map(Resources::into_requirements);
            check_job_values(spec.image.as_deref(), &env, resources.as_ref()).map_err(in_job)?;
            let node_selector = job_node_selector(spec.node_selector).map_err(in_job)?;
            check_job_gpu(spec.gpu, resources.as_ref()).map_err(in_job)?;
            let (retries, timeout) = read_job_policy(
                spec.retries.map(Scalar::into_text),
                spec.timeout.map(Scalar::into_text),
            )
            .map_err(in_job)?;
            let overrides = StepOverrides {
                image: spec.image,
                env,
                resources,
                gpu: spec.gpu,
                node_selector,
                retries,
                timeout,
            };
            (name, text, command, overrides, sweep, notebook)
        }
    };
    Ok(Step {
        name,
        text,
        command,
        depends_on: Vec::new(),
        overrides,
        sweep,
        notebook,
    })
}

/// Why a job map's command could not be read: at a text that can be found in the file, or
/// about the job as a whole.
enum JobWordsError {
    At(String, anyhow::Error),
    Job(anyhow::Error),
}

impl JobWordsError {
    fn message(&self) -> String {
        match self {
            JobWordsError::At(_, err) | JobWordsError::Job(err) => format!("{err:#}"),
        }
    }
}

/// A job map's words (argv, or `sh -c` text in shell mode; a notebook's always argv), its text
/// as written, its brace sweep, and whether it runs a notebook.
fn job_words(
    command: Option<JobCommand>,
    notebook: Option<String>,
    parameters: Option<Ordered<Scalar>>,
    mode: CommandMode,
) -> Result<(String, Vec<String>, Option<Sweep>, bool), JobWordsError> {
    let job = |message: String| JobWordsError::Job(anyhow!(message));
    if parameters.is_some() && notebook.is_none() {
        return Err(job(
            "`parameters` go with `notebook:`; in a command write them as -p NAME VALUE".into(),
        ));
    }
    match (command, notebook) {
        (Some(_), Some(_)) => Err(job("give either `command` or `notebook`, not both".into())),
        (None, None) => Err(job(
            "the job has no `command` (or `notebook` for a notebook to run)".into(),
        )),
        (Some(JobCommand::Text(text)), None) => {
            let first = shell_words::split(&text)
                .ok()
                .and_then(|words| words.into_iter().next());
            let runs_notebook = first.as_deref().is_some_and(is_notebook);
            let word_mode = if runs_notebook {
                CommandMode::Exec
            } else {
                mode
            };
            match command_and_sweep(&text, word_mode) {
                Ok((words, sweep)) => Ok((text.trim().to_string(), words, sweep, runs_notebook)),
                Err(err) => Err(JobWordsError::At(text, err)),
            }
        }
        (Some(JobCommand::Argv(argv)), None) => {
            if argv.first().is_none_or(|program| program.trim().is_empty()) {
                return Err(job(
                    "the command list is empty or starts with an empty program name".into(),
                ));
            }
            let text = shell_words::join(&argv);
            let runs_notebook = is_notebook(&argv[0]);
            let words = match mode {
                CommandMode::Shell if !runs_notebook => {
                    vec!["/bin/sh".to_string(), "-c".to_string(), text.clone()]
                }
                _ => argv,
            };
            Ok((text, words, None, runs_notebook))
        }
        (None, Some(path)) => {
            if !is_notebook(path.trim()) {
                return Err(job(format!(
                    "`notebook: {path}` is not a .ipynb file; run other programs with `command`"
                )));
            }
            let mut words = vec![path.trim().to_string()];
            for (name, Scalar(value)) in parameters.map(|Ordered(p)| p).unwrap_or_default() {
                words.extend(["-p".to_string(), name, value]);
            }
            Ok((shell_words::join(&words), words, None, true))
        }
    }
}

/// A job's `sweep:` map: each key's values go where the command says `{key}`, combined with the
/// command's own brace lists (the map's keys first, in the order written, varying slowest).
fn add_sweep_map(
    mut command: Vec<String>,
    brace_sweep: Option<Sweep>,
    map: Option<Ordered<Vec<Scalar>>>,
    mode: CommandMode,
) -> Result<(Vec<String>, Option<Sweep>)> {
    let Some(Ordered(entries)) = map else {
        return Ok((command, brace_sweep));
    };
    ensure!(
        !entries.is_empty(),
        "`sweep:` is empty; give each parameter a list of values, e.g. sweep: {{lr: [0.1, 0.01]}}"
    );
    let mut braces = brace_sweep.unwrap_or_default();
    let mut parameters = Vec::new();
    let mut lists = Vec::new();
    for (key, values) in entries {
        ensure!(
            !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "sweep parameter `{key}`: use only letters, digits and `_`"
        );
        ensure!(
            !values.is_empty(),
            "sweep parameter `{key}` has no values; list them, e.g. {key}: [1, 2]"
        );
        let written = format!("{{{key}}}");
        ensure!(
            command.iter().any(|word| word.contains(&written)),
            "sweep parameter `{key}` is not used in the command; write `{written}` where its value goes"
        );
        // A brace list of the command that took this name gives it up.
        if let Some(position) = braces.parameters.iter().position(|name| *name == key) {
            let renamed = format!("{key}_braces");
            for word in &mut command {
                *word = word.replace(&placeholder(&key), &placeholder(&renamed));
            }
            braces.parameters[position] = renamed;
        }
        for word in &mut command {
            *word = word.replace(&written, &placeholder(&key));
        }
        let values = values.into_iter().map(|Scalar(value)| match mode {
            CommandMode::Exec => value,
            // Data, not shell text: quoted so that `sh` passes it as one word.
            CommandMode::Shell => shell_words::quote(&value).into_owned(),
        });
        parameters.push(key);
        lists.push(values.collect());
    }
    let mut points = combinations(&lists)?;
    if !braces.parameters.is_empty() {
        let mut combined = Vec::with_capacity(points.len() * braces.points.len());
        for point in &points {
            for brace_point in &braces.points {
                combined.push([point.clone(), brace_point.clone()].concat());
            }
        }
        points = combined;
        super::sweep::check_sweep_size(points.len())?;
        parameters.extend(braces.parameters);
    }
    Ok((
        command,
        Some(Sweep {
            parameters,
            points,
            parallelism: None,
        }),
    ))
}

/// A job's `parallelism:`, which only a sweep has a use for.
fn with_parallelism(
    command: Vec<String>,
    sweep: Option<Sweep>,
    parallelism: Option<u32>,
) -> Result<(Vec<String>, Option<Sweep>)> {
    let Some(limit) = parallelism else {
        return Ok((command, sweep));
    };
    let Some(mut sweep) = sweep else {
        bail!(
            "`parallelism` limits the points of a sweep, and this job is none;              use --parallelism to limit the whole workflow"
        );
    };
    ensure!(limit > 0, "`parallelism` must be at least 1");
    sweep.parallelism = Some(limit);
    Ok((command, Some(sweep)))
}

/// What the API server would refuse in a job's own settings.
fn check_job_values(
    image: Option<&str>,
    env: &BTreeMap<String, String>,
    resources: Option<&ResourceRequirements>,
) -> Result<()> {
    if let Some(image) = image {
        checks::kube_names::check_image(image, "image")?;
    }
    for name in env.keys() {
        checks::kube_names::check_env_name(name, "env")?;
    }
    if let Some(resources) = resources {
        checks::resources::check_requirements(resources, "resources")?;
    }
    Ok(())
}

/// A job's `node_selector:`, with the API server's label rules.
fn job_node_selector(
    selector: Option<BTreeMap<String, Scalar>>,
) -> Result<BTreeMap<String, String>> {
    let mut checked = BTreeMap::new();
    for (key, Scalar(value)) in selector.unwrap_or_default() {
        checks::kube_names::check_label(&key, &value, "node_selector")?;
        checked.insert(key, value);
    }
    Ok(checked)
}

/// `gpu: N` sets the job's `nvidia.com/gpu`; its `resources:` naming it too would leave two
/// answers to one question.
fn check_job_gpu(gpu: Option<u32>, resources: Option<&ResourceRequirements>) -> Result<()> {
    let names_gpu = resources.is_some_and(|r| {
        [&r.requests, &r.limits]
            .into_iter()
            .flatten()
            .any(|m| m.contains_key(JOB_GPU_RESOURCE))
    });
    ensure!(
        gpu.is_none() || !names_gpu,
        "both `gpu:` and `resources:` set {JOB_GPU_RESOURCE}; keep one of them"
    );
    Ok(())
}

/// Step name rules, plus: no names that look like the numbers `dags` uses for positions.
fn check_job_name(name: &str) -> Result<()> {
    let is_number = !name.is_empty() && name.bytes().all(|byte| byte.is_ascii_digit());
    ensure!(
        !is_number,
        "the name `{name}` is a number, which `dags` would read as a job position; \
         give the job a name that starts with a letter"
    );
    check_step_name(name)
}

fn check_unique_names(steps: &[Step], origin: &str) -> Result<()> {
    let mut first_use_of_name: HashMap<&str, usize> = HashMap::with_capacity(steps.len());
    for (index, step) in steps.iter().enumerate() {
        if let Some(first) = first_use_of_name.insert(&step.name, index) {
            bail!(
                "{origin}: jobs {} and {} are both named `{}`; job names must be unique \
                 (a job without `name` is called job-N after its position N)",
                first + 1,
                index + 1,
                step.name
            );
        }
    }
    Ok(())
}

/// Reads `a >> b >> [c, d]` into (before, after) pairs of step indices. A stage is one job
/// reference or a flat `[...]` group of them; each stage runs after all of the previous one.
fn parse_dag_entry(entry: &str, steps: &[Step]) -> Result<Vec<(usize, usize)>> {
    let mut stages: Vec<Vec<usize>> = Vec::new();
    for stage in entry.split(">>").map(str::trim) {
        ensure!(
            !stage.is_empty(),
            "a `>>` has no job on one side; write edges like `1 >> 2`"
        );
        let references: Vec<&str> = match stage.strip_prefix('[') {
            Some(group) => {
                let members = group
                    .strip_suffix(']')
                    .ok_or_else(|| anyhow!("the group `{stage}` is not closed with `]`"))?;
                ensure!(
                    !members.contains(['[', ']']),
                    "groups in `dags` list jobs and cannot be nested: `{stage}`"
                );
                members.split(',').map(str::trim).collect()
            }
            None => vec![stage],
        };
        let mut jobs = Vec::with_capacity(references.len());
        for reference in references {
            ensure!(
                !reference.is_empty(),
                "a job is missing in the group `{stage}`"
            );
            jobs.push(resolve_job(reference, steps)?);
        }
        stages.push(jobs);
    }
    ensure!(
        stages.len() >= 2,
        "there is no `>>`; an entry says which jobs run after which, e.g. `1 >> 2`"
    );

    let mut edges = Vec::new();
    for pair in stages.windows(2) {
        for &before in &pair[0] {
            for &after in &pair[1] {
                ensure!(
                    before != after,
                    "job {} cannot run after itself",
                    describe_job(after, steps)
                );
                edges.push((before, after));
            }
        }
    }
    Ok(edges)
}

/// A reference is a 1-based job number (as in JupyterFlow) or a job name.
fn resolve_job(reference: &str, steps: &[Step]) -> Result<usize> {
    let job_count = steps.len();
    let numbers = if job_count == 1 {
        "1".to_string()
    } else {
        format!("1..{job_count}")
    };
    if reference.bytes().all(|byte| byte.is_ascii_digit()) {
        let plural = if job_count == 1 { "" } else { "s" };
        return match reference.parse::<usize>() {
            Ok(number) if (1..=job_count).contains(&number) => Ok(number - 1),
            _ => bail!(
                "there is no job {reference}; the file has {job_count} job{plural} ({numbers})"
            ),
        };
    }
    if let Some(index) = steps.iter().position(|step| step.name == reference) {
        return Ok(index);
    }
    let mut names: Vec<&str> = steps
        .iter()
        .take(MAX_LISTED_NAMES)
        .map(|step| step.name.as_str())
        .collect();
    if job_count > MAX_LISTED_NAMES {
        names.push("...");
    }
    bail!(
        "there is no job named `{reference}`; the jobs are {}, or their numbers {numbers}",
        names.join(", ")
    )
}

fn describe_job(index: usize, steps: &[Step]) -> String {
    let name = &steps[index].name;
    if *name == format!("job-{}", index + 1) {
        (index + 1).to_string()
    } else {
        format!("{} ({name})", index + 1)
    }
}

/// YAML reads `- [1, 2] >> 3` as a list followed by garbage; say how to write it.
fn hint_for_yaml_error(source: &str, line: Option<usize>) -> &'static str {
    let line_text = line
        .and_then(|line| source.lines().nth(line.checked_sub(1)?))
        .unwrap_or("");
    let entry = line_text
        .trim_start()
        .strip_prefix('-')
        .unwrap_or("")
        .trim_start();
    if entry.starts_with('[') && entry.contains(">>") {
        " (a dags entry that starts with `[` must be quoted, e.g. - \"[1, 2] >> 3\")"
    } else {
        ""
    }
}

/// The line that holds `needle`, if it occurs exactly once in `source` (else we cannot tell).
fn line_of_unique(source: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    let mut occurrences = source.match_indices(needle).map(|(offset, _)| offset);
    let offset = occurrences.next()?;
    if occurrences.next().is_some() {
        return None;
    }
    Some(source[..offset].matches('\n').count() + 1)
}

/// `origin: line N: ` or `origin: `, the start of a message.
fn origin_and_line(origin: &str, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{origin}: line {line}: "),
        None => format!("{origin}: "),
    }
}

impl Resources {
    fn into_requirements(self) -> ResourceRequirements {
        let quantities = |map: Option<BTreeMap<String, Scalar>>| {
            map.map(|map| {
                map.into_iter()
                    .map(|(resource, Scalar(amount))| (resource, Quantity(amount)))
                    .collect()
            })
        };
        ResourceRequirements {
            claims: None,
            limits: quantities(self.limits),
            requests: quantities(self.requests),
        }
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor<V>(std::marker::PhantomData<V>);

        impl<'de, V: Deserialize<'de>> Visitor<'de> for OrderedVisitor<V> {
            type Value = Ordered<V>;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a map")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered<V>, A::Error> {
                let mut entries: Vec<(String, V)> = Vec::new();
                while let Some(Scalar(key)) = map.next_key()? {
                    if entries.iter().any(|(seen, _)| *seen == key) {
                        return Err(de::Error::custom(format!("`{key}` is given twice")));
                    }
                    entries.push((key, map.next_value()?));
                }
                Ok(Ordered(entries))
            }
        }

        deserializer.deserialize_map(OrderedVisitor(std::marker::PhantomData))
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl Visitor<'_> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a string, number or bool")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Scalar, E> {
        Ok(Scalar(value.to_string()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Scalar, E> {
        Ok(Scalar(value))
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Scalar, E> {
        Ok(Scalar(value.to_string()))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Scalar, E> {
        Ok(Scalar(value.to_string()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Scalar, E> {
        Ok(Scalar(value.to_string()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Scalar, E> {
        Ok(Scalar(value.to_string()))
    }
}

impl<'de> Deserialize<'de> for Job {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct JobVisitor;

        impl<'de> Visitor<'de> for JobVisitor {
            type Value = Job;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a command string or a map with `command`")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Job, E> {
                Ok(Job::Command(value.to_string()))
            }

            // `- true` and `- 42` are commands too, if odd ones.
            fn visit_bool<E: de::Error>(self, value: bool) -> Result<Job, E> {
                Ok(Job::Command(value.to_string()))
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Job, E> {
                Ok(Job::Command(value.to_string()))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Job, E> {
                Ok(Job::Command(value.to_string()))
            }

            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Job, E> {
                Ok(Job::Command(value.to_string()))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Job, A::Error> {
                JobSpec::deserialize(MapAccessDeserializer::new(map))
                    .map(|spec| Job::Detailed(Box::new(spec)))
            }
        }

        deserializer.deserialize_any(JobVisitor)
    }
}

impl<'de> Deserialize<'de> for JobCommand {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CommandVisitor;

        impl<'de> Visitor<'de> for CommandVisitor {
            type Value = JobCommand;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a command string or a list of arguments")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<JobCommand, E> {
                Ok(JobCommand::Text(value.to_string()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JobCommand, A::Error> {
                let mut argv = Vec::new();
                while let Some(Scalar(argument)) = seq.next_element()? {
                    argv.push(argument);
                }
                Ok(JobCommand::Argv(argv))
            }
        }

        deserializer.deserialize_any(CommandVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::notebook::Runner;
    use crate::run_policy::RunPolicy;
    use std::collections::BTreeSet;
    use std::time::Duration;

    fn parsed(text: &str) -> Pipeline {
        match parse(text, "workflow.yaml", false) {
            Ok(pipeline) => pipeline,
            Err(err) => panic!("should parse, got: {err:#}\n{text}"),
        }
    }

    fn error(text: &str) -> String {
        match parse(text, "workflow.yaml", false) {
            Ok(pipeline) => panic!("should fail, got {pipeline:?}\n{text}"),
            Err(err) => format!("{err:#}"),
        }
    }

    fn assert_error(text: &str, expected_parts: &[&str]) {
        let message = error(text);
        for part in expected_parts {
            assert!(message.contains(part), "`{part}` not in: {message}");
        }
        assert!(message.starts_with("workflow.yaml: "), "{message}");
    }

    fn dependencies(pipeline: &Pipeline) -> Vec<Vec<usize>> {
        pipeline
            .steps
            .iter()
            .map(|step| step.depends_on.clone())
            .collect()
    }

    fn names(pipeline: &Pipeline) -> Vec<&str> {
        pipeline
            .steps
            .iter()
            .map(|step| step.name.as_str())
            .collect()
    }

    #[test]
    fn jupyterflow_example() {
        let pipeline = parsed(
            "version: 1\nname: my-pipeline\njobs:\n- python job1.py\n- python job2.py foo\n- python job3.py\n\
             cmd_mode: exec\ndags:\n- 1 >> 2\n- 1 >> 3\nschedule: \"*/2 * * * *\"\n",
        );
        assert_eq!(pipeline.name.as_deref(), Some("my-pipeline"));
        assert_eq!(pipeline.schedule.as_deref(), Some("*/2 * * * *"));
        assert_eq!(names(&pipeline), vec!["job-1", "job-2", "job-3"]);
        assert_eq!(pipeline.steps[1].command, vec!["python", "job2.py", "foo"]);
        assert_eq!(pipeline.steps[1].text, "python job2.py foo");
        assert_eq!(dependencies(&pipeline), vec![vec![], vec![0], vec![0]]);
        assert_eq!(pipeline.steps[0].overrides, StepOverrides::default());
    }

    #[test]
    fn bundled_fixtures_parse() {
        let original = parsed(include_str!(
            "../../tests/fixtures/pipelines/jupyterflow.yaml"
        ));
        assert_eq!(dependencies(&original), vec![vec![], vec![0], vec![0]]);
        let training = parsed(include_str!("../../tests/fixtures/pipelines/training.yaml"));
        assert_eq!(
            names(&training),
            vec!["prep", "train-small", "train-large", "job-4"]
        );
        assert_eq!(
            dependencies(&training),
            vec![vec![], vec![0], vec![0], vec![1, 2]]
        );
        assert_eq!(
            training.steps[1].command.last().map(String::as_str),
            Some("small run")
        );
        assert_eq!(
            training.steps[2].command,
            vec!["python", "train.py", "--lr", "0.5"]
        );
    }

    #[test]
    fn version_is_ignored_whatever_it_is() {
        for version in ["1", "\"0.0.4\"", "null", "[1, 2]"] {
            parsed(&format!("version: {version}\njobs: [a]\n"));
        }
    }

    #[test]
    fn without_dags_all_jobs_run_in_parallel() {
        let pipeline = parsed("jobs:\n- a\n- b\n- c\n");
        assert_eq!(dependencies(&pipeline), vec![Vec::<usize>::new(); 3]);
        assert_eq!(pipeline.name, None);
        assert_eq!(pipeline.schedule, None);
        assert_eq!(
            dependencies(&parsed("jobs: [a, b]\ndags: []\n")),
            vec![Vec::<usize>::new(); 2]
        );
    }

    #[test]
    fn exec_mode_uses_shell_quoting() {
        let pipeline = parsed("jobs:\n- echo 'good bye'\n");
        assert_eq!(pipeline.steps[0].command, vec!["echo", "good bye"]);
    }

    #[test]
    fn shell_mode_from_file_or_flag() {
        let pipeline = parsed("jobs:\n- echo hi | wc -c\ncmd_mode: shell\n");
        assert_eq!(
            pipeline.steps[0].command,
            vec!["/bin/sh", "-c", "echo hi | wc -c"]
        );
        let pipeline = parse("jobs:\n- echo hi > out\ncmd_mode: exec\n", "w.yaml", true)
            .expect("forced shell");
        assert_eq!(
            pipeline.steps[0].command,
            vec!["/bin/sh", "-c", "echo hi > out"]
        );
    }

    #[test]
    fn chains_and_groups_in_one_entry() {
        let pipeline = parsed("jobs: [a, b, c, d]\ndags:\n- 1 >> 2 >> 3\n- 3>>4\n");
        assert_eq!(
            dependencies(&pipeline),
            vec![vec![], vec![0], vec![1], vec![2]]
        );
        let pipeline = parsed("jobs: [a, b, c, d]\ndags:\n- 1 >> [2, 3] >> 4\n- \"[1,2] >> 4\"\n");
        assert_eq!(
            dependencies(&pipeline),
            vec![vec![], vec![0], vec![0], vec![0, 1, 2]]
        );
    }

    #[test]
    fn references_by_name_or_number() {
        let pipeline = parsed(
            "jobs:\n- {name: prep, command: python prep.py}\n- python other.py\n- name: train\n  command: python train.py\n\
             dags:\n- prep >> train\n- job-2 >> 3\n",
        );
        assert_eq!(names(&pipeline), vec!["prep", "job-2", "train"]);
        assert_eq!(dependencies(&pipeline), vec![vec![], vec![], vec![0, 1]]);
    }

    #[test]
    fn job_as_map_with_settings() {
        let pipeline = parsed(
            "jobs:\n- name: train\n  command: python train.py --lr 0.1\n  image: pytorch/pytorch:2.4.0\n\
             \x20 env: {EPOCHS: 10, RATE: 0.5, DEBUG: true, MODE: fast}\n\
             \x20 resources:\n    requests: {cpu: 1, memory: 2Gi}\n    limits: {nvidia.com/gpu: 1}\n\
             - command: python eval.py\n",
        );
        let train = &pipeline.steps[0];
        assert_eq!(train.name, "train");
        assert_eq!(train.command, vec!["python", "train.py", "--lr", "0.1"]);
        assert_eq!(
            train.overrides.image.as_deref(),
            Some("pytorch/pytorch:2.4.0")
        );
        let env: Vec<(&str, &str)> = train
            .overrides
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            env,
            vec![
                ("DEBUG", "true"),
                ("EPOCHS", "10"),
                ("MODE", "fast"),
                ("RATE", "0.5")
            ]
        );
        let resources = train.overrides.resources.as_ref().expect("resources");
        let requests = resources.requests.as_ref().expect("requests");
        assert_eq!(requests["cpu"], Quantity("1".to_string()));
        assert_eq!(requests["memory"], Quantity("2Gi".to_string()));
        assert_eq!(
            resources.limits.as_ref().expect("limits")["nvidia.com/gpu"],
            Quantity("1".to_string())
        );
        assert_eq!(resources.claims, None);
        assert_eq!(pipeline.steps[1].name, "job-2");
        assert_eq!(pipeline.steps[1].overrides, StepOverrides::default());
    }

    #[test]
    fn brace_lists_in_job_commands_are_sweeps() {
        let pipeline = parsed(
            "jobs:\n- python prep.py\n- name: train\n  command: python train.py --lr {0.1,0.01} --seed {1..3}\n\
             dags:\n- 1 >> train\n",
        );
        let sweep = pipeline.steps[1].sweep.as_ref().expect("a sweep");
        assert_eq!(sweep.parameters, ["lr", "seed"]);
        assert_eq!(sweep.points.len(), 6);
        assert_eq!(pipeline.steps[1].command[3], "{{inputs.parameters.lr}}");
        assert_eq!(pipeline.steps[0].sweep, None);
        let plain = parsed("jobs:\n- python a.py --seed {1..2}\n");
        assert_eq!(
            plain.steps[0].sweep.as_ref().unwrap().points,
            [["1"], ["2"]]
        );
    }

    #[test]
    fn a_sweep_map_fills_its_names_in_order_with_exact_values() {
        let pipeline = parsed(
            "jobs:\n- name: train\n  command: python train.py --lr {lr} --layers={layers} --seed {1..2}\n\
             \x20 sweep: {lr: [\"0.10\", 0.001, yes, 1_000], layers: [2, 4]}\n  parallelism: 3\n",
        );
        let step = &pipeline.steps[0];
        assert_eq!(
            step.command,
            [
                "python",
                "train.py",
                "--lr",
                "{{inputs.parameters.lr}}",
                "--layers={{inputs.parameters.layers}}",
                "--seed",
                "{{inputs.parameters.seed}}"
            ]
        );
        let sweep = step.sweep.as_ref().unwrap();
        assert_eq!(sweep.parameters, ["lr", "layers", "seed"]);
        assert_eq!(sweep.parallelism, Some(3));
        assert_eq!(sweep.points.len(), 16);
        assert_eq!(sweep.points[0], ["0.10", "2", "1"]);
        assert_eq!(sweep.points[1], ["0.10", "2", "2"]);
        assert_eq!(sweep.points[4], ["0.001", "2", "1"]);
        let values: BTreeSet<&str> = sweep.points.iter().map(|p| p[0].as_str()).collect();
        assert_eq!(values, BTreeSet::from(["0.10", "0.001", "yes", "1_000"]));
    }

    #[test]
    fn a_sweep_map_in_shell_mode_quotes_its_values() {
        let pipeline = parsed(
            "cmd_mode: shell\njobs:\n- command: echo {msg} | tee out\n  sweep: {msg: [\"a b\", c]}\n",
        );
        let step = &pipeline.steps[0];
        assert_eq!(step.command[2], "echo {{inputs.parameters.msg}} | tee out");
        assert_eq!(step.sweep.as_ref().unwrap().points, [["'a b'"], ["c"]]);
    }

    #[test]
    fn sweep_map_mistakes() {
        assert_error(
            "jobs:\n- command: python a.py\n  sweep: {lr: [1, 2]}\n",
            &["job 1 (job-1): sweep parameter `lr` is not used in the command; write `{lr}`"],
        );
        assert_error(
            "jobs:\n- command: python a.py {lr}\n  sweep: {lr: []}\n",
            &["sweep parameter `lr` has no values"],
        );
        assert_error(
            "jobs:\n- command: python a.py {l-r}\n  sweep: {l-r: [1]}\n",
            &["sweep parameter `l-r`: use only letters, digits and `_`"],
        );
        assert_error(
            "jobs:\n- command: python a.py\n  parallelism: 2\n",
            &["`parallelism` limits the points of a sweep, and this job is none"],
        );
        assert_error(
            "jobs:\n- command: python a.py {x}\n  sweep: {x: [1]}\n  parallelism: 0\n",
            &["`parallelism` must be at least 1"],
        );
        assert_error(
            "jobs:\n- command: python a.py {x}\n  sweep: {x: [1], x: [2]}\n",
            &["`x` is given twice"],
        );
        assert_error(
            "jobs:\n- name: t\n  command: python a.py {x}\n  sweep: {x: [1]}\n  parallelism: 1\n- name: t-point\n  command: b\n",
            &["its points run a template `t-point`, which is also the name of a step"],
        );
    }

    #[test]
    fn notebook_jobs_from_a_command_or_a_map() {
        let pipeline = parsed(
            "jobs:\n- prep.ipynb\n- train.ipynb -p lr {0.1,0.5}\n- name: report\n  notebook: report.ipynb\n  parameters: {title: Grid, top: 3}\n\
             - name: explore\n  notebook: explore.ipynb\n  sweep: {alpha: [\"0.5\", 1]}\n- command: [sub dir/x.ipynb, -p, a, b c]\n",
        );
        let notebooks: Vec<(&str, Runner, &[String])> = pipeline
            .steps
            .iter()
            .map(|step| {
                let notebook = step.notebook.as_ref().expect("a notebook step");
                (
                    notebook.path.as_str(),
                    notebook.runner,
                    notebook.parameters.as_slice(),
                )
            })
            .collect();
        assert_eq!(
            notebooks,
            [
                ("prep.ipynb", Runner::Nbconvert, &[][..]),
                ("train.ipynb", Runner::Papermill, &["lr".to_string()][..]),
                (
                    "report.ipynb",
                    Runner::Papermill,
                    &["title".to_string(), "top".to_string()][..]
                ),
                (
                    "explore.ipynb",
                    Runner::Papermill,
                    &["alpha".to_string()][..]
                ),
                ("sub dir/x.ipynb", Runner::Papermill, &["a".to_string()][..]),
            ]
        );
        assert_eq!(
            pipeline.steps[1].sweep.as_ref().unwrap().points,
            [["0.1"], ["0.5"]]
        );
        assert_eq!(
            &pipeline.steps[2].command[4..],
            [
                "report.ipynb",
                "jupyterflow-runs/{{workflow.name}}/report.ipynb",
                "-p",
                "title",
                "Grid",
                "-p",
                "top",
                "3"
            ]
        );
        assert_eq!(
            &pipeline.steps[3].command[5..],
            [
                "jupyterflow-runs/{{workflow.name}}/explore/alpha={{inputs.parameters.alpha}}.ipynb",
                "-p",
                "alpha",
                "{{inputs.parameters.alpha}}"
            ]
        );
        assert_eq!(
            pipeline.steps[3].sweep.as_ref().unwrap().points,
            [["0.5"], ["1"]]
        );
        assert_eq!(pipeline.steps[4].command[7..], ["a", "b c"]);
    }

    #[test]
    fn notebook_job_mistakes() {
        assert_error(
            "jobs:\n- name: a\n  notebook: a.ipynb\n  command: python a.py\n",
            &["job 1 (a): give either `command` or `notebook`, not both"],
        );
        assert_error(
            "jobs:\n- name: a\n  image: x\n",
            &["job 1 (a): the job has no `command` (or `notebook`"],
        );
        assert_error(
            "jobs:\n- command: python a.py\n  parameters: {a: 1}\n",
            &["`parameters` go with `notebook:`"],
        );
        assert_error(
            "jobs:\n- notebook: a.py\n",
            &["`notebook: a.py` is not a .ipynb file"],
        );
        assert_error(
            "jobs:\n- train.ipynb --lr 0.1\n",
            &["`--lr` is not a parameter; give parameters as -p NAME VALUE"],
        );
    }

    #[test]
    fn command_list_is_exact_argv() {
        let text = "jobs:\n- command: [python, train.py, --msg, \"a b\", 0.1]\n";
        let pipeline = parsed(text);
        assert_eq!(
            pipeline.steps[0].command,
            vec!["python", "train.py", "--msg", "a b", "0.1"]
        );
        assert_eq!(pipeline.steps[0].text, "python train.py --msg 'a b' 0.1");
        let pipeline = parse(text, "w.yaml", true).expect("list in shell mode");
        assert_eq!(
            pipeline.steps[0].command,
            vec!["/bin/sh", "-c", "python train.py --msg 'a b' 0.1"]
        );
    }

    #[test]
    fn odd_scalar_jobs_are_commands() {
        assert_eq!(parsed("jobs: [true]\n").steps[0].command, vec!["true"]);
    }

    #[test]
    fn unknown_top_level_key() {
        assert_error(
            "jobs: [a]\ndag:\n- 1 >> 2\n",
            &[
                "unknown field `dag`",
                "`jobs`",
                "`dags`",
                "`cmd_mode`",
                "`schedule`",
                "line 2",
            ],
        );
    }

    #[test]
    fn unknown_job_key() {
        assert_error(
            "jobs:\n- name: a\n  command: a\n  img: x\n",
            &[
                "unknown field `img`",
                "`image`",
                "`env`",
                "`resources`",
                "line 4",
            ],
        );
        assert_error(
            "jobs:\n- command: a\n  resources: {request: {cpu: 1}}\n",
            &["unknown field `request`", "`requests`", "line 3"],
        );
    }

    #[test]
    fn unquoted_group_at_entry_start_gets_a_hint() {
        assert_error(
            "jobs: [a, b, c]\ndags:\n- [1, 2] >> 3\n",
            &["line 3 column", "must be quoted, e.g. - \"[1, 2] >> 3\""],
        );
        assert!(!error("jobs: [a\n").contains("must be quoted"));
    }

    #[test]
    fn wrong_types() {
        assert_error("jobs: python a.py\n", &["invalid type", "line 1"]);
        assert_error(
            "jobs:\n- a\n-\n",
            &["a command string or a map with `command`", "line 3"],
        );
        assert_error(
            "jobs:\n- command: {x: 1}\n",
            &["a command string or a list of arguments", "line 2"],
        );
        assert_error(
            "jobs:\n- command: a\n  env: {KEY: [1]}\n",
            &["a string, number or bool", "line 3"],
        );
        assert_error(
            "jobs:\n- command: a\n  env: {KEY: }\n",
            &["a string, number or bool"],
        );
        assert_error("- a\n- b\n", &["a workflow file: a map with `jobs:`"]);
        assert_error(
            "jobs:\n- command: a\n  image: [x]\n",
            &["invalid type", "line 3"],
        );
    }

    #[test]
    fn bad_cmd_mode() {
        assert_error(
            "jobs: [a]\ncmd_mode: bash\n",
            &["unknown variant `bash`", "`exec` or `shell`", "line 2"],
        );
    }

    #[test]
    fn invalid_yaml_has_line_and_column() {
        assert_error("jobs:\n- a\n  - b: [\n", &["line 3 column"]);
        assert_error("jobs: [a\n", &["line"]);
    }

    #[test]
    fn empty_or_missing_jobs() {
        assert_error(" \n", &["the file is empty"]);
        assert_error("name: x\n", &["there is no `jobs:` list"]);
        assert_error("jobs:\n", &["there is no `jobs:` list"]);
        assert_error("jobs: []\n", &["`jobs:` is empty"]);
    }

    #[test]
    fn empty_commands() {
        assert_eq!(
            error("jobs:\n- a\n- \"  \"\n"),
            "workflow.yaml: job 2: the command is empty"
        );
        assert_error(
            "jobs:\n- name: x\n  command: ''\n",
            &["job 1 (x): the command is empty"],
        );
        assert_error(
            "jobs:\n- command: []\n",
            &["job 1 (job-1): the command list is empty"],
        );
        assert_error(
            "jobs:\n- command: ['', a]\n",
            &["starts with an empty program name"],
        );
        assert_error(
            "jobs:\n- a\n- echo 'oops\n",
            &["line 3: job 2: unbalanced quotes in `echo 'oops`"],
        );
    }

    #[test]
    fn unknown_job_number() {
        assert_eq!(
            error("jobs: [a, b, c]\ndags:\n- 1 >> 2\n- 1 >> 5\n"),
            "workflow.yaml: line 4: dags entry 2 (\"1 >> 5\"): there is no job 5; the file has 3 jobs (1..3)"
        );
        assert_error(
            "jobs: [a]\ndags: [1 >> 0]\n",
            &["there is no job 0; the file has 1 job (1)"],
        );
        assert_error(
            "jobs: [a, b]\ndags: [1 >> 99999999999999999999999]\n",
            &["there is no job 99999999999999999999999"],
        );
    }

    #[test]
    fn unknown_job_name() {
        assert_error(
            "jobs:\n- {name: prep, command: a}\n- b\ndags:\n- prep >> trian\n",
            &["line 5: dags entry 1 (\"prep >> trian\"): there is no job named `trian`; the jobs are prep, job-2, or their numbers 1..2"],
        );
    }

    #[test]
    fn line_is_left_out_when_the_entry_is_ambiguous() {
        assert_eq!(
            error("jobs: [a, b]\ndags:\n- 1 >> 3\n- 1 >> 3\n"),
            "workflow.yaml: dags entry 1 (\"1 >> 3\"): there is no job 3; the file has 2 jobs (1..2)"
        );
    }

    #[test]
    fn malformed_dag_entries() {
        assert_error(
            "jobs: [a, b]\ndags: [\"1\"]\n",
            &["dags entry 1 (\"1\"): there is no `>>`"],
        );
        assert_error(
            "jobs: [a, b]\ndags: [1 >>]\n",
            &["a `>>` has no job on one side"],
        );
        assert_error("jobs: [a, b]\ndags: [1 >> [2]]\n", &["line 2 column"]);
        assert_error(
            "jobs: [a, b]\ndags: [\"1 >> [2\"]\n",
            &["the group `[2` is not closed"],
        );
        assert_error(
            "jobs: [a, b]\ndags: [\"1 >> [2,]\"]\n",
            &["a job is missing in the group `[2,]`"],
        );
        assert_error(
            "jobs: [a, b, c]\ndags: [\"1 >> [2, [3]]\"]\n",
            &["cannot be nested"],
        );
        assert_error(
            "jobs: [a, b]\ndags: [2 >> 2]\n",
            &["job 2 cannot run after itself"],
        );
        assert_error(
            "jobs: [a, {name: b, command: b}]\ndags: [\"[1, b] >> b\"]\n",
            &["job 2 (b) cannot run after itself"],
        );
    }

    #[test]
    fn duplicate_job_names() {
        assert_error(
            "jobs:\n- {name: train, command: a}\n- {name: train, command: b}\n",
            &["jobs 1 and 2 are both named `train`"],
        );
        assert_error(
            "jobs:\n- a\n- {name: job-1, command: b}\n",
            &["jobs 1 and 2 are both named `job-1`", "job-N"],
        );
    }

    #[test]
    fn invalid_job_names() {
        assert_error(
            "jobs:\n- {name: \"2\", command: a}\n",
            &[
                "line 2: job 1: the name `2` is a number",
                "starts with a letter",
            ],
        );
        assert_error(
            "jobs:\n- {name: 7, command: a}\n",
            &["the name `7` is a number"],
        );
        assert_error(
            "jobs:\n- {name: Train, command: a}\n",
            &["job 1: step name `Train` has uppercase letters"],
        );
        assert_error("jobs:\n- {name: my_job, command: a}\n", &["contains `_`"]);
        assert_error(
            "jobs:\n- {name: 2nd, command: a}\n",
            &["must start with a lowercase letter"],
        );
    }

    #[test]
    fn cycles_are_reported_with_their_steps() {
        assert_eq!(
            error("jobs: [a, b, c]\ndags:\n- 1 >> 2 >> 3\n- 3 >> 2\n"),
            "workflow.yaml: the steps depend on each other in a cycle: job-2 >> job-3 >> job-2; \
             a pipeline must run from start to end"
        );
    }

    #[test]
    fn empty_name_is_rejected() {
        assert_error("name: ''\njobs: [a]\n", &["`name:` is empty"]);
        assert_eq!(
            parsed("name: 2024\njobs: [a]\n").name.as_deref(),
            Some("2024")
        );
    }

    #[test]
    fn step_limit_applies_to_files() {
        let jobs = |count: usize| format!("jobs:\n{}", "- a\n".repeat(count));
        assert_eq!(
            parsed(&jobs(MAX_STEPS_FOR_TEST)).steps.len(),
            MAX_STEPS_FOR_TEST
        );
        assert_error(
            &jobs(MAX_STEPS_FOR_TEST + 1),
            &["200 steps, but at most 199"],
        );
    }

    #[test]
    fn schedule_is_checked_with_its_line() {
        assert_eq!(
            error("jobs: [a]\nschedule: \"0 25 * * *\"\n"),
            "workflow.yaml: line 2: invalid schedule \"0 25 * * *\": hour field \"25\": 25 is \
             above 23; allowed: 0-23"
        );
        assert_error("jobs: [a]\nschedule: '@reboot'\n", &["unknown descriptor"]);
        assert_eq!(
            parsed("jobs: [a]\nschedule: '@every 90m'\n")
                .schedule
                .as_deref(),
            Some("@every 90m")
        );
    }

    #[test]
    fn job_settings_get_the_api_servers_checks() {
        assert_eq!(
            error("jobs:\n- name: train\n  command: a\n  resources:\n    limits: {nvidia.com/gpu: 1.5}\n"),
            "workflow.yaml: job 1 (train): invalid resources.limits.nvidia.com/gpu \"1.5\": \
             nvidia.com/gpu is counted in whole units; write e.g. 1 or 2"
        );
        assert_error(
            "jobs:\n- command: a\n  resources: {requests: {cpu: 2}, limits: {cpu: 1}}\n",
            &["job 1 (job-1): invalid resources.requests.cpu \"2\": more than the limit \"1\""],
        );
        assert_error(
            "jobs:\n- command: a\n  resources: {requests: {gpu: 1}}\n",
            &["not a resource containers can ask for"],
        );
        assert_error(
            "jobs:\n- command: a\n  resources: {requests: {memory: 4GB}}\n",
            &["invalid resources.requests.memory \"4GB\""],
        );
        assert_error(
            "jobs:\n- command: a\n  image: ''\n",
            &["job 1 (job-1): invalid image \"\": the image is empty"],
        );
        assert_error(
            "jobs:\n- command: a\n  image: 'my image'\n",
            &["has no spaces"],
        );
        assert_error(
            "jobs:\n- command: a\n  env: {'': x}\n",
            &["job 1 (job-1): invalid env name \"\": the name is empty"],
        );
        assert_error(
            "jobs:\n- command: a\n  env: {'A=B': x}\n",
            &["contains '='"],
        );
        let pipeline = parsed("jobs:\n- command: a\n  env: {my.env-name: x}\n");
        assert!(pipeline.steps[0].overrides.env.contains_key("my.env-name"));
    }

    #[test]
    fn per_job_gpu_and_node_selector() {
        let pipeline = parsed(
            "jobs:\n- python prep.py\n- name: train\n  command: python train.py\n  gpu: 2\n\
             \x20 node_selector: {disktype: ssd, kubernetes.io/arch: amd64, on: 'yes'}\n",
        );
        assert_eq!(pipeline.steps[0].overrides.gpu, None);
        assert!(pipeline.steps[0].overrides.node_selector.is_empty());
        let train = &pipeline.steps[1].overrides;
        assert_eq!(train.gpu, Some(2));
        let selector: Vec<(&str, &str)> = train
            .node_selector
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        // `on` is YAML 1.1's true as a key: kept as the text the user wrote.
        assert_eq!(
            selector,
            [
                ("disktype", "ssd"),
                ("kubernetes.io/arch", "amd64"),
                ("on", "yes")
            ]
        );
        assert_eq!(
            parsed("jobs:\n- command: a\n  gpu: 0\n").steps[0]
                .overrides
                .gpu,
            Some(0)
        );
    }

    #[test]
    fn per_job_gpu_and_node_selector_mistakes() {
        assert_error(
            "jobs:\n- command: a\n  node_selector: {'-bad': x}\n",
            &["job 1 (job-1): invalid node_selector key \"-bad\""],
        );
        assert_error(
            "jobs:\n- name: t\n  command: a\n  node_selector: {disktype: 'fast disk'}\n",
            &["job 1 (t): invalid node_selector value \"fast disk\" for disktype"],
        );
        assert_error(
            "jobs:\n- command: a\n  gpu: 1\n  resources: {limits: {nvidia.com/gpu: 1}}\n",
            &["both `gpu:` and `resources:` set nvidia.com/gpu; keep one of them"],
        );
        assert_error("jobs:\n- command: a\n  gpu: -1\n", &["gpu"]);
        assert_error("jobs:\n- command: a\n  gpu: 1.5\n", &["gpu"]);
        assert_error(
            "jobs:\n- command: a\n  node_selector: [a]\n",
            &["node_selector"],
        );
    }

    #[test]
    fn shell_operators_in_exec_mode_are_errors_in_files_too() {
        for (job, operator) in [
            ("prep && train", "&&"),
            ("echo hi > out", ">"),
            ("cat a | wc -l", "|"),
            ("python a.py 2>&1", "2>&1"),
            ("sort < in", "<"),
            ("a ; b", ";"),
        ] {
            let message = error(&format!("jobs:\n- {job:?}\ncmd_mode: exec\n"));
            assert!(
                message.contains(&format!("job 1: `{operator}` is a shell operator"))
                    && message.contains("cmd_mode: shell"),
                "{job}: {message}"
            );
        }
        assert_eq!(
            parsed("jobs:\n- \"echo '&&' '>' x\"\n").steps[0].command,
            vec!["echo", "&&", ">", "x"]
        );
        assert_eq!(
            parsed("jobs:\n- prep && train\ncmd_mode: shell\n").steps[0].command,
            vec!["/bin/sh", "-c", "prep && train"]
        );
        // A list is an exact argv: its elements are never operators.
        assert_eq!(
            parsed("jobs:\n- command: [echo, '&&']\n").steps[0].command,
            vec!["echo", "&&"]
        );
    }

    #[test]
    fn run_policy_keys_at_the_top_and_per_job() {
        let pipeline = parsed(
            "retries: 1\nstep_timeout: 30m\ndeadline: 12h\nkeep_succeeded: 2h\nkeep_failed: 3d\n\
             parallelism: 2\nlabels: {team: vision, ci-run: 1234}\nannotations: {owner: alice}\n\
             jobs:\n- python prep.py\n- name: train\n  command: python train.py\n  retries: 3\n  timeout: 4h\n\
             - name: sweep\n  command: python s.py {1..3}\n  parallelism: 1\n  timeout: 90\n",
        );
        let policy = &pipeline.run_policy;
        assert_eq!(policy.retries, Some(1));
        assert_eq!(policy.step_timeout, Some(Duration::from_secs(1800)));
        assert_eq!(policy.deadline, Some(Duration::from_secs(43_200)));
        assert_eq!(policy.keep_succeeded, Some(Duration::from_secs(7200)));
        assert_eq!(policy.keep_failed, Some(Duration::from_secs(259_200)));
        assert_eq!(policy.parallelism, Some(2));
        assert_eq!(policy.labels["ci-run"], "1234");
        assert_eq!(policy.annotations["owner"], "alice");
        let own: Vec<(Option<u32>, Option<Duration>)> = pipeline
            .steps
            .iter()
            .map(|s| (s.overrides.retries, s.overrides.timeout))
            .collect();
        assert_eq!(
            own,
            [
                (None, None),
                (Some(3), Some(Duration::from_secs(14_400))),
                (None, Some(Duration::from_secs(90))),
            ]
        );
        // A sweep's own `parallelism:` stays the sweep's.
        assert_eq!(
            pipeline.steps[2].sweep.as_ref().unwrap().parallelism,
            Some(1)
        );
        assert_eq!(parsed("jobs: [a]\n").run_policy, RunPolicy::default());
    }

    #[test]
    fn run_policy_values_are_checked_as_the_flags_are() {
        assert_eq!(
            error("jobs: [a]\nretries: -1\n"),
            "workflow.yaml: line 2: invalid retries: \"-1\" is not a number of retries; write a \
             whole number, 0 or more, e.g. 2"
        );
        assert_eq!(
            error("jobs:\n- name: train\n  command: a\n  timeout: 2 hours\n"),
            "workflow.yaml: job 1 (train): invalid timeout: \"2 hours\" is not a duration; write \
             e.g. 90s, 30m, 1h30m or 2h"
        );
        assert_error(
            "jobs:\n- command: a\n  retries: 1.5\n",
            &["job 1 (job-1): invalid retries: \"1.5\""],
        );
        assert_error(
            "deadline: 0s\njobs: [a]\n",
            &["line 1: invalid deadline: \"0s\": the duration must be more than 0"],
        );
        assert_error(
            "jobs: [a]\nparallelism: 0\n",
            &["line 2: invalid parallelism: \"0\"", "1 or more"],
        );
        assert_error(
            "jobs: [a]\nlabels: {ci run: x}\n",
            &["line 2: invalid labels key \"ci run\""],
        );
        assert_error(
            "jobs: [a]\nlabels: {run: a b}\n",
            &["invalid labels value \"a b\" for run"],
        );
        assert_error(
            "jobs: [a]\nannotations: {-x: y}\n",
            &["invalid annotations key \"-x\""],
        );
        assert_error("jobs: [a]\nlabels: [a]\n", &["invalid type", "line 2"]);
    }

    #[test]
    fn misspelled_run_policy_keys_are_refused() {
        assert_error(
            "jobs: [a]\nretry: 2\n",
            &[
                "unknown field `retry`",
                "`retries`",
                "`step_timeout`",
                "line 2",
            ],
        );
        // `timeout:` is a job's; the workflow's is `step_timeout:` (and `deadline:`).
        assert_error(
            "jobs: [a]\ntimeout: 2h\n",
            &["unknown field `timeout`", "`step_timeout`", "`deadline`"],
        );
        assert_error(
            "jobs:\n- command: a\n  step_timeout: 2h\n",
            &["unknown field `step_timeout`", "`timeout`", "line 3"],
        );
    }

    #[test]
    fn on_exit_in_a_file_is_the_exit_handler() {
        let pipeline = parsed("jobs: [a]\non_exit: python notify.py \"$WORKFLOW_STATUS\"\n");
        let handler = pipeline.exit_handler.expect("an exit handler");
        assert_eq!(
            handler.command,
            ["/bin/sh", "-c", "python notify.py \"$WORKFLOW_STATUS\""]
        );
        assert_eq!(
            error("jobs: [a]\non_exit: notify {a,b}\n"),
            "workflow.yaml: line 2: on_exit runs once, but `notify {a,b}` holds a sweep (a brace \
             list or range); quote the braces to pass them literally, e.g. '{a,b}'"
        );
        assert_error(
            "jobs:\n- {name: on-exit, command: a}\non_exit: b\n",
            &["a job is named \"on-exit\", which is the name of the on_exit step"],
        );
    }

    const MAX_STEPS_FOR_TEST: usize = crate::pipeline::MAX_STEPS;
}
