//! Single-node volumes: a `ReadWriteOnce` claim can be attached on one node at a time, so steps
//! that mount it must run where the notebook runs; a `ReadWriteOncePod` claim cannot be shared
//! at all. Applied on the API path only (`--submit`, or a pod read from the API), where the
//! claims' access modes can be read; a pod file alone says nothing about them.

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use k8s_openapi::api::core::v1::{
    Affinity, Container, NodeSelectorRequirement, NodeSelectorTerm, Pod, PodAffinityTerm, Volume,
    WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::{add_extra_volumes, copy_volumes_mounted_by, pod_labels, Action, Report};
use crate::argo::{Manifest, WorkflowSpec};
use crate::config::Settings;

const READ_WRITE_ONCE: &str = "ReadWriteOnce";
const READ_WRITE_ONCE_POD: &str = "ReadWriteOncePod";
const READ_WRITE_MANY: &str = "ReadWriteMany";
/// The node label every node has, naming it: "the same node" for a pod affinity.
const NODE_TOPOLOGY_KEY: &str = "kubernetes.io/hostname";

/// What the API says about a volume claim's access modes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimAccess {
    /// `status.accessModes` of a bound claim, else the requested `spec.accessModes`.
    Modes(Vec<String>),
    /// The account may not read claims (the README's Role grants it as optional); who it is.
    Forbidden(String),
    NotFound,
}

/// The access of each claim, by claim name.
pub type ClaimAccessByName = BTreeMap<String, ClaimAccess>;

/// The claims the rendered steps will mount, by the same volume rules as `render`: the ones to
/// read the access modes of before rendering.
pub fn claims_to_check(pod: &Pod, container: &Container, settings: &Settings) -> Vec<String> {
    let mut unused = Report::default();
    let (volumes, _) = copy_volumes_mounted_by(pod, container, &mut unused);
    persistent_volume_claims(&add_extra_volumes(volumes, settings, &mut unused))
}

/// Whether a render would pin the steps to the notebook's node, from what was read before
/// rendering: a ReadWriteOnce claim they mount (a Workflow only: a CronWorkflow is not pinned
/// for it), or a hostPath volume. Decides whether the Node is worth reading.
pub fn may_pin(
    pod: &Pod,
    container: &Container,
    settings: &Settings,
    access: &ClaimAccessByName,
    scheduled: bool,
) -> bool {
    let mut unused = Report::default();
    let (volumes, _) = copy_volumes_mounted_by(pod, container, &mut unused);
    let volumes = add_extra_volumes(volumes, settings, &mut unused);
    let single_node_claim = persistent_volume_claims(&volumes).iter().any(|claim| {
        matches!(access.get(claim), Some(ClaimAccess::Modes(modes)) if is_single_node(modes))
    });
    volumes.iter().any(|v| v.host_path.is_some()) || (single_node_claim && !scheduled)
}

/// ReadWriteOnce without ReadWriteMany: attached on one node at a time.
fn is_single_node(modes: &[String]) -> bool {
    let has = |mode: &str| modes.iter().any(|m| m == mode);
    has(READ_WRITE_ONCE) && !has(READ_WRITE_MANY)
}

/// Where the steps were pinned: the notebook's node, and the volumes that pin them there.
pub(super) type Pinned = Option<(String, String)>;

/// The claims among `volumes`, in volume order, each once.
fn persistent_volume_claims(volumes: &[Volume]) -> Vec<String> {
    let mut claims: Vec<String> = Vec::new();
    for volume in volumes {
        if let Some(pvc) = &volume.persistent_volume_claim {
            if !claims.contains(&pvc.claim_name) {
                claims.push(pvc.claim_name.clone());
            }
        }
    }
    claims
}

/// Pins a Workflow's steps to the notebook's node when a claim they mount is `ReadWriteOnce`
/// (a CronWorkflow's prefer it), refuses a `ReadWriteOncePod` claim, and warns when the modes could not be read. A claim
/// missing from `access` was not read, and is left alone.
pub(super) fn pin_single_node_volumes(
    manifest: &mut Manifest,
    pod: &Pod,
    access: &ClaimAccessByName,
    report: &mut Report,
) -> Result<Pinned> {
    let mut single_node = Vec::new();
    for claim in persistent_volume_claims(&manifest.workflow_spec().volumes) {
        let Some(access) = access.get(&claim) else {
            continue;
        };
        match access {
            ClaimAccess::Modes(modes) => {
                let has = |mode: &str| modes.iter().any(|m| m == mode);
                if has(READ_WRITE_MANY) {
                    continue;
                }
                if has(READ_WRITE_ONCE_POD) {
                    bail!(
                        "volume claim {claim:?} is ReadWriteOncePod: only one pod at a time may use it, \
                         and the notebook does, so no step could ever start; keep the data the steps \
                         need on ReadWriteMany storage (ask your admin), or render with --pod-file and \
                         run the steps after stopping the notebook"
                    );
                }
                if is_single_node(modes) {
                    single_node.push(claim);
                }
            }
            ClaimAccess::Forbidden(who) => report.warnings.push(format!(
                "{who} may not get persistentvolumeclaims, so whether claim {claim:?} is ReadWriteOnce \
                 is unknown; if it is, steps that land on another node than the notebook's cannot start \
                 (the README's Role grants get on persistentvolumeclaims)"
            )),
            ClaimAccess::NotFound => report.warnings.push(format!(
                "volume claim {claim:?} does not exist in the namespace: the steps will wait until it does"
            )),
        }
    }
    if single_node.is_empty() {
        return Ok(None);
    }
    let listed = single_node
        .iter()
        .map(|c| format!("{c:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let short = format!("ReadWriteOnce claim {listed}");
    let why = format!("volume claim {listed} is ReadWriteOnce (one node at a time)");
    let node = pin_to_the_notebooks_node(manifest, pod, &why, &short, false, report);
    Ok(node.map(|node| (node, short)))
}

/// Pins a Workflow's steps to the notebook's node when they mount one of its `hostPath`
/// volumes: a directory of that node's own disk, which no other node has. Needs no cluster.
pub(super) fn pin_host_path_volumes(
    manifest: &mut Manifest,
    pod: &Pod,
    report: &mut Report,
) -> Pinned {
    let host_paths: Vec<String> = manifest
        .workflow_spec()
        .volumes
        .iter()
        .filter(|v| v.host_path.is_some())
        .map(|v| format!("{:?}", v.name))
        .collect();
    if host_paths.is_empty() {
        return None;
    }
    let listed = host_paths.join(", ");
    let short = format!("hostPath volume {listed}");
    let why = format!("hostPath volume {listed} is a directory on one node's own disk");
    let node = pin_to_the_notebooks_node(manifest, pod, &why, &short, true, report);
    node.map(|node| (node, short))
}

/// Requires the notebook's node for a Workflow's steps (`why`: what ties them to it; `short`:
/// the same for the affinity's note). A CronWorkflow is pinned too when `pin_schedules` (a
/// later run elsewhere would see another node's directory), else its steps only prefer the
/// notebook's node; a pod on no node yet gets a warning. Returns the node, when pinned.
fn pin_to_the_notebooks_node(
    manifest: &mut Manifest,
    pod: &Pod,
    why: &str,
    short: &str,
    pin_schedules: bool,
    report: &mut Report,
) -> Option<String> {
    let node = pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .filter(|n| !n.is_empty());
    let spec = match manifest {
        Manifest::Workflow(workflow) => &mut workflow.spec,
        Manifest::CronWorkflow(cron) if pin_schedules => &mut cron.spec.workflow_spec,
        Manifest::CronWorkflow(cron) => {
            // A later run must not wait for a node that may be gone by then: it only prefers
            // the node of the running notebook, and starts anywhere when there is none.
            prefer_the_notebooks_node(&mut cron.spec.workflow_spec, pod, why, short, report);
            return None;
        }
    };
    let Some(node) = node else {
        report.warnings.push(format!(
            "{why}, and the pod is on no node yet (no spec.nodeName): the steps can only start on \
             the node that has it attached"
        ));
        return None;
    };
    spec.affinity = Some(require_node(spec.affinity.take(), node));
    // A step with an affinity of its own (a GPU step) gets Argo's whole affinity from it.
    for template in &mut spec.templates {
        if let Some(own) = template.affinity.take() {
            template.affinity = Some(require_node(Some(own), node));
        }
    }
    report.note(
        Action::Add,
        "affinity",
        format!("required: node {node} ({short})"),
    );
    report.warnings.push(format!(
        "{why}: the steps are pinned to the notebook's node {node}; use ReadWriteMany storage to \
         let them run anywhere"
    ));
    Some(node.to_string())
}

/// What happens to a scheduled step placed elsewhere while the notebook runs.
const ELSEWHERE: &str = "a step that is placed on another node while the notebook runs waits in \
     ContainerCreating until the notebook stops and the disk is detached from its node";

/// Gives a CronWorkflow's steps a soft pod affinity to the notebook pod (by the labels that
/// identify it): while the notebook runs, the scheduler prefers its node, where the claim is
/// attached; when it does not run, the steps start on any node.
fn prefer_the_notebooks_node(
    spec: &mut WorkflowSpec,
    pod: &Pod,
    why: &str,
    short: &str,
    report: &mut Report,
) {
    let labels = pod_labels::identifying_labels(pod);
    if labels.is_empty() {
        report.warnings.push(format!(
            "{why}: {ELSEWHERE}, and the notebook pod has no labels by which the steps could \
             prefer its node; use ReadWriteMany storage to avoid this"
        ));
        return;
    }
    let selector = labels
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join(",");
    spec.affinity = Some(prefer_node_of_pods(spec.affinity.take(), labels.clone()));
    // A step with an affinity of its own (a GPU step) gets Argo's whole affinity from it.
    for template in &mut spec.templates {
        if let Some(own) = template.affinity.take() {
            template.affinity = Some(prefer_node_of_pods(Some(own), labels.clone()));
        }
    }
    report.note(
        Action::Add,
        "affinity podAffinity",
        format!("preferred: the node of the notebook pod, labelled {selector} ({short})"),
    );
    report.warnings.push(format!(
        "{why}: a scheduled run prefers the notebook's node while the notebook runs, and starts \
         on any node when it does not; {ELSEWHERE} (the scheduler still may, when that node is \
         full); use ReadWriteMany storage to avoid this"
    ));
}

/// Adds a preferred pod affinity (weight 100, same node) to pods with `labels`, keeping the
/// copied affinity. The term has no namespaces: it looks in the steps' own namespace, which
/// is the notebook's whenever they mount its claims (see `checks::namespace`).
fn prefer_node_of_pods(affinity: Option<Affinity>, labels: BTreeMap<String, String>) -> Affinity {
    let mut affinity = affinity.unwrap_or_default();
    affinity
        .pod_affinity
        .get_or_insert_with(Default::default)
        .preferred_during_scheduling_ignored_during_execution
        .get_or_insert_with(Vec::new)
        .push(WeightedPodAffinityTerm {
            weight: 100,
            pod_affinity_term: PodAffinityTerm {
                label_selector: Some(LabelSelector {
                    match_labels: Some(labels),
                    match_expressions: None,
                }),
                topology_key: NODE_TOPOLOGY_KEY.to_string(),
                ..PodAffinityTerm::default()
            },
        });
    affinity
}

/// Adds "node name is `node`" to the required node affinity, keeping the copied affinity: to
/// each required term (terms are alternatives), or as the only term.
fn require_node(affinity: Option<Affinity>, node: &str) -> Affinity {
    let on_node = NodeSelectorRequirement {
        key: "metadata.name".to_string(),
        operator: "In".to_string(),
        values: Some(vec![node.to_string()]),
    };
    let mut affinity = affinity.unwrap_or_default();
    let required = affinity
        .node_affinity
        .get_or_insert_with(Default::default)
        .required_during_scheduling_ignored_during_execution
        .get_or_insert_with(Default::default);
    if required.node_selector_terms.is_empty() {
        required.node_selector_terms.push(NodeSelectorTerm {
            match_fields: Some(vec![on_node]),
            ..NodeSelectorTerm::default()
        });
    } else {
        for term in &mut required.node_selector_terms {
            term.match_fields
                .get_or_insert_with(Vec::new)
                .push(on_node.clone());
        }
    }
    affinity
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argo::{CronWorkflow, CronWorkflowSpec, Workflow, WorkflowSpec};
    use crate::source::parse_pod;
    use k8s_openapi::api::core::v1::PersistentVolumeClaimVolumeSource;

    const POD: &str = "kind: Pod\nmetadata:\n  name: jupyter-alice\n  labels: {app: jupyterhub, component: singleuser-server, hub.jupyter.org/username: alice, hub.jupyter.org/servername: ''}\nspec:\n  nodeName: node-a\n  containers: [{name: notebook}]\n  affinity:\n    nodeAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - weight: 100\n        preference: {matchExpressions: [{key: hub.jupyter.org/node-purpose, operator: In, values: [user]}]}\n";

    fn pvc(name: &str, claim: &str) -> Volume {
        Volume {
            name: name.to_string(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim.to_string(),
                read_only: None,
            }),
            ..Volume::default()
        }
    }

    fn workflow(affinity: Option<Affinity>) -> Manifest {
        Manifest::Workflow(Workflow {
            spec: WorkflowSpec {
                affinity,
                volumes: vec![
                    pvc("home", "claim-alice"),
                    pvc("data", "team"),
                    pvc("again", "team"),
                ],
                ..WorkflowSpec::default()
            },
            ..Workflow::default()
        })
    }

    fn modes(modes: &[&str]) -> ClaimAccess {
        ClaimAccess::Modes(modes.iter().map(|m| m.to_string()).collect())
    }

    fn pin(manifest: &mut Manifest, claims: &[(&str, ClaimAccess)]) -> Result<Report> {
        let pod = parse_pod(POD).unwrap();
        let claims = claims
            .iter()
            .map(|(c, a)| (c.to_string(), a.clone()))
            .collect();
        let mut report = Report::default();
        pin_single_node_volumes(manifest, &pod, &claims, &mut report)?;
        Ok(report)
    }

    fn required_terms(manifest: &Manifest) -> Vec<NodeSelectorTerm> {
        manifest
            .workflow_spec()
            .affinity
            .as_ref()
            .and_then(|a| a.node_affinity.as_ref())
            .and_then(|n| {
                n.required_during_scheduling_ignored_during_execution
                    .as_ref()
            })
            .map(|r| r.node_selector_terms.clone())
            .unwrap_or_default()
    }

    #[test]
    fn claims_are_listed_once_in_volume_order() {
        assert_eq!(
            persistent_volume_claims(&workflow(None).workflow_spec().volumes),
            ["claim-alice", "team"]
        );
    }

    #[test]
    fn the_claims_to_check_are_those_the_steps_mount() {
        let pod = parse_pod(
            "kind: Pod\nspec:\n  containers: [{name: notebook, volumeMounts: [{name: home, mountPath: /home/jovyan}]}]\n  volumes:\n  - {name: home, persistentVolumeClaim: {claimName: claim-alice}}\n  - {name: sidecar-only, persistentVolumeClaim: {claimName: logs}}\n",
        )
        .unwrap();
        let settings = Settings {
            extra_volumes: vec![pvc("shared", "team")],
            ..Settings::default()
        };
        let container = &pod.spec.as_ref().unwrap().containers[0];
        assert_eq!(
            claims_to_check(&pod, container, &settings),
            ["claim-alice", "team"]
        );
    }

    #[test]
    fn a_claim_that_was_not_read_is_left_alone() {
        let mut manifest = workflow(None);
        let report = pin(&mut manifest, &[("team", modes(&["ReadWriteMany"]))]).unwrap();
        assert!(manifest.workflow_spec().affinity.is_none());
        assert!(report.warnings.is_empty());
    }

    #[test]
    fn read_write_once_pins_to_the_notebook_node_and_keeps_the_copied_affinity() {
        let pod = parse_pod(POD).unwrap();
        let copied = pod.spec.as_ref().and_then(|s| s.affinity.clone());
        let mut manifest = workflow(copied);
        let report = pin(
            &mut manifest,
            &[
                ("claim-alice", modes(&["ReadWriteOnce"])),
                ("team", modes(&["ReadWriteMany"])),
            ],
        )
        .unwrap();
        let terms = required_terms(&manifest);
        assert_eq!(terms.len(), 1);
        let fields = terms[0].match_fields.as_ref().unwrap();
        assert_eq!(
            (fields[0].key.as_str(), fields[0].operator.as_str()),
            ("metadata.name", "In")
        );
        assert_eq!(
            fields[0].values.as_deref(),
            Some(&["node-a".to_string()][..])
        );
        let node_affinity = manifest
            .workflow_spec()
            .affinity
            .as_ref()
            .unwrap()
            .node_affinity
            .as_ref()
            .unwrap();
        assert!(node_affinity
            .preferred_during_scheduling_ignored_during_execution
            .is_some());
        assert_eq!(report.warnings.len(), 1);
        assert!(
            report.warnings[0].contains("pinned to the notebook's node node-a"),
            "{:?}",
            report.warnings
        );
        assert!(report.warnings[0].contains("\"claim-alice\""));
    }

    #[test]
    fn each_required_term_gets_the_node() {
        let term = |key: &str| NodeSelectorTerm {
            match_expressions: Some(vec![NodeSelectorRequirement {
                key: key.to_string(),
                operator: "Exists".to_string(),
                values: None,
            }]),
            ..NodeSelectorTerm::default()
        };
        let affinity = require_node(
            Some(Affinity {
                node_affinity: Some(k8s_openapi::api::core::v1::NodeAffinity {
                    required_during_scheduling_ignored_during_execution: Some(
                        k8s_openapi::api::core::v1::NodeSelector {
                            node_selector_terms: vec![term("a"), term("b")],
                        },
                    ),
                    ..Default::default()
                }),
                ..Affinity::default()
            }),
            "node-a",
        );
        let terms = affinity
            .node_affinity
            .unwrap()
            .required_during_scheduling_ignored_during_execution
            .unwrap()
            .node_selector_terms;
        assert_eq!(terms.len(), 2);
        for term in terms {
            assert_eq!(term.match_expressions.unwrap().len(), 1);
            assert_eq!(
                term.match_fields.unwrap()[0].values.as_deref(),
                Some(&["node-a".to_string()][..])
            );
        }
    }

    #[test]
    fn read_write_many_is_left_alone() {
        let mut manifest = workflow(None);
        let report = pin(
            &mut manifest,
            &[("claim-alice", modes(&["ReadWriteMany", "ReadWriteOnce"]))],
        )
        .unwrap();
        assert!(manifest.workflow_spec().affinity.is_none());
        assert!(report.warnings.is_empty());
    }

    #[test]
    fn read_write_once_pod_is_refused() {
        let mut manifest = workflow(None);
        let err = pin(
            &mut manifest,
            &[("claim-alice", modes(&["ReadWriteOncePod"]))],
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("\"claim-alice\" is ReadWriteOncePod"),
            "{err}"
        );
    }

    #[test]
    fn unreadable_or_missing_claims_warn_and_change_nothing() {
        let mut manifest = workflow(None);
        let report = pin(
            &mut manifest,
            &[
                (
                    "claim-alice",
                    ClaimAccess::Forbidden("system:serviceaccount:jhub:notebook".into()),
                ),
                ("team", ClaimAccess::NotFound),
            ],
        )
        .unwrap();
        assert!(manifest.workflow_spec().affinity.is_none());
        assert_eq!(report.warnings.len(), 2);
        assert!(
            report.warnings[0].contains("may not get persistentvolumeclaims"),
            "{:?}",
            report.warnings
        );
        assert!(
            report.warnings[1].contains("does not exist"),
            "{:?}",
            report.warnings
        );
    }

    fn cron(affinity: Option<Affinity>) -> Manifest {
        let Manifest::Workflow(workflow) = workflow(affinity) else {
            unreachable!()
        };
        Manifest::CronWorkflow(CronWorkflow {
            api_version: workflow.api_version,
            metadata: workflow.metadata,
            spec: CronWorkflowSpec {
                workflow_spec: workflow.spec,
                ..CronWorkflowSpec::default()
            },
        })
    }

    fn preferred_pod_terms(manifest: &Manifest) -> Vec<WeightedPodAffinityTerm> {
        manifest
            .workflow_spec()
            .affinity
            .as_ref()
            .and_then(|a| a.pod_affinity.as_ref())
            .and_then(|p| {
                p.preferred_during_scheduling_ignored_during_execution
                    .clone()
            })
            .unwrap_or_default()
    }

    #[test]
    fn a_cron_workflow_is_not_pinned_but_prefers_the_running_notebooks_node() {
        let pod = parse_pod(POD).unwrap();
        let mut manifest = cron(pod.spec.as_ref().and_then(|s| s.affinity.clone()));
        let report = pin(&mut manifest, &[("claim-alice", modes(&["ReadWriteOnce"]))]).unwrap();
        assert!(
            required_terms(&manifest).is_empty(),
            "pinned to today's node"
        );
        let terms = preferred_pod_terms(&manifest);
        assert_eq!(terms.len(), 1);
        assert_eq!(terms[0].weight, 100);
        let term = &terms[0].pod_affinity_term;
        assert_eq!(term.topology_key, "kubernetes.io/hostname");
        assert_eq!(
            term.namespaces, None,
            "the steps' own namespace, the notebook's"
        );
        let selector = term.label_selector.as_ref().unwrap();
        let expected: BTreeMap<String, String> = [
            ("component", "singleuser-server"),
            ("hub.jupyter.org/servername", ""),
            ("hub.jupyter.org/username", "alice"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(selector.match_labels.as_ref(), Some(&expected));
        // The copied node affinity is kept beside it.
        let node = manifest
            .workflow_spec()
            .affinity
            .as_ref()
            .unwrap()
            .node_affinity
            .as_ref();
        assert!(node.is_some_and(|n| n
            .preferred_during_scheduling_ignored_during_execution
            .is_some()));
        assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
        let warning = &report.warnings[0];
        assert!(
            warning.contains("prefers the notebook's node while the notebook runs")
                && warning.contains("starts on any node when it does not")
                && warning.contains("waits in ContainerCreating until the notebook stops")
                && !warning.contains("wait for its node"),
            "{warning}"
        );
        assert!(report
            .notes
            .iter()
            .any(|n| n.field == "affinity podAffinity"
                && n.detail.contains("hub.jupyter.org/username=alice")));
    }

    #[test]
    fn the_preference_joins_a_copied_pod_affinity() {
        let copied = Affinity {
            pod_affinity: Some(k8s_openapi::api::core::v1::PodAffinity {
                preferred_during_scheduling_ignored_during_execution: Some(vec![
                    WeightedPodAffinityTerm {
                        weight: 10,
                        pod_affinity_term: PodAffinityTerm {
                            topology_key: "topology.kubernetes.io/zone".into(),
                            ..PodAffinityTerm::default()
                        },
                    },
                ]),
                ..Default::default()
            }),
            ..Affinity::default()
        };
        let mut manifest = cron(Some(copied.clone()));
        if let Manifest::CronWorkflow(cron) = &mut manifest {
            // A GPU step's own affinity, which Argo takes instead of the workflow's.
            cron.spec
                .workflow_spec
                .templates
                .push(crate::argo::Template {
                    name: "train".into(),
                    affinity: Some(copied),
                    ..Default::default()
                });
        }
        pin(&mut manifest, &[("claim-alice", modes(&["ReadWriteOnce"]))]).unwrap();
        let topology_keys = |affinity: Option<&Affinity>| -> Vec<String> {
            affinity
                .and_then(|a| a.pod_affinity.as_ref())
                .and_then(|p| {
                    p.preferred_during_scheduling_ignored_during_execution
                        .as_ref()
                })
                .into_iter()
                .flatten()
                .map(|t| t.pod_affinity_term.topology_key.clone())
                .collect()
        };
        let spec = manifest.workflow_spec();
        for affinity in [spec.affinity.as_ref(), spec.templates[0].affinity.as_ref()] {
            assert_eq!(
                topology_keys(affinity),
                ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]
            );
        }
    }

    #[test]
    fn a_cron_workflow_of_a_pod_without_labels_only_gets_the_warning() {
        let pod =
            parse_pod("kind: Pod\nspec: {nodeName: node-a, containers: [{name: notebook}]}\n")
                .unwrap();
        let mut manifest = cron(None);
        let mut report = Report::default();
        let claims = [("claim-alice".to_string(), modes(&["ReadWriteOnce"]))].into();
        pin_single_node_volumes(&mut manifest, &pod, &claims, &mut report).unwrap();
        assert!(manifest.workflow_spec().affinity.is_none());
        assert!(
            report.warnings[0].contains("no labels")
                && report.warnings[0].contains("waits in ContainerCreating"),
            "{:?}",
            report.warnings
        );
    }

    #[test]
    fn a_pod_on_no_node_is_not_pinned() {
        let mut manifest = workflow(None);
        let pod = parse_pod("kind: Pod\nspec: {containers: [{name: notebook}]}\n").unwrap();
        let mut report = Report::default();
        let claims = [("claim-alice".to_string(), modes(&["ReadWriteOnce"]))].into();
        pin_single_node_volumes(&mut manifest, &pod, &claims, &mut report).unwrap();
        assert!(manifest.workflow_spec().affinity.is_none());
        assert!(
            report.warnings[0].contains("no spec.nodeName"),
            "{:?}",
            report.warnings
        );
    }
}
