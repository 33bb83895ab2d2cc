//! Run tests: workflows the tool writes really run, on the simulated cluster that
//! `scripts/e2e.sh` starts (`scripts/control-plane.sh run --simulated`): kube-scheduler places
//! the step pods on KWOK's fake JupyterHub nodes, KWOK plays each pod's life (a step whose
//! program is `false` fails), and Argo's own workflow-controller drives the DAG.
//! Marked `#[ignore = "needs cluster"]`; each test works in its own namespace.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::notebook::Notebook;
use common::simulated::{
    created_name, main_container, node_of, require_simulated_cluster, steps, CORE_NODE, GPU_NODE,
    RUN_TIMEOUT, USER_NODES,
};
use common::{kubectl, manifest, run, temp_dir, Cluster, ROOT};
use serde_json::{json, Value};

/// The access modes of the claims the fixture pods mount, as their clusters would have them.
fn claim_modes(claim: &str) -> &'static [&'static str] {
    match claim {
        "claim-alice" => &["ReadWriteOnce"], // z2jh's dynamic home
        "home-nfs" => &["ReadWriteMany"],    // a shared NFS home
        "claim-dana" => &["ReadWriteMany"],  // the GPU profile's home on shared storage
        "research-datasets" => &["ReadOnlyMany"],
        other => panic!("no access modes known for claim {other:?}: add it to claim_modes"),
    }
}

/// Bound claims for every claim `workflow` mounts.
fn create_claims_of(cluster: &Cluster, namespace: &str, workflow: &Value) {
    let volumes = workflow["spec"]["volumes"].as_array().cloned();
    for volume in volumes.unwrap_or_default() {
        if let Some(claim) = volume["persistentVolumeClaim"]["claimName"].as_str() {
            cluster.create_bound_claim(namespace, claim, claim_modes(claim));
        }
    }
}

fn wait(nb: &Notebook, name: &str) -> Value {
    nb.cluster
        .wait_for_workflow(&nb.namespace, name, RUN_TIMEOUT)
}

#[track_caller]
fn assert_phase(workflow: &Value, phase: &str) {
    assert_eq!(
        workflow["status"]["phase"], phase,
        "message: {}\nnodes: {:#}",
        workflow["status"]["message"], workflow["status"]["nodes"]
    );
}

/// A z2jh notebook bound to its node, with its home claim bound and `modes`.
fn z2jh_notebook(label: &str, home_modes: &[&str]) -> Notebook {
    require_simulated_cluster();
    let nb = Notebook::new(label, "z2jh-dynamic-pod.yaml", true);
    nb.cluster
        .create_bound_claim(&nb.namespace, "claim-alice", home_modes);
    nb
}

// ---- every golden runs ----------------------------------------------------------------------

/// A Workflow golden of tests/cmd: its name, the manifest, and the arguments and environment
/// (other than HOME) that render it.
struct Golden {
    stem: String,
    manifest: Value,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

/// A path of a trycmd case (relative to tests/cmd) made absolute.
fn case_path(value: &str) -> String {
    if value.starts_with("../") {
        Path::new(ROOT)
            .join("tests/cmd")
            .join(value)
            .display()
            .to_string()
    } else {
        value.to_string()
    }
}

fn workflow_goldens() -> Vec<Golden> {
    let dir = Path::new(ROOT).join("tests/cmd");
    let mut goldens = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("stdout") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        if !text.contains("apiVersion") {
            continue; // an error case: nothing on stdout
        }
        let object = manifest(&text);
        if object["kind"] != "Workflow" {
            continue; // CronWorkflows: cron_workflow_starts_a_run_when_due
        }
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        if stem == "yaml-ambiguous-strings" {
            // A YAML decoding corpus: its node selectors (`yes`, `1:20`, ...) match no node on
            // purpose; tests/yaml_readers.rs and the strict-create and lint tests cover it.
            continue;
        }
        if stem == "chain-150-compact" {
            // 150 steps one after the other take minutes here; the strict-create and lint tests
            // check it, and every_step_pod_gets_the_shared_settings runs its shape.
            continue;
        }
        let case = std::fs::read_to_string(dir.join(format!("{stem}.toml"))).unwrap();
        // `args = [...]` of a trycmd case: TOML basic strings, which JSON reads the same.
        let args_line = case
            .lines()
            .find_map(|l| l.strip_prefix("args = "))
            .unwrap_or_else(|| panic!("no args in {stem}.toml"));
        let args: Vec<String> =
            serde_json::from_str(args_line).unwrap_or_else(|err| panic!("{stem}.toml args: {err}"));
        // `KEY = "value"` lines of its [env.add] table.
        let env = case
            .split_once("[env.add]")
            .map(|(_, table)| table)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| line.split_once(" = "))
            .filter(|(key, _)| *key != "HOME")
            .map(|(key, value)| {
                let value: String = serde_json::from_str(value)
                    .unwrap_or_else(|err| panic!("{stem}.toml env {key}: {err}"));
                (key.to_string(), case_path(&value))
            })
            .collect();
        goldens.push(Golden {
            stem,
            manifest: object,
            args,
            env,
        });
    }
    goldens.sort_by(|a, b| a.stem.cmp(&b.stem));
    assert!(
        goldens.len() >= 6,
        "only {} workflow goldens",
        goldens.len()
    );
    goldens
}

/// The golden's arguments for `--submit` into `namespace`: fixture paths made absolute, its own
/// `-n` and `-o` dropped, the pod file moved into `namespace` (saved in `dir`), since `-n` into
/// another namespace than the pod's is refused while the steps use its claims.
fn submit_args(golden: &Golden, namespace: &str, kubeconfig: &str, dir: &Path) -> Vec<String> {
    let mut args = Vec::new();
    let mut given = golden.args.iter();
    while let Some(arg) = given.next() {
        match arg.as_str() {
            "-n" | "--namespace" | "-o" | "--output" => {
                given.next();
            }
            "--pod-file" => {
                let path = case_path(given.next().unwrap());
                let text = std::fs::read_to_string(&path).unwrap();
                let mut pod: Value = kubectl_jupyterflow::yaml::from_str(&text).unwrap();
                pod["metadata"]["namespace"] = json!(namespace);
                // The fixture's node is not in the simulated cluster: no pinning to it.
                if let Some(spec) = pod["spec"].as_object_mut() {
                    spec.remove("nodeName");
                }
                let moved = dir.join("pod.json");
                std::fs::write(&moved, serde_json::to_string(&pod).unwrap()).unwrap();
                args.push("--pod-file".to_string());
                args.push(moved.display().to_string());
            }
            other => args.push(case_path(other)),
        }
    }
    args.extend(
        [
            "-n",
            namespace,
            "--kubeconfig",
            kubeconfig,
            "--submit",
            "-o",
            "name",
        ]
        .map(String::from),
    );
    args
}

/// Every Workflow golden runs to Succeeded, created both ways a user creates one: `render
/// --submit`, and the manifest piped into `kubectl create -f -`.
#[test]
#[ignore = "needs cluster"]
fn every_workflow_golden_runs_to_succeeded() {
    require_simulated_cluster();
    let cluster = Cluster::connect();
    let home = temp_dir("goldens");
    let mut created = Vec::new();
    for golden in workflow_goldens() {
        // Through the tool, with a notebook account's credentials.
        let namespace = cluster.namespace(&format!("submit-{}", golden.stem));
        cluster.create_rbac(&namespace, None);
        create_claims_of(&cluster, &namespace, &golden.manifest);
        let dir = home.path().join(&namespace);
        std::fs::create_dir_all(&dir).unwrap();
        let kubeconfig = cluster.notebook_kubeconfig(&dir, &namespace, false);
        let args = submit_args(&golden, &namespace, kubeconfig.to_str().unwrap(), &dir);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = golden
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let submitted = run(&args, &env, None);
        submitted.assert_ok();
        created.push((
            format!("{} --submit", golden.stem),
            namespace,
            created_name(&submitted.stdout),
        ));

        // The golden as it is, into a namespace of its own.
        let namespace = cluster.namespace(&format!("pipe-{}", golden.stem));
        create_claims_of(&cluster, &namespace, &golden.manifest);
        let mut object = golden.manifest.clone();
        object["metadata"]["namespace"] = json!(namespace);
        let (ok, stdout, stderr) = kubectl(
            &cluster.plane,
            &["create", "-f", "-", "-o", "name"],
            Some(&object.to_string()),
        );
        assert!(ok, "{}: kubectl create failed: {stderr}", golden.stem);
        created.push((
            format!("{} | kubectl create", golden.stem),
            namespace,
            created_name(&stdout),
        ));
    }
    for (how, namespace, name) in &created {
        let workflow = cluster.wait_for_workflow(namespace, name, RUN_TIMEOUT);
        assert_eq!(
            workflow["status"]["phase"],
            "Succeeded",
            "{how}: {}\n{}",
            workflow["status"]["message"],
            cluster.describe_pods(namespace)
        );
        assert!(!steps(&workflow).is_empty(), "{how}: no step ran");
    }
}

// ---- order -----------------------------------------------------------------------------------

/// A chain's step starts only after its predecessor finished, the branches of a group overlap,
/// and a join waits for every branch; read from the workflow's node status.
#[test]
#[ignore = "needs cluster"]
fn steps_run_in_the_order_of_the_pipeline() {
    let nb = z2jh_notebook("order", &["ReadWriteMany"]);
    let name = nb.submit(&[
        "-c",
        "python prep.py >> [python train.py --lr 0.1, python train.py --lr 0.5] >> python eval.py",
    ]);
    let workflow = wait(&nb, &name);
    assert_phase(&workflow, "Succeeded");
    let steps = steps(&workflow);
    let names: Vec<&str> = steps.keys().map(String::as_str).collect();
    assert_eq!(names, ["job-1", "job-2", "job-3", "job-4"], "{steps:#?}");
    let (prep, small, large, eval) = (
        &steps["job-1"],
        &steps["job-2"],
        &steps["job-3"],
        &steps["job-4"],
    );
    for branch in [small, large] {
        assert!(
            branch.started_at.as_str() >= prep.finished(),
            "{branch:?} started before {prep:?} finished"
        );
        assert!(
            eval.started_at.as_str() >= branch.finished(),
            "the join {eval:?} started before {branch:?} finished"
        );
    }
    assert!(
        small.overlaps(large),
        "the group's branches ran one after the other: {small:?} {large:?}"
    );
}

// ---- failure ---------------------------------------------------------------------------------

/// A failing step fails the workflow, and the steps after it never start.
#[test]
#[ignore = "needs cluster"]
fn a_failing_step_fails_the_workflow_and_nothing_after_it_starts() {
    let nb = z2jh_notebook("fail", &["ReadWriteMany"]);
    let name = nb.submit(&["-c", "python prep.py >> false >> python eval.py"]);
    let workflow = wait(&nb, &name);
    assert_phase(&workflow, "Failed");
    let steps = steps(&workflow);
    assert_eq!(steps["job-1"].phase, "Succeeded", "{steps:#?}");
    assert_eq!(steps["job-2"].phase, "Failed", "{steps:#?}");
    assert!(
        !steps.contains_key("job-3"),
        "the step after the failure started: {steps:#?}"
    );
    let pods = nb.cluster.workflow_pods(&nb.namespace, &name);
    assert_eq!(
        pods.len(),
        2,
        "pods: {}",
        nb.cluster.describe_pods(&nb.namespace)
    );
}

// ---- shared settings -------------------------------------------------------------------------

/// What every step shares is written once (`spec.templateDefaults`); Argo's controller merges
/// it into each step, so every pod has the notebook's image, working directory, mounts, env,
/// resources and security context, and a job's own image, env or resources land on that job's
/// pod alone (Argo's strategic merge: a scalar is replaced, a list merged by key; the tool
/// writes a differing list or map whole, in each step).
#[test]
#[ignore = "needs cluster"]
fn every_step_pod_gets_the_shared_settings_and_only_its_own_overrides() {
    let nb = z2jh_notebook("shared", &["ReadWriteMany"]);
    let file = nb.dir.path().join("pipeline.yaml");
    std::fs::write(
        &file,
        "jobs:\n\
         - python prep.py\n\
         - {name: train, command: python train.py, image: pytorch/pytorch:2.4.0, env: {EPOCHS: 10}}\n\
         - {name: report, command: python report.py, resources: {limits: {cpu: 1, memory: 1Gi}}}\n\
         dags: [job-1 >> train >> report]\n",
    )
    .unwrap();
    let rendered = nb.render(&["-f", file.to_str().unwrap()]);
    rendered.assert_ok();
    let manifest = common::manifest(&rendered.stdout);
    // job-1 writes its command, and the env and resources other jobs change (whole: Argo
    // would merge them); the image, mounts and the rest come from templateDefaults.
    let own = &manifest["spec"]["templates"][1]["container"];
    assert_eq!(
        own.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["command", "env", "resources"],
        "{own:#}"
    );
    let name = nb.submit(&["-f", file.to_str().unwrap()]);
    assert_phase(&wait(&nb, &name), "Succeeded");
    let pods = nb.cluster.workflow_pods(&nb.namespace, &name);
    assert_eq!(pods.len(), 3, "{}", nb.cluster.describe_pods(&nb.namespace));
    let notebook_image = "quay.io/jupyter/scipy-notebook:2024-12-02";
    for pod in &pods {
        let step = pod.metadata.annotations.as_ref().unwrap()["workflows.argoproj.io/node-name"]
            .rsplit('.')
            .next()
            .unwrap()
            .to_string();
        let main = main_container(pod);
        let image = if step == "train" {
            "pytorch/pytorch:2.4.0"
        } else {
            notebook_image
        };
        assert_eq!(main.image.as_deref(), Some(image), "{step}");
        assert_eq!(main.working_dir.as_deref(), Some("/home/jovyan"), "{step}");
        assert_eq!(
            main.image_pull_policy.as_deref(),
            Some("IfNotPresent"),
            "{step}"
        );
        let mounts: Vec<&str> = main
            .volume_mounts
            .iter()
            .flatten()
            .map(|m| m.mount_path.as_str())
            .collect();
        assert!(
            mounts.contains(&"/home/jovyan") && mounts.contains(&"/dev/shm"),
            "{step}: {mounts:?}"
        );
        let env: BTreeMap<&str, Option<&str>> = main
            .env
            .iter()
            .flatten()
            .map(|e| (e.name.as_str(), e.value.as_deref()))
            .collect();
        assert_eq!(
            env.get("MLFLOW_TRACKING_URI"),
            Some(&Some("http://mlflow.ml.svc:5000")),
            "{step}: {env:?}"
        );
        let epochs = (step == "train").then_some(Some("10"));
        assert_eq!(env.get("EPOCHS").cloned(), epochs, "{step}: {env:?}");
        let security = main.security_context.clone().unwrap_or_default();
        assert_eq!(security.run_as_user, Some(1000), "{step}");
        let resources = main.resources.clone().unwrap_or_default();
        let limit = |name: &str| {
            resources
                .limits
                .as_ref()
                .and_then(|l| l.get(name))
                .map(|q| q.0.clone())
        };
        let requests = resources.requests.clone().unwrap_or_default();
        if step == "report" {
            assert_eq!(limit("cpu").as_deref(), Some("1"), "{step}");
            assert_eq!(limit("memory").as_deref(), Some("1Gi"), "{step}");
        } else {
            assert_eq!(limit("cpu").as_deref(), Some("2"), "{step}");
            assert_eq!(
                requests.get("cpu").map(|q| q.0.as_str()),
                Some("500m"),
                "{step}"
            );
        }
        let command = main.command.clone().unwrap_or_default();
        let script = match step.as_str() {
            "job-1" => "prep.py",
            "train" => "train.py",
            _ => "report.py",
        };
        // Argo's executor wraps the command (`argoexec emissary -- python prep.py`).
        assert!(
            command.ends_with(&["python".to_string(), script.to_string()]),
            "{step}: {command:?}"
        );
    }
}

// ---- where steps run -------------------------------------------------------------------------

const SPREADING_PIPELINE: &str =
    "python prep.py >> [python a.py, python b.py, python c.py] >> python eval.py";

/// A ReadWriteOnce home can be mounted on one node only: every step lands on the notebook's.
#[test]
#[ignore = "needs cluster"]
fn read_write_once_home_runs_every_step_on_the_notebook_node() {
    let nb = z2jh_notebook("rwo-run", &["ReadWriteOnce"]);
    let name = nb.submit(&["-c", SPREADING_PIPELINE]);
    assert_phase(&wait(&nb, &name), "Succeeded");
    let pods = nb.cluster.workflow_pods(&nb.namespace, &name);
    assert_eq!(pods.len(), 5);
    for pod in &pods {
        assert_eq!(node_of(pod), USER_NODES[0], "{:?}", pod.metadata.name);
    }
}

/// The Workflow a CronWorkflow's run is (its workflowSpec), created in the notebook's
/// namespace: what Argo's cron controller submits when the schedule is due, without waiting
/// for the minute.
fn submit_a_scheduled_run(nb: &Notebook, cron: &Value) -> String {
    assert_eq!(cron["kind"], "CronWorkflow");
    let run = json!({
        "apiVersion": cron["apiVersion"],
        "kind": "Workflow",
        "metadata": {"generateName": "scheduled-run-", "namespace": nb.namespace},
        "spec": cron["spec"]["workflowSpec"],
    });
    let (ok, stdout, stderr) = kubectl(
        &nb.cluster.plane,
        &["create", "-f", "-", "-o", "name"],
        Some(&run.to_string()),
    );
    assert!(ok, "kubectl create failed: {stderr}");
    created_name(&stdout)
}

/// A schedule on a ReadWriteOnce home is not pinned, but while the notebook runs its steps
/// land on the notebook's node (where the disk is attached), though the least allocated node
/// would otherwise draw the parallel branches away (see read_write_many_home_lets_steps_spread);
/// with the notebook gone, a run still starts and succeeds.
#[test]
#[ignore = "needs cluster"]
fn scheduled_steps_prefer_the_running_notebooks_node_and_start_without_it() {
    let nb = z2jh_notebook("rwo-cron-run", &["ReadWriteOnce"]);
    let rendered = nb.render(&["-c", SPREADING_PIPELINE, "--schedule", "0 3 * * *"]);
    rendered.assert_ok();
    let cron = manifest(&rendered.stdout);

    let name = submit_a_scheduled_run(&nb, &cron);
    assert_phase(&wait(&nb, &name), "Succeeded");
    let pods = nb.cluster.workflow_pods(&nb.namespace, &name);
    assert_eq!(pods.len(), 5);
    for pod in &pods {
        assert_eq!(node_of(pod), USER_NODES[0], "{:?}", pod.metadata.name);
    }

    let (ok, _, stderr) = kubectl(
        &nb.cluster.plane,
        &[
            "delete",
            "pod",
            &nb.pod,
            "-n",
            &nb.namespace,
            "--grace-period=0",
            "--force",
        ],
        None,
    );
    assert!(ok, "kubectl delete pod failed: {stderr}");
    let name = submit_a_scheduled_run(&nb, &cron);
    assert_phase(&wait(&nb, &name), "Succeeded");
    let pods = nb.cluster.workflow_pods(&nb.namespace, &name);
    assert_eq!(pods.len(), 5);
    let nodes: BTreeSet<&str> = pods.iter().map(node_of).collect();
    assert!(
        !nodes.contains(GPU_NODE),
        "a CPU step on the GPU node: {nodes:?}"
    );
}

/// A ReadWriteMany home pins nothing: steps spread over the user pool. Deterministic, not
/// luck: the scheduler prefers the least allocated node, the notebook already holds its
/// requests on one node, so three branches at once cannot all fit on the same node first.
#[test]
#[ignore = "needs cluster"]
fn read_write_many_home_lets_steps_spread() {
    let nb = z2jh_notebook("rwx-run", &["ReadWriteMany"]);
    let name = nb.submit(&["-c", SPREADING_PIPELINE]);
    assert_phase(&wait(&nb, &name), "Succeeded");
    let pods = nb.cluster.workflow_pods(&nb.namespace, &name);
    assert_eq!(pods.len(), 5);
    // "May spread": no step is held to one node (where the scheduler puts them is its choice:
    // a chain often reuses the node its predecessor freed).
    for pod in &pods {
        let required = pod
            .spec
            .as_ref()
            .and_then(|spec| spec.affinity.as_ref())
            .and_then(|affinity| affinity.node_affinity.as_ref())
            .and_then(|node| {
                node.required_during_scheduling_ignored_during_execution
                    .as_ref()
            });
        assert!(required.is_none(), "a step pinned to a node: {required:?}");
    }
    let nodes: BTreeSet<&str> = pods.iter().map(node_of).collect();
    assert!(
        !nodes.contains(GPU_NODE),
        "a CPU step on the GPU node: {nodes:?}"
    );
}

/// The GPU notebook (tests/fixtures/static-storage-pod.yaml) on the GPU node, its claims bound.
fn gpu_notebook(label: &str) -> Notebook {
    require_simulated_cluster();
    let nb = Notebook::new(label, "static-storage-pod.yaml", true);
    for claim in ["home-nfs", "research-datasets"] {
        nb.cluster
            .create_bound_claim(&nb.namespace, claim, claim_modes(claim));
    }
    nb
}

/// `--gpu 1`: the steps ask for a GPU and land on the GPU node.
#[test]
#[ignore = "needs cluster"]
fn gpu_steps_run_on_the_gpu_node() {
    let nb = gpu_notebook("gpu-run");
    let name = nb.submit(&["-c", "python train.py >> python eval.py", "--gpu", "1"]);
    assert_phase(&wait(&nb, &name), "Succeeded");
    let pods = nb.cluster.workflow_pods(&nb.namespace, &name);
    assert_eq!(pods.len(), 2);
    for pod in &pods {
        assert_eq!(node_of(pod), GPU_NODE);
        let resources = main_container(pod).resources.clone().unwrap_or_default();
        let gpu = resources
            .limits
            .unwrap_or_default()
            .get("nvidia.com/gpu")
            .map(|q| q.0.clone());
        assert_eq!(gpu.as_deref(), Some("1"), "{:?}", pod.metadata.name);
    }
}

/// Steps of a GPU notebook rendered without `--gpu` must leave the GPU node to GPU work.
#[test]
#[ignore = "needs cluster"]
fn steps_without_gpu_stay_off_the_gpu_node() {
    let nb = gpu_notebook("no-gpu-run");
    let name = nb.submit(&["-c", "python prep.py >> python report.py"]);
    let workflow = wait(&nb, &name);
    assert_phase(&workflow, "Succeeded");
    let pods = nb.cluster.workflow_pods(&nb.namespace, &name);
    assert_eq!(pods.len(), 2);
    for pod in &pods {
        assert_ne!(node_of(pod), GPU_NODE, "{:?}", pod.metadata.name);
        assert_ne!(node_of(pod), CORE_NODE, "{:?}", pod.metadata.name);
    }
}

/// GPUs per job (tests/fixtures/pipelines/gpu-per-job.yaml): the job with `gpu: 1` runs on
/// the GPU node with the notebook's NVIDIA variables, the others stay off it and see no GPU,
/// `prep` on the user pool's CPU nodes by its own `node_selector`.
#[test]
#[ignore = "needs cluster"]
fn a_gpu_job_and_cpu_jobs_of_one_file_land_on_their_own_nodes() {
    let nb = gpu_notebook("gpu-per-job");
    let file = Path::new(ROOT).join("tests/fixtures/pipelines/gpu-per-job.yaml");
    let name = nb.submit(&["-f", file.to_str().unwrap()]);
    assert_phase(&wait(&nb, &name), "Succeeded");
    let pods = nb.cluster.workflow_pods(&nb.namespace, &name);
    assert_eq!(pods.len(), 3);
    let mut seen = BTreeSet::new();
    for pod in &pods {
        let step = pod
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("workflows.argoproj.io/node-name"))
            .and_then(|node| node.rsplit('.').next())
            .unwrap_or_default()
            .to_string();
        let main = main_container(pod);
        let gpus = main
            .resources
            .as_ref()
            .and_then(|r| r.limits.as_ref())
            .and_then(|l| l.get("nvidia.com/gpu"))
            .map(|q| q.0.clone());
        let visible = main
            .env
            .iter()
            .flatten()
            .find(|e| e.name == "NVIDIA_VISIBLE_DEVICES")
            .and_then(|e| e.value.clone());
        match step.as_str() {
            "train" => {
                assert_eq!(node_of(pod), GPU_NODE);
                assert_eq!(gpus.as_deref(), Some("1"));
                assert_ne!(visible.as_deref(), Some("void"));
            }
            "prep" | "evaluate" => {
                assert_ne!(node_of(pod), GPU_NODE, "{step}");
                assert_eq!(gpus, None, "{step}");
                assert_eq!(visible.as_deref(), Some("void"), "{step}");
                if step == "prep" {
                    assert!(USER_NODES.contains(&node_of(pod)), "{}", node_of(pod));
                }
            }
            other => panic!("unexpected step pod {other:?}"),
        }
        seen.insert(step);
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
}

// ---- schedules -------------------------------------------------------------------------------

/// A CronWorkflow the tool submits starts a Workflow when due, and that run succeeds. Argo's
/// cron controller fires on the minute: this test takes up to a minute and a half.
#[test]
#[ignore = "needs cluster"]
fn cron_workflow_starts_a_run_when_due() {
    let nb = z2jh_notebook("cron-run", &["ReadWriteMany"]);
    let cron = nb.submit(&["-c", "python nightly.py", "--schedule", "* * * * *"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(100);
    let started = loop {
        let runs: Vec<Value> = nb
            .workflows()
            .into_iter()
            .filter(|w| {
                w["metadata"]["labels"]["workflows.argoproj.io/cron-workflow"] == cron.as_str()
            })
            .collect();
        if let Some(first) = runs.first() {
            break first["metadata"]["name"].as_str().unwrap().to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "cron workflow {cron} started no run in 100 s: {:#}",
            nb.cluster.list(&nb.namespace, "cronworkflows")[0]["status"]
        );
        std::thread::sleep(std::time::Duration::from_secs(1));
    };
    assert_phase(&wait(&nb, &started), "Succeeded");
}
