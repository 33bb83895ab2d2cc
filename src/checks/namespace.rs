//! A workflow sent to another namespace than the notebook's (`-n`) can only start when the
//! namespaced objects its steps use exist there too: claims, Secrets, ConfigMaps, the
//! service account, image pull secrets. Those copied from the notebook exist in the
//! notebook's namespace only, so the steps would stay in ContainerCreating (or never get a
//! pod) with an event the notebook user does not see.

use std::collections::BTreeSet;

use anyhow::{bail, Result};
use k8s_openapi::api::core::v1::{Container, Volume};

use crate::argo::WorkflowSpec;

/// Refuses a namespace other than the pod's when the steps use the pod's namespaced objects.
pub fn check_objects_exist_in(
    namespace: &str,
    pod_namespace: Option<&str>,
    spec: &WorkflowSpec,
) -> Result<()> {
    let Some(pod_namespace) = pod_namespace.filter(|pod| *pod != namespace) else {
        return Ok(());
    };
    let objects = namespaced_references(spec);
    if objects.is_empty() {
        return Ok(());
    }
    bail!(
        "-n {namespace} is not the notebook's namespace {pod_namespace}, and the steps use objects \
         of {pod_namespace} that -n {namespace} would need too: {}; leave -n out to run in \
         {pod_namespace}, or create them in {namespace} first",
        objects.into_iter().collect::<Vec<_>>().join(", ")
    )
}

/// The namespaced objects the steps need to start, as `Kind name`, sorted. Optional references
/// and the `default` service account (every namespace has one) are left out.
pub fn namespaced_references(spec: &WorkflowSpec) -> BTreeSet<String> {
    let mut objects = BTreeSet::new();
    if let Some(account) = spec
        .service_account_name
        .as_deref()
        .filter(|a| !a.is_empty() && *a != "default")
    {
        objects.insert(format!("ServiceAccount {account}"));
    }
    for secret in &spec.image_pull_secrets {
        objects.insert(format!("Secret {} (imagePullSecrets)", secret.name));
    }
    for volume in &spec.volumes {
        volume_references(volume, &mut objects);
    }
    let shared = spec
        .template_defaults
        .as_ref()
        .and_then(|d| d.container.as_ref());
    let own = spec.templates.iter().filter_map(|t| t.container.as_ref());
    for container in shared.into_iter().chain(own) {
        container_references(container, &mut objects);
    }
    objects
}

fn volume_references(volume: &Volume, objects: &mut BTreeSet<String>) {
    let required = |optional: Option<bool>| optional != Some(true);
    if let Some(claim) = &volume.persistent_volume_claim {
        objects.insert(format!("PersistentVolumeClaim {}", claim.claim_name));
    }
    if let Some(secret) = &volume.secret {
        if let Some(name) = secret
            .secret_name
            .as_ref()
            .filter(|_| required(secret.optional))
        {
            objects.insert(format!("Secret {name}"));
        }
    }
    if let Some(config_map) = &volume.config_map {
        if required(config_map.optional) {
            objects.insert(format!("ConfigMap {}", config_map.name));
        }
    }
    for source in volume
        .projected
        .iter()
        .flat_map(|p| p.sources.iter().flatten())
    {
        if let Some(secret) = source.secret.as_ref().filter(|s| required(s.optional)) {
            objects.insert(format!("Secret {}", secret.name));
        }
        if let Some(config_map) = source.config_map.as_ref().filter(|c| required(c.optional)) {
            objects.insert(format!("ConfigMap {}", config_map.name));
        }
    }
}

fn container_references(container: &Container, objects: &mut BTreeSet<String>) {
    let required = |optional: Option<bool>| optional != Some(true);
    for var in container.env.iter().flatten() {
        let Some(from) = &var.value_from else {
            continue;
        };
        if let Some(key) = from
            .secret_key_ref
            .as_ref()
            .filter(|k| required(k.optional))
        {
            objects.insert(format!("Secret {}", key.name));
        }
        if let Some(key) = from
            .config_map_key_ref
            .as_ref()
            .filter(|k| required(k.optional))
        {
            objects.insert(format!("ConfigMap {}", key.name));
        }
    }
    for source in container.env_from.iter().flatten() {
        if let Some(secret) = source.secret_ref.as_ref().filter(|s| required(s.optional)) {
            objects.insert(format!("Secret {}", secret.name));
        }
        if let Some(config_map) = source
            .config_map_ref
            .as_ref()
            .filter(|c| required(c.optional))
        {
            objects.insert(format!("ConfigMap {}", config_map.name));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> WorkflowSpec {
        crate::yaml::from_str(yaml).expect("a WorkflowSpec")
    }

    const REFERENCES: &str = "
entrypoint: pipeline
serviceAccountName: notebook-sa
imagePullSecrets: [{name: registry}]
volumes:
- {name: home, persistentVolumeClaim: {claimName: claim-alice}}
- {name: creds, secret: {secretName: creds}}
- {name: maybe, secret: {secretName: maybe, optional: true}}
- {name: conf, configMap: {name: settings}}
- name: both
  projected:
    sources:
    - secret: {name: projected-secret}
    - configMap: {name: projected-config, optional: true}
    - serviceAccountToken: {path: token}
- {name: scratch, emptyDir: {}}
templates:
- name: pipeline
  dag: {tasks: []}
- name: job-1
  container:
    name: main
    image: python:3.12
    env:
    - {name: A, value: plain}
    - name: DB_PASSWORD
      valueFrom: {secretKeyRef: {name: db, key: password}}
    - name: MODE
      valueFrom: {configMapKeyRef: {name: modes, key: mode, optional: true}}
    envFrom:
    - configMapRef: {name: team-env}
";

    #[test]
    fn lists_every_required_namespaced_object() {
        let objects: Vec<String> = namespaced_references(&spec(REFERENCES))
            .into_iter()
            .collect();
        assert_eq!(
            objects,
            [
                "ConfigMap settings",
                "ConfigMap team-env",
                "PersistentVolumeClaim claim-alice",
                "Secret creds",
                "Secret db",
                "Secret projected-secret",
                "Secret registry (imagePullSecrets)",
                "ServiceAccount notebook-sa",
            ]
        );
    }

    #[test]
    fn another_namespace_is_refused_only_when_the_steps_need_the_notebooks_objects() {
        let referencing = spec(REFERENCES);
        let message = check_objects_exist_in("team-b", Some("jupyterhub"), &referencing)
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with(
                "-n team-b is not the notebook's namespace jupyterhub, and the steps use objects \
                 of jupyterhub that -n team-b would need too: ConfigMap settings, "
            ),
            "{message}"
        );
        assert!(
            message.ends_with("leave -n out to run in jupyterhub, or create them in team-b first")
        );
        assert!(check_objects_exist_in("jupyterhub", Some("jupyterhub"), &referencing).is_ok());
        assert!(check_objects_exist_in("team-b", None, &referencing).is_ok());
        let self_contained = spec(
            "entrypoint: pipeline\nserviceAccountName: default\ntemplates: []\n\
             volumes: [{name: scratch, emptyDir: {}}]\n",
        );
        assert!(namespaced_references(&self_contained).is_empty());
        assert!(check_objects_exist_in("team-b", Some("jupyterhub"), &self_contained).is_ok());
    }
}
