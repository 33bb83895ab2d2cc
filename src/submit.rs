//! `--submit`: create the rendered Workflow or CronWorkflow through the API.
//!
//! The name is chosen here, not by the server (`generateName`), so that a retried create after a
//! lost response finds its own object ("already exists") instead of making a duplicate.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use kube::core::Status;

use crate::argo::Manifest;
use crate::cli::OutputFormat;
use crate::client::Connection;
use crate::output;

pub const FIELD_MANAGER: &str = "kubectl-jupyterflow";
const ATTEMPTS: u32 = 4;

pub struct SubmitOptions {
    pub dry_run: bool,
    /// `None`: print `<kind>.argoproj.io/<name> created`, as kubectl does.
    pub output: Option<OutputFormat>,
}

/// Five random lowercase letters and digits, as Kubernetes uses for `generateName`.
pub fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.write_u32(std::process::id());
    let mut bits = hasher.finish();
    (0..5)
        .map(|_| {
            let c = ALPHABET[(bits % ALPHABET.len() as u64) as usize] as char;
            bits /= ALPHABET.len() as u64;
            c
        })
        .collect()
}

fn resource_plural(manifest: &Manifest) -> &'static str {
    match manifest {
        Manifest::Workflow(_) => "workflows",
        Manifest::CronWorkflow(_) => "cronworkflows",
    }
}

pub async fn submit(connection: &Connection, mut manifest: Manifest, options: &SubmitOptions) -> Result<String> {
    let metadata = manifest.metadata_mut();
    let prefix = metadata.generate_name.take().unwrap_or_else(|| "jupyterflow-".to_string());
    let name = format!("{prefix}{}", random_suffix());
    metadata.name = Some(name.clone());
    metadata.namespace = Some(connection.namespace.clone());
    let plural = resource_plural(&manifest);
    let mut url = format!(
        "/apis/argoproj.io/v1alpha1/namespaces/{}/{plural}?fieldManager={FIELD_MANAGER}&fieldValidation=Strict",
        connection.namespace
    );
    if options.dry_run {
        url.push_str("&dryRun=All");
    }
    let body = serde_json::to_vec(&manifest).context("cannot encode the workflow")?;

    let mut delay = Duration::from_millis(200);
    let mut attempt = 1;
    let created: serde_json::Value = loop {
        let request = http::Request::post(&url)
            .header("Content-Type", "application/json")
            .body(body.clone())
            .context("cannot build the create request")?;
        match connection.client.request::<serde_json::Value>(request).await {
            Ok(created) => break created,
            Err(kube::Error::Api(status)) if status.code == 409 && status.reason == "AlreadyExists" && attempt > 1 => {
                // An earlier attempt was stored but its response was lost: that object is ours.
                break serde_json::to_value(&manifest).context("cannot encode the workflow")?;
            }
            Err(err) if attempt < ATTEMPTS && is_transient(&err) => {
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            Err(err) => return Err(explain_error(err, &manifest, &connection.namespace)),
        }
    };
    let object = format!("{}.argoproj.io/{name}", manifest.kind().to_lowercase());
    match options.output {
        None if options.dry_run => Ok(format!("{object} created (server dry run)\n")),
        None => Ok(format!("{object} created\n")),
        Some(OutputFormat::Name) => Ok(format!("{object}\n")),
        Some(format) => output::to_text(&created, format),
    }
}

fn is_transient(err: &kube::Error) -> bool {
    match err {
        kube::Error::Api(status) => status.code == 429 || status.code >= 500,
        kube::Error::HyperError(_) | kube::Error::Service(_) => true,
        _ => false,
    }
}

fn explain_error(err: kube::Error, manifest: &Manifest, namespace: &str) -> anyhow::Error {
    let resource = resource_plural(manifest);
    match &err {
        kube::Error::Api(status) => explain_status(status, resource, namespace),
        _ => anyhow::Error::new(err).context(format!("cannot create the {} in namespace {namespace:?}", manifest.kind())),
    }
}

fn explain_status(status: &Status, resource: &str, namespace: &str) -> anyhow::Error {
    match status.code {
        403 => anyhow!(
            "forbidden: cannot create {resource}.argoproj.io in namespace {namespace:?}; the notebook's \
             service account needs the Role from the README (verb create on {resource}): {}",
            status.message
        ),
        404 => anyhow!(
            "the API server has no {resource}.argoproj.io: Argo Workflows is not installed in this cluster \
             (or not its CRDs); ask your admin to install Argo Workflows"
        ),
        422 | 400 => anyhow!("the API server rejected the {resource}: {}", status.message),
        _ => anyhow!("cannot create {resource} in namespace {namespace:?}: {} ({})", status.message, status.code),
    }
}

