//! Cluster tests: the real binary against a real kube-apiserver + etcd with Argo Workflows'
//! full CRDs, which `scripts/e2e.sh` builds, starts and stops (`scripts/control-plane.sh run`).
//! Marked `#[ignore = "needs cluster"]` as kube-rs does; run them with `scripts/e2e.sh`.
//! Each test works in its own namespace. No controllers run, so pods and claims stay Pending.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::RwLock;
use std::time::Duration;

use common::notebook::Notebook;
use common::proxy::{closed_port, wait_for, LoseAnswerProxy, SilentServer};
use common::{kubectl, manifest, run, temp_dir, Cluster, ROOT};
use serde_json::Value;

/// The cron-workflow CRD is cluster-wide: the test that removes it takes this for writing,
/// every test that creates cron workflows takes it for reading.
static CRON_WORKFLOW_CRD: RwLock<()> = RwLock::new(());

/// A fixture pod moved into `namespace` and saved in `dir`: `-n namespace` then names the pod's
/// own namespace, which the steps' claims and accounts must live in.
fn fixture_in_namespace(dir: &Path, name: &str, namespace: &str) -> String {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let mut pod: Value = kubectl_jupyterflow::yaml::from_str(&text).unwrap();
    pod["metadata"]["namespace"] = Value::from(namespace);
    let path = dir.join(name).with_extension("json");
    std::fs::write(&path, serde_json::to_string_pretty(&pod).unwrap()).unwrap();
    path.display().to_string()
}

fn fixture(name: &str) -> String {
    Path::new(ROOT)
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn read_lock() -> std::sync::RwLockReadGuard<'static, ()> {
    CRON_WORKFLOW_CRD.read().unwrap_or_else(|e| e.into_inner())
}

fn required_node(workflow_spec: &Value) -> Option<&str> {
    workflow_spec
        .pointer("/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms/0/matchFields/0/values/0")
        .and_then(Value::as_str)
}

// ---- finding the pod ----------------------------------------------------------------------

#[test]
#[ignore = "needs cluster"]
fn pod_is_read_by_name_and_namespace_through_a_kubeconfig() {
    let nb = Notebook::new("by-name", "z2jh-dynamic-pod.yaml", false);
    nb.cluster
        .create_claim(&nb.namespace, "claim-alice", &["ReadWriteMany"]);
    let from_api = nb.render(&["-c", "python prep.py >> python train.py --lr 0.1"]);
    from_api.assert_ok();
    assert_eq!(from_api.stderr, "", "no warnings for a ReadWriteMany home");

    let wf = manifest(&from_api.stdout);
    assert_eq!(wf["kind"], "Workflow");
    assert_eq!(wf["metadata"]["namespace"], nb.namespace.as_str());
    assert_eq!(
        wf["metadata"]["labels"]["kubectl-jupyterflow/source-pod"],
        "jupyter-alice"
    );
    assert_eq!(
        wf["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"],
        "claim-alice"
    );
    assert!(!from_api.stdout.contains("JUPYTERHUB_API_TOKEN"));

    // The same pod saved to a file renders byte for byte the same.
    let pod_file = nb.dir.path().join("pod.json");
    std::fs::write(&pod_file, nb.cluster.pod_json(&nb.namespace, &nb.pod)).unwrap();
    let from_file = run(
        &[
            "render",
            "--pod-file",
            pod_file.to_str().unwrap(),
            "--workdir",
            "/home/jovyan",
            "-c",
            "python prep.py >> python train.py --lr 0.1",
        ],
        &[],
        None,
    );
    from_file.assert_ok();
    assert_eq!(from_api.stdout, from_file.stdout);
}

#[test]
#[ignore = "needs cluster"]
fn pod_is_found_from_hostname_and_the_kubeconfig_namespace() {
    let nb = Notebook::with_role("hostname", "static-storage-pod.yaml", false, None, true);
    let result = run(
        &[
            "render",
            "--workdir",
            "/home/jovyan/experiments",
            "-c",
            "python train.py",
        ],
        &[("HOSTNAME", &nb.pod), ("KUBECONFIG", &nb.kubeconfig)],
        None,
    );
    result.assert_ok();
    let wf = manifest(&result.stdout);
    assert_eq!(wf["metadata"]["namespace"], nb.namespace.as_str());
    assert_eq!(
        wf["metadata"]["labels"]["kubectl-jupyterflow/source-pod"],
        nb.pod.as_str()
    );
    assert_eq!(
        wf["spec"]["templateDefaults"]["container"]["image"],
        "registry.example.com/research/pytorch-notebook:2.5-cuda12"
    );
}

/// A notebook's own view: no kubeconfig, the mounted service-account token, CA and namespace,
/// `$KUBERNETES_SERVICE_HOST`/`PORT` and `$HOSTNAME`; then `--submit` from there.
#[test]
#[ignore = "needs cluster"]
fn in_cluster_service_account_reads_its_pod_and_submits() {
    let nb = Notebook::new("in-cluster", "z2jh-dynamic-pod.yaml", false);
    let account_dir = nb.dir.path().join("serviceaccount");
    std::fs::create_dir_all(&account_dir).unwrap();
    std::fs::write(
        account_dir.join("token"),
        nb.cluster.notebook_token(&nb.namespace),
    )
    .unwrap();
    std::fs::write(account_dir.join("ca.crt"), nb.cluster.plane.ca_pem()).unwrap();
    std::fs::write(account_dir.join("namespace"), &nb.namespace).unwrap();
    let port = nb.cluster.plane.port.to_string();
    let env = [
        (
            "JUPYTERFLOW_SERVICE_ACCOUNT_DIR",
            account_dir.to_str().unwrap(),
        ),
        ("KUBERNETES_SERVICE_HOST", "127.0.0.1"),
        ("KUBERNETES_SERVICE_PORT", port.as_str()),
        ("HOSTNAME", nb.pod.as_str()),
    ];
    let args = [
        "render",
        "--workdir",
        "/home/jovyan",
        "-c",
        "python train.py",
    ];

    let rendered = run(&args, &env, None);
    rendered.assert_ok();
    assert_eq!(
        manifest(&rendered.stdout)["metadata"]["namespace"],
        nb.namespace.as_str()
    );

    let submitted = run(&[&args[..], &["--submit"]].concat(), &env, None);
    submitted.assert_ok();
    // The mounted token names the account the steps run as: their access was checked.
    assert!(
        !submitted.stderr.contains("cannot check"),
        "{}",
        submitted.stderr
    );
    let name = submitted
        .stdout
        .strip_prefix("workflow.argoproj.io/")
        .and_then(|s| s.strip_suffix(" created\n"))
        .unwrap_or_else(|| panic!("kubectl-like output: {:?}", submitted.stdout));
    let stored = nb.workflows();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["metadata"]["name"], name);
    assert!(name.starts_with("jupyter-alice-"), "{name}");
}

#[test]
#[ignore = "needs cluster"]
fn a_missing_pod_is_named_with_its_namespace() {
    let nb = Notebook::new("no-pod", "z2jh-dynamic-pod.yaml", false);
    let result = run(
        &[
            "render",
            "--pod",
            "jupyter-nobody",
            "-n",
            &nb.namespace,
            "--kubeconfig",
            &nb.kubeconfig,
            "-c",
            "python a.py",
        ],
        &[],
        None,
    );
    let error = result.assert_error();
    assert!(
        error.contains("pod \"jupyter-nobody\" not found"),
        "{error}"
    );
    assert!(
        error.contains(&format!("namespace \"{}\"", nb.namespace)),
        "{error}"
    );
}

#[test]
#[ignore = "needs cluster"]
fn rejected_credentials_say_to_refresh_them() {
    let cluster = Cluster::connect();
    let namespace = cluster.namespace("bad-token");
    let dir = temp_dir("bad-token");
    let kubeconfig =
        cluster
            .plane
            .write_kubeconfig(dir.path(), &cluster.plane.server, "not-a-token", None);
    let result = run(
        &[
            "render",
            "--pod",
            "jupyter-alice",
            "-n",
            &namespace,
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "-c",
            "python a.py",
        ],
        &[],
        None,
    );
    let error = result.assert_error();
    assert!(error.contains("did not accept the credentials"), "{error}");
    assert!(
        error.contains("refresh the kubeconfig or the token"),
        "{error}"
    );
}

#[test]
#[ignore = "needs cluster"]
fn no_mounted_token_says_to_ask_the_admin_or_use_a_pod_file() {
    let cluster = Cluster::connect();
    let empty = temp_dir("no-token");
    let port = cluster.plane.port.to_string();
    let result = run(
        &["render", "-c", "python a.py"],
        &[
            (
                "JUPYTERFLOW_SERVICE_ACCOUNT_DIR",
                empty.path().to_str().unwrap(),
            ),
            ("KUBERNETES_SERVICE_HOST", "127.0.0.1"),
            ("KUBERNETES_SERVICE_PORT", port.as_str()),
            ("HOSTNAME", "jupyter-alice"),
        ],
        None,
    );
    let error = result.assert_error();
    assert!(
        error.contains("ask your JupyterHub admin to set a service account"),
        "{error}"
    );
    assert!(error.contains("--pod-file"), "{error}");
}

#[test]
#[ignore = "needs cluster"]
fn a_closed_port_fails_and_says_what_to_check() {
    let cluster = Cluster::connect();
    let dir = temp_dir("closed");
    let server = format!("https://127.0.0.1:{}", closed_port());
    let kubeconfig = cluster
        .plane
        .write_kubeconfig(dir.path(), &server, "token", Some("default"));
    let result = run(
        &[
            "render",
            "--pod",
            "jupyter-alice",
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "-c",
            "python a.py",
        ],
        &[],
        None,
    );
    let error = result.assert_error();
    assert!(
        error.contains(&format!(
            "cannot reach the Kubernetes API server at {server}"
        )),
        "{error}"
    );
    assert!(error.contains("connection refused"), "{error}");
    assert!(error.contains("--pod-file"), "{error}");
}

#[test]
#[ignore = "needs cluster"]
fn a_server_that_never_answers_fails_within_30_seconds() {
    let cluster = Cluster::connect();
    let silent = SilentServer::start();
    let dir = temp_dir("silent");
    let server = format!("https://127.0.0.1:{}", silent.port);
    let kubeconfig = cluster
        .plane
        .write_kubeconfig(dir.path(), &server, "token", Some("default"));
    let result = run(
        &[
            "render",
            "--pod",
            "jupyter-alice",
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "-c",
            "python a.py",
        ],
        &[],
        None,
    );
    let error = result.assert_error();
    assert!(error.contains("did not answer within 20s"), "{error}");
    assert!(error.contains("kubectl cluster-info"), "{error}");
    // Not a speed check: giving up is the feature. The README promises 20 s in all
    // (client::TOTAL_TIMEOUT); without that budget it would take far longer; 30 s leaves room for a
    // loaded machine.
    assert!(
        result.elapsed < Duration::from_secs(30),
        "took {:?}",
        result.elapsed
    );
}

// ---- --submit -----------------------------------------------------------------------------

#[test]
#[ignore = "needs cluster"]
fn submit_creates_a_workflow_and_prints_like_kubectl() {
    let nb = Notebook::new("submit", "z2jh-dynamic-pod.yaml", false);
    nb.cluster
        .create_claim(&nb.namespace, "claim-alice", &["ReadWriteMany"]);
    let created = nb.render(&["-c", "python a.py >> python b.py", "--submit"]);
    created.assert_ok();
    assert!(
        created
            .stdout
            .starts_with("workflow.argoproj.io/jupyter-alice-")
            && created.stdout.ends_with(" created\n"),
        "{:?}",
        created.stdout
    );

    let named = nb.render(&["-c", "python a.py", "--submit", "-o", "name"]);
    named.assert_ok();
    let name = named
        .stdout
        .trim()
        .strip_prefix("workflow.argoproj.io/")
        .unwrap()
        .to_string();

    let as_json = nb.render(&["-c", "python a.py", "--submit", "-o", "json"]);
    as_json.assert_ok();
    let object: Value = serde_json::from_str(&as_json.stdout).unwrap();
    assert!(
        object["metadata"]["uid"].is_string(),
        "the object as the server stored it"
    );
    assert!(object["metadata"].get("managedFields").is_none());

    let as_yaml = nb.render(&["-c", "python a.py", "--submit", "-o", "yaml"]);
    as_yaml.assert_ok();
    assert!(manifest(&as_yaml.stdout)["metadata"]["creationTimestamp"].is_string());

    let stored = nb.workflows();
    assert_eq!(stored.len(), 4);
    let names: Vec<&str> = stored
        .iter()
        .filter_map(|w| w["metadata"]["name"].as_str())
        .collect();
    assert!(names.contains(&name.as_str()), "{names:?}");
    assert!(names.contains(&object["metadata"]["name"].as_str().unwrap()));
    for workflow in &stored {
        assert_eq!(
            workflow["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "kubectl-jupyterflow"
        );
        assert!(workflow["metadata"]["annotations"]["kubectl-jupyterflow/submission"].is_string());
    }
}

/// A saved pod file and --submit: the cluster is contacted for the claim and the create only.
#[test]
#[ignore = "needs cluster"]
fn a_pod_file_is_submitted_into_the_given_namespace() {
    let nb = Notebook::new("pod-file", "z2jh-dynamic-pod.yaml", false);
    nb.cluster
        .create_claim(&nb.namespace, "claim-alice", &["ReadWriteMany"]);
    // The pod as the cluster stores it, so `-n` is its own namespace (another one is refused
    // while the steps use its claim).
    let pod_file = nb.dir.path().join("pod.json");
    std::fs::write(&pod_file, nb.cluster.pod_json(&nb.namespace, &nb.pod)).unwrap();
    let result = run(
        &[
            "render",
            "--pod-file",
            pod_file.to_str().unwrap(),
            "-n",
            &nb.namespace,
            "--kubeconfig",
            &nb.kubeconfig,
            "--workdir",
            "/home/jovyan",
            "-c",
            "python a.py",
            "--submit",
            "-o",
            "name",
        ],
        &[],
        None,
    );
    result.assert_ok();
    let stored = nb.workflows();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        result.stdout,
        format!(
            "workflow.argoproj.io/{}\n",
            stored[0]["metadata"]["name"].as_str().unwrap()
        )
    );
    assert_eq!(stored[0]["metadata"]["namespace"], nb.namespace.as_str());
}

#[test]
#[ignore = "needs cluster"]
fn submit_with_schedule_creates_a_cron_workflow() {
    let _crd = read_lock();
    let nb = Notebook::new("cron", "z2jh-dynamic-pod.yaml", false);
    let result = nb.render(&[
        "-c",
        "python nightly.py",
        "--schedule",
        "0 3 * * *",
        "--timezone",
        "Europe/Berlin",
        "--submit",
    ]);
    result.assert_ok();
    assert!(
        result
            .stdout
            .starts_with("cronworkflow.argoproj.io/jupyter-alice-"),
        "{:?}",
        result.stdout
    );
    let stored = nb.cluster.list(&nb.namespace, "cronworkflows");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["spec"]["schedules"][0], "0 3 * * *");
    assert_eq!(stored[0]["spec"]["timezone"], "Europe/Berlin");
}

#[test]
#[ignore = "needs cluster"]
fn server_dry_run_validates_without_storing() {
    let _crd = read_lock();
    let nb = Notebook::new("dry-run", "z2jh-dynamic-pod.yaml", false);
    let workflow = nb.render(&["-c", "python a.py", "--submit", "--dry-run=server"]);
    workflow.assert_ok();
    assert!(
        workflow.stdout.ends_with(" created (server dry run)\n"),
        "{:?}",
        workflow.stdout
    );
    let cron = nb.render(&[
        "-c",
        "python a.py",
        "--schedule",
        "@daily",
        "--submit",
        "--dry-run=server",
        "-o",
        "yaml",
    ]);
    cron.assert_ok();
    assert_eq!(manifest(&cron.stdout)["kind"], "CronWorkflow");
    assert!(nb.workflows().is_empty(), "a dry run stores nothing");
    assert!(nb.cluster.list(&nb.namespace, "cronworkflows").is_empty());

    // The server validates in a dry run too.
    let file = nb.dir.path().join("bad.yaml");
    std::fs::write(&file, "jobs:\n- name: train\n  command: python train.py\n  resources: {requests: {memory: lots}}\n").unwrap();
    let invalid = nb.render(&["-f", file.to_str().unwrap(), "--submit", "--dry-run=server"]);
    invalid.assert_error();
}

/// The create asks for `fieldValidation=Strict`: a misspelled field is an error, not dropped.
#[test]
#[ignore = "needs cluster"]
fn a_misspelled_field_is_rejected_by_strict_validation() {
    use kubectl_jupyterflow::client::{connect, ClientOptions};
    use kubectl_jupyterflow::submit::create_object;

    let nb = Notebook::new("strict", "minimal-pod.yaml", false);
    let connection = nb
        .cluster
        .block_on(connect(&ClientOptions {
            kubeconfig: Some(nb.kubeconfig.clone().into()),
            context: None,
            namespace: Some(nb.namespace.clone()),
        }))
        .unwrap();
    let workflow = |spec_key: &str| {
        serde_json::json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"generateName": "strict-"},
            "spec": {spec_key: "main", "templates": [{"name": "main", "container": {"image": "busybox", "command": ["true"]}}]},
        })
    };
    let err = nb
        .cluster
        .block_on(create_object(
            &connection,
            "workflows",
            &workflow("entrypiont"),
            false,
        ))
        .unwrap_err();
    let kube::Error::Api(status) = err else {
        panic!("{err}")
    };
    assert_eq!(status.code, 400);
    assert!(
        status.message.contains("unknown field \"spec.entrypiont\""),
        "{}",
        status.message
    );
    nb.cluster
        .block_on(create_object(
            &connection,
            "workflows",
            &workflow("entrypoint"),
            false,
        ))
        .unwrap();
    assert_eq!(nb.workflows().len(), 1);
}

#[test]
#[ignore = "needs cluster"]
fn an_invalid_workflow_lists_the_offending_fields() {
    // Render refuses bad quantities in flags, config and workflow files, so the invalid values
    // come from a pod file (a pod's own resources are copied as they are): the API server's
    // answer must still name every offending field.
    let nb = Notebook::new("invalid", "z2jh-dynamic-pod.yaml", false);
    nb.cluster
        .create_claim(&nb.namespace, "claim-alice", &["ReadWriteMany"]);
    let pod_text = std::fs::read_to_string(fixture("z2jh-dynamic-pod.yaml")).unwrap();
    let good = "requests:\n        cpu: 500m\n        memory: \"1073741824\"";
    assert!(pod_text.contains(good), "the fixture's requests moved");
    // In the test's namespace, where its claim is (`-n` elsewhere is refused).
    let in_jhub = "namespace: jhub\n";
    assert!(pod_text.contains(in_jhub), "the fixture's namespace moved");
    let pod_file = nb.dir.path().join("invalid-pod.yaml");
    std::fs::write(
        &pod_file,
        pod_text
            .replace(good, "requests:\n        cpu: many\n        memory: lots")
            .replacen(in_jhub, &format!("namespace: {}\n", nb.namespace), 1),
    )
    .unwrap();
    let file = nb.dir.path().join("pipeline.yaml");
    std::fs::write(
        &file,
        "jobs:\n- name: prep\n  command: python prep.py\n- name: train\n  command: python train.py\ndags:\n- prep >> train\n",
    )
    .unwrap();
    let result = run(
        &[
            "render",
            "--pod-file",
            pod_file.to_str().unwrap(),
            "-n",
            &nb.namespace,
            "--kubeconfig",
            &nb.kubeconfig,
            "--workdir",
            "/home/jovyan",
            "-f",
            file.to_str().unwrap(),
            "--submit",
        ],
        &[],
        None,
    );
    let error = result.assert_error();
    assert!(
        error.contains("the API server rejected the Workflow"),
        "{error}"
    );
    // The notebook's resources are every step's: written once, in templateDefaults.
    assert!(
        error.contains("spec.templateDefaults.container.resources.requests.memory"),
        "{error}"
    );
    assert!(
        error.contains("spec.templateDefaults.container.resources.requests.cpu"),
        "{error}"
    );
    assert!(
        error.contains("Invalid value: \"lots\": should be a Kubernetes quantity"),
        "{error}"
    );
    assert!(nb.workflows().is_empty());
}

// ---- errors from the server -------------------------------------------------------------

#[test]
#[ignore = "needs cluster"]
fn forbidden_names_verb_resource_and_namespace_and_points_to_the_role() {
    // The Role without its workflows rule: the pod can be read, the workflow not created.
    let nb = Notebook::with_role(
        "forbidden",
        "z2jh-dynamic-pod.yaml",
        false,
        Some("workflows"),
        false,
    );
    let result = nb.render(&["-c", "python a.py", "--submit"]);
    let error = result.assert_error();
    let account = format!("system:serviceaccount:{}:notebook", nb.namespace);
    assert!(
        error.contains(&format!(
            "forbidden: {account} may not create workflows.argoproj.io in namespace \"{}\"",
            nb.namespace
        )),
        "{error}"
    );
    assert!(error.contains("Role from the README"), "{error}");
    assert!(nb.workflows().is_empty());

    // A user with no rights at all cannot even read the pod.
    let alice = nb.cluster.plane.write_kubeconfig(
        nb.dir.path(),
        &nb.cluster.plane.server,
        &nb.cluster.plane.unprivileged_token,
        None,
    );
    let result = run(
        &[
            "render",
            "--pod",
            &nb.pod,
            "-n",
            &nb.namespace,
            "--kubeconfig",
            alice.to_str().unwrap(),
            "-c",
            "python a.py",
        ],
        &[],
        None,
    );
    let error = result.assert_error();
    assert!(
        error.contains(&format!(
            "forbidden: alice may not get pods in namespace \"{}\"",
            nb.namespace
        )),
        "{error}"
    );
}

// ---- the steps' account and Argo's task results ------------------------------------------

const TASK_RESULTS_WARNING: &str = "may not create workflowtaskresults.argoproj.io";

/// The notebook's account runs the steps too, and the README's Role lets them report their
/// results: nothing to say. Another account cannot be checked: one line says so.
#[test]
#[ignore = "needs cluster"]
fn steps_that_may_report_their_results_are_submitted_without_a_warning() {
    let nb = Notebook::new("task-results-ok", "z2jh-dynamic-pod.yaml", false);
    nb.cluster
        .create_claim(&nb.namespace, "claim-alice", &["ReadWriteMany"]);
    let result = nb.render(&["-c", "python a.py", "--submit"]);
    result.assert_ok();
    assert_eq!(result.stderr, "");

    let other = nb.render(&[
        "-c",
        "python a.py",
        "--submit",
        "--service-account",
        "builder",
    ]);
    other.assert_ok();
    assert_eq!(
        other.stderr,
        format!(
            "note: cannot check that the steps may report their results to Argo (create and patch \
             workflowtaskresults.argoproj.io): the steps run as service account \"builder\", not as \
             system:serviceaccount:{}:notebook (this tool's identity)\n",
            nb.namespace
        )
    );
    assert_eq!(nb.workflows().len(), 2);
}

/// The Role without its workflowtaskresults rule: every step would fail in its wait
/// container. One warning names the permission and the Role lines to add; the submit goes on.
#[test]
#[ignore = "needs cluster"]
fn steps_that_may_not_report_their_results_warn_with_the_role_lines_to_add() {
    let nb = Notebook::with_role(
        "task-results-missing",
        "z2jh-dynamic-pod.yaml",
        false,
        Some("workflowtaskresults"),
        false,
    );
    nb.cluster
        .create_claim(&nb.namespace, "claim-alice", &["ReadWriteMany"]);
    let result = nb.render(&["-c", "python a.py", "--submit"]);
    result.assert_ok();
    assert!(result.stdout.ends_with(" created\n"), "{}", result.stdout);
    let warning = &result.stderr;
    assert!(warning.starts_with("warning: "), "{warning}");
    assert_eq!(warning.matches("warning: ").count(), 1, "{warning}");
    assert!(
        warning.contains(&format!(
            "service account \"notebook\" (this tool's identity), which {TASK_RESULTS_WARNING} in \
             namespace \"{}\"",
            nb.namespace
        )),
        "{warning}"
    );
    assert!(
        warning.ends_with(
            "\n- apiGroups: [argoproj.io]\n  resources: [workflowtaskresults]\n  verbs: [create, patch]\n"
        ),
        "{warning}"
    );
    assert_eq!(nb.workflows().len(), 1, "the workflow is created anyway");
}

/// Removes the cluster-wide cronworkflows CRD (holding the lock that every cron test takes),
/// checks the message, and restores it as it was.
#[test]
#[ignore = "needs cluster"]
fn a_missing_crd_says_argo_workflows_is_not_installed() {
    let _crd = CRON_WORKFLOW_CRD.write().unwrap_or_else(|e| e.into_inner());
    let nb = Notebook::new("no-crd", "z2jh-dynamic-pod.yaml", false);
    let plane = &nb.cluster.plane;
    let crd = "cronworkflows.argoproj.io";
    let (ok, saved, err) = kubectl(plane, &["get", "crd", crd, "-o", "json"], None);
    assert!(ok, "{err}");
    let mut saved: Value = serde_json::from_str(&saved).unwrap();
    saved.as_object_mut().unwrap().remove("status");
    for key in [
        "resourceVersion",
        "uid",
        "creationTimestamp",
        "generation",
        "managedFields",
    ] {
        saved["metadata"].as_object_mut().unwrap().remove(key);
    }
    let (ok, _, err) = kubectl(
        plane,
        &["delete", "crd", crd, "--wait=true", "--timeout=60s"],
        None,
    );
    assert!(ok, "{err}");

    let result = nb.render(&["-c", "python a.py", "--schedule", "@daily", "--submit"]);

    let (ok, _, err) = kubectl(plane, &["create", "-f", "-"], Some(&saved.to_string()));
    assert!(ok, "restoring the CRD: {err}");
    // Served again once Established (and the discovery behind `kubectl get` follows).
    assert!(
        wait_for(Duration::from_secs(60), || {
            kubectl(plane, &["get", "cronworkflows", "-n", &nb.namespace], None).0
        }),
        "the restored CRD is not served"
    );

    let error = result.assert_error();
    assert!(
        error.contains("has no cronworkflows.argoproj.io"),
        "{error}"
    );
    assert!(
        error.contains("Argo Workflows is not installed in this cluster"),
        "{error}"
    );
}

// ---- never a duplicate --------------------------------------------------------------------

/// The create reaches the server and is stored, but its answer is lost (the proxy drops the
/// connection instead of relaying it). The retry finds its own object: one workflow, success.
#[test]
#[ignore = "needs cluster"]
fn a_lost_answer_is_retried_without_a_duplicate() {
    let nb = Notebook::new("lost-answer", "z2jh-dynamic-pod.yaml", false);
    nb.cluster
        .create_claim(&nb.namespace, "claim-alice", &["ReadWriteMany"]);
    let upstream: SocketAddr = format!("127.0.0.1:{}", nb.cluster.plane.port)
        .parse()
        .unwrap();
    let watcher = Cluster::connect();
    let namespace = nb.namespace.clone();
    let proxy = LoseAnswerProxy::start(upstream, move || {
        !watcher.list(&namespace, "workflows").is_empty()
    });
    let token = nb.cluster.notebook_token(&nb.namespace);
    let through_proxy = nb.cluster.plane.write_kubeconfig(
        nb.dir.path(),
        &format!("https://127.0.0.1:{}", proxy.port),
        &token,
        None,
    );

    let result = run(
        &[
            "render",
            "--pod",
            &nb.pod,
            "-n",
            &nb.namespace,
            "--kubeconfig",
            through_proxy.to_str().unwrap(),
            "--workdir",
            "/home/jovyan",
            "-c",
            "python train.py",
            "--submit",
        ],
        &[],
        None,
    );
    result.assert_ok();
    assert!(
        proxy.dropped_an_answer(),
        "the proxy dropped the create's answer"
    );
    assert!(
        proxy.connections() >= 2,
        "the retry used a new connection: {}",
        proxy.connections()
    );

    let stored = nb.workflows();
    assert_eq!(stored.len(), 1, "exactly one workflow");
    let name = stored[0]["metadata"]["name"].as_str().unwrap();
    assert_eq!(
        result.stdout,
        format!("workflow.argoproj.io/{name} created\n")
    );
}

// ---- single-node volumes ------------------------------------------------------------------

#[test]
#[ignore = "needs cluster"]
fn a_read_write_once_home_pins_the_steps_to_the_notebook_node() {
    let nb = Notebook::new("rwo", "z2jh-dynamic-pod.yaml", true);
    nb.cluster
        .create_claim(&nb.namespace, "claim-alice", &["ReadWriteOnce"]);
    let rendered = nb.render(&["-c", "python a.py"]);
    rendered.assert_ok();
    assert!(
        rendered.stderr.contains("\"claim-alice\" is ReadWriteOnce")
            && rendered
                .stderr
                .contains("pinned to the notebook's node gke-user-pool-7f3a-x2lk"),
        "{}",
        rendered.stderr
    );
    let wf = manifest(&rendered.stdout);
    assert_eq!(required_node(&wf["spec"]), Some("gke-user-pool-7f3a-x2lk"));
    assert!(
        wf["spec"]["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
            .is_array(),
        "the copied affinity is kept"
    );

    let submitted = nb.render(&["-c", "python a.py", "--submit"]);
    submitted.assert_ok();
    let stored = nb.workflows();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        required_node(&stored[0]["spec"]),
        Some("gke-user-pool-7f3a-x2lk")
    );
}

/// A schedule is not pinned to today's node (at 3 am the notebook may be elsewhere, or gone),
/// but its steps prefer the node of the running notebook, where the disk is attached.
#[test]
#[ignore = "needs cluster"]
fn a_read_write_once_home_makes_a_schedule_prefer_the_notebooks_node() {
    let _crd = read_lock();
    let nb = Notebook::new("rwo-cron", "z2jh-dynamic-pod.yaml", true);
    nb.cluster
        .create_claim(&nb.namespace, "claim-alice", &["ReadWriteOnce"]);
    let submitted = nb.render(&[
        "-c",
        "python nightly.py",
        "--schedule",
        "0 3 * * *",
        "--submit",
    ]);
    submitted.assert_ok();
    assert!(
        submitted
            .stderr
            .contains("prefers the notebook's node while the notebook runs")
            && submitted
                .stderr
                .contains("waits in ContainerCreating until the notebook stops"),
        "{}",
        submitted.stderr
    );
    let stored = nb.cluster.list(&nb.namespace, "cronworkflows");
    assert_eq!(stored.len(), 1);
    let spec = &stored[0]["spec"]["workflowSpec"];
    assert_eq!(required_node(spec), None, "pinned to today's node");
    let term =
        &spec["affinity"]["podAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0];
    assert_eq!(term["weight"], 100);
    assert_eq!(
        term["podAffinityTerm"]["topologyKey"],
        "kubernetes.io/hostname"
    );
    assert_eq!(
        term["podAffinityTerm"]["labelSelector"]["matchLabels"],
        serde_json::json!({
            "component": "singleuser-server",
            "hub.jupyter.org/servername": "",
            "hub.jupyter.org/username": "alice",
        })
    );
    assert!(
        spec["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
            .is_array(),
        "the copied affinity is kept"
    );
}

#[test]
#[ignore = "needs cluster"]
fn a_read_write_many_home_is_not_pinned() {
    let nb = Notebook::new("rwx", "z2jh-dynamic-pod.yaml", true);
    nb.cluster
        .create_claim(&nb.namespace, "claim-alice", &["ReadWriteMany"]);
    let submitted = nb.render(&["-c", "python a.py", "--submit"]);
    submitted.assert_ok();
    assert_eq!(submitted.stderr, "");
    let stored = nb.workflows();
    assert_eq!(stored.len(), 1);
    assert_eq!(required_node(&stored[0]["spec"]), None);
}

#[test]
#[ignore = "needs cluster"]
fn a_read_write_once_pod_home_is_refused() {
    let nb = Notebook::new("rwop", "z2jh-dynamic-pod.yaml", true);
    nb.cluster
        .create_claim(&nb.namespace, "claim-alice", &["ReadWriteOncePod"]);
    let result = nb.render(&["-c", "python a.py", "--submit"]);
    let error = result.assert_error();
    assert!(
        error.contains("\"claim-alice\" is ReadWriteOncePod"),
        "{error}"
    );
    assert!(error.contains("ReadWriteMany"), "{error}");
    assert!(nb.workflows().is_empty());
}

#[test]
#[ignore = "needs cluster"]
fn claims_that_may_not_be_read_warn_and_the_submit_goes_on() {
    let nb = Notebook::with_role(
        "no-pvc-get",
        "z2jh-dynamic-pod.yaml",
        true,
        Some("persistentvolumeclaims"),
        false,
    );
    nb.cluster
        .create_claim(&nb.namespace, "claim-alice", &["ReadWriteOnce"]);
    let result = nb.render(&["-c", "python a.py", "--submit"]);
    result.assert_ok();
    assert!(result.stderr.starts_with("warning: "), "{}", result.stderr);
    assert!(
        result.stderr.contains("may not get persistentvolumeclaims"),
        "{}",
        result.stderr
    );
    let stored = nb.workflows();
    assert_eq!(stored.len(), 1);
    assert_eq!(required_node(&stored[0]["spec"]), None);
}

// ---- GPU steps pinned to the notebook's node ----------------------------------------------

/// A Node of the test's own (named after its namespace: tests run in parallel), allocatable
/// `gpus` nvidia.com/gpu if any, and the notebook pod bound to it (as the scheduler would).
fn notebook_on_its_own_node(nb: &Notebook, gpus: Option<&str>) -> String {
    let node = format!("node-{}", nb.namespace);
    let object =
        serde_json::json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": node}});
    let (ok, _, stderr) = kubectl(
        &nb.cluster.plane,
        &["create", "-f", "-"],
        Some(&object.to_string()),
    );
    assert!(ok, "create node {node}: {stderr}");
    let mut allocatable = serde_json::json!({"cpu": "8", "memory": "32Gi", "pods": "110"});
    if let Some(gpus) = gpus {
        allocatable["nvidia.com/gpu"] = Value::from(gpus);
    }
    let status =
        serde_json::json!({"status": {"capacity": allocatable, "allocatable": allocatable}});
    let (ok, _, stderr) = kubectl(
        &nb.cluster.plane,
        &[
            "patch",
            "node",
            &node,
            "--subresource=status",
            "--type=merge",
            "-p",
            &status.to_string(),
        ],
        None,
    );
    assert!(ok, "patch node {node} status: {stderr}");
    let binding = serde_json::json!({
        "apiVersion": "v1", "kind": "Binding",
        "metadata": {"name": nb.pod, "namespace": nb.namespace},
        "target": {"apiVersion": "v1", "kind": "Node", "name": node},
    });
    let (ok, _, stderr) = kubectl(
        &nb.cluster.plane,
        &["create", "-f", "-"],
        Some(&binding.to_string()),
    );
    assert!(ok, "bind pod {} to {node}: {stderr}", nb.pod);
    node
}

/// The optional ClusterRole of the README's Storage section: get on nodes, for the notebook's
/// account.
fn allow_getting_nodes(nb: &Notebook) {
    let name = format!("jupyterflow-nodes-{}", nb.namespace);
    let objects = [
        serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": name},
            "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}],
        }),
        serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": common::NOTEBOOK_ACCOUNT, "namespace": nb.namespace}],
        }),
    ];
    for object in objects {
        let (ok, _, stderr) = kubectl(
            &nb.cluster.plane,
            &["create", "-f", "-"],
            Some(&object.to_string()),
        );
        assert!(ok, "create {name}: {stderr}");
    }
}

#[test]
#[ignore = "needs cluster"]
fn gpu_steps_pinned_to_a_node_without_gpus_are_refused_from_its_node() {
    let nb = Notebook::new("gpu-cpu-node", "z2jh-dynamic-pod.yaml", false);
    nb.cluster
        .create_claim(&nb.namespace, "claim-alice", &["ReadWriteOnce"]);
    allow_getting_nodes(&nb);
    let node = notebook_on_its_own_node(&nb, None);
    let result = nb.render(&["--gpu", "1", "-c", "python train.py", "--submit"]);
    let error = result.assert_error();
    for part in [
        format!("the notebook's node {node} (ReadWriteOnce claim \"claim-alice\" is there)"),
        "has 0 nvidia.com/gpu allocatable (its Node's status.allocatable)".to_string(),
        "ReadWriteMany".to_string(),
    ] {
        assert!(error.contains(&part), "{part:?} in {error}");
    }
    assert!(nb.workflows().is_empty());
    // Steps without GPUs do not read the Node and are pinned as before.
    let cpu = nb.render(&["-c", "python prep.py"]);
    cpu.assert_ok();
    assert_eq!(
        required_node(&manifest(&cpu.stdout)["spec"]),
        Some(node.as_str())
    );
    // One GET of the Node, for the GPU render only.
    let node_gets = || {
        common::audit::requests_of_notebook(&nb.namespace)
            .get("get nodes")
            .copied()
    };
    wait_for(Duration::from_secs(10), || node_gets() == Some(1));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        node_gets(),
        Some(1),
        "{:?}",
        common::audit::requests_of_notebook(&nb.namespace)
    );
}

#[test]
#[ignore = "needs cluster"]
fn gpu_steps_pinned_to_a_gpu_node_are_submitted_and_the_node_decided() {
    // A GPU notebook (its GPU node affinity goes to the GPU step alone).
    let nb = Notebook::new("gpu-gpu-node", "gpu-notebook-pod.yaml", false);
    nb.cluster
        .create_claim(&nb.namespace, "claim-dana", &["ReadWriteOnce"]);
    allow_getting_nodes(&nb);
    let node = notebook_on_its_own_node(&nb, Some("4"));
    let file = nb.dir.path().join("pipeline.yaml");
    std::fs::write(
        &file,
        "jobs:\n- python prep.py\n- {name: train, command: python train.py, gpu: 2}\ndags:\n- 1 >> train\n",
    )
    .unwrap();
    let result = nb.render(&["-f", file.to_str().unwrap(), "--explain", "--submit"]);
    result.assert_ok();
    assert!(
        result.stderr.contains(&format!(
            "check    GPUs on node {node}: node {node} has 4 nvidia.com/gpu, enough for the \
             pinned GPU steps (decided from its Node's status.allocatable)"
        )),
        "{}",
        result.stderr
    );
    let stored = nb.workflows();
    assert_eq!(stored.len(), 1);
    let spec = &stored[0]["spec"];
    assert_eq!(required_node(spec), Some(node.as_str()));
    // The GPU step's own affinity (the notebook's GPU placement) is pinned as well.
    let train = spec["templates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "train")
        .unwrap();
    assert_eq!(required_node(train), Some(node.as_str()));
    assert!(
        train["affinity"]
            .to_string()
            .contains("nvidia.com/gpu.present"),
        "{train}"
    );
    assert_eq!(
        train["container"]["resources"]["limits"]["nvidia.com/gpu"],
        "2"
    );
}

#[test]
#[ignore = "needs cluster"]
fn without_get_on_nodes_the_notebooks_own_gpus_decide() {
    // A CPU notebook on a node that does have GPUs: the Node may not be read, so the
    // notebook's own request (none) decides.
    let nb = Notebook::new("gpu-no-node-get", "z2jh-dynamic-pod.yaml", false);
    nb.cluster
        .create_claim(&nb.namespace, "claim-alice", &["ReadWriteOnce"]);
    let node = notebook_on_its_own_node(&nb, Some("4"));
    let refused = nb.render(&["--gpu", "1", "-c", "python train.py", "--submit"]);
    let error = refused.assert_error();
    let account = format!("system:serviceaccount:{}:notebook", nb.namespace);
    for part in [
        format!("node {node}"),
        "is taken to have no nvidia.com/gpu, as the notebook requests none".to_string(),
        format!("the Node was not read: {account} may not get nodes"),
    ] {
        assert!(error.contains(&part), "{part:?} in {error}");
    }
    assert!(nb.workflows().is_empty());

    // A GPU notebook: its node has GPUs, whatever the Node says.
    let gpu = Notebook::new("gpu-nb-no-node-get", "gpu-notebook-pod.yaml", false);
    gpu.cluster
        .create_claim(&gpu.namespace, "claim-dana", &["ReadWriteOnce"]);
    let node = notebook_on_its_own_node(&gpu, None);
    let result = gpu.render(&[
        "--gpu",
        "1",
        "-c",
        "python train.py",
        "--explain",
        "--submit",
    ]);
    result.assert_ok();
    assert!(
        result.stderr.contains(&format!(
            "node {node} has nvidia.com/gpu (the notebook holds 1), enough for the pinned GPU \
             steps (decided from the notebook's own GPU request; the Node was not read: \
             system:serviceaccount:{}:notebook may not get nodes)",
            gpu.namespace
        )),
        "{}",
        result.stderr
    );
    assert_eq!(gpu.workflows().len(), 1);
}

// ---- piping into kubectl, argo lint ---------------------------------------------------------

/// The golden manifests (tests/cmd/*.stdout), exactly as the CLI tests pin them.
fn golden_manifests() -> Vec<(String, String)> {
    let mut goldens = Vec::new();
    for entry in std::fs::read_dir(Path::new(ROOT).join("tests/cmd")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("stdout") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        if text.contains("apiVersion") {
            goldens.push((
                path.file_name().unwrap().to_string_lossy().into_owned(),
                text,
            ));
        }
    }
    goldens.sort();
    assert!(
        goldens.len() >= 8,
        "only {} golden manifests",
        goldens.len()
    );
    goldens
}

/// `render ... | kubectl create -f -` for every golden: each goes, byte for byte, into the
/// namespace it names (the pod's), which only this test uses.
#[test]
#[ignore = "needs cluster"]
fn every_golden_manifest_is_accepted_by_kubectl_create() {
    let _crd = read_lock();
    let cluster = Cluster::connect();
    for (name, text) in golden_manifests() {
        let object = manifest(&text);
        let namespace = object["metadata"]["namespace"]
            .as_str()
            .unwrap_or("default")
            .to_string();
        cluster.ensure_namespace(&namespace);
        let (ok, stdout, stderr) = kubectl(
            &cluster.plane,
            &["create", "--validate=strict", "-f", "-", "-o", "name"],
            Some(&text),
        );
        // `--legacy-schedule` writes the singular field that Argo v4 removed: only older
        // Argo accepts it, and v4 must refuse it rather than drop the schedule silently.
        if argo_v4() && object["spec"].get("schedule").is_some() {
            assert!(!ok, "{name}: Argo v4 accepted the removed `schedule` field");
            assert!(stderr.contains("schedule"), "{name}: {stderr}");
            continue;
        }
        assert!(ok, "{name}: kubectl create failed: {stderr}");
        let created = stdout.trim().rsplit('/').next().unwrap().to_string();
        let plural = if object["kind"] == "CronWorkflow" {
            "cronworkflows"
        } else {
            "workflows"
        };
        let stored = cluster.list(&namespace, plural);
        assert!(
            stored
                .iter()
                .any(|o| o["metadata"]["name"] == created.as_str()),
            "{name}: {created} not stored"
        );
    }
}

fn argo_v4() -> bool {
    std::env::var("JF_TEST_ARGO_VERSION").is_ok_and(|v| v.starts_with("v4"))
}

/// Argo v4's full CRDs enforce what v3.7's do not (at most 200 templates, one template type):
/// the largest pipeline the tool renders (199 steps and the DAG) is accepted, and the same
/// workflow with one template more is refused. `scripts/e2e.sh` runs it with JF_ARGO_VERSION=v4.x.
#[test]
#[ignore = "needs cluster"]
fn v4_full_crds_accept_the_largest_pipeline_and_refuse_one_template_more() {
    assert!(
        argo_v4(),
        "needs Argo v4 CRDs: JF_ARGO_VERSION=v4.0.5 scripts/control-plane.sh run -- cargo test ..."
    );
    let cluster = Cluster::connect();
    let namespace = cluster.namespace("largest");
    let expr: Vec<String> = (1..=199).map(|i| format!("python step.py {i}")).collect();
    let dir = temp_dir("largest");
    let pod = fixture_in_namespace(dir.path(), "z2jh-dynamic-pod.yaml", &namespace);
    let rendered = run(
        &[
            "render",
            "--pod-file",
            &pod,
            "--workdir",
            "/home/jovyan",
            "-n",
            &namespace,
            "-o",
            "json",
            "-c",
            &expr.join(" >> "),
        ],
        &[],
        None,
    );
    rendered.assert_ok();
    let (ok, _, stderr) = kubectl(
        &cluster.plane,
        &["create", "--validate=strict", "-f", "-"],
        Some(&rendered.stdout),
    );
    assert!(ok, "199 steps were refused: {stderr}");
    assert_eq!(cluster.list(&namespace, "workflows").len(), 1);

    let mut too_many = manifest(&rendered.stdout);
    let templates = too_many["spec"]["templates"].as_array_mut().unwrap();
    assert_eq!(templates.len(), 200);
    let mut extra = templates.last().unwrap().clone();
    extra["name"] = Value::from("job-200");
    templates.push(extra);
    let (ok, _, stderr) = kubectl(
        &cluster.plane,
        &["create", "--validate=strict", "-f", "-"],
        Some(&too_many.to_string()),
    );
    assert!(!ok, "201 templates were accepted");
    assert!(stderr.contains("spec.templates"), "{stderr}");

    let mut two_types = manifest(&rendered.stdout);
    two_types["spec"]["templates"][1]["dag"] = serde_json::json!({"tasks": []});
    let (ok, _, stderr) = kubectl(
        &cluster.plane,
        &["create", "--validate=strict", "-f", "-"],
        Some(&two_types.to_string()),
    );
    assert!(!ok, "a template with two types was accepted");
    assert!(stderr.contains("spec.templates[1]"), "{stderr}");
    assert_eq!(cluster.list(&namespace, "workflows").len(), 1);
}

/// A real pipe: the binary reads the pod from the API, kubectl creates what it prints.
#[test]
#[ignore = "needs cluster"]
fn a_rendered_manifest_pipes_into_kubectl_create() {
    let nb = Notebook::new("pipe", "static-storage-pod.yaml", false);
    let rendered = run(
        &[
            "render",
            "--pod",
            &nb.pod,
            "-n",
            &nb.namespace,
            "--kubeconfig",
            &nb.kubeconfig,
            "--workdir",
            "/home/jovyan/experiments",
            "-f",
            &fixture("pipelines/training.yaml"),
        ],
        &[],
        None,
    );
    rendered.assert_ok();
    let (ok, stdout, stderr) = kubectl(
        &nb.cluster.plane,
        &["create", "-f", "-"],
        Some(&rendered.stdout),
    );
    assert!(ok, "{stderr}");
    assert!(
        stdout.starts_with("workflow.argoproj.io/training-"),
        "{stdout}"
    );
    assert_eq!(nb.workflows().len(), 1);
}

/// `argo lint --offline` on every golden, with the argo CLI `scripts/control-plane.sh
/// build-argo` caches. Without it the test fails, unless JF_SKIP_ARGO_LINT=1 says to skip it.
#[test]
#[ignore = "needs cluster"]
fn every_golden_manifest_passes_argo_lint() {
    let Some(argo) = std::env::var_os("JF_TEST_ARGO_BIN").filter(|p| Path::new(p).is_file()) else {
        if std::env::var("JF_SKIP_ARGO_LINT").as_deref() == Ok("1") {
            eprintln!("skipped: JF_SKIP_ARGO_LINT=1 and no argo CLI (scripts/control-plane.sh build-argo)");
            return;
        }
        panic!(
            "no argo CLI: $JF_TEST_ARGO_BIN is unset; build it with `scripts/control-plane.sh build-argo` \
             (scripts/e2e.sh does), or set JF_SKIP_ARGO_LINT=1 to skip this check"
        );
    };
    let dir = temp_dir("lint");
    let lint = |file: &Path| {
        std::process::Command::new(&argo)
            .args(["lint", "--offline"])
            .arg(file)
            .env("HOME", dir.path())
            .env_remove("KUBECONFIG")
            .output()
            .unwrap()
    };
    // The linter does check: an entrypoint that names no template is an error.
    let broken = dir.path().join("broken.yaml");
    std::fs::write(
        &broken,
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: x-}\n\
         spec: {entrypoint: missing, templates: [{name: main, container: {image: busybox}}]}\n",
    )
    .unwrap();
    assert!(
        !lint(&broken).status.success(),
        "argo lint accepted a broken workflow"
    );
    for (name, text) in golden_manifests() {
        let extension = if text.trim_start().starts_with('{') {
            "json"
        } else {
            "yaml"
        };
        let file = dir.path().join(format!("{name}.{extension}"));
        std::fs::write(&file, &text).unwrap();
        let output = lint(&file);
        assert!(
            output.status.success(),
            "{name}: argo lint --offline failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

// ---- no cluster needed ------------------------------------------------------------------------

/// examples/rbac.yaml is the README's admin section, word for word (plus a comment header).
#[test]
fn the_rbac_example_is_the_readme_role() {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let example = std::fs::read_to_string(Path::new(ROOT).join("examples/rbac.yaml")).unwrap();
    let start = readme
        .find("kind: ServiceAccount")
        .expect("the README shows the ServiceAccount");
    let block_start = readme[..start].rfind("```yaml\n").unwrap() + "```yaml\n".len();
    let block_end = block_start + readme[block_start..].find("```").unwrap();
    let block = &readme[block_start..block_end];
    let body: String = example
        .lines()
        .skip_while(|l| l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        body, block,
        "examples/rbac.yaml and the README's Role differ"
    );
}
