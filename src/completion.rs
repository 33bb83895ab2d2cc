//! What is generated from the clap definition in `cli`: shell completion scripts, man pages,
//! the version line, and the `__complete` protocol that kubectl runs for plugins.
//!
//! `kubectl jupyterflow <TAB>` is completed by kubectl itself (1.26+): its completion calls
//! `kubectl __complete jupyterflow WORD...`, which runs `kubectl_complete-jupyterflow WORD...`
//! from PATH and passes on what it prints, in cobra's format: one candidate a line (optionally
//! `candidate<TAB>description`), then `:<directive>`. Our helper is a small script that runs
//! `kubectl-jupyterflow __complete WORD...`, answered here by walking the clap definition, so
//! the candidates can never drift from the real flags.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Arg, ArgAction, CommandFactory, ValueHint};
use clap_complete::Shell;

use crate::cli::{Cli, CompleteArgs, CompletionsArgs, ManArgs};
use crate::{client, output, source};

/// The binary's file name, as the static completion scripts and the man pages name it.
pub const BIN: &str = "kubectl-jupyterflow";

/// The longest a cluster look-up may take before completion gives up, silently: a <TAB> must
/// never hang a shell on an unreachable API server.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_millis(1500);

/// The static completion script for `shell`, completing the binary `kubectl-jupyterflow`.
pub fn script(shell: Shell) -> String {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut visible_command(), BIN, &mut buf);
    let script = String::from_utf8_lossy(&buf).into_owned();
    match shell {
        // clap_complete's bash script spells the state of a hyphenated binary two ways
        // (`kubectl__jupyterflow__subcmd__render` in the loop, `kubectl__subcmd__jupyterflow__...`
        // in the case arms), so nothing after a subcommand completes: clap-rs/clap#6421.
        Shell::Bash => script.replace("kubectl__subcmd__jupyterflow", "kubectl__jupyterflow"),
        _ => script,
    }
}

/// The clap definition without the hidden subcommands (`man`, `__complete`), which
/// clap_complete would otherwise offer. Only what the scripts use is carried over from the
/// root: its subcommands carry all the flags.
fn visible_command() -> clap::Command {
    let full = Cli::command();
    let root = clap::Command::new(BIN)
        .version(env!("CARGO_PKG_VERSION"))
        .propagate_version(true)
        .subcommand_required(true)
        .about(full.get_about().cloned().unwrap_or_default());
    full.get_subcommands()
        .filter(|sub| !sub.is_hide_set())
        .fold(root, |root, sub| root.subcommand(sub.clone()))
}

pub fn run_completions(args: &CompletionsArgs) -> Result<()> {
    output::write_stdout(&script(args.shell))
}

/// What `--version` prints, and `version` too.
pub fn version_line() -> String {
    format!("{BIN} {}\n", env!("CARGO_PKG_VERSION"))
}

pub fn run_version() -> Result<()> {
    output::write_stdout(&version_line())
}

/// The main man page, `kubectl-jupyterflow.1`, in roff.
pub fn man_page() -> Result<String> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut buf)
        .context("cannot render the man page")?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

pub fn run_man(args: &ManArgs) -> Result<()> {
    match &args.dir {
        None => output::write_stdout(&man_page()?),
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create folder {}", dir.display()))?;
            clap_mangen::generate_to(Cli::command(), dir)
                .with_context(|| format!("cannot write the man pages to {}", dir.display()))
        }
    }
}

// ---- the __complete protocol --------------------------------------------------------------

/// cobra's `ShellCompDirective` values that we use.
pub mod directive {
    /// Let the shell complete file names.
    pub const DEFAULT: u32 = 0;
    /// Do not fall back to file names when there is no candidate.
    pub const NO_FILE_COMP: u32 = 4;
    /// Complete directory names only.
    pub const FILTER_DIRS: u32 = 16;
}

/// One completion candidate, with the description zsh and fish show beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub value: String,
    pub description: Option<String>,
}

impl Candidate {
    fn new(value: impl Into<String>, description: Option<String>) -> Self {
        Candidate {
            value: value.into(),
            description,
        }
    }
}

/// Values that only the cluster (or a file) knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    Pods,
    /// The containers of `--pod-file`, else of `--pod` (default: `$HOSTNAME`).
    Containers,
    Namespaces,
    /// The contexts of the kubeconfig (no cluster access).
    Contexts,
}

/// A look-up of cluster values, with the flags already typed that say where to look.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lookup {
    pub resource: Option<Resource>,
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub namespace: Option<String>,
    pub pod: Option<String>,
    pub pod_file: Option<PathBuf>,
}

/// What to answer for the words typed so far: candidates known from the clap definition, or a
/// look-up to do first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub candidates: Vec<Candidate>,
    pub directive: u32,
    pub lookup: Option<Lookup>,
    /// The word being completed: candidates of a look-up are filtered by it.
    pub to_complete: String,
    /// Put before each looked-up candidate (`--pod=` when the word is `--pod=ju`).
    pub insert_prefix: String,
}

impl Plan {
    fn done(candidates: Vec<Candidate>, directive: u32) -> Self {
        Plan {
            candidates,
            directive,
            lookup: None,
            to_complete: String::new(),
            insert_prefix: String::new(),
        }
    }
}

/// Plans the completion of `words`, the words after `kubectl jupyterflow`; the last one is the
/// word under the cursor (possibly empty). Pure: no I/O.
pub fn plan(words: &[String]) -> Plan {
    let mut root = Cli::command();
    root.build();
    let (to_complete, typed) = match words.split_last() {
        Some((last, typed)) => (last.as_str(), typed),
        None => ("", &[][..]),
    };

    let mut cmd = &root;
    let mut seen: Vec<&str> = Vec::new(); // ids of the flags already given to `cmd`
    let mut positionals = 0usize;
    let mut pending: Option<&Arg> = None; // a flag whose value is the next word
    let mut only_positionals = false; // after `--`
    let mut lookup = Lookup::default();

    for word in typed {
        if let Some(arg) = pending.take() {
            remember(&mut lookup, arg, word);
            continue;
        }
        if only_positionals {
            positionals += 1;
            continue;
        }
        if word == "--" {
            only_positionals = true;
        } else if let Some(long) = word.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (long, None),
            };
            if let Some(arg) = find_long(cmd, name) {
                seen.push(arg.get_id().as_str());
                match inline {
                    Some(value) => remember(&mut lookup, arg, value),
                    None if arg.get_action().takes_values() => pending = Some(arg),
                    None => {}
                }
            }
        } else if word.len() > 1 && word.starts_with('-') {
            // A cluster of short flags (`-it`), the last one possibly with its value (`-njhub`).
            for (at, short) in word.char_indices().skip(1) {
                let Some(arg) = cmd.get_arguments().find(|a| a.get_short() == Some(short)) else {
                    break;
                };
                seen.push(arg.get_id().as_str());
                if arg.get_action().takes_values() {
                    let rest = &word[at + short.len_utf8()..];
                    if rest.is_empty() {
                        pending = Some(arg);
                    } else {
                        remember(&mut lookup, arg, rest.trim_start_matches('='));
                    }
                    break;
                }
            }
        } else if let Some(sub) = (positionals == 0)
            .then(|| cmd.find_subcommand(word))
            .flatten()
        {
            cmd = sub;
            seen.clear();
        } else {
            positionals += 1;
        }
    }

    if let Some(arg) = pending {
        return complete_value(arg, to_complete, "", lookup);
    }
    if let Some(long) = to_complete.strip_prefix("--") {
        if let Some((name, value)) = long.split_once('=') {
            return match find_long(cmd, name) {
                Some(arg) if arg.get_action().takes_values() => {
                    complete_value(arg, value, &format!("--{name}="), lookup)
                }
                _ => Plan::done(Vec::new(), directive::NO_FILE_COMP),
            };
        }
    }
    let only_flags_left =
        !only_positionals && to_complete.is_empty() && takes_only_flags(cmd, positionals);
    if (to_complete.starts_with('-') && !only_positionals) || only_flags_left {
        return Plan::done(flags(cmd, &seen, to_complete), directive::NO_FILE_COMP);
    }
    if positionals == 0 && cmd.has_subcommands() {
        let names = cmd
            .get_subcommands()
            .filter(|sub| !sub.is_hide_set() && sub.get_name().starts_with(to_complete))
            .map(|sub| {
                Candidate::new(
                    sub.get_name(),
                    first_line(sub.get_about().map(|a| a.to_string())),
                )
            })
            .collect();
        return Plan::done(names, directive::NO_FILE_COMP);
    }
    let positional = cmd
        .get_positionals()
        .filter(|a| !a.is_hide_set())
        .nth(positionals);
    match positional {
        Some(arg) => complete_value(arg, to_complete, "", lookup),
        None => Plan::done(Vec::new(), directive::NO_FILE_COMP),
    }
}

/// `render` takes no positional words: an empty word is best answered with its flags.
fn takes_only_flags(cmd: &clap::Command, positionals: usize) -> bool {
    !cmd.has_subcommands()
        && cmd
            .get_positionals()
            .filter(|a| !a.is_hide_set())
            .nth(positionals)
            .is_none()
}

fn find_long<'a>(cmd: &'a clap::Command, name: &str) -> Option<&'a Arg> {
    cmd.get_arguments().find(|arg| {
        arg.get_long() == Some(name)
            || arg
                .get_all_aliases()
                .is_some_and(|aliases| aliases.contains(&name))
    })
}

/// Keeps the values of the flags that say where a look-up should look.
fn remember(lookup: &mut Lookup, arg: &Arg, value: &str) {
    let value = value.to_string();
    match arg.get_id().as_str() {
        "kubeconfig" => lookup.kubeconfig = Some(PathBuf::from(value)),
        "context" => lookup.context = Some(value),
        "namespace" => lookup.namespace = Some(value),
        "pod" => lookup.pod = Some(value),
        "pod_file" => lookup.pod_file = Some(PathBuf::from(value)),
        _ => {}
    }
}

fn first_line(text: Option<String>) -> Option<String> {
    text.and_then(|t| {
        t.lines()
            .next()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
    })
}

/// The flags of `cmd` that start with `to_complete`, except those already given once (as
/// cobra does); short forms only when just `-` is typed.
fn flags(cmd: &clap::Command, seen: &[&str], to_complete: &str) -> Vec<Candidate> {
    let mut candidates = Vec::new();
    for arg in cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_positional())
    {
        let repeatable = matches!(arg.get_action(), ArgAction::Append | ArgAction::Count);
        if seen.contains(&arg.get_id().as_str()) && !repeatable {
            continue;
        }
        let description = first_line(arg.get_help().map(|h| h.to_string()));
        if let Some(long) = arg.get_long().map(|l| format!("--{l}")) {
            if long.starts_with(to_complete) {
                candidates.push(Candidate::new(long, description.clone()));
            }
        }
        if let Some(short) = arg.get_short().map(|s| format!("-{s}")) {
            if to_complete == "-" || short == to_complete {
                candidates.push(Candidate::new(short, description));
            }
        }
    }
    candidates
}

/// The values of `arg`: its possible values, a look-up, or file names per its value hint.
fn complete_value(arg: &Arg, to_complete: &str, insert_prefix: &str, mut lookup: Lookup) -> Plan {
    let possible = arg.get_possible_values();
    if !possible.is_empty() {
        let candidates = possible
            .iter()
            .filter(|v| !v.is_hide_set() && v.get_name().starts_with(to_complete))
            .map(|v| {
                Candidate::new(
                    format!("{insert_prefix}{}", v.get_name()),
                    first_line(v.get_help().map(|h| h.to_string())),
                )
            })
            .collect();
        return Plan::done(candidates, directive::NO_FILE_COMP);
    }
    lookup.resource = match arg.get_id().as_str() {
        "pod" => Some(Resource::Pods),
        "container" => Some(Resource::Containers),
        "namespace" => Some(Resource::Namespaces),
        "context" => Some(Resource::Contexts),
        _ => None,
    };
    if lookup.resource.is_some() {
        return Plan {
            candidates: Vec::new(),
            directive: directive::NO_FILE_COMP,
            lookup: Some(lookup),
            to_complete: to_complete.to_string(),
            insert_prefix: insert_prefix.to_string(),
        };
    }
    let directive = match arg.get_value_hint() {
        ValueHint::FilePath | ValueHint::AnyPath => directive::DEFAULT,
        ValueHint::DirPath => directive::FILTER_DIRS,
        _ => directive::NO_FILE_COMP,
    };
    Plan::done(Vec::new(), directive)
}

/// Cobra's output: one candidate a line (`value<TAB>description`), then `:<directive>`.
pub fn format(candidates: &[Candidate], directive: u32) -> String {
    let mut text = String::new();
    for candidate in candidates {
        text.push_str(&candidate.value);
        if let Some(description) = &candidate.description {
            text.push('\t');
            text.push_str(description);
        }
        text.push('\n');
    }
    text.push_str(&format!(":{directive}\n"));
    text
}

/// Answers kubectl's completion request. Never fails and never writes to stderr: a broken
/// completion must not spill errors into the user's prompt.
pub fn run_complete(args: &CompleteArgs) -> Result<()> {
    let plan = plan(&args.words);
    let mut candidates = plan.candidates;
    if let Some(lookup) = &plan.lookup {
        candidates.extend(
            look_up(lookup)
                .into_iter()
                .filter(|c| c.value.starts_with(&plan.to_complete))
                .map(|c| {
                    Candidate::new(format!("{}{}", plan.insert_prefix, c.value), c.description)
                }),
        );
    }
    let _ = output::write_stdout(&format(&candidates, plan.directive));
    Ok(())
}

/// Runs a look-up: offline ones (contexts, containers of `--pod-file`) directly; cluster ones
/// only when there are credentials, within `LOOKUP_TIMEOUT`. Any failure gives no candidates.
pub fn look_up(lookup: &Lookup) -> Vec<Candidate> {
    match (&lookup.resource, &lookup.pod_file) {
        (Some(Resource::Contexts), _) => contexts(lookup.kubeconfig.as_deref()),
        (Some(Resource::Containers), Some(path)) if path != Path::new("-") => {
            source::read_pod_file(path)
                .map(|pod| containers(&pod))
                .unwrap_or_default()
        }
        (Some(Resource::Containers), Some(_)) | (None, _) => Vec::new(),
        (Some(_), _) if !has_credentials(lookup) => Vec::new(),
        (Some(_), _) => {
            let lookup = lookup.clone();
            within(LOOKUP_TIMEOUT, move || look_up_in_cluster(&lookup))
        }
    }
}

/// A kubeconfig (flag, `$KUBECONFIG`, `~/.kube/config`) or a pod's service-account token: the
/// same sources `client::connect` tries, checked without any network access.
fn has_credentials(lookup: &Lookup) -> bool {
    let non_empty = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let kubeconfig = lookup.kubeconfig.is_some()
        || non_empty("KUBECONFIG")
        || std::env::var_os("HOME")
            .is_some_and(|home| Path::new(&home).join(".kube/config").is_file());
    let service_account_dir = std::env::var_os(client::SERVICE_ACCOUNT_DIR_ENV)
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(client::SERVICE_ACCOUNT_DIR));
    kubeconfig
        || (non_empty("KUBERNETES_SERVICE_HOST") && service_account_dir.join("token").is_file())
}

/// Runs `work` on its own thread and gives up after `limit`. A thread stuck on the network (or
/// on an exec credential plugin) is left behind: the process exits right after printing.
fn within<F>(limit: Duration, work: F) -> Vec<Candidate>
where
    F: FnOnce() -> Vec<Candidate> + Send + 'static,
{
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(work());
    });
    receiver.recv_timeout(limit).unwrap_or_default()
}

fn look_up_in_cluster(lookup: &Lookup) -> Vec<Candidate> {
    use k8s_openapi::api::core::v1::{Namespace, Pod};
    use kube::api::{Api, ListParams};

    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return Vec::new();
    };
    runtime.block_on(async {
        let options = client::ClientOptions {
            kubeconfig: lookup.kubeconfig.clone(),
            context: lookup.context.clone(),
            namespace: lookup.namespace.clone(),
        };
        let Ok(connection) = client::connect(&options).await else {
            return Vec::new();
        };
        let list = ListParams::default().limit(500);
        match lookup.resource {
            Some(Resource::Pods) => {
                Api::<Pod>::namespaced(connection.client, &connection.namespace)
                    .list_metadata(&list)
                    .await
                    .map(|list| names(list.items.into_iter().map(|item| item.metadata)))
                    .unwrap_or_default()
            }
            Some(Resource::Namespaces) => Api::<Namespace>::all(connection.client)
                .list_metadata(&list)
                .await
                .map(|list| names(list.items.into_iter().map(|item| item.metadata)))
                .unwrap_or_default(),
            Some(Resource::Containers) => {
                let pod_name = lookup
                    .pod
                    .clone()
                    .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()));
                let Some(pod_name) = pod_name else {
                    return Vec::new();
                };
                Api::<Pod>::namespaced(connection.client, &connection.namespace)
                    .get(&pod_name)
                    .await
                    .map(|pod| containers(&pod))
                    .unwrap_or_default()
            }
            Some(Resource::Contexts) | None => Vec::new(),
        }
    })
}

/// Sorted object names, without descriptions.
fn names(
    metadata: impl Iterator<Item = k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta>,
) -> Vec<Candidate> {
    let mut names: Vec<String> = metadata.filter_map(|meta| meta.name).collect();
    names.sort();
    names
        .into_iter()
        .map(|name| Candidate::new(name, None))
        .collect()
}

/// The containers of a pod, with their image as the description.
fn containers(pod: &k8s_openapi::api::core::v1::Pod) -> Vec<Candidate> {
    pod.spec
        .iter()
        .flat_map(|spec| spec.containers.iter())
        .map(|c| Candidate::new(c.name.clone(), c.image.clone()))
        .collect()
}

/// The context names of the kubeconfig (`--kubeconfig`, else `$KUBECONFIG`/`~/.kube/config`).
fn contexts(kubeconfig: Option<&Path>) -> Vec<Candidate> {
    let config = match kubeconfig {
        Some(path) => kube::config::Kubeconfig::read_from(path),
        None => kube::config::Kubeconfig::read(),
    };
    let Ok(config) = config else {
        return Vec::new();
    };
    let description = |context: &kube::config::NamedContext| {
        context
            .context
            .as_ref()
            .map(|c| format!("cluster {}", c.cluster))
            .filter(|d| d != "cluster ")
    };
    config
        .contexts
        .iter()
        .map(|c| Candidate::new(c.name.clone(), description(c)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let mut words: Vec<String> = text.split_whitespace().map(String::from).collect();
        if text.ends_with(' ') || text.is_empty() {
            words.push(String::new());
        }
        words
    }

    fn values(plan: &Plan) -> Vec<&str> {
        plan.candidates.iter().map(|c| c.value.as_str()).collect()
    }

    #[test]
    fn subcommands_are_offered_first_without_hidden_ones() {
        let plan = plan(&words(""));
        assert_eq!(
            values(&plan),
            ["render", "config", "completions", "version", "help"]
        );
        assert_eq!(plan.directive, directive::NO_FILE_COMP);
        assert!(plan.candidates[0]
            .description
            .as_deref()
            .unwrap()
            .contains("Argo Workflow"));
        assert_eq!(values(&super::plan(&words("re"))), ["render"]);
        assert_eq!(values(&super::plan(&words("c"))), ["config", "completions"]);
    }

    #[test]
    fn render_offers_its_flags_and_skips_those_given() {
        let plan = plan(&words("render "));
        let flags = values(&plan);
        assert!(
            flags.contains(&"--pod-file") && flags.contains(&"--command"),
            "{flags:?}"
        );
        assert!(
            !flags.iter().any(|f| !f.starts_with("--")),
            "short forms only after `-`: {flags:?}"
        );

        let plan = super::plan(&words("render --pod-file p.yaml --submit --"));
        let flags = values(&plan);
        assert!(
            !flags.contains(&"--pod-file") && !flags.contains(&"--submit"),
            "{flags:?}"
        );
        assert!(flags.contains(&"--dry-run"));

        let plan = super::plan(&words("render -e A=1 --env"));
        assert_eq!(values(&plan), ["--env"], "repeatable flags stay");
        assert!(values(&super::plan(&words("render -"))).contains(&"-n"));
    }

    #[test]
    fn enum_values_are_completed_also_after_equals() {
        assert_eq!(
            values(&plan(&words("render -o "))),
            ["yaml", "json", "name"]
        );
        assert_eq!(
            values(&plan(&words("render --output=j"))),
            ["--output=json"]
        );
        assert_eq!(values(&plan(&words("render --dry-run s"))), ["server"]);
        assert_eq!(values(&plan(&words("completions f"))), ["fish"]);
    }

    #[test]
    fn paths_complete_files_or_folders_and_free_text_nothing() {
        assert_eq!(
            plan(&words("render --pod-file ")).directive,
            directive::DEFAULT
        );
        assert_eq!(plan(&words("render -f ")).directive, directive::DEFAULT);
        assert_eq!(
            plan(&words("render --workdir ")).directive,
            directive::FILTER_DIRS
        );
        let plan = plan(&words("render -c "));
        assert!(plan.candidates.is_empty() && plan.lookup.is_none());
        assert_eq!(plan.directive, directive::NO_FILE_COMP);
    }

    #[test]
    fn cluster_values_are_looked_up_where_the_flags_say() {
        let plan = plan(&words(
            "render -n jhub --context=prod --kubeconfig /k --pod ju",
        ));
        let lookup = plan.lookup.expect("a look-up");
        assert_eq!(lookup.resource, Some(Resource::Pods));
        assert_eq!(lookup.namespace.as_deref(), Some("jhub"));
        assert_eq!(lookup.context.as_deref(), Some("prod"));
        assert_eq!(lookup.kubeconfig.as_deref(), Some(Path::new("/k")));
        assert_eq!(plan.to_complete, "ju");

        let plan = super::plan(&words("render --pod-file p.yaml --container="));
        assert_eq!(plan.insert_prefix, "--container=");
        let lookup = plan.lookup.unwrap();
        assert_eq!(
            (lookup.resource, lookup.pod_file),
            (Some(Resource::Containers), Some(PathBuf::from("p.yaml")))
        );
        assert_eq!(
            super::plan(&words("render -njh")).lookup,
            None,
            "`-njh` is a whole word: no look-up"
        );
        assert_eq!(
            super::plan(&words("render -njhub --pod "))
                .lookup
                .unwrap()
                .namespace
                .as_deref(),
            Some("jhub")
        );
    }

    #[test]
    fn help_completes_subcommand_names() {
        assert_eq!(values(&plan(&words("help r"))), ["render"]);
    }

    #[test]
    fn format_is_cobras() {
        let candidates = [
            Candidate::new("a", Some("first".into())),
            Candidate::new("b", None),
        ];
        assert_eq!(format(&candidates, 4), "a\tfirst\nb\n:4\n");
        assert_eq!(format(&[], 0), ":0\n");
    }

    #[test]
    fn containers_come_from_the_pod_file() {
        let dir = std::env::temp_dir().join(format!("jf-complete-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("pod.yaml");
        std::fs::write(&path, "kind: Pod\nspec:\n  containers:\n  - {name: notebook, image: nb:1}\n  - {name: sidecar}\n")
            .unwrap();
        let lookup = Lookup {
            resource: Some(Resource::Containers),
            pod_file: Some(path),
            ..Lookup::default()
        };
        let found = look_up(&lookup);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            found,
            [
                Candidate::new("notebook", Some("nb:1".into())),
                Candidate::new("sidecar", None)
            ]
        );
    }

    #[test]
    fn a_slow_look_up_is_abandoned_in_time() {
        let started = std::time::Instant::now();
        let found = within(Duration::from_millis(100), || {
            std::thread::sleep(Duration::from_secs(5));
            vec![Candidate::new("late", None)]
        });
        assert!(found.is_empty());
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
