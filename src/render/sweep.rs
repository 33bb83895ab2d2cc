//! A sweep in Argo terms: one template with an input parameter per swept value, and one DAG
//! task that runs it `withItems`, one item per point. The manifest grows by one short line
//! per point, never by a template; the step after a sweep depends on its task, which Argo
//! completes when every point has.
//!
//! Argo lists every point in the Workflow's `status.nodes`, so a large sweep makes a large
//! object: [`check_workflow_size`] estimates it and warns before it outgrows what Argo keeps
//! uncompressed (1 MiB) and nears etcd's limit of 1.5 MiB per object.

use std::collections::BTreeMap;

use anyhow::{anyhow, Result};
use k8s_openapi::api::core::v1::Container;

use crate::argo::{Arguments, DagTask, DagTemplate, Inputs, Item, Manifest, Parameter, Template};
use crate::pipeline::{check_step_name, Pipeline, Sweep};

use super::{Action, Report};

/// Argo compresses `status.nodes` (gzip + base64 into `status.compressedNodes`) once the
/// Workflow's JSON is larger than this (`MAX_WORKFLOW_SIZE`, workflow/packer/packer.go); it
/// fails the workflow if even that does not fit.
pub const ARGO_MAX_WORKFLOW_SIZE: usize = 1024 * 1024;

/// Bytes of JSON one finished point adds to `status.nodes` (name with its item, phase, times,
/// host, inputs, resource use, children), measured on Argo v3.7 runs of 2-parameter sweeps:
/// see BENCHMARKS.md, "Sweeps".
pub const NODE_STATUS_BYTES: usize = 700;

/// A sweep with its own `parallelism`: Argo limits the tasks of a DAG template, so the step's
/// template is a DAG of one looping task, with the limit, and the points run `NAME-point`.
pub fn limited_templates(step: &str, sweep: &Sweep, container: Container) -> Result<[Template; 2]> {
    let point = point_template(step);
    check_step_name(&point).map_err(|err| {
        anyhow!("job {step} has its own parallelism, so its points run a template `{point}`: {err}; shorten the job name")
    })?;
    let (arguments, with_items) = loop_over_points(sweep);
    Ok([
        Template {
            name: step.to_string(),
            parallelism: sweep.parallelism.map(i64::from),
            dag: Some(DagTemplate {
                tasks: vec![DagTask {
                    name: step.to_string(),
                    template: point.clone(),
                    dependencies: Vec::new(),
                    arguments: Some(arguments),
                    with_items,
                }],
            }),
            ..Template::default()
        },
        Template {
            name: point,
            inputs: Some(inputs(sweep)),
            container: Some(container),
            ..Template::default()
        },
    ])
}

/// The template that runs each point of a sweep with its own parallelism.
pub fn point_template(step: &str) -> String {
    format!("{step}-point")
}

/// The template's inputs: one parameter per swept value.
pub fn inputs(sweep: &Sweep) -> Inputs {
    Inputs {
        parameters: sweep
            .parameters
            .iter()
            .map(|name| Parameter {
                name: name.clone(),
                value: None,
            })
            .collect(),
    }
}

/// The task's arguments (each parameter from the item) and its items, one per point: a
/// string for a one-parameter sweep, else an object keyed by parameter name.
pub fn loop_over_points(sweep: &Sweep) -> (Arguments, Vec<Item>) {
    let single = sweep.parameters.len() == 1;
    let parameters = sweep
        .parameters
        .iter()
        .map(|name| Parameter {
            name: name.clone(),
            value: Some(if single {
                "{{item}}".to_string()
            } else {
                format!("{{{{item.{name}}}}}")
            }),
        })
        .collect();
    let items = sweep
        .points
        .iter()
        .map(|point| {
            if single {
                Item::Value(point[0].clone())
            } else {
                let object: BTreeMap<String, String> = sweep
                    .parameters
                    .iter()
                    .cloned()
                    .zip(point.iter().cloned())
                    .collect();
                Item::Object(crate::yaml::FlowMap(object))
            }
        })
        .collect();
    (Arguments { parameters }, items)
}

/// Notes what each sweep runs and warns when the Workflow, with one status entry per pod,
/// would be too large for Argo to keep its status readable, or for etcd to store it.
pub fn check_workflow_size(manifest: &Manifest, pipeline: &Pipeline, report: &mut Report) {
    let sweeps: Vec<(&str, &Sweep)> = pipeline
        .steps
        .iter()
        .filter_map(|step| step.sweep.as_ref().map(|sweep| (step.name.as_str(), sweep)))
        .collect();
    if sweeps.is_empty() {
        return;
    }
    let points: usize = sweeps.iter().map(|(_, sweep)| sweep.points.len()).sum();
    for (name, sweep) in &sweeps {
        let capped = match sweep.parallelism {
            Some(limit) => format!(", at most {limit} at once"),
            None => String::new(),
        };
        report.note(
            Action::Add,
            format!("sweep {name}"),
            format!(
                "{} points of {}, one pod each{capped}",
                sweep.points.len(),
                sweep.parameters.join(" x ")
            ),
        );
    }
    let manifest_bytes = serde_json::to_vec(manifest).map_or(0, |json| json.len());
    // The DAG, each step without a sweep, and each sweep's own node above its points.
    let other_nodes = 1 + pipeline.steps.len();
    let estimate = manifest_bytes + (points + other_nodes) * NODE_STATUS_BYTES;
    let kib = |bytes: usize| bytes.div_ceil(1024);
    if estimate <= ARGO_MAX_WORKFLOW_SIZE {
        report.note(
            Action::Add,
            "sweep size",
            format!(
                "{points} points; the Workflow with its status will be about {} KiB of the \
                 {} KiB Argo keeps uncompressed",
                kib(estimate),
                kib(ARGO_MAX_WORKFLOW_SIZE)
            ),
        );
        return;
    }
    let per_point = NODE_STATUS_BYTES + manifest_bytes / (points + other_nodes);
    let room = ARGO_MAX_WORKFLOW_SIZE.saturating_sub(other_nodes * NODE_STATUS_BYTES);
    let fitting = room / per_point;
    report.warnings.push(format!(
        "the sweeps have {points} points: with a status entry per point (about \
         {NODE_STATUS_BYTES} bytes each) the Workflow object grows to about {} KiB, over the \
         1024 KiB at which Argo compresses its node status and near etcd's limit of 1536 KiB \
         per object; about {fitting} points fit: split the sweep into several workflows, or \
         have your admin enable Argo's node status offloading (README: \"Large sweeps\")",
        kib(estimate)
    ));
}
