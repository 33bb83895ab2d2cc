//! A GPU notebook's GPU plumbing (NVIDIA driver variables, GPU node selectors, affinity terms
//! and tolerations) reaches the steps only when they ask for GPUs. Without a GPU request,
//! `NVIDIA_VISIBLE_DEVICES=all` on a node whose default runtime is NVIDIA's shows the container
//! every GPU of the node outside the scheduler's accounting, and GPU placement pins CPU-only
//! steps to scarce GPU nodes. So without a GPU request, `NVIDIA_VISIBLE_DEVICES` becomes `void`
//! (dropping it would leave a CUDA image's own `all`), and node-affinity terms that keep pods
//! *off* GPU nodes (`NotIn`, `DoesNotExist`) stay.
//!
//! This is decided per step: a pipeline whose training step asks for a GPU keeps its other
//! steps off GPU nodes and away from the node's GPUs (see `placement`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, NodeSelectorRequirement, ResourceRequirements, Toleration,
};

use crate::checks::resources::quantity_nanos;
use crate::config::Settings;
use crate::pipeline::Pipeline;

/// Node label and taint keys that mean "a GPU node"; a key also matches with a `.suffix`
/// (`nvidia.com/gpu.present`, `nvidia.com/gpu.product`).
pub const GPU_NODE_KEYS: &[&str] = &[
    "nvidia.com/gpu",
    "cloud.google.com/gke-accelerator",
    "cloud.google.com/gke-gpu",
    "k8s.amazonaws.com/accelerator",
    "amd.com/gpu",
    "gpu.intel.com/i915",
];

/// The NVIDIA container runtime reads these from the container's environment.
const NVIDIA_ENV_PREFIX: &str = "NVIDIA_";

/// The variable that chooses which GPUs the NVIDIA runtime shows a container.
pub const NVIDIA_VISIBLE_DEVICES: &str = "NVIDIA_VISIBLE_DEVICES";

/// `void`: the NVIDIA runtime then behaves like runc and shows no GPU. Set for steps without
/// GPUs of a notebook that had the variable, since CUDA images commonly bake
/// `NVIDIA_VISIBLE_DEVICES=all` into their own environment, which dropping ours would expose.
pub const NO_VISIBLE_DEVICES: &str = "void";

/// The toleration `--gpu` adds when the notebook has none for NVIDIA's common taint.
pub const NVIDIA_TAINT_KEY: &str = "nvidia.com/gpu";

/// True whether no step or only some steps ask for GPUs (the GPU steps then get the plumbing
/// on their own templates, listed as "(GPU step NAME)").
pub const WHY_DROPPED: &str =
    "GPU plumbing of the notebook; not for steps that request no GPU (ask with --gpu N or a job's gpu:)";

/// Whether some step may request a GPU (`--gpu N`, the config file's resources, a job's
/// `gpu:` or `resources:`), decided before rendering: the Node is read only then.
pub fn steps_use_gpus(settings: &Settings, pipeline: &Pipeline) -> bool {
    settings.gpu.is_some_and(|n| n > 0)
        || requests_gpus(settings.resources.as_ref())
        || pipeline.steps.iter().any(|step| {
            step.overrides.gpu.is_some_and(|n| n > 0)
                || requests_gpus(step.overrides.resources.as_ref())
        })
}

/// The GPUs a container asks for, by resource name: the larger of its request and limit
/// (Kubernetes makes an extended resource's request its limit); none for a count of zero.
pub fn requested_gpus(resources: Option<&ResourceRequirements>) -> BTreeMap<String, i128> {
    let mut gpus = BTreeMap::new();
    let Some(resources) = resources else {
        return gpus;
    };
    for (name, quantity) in [&resources.requests, &resources.limits]
        .into_iter()
        .flatten()
        .flatten()
    {
        let count = quantity_nanos(quantity.0.trim()).map_or(0, |n| n.whole_units());
        if is_gpu_key(name) && count > 0 {
            let most = gpus.entry(name.clone()).or_insert(0);
            *most = count.max(*most);
        }
    }
    gpus
}

pub fn requests_gpus(resources: Option<&ResourceRequirements>) -> bool {
    !requested_gpus(resources).is_empty()
}

pub fn is_gpu_key(key: &str) -> bool {
    GPU_NODE_KEYS.iter().any(|gpu| {
        key == *gpu
            || key
                .strip_prefix(gpu)
                .is_some_and(|rest| rest.starts_with('.'))
    })
}

/// NVIDIA's runtime classes (`nvidia`, `nvidia-cdi`, `nvidia-legacy`): how some clusters give
/// GPU pods the NVIDIA container runtime.
pub fn is_gpu_runtime_class(name: &str) -> bool {
    name.to_ascii_lowercase().contains("nvidia")
}

pub fn is_nvidia_env(name: &str) -> bool {
    name.starts_with(NVIDIA_ENV_PREFIX)
}

pub fn is_gpu_toleration(toleration: &Toleration) -> bool {
    toleration.key.as_deref().is_some_and(is_gpu_key)
}

/// A toleration that lets a pod onto nodes tainted `nvidia.com/gpu` (any value, any effect
/// the toleration names, or all keys with `Exists`).
pub fn tolerates_nvidia_taint(toleration: &Toleration) -> bool {
    let exists = toleration.operator.as_deref() == Some("Exists");
    let effect_ok = matches!(
        toleration.effect.as_deref(),
        None | Some("") | Some("NoSchedule")
    );
    effect_ok
        && match toleration.key.as_deref() {
            Some(NVIDIA_TAINT_KEY) => true,
            None | Some("") => exists,
            Some(_) => false,
        }
}

pub fn nvidia_toleration() -> Toleration {
    Toleration {
        key: Some(NVIDIA_TAINT_KEY.to_string()),
        operator: Some("Exists".to_string()),
        effect: Some("NoSchedule".to_string()),
        ..Toleration::default()
    }
}

/// `In`, `Exists`, `Gt` and `Lt` match only nodes that carry the label (GPU nodes); `NotIn`
/// and `DoesNotExist` keep pods away from them, which CPU-only steps should keep doing.
fn draws_to_labelled_nodes(expression: &NodeSelectorRequirement) -> bool {
    !matches!(expression.operator.as_str(), "NotIn" | "DoesNotExist")
}

/// The affinity without node-affinity expressions on GPU keys. A required term left empty
/// would match no node, so it goes; so does a preference left empty. Returns the keys removed.
pub fn drop_gpu_node_affinity(affinity: &mut Affinity) -> Vec<String> {
    let mut removed = Vec::new();
    let Some(node) = affinity.node_affinity.as_mut() else {
        return removed;
    };
    let mut strip = |expressions: &mut Option<Vec<NodeSelectorRequirement>>| {
        if let Some(list) = expressions.as_mut() {
            list.retain(|e| {
                let gpu = is_gpu_key(&e.key) && draws_to_labelled_nodes(e);
                if gpu {
                    removed.push(e.key.clone());
                }
                !gpu
            });
        }
    };
    if let Some(required) = node
        .required_during_scheduling_ignored_during_execution
        .as_mut()
    {
        let before = required.node_selector_terms.len();
        required.node_selector_terms.retain_mut(|term| {
            let had = term
                .match_expressions
                .as_ref()
                .is_some_and(|e| !e.is_empty());
            strip(&mut term.match_expressions);
            let left = term
                .match_expressions
                .as_ref()
                .is_some_and(|e| !e.is_empty())
                || term.match_fields.as_ref().is_some_and(|f| !f.is_empty());
            left || !had
        });
        if required.node_selector_terms.is_empty() && before > 0 {
            node.required_during_scheduling_ignored_during_execution = None;
        }
    }
    if let Some(preferred) = node
        .preferred_during_scheduling_ignored_during_execution
        .as_mut()
    {
        preferred.retain_mut(|p| {
            let had = p
                .preference
                .match_expressions
                .as_ref()
                .is_some_and(|e| !e.is_empty());
            strip(&mut p.preference.match_expressions);
            let left = p
                .preference
                .match_expressions
                .as_ref()
                .is_some_and(|e| !e.is_empty())
                || p.preference
                    .match_fields
                    .as_ref()
                    .is_some_and(|f| !f.is_empty());
            left || !had
        });
        if preferred.is_empty() {
            node.preferred_during_scheduling_ignored_during_execution = None;
        }
    }
    if node
        .required_during_scheduling_ignored_during_execution
        .is_none()
        && node
            .preferred_during_scheduling_ignored_during_execution
            .is_none()
    {
        affinity.node_affinity = None;
    }
    removed.sort();
    removed.dedup();
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

    fn resources(requests: &[(&str, &str)], limits: &[(&str, &str)]) -> ResourceRequirements {
        let map = |pairs: &[(&str, &str)]| {
            Some(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), Quantity(v.to_string())))
                    .collect(),
            )
        };
        ResourceRequirements {
            requests: map(requests),
            limits: map(limits),
            claims: None,
        }
    }

    #[test]
    fn gpus_are_counted_by_resource_name_and_zero_is_none() {
        let asked = resources(
            &[("cpu", "2"), ("amd.com/gpu", "1")],
            &[("nvidia.com/gpu", "2")],
        );
        let gpus = requested_gpus(Some(&asked));
        assert_eq!(
            gpus.into_iter().collect::<Vec<_>>(),
            [
                ("amd.com/gpu".to_string(), 1),
                ("nvidia.com/gpu".to_string(), 2)
            ]
        );
        assert!(!requests_gpus(Some(&resources(
            &[],
            &[("nvidia.com/gpu", "0")]
        ))));
        assert!(!requests_gpus(Some(&resources(&[("cpu", "4")], &[]))));
        assert!(!requests_gpus(None));
    }

    #[test]
    fn any_step_may_use_gpus_from_flag_config_or_job() {
        let pipeline = |file: &str| crate::pipeline::file::parse(file, "w.yaml", false).unwrap();
        let plain = pipeline("jobs: [a, b]\n");
        assert!(!steps_use_gpus(&Settings::default(), &plain));
        let flag = Settings {
            gpu: Some(1),
            ..Settings::default()
        };
        assert!(steps_use_gpus(&flag, &plain));
        let config = Settings {
            resources: Some(resources(&[], &[("nvidia.com/gpu", "1")])),
            ..Settings::default()
        };
        assert!(steps_use_gpus(&config, &plain));
        let job = pipeline("jobs:\n- a\n- {command: b, gpu: 1}\n");
        assert!(steps_use_gpus(&Settings::default(), &job));
        let none = pipeline("jobs:\n- a\n- {command: b, gpu: 0}\n");
        assert!(!steps_use_gpus(&Settings::default(), &none));
        let own = pipeline("jobs:\n- {command: b, resources: {limits: {nvidia.com/gpu: 1}}}\n");
        assert!(steps_use_gpus(&Settings::default(), &own));
    }
}
