//! Argo's record of a run (a Workflow's `status.nodes`), reduced to what a person follows: one
//! row per step of the pipeline, and what changed between two versions of the record. Pure.
//!
//! The structs here read any Workflow, not only ours, so they ignore unknown fields (the
//! controller writes many more) and every field is optional.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde::Deserialize;

/// Where the controller records which pod naming scheme a workflow uses.
const POD_NAME_FORMAT_ANNOTATION: &str = "workflows.argoproj.io/pod-name-format";
/// Argo's longest pod name prefix (253 - 10 for the hash, in `ensurePodNamePrefixLength`).
const MAX_POD_NAME_PREFIX: usize = 242;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowObject {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: SpecOutline,
    #[serde(default)]
    pub status: WorkflowStatus,
}

/// Just enough of the spec to list the pipeline's steps before they start.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpecOutline {
    #[serde(default)]
    pub entrypoint: String,
    #[serde(default)]
    pub templates: Vec<TemplateOutline>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TemplateOutline {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub dag: Option<DagOutline>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DagOutline {
    #[serde(default)]
    pub tasks: Vec<TaskOutline>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TaskOutline {
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowStatus {
    #[serde(default)]
    pub phase: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub started_at: Option<Time>,
    #[serde(default)]
    pub finished_at: Option<Time>,
    #[serde(default)]
    pub nodes: BTreeMap<String, NodeStatus>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeStatus {
    #[serde(default)]
    pub id: String,
    /// The full node name, e.g. `train-x7k2q.job-2` or `train-x7k2q.sweep(0:lr=0.1)`.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default, rename = "type")]
    pub node_type: String,
    #[serde(default)]
    pub template_name: Option<String>,
    #[serde(default)]
    pub template_ref: Option<TemplateRef>,
    #[serde(default)]
    pub phase: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub started_at: Option<Time>,
    #[serde(default)]
    pub finished_at: Option<Time>,
    #[serde(default)]
    pub children: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TemplateRef {
    #[serde(default)]
    pub template: String,
}

/// The state of a step or of the whole workflow, in Argo's words (`Waiting`: not started by
/// the controller yet, which Argo leaves blank).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Waiting,
    Pending,
    Running,
    Succeeded,
    Skipped,
    Omitted,
    Failed,
    Error,
}

impl Phase {
    pub fn parse(text: Option<&str>) -> Phase {
        match text.unwrap_or_default() {
            "" => Phase::Waiting,
            "Pending" => Phase::Pending,
            "Succeeded" => Phase::Succeeded,
            "Skipped" => Phase::Skipped,
            "Omitted" => Phase::Omitted,
            "Failed" => Phase::Failed,
            "Error" => Phase::Error,
            // "Running", and anything a newer Argo adds: still going.
            _ => Phase::Running,
        }
    }

    pub fn is_final(self) -> bool {
        !matches!(self, Phase::Waiting | Phase::Pending | Phase::Running)
    }

    pub fn is_failure(self) -> bool {
        matches!(self, Phase::Failed | Phase::Error)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Waiting => "Waiting",
            Phase::Pending => "Pending",
            Phase::Running => "Running",
            Phase::Succeeded => "Succeeded",
            Phase::Skipped => "Skipped",
            Phase::Omitted => "Omitted",
            Phase::Failed => "Failed",
            Phase::Error => "Error",
        }
    }
}

/// A sweep's points (the children of a loop's task group), done of total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Points {
    pub done: usize,
    pub total: usize,
}

/// One row of the view: a task of the pipeline's DAG (a sweep is one row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub name: String,
    pub phase: Phase,
    /// Milliseconds since the Unix epoch.
    pub started_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    pub message: Option<String>,
    pub points: Option<Points>,
}

/// What a person follows of a run: the workflow's phase and its steps, in pipeline order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub name: String,
    pub namespace: String,
    pub phase: Phase,
    pub message: Option<String>,
    pub started_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    pub steps: Vec<Step>,
}

/// A pod step that failed: where its log is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedPod {
    /// The node's display name: the task, or a sweep point / retry attempt like `train(1)`.
    pub step: String,
    pub pod: String,
    pub phase: Phase,
    pub message: Option<String>,
}

fn millis(time: &Option<Time>) -> Option<i64> {
    time.as_ref().map(|t| t.0.as_millisecond())
}

/// Node types that only group other nodes; their children are what runs.
fn is_structural(node_type: &str) -> bool {
    matches!(node_type, "DAG" | "Steps" | "StepGroup")
}

impl WorkflowObject {
    pub fn from_json(value: serde_json::Value) -> serde_json::Result<Self> {
        serde_json::from_value(value)
    }

    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }

    pub fn phase(&self) -> Phase {
        Phase::parse(self.status.phase.as_deref())
    }

    /// Rows for the view: the entrypoint DAG's tasks in their written order (those the
    /// controller has not reached yet as `Waiting`), then any other node that runs something
    /// (an exit handler, the steps of a workflow not written by this tool), by start time.
    pub fn progress(&self) -> Progress {
        let nodes = &self.status.nodes;
        let by_name: BTreeMap<&str, &NodeStatus> =
            nodes.values().map(|n| (n.name.as_str(), n)).collect();
        // Nodes inside a loop or a retry are counted by their group's row.
        let grouped: std::collections::BTreeSet<&str> = nodes
            .values()
            .filter(|n| matches!(n.node_type.as_str(), "TaskGroup" | "Retry"))
            .flat_map(|n| n.children.iter().map(String::as_str))
            .collect();

        let mut steps = Vec::new();
        let mut shown: std::collections::BTreeSet<&str> = Default::default();
        let entry_tasks = self
            .spec
            .templates
            .iter()
            .find(|t| t.name == self.spec.entrypoint)
            .and_then(|t| t.dag.as_ref())
            .map(|dag| dag.tasks.as_slice())
            .unwrap_or_default();
        for task in entry_tasks {
            let node = by_name
                .get(format!("{}.{}", self.name(), task.name).as_str())
                .copied();
            if let Some(node) = node {
                shown.insert(node.id.as_str());
            }
            steps.push(step_row(&task.name, node, nodes));
        }
        let mut others: Vec<&NodeStatus> = nodes
            .values()
            .filter(|n| {
                !is_structural(&n.node_type)
                    && !grouped.contains(n.id.as_str())
                    && !shown.contains(n.id.as_str())
            })
            .collect();
        others.sort_by_key(|n| (millis(&n.started_at), n.display_name.clone()));
        steps.extend(
            others
                .into_iter()
                .map(|n| step_row(&n.display_name, Some(n), nodes)),
        );

        Progress {
            name: self.name().to_string(),
            namespace: self.metadata.namespace.clone().unwrap_or_default(),
            phase: self.phase(),
            message: self.status.message.clone().filter(|m| !m.is_empty()),
            started_ms: millis(&self.status.started_at),
            finished_ms: millis(&self.status.finished_at),
            steps,
        }
    }

    /// The pods of failed pod steps, first failed first, with the pod names Argo gave them.
    pub fn failed_pods(&self) -> Vec<FailedPod> {
        let v1_names = self
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(POD_NAME_FORMAT_ANNOTATION))
            .is_some_and(|format| format == "v1");
        let mut failed: Vec<&NodeStatus> = self
            .status
            .nodes
            .values()
            .filter(|n| n.node_type == "Pod" && Phase::parse(n.phase.as_deref()).is_failure())
            .collect();
        failed.sort_by_key(|n| (millis(&n.finished_at), n.display_name.clone()));
        failed
            .into_iter()
            .map(|n| FailedPod {
                step: n.display_name.clone(),
                pod: if v1_names {
                    n.id.clone()
                } else {
                    pod_name(self.name(), n)
                },
                phase: Phase::parse(n.phase.as_deref()),
                message: n.message.clone().filter(|m| !m.is_empty()),
            })
            .collect()
    }
}

fn step_row(name: &str, node: Option<&NodeStatus>, nodes: &BTreeMap<String, NodeStatus>) -> Step {
    let Some(node) = node else {
        return Step {
            name: name.to_string(),
            phase: Phase::Waiting,
            started_ms: None,
            finished_ms: None,
            message: None,
            points: None,
        };
    };
    let points = (node.node_type == "TaskGroup").then(|| Points {
        total: node.children.len(),
        done: node
            .children
            .iter()
            .filter_map(|id| nodes.get(id))
            .filter(|child| Phase::parse(child.phase.as_deref()).is_final())
            .count(),
    });
    Step {
        name: name.to_string(),
        phase: Phase::parse(node.phase.as_deref()),
        started_ms: millis(&node.started_at),
        finished_ms: millis(&node.finished_at),
        message: node.message.clone().filter(|m| !m.is_empty()),
        points,
    }
}

/// The pod Argo runs a node in (`GeneratePodName` in Argo's workflow/util, pod names v2, the
/// default since v3.4): `<workflow>-<template>-<fnv32a(node name)>`.
pub fn pod_name(workflow: &str, node: &NodeStatus) -> String {
    if node.name == workflow {
        return workflow.to_string();
    }
    let template = node
        .template_ref
        .as_ref()
        .map(|r| r.template.as_str())
        .or(node.template_name.as_deref())
        .unwrap_or_default();
    let mut prefix = if template.is_empty() {
        workflow.to_string()
    } else {
        format!("{workflow}-{template}")
    };
    if prefix.len() > MAX_POD_NAME_PREFIX {
        // Names are ASCII (Kubernetes names), so a byte cut is a character cut.
        prefix.truncate(MAX_POD_NAME_PREFIX);
    }
    format!("{prefix}-{}", fnv32a(node.name.as_bytes()))
}

/// 32-bit FNV-1a, as Go's `hash/fnv.New32a`.
fn fnv32a(bytes: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in bytes {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// One thing that changed between two versions of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Workflow {
        phase: Phase,
        message: Option<String>,
    },
    Step(Step),
}

/// What changed from `before` (None: nothing seen yet) to `after`, in reading order: the
/// workflow starting, each step whose phase or sweep count moved (pipeline order), the workflow
/// ending. Steps still `Waiting` when first seen are not news.
pub fn changes(before: Option<&Progress>, after: &Progress) -> Vec<Change> {
    let mut found = Vec::new();
    for step in &after.steps {
        let old = before.and_then(|b| b.steps.iter().find(|s| s.name == step.name));
        let moved = match old {
            Some(old) => old.phase != step.phase || old.points != step.points,
            None => step.phase != Phase::Waiting,
        };
        if moved {
            found.push(Change::Step(step.clone()));
        }
    }
    if before.map(|b| b.phase) != Some(after.phase) {
        let change = Change::Workflow {
            phase: after.phase,
            message: after.message.clone(),
        };
        if after.phase.is_final() {
            found.push(change);
        } else {
            found.insert(0, change);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A 3-step chain as Argo v3.7's controller records it, the second step running.
    fn chain(second: &str, third: Option<&str>) -> WorkflowObject {
        let mut nodes = json!({
            "wf-abc12": {"id": "wf-abc12", "name": "wf-abc12", "displayName": "wf-abc12",
                "type": "DAG", "templateName": "pipeline", "phase": "Running",
                "startedAt": "2026-11-29T10:00:00Z", "children": ["wf-abc12-1"]},
            "wf-abc12-1": {"id": "wf-abc12-1", "name": "wf-abc12.job-1", "displayName": "job-1",
                "type": "Pod", "templateName": "job-1", "phase": "Succeeded",
                "startedAt": "2026-11-29T10:00:00Z", "finishedAt": "2026-11-29T10:00:03Z"},
            "wf-abc12-2": {"id": "wf-abc12-2", "name": "wf-abc12.job-2", "displayName": "job-2",
                "type": "Pod", "templateName": "job-2", "phase": second,
                "startedAt": "2026-11-29T10:00:04Z", "message": "Error (exit code 1)"},
        });
        if let Some(phase) = third {
            nodes["wf-abc12-3"] = json!({"id": "wf-abc12-3", "name": "wf-abc12.job-3",
                "displayName": "job-3", "type": "Pod", "templateName": "job-3", "phase": phase,
                "startedAt": "2026-11-29T10:00:09Z"});
        }
        WorkflowObject::from_json(json!({
            "metadata": {"name": "wf-abc12", "namespace": "jhub"},
            "spec": {"entrypoint": "pipeline", "templates": [
                {"name": "pipeline", "dag": {"tasks": [
                    {"name": "job-1", "template": "job-1"},
                    {"name": "job-2", "template": "job-2", "dependencies": ["job-1"]},
                    {"name": "job-3", "template": "job-3", "dependencies": ["job-2"]}]}},
                {"name": "job-1", "container": {"image": "x"}}]},
            "status": {"phase": "Running", "startedAt": "2026-11-29T10:00:00Z", "nodes": nodes,
                "someFieldOfANewerArgo": 1},
        }))
        .unwrap()
    }

    #[test]
    fn steps_follow_the_pipeline_order_and_unreached_ones_wait() {
        let progress = chain("Running", None).progress();
        assert_eq!(progress.name, "wf-abc12");
        assert_eq!(progress.namespace, "jhub");
        assert_eq!(progress.phase, Phase::Running);
        let rows: Vec<(&str, Phase)> = progress
            .steps
            .iter()
            .map(|s| (s.name.as_str(), s.phase))
            .collect();
        assert_eq!(
            rows,
            [
                ("job-1", Phase::Succeeded),
                ("job-2", Phase::Running),
                ("job-3", Phase::Waiting)
            ]
        );
        assert_eq!(progress.steps[0].started_ms, Some(1_795_946_400_000));
        assert_eq!(progress.steps[0].finished_ms, Some(1_795_946_403_000));
    }

    #[test]
    fn a_workflow_not_picked_up_yet_is_waiting_with_every_step() {
        let object = WorkflowObject::from_json(json!({
            "metadata": {"name": "wf-new"},
            "spec": {"entrypoint": "p", "templates": [{"name": "p", "dag": {"tasks": [{"name": "a"}]}}]},
        }))
        .unwrap();
        let progress = object.progress();
        assert_eq!(progress.phase, Phase::Waiting);
        assert_eq!(progress.steps.len(), 1);
        assert_eq!(progress.steps[0].phase, Phase::Waiting);
    }

    #[test]
    fn changes_name_the_workflow_then_each_step_that_moved() {
        let running = chain("Running", None).progress();
        let first = changes(None, &running);
        assert_eq!(
            first,
            [
                Change::Workflow {
                    phase: Phase::Running,
                    message: None
                },
                Change::Step(running.steps[0].clone()),
                Change::Step(running.steps[1].clone()),
            ],
            "the first sight reports all that started, not the waiting step"
        );
        assert_eq!(changes(Some(&running), &running), []);

        let failed = chain("Failed", Some("Omitted")).progress();
        let next = changes(Some(&running), &failed);
        assert_eq!(next.len(), 2);
        assert!(
            matches!(&next[0], Change::Step(s) if s.name == "job-2" && s.phase == Phase::Failed
            && s.message.as_deref() == Some("Error (exit code 1)"))
        );
        assert!(
            matches!(&next[1], Change::Step(s) if s.name == "job-3" && s.phase == Phase::Omitted)
        );
    }

    #[test]
    fn a_sweep_is_one_row_counting_its_points() {
        let object = WorkflowObject::from_json(json!({
            "metadata": {"name": "wf"},
            "spec": {"entrypoint": "p", "templates": [{"name": "p", "dag": {"tasks": [
                {"name": "train"}, {"name": "eval"}]}}]},
            "status": {"phase": "Running", "nodes": {
                "wf": {"id": "wf", "name": "wf", "displayName": "wf", "type": "DAG", "phase": "Running"},
                "wf-1": {"id": "wf-1", "name": "wf.train", "displayName": "train", "type": "TaskGroup",
                    "phase": "Running", "children": ["wf-2", "wf-3", "wf-4"]},
                "wf-2": {"id": "wf-2", "name": "wf.train(0:lr=0.1)", "displayName": "train(0:lr=0.1)",
                    "type": "Pod", "phase": "Succeeded"},
                "wf-3": {"id": "wf-3", "name": "wf.train(1:lr=0.5)", "displayName": "train(1:lr=0.5)",
                    "type": "Pod", "phase": "Failed"},
                "wf-4": {"id": "wf-4", "name": "wf.train(2:lr=0.9)", "displayName": "train(2:lr=0.9)",
                    "type": "Pod", "phase": "Running"},
            }},
        }))
        .unwrap();
        let progress = object.progress();
        assert_eq!(progress.steps.len(), 2, "points are not rows: {progress:?}");
        assert_eq!(progress.steps[0].points, Some(Points { done: 2, total: 3 }));
        assert_eq!(progress.steps[1].phase, Phase::Waiting);
        let failed = object.failed_pods();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].step, "train(1:lr=0.5)");
    }

    #[test]
    fn an_exit_handler_is_shown_after_the_pipeline() {
        let mut object = chain("Succeeded", Some("Succeeded"));
        object.status.nodes.insert(
            "wf-abc12-9".into(),
            serde_json::from_value(json!({"id": "wf-abc12-9", "name": "wf-abc12.onExit",
                "displayName": "wf-abc12.onExit", "type": "Pod", "phase": "Running"}))
            .unwrap(),
        );
        let names: Vec<String> = object
            .progress()
            .steps
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["job-1", "job-2", "job-3", "wf-abc12.onExit"]);
    }

    #[test]
    fn pod_names_are_argos() {
        // FNV-1a test vectors (the FNV reference's), as Go's hash/fnv computes them.
        assert_eq!(fnv32a(b""), 0x811c_9dc5);
        assert_eq!(fnv32a(b"a"), 0xe40c_292c);
        assert_eq!(fnv32a(b"foobar"), 0xbf9c_f968);
        let node: NodeStatus = serde_json::from_value(json!({
            "id": "chain-bpx4n-1", "name": "chain-bpx4n.job-2", "templateName": "job-2"
        }))
        .unwrap();
        let hash = fnv32a(b"chain-bpx4n.job-2");
        assert_eq!(
            pod_name("chain-bpx4n", &node),
            format!("chain-bpx4n-job-2-{hash}")
        );
        let root: NodeStatus = serde_json::from_value(json!({"name": "chain-bpx4n"})).unwrap();
        assert_eq!(pod_name("chain-bpx4n", &root), "chain-bpx4n");

        let long = "w".repeat(250);
        let node: NodeStatus =
            serde_json::from_value(json!({"name": format!("{long}.a"), "templateName": "a"}))
                .unwrap();
        let name = pod_name(&long, &node);
        let hash = fnv32a(format!("{long}.a").as_bytes()).to_string();
        assert_eq!(name, format!("{}-{hash}", &long[..MAX_POD_NAME_PREFIX]));
    }

    #[test]
    fn failed_pods_follow_the_pod_name_format() {
        let mut object = chain("Error", None);
        let failed = object.failed_pods();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].step, "job-2");
        assert_eq!(failed[0].phase, Phase::Error);
        assert_eq!(failed[0].message.as_deref(), Some("Error (exit code 1)"));
        assert!(failed[0].pod.starts_with("wf-abc12-job-2-"));
        object.metadata.annotations = Some(
            [(POD_NAME_FORMAT_ANNOTATION.to_string(), "v1".to_string())]
                .into_iter()
                .collect(),
        );
        assert_eq!(object.failed_pods()[0].pod, "wf-abc12-2");
    }

    #[test]
    fn phases_read_argos_words() {
        assert_eq!(Phase::parse(None), Phase::Waiting);
        assert_eq!(Phase::parse(Some("")), Phase::Waiting);
        assert_eq!(Phase::parse(Some("Error")), Phase::Error);
        assert!(Phase::Omitted.is_final() && !Phase::Omitted.is_failure());
        assert!(!Phase::Pending.is_final());
    }
}
