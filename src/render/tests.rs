//! One test per copy/drop rule, on small inline pods.

use super::*;
use crate::argo::CRON_WORKFLOW_KIND;
use crate::config::{Settings, Sourced};
use crate::pipeline::{self, CommandMode};
use crate::source::{parse_pod, select_container};

const BASE: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: jupyter-alice
  namespace: jhub
  labels: {component: singleuser-server, hub.jupyter.org/network-access-hub: "true"}
  annotations: {hub.jupyter.org/username: alice}
spec:
  serviceAccountName: notebook
  schedulerName: jhub-user-scheduler
  priorityClassName: jhub-default-priority
  priority: 0
  nodeName: node-a
  hostname: jupyter-alice
  restartPolicy: OnFailure
  securityContext: {fsGroup: 100}
  imagePullSecrets: [{name: regcred}]
  nodeSelector: {pool: users}
  initContainers:
  - {name: block-cloud-metadata, image: tools, command: [iptables]}
  containers:
  - name: istio-proxy
    image: istio/proxyv2
  - name: notebook
    image: quay.io/jupyter/scipy-notebook:2024-12-02
    imagePullPolicy: IfNotPresent
    args: [jupyterhub-singleuser]
    ports: [{name: notebook-port, containerPort: 8888}]
    readinessProbe: {httpGet: {path: /api, port: 8888}}
    livenessProbe: {httpGet: {path: /api, port: 8888}}
    lifecycle: {postStart: {exec: {command: [sh, -c, "true"]}}}
    securityContext: {runAsUser: 1000, allowPrivilegeEscalation: false}
    env:
    - {name: JUPYTERHUB_API_TOKEN, value: secret-token}
    - {name: JPY_API_TOKEN, value: secret-token}
    - {name: JUPYTERHUB_USER, value: alice}
    - {name: MEM_LIMIT, value: "4294967296"}
    - {name: CPU_GUARANTEE, value: "0.5"}
    - {name: PLAIN, value: "say \"hi\""}
    - {name: EMPTY}
    - name: DB_PASSWORD
      valueFrom: {secretKeyRef: {name: db, key: password}}
    - name: MY_NODE
      valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
    - name: SETTING
      valueFrom: {configMapKeyRef: {name: cfg, key: setting}}
    envFrom:
    - secretRef: {name: team-secrets}
    resources:
      requests: {cpu: 500m, memory: "1073741824", nvidia.com/gpu: "1"}
      limits: {cpu: "2", memory: "4294967296", nvidia.com/gpu: "1", ephemeral-storage: 10Gi}
    volumeMounts:
    - {name: home, mountPath: /home/jovyan, subPath: alice}
    - {name: data, mountPath: /home/jovyan/data, readOnly: true}
    - {name: dshm, mountPath: /dev/shm}
    - {name: kube-api-access-abcde, mountPath: /var/run/secrets/kubernetes.io/serviceaccount, readOnly: true}
    - {name: certs, mountPath: /etc/jupyterhub/internal-ssl}
  tolerations:
  - {key: hub.jupyter.org/dedicated, operator: Equal, value: user, effect: NoSchedule}
  - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
  - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
  affinity:
    nodeAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        preference: {matchExpressions: [{key: hub.jupyter.org/node-purpose, operator: In, values: [user]}]}
  volumes:
  - {name: home, persistentVolumeClaim: {claimName: home-nfs}}
  - {name: data, nfs: {server: nfs.example, path: /datasets}}
  - {name: dshm, emptyDir: {medium: Memory}}
  - {name: unused, emptyDir: {}}
  - {name: certs, secret: {secretName: jupyterhub-internal-certs}}
  - name: kube-api-access-abcde
    projected: {sources: [{serviceAccountToken: {path: token}}]}
status:
  containerStatuses:
  - name: notebook
    image: quay.io/jupyter/scipy-notebook:2024-12-02
    imageID: docker-pullable://quay.io/jupyter/scipy-notebook@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    ready: true
    restartCount: 0
  - {name: istio-proxy, image: istio/proxyv2, imageID: "", ready: true, restartCount: 0}
"#;

struct Case {
    pod: Pod,
    pipeline: Pipeline,
    settings: Settings,
    workdir: String,
    cluster: Option<ClusterFacts>,
}

fn case() -> Case {
    Case {
        pod: parse_pod(BASE).unwrap(),
        pipeline: pipeline::expression::parse("python a.py >> python b.py", CommandMode::Exec)
            .unwrap(),
        settings: Settings::default(),
        workdir: "/home/jovyan/project".to_string(),
        cluster: None,
    }
}

impl Case {
    fn try_render(&self) -> Result<Rendered> {
        let container = select_container(&self.pod, None).unwrap();
        render(&RenderInput {
            pod: &self.pod,
            container,
            pipeline: &self.pipeline,
            settings: &self.settings,
            workdir: &self.workdir,
            cluster: self.cluster.as_ref(),
        })
    }

    fn render(&self) -> Rendered {
        self.try_render().unwrap()
    }
}

fn spec(rendered: &Rendered) -> &WorkflowSpec {
    rendered.manifest.workflow_spec()
}

/// The container the first step's pod gets (its own fields over the shared ones).
fn step(rendered: &Rendered) -> Container {
    step_at(rendered, 1)
}

fn step_at(rendered: &Rendered, index: usize) -> Container {
    let spec = spec(rendered);
    spec.container_of(&spec.templates[index]).unwrap()
}

fn env_names(container: &Container) -> Vec<&str> {
    container
        .env
        .iter()
        .flatten()
        .map(|e| e.name.as_str())
        .collect()
}

fn has_note(rendered: &Rendered, action: Action, field: &str) -> bool {
    rendered
        .report
        .notes
        .iter()
        .any(|n| n.action == action && n.field == field)
}

fn yaml_of(rendered: &Rendered) -> String {
    crate::yaml::to_string(&rendered.manifest).unwrap()
}

#[test]
fn copies_image_and_pull_policy_of_the_notebook_container() {
    let rendered = case().render();
    assert_eq!(
        step(&rendered).image.as_deref(),
        Some("quay.io/jupyter/scipy-notebook:2024-12-02")
    );
    assert_eq!(
        step(&rendered).image_pull_policy.as_deref(),
        Some("IfNotPresent")
    );
}

#[test]
fn pin_image_uses_the_digest_from_the_status() {
    let mut case = case();
    case.settings.pin_image = true;
    let rendered = case.render();
    assert_eq!(
        step(&rendered).image.as_deref(),
        Some("quay.io/jupyter/scipy-notebook@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
    );
}

#[test]
fn pin_image_without_status_is_an_error() {
    let mut case = case();
    case.settings.pin_image = true;
    case.pod.status = None;
    let err = case.try_render().err().unwrap().to_string();
    assert!(
        err.contains("--pin-image") && err.contains("imageID"),
        "{err}"
    );
}

#[test]
fn image_flag_overrides_the_pod() {
    let mut case = case();
    case.settings.image = Some(Sourced {
        value: "my/image:2".into(),
        origin: "--image flag",
    });
    let rendered = case.render();
    assert_eq!(step(&rendered).image.as_deref(), Some("my/image:2"));
    assert!(has_note(&rendered, Action::Override, "image"));
}

#[test]
fn image_pull_secrets_go_to_the_workflow_level() {
    let rendered = case().render();
    assert_eq!(
        spec(&rendered).image_pull_secrets,
        vec![LocalObjectReference {
            name: "regcred".into()
        }]
    );
    assert!(
        !yaml_of(&rendered).contains("imagePullSecret:"),
        "never inside the container"
    );
}

#[test]
fn both_security_contexts_are_copied_to_their_levels() {
    let rendered = case().render();
    assert_eq!(
        spec(&rendered).security_context.as_ref().unwrap().fs_group,
        Some(100)
    );
    let step = step(&rendered);
    let container_context = step.security_context.as_ref().unwrap();
    assert_eq!(container_context.run_as_user, Some(1000));
    assert_eq!(container_context.allow_privilege_escalation, Some(false));
}

#[test]
fn config_run_as_user_and_group_override_the_container_context() {
    let mut case = case();
    case.settings.run_as_user = Some(2000);
    case.settings.run_as_group = Some(100);
    let rendered = case.render();
    let step = step(&rendered);
    let context = step.security_context.as_ref().unwrap();
    assert_eq!(
        (context.run_as_user, context.run_as_group),
        (Some(2000), Some(100))
    );
    assert_eq!(context.allow_privilege_escalation, Some(false));
}

/// The notebook container starts as root with docker-stacks' NB_UID/NB_GID (z2jh
/// `singleuser.uid: 0` with GRANT_SUDO), as its start script expects.
fn root_start_case(env: &[(&str, &str)]) -> Case {
    let mut case = case();
    let spec = case.pod.spec.as_mut().unwrap();
    let notebook = spec
        .containers
        .iter_mut()
        .find(|c| c.name == "notebook")
        .unwrap();
    notebook.security_context.as_mut().unwrap().run_as_user = Some(0);
    for (name, value) in env {
        notebook.env.get_or_insert_with(Vec::new).push(EnvVar {
            name: name.to_string(),
            value: Some(value.to_string()),
            value_from: None,
        });
    }
    case
}

fn run_as(rendered: &Rendered) -> (Option<i64>, Option<i64>) {
    let step = step(rendered);
    let context = step.security_context.unwrap();
    (context.run_as_user, context.run_as_group)
}

#[test]
fn a_root_start_that_switches_to_nb_uid_runs_the_steps_as_nb_uid_and_nb_gid() {
    let rendered = root_start_case(&[
        ("NB_UID", "1001"),
        ("NB_GID", "2000"),
        ("GRANT_SUDO", "yes"),
    ])
    .render();
    assert_eq!(run_as(&rendered), (Some(1001), Some(2000)));
    // Every step, the last one too (the shared container is written once).
    let last = step_at(&rendered, 2).security_context.unwrap();
    assert_eq!(last.run_as_user, Some(1001));
    let pod_context = spec(&rendered).security_context.as_ref().unwrap();
    assert_eq!(pod_context.fs_group, Some(100), "the pod's own is kept");
    assert_eq!(pod_context.supplemental_groups.as_deref(), Some(&[100][..]));
    assert!(has_note(
        &rendered,
        Action::Override,
        "securityContext.runAsUser"
    ));
    assert!(has_note(
        &rendered,
        Action::Override,
        "securityContext.runAsGroup"
    ));
    assert!(has_note(
        &rendered,
        Action::Add,
        "securityContext.supplementalGroups 100"
    ));
    let why = &rendered
        .report
        .notes
        .iter()
        .find(|n| n.field == "securityContext.runAsUser")
        .unwrap()
        .detail;
    assert!(why.starts_with("1001 (NB_UID: "), "{why}");
    assert!(
        why.contains("root-owned files") && why.contains("sudo"),
        "{why}"
    );
}

#[test]
fn a_root_start_with_nb_uid_only_takes_the_users_group() {
    let rendered = root_start_case(&[("NB_UID", "1000")]).render();
    assert_eq!(run_as(&rendered), (Some(1000), Some(100)));
    let pod_context = spec(&rendered).security_context.as_ref().unwrap();
    assert_eq!(pod_context.supplemental_groups, None);
}

#[test]
fn a_root_start_without_nb_uid_stays_root() {
    let rendered = root_start_case(&[]).render();
    assert_eq!(run_as(&rendered), (Some(0), None));
    assert!(rendered.report.warnings.is_empty());
}

#[test]
fn the_config_files_ids_win_over_nb_uid() {
    let mut case = root_start_case(&[("NB_UID", "1001"), ("NB_GID", "2000")]);
    case.settings.run_as_user = Some(3000);
    let rendered = case.render();
    assert_eq!(run_as(&rendered), (Some(3000), Some(2000)));
}

#[test]
fn service_account_is_copied_and_can_be_overridden() {
    let rendered = case().render();
    assert_eq!(
        spec(&rendered).service_account_name.as_deref(),
        Some("notebook")
    );
    let mut case = case();
    case.settings.service_account = Some(Sourced {
        value: "pipelines".into(),
        origin: "--service-account flag",
    });
    assert_eq!(
        spec(&case.render()).service_account_name.as_deref(),
        Some("pipelines")
    );
}

#[test]
fn node_selector_is_copied_and_merged_with_flags() {
    let mut case = case();
    case.settings.node_selector.insert(
        "gpu".into(),
        Sourced {
            value: "a100".into(),
            origin: "--node-selector flag",
        },
    );
    let rendered = case.render();
    let selector = &spec(&rendered).node_selector;
    assert_eq!(selector.get("pool").map(String::as_str), Some("users"));
    assert_eq!(selector.get("gpu").map(String::as_str), Some("a100"));
}

#[test]
fn user_tolerations_are_kept_and_api_server_defaults_dropped() {
    let rendered = case().render();
    let keys: Vec<_> = spec(&rendered)
        .tolerations
        .iter()
        .filter_map(|t| t.key.as_deref())
        .collect();
    assert_eq!(keys, ["hub.jupyter.org/dedicated"]);
}

#[test]
fn affinity_is_copied() {
    let rendered = case().render();
    let affinity = spec(&rendered).affinity.as_ref().unwrap();
    assert!(affinity.node_affinity.is_some());
}

#[test]
fn env_literals_are_copied_with_quotes_intact() {
    let rendered = case().render();
    let step = step(&rendered);
    let env = step.env.as_ref().unwrap();
    let plain = env.iter().find(|e| e.name == "PLAIN").unwrap();
    assert_eq!(plain.value.as_deref(), Some("say \"hi\""));
    let empty = env.iter().find(|e| e.name == "EMPTY").unwrap();
    assert_eq!(
        (empty.value.as_deref(), empty.value_from.is_none()),
        (None, true)
    );
    // And the YAML round-trips to the same value.
    let back: Manifest = crate::yaml::from_str(&yaml_of(&rendered)).unwrap();
    assert_eq!(back, rendered.manifest);
}

#[test]
fn env_references_stay_references() {
    let rendered = case().render();
    let step = step(&rendered);
    let env = step.env.as_ref().unwrap();
    let secret = env.iter().find(|e| e.name == "DB_PASSWORD").unwrap();
    assert_eq!(secret.value, None);
    let secret_ref = secret
        .value_from
        .as_ref()
        .unwrap()
        .secret_key_ref
        .as_ref()
        .unwrap();
    assert_eq!(
        (secret_ref.name.as_str(), secret_ref.key.as_str()),
        ("db", "password")
    );
    let field = env.iter().find(|e| e.name == "MY_NODE").unwrap();
    assert!(field.value_from.as_ref().unwrap().field_ref.is_some());
    let config_map = env.iter().find(|e| e.name == "SETTING").unwrap();
    assert!(config_map
        .value_from
        .as_ref()
        .unwrap()
        .config_map_key_ref
        .is_some());
}

#[test]
fn hub_tokens_and_hub_env_are_dropped() {
    let rendered = case().render();
    let step = step(&rendered);
    let names = env_names(&step);
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("JUPYTERHUB_") || n.starts_with("JPY_")),
        "{names:?}"
    );
    assert!(
        !yaml_of(&rendered).contains("secret-token"),
        "the token value never reaches the manifest"
    );
    assert!(has_note(
        &rendered,
        Action::Drop,
        "env JUPYTERHUB_API_TOKEN"
    ));
}

#[test]
fn kubespawner_sizing_env_is_dropped() {
    let rendered = case().render();
    let step = step(&rendered);
    let names = env_names(&step);
    assert!(
        !names.contains(&"MEM_LIMIT") && !names.contains(&"CPU_GUARANTEE"),
        "{names:?}"
    );
}

#[test]
fn env_flags_override_and_add() {
    let mut case = case();
    case.settings.env = vec![
        Sourced {
            value: EnvVar {
                name: "PLAIN".into(),
                value: Some("new".into()),
                value_from: None,
            },
            origin: "--env flag",
        },
        Sourced {
            value: EnvVar {
                name: "EPOCHS".into(),
                value: Some("10".into()),
                value_from: None,
            },
            origin: "--env flag",
        },
    ];
    let rendered = case.render();
    let step = step(&rendered);
    let env = step.env.as_ref().unwrap();
    assert_eq!(env.iter().filter(|e| e.name == "PLAIN").count(), 1);
    assert_eq!(
        env.iter()
            .find(|e| e.name == "PLAIN")
            .unwrap()
            .value
            .as_deref(),
        Some("new")
    );
    assert_eq!(env.last().unwrap().name, "EPOCHS");
}

#[test]
fn env_from_is_copied_as_references() {
    let rendered = case().render();
    let step = step(&rendered);
    let env_from = step.env_from.as_ref().unwrap();
    assert_eq!(
        env_from[0].secret_ref.as_ref().unwrap().name,
        "team-secrets"
    );
}

#[test]
fn volumes_mounted_by_the_notebook_are_copied_with_exact_mounts() {
    let rendered = case().render();
    let volumes: Vec<_> = spec(&rendered)
        .volumes
        .iter()
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(volumes, ["home", "data", "dshm"]);
    let step = step(&rendered);
    let mounts = step.volume_mounts.as_ref().unwrap();
    assert_eq!(mounts[0].mount_path, "/home/jovyan");
    assert_eq!(mounts[0].sub_path.as_deref(), Some("alice"));
    assert_eq!(mounts[1].read_only, Some(true));
    assert_eq!(mounts.len(), 3);
}

#[test]
fn service_account_token_volume_and_mount_are_dropped() {
    let rendered = case().render();
    let text = yaml_of(&rendered);
    assert!(!text.contains("kube-api-access"), "{text}");
    assert!(
        !text.contains("/var/run/secrets/kubernetes.io/serviceaccount"),
        "{text}"
    );
}

#[test]
fn jupyterhub_internal_certs_are_dropped() {
    let mut case = case();
    // KubeSpawner names that volume jupyterhub-internal-certs.
    let spec = case.pod.spec.as_mut().unwrap();
    spec.volumes.as_mut().unwrap()[4].name = "jupyterhub-internal-certs".into();
    spec.containers[1].volume_mounts.as_mut().unwrap()[4].name = "jupyterhub-internal-certs".into();
    let rendered = case.render();
    assert!(!yaml_of(&rendered).contains("jupyterhub-internal-certs"));
}

#[test]
fn volumes_not_mounted_by_the_notebook_are_dropped() {
    let rendered = case().render();
    assert!(!spec(&rendered).volumes.iter().any(|v| v.name == "unused"));
    assert!(has_note(&rendered, Action::Drop, "volume unused"));
}

#[test]
fn argo_reserved_volume_names_and_paths_are_dropped() {
    let mut case = case();
    let spec = case.pod.spec.as_mut().unwrap();
    spec.volumes.as_mut().unwrap().push(Volume {
        name: "var-run-argo".into(),
        ..Volume::default()
    });
    spec.containers[1].volume_mounts.as_mut().unwrap().extend([
        VolumeMount {
            name: "var-run-argo".into(),
            mount_path: "/mnt/x".into(),
            ..VolumeMount::default()
        },
        VolumeMount {
            name: "dshm".into(),
            mount_path: "/argo/staging".into(),
            ..VolumeMount::default()
        },
    ]);
    let rendered = case.render();
    let text = yaml_of(&rendered);
    assert!(
        !text.contains("var-run-argo") && !text.contains("/argo/staging"),
        "{text}"
    );
}

#[test]
fn cpu_and_memory_are_copied_and_gpus_and_extended_resources_dropped() {
    let rendered = case().render();
    let step = step(&rendered);
    let resources = step.resources.as_ref().unwrap();
    let keys = |m: &Option<BTreeMap<String, Quantity>>| {
        m.iter()
            .flatten()
            .map(|(k, _)| k.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&resources.requests), ["cpu", "memory"]);
    assert_eq!(keys(&resources.limits), ["cpu", "memory"]);
    assert_eq!(
        resources.limits.as_ref().unwrap()["memory"],
        Quantity("4294967296".into())
    );
    assert!(has_note(
        &rendered,
        Action::Drop,
        "resources.limits.nvidia.com/gpu"
    ));
}

#[test]
fn gpu_cpu_and_memory_flags_set_every_step() {
    let mut case = case();
    case.settings.gpu = Some(2);
    case.settings.cpu = Some(Quantity("4".into()));
    case.settings.memory = Some(Quantity("8Gi".into()));
    let rendered = case.render();
    for index in 1..spec(&rendered).templates.len() {
        let container = step_at(&rendered, index);
        let resources = container.resources.as_ref().unwrap();
        let limits = resources.limits.as_ref().unwrap();
        assert_eq!(limits["nvidia.com/gpu"], Quantity("2".into()));
        assert_eq!(limits["cpu"], Quantity("4".into()));
        assert_eq!(
            resources.requests.as_ref().unwrap()["memory"],
            Quantity("8Gi".into())
        );
    }
}

#[test]
fn config_resources_replace_the_pods() {
    let mut case = case();
    case.settings.resources = Some(ResourceRequirements {
        requests: Some(BTreeMap::from([(
            "cpu".to_string(),
            Quantity("250m".into()),
        )])),
        ..ResourceRequirements::default()
    });
    let rendered = case.render();
    let step = step(&rendered);
    let resources = step.resources.as_ref().unwrap();
    assert_eq!(resources.requests.as_ref().unwrap().len(), 1);
    assert!(resources.limits.is_none());
}

#[test]
fn ports_probes_lifecycle_and_args_are_dropped() {
    let container = step(&case().render()).clone();
    assert!(container.ports.is_none());
    assert!(container.liveness_probe.is_none() && container.readiness_probe.is_none());
    assert!(container.lifecycle.is_none());
    assert!(container.args.is_none());
    assert_eq!(
        container.command.as_deref(),
        Some(&["python".to_string(), "a.py".to_string()][..])
    );
}

#[test]
fn init_and_sidecar_containers_are_dropped() {
    let rendered = case().render();
    let text = yaml_of(&rendered);
    assert!(
        !text.contains("block-cloud-metadata") && !text.contains("istio/proxyv2"),
        "{text}"
    );
    assert!(has_note(&rendered, Action::Drop, "container istio-proxy"));
    assert!(has_note(
        &rendered,
        Action::Drop,
        "initContainer block-cloud-metadata"
    ));
}

#[test]
fn scheduling_and_identity_fields_of_the_pod_are_dropped() {
    let text = yaml_of(&case().render());
    for dropped in [
        "jhub-user-scheduler",
        "jhub-default-priority",
        "node-a",
        "OnFailure",
        "hostname",
    ] {
        assert!(!text.contains(dropped), "{dropped} leaked into:\n{text}");
    }
}

#[test]
fn kubespawner_labels_and_annotations_are_dropped_and_ours_added() {
    let rendered = case().render();
    let text = yaml_of(&rendered);
    assert!(
        !text.contains("hub.jupyter.org") || !text.contains("network-access-hub"),
        "{text}"
    );
    assert!(!text.contains("singleuser-server"), "{text}");
    let labels = rendered.manifest.metadata().labels.clone().unwrap();
    assert_eq!(labels[MANAGED_BY_LABEL], MANAGED_BY);
    assert_eq!(labels[SOURCE_POD_LABEL], "jupyter-alice");
    let pod_metadata = spec(&rendered).pod_metadata.as_ref().unwrap();
    assert_eq!(pod_metadata.annotations["sidecar.istio.io/inject"], "false");
    assert_eq!(pod_metadata.labels[MANAGED_BY_LABEL], MANAGED_BY);
}

#[test]
fn explain_names_what_each_dropped_label_is_for() {
    let mut case = case();
    case.pod
        .metadata
        .labels
        .as_mut()
        .unwrap()
        .insert("team".into(), "ml".into());
    let rendered = case.render();
    let detail = |field: &str| {
        rendered
            .report
            .notes
            .iter()
            .find(|n| n.action == Action::Drop && n.field == field)
            .map(|n| n.detail.clone())
            .unwrap_or_else(|| panic!("no note for {field}: {:?}", rendered.report.notes))
    };
    assert!(detail("label component").starts_with("KubeSpawner's: marks a user's notebook server"));
    assert!(detail("label hub.jupyter.org/network-access-hub").contains("to the hub API"));
    assert!(detail("label team").starts_with("a label of the notebook pod"));
}

#[test]
fn namespace_is_the_pods_because_its_volumes_live_there() {
    assert_eq!(
        case().render().manifest.metadata().namespace.as_deref(),
        Some("jhub")
    );
}

/// A notebook that uses nothing namespaced: an NFS home, the `default` account, plain env.
const NOTHING_NAMESPACED: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: jupyter-bob, namespace: jhub}
spec:
  containers:
  - name: notebook
    image: quay.io/jupyter/base-notebook:latest
    env: [{name: PLAIN, value: "1"}]
    volumeMounts: [{name: home, mountPath: /home/jovyan}]
  volumes:
  - {name: home, nfs: {server: nfs.example, path: /home/bob}}
"#;

#[test]
fn namespace_flag_wins_over_the_pods_and_says_so() {
    let mut case = case();
    case.pod = parse_pod(NOTHING_NAMESPACED).unwrap();
    case.settings.namespace = Some("team-a".into());
    case.cluster = Some(ClusterFacts {
        namespace: "team-a".into(),
        ..ClusterFacts::default()
    });
    let rendered = case.render();
    assert_eq!(
        rendered.manifest.metadata().namespace.as_deref(),
        Some("team-a")
    );
    let note = rendered
        .report
        .notes
        .iter()
        .find(|n| n.field == "metadata.namespace")
        .unwrap();
    assert_eq!(note.action, Action::Override);
    assert!(note.detail.starts_with("team-a (-n;"), "{note}");
    case.settings.namespace = Some("jhub".into());
    assert!(!case
        .render()
        .report
        .notes
        .iter()
        .any(|n| n.field == "metadata.namespace"));
}

#[test]
fn namespace_flag_is_refused_when_the_steps_use_the_pods_namespaced_objects() {
    let mut case = case();
    case.settings.namespace = Some("team-a".into());
    let error = case.try_render().err().unwrap().to_string();
    for named in [
        "-n team-a is not the notebook's namespace jhub",
        "PersistentVolumeClaim home-nfs",
        "ServiceAccount notebook",
        "Secret regcred (imagePullSecrets)",
    ] {
        assert!(error.contains(named), "{named} missing: {error}");
    }
    case.settings.namespace = Some("jhub".into());
    assert_eq!(
        case.render().manifest.metadata().namespace.as_deref(),
        Some("jhub")
    );
}

#[test]
fn a_pod_without_namespace_takes_the_connections_or_none_offline() {
    let mut case = case();
    case.pod.metadata.namespace = None;
    assert_eq!(case.render().manifest.metadata().namespace, None);
    case.cluster = Some(ClusterFacts {
        namespace: "from-context".into(),
        ..ClusterFacts::default()
    });
    assert_eq!(
        case.render().manifest.metadata().namespace.as_deref(),
        Some("from-context")
    );
}

#[test]
fn claims_read_from_the_cluster_pin_the_steps_and_a_pod_file_alone_does_not() {
    let mut case = case();
    let pinned = |rendered: &Rendered| {
        spec(rendered)
            .affinity
            .as_ref()
            .and_then(|a| a.node_affinity.as_ref())
            .is_some_and(|n| {
                n.required_during_scheduling_ignored_during_execution
                    .is_some()
            })
    };
    assert!(!pinned(&case.render()));
    case.cluster = Some(ClusterFacts {
        namespace: "jhub".into(),
        claims: [(
            "home-nfs".to_string(),
            pin::ClaimAccess::Modes(vec!["ReadWriteOnce".into()]),
        )]
        .into(),
        ..ClusterFacts::default()
    });
    let rendered = case.render();
    assert!(pinned(&rendered));
    assert!(rendered
        .report
        .warnings
        .iter()
        .any(|w| w.contains("pinned to the notebook's node node-a")));
}

#[test]
fn workdir_under_a_copied_mount_is_the_steps_working_dir() {
    let rendered = case().render();
    assert_eq!(
        step(&rendered).working_dir.as_deref(),
        Some("/home/jovyan/project")
    );
}

#[test]
fn workdir_outside_every_mount_is_an_error_listing_the_mounts() {
    let mut case = case();
    case.workdir = "/tmp/work".into();
    let err = case.try_render().err().unwrap().to_string();
    assert!(err.contains("/tmp/work"), "{err}");
    assert!(
        err.contains("/home/jovyan, /home/jovyan/data, /dev/shm"),
        "{err}"
    );
    assert!(err.contains("--workdir"), "{err}");
    // A path that only shares a prefix with a mount is not under it.
    case.workdir = "/home/jovyanx".into();
    assert!(case.try_render().is_err());
}

#[test]
fn a_pod_without_volumes_renders_with_workdir_root_only_if_mounted() {
    let mut case = case();
    case.pod =
        parse_pod("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i}]}\n")
            .unwrap();
    let err = case.try_render().err().unwrap().to_string();
    assert!(err.contains("mounts no volume"), "{err}");
}

/// JupyterHub's `storage.type: none`: the notebook mounts nothing.
const NO_VOLUMES: &str =
    "kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i}]}\n";

#[test]
fn a_pod_without_volumes_renders_when_the_code_comes_from_the_image_flag() {
    let mut case = case();
    case.pod = parse_pod(NO_VOLUMES).unwrap();
    case.settings.image = Some(crate::config::Sourced {
        value: "registry.example/team/train:1".to_string(),
        origin: "--image flag",
    });
    let rendered = case.render();
    assert_eq!(
        step(&rendered).working_dir.as_deref(),
        Some("/home/jovyan/project")
    );
    assert!(step(&rendered).volume_mounts.is_none());
    let note = rendered
        .report
        .notes
        .iter()
        .find(|n| n.field == "workingDir")
        .unwrap();
    assert!(note.detail.contains("on no volume"), "{}", note.detail);
    assert!(
        note.detail
            .contains("registry.example/team/train:1 (--image flag)"),
        "{}",
        note.detail
    );
}

#[test]
fn a_pod_without_volumes_renders_only_when_every_job_has_its_own_image() {
    let mut case = case();
    case.pod = parse_pod(NO_VOLUMES).unwrap();
    case.pipeline.steps[0].overrides.image = Some("registry.example/prep:1".into());
    // job-2 would still look for its code in the notebook's own filesystem.
    let err = case.try_render().err().unwrap().to_string();
    assert!(err.contains("mounts no volume"), "{err}");
    assert!(err.contains("--image IMAGE"), "{err}");
    case.pipeline.steps[1].overrides.image = Some("registry.example/train:1".into());
    let rendered = case.render();
    assert!(rendered
        .report
        .notes
        .iter()
        .any(|n| n.field == "workingDir" && n.detail.contains("each job's own image")));
}

#[test]
fn dag_follows_the_pipeline() {
    let mut case = case();
    case.pipeline = pipeline::expression::parse(
        "python p.py >> [python t.py --lr 0.1, python t.py --lr 0.5] >> python e.py",
        CommandMode::Exec,
    )
    .unwrap();
    let rendered = case.render();
    let spec = spec(&rendered);
    assert_eq!(spec.entrypoint, ENTRYPOINT);
    assert_eq!(spec.templates.len(), 5);
    let tasks = &spec.templates[0].dag.as_ref().unwrap().tasks;
    let deps: Vec<(&str, Vec<&str>)> = tasks
        .iter()
        .map(|t| {
            (
                t.name.as_str(),
                t.dependencies.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        deps,
        [
            ("job-1", vec![]),
            ("job-2", vec!["job-1"]),
            ("job-3", vec!["job-1"]),
            ("job-4", vec!["job-2", "job-3"])
        ]
    );
}

#[test]
fn shell_mode_wraps_the_step() {
    let mut case = case();
    case.pipeline =
        pipeline::expression::parse("python a.py | tee log.txt", CommandMode::Shell).unwrap();
    let rendered = case.render();
    assert_eq!(
        step(&rendered).command.as_deref(),
        Some(
            &[
                "/bin/sh".to_string(),
                "-c".to_string(),
                "python a.py | tee log.txt".to_string()
            ][..]
        )
    );
}

#[test]
fn generate_name_comes_from_name_flag_then_file_then_pod() {
    let mut case = case();
    assert_eq!(
        case.render().manifest.metadata().generate_name.as_deref(),
        Some("jupyter-alice-")
    );
    case.pipeline.name = Some("My Pipeline".into());
    assert_eq!(
        case.render().manifest.metadata().generate_name.as_deref(),
        Some("my-pipeline-")
    );
    case.settings.name = Some("train_v2".into());
    assert_eq!(
        case.render().manifest.metadata().generate_name.as_deref(),
        Some("train-v2-")
    );
    case.settings.name = Some("!!!".into());
    assert!(case
        .try_render()
        .err()
        .unwrap()
        .to_string()
        .contains("invalid --name"));
}

#[test]
fn schedule_makes_a_cron_workflow_with_schedules() {
    let mut case = case();
    case.settings.schedule = Some("0 3 * * *".into());
    case.settings.name = Some("a".repeat(80));
    let rendered = case.render();
    let Manifest::CronWorkflow(cron) = &rendered.manifest else {
        panic!("not a CronWorkflow")
    };
    assert_eq!(cron.spec.schedules, ["0 3 * * *"]);
    assert_eq!(cron.spec.schedule, None);
    assert_eq!(cron.spec.concurrency_policy.as_deref(), Some("Forbid"));
    assert!(cron.metadata.generate_name.as_ref().unwrap().len() + 5 <= 52);
    case.settings.legacy_schedule = true;
    let Manifest::CronWorkflow(cron) = case.render().manifest else {
        panic!("not a CronWorkflow")
    };
    assert_eq!(
        (cron.spec.schedules.len(), cron.spec.schedule.as_deref()),
        (0, Some("0 3 * * *"))
    );
}

#[test]
fn schedule_from_the_workflow_file_is_used_and_checked() {
    let mut case = case();
    case.pipeline.schedule = Some("*/2 * * * *".into());
    assert_eq!(case.render().manifest.kind(), CRON_WORKFLOW_KIND);
    case.pipeline.schedule = Some("every day".into());
    assert!(case
        .try_render()
        .err()
        .unwrap()
        .to_string()
        .contains("invalid schedule"));
}

#[test]
fn step_overrides_from_a_file_win() {
    let mut case = case();
    case.pipeline.steps[1].overrides.image = Some("other:1".into());
    case.pipeline.steps[1]
        .overrides
        .env
        .insert("PLAIN".into(), "job".into());
    let rendered = case.render();
    let second = step_at(&rendered, 2);
    assert_eq!(second.image.as_deref(), Some("other:1"));
    assert_eq!(
        second
            .env
            .as_ref()
            .unwrap()
            .iter()
            .find(|e| e.name == "PLAIN")
            .unwrap()
            .value
            .as_deref(),
        Some("job")
    );
    assert_eq!(
        step(&rendered).image.as_deref(),
        Some("quay.io/jupyter/scipy-notebook:2024-12-02")
    );
}

#[test]
fn argo_expressions_in_copied_values_are_warned_about() {
    let mut case = case();
    case.settings.env = vec![Sourced {
        value: EnvVar {
            name: "T".into(),
            value: Some("{{x}}".into()),
            value_from: None,
        },
        origin: "--env flag",
    }];
    let rendered = case.render();
    assert!(
        rendered.report.warnings.iter().any(|w| w.contains("env T")),
        "{:?}",
        rendered.report.warnings
    );
}

#[test]
fn a_step_named_like_the_entrypoint_is_an_error() {
    let mut case = case();
    case.pipeline.steps[0].name = ENTRYPOINT.into();
    assert!(case
        .try_render()
        .err()
        .unwrap()
        .to_string()
        .contains("rename the job"));
}

/// A GPU profile's notebook: NVIDIA variables, an accelerator node selector, a GPU taint
/// toleration and a required affinity on the GPU Operator's label.
const GPU_POD: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: jupyter-dana, namespace: jhub}
spec:
  nodeSelector: {cloud.google.com/gke-accelerator: nvidia-tesla-t4, pool: users}
  containers:
  - name: notebook
    image: quay.io/jupyter/pytorch-notebook:cuda12
    env:
    - {name: NVIDIA_VISIBLE_DEVICES, value: all}
    - {name: NVIDIA_DRIVER_CAPABILITIES, value: "compute,utility"}
    - {name: PLAIN, value: "1"}
    resources: {limits: {nvidia.com/gpu: "1"}}
    volumeMounts: [{name: home, mountPath: /home/jovyan}]
  tolerations:
  - {key: hub.jupyter.org/dedicated, operator: Equal, value: user, effect: NoSchedule}
  - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions: [{key: nvidia.com/gpu.present, operator: In, values: ["true"]}]
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        preference: {matchExpressions: [{key: hub.jupyter.org/node-purpose, operator: In, values: [user]}]}
  volumes:
  - {name: home, nfs: {server: nfs.example, path: /home/dana}}
"#;

fn gpu_case() -> Case {
    let mut case = case();
    case.pod = parse_pod(GPU_POD).unwrap();
    case
}

fn toleration_keys(rendered: &Rendered) -> Vec<&str> {
    spec(rendered)
        .tolerations
        .iter()
        .filter_map(|t| t.key.as_deref())
        .collect()
}

#[test]
fn nvidia_env_hides_the_gpus_without_gpus_and_is_kept_with_them() {
    let mut case = gpu_case();
    let rendered = case.render();
    let env = step(&rendered).env.clone().unwrap_or_default();
    let pairs: Vec<(&str, Option<&str>)> = env
        .iter()
        .map(|e| (e.name.as_str(), e.value.as_deref()))
        .collect();
    // `void`, not just dropped: a CUDA image's own NVIDIA_VISIBLE_DEVICES=all would apply.
    assert_eq!(
        pairs,
        [
            ("NVIDIA_VISIBLE_DEVICES", Some("void")),
            ("PLAIN", Some("1"))
        ]
    );
    assert!(has_note(
        &rendered,
        Action::Override,
        "env NVIDIA_VISIBLE_DEVICES"
    ));
    assert!(has_note(
        &rendered,
        Action::Drop,
        "env NVIDIA_DRIVER_CAPABILITIES"
    ));
    case.settings.gpu = Some(1);
    let rendered = case.render();
    let container = step(&rendered);
    assert_eq!(
        env_names(&container),
        [
            "NVIDIA_VISIBLE_DEVICES",
            "NVIDIA_DRIVER_CAPABILITIES",
            "PLAIN"
        ]
    );
    assert_eq!(
        container.env.as_ref().unwrap()[0].value.as_deref(),
        Some("all")
    );
}

#[test]
fn a_cpu_notebook_kept_off_gpu_nodes_keeps_its_steps_off_them_too() {
    let mut case = case();
    case.pod = parse_pod(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: jupyter-erin, namespace: jhub}
spec:
  containers:
  - name: notebook
    image: quay.io/jupyter/base-notebook:latest
    volumeMounts: [{name: home, mountPath: /home/jovyan}]
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - {key: nvidia.com/gpu.present, operator: DoesNotExist}
          - {key: cloud.google.com/gke-accelerator, operator: NotIn, values: [nvidia-tesla-t4]}
  volumes:
  - {name: home, nfs: {server: nfs.example, path: /home/erin}}
"#,
    )
    .unwrap();
    let rendered = case.render();
    assert_eq!(
        spec(&rendered).affinity,
        case.pod.spec.as_ref().unwrap().affinity
    );
    assert!(!rendered
        .report
        .notes
        .iter()
        .any(|n| n.action == Action::Drop && n.field.starts_with("affinity")));
}

#[test]
fn gpu_node_selectors_are_dropped_without_gpus_and_kept_with_them() {
    let mut case = gpu_case();
    let rendered = case.render();
    assert_eq!(
        spec(&rendered).node_selector,
        BTreeMap::from([("pool".to_string(), "users".to_string())])
    );
    assert!(has_note(
        &rendered,
        Action::Drop,
        "nodeSelector cloud.google.com/gke-accelerator"
    ));
    case.settings.gpu = Some(2);
    assert_eq!(
        spec(&case.render()).node_selector["cloud.google.com/gke-accelerator"],
        "nvidia-tesla-t4"
    );
}

#[test]
fn gpu_tolerations_are_dropped_without_gpus_and_kept_with_them() {
    let mut case = gpu_case();
    let rendered = case.render();
    assert_eq!(toleration_keys(&rendered), ["hub.jupyter.org/dedicated"]);
    assert!(has_note(
        &rendered,
        Action::Drop,
        "toleration nvidia.com/gpu"
    ));
    case.settings.gpu = Some(1);
    let rendered = case.render();
    assert_eq!(
        toleration_keys(&rendered),
        ["hub.jupyter.org/dedicated", "nvidia.com/gpu"]
    );
    assert!(!has_note(
        &rendered,
        Action::Add,
        "toleration nvidia.com/gpu"
    ));
}

#[test]
fn gpu_flag_adds_the_nvidia_toleration_when_the_notebook_has_none() {
    let mut case = case();
    case.settings.gpu = Some(1);
    let rendered = case.render();
    let added = spec(&rendered)
        .tolerations
        .iter()
        .find(|t| t.key.as_deref() == Some("nvidia.com/gpu"))
        .unwrap();
    assert_eq!(added.operator.as_deref(), Some("Exists"));
    assert_eq!(added.effect.as_deref(), Some("NoSchedule"));
    assert!(has_note(
        &rendered,
        Action::Add,
        "toleration nvidia.com/gpu"
    ));
    case.settings.gpu = None;
    assert!(!toleration_keys(&case.render()).contains(&"nvidia.com/gpu"));
}

#[test]
fn gpu_node_affinity_terms_are_dropped_without_gpus_and_kept_with_them() {
    let mut case = gpu_case();
    let rendered = case.render();
    let node = spec(&rendered)
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .unwrap();
    assert!(node
        .required_during_scheduling_ignored_during_execution
        .is_none());
    assert_eq!(
        node.preferred_during_scheduling_ignored_during_execution
            .as_ref()
            .unwrap()
            .len(),
        1
    );
    assert!(has_note(
        &rendered,
        Action::Drop,
        "affinity nodeAffinity nvidia.com/gpu.present"
    ));
    case.settings.gpu = Some(1);
    assert_eq!(
        spec(&case.render()).affinity,
        case.pod.spec.as_ref().unwrap().affinity
    );
}

fn nvidia_limit(count: &str) -> Option<ResourceRequirements> {
    Some(ResourceRequirements {
        limits: Some(BTreeMap::from([(
            "nvidia.com/gpu".to_string(),
            Quantity(count.into()),
        )])),
        ..ResourceRequirements::default()
    })
}

/// The template of the step named `name`.
fn template<'a>(rendered: &'a Rendered, name: &str) -> &'a crate::argo::Template {
    spec(rendered)
        .templates
        .iter()
        .find(|t| t.name == name)
        .unwrap()
}

fn env_value<'a>(container: &'a Container, name: &str) -> Option<&'a str> {
    container
        .env
        .iter()
        .flatten()
        .find(|e| e.name == name)
        .and_then(|e| e.value.as_deref())
}

#[test]
fn a_jobs_gpu_resources_give_that_step_alone_the_gpu_plumbing() {
    let mut case = gpu_case();
    case.pod.spec.as_mut().unwrap().runtime_class_name = Some("nvidia".into());
    case.pipeline.steps[1].overrides.resources = nvidia_limit("1");
    let rendered = case.render();
    // The workflow's placement is the CPU steps' one.
    assert_eq!(toleration_keys(&rendered), ["hub.jupyter.org/dedicated"]);
    assert_eq!(
        spec(&rendered).node_selector,
        BTreeMap::from([("pool".to_string(), "users".to_string())])
    );
    assert_eq!(spec(&rendered).pod_spec_patch, None);
    let cpu = template(&rendered, "job-1");
    assert!(cpu.node_selector.is_empty() && cpu.tolerations.is_empty());
    assert!(cpu.affinity.is_none() && cpu.pod_spec_patch.is_none());
    assert_eq!(
        env_value(&step_at(&rendered, 1), "NVIDIA_VISIBLE_DEVICES"),
        Some("void")
    );
    assert_eq!(
        env_value(&step_at(&rendered, 1), "NVIDIA_DRIVER_CAPABILITIES"),
        None
    );
    // The GPU step carries the notebook's GPU placement and driver variables.
    let gpu = template(&rendered, "job-2");
    assert_eq!(
        gpu.node_selector["cloud.google.com/gke-accelerator"],
        "nvidia-tesla-t4"
    );
    assert_eq!(gpu.node_selector["pool"], "users");
    let keys: Vec<&str> = gpu
        .tolerations
        .iter()
        .filter_map(|t| t.key.as_deref())
        .collect();
    assert_eq!(keys, ["hub.jupyter.org/dedicated", "nvidia.com/gpu"]);
    assert_eq!(gpu.affinity, case.pod.spec.as_ref().unwrap().affinity);
    assert_eq!(
        gpu.pod_spec_patch.as_deref(),
        Some(r#"{"runtimeClassName":"nvidia"}"#)
    );
    assert_eq!(
        env_value(&step_at(&rendered, 2), "NVIDIA_VISIBLE_DEVICES"),
        Some("all")
    );
    assert_eq!(
        env_value(&step_at(&rendered, 2), "NVIDIA_DRIVER_CAPABILITIES"),
        Some("compute,utility")
    );
    assert!(has_note(
        &rendered,
        Action::Add,
        "job-2.nodeSelector, tolerations, affinity, podSpecPatch"
    ));
    assert!(has_note(
        &rendered,
        Action::Copy,
        "toleration nvidia.com/gpu (GPU step job-2)"
    ));
    assert!(has_note(
        &rendered,
        Action::Drop,
        "toleration nvidia.com/gpu"
    ));
}

#[test]
fn gpu_for_every_step_stays_at_the_workflow_level() {
    let mut case = gpu_case();
    for step in &mut case.pipeline.steps {
        step.overrides.gpu = Some(1);
    }
    let rendered = case.render();
    assert_eq!(
        toleration_keys(&rendered),
        ["hub.jupyter.org/dedicated", "nvidia.com/gpu"]
    );
    assert!(spec(&rendered)
        .templates
        .iter()
        .all(|t| t.node_selector.is_empty() && t.tolerations.is_empty() && t.affinity.is_none()));
    let mut flag = gpu_case();
    flag.settings.gpu = Some(1);
    assert_eq!(
        spec(&rendered).node_selector,
        spec(&flag.render()).node_selector
    );
}

#[test]
fn a_jobs_gpu_count_overrides_the_flag_for_that_step() {
    let mut case = gpu_case();
    case.settings.gpu = Some(2);
    case.pipeline.steps[0].overrides.gpu = Some(0);
    case.pipeline.steps[1].overrides.gpu = Some(1);
    let rendered = case.render();
    let limits = |index| step_at(&rendered, index).resources.and_then(|r| r.limits);
    assert!(limits(1).is_none_or(|l| !l.contains_key("nvidia.com/gpu")));
    assert_eq!(limits(2).unwrap()["nvidia.com/gpu"], Quantity("1".into()));
    // job-1 has no GPU now: the workflow keeps the CPU placement, job-2 its own.
    assert_eq!(toleration_keys(&rendered), ["hub.jupyter.org/dedicated"]);
    assert!(!template(&rendered, "job-2").tolerations.is_empty());
    assert!(has_note(
        &rendered,
        Action::Override,
        "job-2.resources nvidia.com/gpu"
    ));
}

#[test]
fn a_jobs_node_selector_adds_to_the_workflows_for_that_step() {
    let mut case = gpu_case();
    case.pipeline.steps[0].overrides.node_selector =
        BTreeMap::from([("disktype".to_string(), "ssd".to_string())]);
    case.pipeline.steps[1].overrides.gpu = Some(1);
    case.pipeline.steps[1].overrides.node_selector =
        BTreeMap::from([("pool".to_string(), "gpu".to_string())]);
    let rendered = case.render();
    let selector = |name| {
        template(&rendered, name)
            .node_selector
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>()
    };
    assert_eq!(selector("job-1"), [("disktype", "ssd"), ("pool", "users")]);
    assert_eq!(
        selector("job-2"),
        [
            ("cloud.google.com/gke-accelerator", "nvidia-tesla-t4"),
            ("pool", "gpu")
        ]
    );
    assert!(has_note(
        &rendered,
        Action::Override,
        "job-1.nodeSelector disktype"
    ));
    // The step's own fields are Argo's (the typed manifest reads them back).
    let read: crate::argo::Manifest = crate::yaml::from_str(&yaml_of(&rendered)).unwrap();
    assert_eq!(read, rendered.manifest);
}

#[test]
fn gpu_keys_match_the_list_and_its_dotted_suffixes_only() {
    for key in [
        "nvidia.com/gpu",
        "nvidia.com/gpu.present",
        "nvidia.com/gpu.product",
        "cloud.google.com/gke-accelerator",
        "k8s.amazonaws.com/accelerator",
    ] {
        assert!(gpu::is_gpu_key(key), "{key}");
    }
    for key in [
        "nvidia.com/gpux",
        "hub.jupyter.org/dedicated",
        "pool",
        "gpu",
    ] {
        assert!(!gpu::is_gpu_key(key), "{key}");
    }
}

/// z2jh's static storage with `subPath` given as `subPathExpr: $(JUPYTERHUB_USER)`.
const SUB_PATH_EXPR_POD: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: jupyter-frank, namespace: jhub}
spec:
  containers:
  - name: notebook
    image: quay.io/jupyter/base-notebook:latest
    env:
    - {name: JUPYTERHUB_USER, value: frank}
    - {name: JUPYTERHUB_API_TOKEN, value: secret-token}
    - {name: MEM_LIMIT, value: "1073741824"}
    volumeMounts:
    - {name: home, mountPath: /home/jovyan, subPathExpr: "home/$(JUPYTERHUB_USER)"}
  volumes:
  - {name: home, persistentVolumeClaim: {claimName: home-nfs}}
"#;

#[test]
fn a_dropped_variable_the_steps_reference_is_kept() {
    let mut case = case();
    case.pod = parse_pod(SUB_PATH_EXPR_POD).unwrap();
    let rendered = case.render();
    let container = step(&rendered);
    assert_eq!(env_names(&container), ["JUPYTERHUB_USER"]);
    assert_eq!(
        container.volume_mounts.as_ref().unwrap()[0]
            .sub_path_expr
            .as_deref(),
        Some("home/$(JUPYTERHUB_USER)")
    );
    assert!(has_note(&rendered, Action::Copy, "env JUPYTERHUB_USER"));
    assert!(has_note(&rendered, Action::Drop, "env MEM_LIMIT"));
    assert!(rendered.report.warnings.is_empty());
}

#[test]
fn a_hub_token_the_steps_reference_is_still_dropped_with_a_warning() {
    let mut case = case();
    case.pod = parse_pod(SUB_PATH_EXPR_POD).unwrap();
    case.pipeline = pipeline::expression::parse(
        "python sync.py --token $(JUPYTERHUB_API_TOKEN) --mem $(MEM_LIMIT)",
        CommandMode::Exec,
    )
    .unwrap();
    let rendered = case.render();
    assert_eq!(
        env_names(&step(&rendered)),
        ["JUPYTERHUB_USER", "MEM_LIMIT"]
    );
    assert!(!yaml_of(&rendered).contains("secret-token"));
    assert!(
        rendered
            .report
            .warnings
            .iter()
            .any(|w| w
                .starts_with("the steps reference $(JUPYTERHUB_API_TOKEN), which is never copied")),
        "{:?}",
        rendered.report.warnings
    );
}

#[test]
fn nvidias_runtime_class_goes_with_gpus_only() {
    let mut case = gpu_case();
    case.pod.spec.as_mut().unwrap().runtime_class_name = Some("nvidia".into());
    let rendered = case.render();
    assert_eq!(spec(&rendered).pod_spec_patch, None);
    assert!(has_note(&rendered, Action::Drop, "runtimeClassName nvidia"));
    case.settings.gpu = Some(1);
    let rendered = case.render();
    assert_eq!(
        spec(&rendered).pod_spec_patch.as_deref(),
        Some(r#"{"runtimeClassName":"nvidia"}"#)
    );
    assert!(has_note(&rendered, Action::Copy, "runtimeClassName nvidia"));
}

#[test]
fn a_sandboxing_runtime_class_is_kept_for_every_step() {
    let mut case = case();
    case.pod.spec.as_mut().unwrap().runtime_class_name = Some("gvisor".into());
    let rendered = case.render();
    let patch: serde_json::Value =
        serde_json::from_str(spec(&rendered).pod_spec_patch.as_deref().unwrap()).unwrap();
    assert_eq!(patch, serde_json::json!({"runtimeClassName": "gvisor"}));
    assert!(has_note(&rendered, Action::Copy, "runtimeClassName gvisor"));
}

/// A home on the node's own disk (`hostPath`), as single-node clusters and some labs set up.
const HOST_PATH_POD: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: jupyter-gina, namespace: jhub}
spec:
  nodeName: lab-node-1
  containers:
  - name: notebook
    image: quay.io/jupyter/base-notebook:latest
    volumeMounts: [{name: home, mountPath: /home/jovyan}]
  volumes:
  - {name: home, hostPath: {path: /srv/jupyter/gina, type: DirectoryOrCreate}}
"#;

fn required_nodes(spec: &WorkflowSpec) -> Vec<String> {
    spec.affinity
        .iter()
        .flat_map(|a| a.node_affinity.iter())
        .flat_map(|n| n.required_during_scheduling_ignored_during_execution.iter())
        .flat_map(|r| r.node_selector_terms.iter())
        .flat_map(|t| t.match_fields.iter().flatten())
        .flat_map(|f| f.values.iter().flatten().cloned())
        .collect()
}

#[test]
fn a_host_path_home_pins_the_steps_to_the_notebooks_node_even_offline() {
    let mut case = case();
    case.pod = parse_pod(HOST_PATH_POD).unwrap();
    let rendered = case.render();
    assert_eq!(required_nodes(spec(&rendered)), ["lab-node-1"]);
    assert!(
        rendered.report.warnings.iter().any(|w| w
            == "hostPath volume \"home\" is a directory on one node's own disk: the steps are \
                pinned to the notebook's node lab-node-1; use ReadWriteMany storage to let them \
                run anywhere"),
        "{:?}",
        rendered.report.warnings
    );
    // A scheduled run elsewhere would see another node's directory: pinned as well.
    case.settings.schedule = Some("0 3 * * *".into());
    let rendered = case.render();
    assert_eq!(required_nodes(spec(&rendered)), ["lab-node-1"]);
}

fn rwo_gpu_case(node_gpus: Option<gpu_node::NodeGpus>) -> Case {
    let mut case = gpu_case();
    case.pod = parse_pod(&GPU_POD.replace(
        "volumes:\n  - {name: home, nfs: {server: nfs.example, path: /home/dana}}",
        "nodeName: gpu-node-1\n  volumes:\n  - {name: home, persistentVolumeClaim: {claimName: claim-dana}}",
    ))
    .unwrap();
    case.cluster = Some(ClusterFacts {
        namespace: "jhub".into(),
        claims: [(
            "claim-dana".to_string(),
            pin::ClaimAccess::Modes(vec!["ReadWriteOnce".into()]),
        )]
        .into(),
        notebook_node_gpus: node_gpus,
    });
    case
}

fn node_gpus(count: i128) -> Option<gpu_node::NodeGpus> {
    Some(gpu_node::NodeGpus::Allocatable(BTreeMap::from([(
        "nvidia.com/gpu".to_string(),
        count,
    )])))
}

#[test]
fn a_pinned_gpu_step_gets_the_node_in_its_own_affinity_too() {
    let mut case = rwo_gpu_case(node_gpus(4));
    case.pipeline.steps[1].overrides.gpu = Some(1);
    let rendered = case.render();
    assert_eq!(required_nodes(spec(&rendered)), ["gpu-node-1"]);
    let gpu_step = spec(&rendered)
        .templates
        .iter()
        .find(|t| t.name == "job-2")
        .unwrap();
    let own = WorkflowSpec {
        affinity: gpu_step.affinity.clone(),
        ..WorkflowSpec::default()
    };
    assert_eq!(required_nodes(&own), ["gpu-node-1"]);
    assert!(rendered
        .report
        .notes
        .iter()
        .any(|n| n.action == Action::Check
            && n.detail.contains("node gpu-node-1 has 4 nvidia.com/gpu")
            && n.detail.contains("its Node's status.allocatable")));
}

#[test]
fn gpu_steps_pinned_to_a_node_without_gpus_are_refused() {
    let mut case = rwo_gpu_case(node_gpus(0));
    case.settings.gpu = Some(1);
    let err = case.try_render().err().unwrap().to_string();
    assert!(
        err.contains("node gpu-node-1 (ReadWriteOnce claim \"claim-dana\" is there)")
            && err.contains("has 0 nvidia.com/gpu allocatable"),
        "{err}"
    );
    // Without GPU steps the Node's GPUs do not matter.
    case.settings.gpu = None;
    case.render();
}

#[test]
fn a_host_path_home_with_gpu_steps_falls_back_to_the_notebooks_gpus_offline() {
    let mut case = case();
    case.pod = parse_pod(HOST_PATH_POD).unwrap();
    case.settings.gpu = Some(1);
    let err = case.try_render().err().unwrap().to_string();
    assert!(
        err.contains("as the notebook requests none")
            && err.contains("rendered without the cluster")
            && err.contains("hostPath volume \"home\""),
        "{err}"
    );
    let with_gpu = HOST_PATH_POD.replace(
        "    volumeMounts:",
        "    resources: {limits: {nvidia.com/gpu: \"1\"}}\n    volumeMounts:",
    );
    case.pod = parse_pod(&with_gpu).unwrap();
    let rendered = case.render();
    assert!(rendered
        .report
        .notes
        .iter()
        .any(|n| n.action == Action::Check && n.detail.contains("the notebook's own GPU request")));
}

#[test]
fn a_gpu_sweep_with_its_own_limit_places_the_template_that_runs_its_points() {
    let mut case = gpu_case();
    case.pipeline = pipeline::file::parse(
        "jobs:\n- python prep.py\n- name: train\n  command: python train.py --lr {lr}\n  \
         sweep: {lr: [0.1, 0.01]}\n  parallelism: 1\n  gpu: 1\n",
        "w.yaml",
        false,
    )
    .unwrap();
    let rendered = case.render();
    let wrapper = template(&rendered, "train");
    assert!(wrapper.dag.is_some() && wrapper.tolerations.is_empty());
    let points = template(&rendered, "train-point");
    assert!(points.container.is_some());
    assert!(points
        .tolerations
        .iter()
        .any(|t| t.key.as_deref() == Some("nvidia.com/gpu")));
    assert!(template(&rendered, "job-1").tolerations.is_empty());
}
