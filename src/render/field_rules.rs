//! A rule for every field of the notebook's PodSpec and Container: carried to the steps (a
//! function of render copies or overrides it and notes how in `--explain`), or dropped with a
//! reason. Fields dropped without a note of their own are noted from here, so nothing of the
//! notebook pod vanishes in silence; a test compares these tables with k8s-openapi's own field
//! lists, so a field a future Kubernetes adds cannot slip through without a rule.

use serde_json::Value;

use super::{Action, Report};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Copied or overridden; render notes it under a field starting with this.
    Carried(&'static str),
    /// Always replaced by the step's own value (not noted: it is the same for every pod).
    Replaced(&'static str),
    /// Dropped; render notes it (with its value) under a field starting with this.
    DroppedNoted(&'static str),
    /// Dropped for this reason, noted from this table.
    Dropped(&'static str),
}

const HOST_NAMESPACES: &str =
    "the host's namespaces are the notebook's privilege, not given to workflow steps";
const INTERACTIVE: &str = "an interactive terminal; steps run unattended";
const NOT_IN_WORKFLOW_SPEC: &str =
    "Argo's WorkflowSpec has no such field; the steps get the Kubernetes default";

pub const POD_SPEC_RULES: &[(&str, Rule)] = &[
    (
        "activeDeadlineSeconds",
        Rule::Dropped("the notebook's own time limit, not a step's"),
    ),
    ("affinity", Rule::Carried("affinity")),
    (
        "automountServiceAccountToken",
        Rule::DroppedNoted("automountServiceAccountToken"),
    ),
    ("containers", Rule::Carried("image")),
    ("dnsConfig", Rule::Carried("dnsConfig")),
    ("dnsPolicy", Rule::Carried("dnsPolicy")),
    ("enableServiceLinks", Rule::Dropped(NOT_IN_WORKFLOW_SPEC)),
    (
        "ephemeralContainers",
        Rule::Dropped("debugging containers attached to the notebook pod"),
    ),
    ("hostAliases", Rule::Carried("hostAliases")),
    ("hostIPC", Rule::Dropped(HOST_NAMESPACES)),
    ("hostNetwork", Rule::Dropped(HOST_NAMESPACES)),
    ("hostPID", Rule::Dropped(HOST_NAMESPACES)),
    ("hostUsers", Rule::Dropped(NOT_IN_WORKFLOW_SPEC)),
    ("hostname", Rule::DroppedNoted("hostname")),
    (
        "hostnameOverride",
        Rule::Dropped("each step pod has its own name"),
    ),
    ("imagePullSecrets", Rule::Carried("imagePullSecrets")),
    ("initContainers", Rule::DroppedNoted("initContainer")),
    ("nodeName", Rule::DroppedNoted("nodeName")),
    ("nodeSelector", Rule::Carried("nodeSelector")),
    (
        "os",
        Rule::Dropped("Argo's WorkflowSpec has no such field; the image decides the OS"),
    ),
    (
        "overhead",
        Rule::Dropped("set by admission for the notebook's own runtime class"),
    ),
    (
        "preemptionPolicy",
        Rule::Dropped("goes with the notebook's priority class, which is dropped"),
    ),
    ("priority", Rule::DroppedNoted("priority")),
    ("priorityClassName", Rule::DroppedNoted("priorityClassName")),
    (
        "readinessGates",
        Rule::Dropped("readiness of the notebook server"),
    ),
    (
        "resourceClaims",
        Rule::Dropped(
            "devices claimed for the notebook; a parallel DAG would claim them once per step",
        ),
    ),
    (
        "resources",
        Rule::Dropped("the notebook pod's overall budget; each step gets container resources"),
    ),
    ("restartPolicy", Rule::DroppedNoted("restartPolicy")),
    ("runtimeClassName", Rule::Carried("runtimeClassName")),
    ("schedulerName", Rule::DroppedNoted("schedulerName")),
    (
        "schedulingGates",
        Rule::Dropped("gates the notebook's own controller lifts"),
    ),
    ("securityContext", Rule::Carried("securityContext (pod)")),
    (
        "serviceAccount",
        Rule::Dropped("deprecated alias of serviceAccountName, which is used"),
    ),
    ("serviceAccountName", Rule::Carried("serviceAccountName")),
    (
        "setHostnameAsFQDN",
        Rule::Dropped("the steps' host names are their own"),
    ),
    (
        "shareProcessNamespace",
        Rule::Dropped("for the notebook's sidecars, which the steps do not get"),
    ),
    (
        "subdomain",
        Rule::Dropped("the notebook's DNS name under its headless service"),
    ),
    (
        "terminationGracePeriodSeconds",
        Rule::Dropped("the notebook server's shutdown time; Argo stops steps itself"),
    ),
    ("tolerations", Rule::Carried("toleration")),
    (
        "topologySpreadConstraints",
        Rule::Dropped("they spread notebooks by labels the steps do not carry"),
    ),
    ("volumes", Rule::Carried("volume")),
];

pub const CONTAINER_RULES: &[(&str, Rule)] = &[
    ("args", Rule::DroppedNoted("args")),
    ("command", Rule::DroppedNoted("command")),
    ("env", Rule::Carried("env")),
    ("envFrom", Rule::Carried("envFrom")),
    ("image", Rule::Carried("image")),
    ("imagePullPolicy", Rule::Carried("imagePullPolicy")),
    ("lifecycle", Rule::DroppedNoted("lifecycle")),
    ("livenessProbe", Rule::DroppedNoted("livenessProbe")),
    (
        "name",
        Rule::Replaced("every step's container is named main"),
    ),
    ("ports", Rule::DroppedNoted("ports")),
    ("readinessProbe", Rule::DroppedNoted("readinessProbe")),
    (
        "resizePolicy",
        Rule::Dropped("in-place resizing of the notebook; steps are short-lived"),
    ),
    ("resources", Rule::Carried("resources")),
    (
        "restartPolicy",
        Rule::Dropped("a sidecar setting of init containers; steps are not"),
    ),
    (
        "restartPolicyRules",
        Rule::Dropped("a sidecar setting of init containers; steps are not"),
    ),
    (
        "securityContext",
        Rule::Carried("securityContext (container)"),
    ),
    ("startupProbe", Rule::DroppedNoted("startupProbe")),
    ("stdin", Rule::Dropped(INTERACTIVE)),
    ("stdinOnce", Rule::Dropped(INTERACTIVE)),
    (
        "terminationMessagePath",
        Rule::Dropped("the steps keep the default, which Argo's executor reads"),
    ),
    (
        "terminationMessagePolicy",
        Rule::Dropped("the steps keep the default, which Argo's executor reads"),
    ),
    ("tty", Rule::Dropped(INTERACTIVE)),
    (
        "volumeDevices",
        Rule::Dropped("raw block devices; the steps get the notebook's mounted file systems only"),
    ),
    ("volumeMounts", Rule::Carried("volume")),
    ("workingDir", Rule::Carried("workingDir")),
];

/// Whether a serialized field holds something: not null, not an empty list or map.
fn is_set(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Array(items) => !items.is_empty(),
        Value::Object(fields) => !fields.is_empty(),
        _ => true,
    }
}

/// Notes every field of `object` (a serialized PodSpec or Container) that `rules` drop with a
/// reason of their own; `prefix` names where it comes from in the note.
pub fn note_table_drops(object: &Value, rules: &[(&str, Rule)], prefix: &str, report: &mut Report) {
    for (field, rule) in rules {
        if let (Rule::Dropped(why), Some(value)) = (rule, object.get(*field)) {
            if is_set(value) {
                report.note(Action::Drop, format!("{prefix}{field}"), *why);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use k8s_openapi::api::core::v1::{Container, PodSpec};
    use serde::de::{self, Deserialize, Visitor};

    use super::*;

    /// A deserializer that only records the field names a type asks for.
    struct FieldNames<'a>(&'a RefCell<Vec<&'static str>>);

    #[derive(Debug)]
    struct Recorded;

    impl std::fmt::Display for Recorded {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("field names recorded")
        }
    }
    impl std::error::Error for Recorded {}
    impl de::Error for Recorded {
        fn custom<T: std::fmt::Display>(_: T) -> Self {
            Recorded
        }
    }

    impl<'de> de::Deserializer<'de> for FieldNames<'_> {
        type Error = Recorded;

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Recorded> {
            self.0.borrow_mut().extend_from_slice(fields);
            Err(Recorded)
        }

        fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Recorded> {
            Err(Recorded)
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }

    /// The fields k8s-openapi's type knows, as its deserializer lists them.
    fn fields_of<T: for<'de> Deserialize<'de>>() -> Vec<&'static str> {
        let names = RefCell::new(Vec::new());
        assert!(T::deserialize(FieldNames(&names)).is_err());
        let mut names = names.into_inner();
        names.sort_unstable();
        names
    }

    fn ruled(rules: &[(&'static str, Rule)]) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = rules.iter().map(|(name, _)| *name).collect();
        names.sort_unstable();
        names
    }

    #[test]
    fn every_pod_spec_field_has_a_rule() {
        let fields = fields_of::<PodSpec>();
        assert!(fields.len() > 40, "{fields:?}");
        assert_eq!(
            ruled(POD_SPEC_RULES),
            fields,
            "a PodSpec field has no rule (or a rule names no field): add it to POD_SPEC_RULES"
        );
    }

    #[test]
    fn every_container_field_has_a_rule() {
        let fields = fields_of::<Container>();
        assert!(fields.len() > 20, "{fields:?}");
        assert_eq!(
            ruled(CONTAINER_RULES),
            fields,
            "a Container field has no rule (or a rule names no field): add it to CONTAINER_RULES"
        );
    }

    /// A notebook pod that sets every field of PodSpec and of its Container.
    const EVERY_FIELD: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: jupyter-full, namespace: jhub}
spec:
  activeDeadlineSeconds: 86400
  affinity:
    nodeAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        preference: {matchExpressions: [{key: hub.jupyter.org/node-purpose, operator: In, values: [user]}]}
  automountServiceAccountToken: true
  containers:
  - name: notebook
    args: [jupyterhub-singleuser]
    command: [tini, --]
    env: [{name: PLAIN, value: "1"}]
    envFrom: [{configMapRef: {name: team-env}}]
    image: quay.io/jupyter/base-notebook:latest
    imagePullPolicy: IfNotPresent
    lifecycle: {postStart: {exec: {command: [sh, -c, "true"]}}}
    livenessProbe: {httpGet: {path: /api, port: 8888}}
    ports: [{name: notebook-port, containerPort: 8888}]
    readinessProbe: {httpGet: {path: /api, port: 8888}}
    resizePolicy: [{resourceName: cpu, restartPolicy: NotRequired}]
    resources: {requests: {cpu: 500m}}
    restartPolicy: Always
    restartPolicyRules: [{action: Restart, exitCodes: {operator: In, values: [42]}}]
    securityContext: {runAsUser: 1000}
    startupProbe: {httpGet: {path: /api, port: 8888}}
    stdin: true
    stdinOnce: true
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
    tty: true
    volumeDevices: [{name: block, devicePath: /dev/xvda}]
    volumeMounts: [{name: home, mountPath: /home/jovyan}]
    workingDir: /home/jovyan
  dnsConfig: {nameservers: [10.0.0.53]}
  dnsPolicy: None
  enableServiceLinks: false
  ephemeralContainers: [{name: debugger, image: busybox}]
  hostAliases: [{ip: 10.1.2.3, hostnames: [warehouse]}]
  hostIPC: false
  hostNetwork: false
  hostPID: false
  hostUsers: false
  hostname: jupyter-full
  hostnameOverride: full
  imagePullSecrets: [{name: registry}]
  initContainers: [{name: block-cloud-metadata, image: jupyterhub/k8s-network-tools:4.1.0}]
  nodeName: node-a
  nodeSelector: {pool: users}
  os: {name: linux}
  overhead: {cpu: 100m}
  preemptionPolicy: PreemptLowerPriority
  priority: 0
  priorityClassName: jhub-default-priority
  readinessGates: [{conditionType: example.com/ready}]
  resourceClaims: [{name: gpu, resourceClaimName: notebook-gpu}]
  resources: {limits: {memory: 2Gi}}
  restartPolicy: OnFailure
  runtimeClassName: gvisor
  schedulerName: jhub-user-scheduler
  schedulingGates: [{name: example.com/quota}]
  securityContext: {fsGroup: 100}
  serviceAccount: notebook
  serviceAccountName: notebook
  setHostnameAsFQDN: true
  shareProcessNamespace: true
  subdomain: notebooks
  terminationGracePeriodSeconds: 30
  tolerations: [{key: hub.jupyter.org/dedicated, operator: Equal, value: user, effect: NoSchedule}]
  topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway}]
  volumes:
  - {name: home, persistentVolumeClaim: {claimName: claim-full}}
  - {name: block, persistentVolumeClaim: {claimName: block-full}}
"#;

    fn keys(value: Value) -> Vec<String> {
        let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
        keys.sort_unstable();
        keys
    }

    /// Every field set, rendered: each one is noted under its rule's name, so `--explain`
    /// says what became of it (the step container's fixed name excepted).
    #[test]
    fn explain_says_what_became_of_every_field() {
        let pod: k8s_openapi::api::core::v1::Pod = crate::yaml::from_str(EVERY_FIELD).unwrap();
        let spec = pod.spec.clone().unwrap();
        let container = spec.containers[0].clone();
        assert_eq!(
            keys(serde_json::to_value(&spec).unwrap()),
            fields_of::<PodSpec>()
        );
        assert_eq!(
            keys(serde_json::to_value(&container).unwrap()),
            fields_of::<Container>(),
            "EVERY_FIELD must set every field"
        );
        let pipeline =
            crate::pipeline::expression::parse("python a.py", crate::pipeline::CommandMode::Exec)
                .unwrap();
        let rendered = super::super::render(&super::super::RenderInput {
            pod: &pod,
            container: &container,
            pipeline: &pipeline,
            settings: &crate::config::Settings::default(),
            workdir: "/home/jovyan",
            cluster: None,
        })
        .unwrap();
        let notes = &rendered.report.notes;
        for (field, rule) in POD_SPEC_RULES.iter().chain(CONTAINER_RULES) {
            let (noted_as, action) = match rule {
                Rule::Carried(noted_as) => (*noted_as, None),
                Rule::DroppedNoted(noted_as) => (*noted_as, Some(Action::Drop)),
                Rule::Dropped(_) => (*field, Some(Action::Drop)),
                Rule::Replaced(_) => continue,
            };
            assert!(
                notes
                    .iter()
                    .any(|n| n.field.starts_with(noted_as) && action.is_none_or(|a| n.action == a)),
                "{field}: no note starts with {noted_as:?}"
            );
        }
    }

    #[test]
    fn only_set_fields_with_a_reason_of_their_own_are_noted() {
        let object = serde_json::json!({
            "hostNetwork": true,
            "readinessGates": [],
            "nodeName": "node-a",
            "affinity": {"nodeAffinity": {}},
        });
        let mut report = Report::default();
        note_table_drops(&object, POD_SPEC_RULES, "", &mut report);
        let fields: Vec<&str> = report.notes.iter().map(|n| n.field.as_str()).collect();
        assert_eq!(fields, ["hostNetwork"]);
        assert_eq!(report.notes[0].detail, HOST_NAMESPACES);
    }
}
