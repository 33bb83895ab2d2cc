//! What the fuzz targets check. Each function takes the fuzzer's bytes, runs them through the
//! library's public API and panics when a property does not hold; a plain error is fine.
//!
//! `tests/fuzz_seeds.rs` compiles this file into `cargo test` and runs every committed seed
//! through it, so the checks build on stable and the regression inputs run on every test run.

use kubectl_jupyterflow::argo::Manifest;
use kubectl_jupyterflow::cli::{Cli, Command, OutputFormat};
use kubectl_jupyterflow::config::{ConfigSpec, Settings};
use kubectl_jupyterflow::pipeline::{self, CommandMode, Pipeline, MAX_STEPS};
use kubectl_jupyterflow::render::{self, RenderInput, ENTRYPOINT};
use kubectl_jupyterflow::{output, source, yaml};

/// The pod workflow files are rendered against: a z2jh notebook with its home on a PVC.
const NOTEBOOK_POD: &str = include_str!("../../tests/fixtures/z2jh-dynamic-pod.yaml");
const NOTEBOOK_HOME: &str = "/home/jovyan";
/// What a workflow file is called in error messages.
const ORIGIN: &str = "fuzz.yaml";

/// A `-c` expression, parsed in exec and in shell mode.
pub fn expression(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let exec = pipeline::expression::parse(text, CommandMode::Exec);
    let shell = pipeline::expression::parse(text, CommandMode::Shell);
    for error in [exec.as_ref().err(), shell.as_ref().err()]
        .into_iter()
        .flatten()
    {
        let message = format!("{error:#}");
        assert!(
            message.starts_with("invalid pipeline expression: "),
            "{message}"
        );
    }
    if let Ok(shell) = &shell {
        check_expression_pipeline(shell);
        for step in shell.steps.iter().filter(|s| s.notebook.is_none()) {
            assert_eq!(step.command[..2], ["/bin/sh", "-c"]);
            match &step.sweep {
                // A sweep's braces become Argo's parameter references, one per parameter.
                Some(sweep) => {
                    for parameter in &sweep.parameters {
                        let reference = pipeline::sweep::placeholder(parameter);
                        assert!(step.command[2].contains(&reference), "{step:?}");
                    }
                }
                None => assert_eq!(step.command[2], step.text),
            }
        }
    }
    let Ok(exec) = &exec else {
        return;
    };
    check_expression_pipeline(exec);
    // Exec mode only adds refusals (`>`, no program), so shell mode reads the same steps.
    let shell = shell.expect("shell mode accepts what exec mode accepts");
    assert_eq!(shape(exec), shape(&shell));
    for step in &exec.steps {
        // The argv survives POSIX quoting: what a user copies from `--explain` means the same.
        let requoted = shell_words::join(&step.command);
        assert_eq!(shell_words::split(&requoted).as_ref(), Ok(&step.command));
    }
}

/// A workflow file, parsed as written and with `--shell`, each rendered against a z2jh pod.
pub fn workflow_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let as_written = pipeline::file::parse(text, ORIGIN, false);
    let forced_shell = pipeline::file::parse(text, ORIGIN, true);
    for error in [as_written.as_ref().err(), forced_shell.as_ref().err()]
        .into_iter()
        .flatten()
    {
        let message = format!("{error:#}");
        assert!(message.starts_with(ORIGIN), "{message}");
    }
    if let Ok(forced_shell) = &forced_shell {
        check_pipeline(forced_shell);
        // A notebook step runs papermill or nbconvert directly, in either mode.
        for step in forced_shell.steps.iter().filter(|s| s.notebook.is_none()) {
            assert_eq!(step.command[..2], ["/bin/sh", "-c"], "{step:?}");
        }
        render_and_check(
            &notebook_pod(),
            None,
            forced_shell,
            &Settings::default(),
            NOTEBOOK_HOME,
        );
    }
    let Ok(as_written) = &as_written else {
        return;
    };
    check_pipeline(as_written);
    let forced_shell = forced_shell.expect("--shell accepts what the file's own mode accepts");
    assert_eq!(shape(as_written), shape(&forced_shell));
    render_and_check(
        &notebook_pod(),
        None,
        as_written,
        &Settings::default(),
        NOTEBOOK_HOME,
    );
}

/// A notebook pod and the render flags: the first line holds the flags as a shell would
/// split them (`--workdir /home/jovyan -c "python a.py" --gpu 1`), the rest is the pod.
pub fn pod_render(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (flags, pod_text) = text.split_once('\n').unwrap_or((text, ""));
    let Ok(flags) = shell_words::split(flags) else {
        return;
    };
    let command_line = ["kubectl-jupyterflow", "render", "--pod-file", "-"]
        .map(String::from)
        .into_iter()
        .chain(flags);
    let Ok(Cli {
        command: Command::Render(args),
    }) = <Cli as clap::Parser>::try_parse_from(command_line)
    else {
        return;
    };
    let Some(expression) = &args.pipeline.command else {
        return; // -f names a file; workflow files have their own target.
    };
    let Ok(settings) = Settings::merge(&args.overrides, ConfigSpec::default()) else {
        return;
    };
    let mode = if settings.shell {
        CommandMode::Shell
    } else {
        CommandMode::Exec
    };
    let Ok(pipeline) = pipeline::expression::parse(expression, mode) else {
        return;
    };
    let workdir = settings.workdir.clone().unwrap_or(NOTEBOOK_HOME.into());
    if !workdir.starts_with('/') {
        return; // The command line refuses a relative --workdir before it renders.
    }
    let Ok(pod) = source::parse_pod(pod_text) else {
        return;
    };
    let container = args.pod.container.as_deref();
    render_and_check(&pod, container, &pipeline, &settings, &workdir);
}

fn notebook_pod() -> k8s_openapi::api::core::v1::Pod {
    source::parse_pod(NOTEBOOK_POD).expect("the fixture pod parses")
}

/// What every parsed pipeline promises the renderer.
fn check_pipeline(pipeline: &Pipeline) {
    assert!((1..=MAX_STEPS).contains(&pipeline.steps.len()));
    pipeline::validate(pipeline).expect("a parsed pipeline is valid");
    for step in &pipeline.steps {
        assert!(step.command.first().is_some_and(|p| !p.trim().is_empty()));
    }
}

/// An expression also numbers its steps left to right, and a step only follows earlier ones.
fn check_expression_pipeline(pipeline: &Pipeline) {
    check_pipeline(pipeline);
    for (index, step) in pipeline.steps.iter().enumerate() {
        assert_eq!(step.name, format!("job-{}", index + 1));
        assert!(step.depends_on.iter().all(|&before| before < index));
    }
}

/// Name, text and dependencies of each step: what does not depend on the command mode.
fn shape(pipeline: &Pipeline) -> Vec<(&str, &str, &[usize])> {
    pipeline
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.text.as_str(), s.depends_on.as_slice()))
        .collect()
}

/// Renders (an error is fine) and checks the manifest: it keeps each step's argv and
/// dependencies, its YAML and JSON read back into the same manifest, and it is deterministic.
fn render_and_check(
    pod: &k8s_openapi::api::core::v1::Pod,
    container: Option<&str>,
    pipeline: &Pipeline,
    settings: &Settings,
    workdir: &str,
) {
    let Ok(container) = source::select_container(pod, container) else {
        return;
    };
    let input = RenderInput {
        pod,
        container,
        pipeline,
        settings,
        workdir,
        cluster: None,
    };
    let Ok(rendered) = render::render(&input) else {
        return;
    };
    let manifest = rendered.manifest;
    check_steps_are_kept(&manifest, pipeline);

    let yaml_text = output::to_text(&manifest, OutputFormat::Yaml).expect("writes YAML");
    let json_text = output::to_text(&manifest, OutputFormat::Json).expect("writes JSON");
    let from_yaml: Manifest = yaml::from_str(&yaml_text)
        .unwrap_or_else(|err| panic!("the YAML output does not read back: {err}\n{yaml_text}"));
    let from_json: Manifest = serde_json::from_str(&json_text)
        .unwrap_or_else(|err| panic!("the JSON output does not read back: {err}\n{json_text}"));
    assert_eq!(from_yaml, manifest, "YAML round trip\n{yaml_text}");
    assert_eq!(from_json, manifest, "JSON round trip");
    let yaml_value: serde_json::Value = yaml::from_str(&yaml_text).expect("YAML reads as a value");
    let json_value: serde_json::Value = serde_json::from_str(&json_text).expect("JSON reads");
    assert_eq!(
        yaml_value, json_value,
        "YAML and JSON decode to the same object"
    );

    let again = render::render(&input).expect("renders again").manifest;
    let again_text = output::to_text(&again, OutputFormat::Yaml).expect("writes YAML");
    assert_eq!(yaml_text, again_text, "rendering is deterministic");
}

/// One task and one template per step, with the step's argv and its dependencies by name.
fn check_steps_are_kept(manifest: &Manifest, pipeline: &Pipeline) {
    let spec = manifest.workflow_spec();
    assert_eq!(spec.entrypoint, ENTRYPOINT);
    let dag = spec
        .templates
        .iter()
        .find(|t| t.name == ENTRYPOINT)
        .and_then(|t| t.dag.as_ref())
        .expect("the entrypoint is a DAG");
    assert_eq!(dag.tasks.len(), pipeline.steps.len());
    // A sweep with its own parallelism runs its points through a second template.
    let point_templates = pipeline
        .steps
        .iter()
        .filter(|s| s.sweep.as_ref().is_some_and(|w| w.parallelism.is_some()))
        .count();
    let exit_templates = usize::from(pipeline.exit_handler.is_some());
    assert_eq!(
        spec.templates.len(),
        1 + pipeline.steps.len() + point_templates + exit_templates
    );
    for (step, task) in pipeline.steps.iter().zip(&dag.tasks) {
        assert_eq!(task.name, step.name);
        let dependencies: Vec<&str> = step
            .depends_on
            .iter()
            .map(|&i| pipeline.steps[i].name.as_str())
            .collect();
        assert_eq!(task.dependencies, dependencies);
        let capped = step.sweep.as_ref().is_some_and(|w| w.parallelism.is_some());
        let template_name = match capped {
            true => render::sweep::point_template(&task.template),
            false => task.template.clone(),
        };
        let template = spec
            .templates
            .iter()
            .find(|t| t.name == template_name)
            .expect("each task has its template");
        let container = template.container.as_ref().expect("a step is a container");
        assert_eq!(container.command.as_ref(), Some(&step.command));
    }
}
