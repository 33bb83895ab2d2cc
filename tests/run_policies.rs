//! Run tests of the run policy on the simulated cluster (`scripts/e2e.sh`): a failing step is
//! retried `--retries` times, and the clean-up Argo is given is the one rendered.
//! Marked `#[ignore = "needs cluster"]`; each test works in its own namespace.

mod common;

use common::notebook::Notebook;
use common::simulated::{main_container, require_simulated_cluster, RUN_TIMEOUT};
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
    let attempts_of = |step: &str| {
        pods.iter()
            .filter(|pod| {
                let annotations = pod.metadata.annotations.clone().unwrap_or_default();
                annotations
                    .get("workflows.argoproj.io/node-name")
                    .is_some_and(|node| {
                        node.contains(&format!(".{step}(")) || node.ends_with(&format!(".{step}"))
                    })
            })
            .count()
    };
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
    let pod = pods
        .iter()
        .find(|pod| {
            let annotations = pod.metadata.annotations.clone().unwrap_or_default();
            annotations
                .get("workflows.argoproj.io/node-name")
                .is_some_and(|node| node.ends_with(".onExit"))
        })
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
