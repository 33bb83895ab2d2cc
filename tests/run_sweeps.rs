//! Run tests of sweeps on the simulated cluster (see tests/runs.rs): the points of a sweep run
//! as parallel pods, at most `--parallelism` at once, each with its own values, and the step
//! after a sweep starts only when every point has finished.
//! Marked `#[ignore = "needs cluster"]`; run by `scripts/e2e.sh`.

mod common;

use common::notebook::Notebook;
use common::simulated::{main_container, require_simulated_cluster, RUN_TIMEOUT};
use kubectl_jupyterflow::render::sweep::NODE_STATUS_BYTES;
use serde_json::Value;

/// A z2jh notebook whose home is shared (ReadWriteMany), so points may spread over nodes.
fn notebook(label: &str) -> Notebook {
    require_simulated_cluster();
    let nb = Notebook::new(label, "z2jh-dynamic-pod.yaml", true);
    nb.cluster
        .create_bound_claim(&nb.namespace, "claim-alice", &["ReadWriteMany"]);
    nb
}

fn submit_and_wait(nb: &Notebook, args: &[&str]) -> (String, Value) {
    let name = nb.submit(args);
    let workflow = nb
        .cluster
        .wait_for_workflow(&nb.namespace, &name, RUN_TIMEOUT);
    assert_eq!(
        workflow["status"]["phase"],
        "Succeeded",
        "{}\n{}",
        workflow["status"]["message"],
        nb.cluster.describe_pods(&nb.namespace)
    );
    (name, workflow)
}

/// A pod node of the status: (display name, startedAt, finishedAt), times as Argo writes them
/// (RFC 3339, whole seconds, UTC: they compare as strings).
fn pod_nodes(workflow: &Value) -> Vec<(String, String, String)> {
    let nodes = workflow["status"]["nodes"].as_object().unwrap();
    let mut pods: Vec<(String, String, String)> = nodes
        .values()
        .filter(|node| node["type"] == "Pod")
        .map(|node| {
            let field = |name: &str| node[name].as_str().unwrap_or_default().to_string();
            (
                field("displayName"),
                field("startedAt"),
                field("finishedAt"),
            )
        })
        .collect();
    pods.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    pods
}

/// The most pods running at one time. The controller starts a pod only after it has seen
/// another finish, so a start at the second another finished does not count as overlap.
fn most_at_once(intervals: &[(String, String)]) -> usize {
    intervals
        .iter()
        .map(|(start, _)| {
            intervals
                .iter()
                .filter(|(other_start, other_end)| other_start <= start && start < other_end)
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// `--parallelism 2` over six points: two run at once and never more; eval starts after the
/// last point has finished, and each point's pod got its own value.
#[test]
#[ignore = "needs cluster"]
fn sweep_points_overlap_up_to_parallelism_and_the_next_step_waits_for_all() {
    let nb = notebook("sweep-run");
    let (name, workflow) = submit_and_wait(
        &nb,
        &[
            "-c",
            "python prep.py >> python train.py --seed {1..6} >> python eval.py",
            "--parallelism",
            "2",
        ],
    );
    let pods = pod_nodes(&workflow);
    let points: Vec<&(String, String, String)> = pods
        .iter()
        .filter(|(display, ..)| display.starts_with("job-2("))
        .collect();
    let mut shown: Vec<&str> = points
        .iter()
        .map(|(display, ..)| display.as_str())
        .collect();
    shown.sort();
    assert_eq!(
        shown,
        [
            "job-2(0:1)",
            "job-2(1:2)",
            "job-2(2:3)",
            "job-2(3:4)",
            "job-2(4:5)",
            "job-2(5:6)"
        ],
        "Argo shows each point's value in its node name"
    );
    let (_, prep_start, prep_end) = pods.iter().find(|(d, ..)| d == "job-1").unwrap();
    let (_, eval_start, _) = pods.iter().find(|(d, ..)| d == "job-3").unwrap();
    assert!(prep_start <= prep_end);
    for (display, start, end) in &points {
        assert!(start >= prep_end, "{display} started before prep finished");
        assert!(eval_start >= end, "eval started before {display} finished");
    }
    let intervals: Vec<(String, String)> = points
        .iter()
        .map(|(_, start, end)| (start.clone(), end.clone()))
        .collect();
    assert_eq!(
        most_at_once(&intervals),
        2,
        "points did not run two at a time: {points:#?}"
    );

    // Each point's pod ran the command with its own seed.
    let mut seeds: Vec<String> = nb
        .cluster
        .workflow_pods(&nb.namespace, &name)
        .iter()
        .filter_map(|pod| {
            let command = main_container(pod).command.clone().unwrap_or_default();
            let args = main_container(pod).args.clone().unwrap_or_default();
            let argv = [command, args].concat();
            let at = argv.iter().position(|word| word == "--seed")?;
            argv.get(at + 1).cloned()
        })
        .collect();
    seeds.sort();
    assert_eq!(seeds, ["1", "2", "3", "4", "5", "6"]);

    // What render assumes each point adds to the Workflow object stays an upper bound.
    let nodes = workflow["status"]["nodes"].as_object().unwrap();
    let largest = nodes
        .values()
        .filter(|node| node["type"] == "Pod")
        .map(|node| node.to_string().len())
        .max()
        .unwrap();
    assert!(
        largest <= NODE_STATUS_BYTES,
        "a point's status is {largest} bytes, more than render's estimate of {NODE_STATUS_BYTES}"
    );
}

/// Without a limit, a sweep inside a group runs all its points at once, beside the group's
/// other branch; the join waits for both.
#[test]
#[ignore = "needs cluster"]
fn a_sweep_in_a_group_runs_its_points_side_by_side() {
    let nb = notebook("sweep-group");
    let (_, workflow) = submit_and_wait(
        &nb,
        &[
            "-c",
            "python prep.py >> [python train.py --lr {0.1,0.01} --layers {2,4}, python baseline.py] >> python eval.py",
        ],
    );
    let pods = pod_nodes(&workflow);
    let points: Vec<(String, String)> = pods
        .iter()
        .filter(|(display, ..)| display.starts_with("job-2("))
        .map(|(_, start, end)| (start.clone(), end.clone()))
        .collect();
    assert_eq!(points.len(), 4, "{pods:#?}");
    assert!(
        most_at_once(&points) >= 2,
        "the points ran one after the other: {pods:#?}"
    );
    let (_, eval_start, _) = pods.iter().find(|(d, ..)| d == "job-4").unwrap();
    for (display, _, end) in &pods {
        if display != "job-4" {
            assert!(eval_start >= end, "eval started before {display} finished");
        }
    }
}

/// The argv of each pod's main container (Argo's executor wraps it: the step's own words end it).
fn pod_argvs(nb: &Notebook, workflow: &str) -> Vec<Vec<String>> {
    nb.cluster
        .workflow_pods(&nb.namespace, workflow)
        .iter()
        .map(|pod| {
            let container = main_container(pod);
            [
                container.command.clone().unwrap_or_default(),
                container.args.clone().unwrap_or_default(),
            ]
            .concat()
        })
        .collect()
}

/// A workflow file's per-job `parallelism: 2` caps that sweep alone.
#[test]
#[ignore = "needs cluster"]
fn a_jobs_own_parallelism_caps_its_points() {
    let nb = notebook("sweep-file-run");
    let file = nb.dir.path().join("grid.yaml");
    std::fs::write(
        &file,
        "jobs:\n- name: train\n  command: python train.py --lr {lr}\n  sweep: {lr: [\"0.1\", \"0.2\", \"0.3\", \"0.4\", \"0.5\"]}\n  parallelism: 2\n",
    )
    .unwrap();
    let (_, workflow) = submit_and_wait(&nb, &["-f", file.to_str().unwrap()]);
    let points: Vec<(String, String)> = pod_nodes(&workflow)
        .into_iter()
        .filter(|(display, ..)| display.starts_with("train("))
        .map(|(_, start, end)| (start, end))
        .collect();
    assert_eq!(points.len(), 5, "{workflow:#}");
    assert_eq!(most_at_once(&points), 2, "{points:#?}");
}

/// Each point of a notebook sweep writes its own executed notebook, in a folder of its run:
/// Argo filled in the workflow's name and the point's values.
#[test]
#[ignore = "needs cluster"]
fn notebook_sweep_points_write_separate_notebooks_of_their_run() {
    let nb = notebook("notebook-sweep-run");
    let (name, _) = submit_and_wait(
        &nb,
        &[
            "-c",
            "prep.ipynb >> train.ipynb -p lr {0.1,0.01} -p epochs 5",
        ],
    );
    let mut outputs: Vec<String> = pod_argvs(&nb, &name)
        .into_iter()
        .filter_map(|argv| {
            if let Some(at) = argv.iter().position(|word| word == "--output-dir") {
                return Some(format!("{}/{}.ipynb", argv[at + 1], argv[at + 3]));
            }
            let at = argv.iter().position(|word| word == "train.ipynb")?;
            argv.get(at + 1).cloned()
        })
        .collect();
    outputs.sort();
    assert_eq!(
        outputs,
        [
            format!("jupyterflow-runs/{name}/job-1.ipynb"),
            format!("jupyterflow-runs/{name}/job-2/lr=0.01.ipynb"),
            format!("jupyterflow-runs/{name}/job-2/lr=0.1.ipynb"),
        ]
    );
}
