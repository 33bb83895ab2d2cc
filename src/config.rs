//! The config file (`$HOME/.jupyterflow.yaml` or `$JUPYTERFLOW_CONFIG_FILE`), in JupyterFlow's
//! format, and the merge of flags > config file that `render` works from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use k8s_openapi::api::core::v1::{
    EnvVar, LocalObjectReference, ResourceRequirements, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use serde::{Deserialize, Serialize};

use crate::checks::{kube_names, resources, schedule};
use crate::cli::{parse_duration, OverrideArgs};
use crate::run_policy::{self, Key, PolicySources, RunPolicy};
use crate::yaml;

pub const CONFIG_ENV: &str = "JUPYTERFLOW_CONFIG_FILE";

/// The whole file: JupyterFlow keeps its settings under `spec:`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub spec: ConfigSpec,
}

/// JupyterFlow's `spec:` keys. Scalars override the pod's values; `env`, `volumes` and
/// `volumeMounts` are added to the pod's (an entry with the same name replaces the pod's).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_secrets: Option<Vec<LocalObjectReference>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_user: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_group: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volume_mounts: Vec<VolumeMount>,
    /// Our own keys: run-policy defaults for every workflow (flags and a workflow file's keys
    /// win over them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_timeout: Option<DurationText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DurationText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_succeeded: Option<DurationText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_failed: Option<DurationText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<u32>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_exit: Option<String>,
}

/// A duration as written in the config file (`30m`, `1h30m`, or a number of seconds), kept as
/// text so that `config` shows it as written; checked in [`Settings::merge`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct DurationText(pub String);

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged, expecting = "a duration, e.g. 30m, 1h30m or 2d")]
        enum Written {
            Text(String),
            Seconds(u64),
            Fraction(f64),
        }
        Ok(DurationText(match Written::deserialize(deserializer)? {
            Written::Text(text) => text,
            Written::Seconds(seconds) => seconds.to_string(),
            Written::Fraction(seconds) => seconds.to_string(),
        }))
    }
}

/// Where the config file is, and whether it was named explicitly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigPath {
    pub path: PathBuf,
    /// Named by `$JUPYTERFLOW_CONFIG_FILE`: then it must exist; the default one is optional.
    pub from_env: bool,
}

/// Where the config file is: `$JUPYTERFLOW_CONFIG_FILE`, else `$HOME/.jupyterflow.yaml`.
pub fn config_path() -> Option<ConfigPath> {
    if let Some(path) = std::env::var_os(CONFIG_ENV).filter(|p| !p.is_empty()) {
        return Some(ConfigPath {
            path: PathBuf::from(path),
            from_env: true,
        });
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|home| ConfigPath {
            path: Path::new(&home).join(".jupyterflow.yaml"),
            from_env: false,
        })
}

/// Reads the config file; a missing default file is an empty config, a broken one an error.
pub fn load(location: Option<&ConfigPath>) -> Result<ConfigSpec> {
    let Some(ConfigPath { path, from_env }) = location else {
        return Ok(ConfigSpec::default());
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            if *from_env {
                bail!(
                    "config file {} (from ${CONFIG_ENV}) does not exist; create it with \
                     `kubectl jupyterflow config --init` or unset ${CONFIG_ENV}",
                    path.display()
                );
            }
            return Ok(ConfigSpec::default());
        }
        Err(err) => {
            return Err(err).with_context(|| format!("cannot read config file {}", path.display()))
        }
    };
    parse(&text).with_context(|| format!("invalid config file {}", path.display()))
}

/// Parses config text; an empty or all-comment file is an empty config.
pub fn parse(text: &str) -> Result<ConfigSpec> {
    if text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#')
    }) {
        return Ok(ConfigSpec::default());
    }
    let file: Option<ConfigFile> = yaml::from_str(text)?;
    Ok(file.unwrap_or_default().spec)
}

/// A commented starter file: JupyterFlow's keys, all commented out.
pub const STARTER_FILE: &str = "\
# kubectl-jupyterflow settings (JupyterFlow's format). Everything is optional:
# command-line flags win over this file, and this file wins over the notebook pod.
# Uncomment what you want to set for every workflow you render.
spec:
#   image: jupyter/datascience-notebook:latest   # image of the steps (default: the notebook's)
#   imagePullPolicy: IfNotPresent
#   imagePullSecrets:
#   - name: registry-credentials
#   env:                                          # added to the notebook's environment
#   - name: CUSTOM_KEY
#     value: CUSTOM_VAL
#   - name: DB_PASSWORD                           # references stay references
#     valueFrom:
#       secretKeyRef: {name: db, key: password}
#   resources:                                    # per step (default: the notebook's CPU/memory)
#     requests: {cpu: 500m, memory: 1Gi}
#     limits: {cpu: \"1\", memory: 1Gi}
#   nodeSelector: {}
#   runAsUser: 1000
#   runAsGroup: 100
#   serviceAccountName: default
#   volumes:                                      # extra volumes for the steps
#   - name: nas001
#     persistentVolumeClaim:
#       claimName: nas001
#   volumeMounts:
#   - name: nas001
#     mountPath: /nas001
#   retries: 2                                    # run policy of every workflow: a workflow
#   stepTimeout: 30m                              # file's keys and the flags win over these
#   deadline: 12h
#   keepSucceeded: 1d
#   keepFailed: 7d
#   parallelism: 4
#   labels: {team: ml}
#   annotations: {owner: alice}
#   onExit: python notify.py \"$WORKFLOW_STATUS\"
";

/// A value with where it came from, for `--explain`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    pub value: T,
    pub origin: &'static str,
}

fn pick<T>(
    flag: Option<T>,
    flag_origin: &'static str,
    config: Option<T>,
    config_origin: &'static str,
) -> Option<Sourced<T>> {
    flag.map(|value| Sourced {
        value,
        origin: flag_origin,
    })
    .or_else(|| {
        config.map(|value| Sourced {
            value,
            origin: config_origin,
        })
    })
}

/// Everything `render` takes from outside the pod and the pipeline, merged flags > config file.
/// `None` means "keep the pod's".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    pub name: Option<String>,
    pub image: Option<Sourced<String>>,
    pub pin_image: bool,
    pub image_pull_policy: Option<Sourced<String>>,
    pub image_pull_secrets: Option<Sourced<Vec<LocalObjectReference>>>,
    pub service_account: Option<Sourced<String>>,
    pub run_as_user: Option<i64>,
    pub run_as_group: Option<i64>,
    /// Whole resources from the config file (replaces the pod's CPU/memory).
    pub resources: Option<ResourceRequirements>,
    pub cpu: Option<Quantity>,
    pub memory: Option<Quantity>,
    pub gpu: Option<u32>,
    /// Config file entries, then `--env` flags; later entries replace earlier ones by name.
    pub env: Vec<Sourced<EnvVar>>,
    pub node_selector: BTreeMap<String, Sourced<String>>,
    pub extra_volumes: Vec<Volume>,
    pub extra_volume_mounts: Vec<VolumeMount>,
    pub shell: bool,
    pub workdir: Option<String>,
    /// `-n`: the workflow's namespace, over the pod's.
    pub namespace: Option<String>,
    pub schedule: Option<String>,
    pub timezone: Option<String>,
    pub legacy_schedule: bool,
    /// `--retries`, `--step-timeout`, `--deadline`, `--keep-succeeded`, `--keep-failed`,
    /// `--parallelism`, `--label`, `--annotation`, `--on-exit`, and the config file's defaults
    /// for them; a workflow file's keys go between the two (see [`PolicySources::choose`]).
    pub run_policy: PolicySources,
}

impl Settings {
    pub fn merge(flags: &OverrideArgs, config: ConfigSpec) -> Result<Settings> {
        const CONFIG: &str = "config file";
        check_config_values(&config)?;
        let run_policy = PolicySources {
            flags: flag_run_policy(flags)?,
            config_file: config_run_policy(&config)?,
        };
        let mut env: Vec<Sourced<EnvVar>> = config
            .env
            .into_iter()
            .map(|value| Sourced {
                value,
                origin: CONFIG,
            })
            .collect();
        for pair in &flags.env {
            let (key, value) = split_key_value(pair, "--env")?;
            kube_names::check_env_name(key, "--env")?;
            env.push(Sourced {
                value: EnvVar {
                    name: key.to_string(),
                    value: Some(value.to_string()),
                    value_from: None,
                },
                origin: "--env flag",
            });
        }
        let mut node_selector: BTreeMap<String, Sourced<String>> = config
            .node_selector
            .unwrap_or_default()
            .into_iter()
            .map(|(k, value)| {
                (
                    k,
                    Sourced {
                        value,
                        origin: CONFIG,
                    },
                )
            })
            .collect();
        for pair in &flags.node_selector {
            let (key, value) = split_key_value(pair, "--node-selector")?;
            kube_names::check_label(key, value, "--node-selector")?;
            node_selector.insert(
                key.to_string(),
                Sourced {
                    value: value.to_string(),
                    origin: "--node-selector flag",
                },
            );
        }
        let cpu = flags
            .cpu
            .as_deref()
            .map(|q| resources::parse_quantity(q, "--cpu"))
            .transpose()?;
        let memory = flags
            .memory
            .as_deref()
            .map(|q| resources::parse_quantity(q, "--memory"))
            .transpose()?;
        check_flag_values(flags)?;
        Ok(Settings {
            name: flags.name.clone(),
            image: pick(flags.image.clone(), "--image flag", config.image, CONFIG),
            pin_image: flags.pin_image,
            image_pull_policy: pick(None, "", config.image_pull_policy, CONFIG),
            image_pull_secrets: pick(None, "", config.image_pull_secrets, CONFIG),
            service_account: pick(
                flags.service_account.clone(),
                "--service-account flag",
                config.service_account_name,
                CONFIG,
            ),
            run_as_user: config.run_as_user,
            run_as_group: config.run_as_group,
            resources: config.resources,
            cpu,
            memory,
            gpu: flags.gpu,
            env,
            node_selector,
            extra_volumes: config.volumes,
            extra_volume_mounts: config.volume_mounts,
            shell: flags.shell,
            workdir: flags.workdir.clone(),
            namespace: None,
            schedule: flags.schedule.clone(),
            timezone: flags.timezone.clone(),
            legacy_schedule: flags.legacy_schedule,
            run_policy,
        })
    }
}

/// The run policy the flags give (clap has parsed the numbers and durations).
fn flag_run_policy(flags: &OverrideArgs) -> Result<RunPolicy> {
    let mut labels = BTreeMap::new();
    for pair in &flags.labels {
        let (key, value) = split_key_value(pair, "--label")?;
        kube_names::check_label(key, value, "--label")?;
        labels.insert(key.to_string(), value.to_string());
    }
    let mut annotations = BTreeMap::new();
    for pair in &flags.annotations {
        let (key, value) = split_key_value(pair, "--annotation")?;
        annotations.insert(key.to_string(), value.to_string());
    }
    run_policy::check_annotations(&annotations, "--annotation")?;
    Ok(RunPolicy {
        retries: flags.retries,
        step_timeout: flags.step_timeout,
        deadline: flags.deadline,
        keep_succeeded: flags.keep_succeeded,
        keep_failed: flags.keep_failed,
        parallelism: flags.parallelism,
        labels,
        annotations,
        on_exit: flags.on_exit.clone(),
    })
}

/// The config file's run-policy defaults, checked as the flags are; messages name the keys.
fn config_run_policy(config: &ConfigSpec) -> Result<RunPolicy> {
    let duration = |text: &Option<DurationText>, key: Key| {
        text.as_ref()
            .map(|DurationText(text)| {
                parse_duration(text).map_err(|problem| {
                    anyhow!("invalid config file {}: {problem}", key.config_key())
                })
            })
            .transpose()
    };
    if config.parallelism == Some(0) {
        bail!("invalid config file parallelism: 0; write a whole number, 1 or more, e.g. 4");
    }
    run_policy::check_labels(&config.labels, "config file labels")?;
    run_policy::check_annotations(&config.annotations, "config file annotations")?;
    Ok(RunPolicy {
        retries: config.retries,
        step_timeout: duration(&config.step_timeout, Key::StepTimeout)?,
        deadline: duration(&config.deadline, Key::Deadline)?,
        keep_succeeded: duration(&config.keep_succeeded, Key::KeepSucceeded)?,
        keep_failed: duration(&config.keep_failed, Key::KeepFailed)?,
        parallelism: config.parallelism,
        labels: config.labels.clone(),
        annotations: config.annotations.clone(),
        on_exit: config.on_exit.clone(),
    })
}

fn split_key_value<'a>(pair: &'a str, flag: &str) -> Result<(&'a str, &'a str)> {
    match pair.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim(), value)),
        _ => bail!("invalid {flag} {pair:?}: expected KEY=VALUE, e.g. {flag} EPOCHS=10"),
    }
}

/// What the API server would refuse in the flags, checked before anything is rendered.
fn check_flag_values(flags: &OverrideArgs) -> Result<()> {
    if let Some(image) = &flags.image {
        kube_names::check_image(image, "--image")?;
    }
    if let Some(account) = &flags.service_account {
        kube_names::check_service_account(account, "--service-account")?;
    }
    if let Some(timezone) = &flags.timezone {
        schedule::check_timezone(timezone, "--timezone")?;
    }
    if let Some(cron) = &flags.schedule {
        schedule::check_schedule(cron, flags.timezone.as_deref(), "--schedule")?;
    }
    Ok(())
}

/// The same checks for the config file's values; messages name the file's keys.
fn check_config_values(config: &ConfigSpec) -> Result<()> {
    if let Some(image) = &config.image {
        kube_names::check_image(image, "config file image")?;
    }
    if let Some(account) = &config.service_account_name {
        kube_names::check_service_account(account, "config file serviceAccountName")?;
    }
    for var in &config.env {
        kube_names::check_env_name(&var.name, "config file env")?;
    }
    for (key, value) in config.node_selector.iter().flatten() {
        kube_names::check_label(key, value, "config file nodeSelector")?;
    }
    if let Some(requirements) = &config.resources {
        resources::check_requirements(requirements, "config file resources")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn jupyterflow_config_keys_are_accepted() {
        let spec = parse(
            "spec:\n  image: img:1\n  imagePullPolicy: Always\n  imagePullSecrets:\n  - name: default\n  env:\n  - name: K\n    value: V\n  resources:\n    requests: {cpu: 500m}\n  nodeSelector: {disk: ssd}\n  runAsUser: 1000\n  runAsGroup: 100\n  serviceAccountName: sa\n  volumes:\n  - name: nas\n    persistentVolumeClaim: {claimName: nas}\n  volumeMounts:\n  - name: nas\n    mountPath: /nas\n",
        )
        .unwrap();
        assert_eq!(spec.image.as_deref(), Some("img:1"));
        assert_eq!(spec.run_as_group, Some(100));
        assert_eq!(spec.volume_mounts[0].mount_path, "/nas");
        assert_eq!(spec.env[0].value.as_deref(), Some("V"));
    }

    #[test]
    fn starter_file_parses_as_an_empty_config() {
        assert_eq!(parse(STARTER_FILE).unwrap(), ConfigSpec::default());
        // And every commented line, uncommented, is a valid config.
        let uncommented: String = STARTER_FILE
            .lines()
            .filter(|l| l.starts_with("#  ") || l.starts_with("spec:"))
            .map(|l| format!("{}\n", l.strip_prefix('#').unwrap_or(l)))
            .collect();
        let spec = parse(&uncommented).unwrap();
        assert_eq!(
            spec.image.as_deref(),
            Some("jupyter/datascience-notebook:latest")
        );
        assert_eq!(spec.env.len(), 2);
        assert!(spec.env[1].value_from.is_some());
    }

    #[test]
    fn run_policy_defaults_come_from_the_config_file_and_flags_win() {
        let config = parse(
            "spec:\n  retries: 2\n  stepTimeout: 30m\n  deadline: 3600\n  keepSucceeded: 1d\n  \
             keepFailed: 1.5\n  parallelism: 4\n  labels: {team: ml}\n  annotations: {owner: a}\n  \
             onExit: notify\n",
        )
        .unwrap();
        assert_eq!(config.deadline, Some(DurationText("3600".into())));
        let flags = OverrideArgs {
            retries: Some(5),
            labels: vec!["team=vision".into()],
            ..Default::default()
        };
        let settings = Settings::merge(&flags, config).unwrap();
        let sources = &settings.run_policy;
        assert_eq!(sources.flags.retries, Some(5));
        let from_config = &sources.config_file;
        assert_eq!(from_config.retries, Some(2));
        assert_eq!(from_config.step_timeout, Some(Duration::from_secs(1800)));
        assert_eq!(from_config.deadline, Some(Duration::from_secs(3600)));
        assert_eq!(
            from_config.keep_succeeded,
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(from_config.keep_failed, Some(Duration::from_millis(1500)));
        assert_eq!(from_config.parallelism, Some(4));
        assert_eq!(from_config.on_exit.as_deref(), Some("notify"));
        let chosen = sources.choose(&RunPolicy::default());
        assert_eq!(chosen.retries.unwrap().value, 5);
        assert_eq!(chosen.labels["team"].value, "vision");
        assert_eq!(chosen.annotations["owner"].value, "a");
    }

    #[test]
    fn config_run_policy_values_are_checked() {
        let config_error = |text: &str| match parse(text) {
            Ok(spec) => Settings::merge(&OverrideArgs::default(), spec)
                .unwrap_err()
                .to_string(),
            Err(err) => format!("{err:#}"),
        };
        assert_eq!(
            config_error("spec:\n  stepTimeout: 3x\n"),
            "invalid config file stepTimeout: \"3x\" is not a duration; write e.g. 90s, 30m, \
             1h30m or 2h"
        );
        assert!(config_error("spec:\n  keepFailed: 0\n").starts_with(
            "invalid config file keepFailed: \"0\": the duration must be more than 0"
        ));
        assert!(config_error("spec:\n  parallelism: 0\n")
            .starts_with("invalid config file parallelism: 0"));
        assert!(config_error("spec:\n  retries: -1\n").contains("retries"));
        assert!(config_error("spec:\n  labels: {'a b': x}\n")
            .starts_with("invalid config file labels key \"a b\""));
        assert!(config_error("spec:\n  annotations: {'-a': x}\n")
            .starts_with("invalid config file annotations key \"-a\""));
        assert!(config_error("spec:\n  deadline: [1]\n").contains("a duration, e.g. 30m"));
    }

    #[test]
    fn a_missing_file_is_an_error_only_when_named_explicitly() {
        let missing = |from_env| ConfigPath {
            path: PathBuf::from("/nonexistent/jupyterflow.yaml"),
            from_env,
        };
        assert_eq!(load(Some(&missing(false))).unwrap(), ConfigSpec::default());
        let err = load(Some(&missing(true))).unwrap_err().to_string();
        assert!(
            err.contains("(from $JUPYTERFLOW_CONFIG_FILE) does not exist"),
            "{err}"
        );
    }

    #[test]
    fn unknown_config_key_is_an_error_naming_it() {
        let err = parse("spec:\n  imagee: x\n").unwrap_err();
        assert!(format!("{err:#}").contains("imagee"), "{err:#}");
    }

    #[test]
    fn flags_win_over_config_file() {
        let flags = OverrideArgs {
            image: Some("flag:1".into()),
            env: vec!["A=flag".into()],
            ..Default::default()
        };
        let config = ConfigSpec {
            image: Some("config:1".into()),
            service_account_name: Some("cfg-sa".into()),
            ..Default::default()
        };
        let settings = Settings::merge(&flags, config).unwrap();
        let image = settings.image.unwrap();
        assert_eq!(
            (image.value.as_str(), image.origin),
            ("flag:1", "--image flag")
        );
        assert_eq!(settings.service_account.unwrap().origin, "config file");
        assert_eq!(settings.env[0].value.value.as_deref(), Some("flag"));
    }

    #[test]
    fn env_flag_needs_key_and_value() {
        let flags = OverrideArgs {
            env: vec!["NOVALUE".into()],
            ..Default::default()
        };
        let err = Settings::merge(&flags, ConfigSpec::default()).unwrap_err();
        assert!(err.to_string().contains("expected KEY=VALUE"), "{err}");
        let flags = OverrideArgs {
            env: vec!["A=b=c".into()],
            ..Default::default()
        };
        let settings = Settings::merge(&flags, ConfigSpec::default()).unwrap();
        assert_eq!(settings.env[0].value.value.as_deref(), Some("b=c"));
    }

    #[test]
    fn flag_and_config_values_are_checked_where_they_enter() {
        let flag_error = |flags: OverrideArgs| {
            Settings::merge(&flags, ConfigSpec::default())
                .unwrap_err()
                .to_string()
        };
        let cases = [
            (
                OverrideArgs {
                    schedule: Some("0 25 * * *".into()),
                    ..Default::default()
                },
                "invalid --schedule \"0 25 * * *\": hour field",
            ),
            (
                OverrideArgs {
                    timezone: Some("Mars/Olympus".into()),
                    ..Default::default()
                },
                "invalid --timezone \"Mars/Olympus\"",
            ),
            (
                OverrideArgs {
                    image: Some(" ".into()),
                    ..Default::default()
                },
                "invalid --image",
            ),
            (
                OverrideArgs {
                    service_account: Some("Bad_SA".into()),
                    ..Default::default()
                },
                "invalid --service-account",
            ),
            (
                OverrideArgs {
                    env: vec!["A=B=C".into(), "BAD\tNAME=1".into()],
                    ..Default::default()
                },
                "invalid --env name",
            ),
            (
                OverrideArgs {
                    node_selector: vec!["disk=s s".into()],
                    ..Default::default()
                },
                "invalid --node-selector value",
            ),
            (
                OverrideArgs {
                    cpu: Some("-1".into()),
                    ..Default::default()
                },
                "invalid --cpu \"-1\": a quantity cannot be negative",
            ),
        ];
        for (flags, expected) in cases {
            let message = flag_error(flags);
            assert!(message.starts_with(expected), "{message}");
        }
        let config_error = |text: &str| {
            Settings::merge(&OverrideArgs::default(), parse(text).unwrap())
                .unwrap_err()
                .to_string()
        };
        assert!(config_error("spec:\n  image: ''\n").starts_with("invalid config file image"));
        assert!(config_error("spec:\n  env:\n  - name: ''\n    value: x\n")
            .starts_with("invalid config file env name \"\""));
        assert!(config_error("spec:\n  nodeSelector: {'a b': x}\n")
            .starts_with("invalid config file nodeSelector key"));
        assert!(config_error("spec:\n  serviceAccountName: A\n")
            .starts_with("invalid config file serviceAccountName"));
        assert!(config_error(
            "spec:\n  resources:\n    requests: {cpu: '2'}\n    limits: {cpu: '1'}\n"
        )
        .starts_with("invalid config file resources.requests.cpu \"2\": more than the limit"));
    }
}
