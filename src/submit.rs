//! `--submit`: create the rendered Workflow or CronWorkflow through the API.
//!
//! Never a duplicate: the name is chosen here, not by the server (`generateName`), and the object
//! carries a random submission id. When an attempt was stored but its answer was lost (a timeout,
//! a dropped connection), the retry gets "already exists"; reading that object back and finding
//! our id means it is ours: success, not a second workflow.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use anyhow::{anyhow, ensure, Context, Result};
use kube::core::Status;
use serde_json::Value;

use crate::argo::Manifest;
use crate::cli::OutputFormat;
use crate::client::{self, Connection, Failure, Retry};
use crate::output;
use crate::steps_account;

pub const FIELD_MANAGER: &str = "kubectl-jupyterflow";
/// A random id per `--submit`, to recognise our own object after a lost answer.
pub const SUBMISSION_ANNOTATION: &str = "kubectl-jupyterflow/submission";
const API_PATH: &str = "/apis/argoproj.io/v1alpha1";

pub struct SubmitOptions {
    pub dry_run: bool,
    /// `None`: print `<kind>.argoproj.io/<name> created`, as kubectl does.
    pub output: Option<OutputFormat>,
}

fn random_u64() -> u64 {
    // Each RandomState is freshly keyed (randomly per thread, then incremented).
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.write_u32(std::process::id());
    hasher.finish()
}

/// Five random lowercase letters and digits, as Kubernetes uses for `generateName`.
pub fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut bits = random_u64();
    (0..5)
        .map(|_| {
            let c = ALPHABET[(bits % ALPHABET.len() as u64) as usize] as char;
            bits /= ALPHABET.len() as u64;
            c
        })
        .collect()
}

fn submission_id() -> String {
    format!("{:016x}{:016x}", random_u64(), random_u64())
}

fn resource_plural(manifest: &Manifest) -> &'static str {
    match manifest {
        Manifest::Workflow(_) => "workflows",
        Manifest::CronWorkflow(_) => "cronworkflows",
    }
}

/// What `kubectl create` would call it: `workflow.argoproj.io/<name>`.
fn object_ref(manifest: &Manifest, name: &str) -> String {
    format!("{}.argoproj.io/{name}", manifest.kind().to_lowercase())
}

/// One POST of `body` to `plural` in the namespace, with strict field validation (a misspelled
/// field is rejected instead of silently dropped) and optionally as a server-side dry run.
pub async fn create_object(
    connection: &Connection,
    plural: &str,
    body: &Value,
    dry_run: bool,
) -> std::result::Result<Value, kube::Error> {
    let mut url = format!(
        "{API_PATH}/namespaces/{}/{plural}?fieldManager={FIELD_MANAGER}&fieldValidation=Strict",
        connection.namespace
    );
    if dry_run {
        url.push_str("&dryRun=All");
    }
    let bytes = serde_json::to_vec(body).map_err(kube::Error::SerdeError)?;
    let request = http::Request::post(url)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(bytes)
        .map_err(kube::Error::HttpError)?;
    connection.client.request::<Value>(request).await
}

async fn get_object(
    connection: &Connection,
    plural: &str,
    name: &str,
) -> std::result::Result<Value, kube::Error> {
    let url = format!(
        "{API_PATH}/namespaces/{}/{plural}/{name}",
        connection.namespace
    );
    let request = http::Request::get(url)
        .body(Vec::new())
        .map_err(kube::Error::HttpError)?;
    connection.client.request::<Value>(request).await
}

fn submission_of(object: &Value) -> Option<&str> {
    object
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(SUBMISSION_ANNOTATION))
        .and_then(Value::as_str)
}

/// Creates the manifest; returns what to print on stdout and notices for stderr.
pub async fn submit(
    connection: &Connection,
    mut manifest: Manifest,
    options: &SubmitOptions,
) -> Result<(String, Vec<String>, Value)> {
    // `render` decided the namespace; the connection must be working in that one.
    let namespace = manifest.metadata().namespace.as_deref();
    ensure!(
        namespace == Some(connection.namespace.as_str()),
        "cannot create the {} in namespace {:?}: it was rendered for namespace {:?}",
        manifest.kind(),
        connection.namespace,
        namespace.unwrap_or("<none>")
    );
    let plural = resource_plural(&manifest);
    let submission = submission_id();
    let metadata = manifest.metadata_mut();
    let prefix = metadata
        .generate_name
        .take()
        .unwrap_or_else(|| "jupyterflow-".to_string());
    metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(SUBMISSION_ANNOTATION.to_string(), submission.clone());

    // Checked before the create; whatever it finds, the submit goes on.
    let mut notices: Vec<String> = steps_account::check(connection, &manifest)
        .await
        .into_iter()
        .collect();
    let mut retry = Retry::new();
    let mut name = format!("{prefix}{}", random_suffix());
    let mut created = 'attempts: loop {
        manifest.metadata_mut().name = Some(name.clone());
        let body = serde_json::to_value(&manifest).context("cannot encode the workflow")?;
        let failure = match retry
            .attempt(create_object(connection, plural, &body, options.dry_run))
            .await
        {
            Ok(created) => break 'attempts created,
            Err(failure) => failure,
        };
        if !is_already_exists(&failure) {
            if retry.again(&failure).await {
                continue;
            }
            return Err(explain_create_failure(connection, &failure, &manifest));
        }
        // Ours, stored by an earlier attempt whose answer was lost, or a name taken by another.
        match retry.attempt(get_object(connection, plural, &name)).await {
            Ok(existing) if submission_of(&existing) == Some(submission.as_str()) => {
                break 'attempts existing;
            }
            Ok(_) => {
                name = format!("{prefix}{}", random_suffix());
                if retry.attempts() >= 6 {
                    return Err(anyhow!(
                        "cannot find a free name for the {} in namespace {:?}: every name tried \
                         was taken; pass another --name",
                        manifest.kind(),
                        connection.namespace
                    ));
                }
            }
            Err(Failure::Status(status)) if status.code == 403 && retry.attempts() > 2 => {
                // An earlier attempt most likely stored it; another --submit would duplicate it.
                notices.push(format!(
                    "warning: an earlier attempt's answer was lost and {} already exists; it could \
                     not be read back to confirm it is this one ({}); check with `kubectl get {plural} {name} -n {}`",
                    object_ref(&manifest, &name),
                    client::forbidden_message(connection, &status, "get", plural, &connection.namespace),
                    connection.namespace
                ));
                break 'attempts body;
            }
            Err(failure) => {
                if !retry.again(&failure).await {
                    return Err(explain_create_failure(connection, &failure, &manifest));
                }
            }
        }
    };

    let object = object_ref(&manifest, &name);
    // Bookkeeping kubectl does not print either (`--show-managed-fields`).
    if let Some(metadata) = created.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("managedFields");
    }
    let text = match options.output {
        None if options.dry_run => format!("{object} created (server dry run)\n"),
        None => format!("{object} created\n"),
        Some(OutputFormat::Name) => format!("{object}\n"),
        Some(format) => output::to_text(&created, format)?,
    };
    Ok((text, notices, created))
}

fn is_already_exists(failure: &Failure) -> bool {
    matches!(failure, Failure::Status(status) if status.code == 409 && status.reason == "AlreadyExists")
}

fn explain_create_failure(
    connection: &Connection,
    failure: &Failure,
    manifest: &Manifest,
) -> anyhow::Error {
    if let Some(message) = client::unreachable_message(connection, failure) {
        return anyhow!(message);
    }
    match failure {
        Failure::Status(status) => explain_status(connection, status, manifest),
        other => anyhow!("cannot create the {}: {other:?}", manifest.kind()),
    }
}

fn explain_status(connection: &Connection, status: &Status, manifest: &Manifest) -> anyhow::Error {
    let namespace = &connection.namespace;
    let kind = manifest.kind();
    let resource = format!("{}.argoproj.io", resource_plural(manifest));
    let details_kind = status.details.as_ref().map(|d| d.kind.as_str());
    match status.code {
        403 => anyhow!(client::forbidden_message(connection, status, "create", &resource, namespace)),
        404 if details_kind == Some("namespaces") => anyhow!(
            "namespace {namespace:?} does not exist; pass -n NAMESPACE (the notebook's namespace)"
        ),
        404 => anyhow!(
            "the API server at {} has no {resource}: Argo Workflows is not installed in this cluster \
             (its CRDs are missing); ask your admin to install Argo Workflows v3.6 or later",
            connection.server
        ),
        422 => anyhow!("the API server rejected the {kind}: {}", invalid_fields(status, manifest)),
        400 => anyhow!("the API server rejected the {kind}: {}", status.message),
        401 => anyhow!(client::unauthorized_message(connection, status)),
        code => anyhow!(
            "cannot create the {kind} in namespace {namespace:?}: {} ({code} {})",
            status.message,
            status.reason
        ),
    }
}

/// The offending fields of an Invalid answer, one per cause, with the step a template index
/// stands for: `spec.templates[1] (job-1).container...: Invalid value: ...`.
fn invalid_fields(status: &Status, manifest: &Manifest) -> String {
    let causes = status
        .details
        .as_ref()
        .map(|d| d.causes.as_slice())
        .unwrap_or_default();
    if causes.is_empty() {
        return status.message.clone();
    }
    let templates = &manifest.workflow_spec().templates;
    causes
        .iter()
        .map(|cause| {
            let field =
                name_template_in_path(&cause.field, |i| templates.get(i).map(|t| t.name.as_str()));
            // The message often repeats the field path; say it once.
            let message = cause
                .message
                .strip_prefix(&format!("{}: ", cause.field))
                .unwrap_or(&cause.message)
                .replace(&format!("{} in body ", cause.field), "");
            let message = readable_pattern(&message);
            if field.is_empty() {
                message
            } else {
                format!("{field}: {message}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The CRD's regular expression for quantities, in words.
fn readable_pattern(message: &str) -> String {
    const QUANTITY_PATTERN: &str = "should match '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))";
    match message.find(QUANTITY_PATTERN) {
        Some(at) => format!(
            "{}should be a Kubernetes quantity such as 500m, 2, 512Mi or 4Gi",
            &message[..at]
        ),
        None => message.to_string(),
    }
}

/// `spec.templates[2].x` -> `spec.templates[2] (job-2).x`, with the template's name.
fn name_template_in_path<'a>(field: &str, name_of: impl Fn(usize) -> Option<&'a str>) -> String {
    for marker in ["spec.templates[", "spec.workflowSpec.templates["] {
        let Some(start) = field.find(marker) else {
            continue;
        };
        let index_start = start + marker.len();
        let Some(len) = field[index_start..].find(']') else {
            continue;
        };
        let Some(name) = field[index_start..index_start + len]
            .parse::<usize>()
            .ok()
            .and_then(&name_of)
        else {
            continue;
        };
        let end = index_start + len + 1;
        return format!("{} ({name}){}", &field[..end], &field[end..]);
    }
    field.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_look_like_kubernetes_ones_and_differ() {
        let a = random_suffix();
        assert_eq!(a.len(), 5);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        let ids: std::collections::BTreeSet<String> = (0..100).map(|_| submission_id()).collect();
        assert_eq!(ids.len(), 100);
    }

    #[test]
    fn template_indexes_are_named() {
        let names = ["pipeline", "job-1", "train"];
        let name_of = |i: usize| names.get(i).copied();
        assert_eq!(
            name_template_in_path(
                "spec.templates[2].container.resources.requests.memory",
                name_of
            ),
            "spec.templates[2] (train).container.resources.requests.memory"
        );
        assert_eq!(
            name_template_in_path("spec.workflowSpec.templates[1].name", name_of),
            "spec.workflowSpec.templates[1] (job-1).name"
        );
        assert_eq!(
            name_template_in_path("spec.templates[9].name", name_of),
            "spec.templates[9].name"
        );
        assert_eq!(
            name_template_in_path("metadata.name", name_of),
            "metadata.name"
        );
    }

    #[test]
    fn the_quantity_pattern_is_said_in_words() {
        let message = r#"Invalid value: "lots": should match '^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$'"#;
        assert_eq!(
            readable_pattern(message),
            "Invalid value: \"lots\": should be a Kubernetes quantity such as 500m, 2, 512Mi or 4Gi"
        );
        assert_eq!(readable_pattern("Required value"), "Required value");
    }

    #[test]
    fn our_submission_is_recognised() {
        let object =
            serde_json::json!({"metadata": {"annotations": {SUBMISSION_ANNOTATION: "abc"}}});
        assert_eq!(submission_of(&object), Some("abc"));
        assert_eq!(submission_of(&serde_json::json!({"metadata": {}})), None);
    }
}
