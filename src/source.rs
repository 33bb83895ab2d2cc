//! Where the notebook Pod comes from: a file (`--pod-file`, `-` for stdin) or the API (through
//! `client`, which owns the connection and every request).

use std::path::Path;

use anyhow::{bail, Context, Result};
use k8s_openapi::api::core::v1::{Container, Pod};
use serde::Deserialize;

use crate::cli::PodArgs;
use crate::client::{self, ClientOptions, Connection};
use crate::{input, yaml};

/// The container a notebook runs in, under KubeSpawner's name.
pub const NOTEBOOK_CONTAINER: &str = "notebook";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TypeMeta {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    /// `kubectl get pods -o yaml` prints a `List`.
    #[serde(default)]
    items: Option<Vec<serde_json::Value>>,
}

/// Reads a Pod from `path` (`-` is stdin), as `kubectl get pod NAME -o yaml|json` prints it.
pub fn read_pod_file(path: &Path) -> Result<Pod> {
    let file = input::read_path_or_stdin(path, "pod file")?;
    parse_pod(&file.text).with_context(|| format!("invalid pod file {}", file.shown))
}

/// Parses a Pod (YAML or JSON), or a `List` holding exactly one Pod.
pub fn parse_pod(text: &str) -> Result<Pod> {
    if text.trim().is_empty() {
        bail!("the file is empty; save the notebook's pod with `kubectl get pod $HOSTNAME -o yaml > pod.yaml`");
    }
    let meta: TypeMeta = yaml::from_str(text).context("not valid YAML or JSON")?;
    match meta.kind.as_deref() {
        Some("Pod") => {}
        Some("List") | Some("PodList") => {
            let items = meta.items.unwrap_or_default();
            if items.len() != 1 {
                bail!(
                    "it is a list of {} objects; pass exactly one Pod (`kubectl get pod NAME -o yaml`)",
                    items.len()
                );
            }
            let item = items.into_iter().next().unwrap_or_default();
            let pod: Pod = serde_json::from_value(item).context("the list item is not a valid Pod")?;
            return Ok(pod);
        }
        Some(kind) => bail!(
            "it holds a {kind} ({}), not a Pod; save the notebook's pod with `kubectl get pod $HOSTNAME -o yaml`",
            meta.api_version.as_deref().unwrap_or("no apiVersion")
        ),
        None => bail!("it has no `kind: Pod`; save the notebook's pod with `kubectl get pod $HOSTNAME -o yaml`"),
    }
    let pod: Pod = yaml::from_str(text).context("not a valid Pod")?;
    Ok(pod)
}

/// Reads the notebook Pod from the API: `--pod NAME`, else `$HOSTNAME` (a notebook's own
/// pod name), in `-n`, else the context's namespace, else the notebook's own.
pub async fn fetch_notebook_pod(args: &PodArgs) -> Result<(Pod, Connection)> {
    let name = match &args.pod {
        Some(name) => name.clone(),
        None => std::env::var("HOSTNAME")
            .ok()
            .filter(|h| !h.is_empty())
            .context(
            "no pod to read: pass --pod NAME, or --pod-file PATH ($HOSTNAME, the pod's own name \
             inside a notebook, is unset)",
        )?,
    };
    let connection = client::connect(&ClientOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        namespace: args.namespace.clone(),
    })
    .await?;
    let pod = client::get_pod(&connection, &name).await?;
    Ok((pod, connection))
}

/// Picks the notebook container: `--container NAME`, else `notebook`, else the only one.
pub fn select_container<'a>(pod: &'a Pod, wanted: Option<&str>) -> Result<&'a Container> {
    let containers = pod
        .spec
        .as_ref()
        .map(|s| s.containers.as_slice())
        .unwrap_or_default();
    let names = || {
        containers
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let pod_name = pod.metadata.name.as_deref().unwrap_or("<unnamed>");
    if containers.is_empty() {
        bail!("pod {pod_name} has no containers");
    }
    if let Some(wanted) = wanted {
        return containers
            .iter()
            .find(|c| c.name == wanted)
            .with_context(|| {
                format!(
                    "pod {pod_name} has no container {wanted:?}; its containers are: {}",
                    names()
                )
            });
    }
    if let Some(notebook) = containers.iter().find(|c| c.name == NOTEBOOK_CONTAINER) {
        return Ok(notebook);
    }
    match containers {
        [only] => Ok(only),
        _ => bail!(
            "pod {pod_name} has several containers and none is named {NOTEBOOK_CONTAINER:?}; \
             choose one with --container NAME (one of: {})",
            names()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: jupyter-alice}\nspec:\n  containers:\n  - {name: istio-proxy, image: istio}\n  - {name: notebook, image: nb}\n";

    #[test]
    fn parses_yaml_and_json_pods() {
        assert_eq!(
            parse_pod(POD).unwrap().metadata.name.as_deref(),
            Some("jupyter-alice")
        );
        let json = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c"}]}}"#;
        assert_eq!(parse_pod(json).unwrap().metadata.name.as_deref(), Some("p"));
    }

    #[test]
    fn a_list_with_one_pod_is_accepted_and_more_are_not() {
        let list = "kind: List\napiVersion: v1\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: p}}\n";
        assert_eq!(parse_pod(list).unwrap().metadata.name.as_deref(), Some("p"));
        let two = "kind: List\nitems:\n- {kind: Pod}\n- {kind: Pod}\n";
        assert!(parse_pod(two)
            .unwrap_err()
            .to_string()
            .contains("list of 2 objects"));
    }

    #[test]
    fn another_kind_is_rejected_by_name() {
        let err =
            parse_pod("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("holds a Deployment (apps/v1), not a Pod"),
            "{err}"
        );
    }

    #[test]
    fn malformed_and_empty_files_are_errors() {
        assert!(parse_pod("").unwrap_err().to_string().contains("empty"));
        let err = parse_pod("kind: Pod\nspec: [unclosed\n").unwrap_err();
        assert!(format!("{err:#}").contains("not valid YAML"), "{err:#}");
        let err = parse_pod("kind: Pod\nspec: {containers: 3}\n").unwrap_err();
        assert!(format!("{err:#}").contains("not a valid Pod"), "{err:#}");
    }

    #[test]
    fn notebook_container_is_chosen_over_the_first() {
        let pod = parse_pod(POD).unwrap();
        assert_eq!(select_container(&pod, None).unwrap().name, "notebook");
        assert_eq!(
            select_container(&pod, Some("istio-proxy")).unwrap().name,
            "istio-proxy"
        );
    }

    #[test]
    fn the_only_container_is_chosen_whatever_its_name() {
        let pod = parse_pod("kind: Pod\nspec: {containers: [{name: main}]}\n").unwrap();
        assert_eq!(select_container(&pod, None).unwrap().name, "main");
    }

    #[test]
    fn several_containers_without_notebook_lists_them() {
        let pod = parse_pod(
            "kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a}, {name: b}]}\n",
        )
        .unwrap();
        let err = select_container(&pod, None).unwrap_err().to_string();
        assert!(err.contains("--container") && err.contains("a, b"), "{err}");
        let err = select_container(&pod, Some("c")).unwrap_err().to_string();
        assert!(
            err.contains("no container \"c\"") && err.contains("a, b"),
            "{err}"
        );
    }
}
