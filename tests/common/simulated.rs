//! Helpers for tests on the simulated cluster (`scripts/control-plane.sh run --simulated`):
//! claims bound to volumes as a provisioner leaves them, waiting for a workflow to finish, and
//! what its steps did (when each ran, on which node).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Pod};
use kube::api::{DynamicObject, ListParams, PostParams};
use kube::Api;
use serde_json::{json, Value};

use super::{argo_resource, Cluster};

/// The simulated nodes (scripts/simulated-cluster/nodes.yaml).
pub const USER_NODES: [&str; 2] = ["gke-user-pool-7f3a-x2lk", "gke-user-pool-7f3a-q9wm"];
pub const GPU_NODE: &str = "gpu-node-3";
pub const CORE_NODE: &str = "gke-core-pool-5d1e-m3vt";

/// How long a workflow of a few steps may take: each step is ~2 s of simulated pod life plus
/// the controller's 1 s requeue; generous, because the tests share two busy cores.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// Fails at once, with the command to use, when the control plane runs no workflows.
pub fn require_simulated_cluster() {
    assert!(
        std::env::var("JF_TEST_SIMULATED").is_ok_and(|v| v == "1"),
        "these tests need the simulated cluster: run them with scripts/e2e.sh, or \
         scripts/control-plane.sh run --simulated -- cargo test --test runs -- --ignored"
    );
}

/// One step of a finished workflow, from its status (`status.nodes`, type Pod).
#[derive(Debug, Clone)]
pub struct Step {
    pub name: String,
    pub phase: String,
    /// RFC 3339 in UTC with whole seconds, as Argo writes them: they compare as strings.
    pub started_at: String,
    pub finished_at: Option<String>,
}

impl Step {
    /// True if the two ran at the same time (they share at least part of a second).
    pub fn overlaps(&self, other: &Step) -> bool {
        let (Some(self_end), Some(other_end)) = (&self.finished_at, &other.finished_at) else {
            panic!("{self:?} or {other:?} has not finished");
        };
        self.started_at < *other_end && other.started_at < *self_end
    }

    pub fn finished(&self) -> &str {
        self.finished_at
            .as_deref()
            .unwrap_or_else(|| panic!("step {} has not finished", self.name))
    }
}

/// The pod steps of a workflow by task name (`displayName`).
pub fn steps(workflow: &Value) -> BTreeMap<String, Step> {
    let nodes = workflow["status"]["nodes"]
        .as_object()
        .unwrap_or_else(|| panic!("no status.nodes in {workflow:#}"));
    let mut steps = BTreeMap::new();
    for node in nodes.values() {
        if node["type"] != "Pod" {
            continue;
        }
        let name = node["displayName"].as_str().unwrap().to_string();
        let time = |field: &str| {
            node[field].as_str().map(|t| {
                assert!(
                    t.len() == 20 && t.ends_with('Z'),
                    "{field} {t:?} is not RFC 3339 UTC"
                );
                t.to_string()
            })
        };
        let step = Step {
            name: name.clone(),
            phase: node["phase"].as_str().unwrap_or_default().to_string(),
            started_at: time("startedAt").unwrap_or_default(),
            finished_at: time("finishedAt"),
        };
        steps.insert(name, step);
    }
    steps
}

/// `kind/name` or `name` from what `render --submit -o name` and `kubectl create -o name` print.
pub fn created_name(stdout: &str) -> String {
    let line = stdout.trim();
    assert!(
        !line.is_empty() && !line.contains('\n'),
        "not one name: {stdout:?}"
    );
    line.rsplit('/').next().unwrap().to_string()
}

impl Cluster {
    /// A claim bound to a volume of its own, as a provisioner leaves them: with no
    /// kube-controller-manager, the scheduler takes a claim as bound when it names its volume
    /// and carries `pv.kubernetes.io/bind-completed`, and the volume's claimRef names it back.
    pub fn create_bound_claim(&self, namespace: &str, name: &str, modes: &[&str]) {
        let volume_name = format!("{namespace}-{name}");
        let volumes: Api<PersistentVolume> = Api::all(self.client.clone());
        let volume: PersistentVolume = serde_json::from_value(json!({
            "metadata": {"name": volume_name},
            "spec": {
                "accessModes": modes,
                "capacity": {"storage": "10Gi"},
                "storageClassName": "",
                "persistentVolumeReclaimPolicy": "Delete",
                "nfs": {"server": "nfs.example.internal", "path": format!("/export/{volume_name}")},
                "claimRef": {"kind": "PersistentVolumeClaim", "apiVersion": "v1", "namespace": namespace, "name": name},
            },
        }))
        .unwrap();
        self.block_on(volumes.create(&PostParams::default(), &volume))
            .unwrap_or_else(|err| panic!("create volume {volume_name}: {err}"));
        let claims: Api<PersistentVolumeClaim> = Api::namespaced(self.client.clone(), namespace);
        let claim: PersistentVolumeClaim = serde_json::from_value(json!({
            "metadata": {
                "name": name,
                "annotations": {"pv.kubernetes.io/bind-completed": "yes"},
            },
            "spec": {
                "accessModes": modes,
                "resources": {"requests": {"storage": "10Gi"}},
                "storageClassName": "",
                "volumeName": volume_name,
            },
        }))
        .unwrap();
        self.block_on(claims.create(&PostParams::default(), &claim))
            .unwrap_or_else(|err| panic!("create claim {name} in {namespace}: {err}"));
    }

    /// The workflow, once its phase is final (Succeeded, Failed or Error); panics after
    /// `timeout` with the phase and message it had.
    pub fn wait_for_workflow(&self, namespace: &str, name: &str, timeout: Duration) -> Value {
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), namespace, &argo_resource("workflows"));
        let deadline = Instant::now() + timeout;
        loop {
            let workflow = serde_json::to_value(self.block_on(api.get(name)).unwrap()).unwrap();
            let phase = workflow["status"]["phase"].as_str().unwrap_or_default();
            if matches!(phase, "Succeeded" | "Failed" | "Error") {
                return workflow;
            }
            assert!(
                Instant::now() < deadline,
                "workflow {namespace}/{name} still {phase:?} after {timeout:?}: {}\n{}",
                workflow["status"]["message"],
                self.describe_pods(namespace)
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// The pods Argo created for a workflow.
    pub fn workflow_pods(&self, namespace: &str, workflow: &str) -> Vec<Pod> {
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let selector = format!("workflows.argoproj.io/workflow={workflow}");
        self.block_on(api.list(&ListParams::default().labels(&selector)))
            .unwrap()
            .items
    }

    /// One line per pod (name, node, phase, scheduling message), for failure messages.
    pub fn describe_pods(&self, namespace: &str) -> String {
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let pods = self.block_on(api.list(&ListParams::default())).unwrap();
        let mut lines = vec![format!("pods in {namespace}:")];
        for pod in pods.items {
            let spec = pod.spec.unwrap_or_default();
            let status = pod.status.unwrap_or_default();
            let why: Vec<String> = status
                .conditions
                .unwrap_or_default()
                .into_iter()
                .filter_map(|c| c.message)
                .collect();
            lines.push(format!(
                "  {} node={} phase={} {}",
                pod.metadata.name.unwrap_or_default(),
                spec.node_name.unwrap_or_default(),
                status.phase.unwrap_or_default(),
                why.join("; ")
            ));
        }
        lines.join("\n")
    }
}

/// The node a pod was scheduled onto.
pub fn node_of(pod: &Pod) -> &str {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .unwrap_or_else(|| panic!("pod {:?} was never scheduled", pod.metadata.name))
}

/// The `main` container (the step's command) of a workflow pod.
pub fn main_container(pod: &Pod) -> &k8s_openapi::api::core::v1::Container {
    pod.spec
        .as_ref()
        .unwrap()
        .containers
        .iter()
        .find(|c| c.name == "main")
        .unwrap_or_else(|| panic!("no main container in pod {:?}", pod.metadata.name))
}
