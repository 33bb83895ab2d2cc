//! Pod + pipeline + settings -> an Argo Workflow (or CronWorkflow). No I/O, deterministic:
//! the same inputs give the same manifest, byte for byte.
//!
//! Each copy/drop rule of the notebook pod is one function below, with its own unit test.
//! Why a field is dropped is said in `--explain` (the `Note`s collected here).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{ensure, Context, Result};
use k8s_openapi::api::core::v1::{
    Container, EnvVar, LocalObjectReference, Pod, PodSecurityContext, ResourceRequirements,
    SecurityContext, Toleration, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::argo::{
    ArgoApiVersion, CronWorkflow, CronWorkflowSpec, DagTask, DagTemplate, Manifest, PodMetadata,
    Template, TemplateDefaults, Workflow, WorkflowSpec, FORBID_CONCURRENT_RUNS,
};
use crate::checks;
use crate::config::Settings;
use crate::names;
use crate::pipeline::notebook::{Runner, WORKFLOW_NAME};
use crate::pipeline::sweep::placeholder;
use crate::pipeline::{Pipeline, Step, StepOverrides};
use crate::run_policy::{ChosenPolicy, Key};

/// The DAG template that runs the steps; no step may have this name.
pub const ENTRYPOINT: &str = "pipeline";
/// The container name inside each step template (Argo calls its main container `main`).
const STEP_CONTAINER: &str = "main";
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "kubectl-jupyterflow";
pub const SOURCE_POD_LABEL: &str = "kubectl-jupyterflow/source-pod";
const ISTIO_INJECT: &str = "sidecar.istio.io/inject";
const GPU_RESOURCE: &str = "nvidia.com/gpu";
const SERVICE_ACCOUNT_MOUNT: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// Argo's executor uses these volume names and mount paths itself.
const ARGO_RESERVED_VOLUMES: [&str; 2] = ["var-run-argo", "tmp-dir-argo"];
const ARGO_RESERVED_PATHS: [&str; 2] = ["/var/run/argo", "/argo/staging"];
/// Env names that carry the hub's API token or KubeSpawner's sizing of the notebook.
const DROPPED_ENV_PREFIXES: [&str; 4] = ["JUPYTERHUB_", "JPY_", "MEM_", "CPU_"];

/// What happened to one field, for `--explain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub action: Action,
    pub field: String,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Copy,
    Drop,
    Override,
    Add,
    /// A check of what the cluster can do with the manifest.
    Check,
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let action = match self.action {
            Action::Copy => "copy",
            Action::Drop => "drop",
            Action::Override => "override",
            Action::Add => "add",
            Action::Check => "check",
        };
        write!(f, "{action:<8} {}: {}", self.field, self.detail)
    }
}

/// Notes and warnings collected while rendering.
#[derive(Debug, Default)]
pub struct Report {
    pub notes: Vec<Note>,
    /// Things the user should know even without `--explain`.
    pub warnings: Vec<String>,
}

impl Report {
    fn note(&mut self, action: Action, field: impl Into<String>, detail: impl Into<String>) {
        self.notes.push(Note {
            action,
            field: field.into(),
            detail: detail.into(),
        });
    }
}

/// Everything `render` works from.
pub struct RenderInput<'a> {
    pub pod: &'a Pod,
    /// The notebook container of `pod` (see `source::select_container`).
    pub container: &'a Container,
    pub pipeline: &'a Pipeline,
    pub settings: &'a Settings,
    /// Absolute working directory of the steps.
    pub workdir: &'a str,
    /// What the API server said, when it was contacted (a pod read from the API, or
    /// `--submit`); `None` renders offline, from a pod file alone.
    pub cluster: Option<&'a ClusterFacts>,
}

/// What only the cluster knows, read before rendering.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterFacts {
    /// The namespace the connection works in: `-n`, else the kubeconfig context's, else the
    /// notebook's own.
    pub namespace: String,
    /// Access modes of the claims the steps mount (see [`pin::claims_to_check`]).
    pub claims: pin::ClaimAccessByName,
    /// The GPUs of the notebook's node, read when GPU steps may be pinned to it
    /// (see [`pin::may_pin`]).
    pub notebook_node_gpus: Option<gpu_node::NodeGpus>,
}

pub struct Rendered {
    pub manifest: Manifest,
    pub report: Report,
}

pub fn render(input: &RenderInput) -> Result<Rendered> {
    let mut report = Report::default();
    let RenderInput {
        pod,
        container,
        pipeline,
        settings,
        workdir,
        cluster,
    } = *input;
    let pod_spec = pod.spec.clone().unwrap_or_default();
    let pod_name = pod.metadata.name.clone().unwrap_or_default();
    let policy = settings.run_policy.choose(&pipeline.run_policy);

    ensure!(
        !pipeline.steps.iter().any(|s| s.name == ENTRYPOINT),
        "a job is named {ENTRYPOINT:?}, which is the name of the pipeline's own DAG template; rename the job"
    );

    let image = choose_image(pod, container, settings, &mut report)?;
    let image_pull_policy = copy_image_pull_policy(container, settings, &mut report);
    // Whether each step asks for GPUs, from the resources it will get (their notes come later).
    let default_resources = step_resources(container, settings, &mut Report::default());
    let steps_and_exit: Vec<&Step> = pipeline
        .steps
        .iter()
        .chain(&pipeline.exit_handler)
        .collect();
    let step_gpus: Vec<gpu_node::StepGpus> = steps_and_exit
        .iter()
        .map(|step| {
            let resources = own_resources(&default_resources, &step.overrides);
            (step.name.as_str(), gpu::requested_gpus(Some(&resources)))
        })
        .collect();
    let uses_gpus: Vec<bool> = step_gpus.iter().map(|(_, gpus)| !gpus.is_empty()).collect();
    let kinds = placement::StepKinds::new(
        steps_and_exit
            .iter()
            .zip(&uses_gpus)
            .map(|(step, &gpus)| (step.name.as_str(), gpus)),
    );
    let referenced = var_refs::referenced_by_steps(container, pipeline, settings);
    let copied_env = placement::both_versions(&kinds, &mut report, |gpus, report| {
        copy_env(container, gpus, &referenced, report)
    });
    let env = placement::Versions {
        shared: merge_env(copied_env.shared, settings, &mut report),
        gpu: merge_env(copied_env.gpu, settings, &mut Report::default()),
    };
    let (volumes, mounts) = copy_volumes_mounted_by(pod, container, &mut report);
    let volumes = add_extra_volumes(volumes, settings, &mut report);
    let mounts = add_extra_volume_mounts(&volumes, mounts, settings, &mut report)?;
    let code_from_image = workdir::steps_code_from_image(settings, pipeline);
    let place = workdir::check_workdir(workdir, &mounts, &volumes, code_from_image.as_deref())?;
    report.note(Action::Add, "workingDir", place.explain(workdir));
    let resources = step_resources(container, settings, &mut report);
    let start_script_user =
        start_script::user_after_start_script(&pod_spec, container, &mut report);
    let security_context =
        container_security_context(container, start_script_user, settings, &mut report);
    if container.env_from.as_ref().is_some_and(|e| !e.is_empty()) {
        report.note(
            Action::Copy,
            "envFrom",
            "ConfigMap/Secret references, as references",
        );
    }
    note_dropped_container_fields(pod, container, &mut report);

    warn_about_argo_expressions(&env.shared, pipeline, &mut report);
    note_notebook_outputs(pipeline, workdir, &mut report);

    let base_container = Container {
        name: STEP_CONTAINER.to_string(),
        image: Some(image),
        image_pull_policy,
        working_dir: Some(workdir.to_string()),
        env: None,
        env_from: container.env_from.clone().filter(|e| !e.is_empty()),
        resources: None,
        security_context,
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        ..Container::default()
    };

    let mut templates = Vec::with_capacity(pipeline.steps.len() + 1);
    templates.push(Template {
        name: ENTRYPOINT.to_string(),
        dag: Some(DagTemplate {
            tasks: dag_tasks(pipeline),
        }),
        ..Template::default()
    });
    let mut containers: Vec<Container> = steps_and_exit
        .iter()
        .zip(&uses_gpus)
        .map(|(step, &gpus)| {
            let env = env.for_step(gpus);
            step_container(&base_container, env, &resources, step, &mut report)
        })
        .collect();
    let template_defaults =
        template_defaults::share_container_fields(&mut containers)?.map(|container| {
            TemplateDefaults {
                container: Some(container),
            }
        });
    report.note(
        Action::Add,
        "templateDefaults",
        "what every step shares is written once; each step has its command and its own overrides",
    );
    let exit_template = pipeline.exit_handler.as_ref().map(|step| {
        let mut container = containers.pop().expect("the exit handler's container");
        exit_handler::tell_the_outcome(&mut container);
        let origin = policy.on_exit.as_ref().map(|c| c.origin(Key::OnExit));
        report.note(
            Action::Add,
            "onExit",
            exit_handler::explain(&step.text, origin.as_deref().unwrap_or("--on-exit")),
        );
        Template {
            name: step.name.clone(),
            container: Some(container),
            ..Template::default()
        }
    });
    let mut step_kinds = Vec::with_capacity(pipeline.steps.len());
    for ((step, container), &gpus) in pipeline.steps.iter().zip(containers).zip(&uses_gpus) {
        step_kinds.push((templates.len(), step, gpus));
        match &step.sweep {
            Some(points) if points.parallelism.is_some() => {
                templates.extend(sweep::limited_templates(&step.name, points, container)?);
            }
            _ => templates.push(Template {
                name: step.name.clone(),
                inputs: step.sweep.as_ref().map(sweep::inputs),
                container: Some(container),
                ..Template::default()
            }),
        }
    }
    let on_exit = exit_template.map(|template| {
        let name = template.name.clone();
        templates.push(template);
        name
    });

    run_policy::apply_to_steps(&mut templates, &pipeline.steps, &policy, &mut report);
    // In the order --explain has always told them.
    let service_account_name = choose_service_account(&pod_spec, settings, &mut report);
    let image_pull_secrets = copy_image_pull_secrets(&pod_spec, settings, &mut report);
    let security_context = copy_pod_security_context(&pod_spec, start_script_user, &mut report);
    let node_selector = placement::both_versions(&kinds, &mut report, |gpus, report| {
        merge_node_selector(&pod_spec, gpus, settings, report)
    });
    let tolerations = placement::both_versions(&kinds, &mut report, |gpus, report| {
        copy_user_tolerations(&pod_spec, gpus, report)
    });
    let affinity = placement::both_versions(&kinds, &mut report, |gpus, report| {
        copy_affinity(&pod_spec, gpus, report)
    });
    let dns_policy = name_resolution::copy_dns_policy(&pod_spec, &mut report);
    let dns_config = name_resolution::copy_dns_config(&pod_spec, &mut report);
    let host_aliases = name_resolution::copy_host_aliases(&pod_spec, &mut report);
    let pod_spec_patch = placement::both_versions(&kinds, &mut report, |gpus, report| {
        copy_runtime_class(&pod_spec, gpus, report)
    });
    let placements = placement::Versions {
        shared: placement::Placement {
            node_selector: node_selector.shared,
            tolerations: tolerations.shared,
            affinity: affinity.shared,
            pod_spec_patch: pod_spec_patch.shared,
        },
        gpu: placement::Placement {
            node_selector: node_selector.gpu,
            tolerations: tolerations.gpu,
            affinity: affinity.gpu,
            pod_spec_patch: pod_spec_patch.gpu,
        },
    };
    for (index, step, gpus) in step_kinds {
        // A sweep with its own limit runs its container in the second of its two templates.
        let leaf = if templates[index].container.is_some() {
            index
        } else {
            index + 1
        };
        let own = &step.overrides.node_selector;
        placement::place_step(&mut templates[leaf], gpus, own, &placements, &mut report);
    }
    if let (Some(exit), Some(&gpus)) = (&pipeline.exit_handler, uses_gpus.last()) {
        if let Some(template) = templates.iter_mut().rev().find(|t| t.name == exit.name) {
            let own = &exit.overrides.node_selector;
            placement::place_step(template, gpus, own, &placements, &mut report);
        }
    }
    let mut spec = WorkflowSpec {
        entrypoint: ENTRYPOINT.to_string(),
        template_defaults,
        templates,
        service_account_name,
        image_pull_secrets,
        security_context,
        node_selector: placements.shared.node_selector,
        tolerations: placements.shared.tolerations,
        affinity: placements.shared.affinity,
        dns_policy,
        dns_config,
        host_aliases,
        pod_spec_patch: placements.shared.pod_spec_patch,
        volumes,
        pod_metadata: Some(step_pod_metadata(&pod_name, &mut report)),
        parallelism: workflow_parallelism(&policy, &mut report),
        on_exit,
        ..WorkflowSpec::default()
    };
    run_policy::apply_to_workflow(&mut spec, &policy, &mut report);
    note_dropped_pod_fields(pod, &mut report);
    if let Some(namespace) = &settings.namespace {
        checks::namespace::check_objects_exist_in(
            namespace,
            pod.metadata.namespace.as_deref(),
            &spec,
        )?;
    }

    let schedule = settings
        .schedule
        .clone()
        .or_else(|| pipeline.schedule.clone());
    let prefix_max = if schedule.is_some() {
        names::CRON_WORKFLOW_PREFIX_MAX
    } else {
        names::WORKFLOW_PREFIX_MAX
    };
    let (raw_name, name_origin) = match (&settings.name, &pipeline.name) {
        (Some(name), _) => (name.as_str(), "--name"),
        (None, Some(name)) => (name.as_str(), "the workflow file's name"),
        (None, None) if !pod_name.is_empty() => (pod_name.as_str(), "the pod name"),
        (None, None) => ("jupyterflow", "default"),
    };
    let generate_name = names::generate_name_prefix(raw_name, prefix_max, name_origin)?;
    report.note(
        Action::Add,
        "metadata.generateName",
        format!("{generate_name} (from {name_origin})"),
    );
    let metadata = ObjectMeta {
        generate_name: Some(generate_name),
        namespace: choose_namespace(pod, settings, cluster, &mut report),
        labels: Some(workflow_labels_with_users(&pod_name, &policy, &mut report)),
        annotations: users_annotations(&policy, &mut report),
        ..ObjectMeta::default()
    };

    let mut manifest = match schedule {
        None => Manifest::Workflow(Workflow {
            api_version: ArgoApiVersion,
            metadata,
            spec,
        }),
        Some(schedule) => {
            // Checked again here, where the schedule meets the time zone (a TZ= prefix and a
            // timezone together are more than Argo can parse).
            checks::schedule::check_schedule(&schedule, settings.timezone.as_deref(), "schedule")?;
            let (schedules, legacy) = if settings.legacy_schedule {
                (Vec::new(), Some(schedule))
            } else {
                (vec![schedule], None)
            };
            report.note(
                Action::Add,
                "concurrencyPolicy",
                format!("{FORBID_CONCURRENT_RUNS} (a run is skipped while the previous one still runs on the same volumes)"),
            );
            Manifest::CronWorkflow(CronWorkflow {
                api_version: ArgoApiVersion,
                metadata,
                spec: CronWorkflowSpec {
                    schedules,
                    schedule: legacy,
                    timezone: settings.timezone.clone(),
                    concurrency_policy: Some(FORBID_CONCURRENT_RUNS.to_string()),
                    workflow_spec: spec,
                },
            })
        }
    };
    let mut pinned = None;
    if let Some(cluster) = cluster {
        pinned = pin::pin_single_node_volumes(&mut manifest, pod, &cluster.claims, &mut report)?;
    }
    let host_path = pin::pin_host_path_volumes(&mut manifest, pod, &mut report);
    let pinned = pinned.or(host_path);
    if let Some((node, pinned_by)) = pinned {
        let facts = cluster.and_then(|c| c.notebook_node_gpus.as_ref());
        gpu_node::check_pinned_gpu_steps(
            &node,
            &pinned_by,
            &step_gpus,
            facts,
            container,
            &mut report,
        )?;
    }
    sweep::check_workflow_size(&manifest, pipeline, &mut report);
    Ok(Rendered { manifest, report })
}

/// The workflow's namespace: `-n`, else the pod's, else the connection's (a pod file that names
/// none, with `--submit`). Offline and without either, the manifest names none, as kubectl's own
/// output would, and `kubectl create` puts it in the current namespace.
fn choose_namespace(
    pod: &Pod,
    settings: &Settings,
    cluster: Option<&ClusterFacts>,
    report: &mut Report,
) -> Option<String> {
    let pod_namespace = pod.metadata.namespace.as_deref();
    if let Some(namespace) = &settings.namespace {
        if pod_namespace != Some(namespace.as_str()) {
            report.note(
                Action::Override,
                "metadata.namespace",
                format!(
                    "{namespace} (-n; the steps use no namespaced object of the pod's namespace)"
                ),
            );
        }
        return Some(namespace.clone());
    }
    if let Some(namespace) = pod_namespace {
        return Some(namespace.to_string());
    }
    let namespace = &cluster?.namespace;
    report.note(
        Action::Add,
        "metadata.namespace",
        format!("{namespace} (the connection's; the pod file names none)"),
    );
    Some(namespace.clone())
}

/// `job-1 >> job-2` becomes task `job-2` with `dependencies: [job-1]`; a sweep's task runs
/// its template once per point.
fn dag_tasks(pipeline: &Pipeline) -> Vec<DagTask> {
    pipeline
        .steps
        .iter()
        .map(|step| {
            let (arguments, with_items) = match &step.sweep {
                // A sweep with its own limit loops inside a template of its own.
                Some(points) if points.parallelism.is_none() => {
                    let (arguments, items) = sweep::loop_over_points(points);
                    (Some(arguments), items)
                }
                _ => (None, Vec::new()),
            };
            DagTask {
                name: step.name.clone(),
                template: step.name.clone(),
                dependencies: step
                    .depends_on
                    .iter()
                    .filter_map(|&i| pipeline.steps.get(i).map(|s| s.name.clone()))
                    .collect(),
                arguments,
                with_items,
            }
        })
        .collect()
}

/// `--parallelism N`: at most N pods of the workflow run at once.
fn workflow_parallelism(policy: &ChosenPolicy, report: &mut Report) -> Option<i64> {
    let chosen = policy.parallelism.as_ref()?;
    let limit = chosen.value;
    report.note(
        Action::Add,
        "parallelism",
        format!(
            "{limit}: at most {limit} steps or sweep points run at once ({})",
            chosen.origin(Key::Parallelism)
        ),
    );
    Some(i64::from(limit))
}

/// The step's container: the shared parts plus its command and its own overrides.
fn step_container(
    base: &Container,
    env: &[EnvVar],
    resources: &ResourceRequirements,
    step: &Step,
    report: &mut Report,
) -> Container {
    let mut container = base.clone();
    container.command = Some(step.command.clone());
    let overrides = &step.overrides;
    if let Some(image) = &overrides.image {
        report.note(
            Action::Override,
            format!("{}.image", step.name),
            format!("{image} (workflow file)"),
        );
        container.image = Some(image.clone());
    }
    let mut env = env.to_vec();
    for (name, value) in &overrides.env {
        report.note(
            Action::Override,
            format!("{}.env {name}", step.name),
            "workflow file",
        );
        set_env(
            &mut env,
            EnvVar {
                name: name.clone(),
                value: Some(value.clone()),
                value_from: None,
            },
        );
    }
    container.env = (!env.is_empty()).then_some(env);
    if overrides.resources.is_some() {
        report.note(
            Action::Override,
            format!("{}.resources", step.name),
            "workflow file",
        );
    }
    if let Some(gpus) = overrides.gpu {
        report.note(
            Action::Override,
            format!("{}.resources {GPU_RESOURCE}", step.name),
            format!("{gpus} (workflow file gpu)"),
        );
    }
    container.resources = resources_or_none(own_resources(resources, overrides));
    container
}

/// A step's resources: its job's own `resources:` instead of the defaults, and its `gpu: N`
/// as the `nvidia.com/gpu` limit (0 takes away the one `--gpu` gave).
fn own_resources(
    defaults: &ResourceRequirements,
    overrides: &StepOverrides,
) -> ResourceRequirements {
    let mut resources = overrides
        .resources
        .clone()
        .unwrap_or_else(|| defaults.clone());
    match overrides.gpu {
        Some(0) => {
            for map in [&mut resources.limits, &mut resources.requests]
                .into_iter()
                .flatten()
            {
                map.remove(GPU_RESOURCE);
            }
        }
        Some(gpus) => {
            resources
                .limits
                .get_or_insert_with(BTreeMap::new)
                .insert(GPU_RESOURCE.to_string(), Quantity(gpus.to_string()));
        }
        None => {}
    }
    resources
}

fn resources_or_none(resources: ResourceRequirements) -> Option<ResourceRequirements> {
    let empty = |m: &Option<BTreeMap<String, Quantity>>| m.as_ref().is_none_or(|m| m.is_empty());
    if empty(&resources.requests) && empty(&resources.limits) && resources.claims.is_none() {
        None
    } else {
        Some(resources)
    }
}

/// Image: `--image`/config > `--pin-image` (the digest the notebook runs) > the pod's tag.
fn choose_image(
    pod: &Pod,
    container: &Container,
    settings: &Settings,
    report: &mut Report,
) -> Result<String> {
    if let Some(image) = &settings.image {
        report.note(
            Action::Override,
            "image",
            format!("{} ({})", image.value, image.origin),
        );
        return Ok(image.value.clone());
    }
    let tagged = container
        .image
        .clone()
        .filter(|i| !i.is_empty())
        .with_context(|| {
            format!(
                "container {:?} of the pod has no image; pass --image",
                container.name
            )
        })?;
    if settings.pin_image {
        let pinned = pinned_image(pod, &container.name)?;
        report.note(
            Action::Override,
            "image",
            format!("{pinned} (--pin-image; the notebook runs {tagged})"),
        );
        return Ok(pinned);
    }
    report.note(
        Action::Copy,
        "image",
        format!("{tagged} (container {})", container.name),
    );
    Ok(tagged)
}

/// `status.containerStatuses[].imageID` as `repo@sha256:...`, without a runtime prefix.
fn pinned_image(pod: &Pod, container_name: &str) -> Result<String> {
    let image_id = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|statuses| statuses.iter().find(|s| s.name == container_name))
        .map(|s| s.image_id.clone())
        .filter(|id| !id.is_empty())
        .with_context(|| {
            format!(
                "--pin-image: the pod has no status.containerStatuses imageID for container \
                 {container_name:?} (is it running? a pod file saved with `kubectl get pod -o yaml` has it)"
            )
        })?;
    let image = image_id
        .strip_prefix("docker-pullable://")
        .or_else(|| image_id.strip_prefix("docker://"))
        .unwrap_or(&image_id);
    ensure!(
        checks::kube_names::is_pinned_by_digest(image),
        "--pin-image: the pod's imageID {image_id:?} is not a pullable digest (repo@sha256: and \
         64 hex digits); pass --image REPO@sha256:DIGEST instead"
    );
    Ok(image.to_string())
}

fn copy_image_pull_policy(
    container: &Container,
    settings: &Settings,
    report: &mut Report,
) -> Option<String> {
    if let Some(policy) = &settings.image_pull_policy {
        report.note(
            Action::Override,
            "imagePullPolicy",
            format!("{} ({})", policy.value, policy.origin),
        );
        return Some(policy.value.clone());
    }
    if let Some(policy) = &container.image_pull_policy {
        report.note(Action::Copy, "imagePullPolicy", policy.clone());
    }
    container.image_pull_policy.clone()
}

/// The hub's tokens and secrets: never copied, even when the steps reference them.
fn is_hub_secret(name: &str) -> bool {
    (name.starts_with("JUPYTERHUB_") || name.starts_with("JPY_"))
        && (name.contains("TOKEN") || name.contains("SECRET"))
}

/// Why an env var of the notebook must not reach the workflow, if it must not.
fn env_drop_reason(name: &str) -> Option<&'static str> {
    if is_hub_secret(name) {
        return Some("hub API token: anyone who can read workflows could read it, and the hub revokes it when the server stops");
    }
    if name.starts_with("JUPYTERHUB_") || name.starts_with("JPY_") {
        return Some("JupyterHub's own setting for the notebook server, meaningless in a step");
    }
    if DROPPED_ENV_PREFIXES.iter().any(|p| name.starts_with(p)) {
        return Some("KubeSpawner's sizing of the notebook, not of the steps");
    }
    None
}

/// Env of the notebook: literals and references (fieldRef, secretKeyRef, configMapKeyRef)
/// kept as they are, hub tokens and sizing dropped.
/// `use_gpus`: the steps request GPUs, so the NVIDIA runtime's variables stay.
/// `referenced`: names the steps use as `$(NAME)`; those are kept, hub secrets excepted.
fn copy_env(
    container: &Container,
    use_gpus: bool,
    referenced: &BTreeSet<String>,
    report: &mut Report,
) -> Vec<EnvVar> {
    let mut kept = Vec::new();
    for var in container.env.iter().flatten() {
        let is_referenced = referenced.contains(&var.name);
        if is_referenced && is_hub_secret(&var.name) {
            report.warnings.push(format!(
                "the steps reference $({}), which is never copied (a hub token): Kubernetes \
                 leaves it as literal text; pass what the step needs with -e or a Secret",
                var.name
            ));
        } else if is_referenced
            && var.name != gpu::NVIDIA_VISIBLE_DEVICES
            && (env_drop_reason(&var.name).is_some() || gpu::is_nvidia_env(&var.name))
        {
            report.note(
                Action::Copy,
                format!("env {}", var.name),
                format!(
                    "referenced as $({}) by a mount's subPathExpr, an env value or a command; \
                     without it Kubernetes leaves the reference as literal text",
                    var.name
                ),
            );
            kept.push(var.clone());
            continue;
        }
        if !use_gpus && var.name == gpu::NVIDIA_VISIBLE_DEVICES {
            report.note(
                Action::Override,
                format!("env {}", var.name),
                format!(
                    "{}: for steps that request no GPU (ask with --gpu N or a job's gpu:), since \
                     on a node whose runtime is NVIDIA's any other value, or the image's own, \
                     shows them GPUs outside the scheduler's accounting",
                    gpu::NO_VISIBLE_DEVICES
                ),
            );
            kept.push(EnvVar {
                name: var.name.clone(),
                value: Some(gpu::NO_VISIBLE_DEVICES.to_string()),
                value_from: None,
            });
            continue;
        }
        if !use_gpus && gpu::is_nvidia_env(&var.name) {
            report.note(Action::Drop, format!("env {}", var.name), gpu::WHY_DROPPED);
            continue;
        }
        if let Some(reason) = env_drop_reason(&var.name) {
            report.note(Action::Drop, format!("env {}", var.name), reason);
            continue;
        }
        let how = if var.value_from.is_some() {
            "reference kept as a reference"
        } else {
            "value"
        };
        report.note(Action::Copy, format!("env {}", var.name), how);
        kept.push(var.clone());
    }
    kept
}

/// Replaces the entry of the same name, or appends.
fn set_env(env: &mut Vec<EnvVar>, var: EnvVar) {
    match env.iter_mut().find(|e| e.name == var.name) {
        Some(existing) => *existing = var,
        None => env.push(var),
    }
}

fn merge_env(mut env: Vec<EnvVar>, settings: &Settings, report: &mut Report) -> Vec<EnvVar> {
    for var in &settings.env {
        let replaces = env.iter().any(|e| e.name == var.value.name);
        let action = if replaces {
            Action::Override
        } else {
            Action::Add
        };
        report.note(action, format!("env {}", var.value.name), var.origin);
        set_env(&mut env, var.value.clone());
    }
    env
}

/// The projected token volume the API server adds for a service account.
fn is_service_account_token(volume: &Volume) -> bool {
    volume.projected.as_ref().is_some_and(|p| {
        p.sources
            .iter()
            .flatten()
            .any(|s| s.service_account_token.is_some())
    }) || volume.name.starts_with("kube-api-access-")
}

/// Why a volume of the notebook must not reach the steps, if it must not.
fn volume_drop_reason(volume: &Volume, mount: &VolumeMount) -> Option<&'static str> {
    if is_service_account_token(volume)
        || mount.mount_path.trim_end_matches('/') == SERVICE_ACCOUNT_MOUNT
    {
        return Some("service-account token; Argo mounts the steps' own token when they need one");
    }
    let internal_certs = "jupyterhub-internal-certs";
    if volume.name == internal_certs
        || volume
            .secret
            .as_ref()
            .and_then(|s| s.secret_name.as_deref())
            == Some(internal_certs)
    {
        return Some("JupyterHub's internal TLS certificates, for the notebook server only");
    }
    if ARGO_RESERVED_VOLUMES.contains(&volume.name.as_str()) {
        return Some("the name is reserved by Argo's executor");
    }
    if ARGO_RESERVED_PATHS
        .iter()
        .any(|p| mount.mount_path.trim_end_matches('/') == *p)
    {
        return Some("the mount path is reserved by Argo's executor");
    }
    None
}

/// The volumes the notebook container mounts, with exactly its mounts (subPath, readOnly,
/// mountPath), so paths in the steps are the paths in the notebook.
fn copy_volumes_mounted_by(
    pod: &Pod,
    container: &Container,
    report: &mut Report,
) -> (Vec<Volume>, Vec<VolumeMount>) {
    let pod_volumes = pod.spec.as_ref().and_then(|s| s.volumes.as_ref());
    let mut volumes: Vec<Volume> = Vec::new();
    let mut mounts = Vec::new();
    for mount in container.volume_mounts.iter().flatten() {
        let Some(volume) = pod_volumes.and_then(|v| v.iter().find(|v| v.name == mount.name)) else {
            report.note(
                Action::Drop,
                format!("volumeMount {}", mount.mount_path),
                format!("volume {:?} is not in the pod", mount.name),
            );
            continue;
        };
        if let Some(reason) = volume_drop_reason(volume, mount) {
            report.note(
                Action::Drop,
                format!("volume {} at {}", volume.name, mount.mount_path),
                reason,
            );
            continue;
        }
        let sub = mount
            .sub_path
            .as_deref()
            .map(|s| format!(" subPath {s}"))
            .unwrap_or_default();
        let ro = if mount.read_only == Some(true) {
            " read-only"
        } else {
            ""
        };
        report.note(
            Action::Copy,
            format!("volume {} at {}", volume.name, mount.mount_path),
            format!("{}{sub}{ro}", describe_volume(volume)),
        );
        if !volumes.iter().any(|v| v.name == volume.name) {
            volumes.push(volume.clone());
        }
        mounts.push(mount.clone());
    }
    for volume in pod_volumes.into_iter().flatten() {
        if !volumes.iter().any(|v| v.name == volume.name)
            && !container
                .volume_mounts
                .iter()
                .flatten()
                .any(|m| m.name == volume.name)
        {
            report.note(
                Action::Drop,
                format!("volume {}", volume.name),
                "not mounted by the notebook container",
            );
        }
    }
    (volumes, mounts)
}

fn describe_volume(volume: &Volume) -> String {
    if let Some(pvc) = &volume.persistent_volume_claim {
        format!("PVC {}", pvc.claim_name)
    } else if let Some(nfs) = &volume.nfs {
        format!("NFS {}:{}", nfs.server, nfs.path)
    } else if volume.empty_dir.is_some() {
        "emptyDir (each step gets its own, empty)".to_string()
    } else if let Some(cm) = &volume.config_map {
        format!("ConfigMap {}", cm.name)
    } else if let Some(secret) = &volume.secret {
        format!(
            "Secret {} (by reference)",
            secret.secret_name.as_deref().unwrap_or("?")
        )
    } else {
        "volume".to_string()
    }
}

/// The config file's `volumes`, added after the pod's (one with the same name replaces it).
fn add_extra_volumes(
    mut volumes: Vec<Volume>,
    settings: &Settings,
    report: &mut Report,
) -> Vec<Volume> {
    for volume in &settings.extra_volumes {
        report.note(
            Action::Add,
            format!("volume {}", volume.name),
            format!("{} (config file)", describe_volume(volume)),
        );
        match volumes.iter_mut().find(|v| v.name == volume.name) {
            Some(existing) => *existing = volume.clone(),
            None => volumes.push(volume.clone()),
        }
    }
    volumes
}

/// The config file's `volumeMounts`, each of a volume the steps have.
fn add_extra_volume_mounts(
    volumes: &[Volume],
    mut mounts: Vec<VolumeMount>,
    settings: &Settings,
    report: &mut Report,
) -> Result<Vec<VolumeMount>> {
    for mount in &settings.extra_volume_mounts {
        ensure!(
            volumes.iter().any(|v| v.name == mount.name),
            "config file: volumeMount {:?} at {} names no volume; add it under spec.volumes",
            mount.name,
            mount.mount_path
        );
        report.note(
            Action::Add,
            format!("volumeMount {}", mount.mount_path),
            format!("volume {} (config file)", mount.name),
        );
        mounts.retain(|m| m.mount_path != mount.mount_path);
        mounts.push(mount.clone());
    }
    Ok(mounts)
}

/// CPU and memory of the notebook as step defaults; GPUs and other extended resources dropped
/// (a parallel DAG would multiply them). Config file > pod; `--cpu`/`--memory`/`--gpu` on top.
fn step_resources(
    container: &Container,
    settings: &Settings,
    report: &mut Report,
) -> ResourceRequirements {
    let mut resources = match &settings.resources {
        Some(config) => {
            report.note(Action::Override, "resources", "config file");
            config.clone()
        }
        None => copy_cpu_memory(container.resources.as_ref(), report),
    };
    for (name, value) in [("cpu", &settings.cpu), ("memory", &settings.memory)] {
        if let Some(quantity) = value {
            report.note(
                Action::Override,
                format!("resources {name}"),
                format!("{} (--{name}: request and limit)", quantity.0),
            );
            resources
                .requests
                .get_or_insert_with(BTreeMap::new)
                .insert(name.to_string(), quantity.clone());
            resources
                .limits
                .get_or_insert_with(BTreeMap::new)
                .insert(name.to_string(), quantity.clone());
        }
    }
    if let Some(gpus) = settings.gpu.filter(|&n| n > 0) {
        report.note(
            Action::Add,
            format!("resources {GPU_RESOURCE}"),
            format!("{gpus} per step (--gpu)"),
        );
        resources
            .limits
            .get_or_insert_with(BTreeMap::new)
            .insert(GPU_RESOURCE.to_string(), Quantity(gpus.to_string()));
    }
    resources
}

fn copy_cpu_memory(
    resources: Option<&ResourceRequirements>,
    report: &mut Report,
) -> ResourceRequirements {
    let mut copied = ResourceRequirements::default();
    let Some(resources) = resources else {
        return copied;
    };
    for (kind, source, target) in [
        ("requests", &resources.requests, &mut copied.requests),
        ("limits", &resources.limits, &mut copied.limits),
    ] {
        for (name, quantity) in source.iter().flatten() {
            if name == "cpu" || name == "memory" {
                report.note(
                    Action::Copy,
                    format!("resources.{kind}.{name}"),
                    quantity.0.clone(),
                );
                target
                    .get_or_insert_with(BTreeMap::new)
                    .insert(name.clone(), quantity.clone());
            } else {
                let why = if name.contains("gpu") {
                    "GPUs are not copied (every parallel step would hold one); ask with --gpu N"
                } else {
                    "only CPU and memory are copied; set others per job in a workflow file"
                };
                report.note(Action::Drop, format!("resources.{kind}.{name}"), why);
            }
        }
    }
    if resources.claims.as_ref().is_some_and(|c| !c.is_empty()) {
        report.note(
            Action::Drop,
            "resources.claims",
            "resource claims belong to the notebook pod",
        );
    }
    copied
}

/// The notebook container's securityContext, run as the start script's user when the
/// notebook starts as root and switches (`start_script_user`); the config file's ids on top.
fn container_security_context(
    container: &Container,
    start_script_user: Option<start_script::StartScriptUser>,
    settings: &Settings,
    report: &mut Report,
) -> Option<SecurityContext> {
    let mut context = container.security_context.clone();
    if context.is_some() {
        report.note(
            Action::Copy,
            "securityContext (container)",
            "as the notebook's",
        );
    }
    if let Some(user) = start_script_user {
        start_script::run_steps_as(user, &mut context, container, settings, report);
    }
    for (field, value) in [
        ("runAsUser", settings.run_as_user),
        ("runAsGroup", settings.run_as_group),
    ] {
        if let Some(id) = value {
            report.note(
                Action::Override,
                format!("securityContext.{field}"),
                format!("{id} (config file)"),
            );
            let context = context.get_or_insert_with(SecurityContext::default);
            match field {
                "runAsUser" => context.run_as_user = Some(id),
                _ => context.run_as_group = Some(id),
            }
        }
    }
    context
}

fn choose_service_account(
    spec: &k8s_openapi::api::core::v1::PodSpec,
    settings: &Settings,
    report: &mut Report,
) -> Option<String> {
    if let Some(account) = &settings.service_account {
        report.note(
            Action::Override,
            "serviceAccountName",
            format!("{} ({})", account.value, account.origin),
        );
        return Some(account.value.clone());
    }
    #[allow(deprecated)]
    let account = spec
        .service_account_name
        .clone()
        .or_else(|| spec.service_account.clone());
    if let Some(name) = &account {
        report.note(Action::Copy, "serviceAccountName", name.clone());
    }
    account
}

fn copy_image_pull_secrets(
    spec: &k8s_openapi::api::core::v1::PodSpec,
    settings: &Settings,
    report: &mut Report,
) -> Vec<LocalObjectReference> {
    if let Some(secrets) = &settings.image_pull_secrets {
        report.note(
            Action::Override,
            "imagePullSecrets",
            format!("{} (workflow level)", secrets.origin),
        );
        return secrets.value.clone();
    }
    let secrets = spec.image_pull_secrets.clone().unwrap_or_default();
    for secret in &secrets {
        report.note(
            Action::Copy,
            format!("imagePullSecrets {}", secret.name),
            "workflow level, where Argo reads it",
        );
    }
    secrets
}

fn copy_pod_security_context(
    spec: &k8s_openapi::api::core::v1::PodSpec,
    start_script_user: Option<start_script::StartScriptUser>,
    report: &mut Report,
) -> Option<PodSecurityContext> {
    let mut context = spec
        .security_context
        .clone()
        .filter(|c| *c != PodSecurityContext::default());
    if context.is_some() {
        report.note(
            Action::Copy,
            "securityContext (pod)",
            "workflow level (fsGroup keeps shared files writable)",
        );
    }
    if let Some(user) = start_script_user {
        start_script::add_supplementary_group(user, &mut context, report);
    }
    context
}

fn merge_node_selector(
    spec: &k8s_openapi::api::core::v1::PodSpec,
    use_gpus: bool,
    settings: &Settings,
    report: &mut Report,
) -> BTreeMap<String, String> {
    let mut selector = spec.node_selector.clone().unwrap_or_default();
    selector.retain(|key, value| {
        if !use_gpus && gpu::is_gpu_key(key) {
            report.note(
                Action::Drop,
                format!("nodeSelector {key}"),
                format!("{value}: {}", gpu::WHY_DROPPED),
            );
            return false;
        }
        report.note(Action::Copy, format!("nodeSelector {key}"), value.clone());
        true
    });
    for (key, value) in &settings.node_selector {
        report.note(
            Action::Override,
            format!("nodeSelector {key}"),
            format!("{} ({})", value.value, value.origin),
        );
        selector.insert(key.clone(), value.value.clone());
    }
    selector
}

/// The API server adds these to every pod; copying them would only add noise.
fn is_default_toleration(toleration: &Toleration) -> bool {
    matches!(
        toleration.key.as_deref(),
        Some("node.kubernetes.io/not-ready") | Some("node.kubernetes.io/unreachable")
    ) && toleration.effect.as_deref() == Some("NoExecute")
}

fn copy_user_tolerations(
    spec: &k8s_openapi::api::core::v1::PodSpec,
    use_gpus: bool,
    report: &mut Report,
) -> Vec<Toleration> {
    let mut kept = Vec::new();
    for toleration in spec.tolerations.iter().flatten() {
        let key = toleration.key.as_deref().unwrap_or("*");
        if !use_gpus && gpu::is_gpu_toleration(toleration) {
            report.note(Action::Drop, format!("toleration {key}"), gpu::WHY_DROPPED);
        } else if is_default_toleration(toleration) {
            report.note(
                Action::Drop,
                format!("toleration {key}"),
                "added to every pod by the API server",
            );
        } else {
            report.note(
                Action::Copy,
                format!("toleration {key}"),
                "steps may run where the notebook may",
            );
            kept.push(toleration.clone());
        }
    }
    if use_gpus && !kept.iter().any(gpu::tolerates_nvidia_taint) {
        report.note(
            Action::Add,
            format!("toleration {}", gpu::NVIDIA_TAINT_KEY),
            "Exists:NoSchedule (the steps request GPUs, and GPU nodes are commonly tainted so)",
        );
        kept.push(gpu::nvidia_toleration());
    }
    kept
}

/// The notebook's `runtimeClassName`, which Argo's WorkflowSpec lacks, as a pod spec patch.
/// NVIDIA's runtime class is GPU plumbing (kept with GPUs only: a node without that handler
/// cannot start the pod); any other (gVisor, Kata) isolates the code the steps run as well.
fn copy_runtime_class(
    spec: &k8s_openapi::api::core::v1::PodSpec,
    use_gpus: bool,
    report: &mut Report,
) -> Option<String> {
    let class = spec
        .runtime_class_name
        .as_deref()
        .filter(|c| !c.is_empty())?;
    let field = format!("runtimeClassName {class}");
    if gpu::is_gpu_runtime_class(class) {
        if !use_gpus {
            report.note(Action::Drop, field, gpu::WHY_DROPPED);
            return None;
        }
        report.note(
            Action::Copy,
            field,
            "podSpecPatch: the steps request GPUs and reach them through this runtime",
        );
    } else {
        report.note(
            Action::Copy,
            field,
            "podSpecPatch: the notebook's container runtime isolates the code the steps run too",
        );
    }
    Some(serde_json::json!({ "runtimeClassName": class }).to_string())
}

fn copy_affinity(
    spec: &k8s_openapi::api::core::v1::PodSpec,
    use_gpus: bool,
    report: &mut Report,
) -> Option<k8s_openapi::api::core::v1::Affinity> {
    let mut affinity = spec.affinity.clone();
    if let Some(notebook) = affinity.as_mut().filter(|_| !use_gpus) {
        for key in gpu::drop_gpu_node_affinity(notebook) {
            report.note(
                Action::Drop,
                format!("affinity nodeAffinity {key}"),
                gpu::WHY_DROPPED,
            );
        }
        if *notebook == k8s_openapi::api::core::v1::Affinity::default() {
            affinity = None;
        }
    }
    if affinity.is_some() {
        report.note(
            Action::Copy,
            "affinity",
            "steps prefer the nodes the notebook prefers",
        );
    }
    affinity
}

/// Our labels plus `--label` (ours win: the managed-by label is how the tool finds its runs).
/// The user's labels (`--label`, a file's or the config file's `labels`), then ours, which win.
fn workflow_labels_with_users(
    pod_name: &str,
    policy: &ChosenPolicy,
    report: &mut Report,
) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    for (key, chosen) in &policy.labels {
        report.note(
            Action::Add,
            format!("label {key}"),
            format!("{} ({})", chosen.value, chosen.origin(Key::Labels)),
        );
        labels.insert(key.clone(), chosen.value.clone());
    }
    labels.extend(workflow_labels(pod_name));
    labels
}

fn users_annotations(
    policy: &ChosenPolicy,
    report: &mut Report,
) -> Option<BTreeMap<String, String>> {
    for (key, chosen) in &policy.annotations {
        report.note(
            Action::Add,
            format!("annotation {key}"),
            format!("on the workflow ({})", chosen.origin(Key::Annotations)),
        );
    }
    let annotations: BTreeMap<String, String> = policy
        .annotations
        .iter()
        .map(|(key, chosen)| (key.clone(), chosen.value.clone()))
        .collect();
    (!annotations.is_empty()).then_some(annotations)
}

fn workflow_labels(pod_name: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([(MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string())]);
    if let Some(value) = names::label_value(pod_name) {
        labels.insert(SOURCE_POD_LABEL.to_string(), value);
    }
    labels
}

/// Our labels on the step pods (never the notebook's: KubeSpawner's pod watcher and
/// NetworkPolicies select on them) and no Istio sidecar, which would keep a finished step's pod running.
fn step_pod_metadata(pod_name: &str, report: &mut Report) -> PodMetadata {
    report.note(
        Action::Add,
        format!("annotation {ISTIO_INJECT}"),
        "\"false\": a sidecar would keep finished steps running",
    );
    PodMetadata {
        labels: workflow_labels(pod_name),
        annotations: BTreeMap::from([(ISTIO_INJECT.to_string(), "false".to_string())]),
    }
}

fn note_dropped_container_fields(pod: &Pod, container: &Container, report: &mut Report) {
    let dropped: [(&str, bool, &str); 7] = [
        (
            "ports",
            container.ports.as_ref().is_some_and(|p| !p.is_empty()),
            "steps serve nothing",
        ),
        (
            "livenessProbe",
            container.liveness_probe.is_some(),
            "probes check the notebook server",
        ),
        (
            "readinessProbe",
            container.readiness_probe.is_some(),
            "probes check the notebook server",
        ),
        (
            "startupProbe",
            container.startup_probe.is_some(),
            "probes check the notebook server",
        ),
        (
            "lifecycle",
            container.lifecycle.is_some(),
            "postStart/preStop hooks belong to the notebook server",
        ),
        (
            "args",
            container.args.as_ref().is_some_and(|a| !a.is_empty()),
            "the notebook server's arguments; each step runs its own command",
        ),
        (
            "command",
            container.command.as_ref().is_some_and(|c| !c.is_empty()),
            "each step runs its own command",
        ),
    ];
    for (field, present, why) in dropped {
        if present {
            report.note(Action::Drop, field, why);
        }
    }
    if let Ok(object) = serde_json::to_value(container) {
        field_rules::note_table_drops(&object, field_rules::CONTAINER_RULES, "", report);
    }
    let spec = pod.spec.as_ref();
    for init in spec
        .and_then(|s| s.init_containers.as_ref())
        .into_iter()
        .flatten()
    {
        report.note(
            Action::Drop,
            format!("initContainer {}", init.name),
            "prepares the notebook pod only",
        );
    }
    for other in spec.map(|s| s.containers.as_slice()).unwrap_or_default() {
        if other.name != container.name {
            report.note(
                Action::Drop,
                format!("container {}", other.name),
                "sidecar of the notebook; steps run one container",
            );
        }
    }
}

fn note_dropped_pod_fields(pod: &Pod, report: &mut Report) {
    if let Some(spec) = &pod.spec {
        if let Ok(object) = serde_json::to_value(spec) {
            field_rules::note_table_drops(&object, field_rules::POD_SPEC_RULES, "", report);
        }
        let dropped: [(&str, Option<String>, &str); 6] = [
            (
                "schedulerName",
                spec.scheduler_name.clone(),
                "JupyterHub's user scheduler packs notebooks, not steps",
            ),
            (
                "priorityClassName",
                spec.priority_class_name.clone(),
                "the notebook's priority is not the steps'",
            ),
            (
                "priority",
                spec.priority.map(|p| p.to_string()),
                "set by the API server from the priority class",
            ),
            (
                "nodeName",
                spec.node_name.clone(),
                "steps are scheduled on their own",
            ),
            (
                "hostname",
                spec.hostname.clone(),
                "each step pod has its own",
            ),
            (
                "restartPolicy",
                spec.restart_policy.clone(),
                "Argo sets it for step pods",
            ),
        ];
        for (field, value, why) in dropped {
            if let Some(value) = value {
                report.note(Action::Drop, format!("{field} {value}"), why);
            }
        }
        if spec.automount_service_account_token.is_some() {
            report.note(
                Action::Drop,
                "automountServiceAccountToken",
                "Argo's executor needs the steps' token",
            );
        }
    }
    let labels = pod.metadata.labels.clone().unwrap_or_default();
    for key in labels.keys() {
        report.note(
            Action::Drop,
            format!("label {key}"),
            pod_labels::why_dropped(key, &labels),
        );
    }
    for key in pod.metadata.annotations.iter().flatten().map(|(k, _)| k) {
        report.note(
            Action::Drop,
            format!("annotation {key}"),
            "belongs to the notebook pod",
        );
    }
}

/// Where each notebook step writes the executed notebook, so the user finds it in JupyterLab.
fn note_notebook_outputs(pipeline: &Pipeline, workdir: &str, report: &mut Report) {
    for step in &pipeline.steps {
        let Some(notebook) = &step.notebook else {
            continue;
        };
        let runner = match notebook.runner {
            Runner::Papermill => "papermill",
            Runner::Nbconvert => "jupyter nbconvert --execute (no parameters)",
        };
        let folder = workdir.trim_end_matches('/');
        let mut output = notebook.output.replace(WORKFLOW_NAME, "<workflow name>");
        for name in step.sweep.iter().flat_map(|sweep| &sweep.parameters) {
            output = output.replace(&placeholder(name), &format!("<{name}>"));
        }
        report.note(
            Action::Add,
            format!("{} notebook", step.name),
            format!(
                "{} runs with {runner}; the executed notebook goes to {folder}/{output}",
                notebook.path
            ),
        );
    }
}

/// Argo evaluates `{{...}}` in every string of a template; copied values rarely mean that.
fn warn_about_argo_expressions(env: &[EnvVar], pipeline: &Pipeline, report: &mut Report) {
    let names: BTreeSet<&str> = env
        .iter()
        .filter(|e| e.value.as_deref().is_some_and(|v| v.contains("{{")))
        .map(|e| e.name.as_str())
        .collect();
    for name in names {
        report.warnings.push(format!(
            "env {name} contains '{{{{', which Argo treats as a template expression in the steps"
        ));
    }
    for step in &pipeline.steps {
        // What the user wrote: the placeholders of sweeps and notebooks are meant for Argo.
        if step.text.contains("{{") {
            report.warnings.push(format!(
                "step {} contains '{{{{': Argo will substitute it (e.g. {{{{workflow.name}}}})",
                step.name
            ));
        }
    }
}

mod exit_handler;
mod field_rules;
pub mod gpu;
pub mod gpu_node;
mod name_resolution;
pub mod pin;
mod placement;
mod pod_labels;
mod run_policy;
mod start_script;
pub mod sweep;
mod template_defaults;
mod var_refs;
mod workdir;

#[cfg(test)]
mod tests;
