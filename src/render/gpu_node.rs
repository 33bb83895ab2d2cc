//! Steps pinned to the notebook's node (a ReadWriteOnce or hostPath home) can only get GPUs
//! that node has: `--gpu N` there from a notebook on a CPU-only node would leave every GPU step
//! Pending forever, while render said nothing. So it is refused at render time. The node's
//! GPUs come from its Node object (`status.allocatable`) when the Node may be read, else from
//! what the notebook itself requests (a notebook that holds a GPU runs on a node that has one).

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use k8s_openapi::api::core::v1::{Container, Node, Pod};

use super::pin::{self, ClaimAccessByName};
use super::{gpu, Action, Report};
use crate::checks::resources::quantity_nanos;
use crate::config::Settings;
use crate::pipeline::Pipeline;

/// What the API server said about the notebook's Node, read only when GPU steps may be pinned
/// to it.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeGpus {
    /// `status.allocatable` GPUs by resource name (none: a CPU-only node).
    Allocatable(BTreeMap<String, i128>),
    /// The Node could not be read (forbidden, or gone); why, for `--explain`.
    Unreadable(String),
}

/// The notebook's node when its GPUs decide whether the steps can run: some step asks for
/// GPUs and the steps would be pinned to that node. Only then is the Node read.
pub fn node_to_check<'a>(
    pod: &'a Pod,
    container: &Container,
    settings: &Settings,
    pipeline: &Pipeline,
    claims: &ClaimAccessByName,
) -> Option<&'a str> {
    let node = pod.spec.as_ref()?.node_name.as_deref()?;
    let scheduled = settings.schedule.is_some() || pipeline.schedule.is_some();
    let needed = !node.is_empty()
        && gpu::steps_use_gpus(settings, pipeline)
        && pin::may_pin(pod, container, settings, claims, scheduled);
    needed.then_some(node)
}

/// The GPUs a Node offers pods, by resource name.
pub fn allocatable_gpus(node: &Node) -> BTreeMap<String, i128> {
    let allocatable = node.status.as_ref().and_then(|s| s.allocatable.as_ref());
    allocatable
        .into_iter()
        .flatten()
        .filter(|(name, _)| gpu::is_gpu_key(name))
        .map(|(name, quantity)| {
            let count = quantity_nanos(quantity.0.trim()).map_or(0, |n| n.whole_units());
            (name.clone(), count)
        })
        .filter(|(_, count)| *count > 0)
        .collect()
}

/// A step's GPU request: its name and GPUs by resource name.
pub(super) type StepGpus<'a> = (&'a str, BTreeMap<String, i128>);

/// Refuses GPU steps pinned to `node` (`pinned_by`: the volume that pins them) when that node
/// has none of the GPUs they ask for; says in `--explain` what decided.
pub(super) fn check_pinned_gpu_steps(
    node: &str,
    pinned_by: &str,
    steps: &[StepGpus],
    facts: Option<&NodeGpus>,
    notebook: &Container,
    report: &mut Report,
) -> Result<()> {
    let mut needed: BTreeMap<&str, (i128, &str)> = BTreeMap::new();
    for (step, gpus) in steps {
        for (resource, &count) in gpus {
            let most = needed.entry(resource).or_insert((0, step));
            if count > most.0 {
                *most = (count, step);
            }
        }
    }
    if needed.is_empty() {
        return Ok(());
    }
    let notebook_gpus = gpu::requested_gpus(notebook.resources.as_ref());
    // Why the Node's own answer is missing, when it is.
    let not_read = match facts {
        Some(NodeGpus::Allocatable(_)) => None,
        Some(NodeGpus::Unreadable(why)) => Some(why.as_str()),
        None => Some("rendered without the cluster"),
    };
    let (have, source) = match (facts, not_read) {
        (Some(NodeGpus::Allocatable(gpus)), _) => {
            (gpus.clone(), "its Node's status.allocatable".to_string())
        }
        (_, why) => (
            notebook_gpus.clone(),
            format!(
                "the notebook's own GPU request; the Node was not read: {}",
                why.unwrap_or_default()
            ),
        ),
    };
    let from_node = not_read.is_none();
    for (resource, (count, step)) in &needed {
        let has = have.get(*resource).copied().unwrap_or(0);
        // Without the Node, a notebook holding a GPU only says the node has at least one.
        let enough = if from_node { has >= *count } else { has > 0 };
        if !enough {
            let found = if from_node {
                format!("has {has} {resource} allocatable")
            } else {
                format!("is taken to have no {resource}, as the notebook requests none")
            };
            bail!(
                "step {step} needs {count} {resource}, but the steps must run on the notebook's \
                 node {node} ({pinned_by} is there) and that node {found} ({source}), so they \
                 would stay Pending forever; keep the data the steps need on ReadWriteMany \
                 storage (ask your admin) so they may run on a GPU node, or start the notebook \
                 on a GPU node (a GPU profile)"
            );
        }
        let known = if from_node {
            format!("node {node} has {has} {resource}")
        } else {
            format!("node {node} has {resource} (the notebook holds {has})")
        };
        report.note(
            Action::Check,
            format!("GPUs on node {node}"),
            format!("{known}, enough for the pinned GPU steps (decided from {source})"),
        );
        let free = has - notebook_gpus.get(*resource).copied().unwrap_or(0);
        if from_node && free < *count {
            report.warnings.push(format!(
                "the notebook holds {} of the {has} {resource} of its node {node}, so step \
                 {step} ({count}) waits until the notebook stops or frees them",
                has - free
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{NodeStatus, ResourceRequirements};
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

    fn quantities(pairs: &[(&str, &str)]) -> BTreeMap<String, Quantity> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Quantity(v.to_string())))
            .collect()
    }

    fn notebook(gpus: Option<&str>) -> Container {
        Container {
            name: "notebook".into(),
            resources: gpus.map(|n| ResourceRequirements {
                limits: Some(quantities(&[("nvidia.com/gpu", n)])),
                ..ResourceRequirements::default()
            }),
            ..Container::default()
        }
    }

    fn train(count: i128) -> Vec<StepGpus<'static>> {
        vec![
            ("prep", BTreeMap::new()),
            (
                "train",
                BTreeMap::from([("nvidia.com/gpu".to_string(), count)]),
            ),
        ]
    }

    fn check(steps: &[StepGpus], facts: Option<&NodeGpus>, notebook: &Container) -> Result<Report> {
        let mut report = Report::default();
        check_pinned_gpu_steps(
            "node-a",
            "volume claim \"home\"",
            steps,
            facts,
            notebook,
            &mut report,
        )?;
        Ok(report)
    }

    fn node_with(gpus: &[(&str, &str)]) -> NodeGpus {
        let node = Node {
            status: Some(NodeStatus {
                allocatable: Some(quantities(gpus)),
                ..NodeStatus::default()
            }),
            ..Node::default()
        };
        NodeGpus::Allocatable(allocatable_gpus(&node))
    }

    #[test]
    fn allocatable_counts_gpu_resources_only() {
        let NodeGpus::Allocatable(gpus) =
            node_with(&[("cpu", "8"), ("nvidia.com/gpu", "4"), ("amd.com/gpu", "0")])
        else {
            unreachable!()
        };
        assert_eq!(gpus, BTreeMap::from([("nvidia.com/gpu".to_string(), 4)]));
        assert!(allocatable_gpus(&Node::default()).is_empty());
    }

    #[test]
    fn a_cpu_only_node_is_refused_with_the_way_out() {
        let err = check(
            &train(1),
            Some(&node_with(&[("cpu", "8")])),
            &notebook(None),
        )
        .unwrap_err()
        .to_string();
        for part in [
            "step train needs 1 nvidia.com/gpu",
            "node node-a",
            "has 0 nvidia.com/gpu allocatable (its Node's status.allocatable)",
            "ReadWriteMany",
            "notebook on a GPU node",
        ] {
            assert!(err.contains(part), "{part:?} in {err}");
        }
    }

    #[test]
    fn a_node_with_too_few_gpus_is_refused_and_enough_is_explained() {
        let four = node_with(&[("nvidia.com/gpu", "4")]);
        let err = check(&train(8), Some(&four), &notebook(None)).unwrap_err();
        assert!(err.to_string().contains("needs 8 nvidia.com/gpu"), "{err}");
        let report = check(&train(2), Some(&four), &notebook(None)).unwrap();
        let note = report.notes[0].to_string();
        assert!(
            note.starts_with("check    GPUs on node node-a: node node-a has 4 nvidia.com/gpu")
                && note.contains("its Node's status.allocatable"),
            "{note}"
        );
        assert!(report.warnings.is_empty());
    }

    #[test]
    fn gpus_the_notebook_holds_are_warned_about() {
        let one = node_with(&[("nvidia.com/gpu", "1")]);
        let report = check(&train(1), Some(&one), &notebook(Some("1"))).unwrap();
        assert!(
            report.warnings[0].contains("the notebook holds 1 of the 1 nvidia.com/gpu"),
            "{:?}",
            report.warnings
        );
    }

    #[test]
    fn without_the_node_the_notebooks_own_gpus_decide() {
        let forbidden = NodeGpus::Unreadable("alice may not get nodes".into());
        let err = check(&train(1), Some(&forbidden), &notebook(None)).unwrap_err();
        assert!(
            err.to_string()
                .contains("taken to have no nvidia.com/gpu, as the notebook requests none")
                && err
                    .to_string()
                    .contains("the Node was not read: alice may not get nodes"),
            "{err}"
        );
        let report = check(&train(2), Some(&forbidden), &notebook(Some("1"))).unwrap();
        assert!(
            report.notes[0]
                .detail
                .contains("the notebook's own GPU request"),
            "{:?}",
            report.notes
        );
        let offline = check(&train(1), None, &notebook(None)).unwrap_err();
        assert!(
            offline.to_string().contains("rendered without the cluster"),
            "{offline}"
        );
    }

    #[test]
    fn steps_without_gpus_are_not_checked() {
        let steps = vec![("prep", BTreeMap::new())];
        let report = check(&steps, Some(&node_with(&[])), &notebook(None)).unwrap();
        assert!(report.notes.is_empty());
    }
}
