//! The run policy (retries, timeouts, clean-up, parallelism, labels, the exit handler) as each
//! source gives it, and how the sources stack: a flag wins over the workflow file's key, which
//! wins over the config file's, which wins over the built-in default (`render::run_policy`
//! holds the defaults and writes the chosen policy into the workflow). A job's own `retries:`
//! and `timeout:` win over all of these for that job only (`pipeline::StepOverrides`).
//!
//! Each source's values are checked where they enter, with the same rules: the ones below.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{bail, Result};

use crate::checks::kube_names;

/// The run policy one source gives; `None` (or empty) where it says nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunPolicy {
    pub retries: Option<u32>,
    pub step_timeout: Option<Duration>,
    pub deadline: Option<Duration>,
    pub keep_succeeded: Option<Duration>,
    pub keep_failed: Option<Duration>,
    /// At most this many pods of the workflow at once.
    pub parallelism: Option<u32>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// A command run after the pipeline, whatever its outcome.
    pub on_exit: Option<String>,
}

/// Where a value came from, for `--explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Flag,
    WorkflowFile,
    ConfigFile,
}

/// One setting of the run policy, named as each source spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Retries,
    StepTimeout,
    Deadline,
    KeepSucceeded,
    KeepFailed,
    Parallelism,
    Labels,
    Annotations,
    OnExit,
}

impl Key {
    /// (flag, workflow file key, config file key)
    fn spellings(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Key::Retries => ("--retries", "retries", "retries"),
            Key::StepTimeout => ("--step-timeout", "step_timeout", "stepTimeout"),
            Key::Deadline => ("--deadline", "deadline", "deadline"),
            Key::KeepSucceeded => ("--keep-succeeded", "keep_succeeded", "keepSucceeded"),
            Key::KeepFailed => ("--keep-failed", "keep_failed", "keepFailed"),
            Key::Parallelism => ("--parallelism", "parallelism", "parallelism"),
            Key::Labels => ("--label", "labels", "labels"),
            Key::Annotations => ("--annotation", "annotations", "annotations"),
            Key::OnExit => ("--on-exit", "on_exit", "onExit"),
        }
    }

    /// The flag's name, as `--explain` says where a built-in default can be changed.
    pub fn flag(self) -> &'static str {
        self.spellings().0
    }

    /// The workflow file's key.
    pub fn file_key(self) -> &'static str {
        self.spellings().1
    }

    /// The config file's key (camelCase under `spec:`, as JupyterFlow's keys).
    pub fn config_key(self) -> &'static str {
        self.spellings().2
    }
}

impl Source {
    /// `--retries`, `workflow file retries`, `config file retries`.
    pub fn describe(self, key: Key) -> String {
        match self {
            Source::Flag => key.flag().to_string(),
            Source::WorkflowFile => format!("workflow file {}", key.file_key()),
            Source::ConfigFile => format!("config file {}", key.config_key()),
        }
    }
}

/// A value and the source that gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Chosen<T> {
    pub value: T,
    pub source: Source,
}

impl<T> Chosen<T> {
    /// Where it came from, as `--explain` says it: `--retries`, `workflow file retries`, ...
    pub fn origin(&self, key: Key) -> String {
        self.source.describe(key)
    }
}

/// The run policy each value of which is taken from the strongest source that gives it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChosenPolicy {
    pub retries: Option<Chosen<u32>>,
    pub step_timeout: Option<Chosen<Duration>>,
    pub deadline: Option<Chosen<Duration>>,
    pub keep_succeeded: Option<Chosen<Duration>>,
    pub keep_failed: Option<Chosen<Duration>>,
    pub parallelism: Option<Chosen<u32>>,
    /// Merged key by key: a flag's label replaces the file's of the same key, and so on.
    pub labels: BTreeMap<String, Chosen<String>>,
    pub annotations: BTreeMap<String, Chosen<String>>,
    pub on_exit: Option<Chosen<String>>,
}

/// The sources known before the pipeline is read: the flags and the config file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicySources {
    pub flags: RunPolicy,
    pub config_file: RunPolicy,
}

impl PolicySources {
    /// Each value from the strongest source: flag > workflow file > config file.
    pub fn choose(&self, workflow_file: &RunPolicy) -> ChosenPolicy {
        let layers = [
            (&self.flags, Source::Flag),
            (workflow_file, Source::WorkflowFile),
            (&self.config_file, Source::ConfigFile),
        ];
        fn first<T: Clone>(
            layers: &[(&RunPolicy, Source); 3],
            field: impl Fn(&RunPolicy) -> &Option<T>,
        ) -> Option<Chosen<T>> {
            layers.iter().find_map(|(policy, source)| {
                field(policy).clone().map(|value| Chosen {
                    value,
                    source: *source,
                })
            })
        }
        fn merged(
            layers: &[(&RunPolicy, Source); 3],
            field: impl Fn(&RunPolicy) -> &BTreeMap<String, String>,
        ) -> BTreeMap<String, Chosen<String>> {
            let mut merged = BTreeMap::new();
            // Weakest first, so that a stronger source's entry replaces it.
            for (policy, source) in layers.iter().rev() {
                for (key, value) in field(policy) {
                    let value = value.clone();
                    let source = *source;
                    merged.insert(key.clone(), Chosen { value, source });
                }
            }
            merged
        }
        ChosenPolicy {
            retries: first(&layers, |p| &p.retries),
            step_timeout: first(&layers, |p| &p.step_timeout),
            deadline: first(&layers, |p| &p.deadline),
            keep_succeeded: first(&layers, |p| &p.keep_succeeded),
            keep_failed: first(&layers, |p| &p.keep_failed),
            parallelism: first(&layers, |p| &p.parallelism),
            labels: merged(&layers, |p| &p.labels),
            annotations: merged(&layers, |p| &p.annotations),
            on_exit: first(&layers, |p| &p.on_exit),
        }
    }
}

/// A number of retries as a file writes it: a whole number, 0 or more.
pub fn parse_retries(text: &str) -> Result<u32, String> {
    text.trim().parse::<u32>().map_err(|_| {
        format!("{text:?} is not a number of retries; write a whole number, 0 or more, e.g. 2")
    })
}

/// A limit on the pods running at once as a file writes it: a whole number, 1 or more.
pub fn parse_parallelism(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(limit) if limit > 0 => Ok(limit),
        _ => Err(format!(
            "{text:?} is not a number of pods; write a whole number, 1 or more, e.g. 4"
        )),
    }
}

/// Labels as the API server checks them; `what` names where they come from in messages.
pub fn check_labels(labels: &BTreeMap<String, String>, what: &str) -> Result<()> {
    for (key, value) in labels {
        kube_names::check_label(key, value, what)?;
    }
    Ok(())
}

/// Annotation keys as the API server checks them (values may be any text).
pub fn check_annotations(annotations: &BTreeMap<String, String>, what: &str) -> Result<()> {
    for key in annotations.keys() {
        if let Some(problem) = kube_names::qualified_name_problem(key) {
            bail!(
                "invalid {what} key {key:?}: {problem} (an annotation key is [prefix/]name, \
                 e.g. owner or example.com/ticket)"
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(retries: Option<u32>, label: Option<(&str, &str)>) -> RunPolicy {
        RunPolicy {
            retries,
            labels: label
                .map(|(k, v)| BTreeMap::from([(k.to_string(), v.to_string())]))
                .unwrap_or_default(),
            ..RunPolicy::default()
        }
    }

    #[test]
    fn a_flag_wins_over_the_workflow_file_which_wins_over_the_config_file() {
        let sources = PolicySources {
            flags: policy(Some(1), None),
            config_file: RunPolicy {
                retries: Some(3),
                deadline: Some(Duration::from_secs(60)),
                step_timeout: Some(Duration::from_secs(5)),
                ..RunPolicy::default()
            },
        };
        let file = RunPolicy {
            retries: Some(2),
            step_timeout: Some(Duration::from_secs(9)),
            ..RunPolicy::default()
        };
        let chosen = sources.choose(&file);
        let retries = chosen.retries.unwrap();
        assert_eq!((retries.value, retries.source), (1, Source::Flag));
        let timeout = chosen.step_timeout.unwrap();
        assert_eq!(
            (timeout.value.as_secs(), timeout.source),
            (9, Source::WorkflowFile)
        );
        let deadline = chosen.deadline.unwrap();
        assert_eq!(
            (deadline.value.as_secs(), deadline.source),
            (60, Source::ConfigFile)
        );
        assert_eq!(chosen.keep_failed, None);
    }

    #[test]
    fn labels_merge_key_by_key_with_the_strongest_source_last() {
        let mut config_file = policy(None, Some(("team", "ml")));
        config_file.labels.insert("ci-run".into(), "0".into());
        let sources = PolicySources {
            flags: policy(None, Some(("ci-run", "7"))),
            config_file,
        };
        let chosen = sources.choose(&policy(None, Some(("team", "vision"))));
        let labels: Vec<(&str, &str, Source)> = chosen
            .labels
            .iter()
            .map(|(k, c)| (k.as_str(), c.value.as_str(), c.source))
            .collect();
        assert_eq!(
            labels,
            [
                ("ci-run", "7", Source::Flag),
                ("team", "vision", Source::WorkflowFile)
            ]
        );
    }

    #[test]
    fn sources_are_named_as_each_spells_the_key() {
        assert_eq!(Source::Flag.describe(Key::StepTimeout), "--step-timeout");
        assert_eq!(
            Source::WorkflowFile.describe(Key::StepTimeout),
            "workflow file step_timeout"
        );
        assert_eq!(
            Source::ConfigFile.describe(Key::StepTimeout),
            "config file stepTimeout"
        );
    }

    #[test]
    fn retries_and_parallelism_are_whole_numbers() {
        assert_eq!(parse_retries("0"), Ok(0));
        assert_eq!(parse_retries(" 3 "), Ok(3));
        assert!(parse_retries("-1").unwrap_err().contains("0 or more"));
        assert!(parse_retries("1.5").is_err());
        assert!(parse_retries("two").is_err());
        assert_eq!(parse_parallelism("4"), Ok(4));
        assert!(parse_parallelism("0").unwrap_err().contains("1 or more"));
        assert!(parse_parallelism("-2").is_err());
    }

    #[test]
    fn labels_and_annotation_keys_are_checked_as_the_api_server_does() {
        let one = |k: &str, v: &str| BTreeMap::from([(k.to_string(), v.to_string())]);
        assert!(check_labels(&one("ci-run", "1234"), "labels").is_ok());
        let err = check_labels(&one("ci-run", "a b"), "workflow file labels").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid workflow file labels value \"a b\""),
            "{err}"
        );
        assert!(check_annotations(&one("owner", "any text: at all"), "annotations").is_ok());
        let err = check_annotations(&one("bad key", "x"), "--annotation").unwrap_err();
        assert!(
            err.to_string().starts_with("invalid --annotation key"),
            "{err}"
        );
    }
}
