//! What the integration tests share: one runner for the binary (`run`), the rule for tests that
//! need an external tool (`tools`), and for the cluster tests the control plane
//! `scripts/control-plane.sh run` started (its `JF_TEST_*` environment), with an admin client to
//! arrange namespaces, accounts, pods and claims.

#![allow(dead_code)]

pub mod audit;
pub mod notebook;
pub mod proxy;
mod run;
pub mod simulated;
mod tools;

// Each test file uses a part of these.
#[allow(unused_imports)]
pub use run::{
    assert_lines_in_order, jupyterflow, plugin_path_dir, run, temp_dir, Run, Runner, Spawned, BIN,
    COMPLETE_HELPER, RENDER_ARGS, ROOT,
};
#[allow(unused_imports)]
pub use tempfile::TempDir;
#[allow(unused_imports)]
pub use tools::{required_tool, required_tool_from};

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Pod, ServiceAccount};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::api::{DynamicObject, ListParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::{ApiResource, GroupVersionKind};
use kube::{Api, Client, Config};
use serde_json::{json, Value};

pub const NOTEBOOK_ACCOUNT: &str = "notebook";

/// What `scripts/control-plane.sh run` exports.
pub struct ControlPlane {
    pub server: String,
    pub port: u16,
    pub ca_file: PathBuf,
    pub admin_kubeconfig: PathBuf,
    pub admin_token: String,
    pub unprivileged_token: String,
    pub cache_dir: PathBuf,
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "${name} is unset: run the cluster tests with scripts/e2e.sh (it starts a control plane \
             with scripts/control-plane.sh run and exports JF_TEST_*)"
        )
    })
}

impl ControlPlane {
    pub fn from_env() -> Self {
        let server = var("JF_TEST_SERVER");
        let port = server
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse().ok())
            .unwrap_or_else(|| panic!("no port in JF_TEST_SERVER={server}"));
        ControlPlane {
            server,
            port,
            ca_file: PathBuf::from(var("JF_TEST_CA_FILE")),
            admin_kubeconfig: PathBuf::from(var("JF_TEST_KUBECONFIG")),
            admin_token: var("JF_TEST_ADMIN_TOKEN"),
            unprivileged_token: var("JF_TEST_UNPRIVILEGED_TOKEN"),
            cache_dir: PathBuf::from(var("JF_TEST_CACHE_DIR")),
        }
    }

    pub fn ca_pem(&self) -> String {
        std::fs::read_to_string(&self.ca_file).expect("read the control plane's CA")
    }

    /// A kubeconfig for `server` (the API server, or a proxy in front of it) with a bearer token.
    pub fn write_kubeconfig(
        &self,
        dir: &Path,
        server: &str,
        token: &str,
        namespace: Option<&str>,
    ) -> PathBuf {
        let mut context = json!({"cluster": "test", "user": "user"});
        if let Some(namespace) = namespace {
            context["namespace"] = json!(namespace);
        }
        let kubeconfig = json!({
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "test", "cluster": {"server": server, "certificate-authority": self.ca_file}}],
            "users": [{"name": "user", "user": {"token": token}}],
            "contexts": [{"name": "test", "context": context}],
            "current-context": "test",
        });
        let path = dir.join("kubeconfig");
        std::fs::write(&path, serde_json::to_string_pretty(&kubeconfig).unwrap()).unwrap();
        path
    }
}

/// The admin's view of the test cluster, for arranging and checking; blocking.
pub struct Cluster {
    pub plane: ControlPlane,
    pub client: Client,
    rt: tokio::runtime::Runtime,
}

pub fn argo_resource(plural: &str) -> ApiResource {
    let kind = match plural {
        "workflows" => "Workflow",
        "cronworkflows" => "CronWorkflow",
        other => panic!("unknown Argo resource {other}"),
    };
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("argoproj.io", "v1alpha1", kind),
        plural,
    )
}

impl Cluster {
    pub fn connect() -> Self {
        let plane = ControlPlane::from_env();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = rt.block_on(async {
            let kubeconfig = Kubeconfig::read_from(&plane.admin_kubeconfig).unwrap();
            let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .unwrap();
            Client::try_from(config).unwrap()
        });
        Cluster { plane, client, rt }
    }

    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.rt.block_on(future)
    }

    /// A new namespace `<label>-<random>`, for one test.
    pub fn namespace(&self, label: &str) -> String {
        let name = format!("{label}-{}", kubectl_jupyterflow::submit::random_suffix());
        self.ensure_namespace(&name);
        name
    }

    pub fn ensure_namespace(&self, name: &str) {
        let api: Api<Namespace> = Api::all(self.client.clone());
        let namespace: Namespace =
            serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
        match self.block_on(api.create(&PostParams::default(), &namespace)) {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 409 => {}
            Err(err) => panic!("create namespace {name}: {err}"),
        }
    }

    /// The README's ServiceAccount, Role and RoleBinding (examples/rbac.yaml) in `namespace`;
    /// `drop_rule` removes the Role's rules for that resource (to test a missing permission).
    pub fn create_rbac(&self, namespace: &str, drop_rule: Option<&str>) {
        let text = std::fs::read_to_string(Path::new(ROOT).join("examples/rbac.yaml")).unwrap();
        for document in text.split("\n---\n") {
            let mut object: Value = kubectl_jupyterflow::yaml::from_str(document).unwrap();
            object["metadata"]["namespace"] = json!(namespace);
            match object["kind"].as_str() {
                Some("ServiceAccount") => {
                    let api: Api<ServiceAccount> = Api::namespaced(self.client.clone(), namespace);
                    self.block_on(api.create(
                        &PostParams::default(),
                        &serde_json::from_value(object).unwrap(),
                    ))
                    .unwrap();
                }
                Some("Role") => {
                    if let Some(resource) = drop_rule {
                        let rules = object["rules"].as_array_mut().unwrap();
                        rules.retain(|rule| {
                            !rule["resources"]
                                .as_array()
                                .unwrap()
                                .contains(&json!(resource))
                        });
                    }
                    let api: Api<Role> = Api::namespaced(self.client.clone(), namespace);
                    self.block_on(api.create(
                        &PostParams::default(),
                        &serde_json::from_value(object).unwrap(),
                    ))
                    .unwrap();
                }
                Some("RoleBinding") => {
                    for subject in object["subjects"].as_array_mut().unwrap() {
                        subject["namespace"] = json!(namespace);
                    }
                    let api: Api<RoleBinding> = Api::namespaced(self.client.clone(), namespace);
                    self.block_on(api.create(
                        &PostParams::default(),
                        &serde_json::from_value(object).unwrap(),
                    ))
                    .unwrap();
                }
                other => panic!("unexpected kind {other:?} in examples/rbac.yaml"),
            }
        }
    }

    /// A token of the notebook's service account, from the TokenRequest API.
    pub fn notebook_token(&self, namespace: &str) -> String {
        let api: Api<ServiceAccount> = Api::namespaced(self.client.clone(), namespace);
        let request = json!({
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": 3600},
        });
        let response: Value = self
            .block_on(api.create_subresource(
                "token",
                NOTEBOOK_ACCOUNT,
                &PostParams::default(),
                &request,
            ))
            .unwrap();
        response["status"]["token"]
            .as_str()
            .expect("a token in the TokenRequest status")
            .to_string()
    }

    /// A kubeconfig with the notebook account's token, optionally with a context namespace.
    pub fn notebook_kubeconfig(
        &self,
        dir: &Path,
        namespace: &str,
        context_namespace: bool,
    ) -> PathBuf {
        let token = self.notebook_token(namespace);
        self.plane.write_kubeconfig(
            dir,
            &self.plane.server,
            &token,
            context_namespace.then_some(namespace),
        )
    }

    /// A fixture pod (tests/fixtures/NAME) created in `namespace` as a real Pod: without status
    /// and server-set metadata, with `spec.nodeName` kept only if `on_node`.
    pub fn create_pod(&self, namespace: &str, fixture: &str, on_node: bool) -> String {
        let text =
            std::fs::read_to_string(Path::new(ROOT).join("tests/fixtures").join(fixture)).unwrap();
        let mut pod: Value = kubectl_jupyterflow::yaml::from_str(&text).unwrap();
        let pod_object = pod.as_object_mut().unwrap();
        pod_object.remove("status");
        let metadata = pod["metadata"].as_object_mut().unwrap();
        for key in ["uid", "resourceVersion", "creationTimestamp"] {
            metadata.remove(key);
        }
        metadata.insert("namespace".into(), json!(namespace));
        if !on_node {
            pod["spec"].as_object_mut().unwrap().remove("nodeName");
        }
        // The Priority admission plugin wants the class to exist (cluster-wide, value 0).
        if let Some(class) = pod["spec"]["priorityClassName"].as_str() {
            self.ensure_priority_class(class);
        }
        let name = pod["metadata"]["name"].as_str().unwrap().to_string();
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        self.block_on(api.create(
            &PostParams::default(),
            &serde_json::from_value(pod).unwrap(),
        ))
        .unwrap_or_else(|err| panic!("create pod {fixture} in {namespace}: {err}"));
        name
    }

    fn ensure_priority_class(&self, name: &str) {
        let resource = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("scheduling.k8s.io", "v1", "PriorityClass"),
            "priorityclasses",
        );
        let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &resource);
        let object: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
            "metadata": {"name": name}, "value": 0,
        }))
        .unwrap();
        match self.block_on(api.create(&PostParams::default(), &object)) {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 409 => {}
            Err(err) => panic!("create priority class {name}: {err}"),
        }
    }

    /// A claim with these access modes (it stays Pending: no provisioner runs).
    pub fn create_claim(&self, namespace: &str, name: &str, modes: &[&str]) {
        let api: Api<PersistentVolumeClaim> = Api::namespaced(self.client.clone(), namespace);
        let claim: PersistentVolumeClaim = serde_json::from_value(json!({
            "metadata": {"name": name},
            "spec": {"accessModes": modes, "resources": {"requests": {"storage": "1Gi"}}},
        }))
        .unwrap();
        self.block_on(api.create(&PostParams::default(), &claim))
            .unwrap();
    }

    /// The pod as the API server has it, as `kubectl get pod -o yaml` would save it.
    pub fn pod_json(&self, namespace: &str, name: &str) -> String {
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let pod = self.block_on(api.get(name)).unwrap();
        let mut value = serde_json::to_value(pod).unwrap();
        value["apiVersion"] = json!("v1");
        value["kind"] = json!("Pod");
        serde_json::to_string_pretty(&value).unwrap()
    }

    /// Workflows or cron workflows stored in `namespace`, as JSON.
    pub fn list(&self, namespace: &str, plural: &str) -> Vec<Value> {
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), namespace, &argo_resource(plural));
        let list = self.block_on(api.list(&ListParams::default())).unwrap();
        list.items
            .into_iter()
            .map(|o| serde_json::to_value(o).unwrap())
            .collect()
    }
}

/// `kubectl ARGS` with the admin kubeconfig, optionally with stdin; (success, stdout, stderr).
pub fn kubectl(plane: &ControlPlane, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&plane.admin_kubeconfig)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl on PATH");
    if let Some(text) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Parses a rendered manifest (YAML or JSON) into JSON.
pub fn manifest(text: &str) -> Value {
    kubectl_jupyterflow::yaml::from_str(text)
        .unwrap_or_else(|err| panic!("not a manifest: {err}\n{text}"))
}
