//! `render --submit --wait` and `wait`, against the real control plane that `scripts/e2e.sh`
//! starts (`#[ignore = "needs cluster"]`; run them with `scripts/e2e.sh`).
//!
//! No workflow controller runs on that control plane, so each test moves the Workflow's status
//! itself, as Argo's controller writes it (`status.phase`, `status.nodes`); the run tests on the
//! simulated cluster prove the same outcomes with Argo's real controller. A separate test binary
//! from tests/cluster.rs because one test here restarts kube-apiserver: binaries run one after
//! another, and inside this one that test runs alone (RESTART).

mod common;

use std::net::SocketAddr;
use std::process::Command;
use std::sync::RwLock;
use std::time::Duration;

use common::proxy::{wait_for, CutProxy};
use common::{
    argo_resource, assert_lines_in_order, jupyterflow, kubectl, required_tool, run, temp_dir,
    Cluster, Spawned, ROOT,
};
use kube::api::{DynamicObject, Patch, PatchParams};
use kube::Api;
use serde_json::{json, Value};

/// Taken for writing by the test that restarts kube-apiserver, for reading by all others.
static RESTART: RwLock<()> = RwLock::new(());

fn shared() -> std::sync::RwLockReadGuard<'static, ()> {
    RESTART.read().unwrap_or_else(|e| e.into_inner())
}

const T0: &str = "2026-11-29T10:00:00Z";
const T1: &str = "2026-11-29T10:00:03Z";
const T2: &str = "2026-11-29T10:00:07Z";
const T3: &str = "2026-11-29T10:00:12Z";

/// A notebook (the README's Role, the z2jh pod, a ReadWriteMany home) and the 3-step chain.
struct Notebook {
    nb: common::notebook::Notebook,
}

impl std::ops::Deref for Notebook {
    type Target = common::notebook::Notebook;
    fn deref(&self) -> &Self::Target {
        &self.nb
    }
}

impl Notebook {
    fn new(label: &str) -> Self {
        let nb = common::notebook::Notebook::new(label, "z2jh-dynamic-pod.yaml", false);
        nb.cluster
            .create_claim(&nb.namespace, "claim-alice", &["ReadWriteMany"]);
        Notebook { nb }
    }

    fn render_args<'a>(&'a self, kubeconfig: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec![
            "render",
            "--pod",
            &self.pod,
            "-n",
            &self.namespace,
            "--kubeconfig",
            kubeconfig,
            "--workdir",
            "/home/jovyan",
            "-c",
            "python prep.py >> python train.py >> python eval.py",
        ];
        args.extend_from_slice(extra);
        args
    }

    fn wait_args<'a>(&'a self, target: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec![
            "wait",
            target,
            "-n",
            &self.namespace,
            "--kubeconfig",
            &self.kubeconfig,
        ];
        args.extend_from_slice(extra);
        args
    }

    /// Creates the 3-step workflow with the tool (`render --submit`); returns its name.
    fn submit(&self) -> String {
        let created = run(
            &self.render_args(&self.kubeconfig, &["--submit", "-o", "name"]),
            &[],
            None,
        );
        created.assert_ok();
        created
            .stdout
            .trim()
            .strip_prefix("workflow.argoproj.io/")
            .expect("kind/name on stdout")
            .to_string()
    }

    /// The one workflow in the namespace, once it exists.
    fn the_workflow(&self) -> String {
        let mut name = None;
        assert!(
            wait_for(Duration::from_secs(30), || {
                name = self
                    .workflows()
                    .first()
                    .and_then(|w| w["metadata"]["name"].as_str().map(str::to_string));
                name.is_some()
            }),
            "no workflow was created"
        );
        name.unwrap()
    }

    fn set_status(&self, name: &str, status: Value) {
        set_status(&self.cluster, &self.namespace, name, status);
    }
}

/// Writes a workflow's status as Argo's controller does (the CRD has no status subresource:
/// the controller updates the object).
fn set_status(cluster: &Cluster, namespace: &str, name: &str, status: Value) {
    let api: Api<DynamicObject> = Api::namespaced_with(
        cluster.client.clone(),
        namespace,
        &argo_resource("workflows"),
    );
    cluster
        .block_on(api.patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({ "status": status })),
        ))
        .unwrap_or_else(|err| panic!("patch the status of {name}: {err}"));
}

/// A node of the 3-step chain (tasks job-1..job-3, templates of the same names), as Argo
/// v3.7 records it.
fn step(workflow: &str, task: &str, phase: &str, started: &str, finished: Option<&str>) -> Value {
    let mut node = json!({
        "id": format!("{workflow}-{task}"),
        "name": format!("{workflow}.{task}"),
        "displayName": task,
        "type": "Pod",
        "templateName": task,
        "phase": phase,
        "startedAt": started,
        "boundaryID": workflow,
    });
    if let Some(finished) = finished {
        node["finishedAt"] = json!(finished);
    }
    node
}

fn status(workflow: &str, phase: &str, finished: Option<&str>, steps: Vec<Value>) -> Value {
    let mut nodes = serde_json::Map::new();
    nodes.insert(
        workflow.to_string(),
        json!({"id": workflow, "name": workflow, "displayName": workflow, "type": "DAG",
               "templateName": "pipeline", "phase": phase, "startedAt": T0}),
    );
    for node in steps {
        nodes.insert(node["id"].as_str().unwrap().to_string(), node);
    }
    let mut status = json!({"phase": phase, "startedAt": T0, "nodes": nodes});
    if let Some(finished) = finished {
        status["finishedAt"] = json!(finished);
    }
    status
}

/// The whole run of the chain, one status per step: what the controller writes.
fn chain_statuses(wf: &str) -> Vec<Value> {
    vec![
        status(
            wf,
            "Running",
            None,
            vec![step(wf, "job-1", "Running", T0, None)],
        ),
        status(
            wf,
            "Running",
            None,
            vec![
                step(wf, "job-1", "Succeeded", T0, Some(T1)),
                step(wf, "job-2", "Running", T1, None),
            ],
        ),
        status(
            wf,
            "Running",
            None,
            vec![
                step(wf, "job-2", "Succeeded", T1, Some(T2)),
                step(wf, "job-3", "Running", T2, None),
            ],
        ),
        status(
            wf,
            "Succeeded",
            Some(T3),
            vec![step(wf, "job-3", "Succeeded", T2, Some(T3))],
        ),
    ]
}

/// The binary in the background, stdin written and closed.
fn spawn(args: &[&str], stdin: Option<&str>) -> Spawned {
    let runner = jupyterflow(args);
    match stdin {
        Some(text) => runner.stdin(text).spawn(),
        None => runner.spawn(),
    }
}

// ---- to the end ---------------------------------------------------------------------------

#[test]
#[ignore = "needs cluster"]
fn submit_wait_reports_each_step_and_exits_0_when_it_succeeds() {
    let _shared = shared();
    let nb = Notebook::new("wait-ok");
    let waiting = spawn(
        &nb.render_args(&nb.kubeconfig, &["--submit", "--wait"]),
        None,
    );
    let wf = nb.the_workflow();
    waiting.expect_stderr(&format!("workflow {wf}: Waiting"));
    for next in chain_statuses(&wf) {
        nb.set_status(&wf, next);
    }
    let result = waiting.finish(Duration::from_secs(30));
    result.assert_ok();
    assert_eq!(
        result.stdout,
        format!("workflow.argoproj.io/{wf} created\n")
    );
    // Every change, in order, although the statuses were written faster than one can read:
    // the watch delivers each version.
    assert_lines_in_order(
        &result.stderr,
        &[
            &format!("workflow {wf}: Waiting"),
            &format!("workflow {wf}: Running"),
            "job-1: Running",
            "job-1: Succeeded after 3s",
            "job-2: Running",
            "job-2: Succeeded after 4s",
            "job-3: Running",
            "job-3: Succeeded after 5s",
            &format!("workflow {wf}: Succeeded after 12s"),
        ],
    );
}

#[test]
#[ignore = "needs cluster"]
fn a_failed_step_exits_1_with_argos_message_and_where_its_log_is() {
    let _shared = shared();
    let nb = Notebook::new("wait-fail");
    let wf = nb.submit();
    let waiting = spawn(&nb.wait_args(&wf, &[]), None);
    waiting.expect_stderr(&format!("workflow {wf}: Waiting"));
    let mut failed = step(&wf, "job-2", "Failed", T1, Some(T2));
    failed["message"] = json!("Error (exit code 1)");
    let mut omitted = step(&wf, "job-3", "Omitted", T2, Some(T2));
    omitted["type"] = json!("Skipped");
    let mut end = status(
        &wf,
        "Failed",
        Some(T2),
        vec![
            step(&wf, "job-1", "Succeeded", T0, Some(T1)),
            failed,
            omitted,
        ],
    );
    end["message"] = json!(format!("child '{wf}-job-2' failed"));
    nb.set_status(&wf, end);
    let result = waiting.finish(Duration::from_secs(30));
    assert_eq!(result.code, Some(1), "stderr:\n{}", result.stderr);
    assert_eq!(result.stdout, "");
    assert!(
        result.stderr.contains(&format!(
            "error: workflow {wf} Failed: child '{wf}-job-2' failed\nstep job-2 failed: Error (exit code 1)\n"
        )),
        "{}",
        result.stderr
    );
    // Argo's pod name for the node (no pod runs here, so the log cannot be read: the command).
    let pod = format!("{wf}-job-2-");
    let log_line = result
        .stderr
        .lines()
        .find(|l| l.contains("its log cannot be read from here"))
        .unwrap_or_else(|| panic!("no log line:\n{}", result.stderr));
    assert!(
        log_line.contains(&format!("`kubectl logs {pod}"))
            && log_line.ends_with(&format!(" -c main -n {}`", nb.namespace)),
        "{log_line}"
    );
    assert!(log_line.contains("not found"), "{log_line}");
}

#[test]
#[ignore = "needs cluster"]
fn a_piped_name_is_followed() {
    let _shared = shared();
    let nb = Notebook::new("wait-pipe");
    let rendered = run(&nb.render_args(&nb.kubeconfig, &[]), &[], None);
    rendered.assert_ok();
    let (ok, name, stderr) = kubectl(
        &nb.cluster.plane,
        &["create", "-f", "-", "-o", "name"],
        Some(&rendered.stdout),
    );
    assert!(ok, "{stderr}");
    assert!(name.starts_with("workflow.argoproj.io/"), "{name}");
    let waiting = spawn(&nb.wait_args("-", &[]), Some(&name));
    let wf = nb.the_workflow();
    waiting.expect_stderr(&format!("workflow {wf}: Waiting"));
    for next in chain_statuses(&wf) {
        nb.set_status(&wf, next);
    }
    let result = waiting.finish(Duration::from_secs(30));
    result.assert_ok();
    assert!(
        result
            .stderr
            .contains(&format!("workflow {wf}: Succeeded after 12s")),
        "{}",
        result.stderr
    );
}

#[test]
#[ignore = "needs cluster"]
fn a_finished_workflow_exits_at_once() {
    let _shared = shared();
    let nb = Notebook::new("wait-done");
    let wf = nb.submit();
    for next in chain_statuses(&wf) {
        nb.set_status(&wf, next);
    }
    let result = run(&nb.wait_args(&format!("workflow/{wf}"), &[]), &[], None);
    result.assert_ok();
    assert_eq!(
        result.stderr,
        format!(
            "job-1: Succeeded after 3s\njob-2: Succeeded after 4s\njob-3: Succeeded after 5s\n\
             workflow {wf}: Succeeded after 12s\n"
        )
    );
}

// ---- stopping early -----------------------------------------------------------------------

#[test]
#[ignore = "needs cluster"]
fn a_timeout_exits_124_and_says_how_to_follow_again() {
    let _shared = shared();
    let nb = Notebook::new("wait-timeout");
    let wf = nb.submit();
    nb.set_status(&wf, chain_statuses(&wf).remove(0));
    let result = run(&nb.wait_args(&wf, &["--timeout", "2s"]), &[], None);
    assert_eq!(result.code, Some(124), "stderr:\n{}", result.stderr);
    let ns = &nb.namespace;
    assert!(
        result.stderr.contains(&format!(
            "error: timed out after 2s waiting for workflow {wf} (Running: job-1 Running); it goes \
             on running: follow it again with `kubectl jupyterflow wait {wf} -n {ns}`, or stop and \
             delete it with `kubectl delete workflow {wf} -n {ns}`"
        )),
        "{}",
        result.stderr
    );
    assert!(result.elapsed < Duration::from_secs(10));
}

#[test]
#[ignore = "needs cluster"]
fn ctrl_c_stops_following_and_leaves_the_workflow_running() {
    let _shared = shared();
    let Some(kill) = required_tool("kill", "sends the SIGINT of Ctrl-C") else {
        return;
    };
    let nb = Notebook::new("wait-ctrl-c");
    let wf = nb.submit();
    nb.set_status(&wf, chain_statuses(&wf).remove(0));
    let waiting = spawn(&nb.wait_args(&wf, &[]), None);
    waiting.expect_stderr("job-1: Running");
    waiting.interrupt(&kill);
    let result = waiting.finish(Duration::from_secs(10));
    assert_eq!(result.code, Some(130), "stderr:\n{}", result.stderr);
    assert!(
        result.stderr.contains(&format!(
            "stopped following workflow {wf} (Running: job-1 Running); it goes on running: follow \
             it again with `kubectl jupyterflow wait {wf} -n {}`",
            nb.namespace
        )),
        "{}",
        result.stderr
    );
    let stored = nb.workflows();
    assert_eq!(stored.len(), 1, "the workflow is left in place");
    assert_eq!(stored[0]["status"]["phase"], "Running");
}

// ---- what it does not follow --------------------------------------------------------------

#[test]
#[ignore = "needs cluster"]
fn a_cron_workflow_is_a_usage_error_with_a_hint() {
    let _shared = shared();
    let nb = Notebook::new("wait-cron");
    let result = run(
        &nb.render_args(
            &nb.kubeconfig,
            &["--schedule", "0 3 * * *", "--submit", "--wait"],
        ),
        &[],
        None,
    );
    assert_eq!(result.code, Some(2), "stderr:\n{}", result.stderr);
    assert_eq!(result.stdout, "");
    assert!(
        result
            .stderr
            .starts_with("error: a CronWorkflow has no run to wait for yet")
            && result.stderr.contains("kubectl jupyterflow wait WORKFLOW"),
        "{}",
        result.stderr
    );
    assert!(nb.cluster.list(&nb.namespace, "cronworkflows").is_empty());

    let result = run(&nb.wait_args("cronworkflow/nightly", &[]), &[], None);
    assert_eq!(result.code, Some(2), "stderr:\n{}", result.stderr);
    assert!(
        result
            .stderr
            .contains("-l workflows.argoproj.io/cron-workflow=nightly"),
        "{}",
        result.stderr
    );
}

#[test]
#[ignore = "needs cluster"]
fn a_missing_workflow_is_named_with_its_namespace() {
    let _shared = shared();
    let nb = Notebook::new("wait-missing");
    let result = run(&nb.wait_args("nope-12345", &[]), &[], None);
    let line = result.assert_error();
    assert_eq!(
        line,
        format!(
            "error: workflow \"nope-12345\" not found in namespace {ns:?}; list them with `kubectl \
             get workflows -n {ns}`, or pass -n NAMESPACE",
            ns = nb.namespace
        )
    );
}

// ---- faults -------------------------------------------------------------------------------

/// The network drops while the run goes on (the proxy closes every connection and refuses new
/// ones): the changes made meanwhile are still reported one by one, because the watch resumes
/// from the last resourceVersion it saw instead of reading the current state afresh.
#[test]
#[ignore = "needs cluster"]
fn a_dropped_watch_resumes_from_the_last_version_seen() {
    let _shared = shared();
    let nb = Notebook::new("wait-drop");
    let upstream: SocketAddr = format!("127.0.0.1:{}", nb.cluster.plane.port)
        .parse()
        .unwrap();
    let proxy = CutProxy::start(upstream);
    let token = nb.cluster.notebook_token(&nb.namespace);
    let proxy_dir = temp_dir("wait-drop-proxy");
    let through_proxy = nb
        .cluster
        .plane
        .write_kubeconfig(
            proxy_dir.path(),
            &format!("https://127.0.0.1:{}", proxy.port),
            &token,
            None,
        )
        .display()
        .to_string();
    let waiting = spawn(
        &nb.render_args(&through_proxy, &["--submit", "--wait"]),
        None,
    );
    let wf = nb.the_workflow();
    let mut statuses = chain_statuses(&wf).into_iter();
    nb.set_status(&wf, statuses.next().unwrap());
    waiting.expect_stderr("job-1: Running");

    proxy.cut();
    waiting.expect_stderr(&format!("lost the watch of workflow {wf}"));
    nb.set_status(&wf, statuses.next().unwrap()); // job-1 done, job-2 running
    nb.set_status(&wf, statuses.next().unwrap()); // job-2 done, job-3 running
    proxy.restore();
    waiting.expect_stderr("watch resumed from resourceVersion");
    nb.set_status(&wf, statuses.next().unwrap());

    let result = waiting.finish(Duration::from_secs(60));
    result.assert_ok();
    assert_lines_in_order(
        &result.stderr,
        &[
            "job-1: Running",
            &format!("lost the watch of workflow {wf} ("),
            "job-1: Succeeded after 3s",
            "job-2: Running",
            "job-2: Succeeded after 4s",
            "job-3: Running",
            &format!("workflow {wf}: Succeeded after 12s"),
        ],
    );
    assert!(proxy.connections() >= 2, "it reconnected");
}

/// kube-apiserver stops and starts again (same port and etcd) mid-run. Its new watch cache
/// starts at etcd's current revision, so the version the tool resumes from may be gone (410):
/// it then LISTs and watches on.
#[test]
#[ignore = "needs cluster"]
fn an_api_server_restart_does_not_lose_the_run() {
    let _alone = RESTART.write().unwrap_or_else(|e| e.into_inner());
    let nb = Notebook::new("wait-restart");
    let waiting = spawn(
        &nb.render_args(&nb.kubeconfig, &["--submit", "--wait"]),
        None,
    );
    let wf = nb.the_workflow();
    let mut statuses = chain_statuses(&wf).into_iter();
    nb.set_status(&wf, statuses.next().unwrap());
    waiting.expect_stderr("job-1: Running");

    let restart = Command::new(format!("{ROOT}/scripts/control-plane.sh"))
        .arg("restart-apiserver")
        .output()
        .unwrap();
    assert!(
        restart.status.success(),
        "restart-apiserver: {}",
        String::from_utf8_lossy(&restart.stderr)
    );
    // The admin client's pooled connection died with the server: a new client.
    let admin = Cluster::connect();
    for next in statuses {
        set_status(&admin, &nb.namespace, &wf, next);
    }
    let result = waiting.finish(Duration::from_secs(120));
    result.assert_ok();
    assert!(
        result
            .stderr
            .contains(&format!("lost the watch of workflow {wf}")),
        "{}",
        result.stderr
    );
    assert!(
        result
            .stderr
            .contains(&format!("workflow {wf}: Succeeded after 12s")),
        "{}",
        result.stderr
    );
}
