//! The values only the cluster (or a file) knows: pods, containers, namespaces, contexts. Any
//! failure gives no candidates, and a cluster look-up gives up after [`LOOKUP_TIMEOUT`].

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, ListParams};

use super::protocol::{Candidate, Lookup, Resource};
use crate::client::{self, ClientOptions};
use crate::source;

/// The longest a cluster look-up may take before completion gives up, silently: a <TAB> must
/// never hang a shell on an unreachable API server.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_millis(1500);

/// Runs a look-up: offline ones (contexts, containers of `--pod-file`) directly; cluster ones
/// only when there are credentials, within `LOOKUP_TIMEOUT`.
pub fn look_up(lookup: &Lookup) -> Vec<Candidate> {
    match (&lookup.resource, &lookup.pod_file) {
        (Some(Resource::Contexts), _) => contexts(lookup.kubeconfig.as_deref()),
        (Some(Resource::Containers), Some(path)) if path != Path::new("-") => {
            source::read_pod_file(path)
                .map(|pod| containers(&pod))
                .unwrap_or_default()
        }
        (Some(Resource::Containers), Some(_)) | (None, _) => Vec::new(),
        (Some(_), _) if !client::has_credentials(&client_options(lookup)) => Vec::new(),
        (Some(_), _) => {
            let lookup = lookup.clone();
            nothing_if_slower_than(LOOKUP_TIMEOUT, move || look_up_in_cluster(&lookup))
        }
    }
}

/// The connection the typed `--kubeconfig`, `--context` and `-n` ask for.
fn client_options(lookup: &Lookup) -> ClientOptions {
    ClientOptions {
        kubeconfig: lookup.kubeconfig.clone(),
        context: lookup.context.clone(),
        namespace: lookup.namespace.clone(),
    }
}

/// Runs `work` on its own thread; no candidates if it has not answered after `limit`. A thread
/// stuck on the network (or on an exec credential plugin) is left behind: the process exits
/// right after printing.
fn nothing_if_slower_than<F>(limit: Duration, work: F) -> Vec<Candidate>
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
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return Vec::new();
    };
    runtime.block_on(async {
        let Ok(connection) = client::connect(&client_options(lookup)).await else {
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
fn names(metadata: impl Iterator<Item = ObjectMeta>) -> Vec<Candidate> {
    let mut names: Vec<String> = metadata.filter_map(|meta| meta.name).collect();
    names.sort();
    names
        .into_iter()
        .map(|name| Candidate::new(name, None))
        .collect()
}

/// The containers of a pod, with their image as the description.
fn containers(pod: &Pod) -> Vec<Candidate> {
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

    #[test]
    fn containers_come_from_the_pod_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pod.yaml");
        std::fs::write(&path, "kind: Pod\nspec:\n  containers:\n  - {name: notebook, image: nb:1}\n  - {name: sidecar}\n")
            .unwrap();
        let lookup = Lookup {
            resource: Some(Resource::Containers),
            pod_file: Some(path),
            ..Lookup::default()
        };
        assert_eq!(
            look_up(&lookup),
            [
                Candidate::new("notebook", Some("nb:1".into())),
                Candidate::new("sidecar", None)
            ]
        );
    }

    #[test]
    fn a_look_up_that_does_not_answer_in_time_gives_nothing() {
        // The work waits until the test releases it, after the deadline has passed: no clock
        // decides the outcome, only the order.
        let (release, wait) = mpsc::channel::<()>();
        let found = nothing_if_slower_than(Duration::from_millis(10), move || {
            let _ = wait.recv();
            vec![Candidate::new("late", None)]
        });
        let _ = release.send(());
        assert!(found.is_empty());
        assert_eq!(
            nothing_if_slower_than(Duration::from_secs(60), || vec![Candidate::new(
                "on time", None
            )]),
            [Candidate::new("on time", None)]
        );
    }
}
