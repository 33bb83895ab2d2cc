//! Run tests of the run policy on the simulated cluster (`scripts/e2e.sh`): a failing step is
//! retried `--retries` times, a step past its `--step-timeout` and a pipeline past its
//! `--deadline` fail, a run is found by its `--label`s, and the clean-up Argo is given is the
//! one rendered.
//! Marked `#[ignore = "needs cluster"]`; each test works in its own namespace.

mod common;

use common::kubectl;
use common::notebook::Notebook;
use common::simulated::{main_container, require_simulated_cluster, steps, RUN_TIMEOUT};
use k8s_openapi::api::core::v1::Pod;
use serde_json::Value;

fn notebook(label: &str) -> Notebook {
    require_simulated_cluster();
    let nb = Notebook::new(label, "z2jh-dynamic-pod.yaml", true);
    nb.cluster
        .create_bound_claim(&nb.namespace, "claim-alice", &["ReadWriteMany"]);
    nb
}

/// `--retries 2`: the failing step runs three times (three pods), then the workflow fails and
/// the step after it never starts; the step before it ran once.
#[test]
#[ignore = "needs cluster"]
fn a_failing_step_is_retried_n_times_then_fails_the_workflow() {
    let nb = notebook("retries");
    let name = nb.submit(&[
        "-c",
        "python prep.py >> false >> python eval.py",
        "--retries",
        "2",
    ]);
    // Two waits of 10 s and 20 s between the three attempts.
    let workflow: Value = nb.cluster.wait_for_workflow(
        &nb.namespace,
        &name,
        RUN_TIMEOUT + std::time::Duration::from_secs(30),
    );
    assert_eq!(
        workflow["status"]["phase"], "Failed",
        "{:#}",
        workflow["status"]
    );
    let pods = nb.cluster.workflow_pods(&nb.namespace, &name);
    let attempts_of = |step: &str| attempts(&pods, step).len();
    assert_eq!(
        attempts_of("job-1"),
        1,
        "{}",
        nb.cluster.describe_pods(&nb.namespace)
    );
    assert_eq!(
        attempts_of("job-2"),
        3,
        "{}",
        nb.cluster.describe_pods(&nb.namespace)
    );
    assert_eq!(
        attempts_of("job-3"),
        0,
        "{}",
        nb.cluster.describe_pods(&nb.namespace)
    );
    assert_eq!(pods.len(), 4, "{}", nb.cluster.describe_pods(&nb.namespace));
}

/// The clean-up defaults reach Argo as rendered: a failed run is kept a week, a succeeded one a
/// day, and the pods of a succeeded run go an hour after it ends (so they are still there now).
#[test]
#[ignore = "needs cluster"]
fn clean_up_defaults_are_stored_and_a_succeeded_runs_pods_stay_for_a_while() {
    let nb = notebook("cleanup");
    let name = nb.submit(&["-c", "python prep.py"]);
    let workflow = nb
        .cluster
        .wait_for_workflow(&nb.namespace, &name, RUN_TIMEOUT);
    assert_eq!(
        workflow["status"]["phase"], "Succeeded",
        "{:#}",
        workflow["status"]
    );
    let spec = &workflow["spec"];
    assert_eq!(spec["ttlStrategy"]["secondsAfterFailure"], 604_800);
    assert_eq!(spec["ttlStrategy"]["secondsAfterSuccess"], 86_400);
    assert_eq!(spec["podGC"]["strategy"], "OnWorkflowSuccess");
    assert_eq!(nb.cluster.workflow_pods(&nb.namespace, &name).len(), 1);
}

/// `--on-exit`: the exit handler runs after a failed pipeline too, once the failed step is
/// done; its pod gets the shared container (templateDefaults) and Argo's outcome in
/// `$WORKFLOW_STATUS`.
#[test]
#[ignore = "needs cluster"]
fn the_exit_handler_runs_after_a_failure_and_is_told_the_outcome() {
    let nb = notebook("on-exit");
    let name = nb.submit(&[
        "-c",
        "python prep.py >> false",
        "--on-exit",
        "python notify.py \"$WORKFLOW_STATUS\"",
    ]);
    let workflow = nb
        .cluster
        .wait_for_workflow(&nb.namespace, &name, RUN_TIMEOUT);
    let status = &workflow["status"];
    assert_eq!(status["phase"], "Failed", "{status:#}");
    let nodes = status["nodes"].as_object().expect("status.nodes");
    let node = |display: &str| {
        nodes
            .values()
            .find(|n| n["displayName"] == display)
            .unwrap_or_else(|| panic!("no node {display}: {status:#}"))
    };
    let (failed, exit) = (node("job-2"), node(&format!("{name}.onExit")));
    assert_eq!(failed["phase"], "Failed", "{status:#}");
    assert_eq!(exit["phase"], "Succeeded", "{status:#}");
    let (failed_at, exit_started) = (
        failed["finishedAt"].as_str().unwrap(),
        exit["startedAt"].as_str().unwrap(),
    );
    assert!(exit_started >= failed_at, "{status:#}");

    let pods = nb.cluster.workflow_pods(&nb.namespace, &name);
    let pod = attempts(&pods, "onExit")
        .into_iter()
        .next()
        .unwrap_or_else(|| {
            panic!(
                "no exit handler pod\n{}",
                nb.cluster.describe_pods(&nb.namespace)
            )
        });
    let main = main_container(pod);
    let env = |name: &str| {
        main.env
            .iter()
            .flatten()
            .find(|var| var.name == name)
            .and_then(|var| var.value.clone())
    };
    assert_eq!(env("WORKFLOW_STATUS").as_deref(), Some("Failed"));
    // From templateDefaults, merged with the handler's own variable.
    assert_eq!(
        env("MLFLOW_TRACKING_URI").as_deref(),
        Some("http://mlflow.ml.svc:5000")
    );
    assert_eq!(main.working_dir.as_deref(), Some("/home/jovyan"));
    assert!(
        main.volume_mounts
            .iter()
            .flatten()
            .any(|m| m.mount_path == "/home/jovyan"),
        "{:?}",
        main.volume_mounts
    );
}

/// How long a simulated step runs (`JF_SIM_RUN_MS`, rounded up to whole seconds).
fn simulated_run_seconds() -> u64 {
    let ms: u64 = std::env::var("JF_TEST_SIM_RUN_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    ms.div_ceil(1000)
}

/// The pods of a workflow whose Argo node name ends with `.step` or `.step(N)` (its attempts).
fn attempts<'a>(pods: &'a [Pod], step: &str) -> Vec<&'a Pod> {
    pods.iter()
        .filter(|pod| {
            pod.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("workflows.argoproj.io/node-name"))
                .is_some_and(|node| {
                    node.contains(&format!(".{step}(")) || node.ends_with(&format!(".{step}"))
                })
        })
        .collect()
}

/// The kubelet's reason and message for a pod past its `activeDeadlineSeconds`.
const DEADLINE_REASON: &str = "DeadlineExceeded";
const DEADLINE_MESSAGE: &str = "Pod was active on the node longer than the specified deadline";

/// `--step-timeout`: a step still running at its timeout fails there, with the kubelet's
/// reason, and is retried like any failed step (`--retries 1`: two attempts, both cut short);
/// a step that ends within its timeout succeeds, and the step after the failed one never starts.
#[test]
#[ignore = "needs cluster"]
fn a_step_past_its_timeout_fails_with_the_deadline_reason_and_is_retried() {
    let nb = notebook("step-timeout");
    // Longer than a simulated step (prep.py), and much shorter than `sleep` (its program's life).
    let timeout = simulated_run_seconds() + 2;
    let sleep = format!("sleep {}", timeout + 20);
    let command = format!("python prep.py >> {sleep} >> python eval.py");
    let timeout_flag = format!("{timeout}s");
    let name = nb.submit(&[
        "-c",
        &command,
        "--step-timeout",
        &timeout_flag,
        "--retries",
        "1",
    ]);
    // One wait of 10 s before the second attempt.
    let workflow = nb.cluster.wait_for_workflow(
        &nb.namespace,
        &name,
        RUN_TIMEOUT + std::time::Duration::from_secs(10),
    );
    let status = &workflow["status"];
    assert_eq!(status["phase"], "Failed", "{status:#}");

    let pods = nb.cluster.workflow_pods(&nb.namespace, &name);
    let describe = || nb.cluster.describe_pods(&nb.namespace);
    let prep = attempts(&pods, "job-1");
    assert_eq!(prep.len(), 1, "{}", describe());
    let prep_status = prep[0].status.clone().unwrap_or_default();
    assert_eq!(
        prep_status.phase.as_deref(),
        Some("Succeeded"),
        "{}",
        describe()
    );
    assert!(attempts(&pods, "job-3").is_empty(), "{}", describe());

    let timed_out = attempts(&pods, "job-2");
    assert_eq!(timed_out.len(), 2, "{}", describe());
    for pod in timed_out {
        let pod_status = pod.status.clone().unwrap_or_default();
        assert_eq!(
            pod_status.phase.as_deref(),
            Some("Failed"),
            "{pod_status:#?}"
        );
        assert_eq!(pod_status.reason.as_deref(), Some(DEADLINE_REASON));
        assert_eq!(pod_status.message.as_deref(), Some(DEADLINE_MESSAGE));
        // Cut at the timeout (whole seconds: the pod's start time is truncated), not at the
        // end of its program.
        let main = pod_status
            .container_statuses
            .iter()
            .flatten()
            .find(|c| c.name == "main")
            .and_then(|c| c.state.as_ref()?.terminated.clone())
            .unwrap_or_else(|| panic!("main has not terminated: {pod_status:#?}"));
        let ran = main
            .finished_at
            .unwrap()
            .0
            .duration_since(main.started_at.unwrap().0)
            .as_secs_f64();
        assert!(
            ran + 1.0 >= timeout as f64 && ran < (timeout + 10) as f64,
            "ran {ran}s with a {timeout}s timeout: {pod_status:#?}"
        );
    }

    // Argo shows the kubelet's message on each attempt of the step.
    let nodes = status["nodes"].as_object().expect("status.nodes");
    let attempt_nodes: Vec<&Value> = nodes
        .values()
        .filter(|n| n["type"] == "Pod" && n["displayName"].as_str().unwrap().starts_with("job-2"))
        .collect();
    assert_eq!(attempt_nodes.len(), 2, "{status:#}");
    for node in attempt_nodes {
        assert_eq!(node["phase"], "Failed", "{status:#}");
        assert_eq!(node["message"], DEADLINE_MESSAGE, "{status:#}");
    }
}

/// `--deadline`: a pipeline still running at its deadline fails then, long before its step's
/// program would have ended, and the next step never starts. Argo enforces it twice: it gives
/// each step's pod the time left as `activeDeadlineSeconds` (so the kubelet ends the pod), and
/// its controller fails a step still running after the deadline ("Step exceeded its deadline");
/// whichever comes first names the failure.
#[test]
#[ignore = "needs cluster"]
fn a_pipeline_past_its_deadline_fails() {
    let nb = notebook("deadline");
    let deadline = 5;
    let deadline_flag = format!("{deadline}s");
    let name = nb.submit(&[
        "-c",
        "sleep 300 >> python eval.py",
        "--deadline",
        &deadline_flag,
    ]);
    let workflow = nb
        .cluster
        .wait_for_workflow(&nb.namespace, &name, RUN_TIMEOUT);
    let status = &workflow["status"];
    assert_eq!(status["phase"], "Failed", "{status:#}");
    assert_eq!(workflow["spec"]["activeDeadlineSeconds"], deadline);

    let steps = steps(&workflow);
    let slow = &steps["job-1"];
    assert_eq!(slow.phase, "Failed", "{status:#}");
    assert!(!steps.contains_key("job-2"), "{status:#}");
    let message = status["nodes"]
        .as_object()
        .unwrap()
        .values()
        .find(|n| n["displayName"] == "job-1")
        .map(|n| n["message"].clone())
        .unwrap();
    assert!(
        message == DEADLINE_MESSAGE || message == "Step exceeded its deadline",
        "job-1 failed for another reason: {status:#}"
    );
    let (started, finished) = (
        status["startedAt"].as_str().unwrap(),
        status["finishedAt"].as_str().unwrap(),
    );
    let seconds = |t: &str| {
        t.parse::<k8s_openapi::jiff::Timestamp>()
            .unwrap_or_else(|err| panic!("{t}: {err}"))
            .as_second()
    };
    let took = seconds(finished) - seconds(started);
    assert!(
        took >= deadline - 1 && took < deadline + 30,
        "the workflow took {took}s with a {deadline}s deadline: {status:#}"
    );

    // The pod got the time left, though the step has no timeout of its own.
    let pods = nb.cluster.workflow_pods(&nb.namespace, &name);
    let pod = attempts(&pods, "job-1")[0];
    let pod_deadline = pod.spec.as_ref().unwrap().active_deadline_seconds;
    assert!(
        pod_deadline.is_some_and(|s| s <= deadline),
        "{pod_deadline:?}"
    );
}

/// `--label`: the workflow carries the labels, so a CI script finds its run with
/// `kubectl get workflows -l ...`, and only that run.
#[test]
#[ignore = "needs cluster"]
fn a_run_is_found_by_its_labels() {
    let nb = notebook("labels");
    let ci_run = format!("ci-run={}", nb.namespace);
    let name = nb.submit(&[
        "-c",
        "python prep.py",
        "--label",
        &ci_run,
        "--label",
        "team=ml",
    ]);
    // Another run in the same namespace, without the labels.
    let other = nb.submit(&["-c", "python prep.py"]);
    let selector = format!("{ci_run},team=ml");
    let (ok, stdout, stderr) = kubectl(
        &nb.cluster.plane,
        &[
            "get",
            "workflows",
            "--all-namespaces",
            "-l",
            &selector,
            "-o",
            "name",
        ],
        None,
    );
    assert!(ok, "kubectl get workflows -l {selector}: {stderr}");
    assert_eq!(
        stdout.trim(),
        format!("workflow.argoproj.io/{name}"),
        "other run: {other}"
    );
    let workflow = nb
        .cluster
        .wait_for_workflow(&nb.namespace, &name, RUN_TIMEOUT);
    assert_eq!(
        workflow["status"]["phase"], "Succeeded",
        "{:#}",
        workflow["status"]
    );
    assert_eq!(workflow["metadata"]["labels"]["team"], "ml");
}

/// A job's own `retries: 2` in a workflow file: that failing step runs three times, while a
/// failing step beside it, with no retries of its own, runs once (the job's retries are in its
/// template only, not in templateDefaults, which every step would inherit).
#[test]
#[ignore = "needs cluster"]
fn a_jobs_own_retries_retry_that_step_only() {
    let nb = notebook("job-retries");
    let file = nb.dir.path().join("pipeline.yaml");
    std::fs::write(
        &file,
        "jobs:\n- python prep.py\n- name: flaky\n  command: \"false\"\n  retries: 2\n\
         - name: fragile\n  command: \"false\"\ndags:\n- 1 >> [flaky, fragile]\n",
    )
    .unwrap();
    let name = nb.submit(&["-f", file.to_str().unwrap()]);
    // Two waits of 10 s and 20 s between flaky's three attempts.
    let workflow = nb.cluster.wait_for_workflow(
        &nb.namespace,
        &name,
        RUN_TIMEOUT + std::time::Duration::from_secs(30),
    );
    let status = &workflow["status"];
    assert_eq!(status["phase"], "Failed", "{status:#}");

    let templates = workflow["spec"]["templates"].as_array().unwrap();
    let retry_limit = |template: &str| {
        let found = templates.iter().find(|t| t["name"] == template).unwrap();
        found["retryStrategy"]["limit"].clone()
    };
    assert_eq!(retry_limit("flaky"), 2);
    assert_eq!(retry_limit("fragile"), Value::Null);
    assert_eq!(
        workflow["spec"]["templateDefaults"].get("retryStrategy"),
        None
    );

    let pods = nb.cluster.workflow_pods(&nb.namespace, &name);
    let describe = || nb.cluster.describe_pods(&nb.namespace);
    assert_eq!(attempts(&pods, "job-1").len(), 1, "{}", describe());
    assert_eq!(attempts(&pods, "flaky").len(), 3, "{}", describe());
    assert_eq!(attempts(&pods, "fragile").len(), 1, "{}", describe());
    assert_eq!(pods.len(), 5, "{}", describe());
    for pod in attempts(&pods, "flaky") {
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
        assert_eq!(phase, Some("Failed"), "{}", describe());
    }
}
