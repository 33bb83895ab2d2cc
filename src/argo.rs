//! Argo Workflows' `Workflow` and `CronWorkflow`, as typed serde structs.
//!
//! Only the fields this tool writes are modelled. `deny_unknown_fields` makes a golden file
//! that drifts (or a typo in a field name) fail to parse back, which the tests rely on.
//! Kubernetes parts (containers, volumes, ...) are the k8s-openapi types.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, Container, HostAlias, LocalObjectReference, PodDNSConfig, PodSecurityContext,
    Toleration, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub const API_VERSION: &str = "argoproj.io/v1alpha1";
pub const WORKFLOW_KIND: &str = "Workflow";
pub const CRON_WORKFLOW_KIND: &str = "CronWorkflow";
/// A scheduled run is skipped while the previous one still runs, rather than overlapping it on
/// the same volumes.
pub const FORBID_CONCURRENT_RUNS: &str = "Forbid";

/// What `render` produces: one of Argo's two top-level kinds, told apart by `kind`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind")]
pub enum Manifest {
    Workflow(Workflow),
    CronWorkflow(CronWorkflow),
}

/// Written in the order Kubernetes tools write objects (apiVersion, kind, metadata, spec);
/// serde's own tagged form would put `kind` first.
impl Serialize for Manifest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Object<'a, Spec> {
            api_version: ArgoApiVersion,
            kind: &'a str,
            metadata: &'a ObjectMeta,
            spec: &'a Spec,
        }
        let kind = self.kind();
        match self {
            Manifest::Workflow(wf) => Object {
                api_version: wf.api_version,
                kind,
                metadata: &wf.metadata,
                spec: &wf.spec,
            }
            .serialize(serializer),
            Manifest::CronWorkflow(cwf) => Object {
                api_version: cwf.api_version,
                kind,
                metadata: &cwf.metadata,
                spec: &cwf.spec,
            }
            .serialize(serializer),
        }
    }
}

impl Manifest {
    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            Manifest::Workflow(wf) => &wf.metadata,
            Manifest::CronWorkflow(cwf) => &cwf.metadata,
        }
    }

    pub fn metadata_mut(&mut self) -> &mut ObjectMeta {
        match self {
            Manifest::Workflow(wf) => &mut wf.metadata,
            Manifest::CronWorkflow(cwf) => &mut cwf.metadata,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Manifest::Workflow(_) => WORKFLOW_KIND,
            Manifest::CronWorkflow(_) => CRON_WORKFLOW_KIND,
        }
    }

    /// The workflow spec, also for a CronWorkflow (its `workflowSpec`).
    pub fn workflow_spec(&self) -> &WorkflowSpec {
        match self {
            Manifest::Workflow(wf) => &wf.spec,
            Manifest::CronWorkflow(cwf) => &cwf.spec.workflow_spec,
        }
    }
}

/// `argoproj.io/v1alpha1`, the only apiVersion of both kinds: it cannot hold another value,
/// and reading another one is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ArgoApiVersion;

impl Serialize for ArgoApiVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(API_VERSION)
    }
}

impl<'de> Deserialize<'de> for ArgoApiVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let version = String::deserialize(deserializer)?;
        if version != API_VERSION {
            return Err(D::Error::custom(format!(
                "apiVersion {version:?} is not {API_VERSION:?}"
            )));
        }
        Ok(ArgoApiVersion)
    }
}

/// A Workflow without its `kind`, which `Manifest` carries.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Workflow {
    pub api_version: ArgoApiVersion,
    pub metadata: ObjectMeta,
    pub spec: WorkflowSpec,
}

/// A CronWorkflow without its `kind`, which `Manifest` carries.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CronWorkflow {
    pub api_version: ArgoApiVersion,
    pub metadata: ObjectMeta,
    pub spec: CronWorkflowSpec,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CronWorkflowSpec {
    /// Argo v3.6+ (and the only form v4 accepts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<String>,
    /// The pre-3.6 singular field, written only when asked for (`--legacy-schedule`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// [`FORBID_CONCURRENT_RUNS`]: a slow run must not overlap the next one on the same volumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency_policy: Option<String>,
    pub workflow_spec: WorkflowSpec,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkflowSpec {
    pub entrypoint: String,
    /// What every step shares, written once; Argo's controller merges it into each template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_defaults: Option<TemplateDefaults>,
    pub templates: Vec<Template>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<LocalObjectReference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<PodSecurityContext>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_config: Option<PodDNSConfig>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host_aliases: Vec<HostAlias>,
    /// A JSON patch over every step pod's spec, for pod fields WorkflowSpec lacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_spec_patch: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_metadata: Option<PodMetadata>,
    /// Finished workflows are deleted after these times (and their pods with them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_strategy: Option<TtlStrategy>,
    /// When the step pods of a finished workflow are deleted.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "podGC")]
    pub pod_gc: Option<PodGc>,
    /// The whole workflow fails after this many seconds (`--deadline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_deadline_seconds: Option<i64>,
    /// At most this many pods of the workflow run at once (`--parallelism`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<i64>,
    /// The template that runs after the pipeline, whatever its outcome (`--on-exit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_exit: Option<String>,
}

impl WorkflowSpec {
    /// The container a step's pod gets: the template's own fields over `templateDefaults`, as
    /// Argo's controller merges them (a strategic merge). Merging whole top-level fields is
    /// exact for what `render` writes: it never leaves a list or a map in both places.
    pub fn container_of(&self, template: &Template) -> Option<Container> {
        let own = template.container.as_ref()?;
        let Some(shared) = self
            .template_defaults
            .as_ref()
            .and_then(|d| d.container.as_ref())
        else {
            return Some(own.clone());
        };
        let (Ok(serde_json::Value::Object(mut merged)), Ok(serde_json::Value::Object(own))) =
            (serde_json::to_value(shared), serde_json::to_value(own))
        else {
            return Some(own.clone());
        };
        for (field, value) in own {
            let unset = value.is_null() || (field == "name" && value == "");
            if !unset {
                merged.insert(field, value);
            }
        }
        serde_json::from_value(serde_json::Value::Object(merged)).ok()
    }
}

/// `spec.templateDefaults`: only a container here, which Argo merges into container templates
/// alone (it drops the container for the DAG template).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemplateDefaults {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<Container>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TtlStrategy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds_after_success: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds_after_failure: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodGc {
    pub strategy: String,
    /// Go duration (`1h`): how long after the strategy fires the pods go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_delay_duration: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RetryStrategy {
    /// Retries after the first attempt.
    pub limit: i64,
    pub retry_policy: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Backoff>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Backoff {
    /// Go duration before the first retry; each next wait is `factor` times longer.
    pub duration: String,
    pub factor: i64,
}

/// Labels and annotations Argo puts on every step pod.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodMetadata {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// A template holds exactly one of `dag` or `container` here (Argo requires exactly one type).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Template {
    pub name: String,
    /// The parameters of a sweep's template, one per swept value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Inputs>,
    /// A step's retries (never on the DAG: that would rerun the whole pipeline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_strategy: Option<RetryStrategy>,
    /// A step fails after this many seconds (`--step-timeout`); leaf templates only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_deadline_seconds: Option<i64>,
    /// At most this many of the template's tasks run at once (a sweep's own `parallelism`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dag: Option<DagTemplate>,
    /// A step's own fields; the rest comes from `templateDefaults`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "step_container::serialize"
    )]
    pub container: Option<Container>,
    /// A step's own placement, when it differs from the workflow's (a GPU step of a pipeline
    /// whose other steps have none, a job's own `node_selector`). Argo takes each of these
    /// from the template when set, whole, instead of the workflow's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    /// Applied after the workflow's own `podSpecPatch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_spec_patch: Option<String>,
}

/// A step's container as written: without the `name` that `templateDefaults` gives it (a
/// Kubernetes `Container` always writes its name), and its command on one line.
mod step_container {
    use k8s_openapi::api::core::v1::Container;
    use serde::ser::{Error, SerializeMap};
    use serde::Serializer;

    pub fn serialize<S: Serializer>(
        container: &Option<Container>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let Some(container) = container else {
            return serializer.serialize_none();
        };
        let serde_json::Value::Object(fields) =
            serde_json::to_value(container).map_err(S::Error::custom)?
        else {
            return Err(S::Error::custom("a container is not written as a mapping"));
        };
        let mut map = serializer.serialize_map(None)?;
        for (field, value) in &fields {
            match field.as_str() {
                "name" if value == "" => {}
                "command" | "args" => {
                    let words = if field == "command" {
                        &container.command
                    } else {
                        &container.args
                    };
                    let words = words.as_deref().unwrap_or_default();
                    map.serialize_entry(field, &crate::yaml::OneLine(words))?
                }
                _ => map.serialize_entry(field, value)?,
            }
        }
        map.end()
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DagTemplate {
    pub tasks: Vec<DagTask>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DagTask {
    pub name: String,
    pub template: String,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "crate::yaml::one_line"
    )]
    pub dependencies: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Arguments>,
    /// One run of the task per item (a sweep's points); Argo shows the item in the node name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub with_items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Inputs {
    pub parameters: Vec<Parameter>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Arguments {
    pub parameters: Vec<Parameter>,
}

/// An input parameter (name only) or an argument (name and value).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Parameter {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A `withItems` entry: a string (`{{item}}`), or an object of strings (`{{item.NAME}}`) for a
/// point of a grid, written on one line. Strings, never numbers: Argo substitutes a string
/// verbatim, where a number would come back as Go formats it (`1e-05` for `0.00001`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Item {
    Value(String),
    Object(crate::yaml::FlowMap<BTreeMap<String, String>>),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Manifest, String> {
        crate::yaml::from_str(text).map_err(|err| format!("{err:#}"))
    }

    #[test]
    fn a_manifest_is_written_as_kubectl_writes_objects_and_reads_back() {
        let manifest = Manifest::CronWorkflow(CronWorkflow {
            spec: CronWorkflowSpec {
                schedules: vec!["@daily".into()],
                ..CronWorkflowSpec::default()
            },
            ..CronWorkflow::default()
        });
        let text = crate::yaml::to_string(&manifest).unwrap();
        assert!(
            text.starts_with(
                "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata: {}\nspec:\n"
            ),
            "{text}"
        );
        assert_eq!(parse(&text).unwrap(), manifest);
    }

    #[test]
    fn another_api_version_or_kind_is_refused() {
        let spec = "metadata: {}\nspec: {entrypoint: e, templates: []}\n";
        assert!(parse(&format!(
            "apiVersion: {API_VERSION}\nkind: Workflow\n{spec}"
        ))
        .is_ok());
        let err = parse(&format!(
            "apiVersion: argoproj.io/v1\nkind: Workflow\n{spec}"
        ))
        .unwrap_err();
        assert!(err.contains("apiVersion \"argoproj.io/v1\""), "{err}");
        let err = parse(&format!(
            "apiVersion: {API_VERSION}\nkind: WorkflowTemplate\n{spec}"
        ))
        .unwrap_err();
        assert!(err.contains("WorkflowTemplate"), "{err}");
    }
}
