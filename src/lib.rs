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
pub mod manual;
pub mod names;
pub mod output;
pub mod pipeline;
pub mod render;
pub mod source;
pub mod submit;
pub mod yaml;

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Parser;

use cli::{Cli, Command, ConfigArgs, OutputFormat, RenderArgs};
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
        Ok(()) => ExitCode::SUCCESS,
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

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Render(args) => run_render(&args),
        Command::Config(args) => run_config(&args),
        Command::Completions(args) => completion::run_completions(&args),
        Command::Version => manual::run_version(),
        Command::Man(args) => manual::run_man(&args),
        Command::Complete(args) => completion::run_complete(&args),
    }
}

fn run_config(args: &ConfigArgs) -> Result<()> {
    let path = config::config_path()
        .context("cannot locate the config file: $HOME is unset; set $JUPYTERFLOW_CONFIG_FILE")?;
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
        std::fs::write(&path, config::STARTER_FILE)
            .with_context(|| format!("cannot write config file {}", path.display()))?;
        output::write_stderr_lines([format!("wrote {}", path.display())]);
        return Ok(());
    }
    let spec = config::load(Some(&path))?;
    let state = if path.exists() {
        ""
    } else {
        " (not found: built-in defaults)"
    };
    output::write_stderr_lines([format!("# config file: {}{state}", path.display())]);
    let file = config::ConfigFile { spec };
    output::write_stdout(&yaml::to_string(&file)?)
}

fn run_render(args: &RenderArgs) -> Result<()> {
    if args.output == Some(OutputFormat::Name) && !args.submit {
        return Err(usage(
            "-o name needs --submit: a rendered workflow has no name until the API server creates it",
        ));
    }
    let reads_stdin = |p: &Option<PathBuf>| p.as_deref() == Some(Path::new("-"));
    if reads_stdin(&args.pipeline.file) && reads_stdin(&args.pod.pod_file) {
        return Err(usage(
            "-f - and --pod-file - cannot both read stdin; save one of them to a file",
        ));
    }

    if let Some(namespace) = &args.pod.namespace {
        checks::kube_names::check_namespace(namespace, "-n")?;
    }

    let config_spec = config::load(config::config_path().as_deref())?;
    let settings = config::Settings::merge(&args.overrides, config_spec)?;
    let (pipeline, default_workdir) = read_pipeline(args, settings.shell)?;
    if settings.schedule.is_none() && pipeline.schedule.is_none() {
        let timezone = settings.timezone.is_some();
        if let Some(message) =
            checks::schedule::flag_without_schedule(timezone, settings.legacy_schedule)
        {
            return Err(usage(message));
        }
    }
    let workdir = match &settings.workdir {
        Some(dir) => normalize_workdir(dir)?,
        None => default_workdir,
    };

    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")
    };
    // The cluster is contacted only on the paths that need it: a pod read from the API, or
    // --submit (a pod file alone renders offline).
    let mut cluster = None;
    let pod = match &args.pod.pod_file {
        Some(path) => source::read_pod_file(path)?,
        None => {
            let rt = runtime()?;
            let (pod, connection) = rt.block_on(source::fetch_notebook_pod(&args.pod))?;
            cluster = Some((rt, connection));
            pod
        }
    };
    if args.submit && cluster.is_none() {
        let rt = runtime()?;
        let connection = rt.block_on(client::connect(&client::ClientOptions {
            kubeconfig: args.pod.kubeconfig.clone(),
            context: args.pod.context.clone(),
            namespace: args
                .pod
                .namespace
                .clone()
                .or_else(|| pod.metadata.namespace.clone()),
        }))?;
        cluster = Some((rt, connection));
    }
    let container = source::select_container(&pod, args.pod.container.as_deref())?;
    let mut rendered = render::render(&render::RenderInput {
        pod: &pod,
        container,
        pipeline: &pipeline,
        settings: &settings,
        workdir: &workdir,
    })?;
    if let Some(namespace) = &args.pod.namespace {
        // -n wins over the pod's namespace (they are the same when the pod came from the API).
        let metadata = rendered.manifest.metadata_mut();
        if metadata.namespace.as_deref() != Some(namespace.as_str()) {
            rendered.report.notes.push(render::Note {
                action: render::Action::Override,
                field: "metadata.namespace".to_string(),
                detail: format!("{namespace} (-n; the pod's volumes must exist there too)"),
            });
            metadata.namespace = Some(namespace.clone());
        }
    }
    if let Some((rt, connection)) = &cluster {
        let claims = render::pin::persistent_volume_claims(rendered.manifest.workflow_spec());
        let access = rt.block_on(client::read_claim_access(connection, &claims))?;
        render::pin::pin_single_node_volumes(
            &mut rendered.manifest,
            &pod,
            &access,
            &mut rendered.report,
        )?;
    }
    if args.explain {
        output::write_stderr_lines(rendered.report.notes.iter().map(|n| n.to_string()));
    }
    output::write_stderr_lines(
        rendered
            .report
            .warnings
            .iter()
            .map(|w| format!("warning: {w}")),
    );

    match cluster {
        Some((rt, connection)) if args.submit => {
            let options = submit::SubmitOptions {
                dry_run: args.dry_run == cli::DryRun::Server,
                output: args.output,
            };
            let (text, notices) =
                rt.block_on(submit::submit(&connection, rendered.manifest, &options))?;
            output::write_stderr_lines(notices);
            output::write_stdout(&text)
        }
        _ => {
            let format = args.output.unwrap_or(OutputFormat::Yaml);
            output::write_stdout(&output::to_text(&rendered.manifest, format)?)
        }
    }
}

/// The pipeline and the default working directory: the current one for `-c`, the file's
/// folder for `-f` (as JupyterFlow does).
fn read_pipeline(args: &RenderArgs, force_shell: bool) -> Result<(Pipeline, String)> {
    let current_dir = || -> Result<String> {
        let dir = std::env::current_dir().context("cannot read the current directory")?;
        Ok(dir.to_string_lossy().into_owned())
    };
    if let Some(expr) = &args.pipeline.command {
        let mode = if force_shell {
            CommandMode::Shell
        } else {
            CommandMode::Exec
        };
        return Ok((pipeline::expression::parse(expr, mode)?, current_dir()?));
    }
    let Some(path) = &args.pipeline.file else {
        return Err(usage(
            "give the steps with -c EXPR or a workflow file with -f FILE",
        ));
    };
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the workflow file from stdin")?;
        return Ok((
            pipeline::file::parse(&text, "<stdin>", force_shell)?,
            current_dir()?,
        ));
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read workflow file {}", path.display()))?;
    let pipeline = pipeline::file::parse(&text, &path.display().to_string(), force_shell)?;
    let absolute = std::path::absolute(path)
        .with_context(|| format!("cannot resolve the path of {}", path.display()))?;
    let folder = absolute
        .parent()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|| "/".into());
    Ok((pipeline, normalize_workdir(&folder)?))
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
