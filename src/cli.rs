//! The command line, as clap derive structs. Nothing here does work: `lib.rs` dispatches.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};

/// The binary's file name, as the completion scripts, the man pages and the version line name it.
pub const BIN_NAME: &str = "kubectl-jupyterflow";

const ABOUT: &str = "Run the code in your Jupyter notebook as an Argo Workflow pipeline.";

const LONG_ABOUT: &str = "\
Run the code in your Jupyter notebook as an Argo Workflow pipeline.

kubectl jupyterflow reads the notebook's own Pod (image, volumes, environment, service account)
and writes an Argo Workflow that runs your commands in that same environment, one step per
command, with your files where the notebook sees them. No image to build, no YAML to write.";

const ROOT_AFTER_HELP: &str = "\
Examples:
  # Inside a notebook: run two scripts one after another, as an Argo Workflow
  kubectl jupyterflow render -c \"python prep.py >> python train.py\" --submit

  # See the workflow first, without a cluster, from a saved notebook pod
  kubectl jupyterflow render --pod-file pod.yaml --workdir /home/jovyan -c \"python hello.py\"

  # All the options of render, with more examples
  kubectl jupyterflow render --help

  # Complete commands and flags with <TAB> (see completions --help)
  kubectl jupyterflow completions --help

Before the first run: Argo Workflows must be installed in the cluster, and the notebook's pod
needs a service account that may read pods and create workflows.";

const AFTER_HELP: &str = "\
Examples:
  # Inside a notebook: run three scripts one after another, in the notebook's image
  kubectl jupyterflow render -c \"python prep.py >> python train.py >> python eval.py\" --submit

  # Two trainings in parallel after prep, then eval
  kubectl jupyterflow render --submit \\
    -c \"python prep.py >> [python train.py --lr 0.1, python train.py --lr 0.5] >> python eval.py\"

  # A sweep: one pod per combination (here 3 x 2), 4 at a time, then eval once
  kubectl jupyterflow render --submit --parallelism 4 \\
    -c \"python train.py --lr {0.001,0.01,0.1} --layers {2,4} >> python eval.py\"

  # A range of seeds (braces as in bash: quoted braces and ${VAR} stay as they are)
  kubectl jupyterflow render -c \"python train.py --seed {1..8}\" --submit

  # Notebooks as steps: papermill's -p NAME VALUE, sweeps too; the executed notebooks go to
  # jupyterflow-runs/<workflow name>/ (see --explain)
  kubectl jupyterflow render --submit -c \"prep.ipynb >> train.ipynb -p epochs 5 -p lr {0.1,0.01}\"

  # Retry a failing step twice, fail a step after 30 minutes and the pipeline after 12 hours
  kubectl jupyterflow render --submit --retries 2 --step-timeout 30m --deadline 12h \\
    -c \"python prep.py >> python train.py\"

  # Tell someone how it went, also after a failure ($WORKFLOW_STATUS: Succeeded, Failed, Error)
  kubectl jupyterflow render --submit -c \"python train.py\" \\
    --on-exit 'python notify.py --status \"$WORKFLOW_STATUS\"'

  # Label the run so that a CI script finds it: kubectl get workflows -l ci-run=1234
  kubectl jupyterflow render --submit --label ci-run=1234 -c \"python train.py\"

  # Keep finished runs longer than the defaults (succeeded 1d, failed 7d)
  kubectl jupyterflow render --submit --keep-succeeded 3d --keep-failed 14d -c \"python train.py\"

  # Look at the workflow first, or hand it to the argo CLI
  kubectl jupyterflow render -c \"python train.py\" > wf.yaml
  kubectl jupyterflow render -c \"python train.py\" | argo submit -

  # A JupyterFlow workflow file (jobs, dags, schedule)
  kubectl jupyterflow render -f workflow.yaml --submit

  # Create it and follow it to its end (exit 0 if it succeeded, 1 if a step failed)
  kubectl jupyterflow render -c \"python prep.py >> python train.py\" --submit --wait

  # The same through a pipe, with kubectl creating it
  kubectl jupyterflow render -c \"python train.py\" \\
    | kubectl create -f - -o name | kubectl jupyterflow wait -

  # A picture of the pipeline for a Markdown cell (JupyterLab draws Mermaid), or for Graphviz
  kubectl jupyterflow render -c \"python prep.py >> [python a.py, python b.py]\" -o mermaid
  kubectl jupyterflow render -f workflow.yaml -o dot | dot -Tsvg > pipeline.svg

  # Every night at 3, with a GPU
  kubectl jupyterflow render -c \"python train.py\" --schedule \"0 3 * * *\" --gpu 1 --submit

  # Outside the notebook, from a saved pod (no cluster needed)
  kubectl get pod jupyter-alice -o yaml > pod.yaml
  kubectl jupyterflow render --pod-file pod.yaml --workdir /home/jovyan -c \"python hello.py\"";

#[derive(Debug, Parser)]
#[command(
    name = BIN_NAME,
    bin_name = "kubectl jupyterflow",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = ROOT_AFTER_HELP,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write an Argo Workflow for your commands to stdout (or create it with --submit)
    #[command(after_help = AFTER_HELP)]
    Render(Box<RenderArgs>),
    /// Follow a workflow to its end: exit 0 if it succeeded, 1 if it failed
    #[command(long_about = WAIT_LONG_ABOUT, after_help = WAIT_AFTER_HELP)]
    Wait(WaitArgs),
    /// Show the settings of the config file, or write a starter file with --init
    Config(ConfigArgs),
    /// Print a shell completion script, so that <TAB> completes commands and flags
    #[command(long_about = COMPLETIONS_LONG_ABOUT, after_help = COMPLETIONS_AFTER_HELP)]
    Completions(CompletionsArgs),
    /// Print the version of kubectl jupyterflow
    Version,
    /// Write the man pages (roff), for packagers
    #[command(hide = true)]
    Man(ManArgs),
    /// The completion protocol kubectl uses for plugins (run by kubectl_complete-jupyterflow)
    #[command(
        name = "__complete",
        hide = true,
        disable_help_flag = true,
        disable_version_flag = true
    )]
    Complete(CompleteArgs),
}

const COMPLETIONS_LONG_ABOUT: &str = "\
Print a shell completion script, so that <TAB> completes commands and flags.

Completing `kubectl jupyterflow <TAB>` (with a space) is done by kubectl itself: enable kubectl's
own completion (`kubectl completion --help`), then put the helper kubectl_complete-jupyterflow,
shipped next to this binary, on your PATH (kubectl 1.26 or newer). It also completes --pod,
--container and --namespace from the cluster when you have credentials.

The scripts printed here complete `kubectl-jupyterflow <TAB>` (with a dash), the binary called
directly.";

const COMPLETIONS_AFTER_HELP: &str = "\
Examples:
  # bash: load now, or add this line to ~/.bashrc
  source <(kubectl-jupyterflow completions bash)

  # zsh: write to a folder on $fpath, then start a new shell
  kubectl-jupyterflow completions zsh > \"${fpath[1]}/_kubectl-jupyterflow\"

  # fish
  kubectl-jupyterflow completions fish > ~/.config/fish/completions/kubectl-jupyterflow.fish";

const WAIT_LONG_ABOUT: &str = "\
Follow a workflow to its end: exit 0 if it succeeded, 1 if it failed.

Each step's state changes are reported on stderr: on a terminal as one table of all steps,
updated in place; otherwise (CI logs, notebook `!` cells) one line per change. When the workflow
fails, the failed steps are named with Argo's message and the last lines of their logs.
Ctrl-C stops following and leaves the workflow running.

Exit codes: 0 Succeeded, 1 Failed or Error (or the workflow could not be followed),
2 usage, 124 --timeout ran out, 130 Ctrl-C.

A CronWorkflow is not followed: it has no run until its schedule is due. Follow one of its
runs by name instead (kubectl get workflows -l workflows.argoproj.io/cron-workflow=NAME).";

const WAIT_AFTER_HELP: &str = "\
Examples:
  # Follow a workflow created earlier
  kubectl jupyterflow wait train-x7k2q

  # Create it with kubectl and follow it (the name comes from stdin)
  kubectl jupyterflow render -c \"python train.py\" \\
    | kubectl create -f - -o name | kubectl jupyterflow wait -

  # Give up following after 2 hours (exit 124; the workflow goes on)
  kubectl jupyterflow wait workflow/train-x7k2q --timeout 2h";

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// The workflow: NAME, workflow/NAME, or - to read it from stdin (`kubectl create -o name`)
    #[arg(value_name = "NAME")]
    pub target: String,

    /// Namespace of the workflow [default: kubeconfig context, else the notebook's own]
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Path to the kubeconfig file to use
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// Stop following after this long (exit 124), e.g. 90s, 30m, 2h; the workflow goes on
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
}

/// `90`, `90s`, `30m`, `1h30m`, `1.5h`, `500ms`, `2d`: a bare number is seconds, as for
/// coreutils `timeout`; sequences of number and unit as Go's durations (`kubectl --timeout`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("{text:?} is not a duration; write e.g. 90s, 30m, 1h30m or 2h");
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return positive(seconds, text);
    }
    let mut total = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(invalid)?;
        let number: f64 = rest[..number_len].parse().map_err(|_| invalid())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            _ => return Err(invalid()),
        };
        total += number * scale;
        rest = &rest[unit_len..];
    }
    if text.is_empty() {
        return Err(invalid());
    }
    positive(total, text)
}

fn positive(seconds: f64, text: &str) -> Result<Duration, String> {
    if seconds.is_nan() || seconds <= 0.0 || !seconds.is_finite() {
        return Err(format!("{text:?}: the duration must be more than 0"));
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("{text:?} is too long a duration"))
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to print the script for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write one page per command into this folder instead of the main page to stdout
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompleteArgs {
    /// The words after `kubectl jupyterflow`; the last one is the word being completed
    #[arg(num_args = 0.., allow_hyphen_values = true, trailing_var_arg = true)]
    pub words: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten, next_help_heading = "What to run")]
    pub pipeline: PipelineArgs,

    #[command(flatten, next_help_heading = "The notebook pod")]
    pub pod: PodArgs,

    #[command(flatten, next_help_heading = "How the steps run")]
    pub overrides: OverrideArgs,

    /// Output format: yaml or json [default: yaml]; mermaid or dot draw the pipeline's DAG instead; with --submit also name [default: "<kind>/<name> created"]
    #[arg(short = 'o', long = "output", value_enum, help_heading = "Output")]
    pub output: Option<OutputFormat>,

    /// Explain on stderr, one line per field, what was copied from the pod, dropped or overridden
    #[arg(long, help_heading = "Output")]
    pub explain: bool,

    /// Create the workflow in the cluster instead of printing it
    #[arg(long, help_heading = "Output")]
    pub submit: bool,

    /// With --submit: follow the workflow to its end and exit with its outcome (see `wait --help`)
    #[arg(long, requires = "submit", help_heading = "Output")]
    pub wait: bool,

    /// With --wait: stop following after this long (exit 124), e.g. 30m; the workflow goes on
    #[arg(
        long = "wait-timeout",
        value_name = "DURATION",
        requires = "wait",
        value_parser = parse_duration,
        help_heading = "Output"
    )]
    pub wait_timeout: Option<Duration>,

    /// With --submit: "server" asks the API server to validate without storing; "none" creates
    #[arg(
        long = "dry-run",
        value_enum,
        requires = "submit",
        default_value_t = DryRun::None,
        help_heading = "Output"
    )]
    pub dry_run: DryRun,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct PipelineArgs {
    /// The steps to run, e.g. "python a.py >> [python b.py, python c.py] >> python d.py";
    /// a step with brace lists or ranges ({0.1,0.5}, {1..8}) runs once per combination
    #[arg(short = 'c', long = "command", value_name = "EXPR")]
    pub command: Option<String>,

    /// A JupyterFlow workflow file (jobs, dags, cmd_mode, schedule; per-job image, env, resources,
    /// gpu, node_selector, retries, timeout; run-policy keys: see the README); "-" reads stdin
    #[arg(short = 'f', long = "filename", value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PodArgs {
    /// Read the notebook Pod from a file ("kubectl get pod NAME -o yaml"), "-" for stdin; no cluster access
    #[arg(long = "pod-file", value_name = "PATH", conflicts_with = "pod", value_hint = ValueHint::FilePath)]
    pub pod_file: Option<PathBuf>,

    /// The notebook Pod to read from the cluster [default: $HOSTNAME, the notebook's own pod]
    #[arg(long, value_name = "NAME")]
    pub pod: Option<String>,

    /// Namespace of the pod and the workflow [default: kubeconfig context, else the notebook's own]
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Path to the kubeconfig file to use
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// Container of the pod to copy [default: "notebook", else the only container]
    #[arg(long, value_name = "NAME")]
    pub container: Option<String>,
}

#[derive(Debug, Args, Default)]
pub struct OverrideArgs {
    /// Run each step as /bin/sh -c "<step>" (pipes, redirects, $VARS inside a step)
    #[arg(long)]
    pub shell: bool,

    /// Working directory of the steps [default: current directory for -c, the file's folder for -f]
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub workdir: Option<String>,

    /// Name prefix of the workflow [default: the file's name, else the pod's name]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Service account the steps run as [default: the notebook's]
    #[arg(long = "service-account", value_name = "NAME")]
    pub service_account: Option<String>,

    /// Container image of the steps [default: the notebook's]
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,

    /// Use the exact image digest the notebook runs (from the pod's status) instead of its tag
    #[arg(long = "pin-image", conflicts_with = "image")]
    pub pin_image: bool,

    /// Set an environment variable in every step (repeatable)
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,

    /// CPU request and limit of every step, e.g. 500m or 2
    #[arg(long, value_name = "QUANTITY")]
    pub cpu: Option<String>,

    /// Memory request and limit of every step, e.g. 4Gi
    #[arg(long, value_name = "QUANTITY")]
    pub memory: Option<String>,

    /// NVIDIA GPUs for every step (the notebook's GPUs are not copied)
    #[arg(long, value_name = "N")]
    pub gpu: Option<u32>,

    /// Add a node selector label for the steps (repeatable)
    #[arg(long = "node-selector", value_name = "KEY=VALUE")]
    pub node_selector: Vec<String>,

    /// At most N pods run at once: sweep points and parallel steps [default: no limit]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub parallelism: Option<u32>,

    /// Add a label to the workflow, e.g. --label ci-run=1234 (repeatable; find runs with -l)
    #[arg(long = "label", value_name = "KEY=VALUE", help_heading = "Run policy")]
    pub labels: Vec<String>,

    /// Add an annotation to the workflow, e.g. --annotation owner=alice (repeatable)
    #[arg(
        long = "annotation",
        value_name = "KEY=VALUE",
        help_heading = "Run policy"
    )]
    pub annotations: Vec<String>,

    /// Run CMD with /bin/sh -c after the pipeline, whatever its outcome; $WORKFLOW_STATUS says
    /// which (Succeeded, Failed or Error)
    #[arg(long = "on-exit", value_name = "CMD", help_heading = "Run policy")]
    pub on_exit: Option<String>,

    /// Retry a failed step up to N times, waiting 10s, 20s, 40s, ... in between
    #[arg(long, value_name = "N", help_heading = "Run policy")]
    pub retries: Option<u32>,

    /// A step still running after DURATION fails (e.g. 30m, 2h; each retry gets its own)
    #[arg(long = "step-timeout", value_name = "DURATION", value_parser = parse_duration, help_heading = "Run policy")]
    pub step_timeout: Option<Duration>,

    /// The whole pipeline fails when still running after DURATION (e.g. 12h)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help_heading = "Run policy")]
    pub deadline: Option<Duration>,

    /// Delete a succeeded workflow (and its pods) this long after it ends [default: 1d]
    #[arg(long = "keep-succeeded", value_name = "DURATION", value_parser = parse_duration, help_heading = "Run policy")]
    pub keep_succeeded: Option<Duration>,

    /// Delete a failed workflow (and its pods, with their logs) this long after it ends [default: 7d]
    #[arg(long = "keep-failed", value_name = "DURATION", value_parser = parse_duration, help_heading = "Run policy")]
    pub keep_failed: Option<Duration>,

    /// Make a CronWorkflow that runs on this cron schedule, e.g. "0 3 * * *"
    #[arg(long, value_name = "CRON", help_heading = "Schedule")]
    pub schedule: Option<String>,

    /// Time zone of the schedule, e.g. Europe/Berlin [default: the controller's]
    #[arg(long, value_name = "TZ", help_heading = "Schedule")]
    pub timezone: Option<String>,

    /// Write the pre-3.6 singular `schedule` field instead of `schedules` (Argo older than v3.6)
    #[arg(long = "legacy-schedule", help_heading = "Schedule")]
    pub legacy_schedule: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Yaml,
    Json,
    /// kind/name, as kubectl prints it (with --submit)
    Name,
    /// the pipeline's DAG as a Mermaid flowchart (JupyterLab renders it in Markdown cells)
    Mermaid,
    /// the pipeline's DAG in Graphviz's DOT language (`dot -Tsvg`)
    Dot,
}

impl OutputFormat {
    /// A picture of the pipeline rather than the manifest.
    pub fn is_graph(self) -> bool {
        matches!(self, OutputFormat::Mermaid | OutputFormat::Dot)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DryRun {
    None,
    Server,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Write a commented starter config file (JupyterFlow's --generate-config)
    #[arg(long, alias = "generate-config")]
    pub init: bool,

    /// With --init: overwrite an existing file
    #[arg(long, requires = "init")]
    pub force: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn command_and_file_are_mutually_exclusive_and_one_is_required() {
        assert!(Cli::try_parse_from(["x", "render", "--pod-file", "p"]).is_err());
        assert!(Cli::try_parse_from(["x", "render", "-c", "a", "-f", "b"]).is_err());
        assert!(Cli::try_parse_from(["x", "render", "-c", "a"]).is_ok());
    }

    #[test]
    fn durations_read_like_timeout_and_kubectl() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("0.25"), Ok(Duration::from_millis(250)));
        for bad in ["", "s", "10x", "1h30", "-5s", "abc", "1..5s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(parse_duration("0s").unwrap_err().contains("more than 0"));
    }

    #[test]
    fn wait_needs_submit_and_its_timeout_needs_wait() {
        assert!(Cli::try_parse_from(["x", "render", "-c", "a", "--wait"]).is_err());
        assert!(Cli::try_parse_from([
            "x",
            "render",
            "-c",
            "a",
            "--submit",
            "--wait-timeout",
            "1m"
        ])
        .is_err());
        assert!(Cli::try_parse_from([
            "x",
            "render",
            "-c",
            "a",
            "--submit",
            "--wait",
            "--wait-timeout",
            "1m"
        ])
        .is_ok());
        assert!(Cli::try_parse_from(["x", "wait", "-", "--timeout", "10m"]).is_ok());
    }

    #[test]
    fn dry_run_needs_submit() {
        assert!(Cli::try_parse_from(["x", "render", "-c", "a", "--dry-run", "server"]).is_err());
    }
}
