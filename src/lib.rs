//! kubectl-jupyterflow: a notebook Pod + a command line -> an Argo Workflow manifest.
//!
//! The pipeline, one module per step:
//! args (`cli`) -> settings (`config`: flags > config file > pod) -> pod (`source`, `client`)
//! -> steps (`pipeline`) -> workflow (`render`, `argo`) -> stdout (`output`) or the API (`submit`).

pub mod argo;
pub mod checks;
pub mod cli;
pub mod client;
pub mod completion;
pub mod config;
pub mod graph;
pub mod input;
pub mod manual;
pub mod names;
pub mod output;
pub mod pipeline;
pub mod render;
pub mod run_policy;
pub mod source;
pub mod steps_account;
pub mod submit;
pub mod wait;
pub mod yaml;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Parser;

use k8s_openapi::api::core::v1::Pod;

use cli::{Cli, Command, ConfigArgs, OutputFormat, PipelineArgs, RenderArgs, WaitArgs};
use client::Connection;
use config::Settings;
use pipeline::{CommandMode, Pipeline};

/// A mistake in how the command was called: exit code 2, like clap's own usage errors.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

/// Runs the command line; returns the process exit code (0 ok, 1 failure, 2 usage).
pub fn main_with_args<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version are "errors" that print to stdout and succeed.
            let code = if err.use_stderr() { 2 } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            output::write_stderr_lines([format!("error: {err:#}")]);
            if err.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Runs one command; `Ok` carries the exit code (`wait` has several).
pub fn run(cli: Cli) -> Result<ExitCode> {
    let done = |()| ExitCode::SUCCESS;
    match cli.command {
        Command::Render(args) => run_render(&args),
        Command::Wait(args) => run_wait(&args),
        Command::Config(args) => run_config(&args).map(done),
        Command::Completions(args) => completion::run_completions(&args).map(done),
        Command::Version => manual::run_version().map(done),
        Command::Man(args) => manual::run_man(&args).map(done),
        Command::Complete(args) => completion::run_complete(&args).map(done),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// `wait NAME|workflow/NAME|-`: follows an existing workflow.
fn run_wait(args: &WaitArgs) -> Result<ExitCode> {
    let name = if input::is_stdin(Path::new(&args.target)) {
        let piped = input::read_path_or_stdin(Path::new("-"), "workflow name")?;
        wait::parse_piped_target(&piped.text)
    } else {
        wait::parse_target(&args.target)
    }
    .map_err(usage)?;
    runtime()?.block_on(async {
        let connection = client::connect(&client::ClientOptions {
            kubeconfig: args.kubeconfig.clone(),
            context: args.context.clone(),
            namespace: args.namespace.clone(),
        })
        .await?;
        let options = wait::FollowOptions {
            timeout: args.timeout,
        };
        let outcome = wait::follow(&connection, &name, None, &options).await?;
        Ok(ExitCode::from(outcome.exit_code()))
    })
}

fn run_config(args: &ConfigArgs) -> Result<()> {
    let location = config::config_path()
        .context("cannot locate the config file: $HOME is unset; set $JUPYTERFLOW_CONFIG_FILE")?;
    let path = &location.path;
    if args.init {
        if path.exists() && !args.force {
            bail!(
                "config file {} already exists; pass --force to overwrite it",
                path.display()
            );
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create folder {}", parent.display()))?;
        }
        std::fs::write(path, config::STARTER_FILE)
            .with_context(|| format!("cannot write config file {}", path.display()))?;
        output::write_stderr_lines([format!("wrote {}", path.display())]);
        return Ok(());
    }
    let spec = config::load(Some(&location))?;
    let state = if path.exists() {
        ""
    } else {
        " (not found: built-in defaults)"
    };
    output::write_stderr_lines([format!("# config file: {}{state}", path.display())]);
    let file = config::ConfigFile { spec };
    output::write_stdout(&yaml::to_string(&file)?)
}

fn run_render(args: &RenderArgs) -> Result<ExitCode> {
    if args.wait && args.overrides.schedule.is_some() {
        return Err(usage(format!(
            "{}; submit it without --wait",
            wait::cron_hint("")
        )));
    }
    if args.wait && args.dry_run == cli::DryRun::Server {
        return Err(usage(
            "--wait cannot follow a server dry run: nothing is stored, so nothing runs",
        ));
    }
    if args.output.is_some_and(OutputFormat::is_graph) && args.submit {
        return Err(usage(
            "-o mermaid and -o dot draw the pipeline instead of creating it; drop --submit, or \
             submit with another -o",
        ));
    }
    if args.output == Some(OutputFormat::Name) && !args.submit {
        return Err(usage(
            "-o name needs --submit: a rendered workflow has no name until the API server creates it",
        ));
    }
    let reads_stdin = |p: &Option<PathBuf>| p.as_deref().is_some_and(input::is_stdin);
    if reads_stdin(&args.pipeline.file) && reads_stdin(&args.pod.pod_file) {
        return Err(usage(
            "-f - and --pod-file - cannot both read stdin; save one of them to a file",
        ));
    }
    if let Some(namespace) = &args.pod.namespace {
        checks::kube_names::check_namespace(namespace, "-n")?;
    }
    runtime()?.block_on(render_workflow(args))
}

/// Inputs (settings, pipeline, pod, what the cluster says) -> render -> stdout or the API.
async fn render_workflow(args: &RenderArgs) -> Result<ExitCode> {
    let config_spec = config::load(config::config_path().as_ref())?;
    let settings = Settings {
        namespace: args.pod.namespace.clone(),
        ..Settings::merge(&args.overrides, config_spec)?
    };
    let (pipeline, workdir) = read_pipeline(&args.pipeline, &settings)?;
    if settings.schedule.is_none() && pipeline.schedule.is_none() {
        let timezone = settings.timezone.is_some();
        if let Some(message) =
            checks::schedule::flag_without_schedule(timezone, settings.legacy_schedule)
        {
            return Err(usage(message));
        }
    }
    // In the notebook (its own pod, its image), a step that needs papermill is checked here.
    if args.pod.pod_file.is_none() && args.pod.pod.is_none() && settings.image.is_none() {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let path = std::env::var_os("PATH");
        let missing = pipeline::notebook::papermill_missing(
            &pipeline,
            path.as_deref(),
            home.as_deref(),
            |file| file.is_file(),
        );
        output::write_stderr_lines(missing.map(|w| format!("warning: {w}")));
    }
    let (pod, connection) = read_pod(args).await?;
    let container = source::select_container(&pod, args.pod.container.as_deref())?;
    let cluster = match &connection {
        Some(connection) => {
            let claims = render::pin::claims_to_check(&pod, container, &settings);
            let claims = client::read_claim_access(connection, &claims).await?;
            let node =
                render::gpu_node::node_to_check(&pod, container, &settings, &pipeline, &claims);
            let notebook_node_gpus = match node {
                Some(node) => Some(client::read_node_gpus(connection, node).await?),
                None => None,
            };
            Some(render::ClusterFacts {
                namespace: connection.namespace.clone(),
                claims,
                notebook_node_gpus,
            })
        }
        None => None,
    };

    let rendered = render::render(&render::RenderInput {
        pod: &pod,
        container,
        pipeline: &pipeline,
        settings: &settings,
        workdir: &workdir,
        cluster: cluster.as_ref(),
    })?;

    if args.explain {
        output::write_stderr_lines(rendered.report.notes.iter().map(|n| n.to_string()));
    }
    let warnings = rendered.report.warnings.iter();
    output::write_stderr_lines(warnings.map(|w| format!("warning: {w}")));
    if args.wait && rendered.manifest.kind() == argo::CRON_WORKFLOW_KIND {
        let name = rendered.manifest.metadata().generate_name.clone();
        let name = name.unwrap_or_default();
        return Err(usage(format!(
            "{}; submit it without --wait",
            wait::cron_hint(name.trim_end_matches('-'))
        )));
    }
    match connection {
        Some(connection) if args.submit => {
            let options = submit::SubmitOptions {
                dry_run: args.dry_run == cli::DryRun::Server,
                output: args.output,
            };
            let (text, notices, created) =
                submit::submit(&connection, rendered.manifest, &options).await?;
            output::write_stderr_lines(notices);
            output::write_stdout(&text)?;
            if !args.wait {
                return Ok(ExitCode::SUCCESS);
            }
            let name = created
                .pointer("/metadata/name")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_string();
            let options = wait::FollowOptions {
                timeout: args.wait_timeout,
            };
            let outcome = wait::follow(&connection, &name, Some(created), &options).await?;
            Ok(ExitCode::from(outcome.exit_code()))
        }
        _ if args.output.is_some_and(OutputFormat::is_graph) => {
            // Drawn after rendering: a pipeline that would not render is not drawn either.
            let graph = graph::Graph::of(&pipeline);
            let text = match args.output {
                Some(OutputFormat::Dot) => graph::to_dot(&graph),
                _ => graph::to_mermaid(&graph),
            };
            output::write_stdout(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            let format = args.output.unwrap_or(OutputFormat::Yaml);
            output::write_stdout(&output::to_text(&rendered.manifest, format)?)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The notebook pod, and a connection when the cluster is needed: for a pod read from the API,
/// or for --submit (a pod file alone renders offline).
async fn read_pod(args: &RenderArgs) -> Result<(Pod, Option<Connection>)> {
    let Some(path) = &args.pod.pod_file else {
        let (pod, connection) = source::fetch_notebook_pod(&args.pod).await?;
        return Ok((pod, Some(connection)));
    };
    let pod = source::read_pod_file(path)?;
    if !args.submit {
        return Ok((pod, None));
    }
    // A saved pod is submitted into its own namespace, unless -n names another.
    let connection = client::connect(&client::ClientOptions {
        kubeconfig: args.pod.kubeconfig.clone(),
        context: args.pod.context.clone(),
        namespace: args
            .pod
            .namespace
            .clone()
            .or_else(|| pod.metadata.namespace.clone()),
    })
    .await?;
    Ok((pod, Some(connection)))
}

/// The pipeline and the steps' working directory: --workdir, else the current one for `-c`,
/// the file's folder for `-f` (as JupyterFlow does).
fn read_pipeline(args: &PipelineArgs, settings: &Settings) -> Result<(Pipeline, String)> {
    let mode = if settings.shell {
        CommandMode::Shell
    } else {
        CommandMode::Exec
    };
    let mut pipeline = match (&args.command, &args.file) {
        (Some(expr), _) => pipeline::expression::parse(expr, mode)?,
        (None, Some(path)) => {
            let file = input::read_path_or_stdin(path, "workflow file")?;
            pipeline::file::parse(&file.text, &file.shown, settings.shell)?
        }
        (None, None) => {
            return Err(usage(
                "give the steps with -c EXPR or a workflow file with -f FILE",
            ))
        }
    };
    // A workflow file's `on_exit` is in the pipeline already; a flag replaces it, and the
    // config file's is used when neither gives one.
    let on_exit = settings.run_policy.choose(&pipeline.run_policy).on_exit;
    if let Some(chosen) = on_exit.filter(|c| c.source != run_policy::Source::WorkflowFile) {
        let what = chosen.origin(run_policy::Key::OnExit);
        pipeline.exit_handler = Some(pipeline::exit_step(&chosen.value, &pipeline, &what)?);
    }
    let workdir = match (&settings.workdir, &args.file) {
        (Some(dir), _) => normalize_workdir(dir)?,
        (None, Some(path)) if !input::is_stdin(path) => {
            let absolute = std::path::absolute(path)
                .with_context(|| format!("cannot resolve the path of {}", path.display()))?;
            let folder = absolute.parent().unwrap_or(Path::new("/"));
            normalize_workdir(&folder.to_string_lossy())?
        }
        (None, _) => {
            let dir = std::env::current_dir().context("cannot read the current directory")?;
            dir.to_string_lossy().into_owned()
        }
    };
    Ok((pipeline, workdir))
}

/// `--workdir` as an absolute path without `.`/`..`/trailing slashes, resolved lexically:
/// it names a path inside the notebook, which need not exist where this runs.
fn normalize_workdir(dir: &str) -> Result<String> {
    if !dir.starts_with('/') {
        return Err(usage(format!(
            "--workdir {dir:?} must be an absolute path inside the notebook, e.g. /home/jovyan/project"
        )));
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in dir.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    Ok(format!("/{}", parts.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workdir_is_normalized_lexically() {
        assert_eq!(normalize_workdir("/home/jovyan/").unwrap(), "/home/jovyan");
        assert_eq!(
            normalize_workdir("/home/jovyan/a/../b/./c").unwrap(),
            "/home/jovyan/b/c"
        );
        assert_eq!(normalize_workdir("/").unwrap(), "/");
        let err = normalize_workdir("work").unwrap_err();
        assert!(err.downcast_ref::<UsageError>().is_some());
    }
}
