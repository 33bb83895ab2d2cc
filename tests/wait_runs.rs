//! `render --submit --wait` with Argo's real workflow-controller on the simulated cluster
//! (`scripts/control-plane.sh run --simulated`, as `scripts/e2e.sh` starts it): the tool follows
//! what the controller writes, step by step, to the exit code, and makes no more requests than
//! it needs (counted in the API server's audit log). tests/wait.rs covers the rest of `--wait`
//! (a piped name, Ctrl-C, a dropped watch, a restarted API server) on a plain control plane,
//! writing the status itself. Marked `#[ignore = "needs cluster"]`; each test works in its own
//! namespace.

mod common;

use common::audit::assert_requests_of_notebook;
use common::notebook::Notebook;
use common::simulated::{require_simulated_cluster, steps, RUN_TIMEOUT};
use common::{assert_lines_in_order, jupyterflow, Run};
use serde_json::Value;

const CHAIN: &str = "python prep.py >> python train.py >> python eval.py";
const FAILING_CHAIN: &str = "python prep.py >> false >> python eval.py";

/// A z2jh notebook on its node, its ReadWriteOnce home claim bound (one claim: one PVC GET).
fn notebook(label: &str) -> Notebook {
    require_simulated_cluster();
    let nb = Notebook::new(label, "z2jh-dynamic-pod.yaml", true);
    nb.cluster
        .create_bound_claim(&nb.namespace, "claim-alice", &["ReadWriteOnce"]);
    nb
}

/// `render -c PIPELINE --submit --wait EXTRA...`, to its exit (at most RUN_TIMEOUT).
fn submit_and_wait(nb: &Notebook, pipeline: &str, extra: &[&str]) -> Run {
    let mut args = vec!["-c", pipeline, "--submit", "--wait"];
    args.extend_from_slice(extra);
    jupyterflow(nb.render_args(&args))
        .spawn()
        .finish(RUN_TIMEOUT)
}

/// The name in `workflow.argoproj.io/NAME created`, the one line `--submit` prints.
fn created(result: &Run) -> String {
    let name = result
        .stdout
        .strip_prefix("workflow.argoproj.io/")
        .and_then(|rest| rest.strip_suffix(" created\n"))
        .unwrap_or_else(|| panic!("stdout: {:?}\nstderr:\n{}", result.stdout, result.stderr));
    name.to_string()
}

fn workflow(nb: &Notebook, name: &str) -> Value {
    nb.workflows()
        .into_iter()
        .find(|w| w["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no workflow {name} in {}", nb.namespace))
}

#[test]
#[ignore = "needs cluster"]
fn submit_wait_reports_each_step_of_argos_run_and_exits_0() {
    let nb = notebook("wait-run-ok");
    let result = submit_and_wait(&nb, CHAIN, &[]);
    result.assert_ok();
    let wf = created(&result);
    // The exit comes from the controller's own record.
    assert_eq!(workflow(&nb, &wf)["status"]["phase"], "Succeeded");
    // Each step is reported when it starts (Pending or Running, whichever the controller
    // wrote first) and when it is done, in the chain's order.
    let mut needles = vec![format!("workflow {wf}: Running")];
    for step in ["job-1", "job-2", "job-3"] {
        let started = result
            .stderr
            .lines()
            .find(|l| l.starts_with(&format!("{step}: ")))
            .unwrap_or_else(|| panic!("{step} was never reported:\n{}", result.stderr));
        assert!(
            started == format!("{step}: Pending") || started == format!("{step}: Running"),
            "{step} first reported as {started:?}:\n{}",
            result.stderr
        );
        needles.push(started.to_string());
        needles.push(format!("{step}: Succeeded after "));
    }
    needles.push(format!("workflow {wf}: Succeeded after "));
    let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
    assert_lines_in_order(&result.stderr, &needles);
    assert!(
        !result.stderr.contains("error") && !result.stderr.contains("lost the watch"),
        "{}",
        result.stderr
    );
    // The cost of following: the pod and its one claim, the two access reviews of the steps'
    // account (create and patch of Argo's task results), the create, one watch; no LIST (the
    // create's answer holds the version to watch from) and no log read (nothing failed).
    assert_requests_of_notebook(
        &nb.namespace,
        &[
            ("get pods", 1),
            ("get persistentvolumeclaims", 1),
            ("create selfsubjectaccessreviews", 2),
            ("create workflows", 1),
            ("watch workflows", 1),
        ],
    );
}

#[test]
#[ignore = "needs cluster"]
fn a_failing_step_exits_1_naming_it_with_argos_message_and_how_to_read_its_log() {
    let nb = notebook("wait-run-fail");
    let result = submit_and_wait(&nb, FAILING_CHAIN, &[]);
    assert_eq!(result.code, Some(1), "stderr:\n{}", result.stderr);
    let wf = created(&result);
    let record = workflow(&nb, &wf);
    assert_eq!(record["status"]["phase"], "Failed");
    let node = record["status"]["nodes"]
        .as_object()
        .unwrap()
        .values()
        .find(|n| n["displayName"] == "job-2")
        .unwrap_or_else(|| panic!("no node job-2: {:#}", record["status"]["nodes"]));
    // Argo's words, as the tool must repeat them. Argo v3.7 names the container in a step's
    // message and leaves the workflow's own message empty when a DAG task fails.
    let step_message = node["message"].as_str().unwrap_or_default();
    assert_eq!(step_message, "main: Error (exit code 1)", "{node:#}");
    let mut heading = format!("error: workflow {wf} Failed");
    if let Some(message) = record["status"]["message"].as_str() {
        heading.push_str(&format!(": {message}"));
    }
    assert!(
        result
            .stderr
            .contains(&format!("\n{heading}\nstep job-2 failed: {step_message}\n")),
        "{}",
        result.stderr
    );
    // The pod Argo made for job-2, named as the tool names it in the command.
    let pods = nb.cluster.workflow_pods(&nb.namespace, &wf);
    let pod = pods
        .iter()
        .find(|p| {
            p.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("workflows.argoproj.io/node-name"))
                .is_some_and(|n| *n == format!("{wf}.job-2"))
        })
        .and_then(|p| p.metadata.name.clone())
        .unwrap_or_else(|| panic!("no pod for job-2 among {} pods", pods.len()));
    // KWOK serves no kubelet API (it opens no port), so the API server cannot stream any
    // pod's log here: the tool says why and gives the command instead of the tail.
    let command = format!("`kubectl logs {pod} -c main -n {}`", nb.namespace);
    let log_line = result
        .stderr
        .lines()
        .find(|l| l.starts_with("  its log cannot be read from here ("))
        .unwrap_or_else(|| panic!("no log line:\n{}", result.stderr));
    assert!(
        log_line.ends_with(&format!("; read it with {command}")),
        "{log_line}"
    );
    // The step after the failure never started: Argo marks it Omitted, and so does the report.
    let third: Vec<&str> = result
        .stderr
        .lines()
        .filter(|l| l.starts_with("job-3: "))
        .collect();
    assert_eq!(third, ["job-3: Omitted after 0s"], "{}", result.stderr);
    assert_eq!(steps(&record).len(), 2, "{:#?}", steps(&record));
    // A failure adds one request: the failed step's log.
    assert_requests_of_notebook(
        &nb.namespace,
        &[
            ("get pods", 1),
            ("get persistentvolumeclaims", 1),
            ("create selfsubjectaccessreviews", 2),
            ("create workflows", 1),
            ("watch workflows", 1),
            ("get pods/log", 1),
        ],
    );
}

#[test]
#[ignore = "needs cluster"]
fn the_wait_timeout_exits_124_and_the_workflow_runs_on() {
    let nb = notebook("wait-run-timeout");
    // A 3-step chain takes ~10 s here; 5 s is long enough for the controller to start it.
    let result = submit_and_wait(&nb, CHAIN, &["--wait-timeout", "5s"]);
    assert_eq!(result.code, Some(124), "stderr:\n{}", result.stderr);
    let wf = created(&result);
    let ns = &nb.namespace;
    assert!(
        result.stderr.contains(&format!(
            "error: timed out after 5s waiting for workflow {wf} (Running: "
        )) && result.stderr.contains(&format!(
            "it goes on running: follow it again with `kubectl jupyterflow wait {wf} -n {ns}`"
        )),
        "{}",
        result.stderr
    );
    assert_eq!(workflow(&nb, &wf)["status"]["phase"], "Running");
    // It was left running, and Argo runs it to the end.
    let record = nb.cluster.wait_for_workflow(ns, &wf, RUN_TIMEOUT);
    assert_eq!(record["status"]["phase"], "Succeeded");
    assert_eq!(steps(&record).len(), 3);
}
