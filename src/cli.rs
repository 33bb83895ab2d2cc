//! The command line, as clap derive structs. Nothing here does work: `lib.rs` dispatches.

use std::path::PathBuf;

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

  # Look at the workflow first, or hand it to the argo CLI
  kubectl jupyterflow render -c \"python train.py\" > wf.yaml
  kubectl jupyterflow render -c \"python train.py\" | argo submit -

  # A JupyterFlow workflow file (jobs, dags, schedule)
  kubectl jupyterflow render -f workflow.yaml --submit

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

    /// Output format: yaml or json [default: yaml]; with --submit also name [default: "<kind>/<name> created"]
    #[arg(short = 'o', long = "output", value_enum, help_heading = "Output")]
    pub output: Option<OutputFormat>,

    /// Explain on stderr, one line per field, what was copied from the pod, dropped or overridden
    #[arg(long, help_heading = "Output")]
    pub explain: bool,

    /// Create the workflow in the cluster instead of printing it
    #[arg(long, help_heading = "Output")]
    pub submit: bool,

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
    /// The steps to run, e.g. "python a.py >> [python b.py, python c.py] >> python d.py"
    #[arg(short = 'c', long = "command", value_name = "EXPR")]
    pub command: Option<String>,

    /// A JupyterFlow workflow file (jobs, dags, cmd_mode, schedule); "-" reads stdin
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
    fn dry_run_needs_submit() {
        assert!(Cli::try_parse_from(["x", "render", "-c", "a", "--dry-run", "server"]).is_err());
    }
}
