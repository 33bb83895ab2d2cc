//! The notebook pod's labels: why each is left off the steps (`--explain`), and which of them
//! identify this user's notebook (what a scheduled step's soft pod affinity selects).
//!
//! KubeSpawner labels a notebook pod with `hub.jupyter.org/username`, `hub.jupyter.org/servername`
//! and `component` (its `component_label`, `singleuser-server` by default), plus its
//! `common_labels` (`app`, `heritage`, `app.kubernetes.io/{name,managed-by}`; z2jh adds `release`,
//! `chart`, `app.kubernetes.io/{instance,component}`) and the chart's `extraLabels`
//! (`hub.jupyter.org/network-access-hub`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;

const USERNAME: &str = "hub.jupyter.org/username";
const SERVERNAME: &str = "hub.jupyter.org/servername";
const COMPONENT: &str = "component";
const NETWORK_ACCESS_HUB: &str = "hub.jupyter.org/network-access-hub";
const SINGLEUSER_SERVER: &str = "singleuser-server";

/// What KubeSpawner (or z2jh through it) means by each label it sets on a notebook pod.
const KUBESPAWNER_LABELS: &[(&str, &str)] = &[
    (
        USERNAME,
        "KubeSpawner's: whose notebook this is; the server's Service selects on it",
    ),
    (
        SERVERNAME,
        "KubeSpawner's: which of the user's servers this is; the server's Service selects on it",
    ),
    (
        COMPONENT,
        "KubeSpawner's: marks a user's notebook server; its pod watcher, the server's Service and \
         z2jh's NetworkPolicies select on it",
    ),
    (
        "app.kubernetes.io/component",
        "KubeSpawner's: marks a user's notebook server (the recommended label)",
    ),
    (
        "app.kubernetes.io/managed-by",
        "KubeSpawner's: says KubeSpawner manages the pod; the steps are kubectl-jupyterflow's",
    ),
];

/// KubeSpawner's common labels: which JupyterHub deployment the pod belongs to.
const HUB_DEPLOYMENT_LABELS: &[&str] = &[
    "app",
    "heritage",
    "release",
    "chart",
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
];

const HUB_DEPLOYMENT: &str = "KubeSpawner's common_labels: which JupyterHub deployment the pod \
     belongs to; z2jh's NetworkPolicies select on app and release";
const NETWORK_ACCESS: &str =
    "z2jh's: lets the pod through the hub's NetworkPolicy to the hub API, \
     which the steps must not reach";
const OTHER: &str = "a label of the notebook pod; selectors aimed at the notebook must not \
     pick up the steps, which carry their own";

/// Whether KubeSpawner made the pod: only then are `app`, `release`... its common labels.
fn spawned_by_kubespawner(labels: &BTreeMap<String, String>) -> bool {
    labels.contains_key(USERNAME)
        || labels.get(COMPONENT).map(String::as_str) == Some(SINGLEUSER_SERVER)
        || labels
            .get("app.kubernetes.io/managed-by")
            .map(String::as_str)
            == Some("kubespawner")
}

/// Why the label `key` of the notebook pod is not on the steps, for `--explain`.
pub fn why_dropped(key: &str, labels: &BTreeMap<String, String>) -> &'static str {
    if key == NETWORK_ACCESS_HUB {
        return NETWORK_ACCESS;
    }
    if !spawned_by_kubespawner(labels) {
        return OTHER;
    }
    if let Some((_, why)) = KUBESPAWNER_LABELS.iter().find(|(k, _)| *k == key) {
        return why;
    }
    if HUB_DEPLOYMENT_LABELS.contains(&key) {
        return HUB_DEPLOYMENT;
    }
    OTHER
}

/// The labels that pick out this notebook's pod and no other pod, for a pod affinity: the
/// ones KubeSpawner's own Service for the server selects on (`component`, username, server
/// name), else every label of a pod KubeSpawner did not make. Empty if it has none.
pub fn identifying_labels(pod: &Pod) -> BTreeMap<String, String> {
    let labels = pod.metadata.labels.clone().unwrap_or_default();
    if labels.contains_key(USERNAME) {
        return labels
            .into_iter()
            .filter(|(key, _)| [COMPONENT, USERNAME, SERVERNAME].contains(&key.as_str()))
            .collect();
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::parse_pod;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn kubespawners_labels_are_named_for_what_they_do() {
        let pod = labels(&[
            (USERNAME, "alice"),
            (COMPONENT, SINGLEUSER_SERVER),
            ("release", "jhub"),
            ("team", "ml"),
        ]);
        assert!(why_dropped(USERNAME, &pod).contains("whose notebook"));
        assert!(why_dropped(COMPONENT, &pod).contains("notebook server"));
        assert_eq!(why_dropped("release", &pod), HUB_DEPLOYMENT);
        assert_eq!(why_dropped(NETWORK_ACCESS_HUB, &pod), NETWORK_ACCESS);
        assert_eq!(why_dropped("team", &pod), OTHER);
        assert!(OTHER.starts_with("a label of the notebook pod"));
    }

    #[test]
    fn on_a_pod_kubespawner_did_not_make_no_label_is_called_kubespawners() {
        let pod = labels(&[("app", "my-notebook"), (COMPONENT, "lab")]);
        for key in ["app", COMPONENT] {
            assert_eq!(why_dropped(key, &pod), OTHER, "{key}");
        }
    }

    #[test]
    fn a_kubespawner_pod_is_identified_by_user_server_and_component() {
        let pod = parse_pod(
            "kind: Pod\nmetadata:\n  labels: {app: jupyterhub, release: jhub, component: singleuser-server, hub.jupyter.org/username: alice, hub.jupyter.org/servername: '', hub.jupyter.org/network-access-hub: 'true'}\nspec: {containers: [{name: notebook}]}\n",
        )
        .unwrap();
        assert_eq!(
            identifying_labels(&pod),
            labels(&[
                (COMPONENT, SINGLEUSER_SERVER),
                (SERVERNAME, ""),
                (USERNAME, "alice")
            ])
        );
    }

    #[test]
    fn another_pod_is_identified_by_all_its_labels_or_not_at_all() {
        let pod = parse_pod(
            "kind: Pod\nmetadata: {labels: {app: lab, owner: gina}}\nspec: {containers: [{name: notebook}]}\n",
        )
        .unwrap();
        assert_eq!(
            identifying_labels(&pod),
            labels(&[("app", "lab"), ("owner", "gina")])
        );
        let bare = parse_pod("kind: Pod\nspec: {containers: [{name: notebook}]}\n").unwrap();
        assert!(identifying_labels(&bare).is_empty());
    }
}
