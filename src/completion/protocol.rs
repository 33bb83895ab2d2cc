//! The `__complete` protocol kubectl runs for plugins, answered by walking the clap definition.
//! Pure: it plans what to answer (candidates, or a cluster look-up to do first) and formats the
//! answer; `lookup` does the I/O.
//!
//! `kubectl jupyterflow <TAB>` is completed by kubectl itself (1.26+): its completion calls
//! `kubectl __complete jupyterflow WORD...`, which runs `kubectl_complete-jupyterflow WORD...`
//! from PATH and passes on what it prints, in cobra's format: one candidate a line (optionally
//! `candidate<TAB>description`), then `:<directive>`. Our helper is a small script that runs
//! `kubectl-jupyterflow __complete WORD...`.

use std::path::PathBuf;

use clap::{Arg, ArgAction, CommandFactory, ValueHint};

use crate::cli::Cli;

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
    pub fn new(value: impl Into<String>, description: Option<String>) -> Self {
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
            record_where_to_look(&mut lookup, arg, word);
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
                    Some(value) => record_where_to_look(&mut lookup, arg, value),
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
                        record_where_to_look(&mut lookup, arg, rest.trim_start_matches('='));
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

/// Keeps the value of a flag that says where a look-up should look (kubeconfig, context,
/// namespace, pod, pod file); other flags are ignored.
fn record_where_to_look(lookup: &mut Lookup, arg: &Arg, value: &str) {
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

#[cfg(test)]
mod tests {
    use std::path::Path;

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
            ["render", "wait", "config", "completions", "version", "help"]
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
            ["yaml", "json", "name", "mermaid", "dot"]
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
}
