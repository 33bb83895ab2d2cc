//! Where each step may run, and the GPU plumbing it gets, decided per step: a step that asks
//! for GPUs gets the notebook's GPU placement (GPU node selectors, affinity terms and
//! tolerations, NVIDIA's runtime class and driver variables), the others do not. What all
//! steps share is written once at the workflow level; a step that differs carries its own,
//! whole, since Argo takes a template's `nodeSelector`, `tolerations` and `affinity` instead of
//! the workflow's, not merged with them (its `podSpecPatch` is applied after the workflow's).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Affinity, Toleration};

use super::{Action, Note, Report};
use crate::argo::Template;

/// Which of the steps (the exit handler included) ask for GPUs.
pub(super) struct StepKinds {
    gpu_steps: Vec<String>,
    cpu_steps: usize,
}

impl StepKinds {
    /// `steps`: each step's name and whether it asks for GPUs.
    pub(super) fn new<'a>(steps: impl IntoIterator<Item = (&'a str, bool)>) -> Self {
        let mut kinds = StepKinds {
            gpu_steps: Vec::new(),
            cpu_steps: 0,
        };
        for (name, uses_gpus) in steps {
            if uses_gpus {
                kinds.gpu_steps.push(name.to_string());
            } else {
                kinds.cpu_steps += 1;
            }
        }
        kinds
    }

    /// The version every step shares: the GPU one only when every step asks for GPUs.
    pub(super) fn shared_uses_gpus(&self) -> bool {
        self.cpu_steps == 0 && !self.gpu_steps.is_empty()
    }

    fn mixed(&self) -> bool {
        self.cpu_steps > 0 && !self.gpu_steps.is_empty()
    }

    fn gpu_label(&self) -> String {
        match self.gpu_steps.as_slice() {
            [one] => format!("GPU step {one}"),
            many => format!("GPU steps {}", many.join(", ")),
        }
    }
}

/// A copy rule's result for the steps at large, and for the steps that ask for GPUs.
pub(super) struct Versions<T> {
    pub shared: T,
    pub gpu: T,
}

impl<T> Versions<T> {
    pub(super) fn for_step(&self, uses_gpus: bool) -> &T {
        if uses_gpus {
            &self.gpu
        } else {
            &self.shared
        }
    }
}

/// Runs `rule` (given whether the steps ask for GPUs) for the shared version and, when only
/// some steps ask for GPUs, again for those; the notes of the second run that differ from the
/// first are told for the GPU steps.
pub(super) fn both_versions<T: Clone>(
    kinds: &StepKinds,
    report: &mut Report,
    mut rule: impl FnMut(bool, &mut Report) -> T,
) -> Versions<T> {
    let before = report.notes.len();
    let shared = rule(kinds.shared_uses_gpus(), report);
    if !kinds.mixed() {
        return Versions {
            gpu: shared.clone(),
            shared,
        };
    }
    let mut own = Report::default();
    let gpu = rule(true, &mut own);
    let label = kinds.gpu_label();
    let differing: Vec<Note> = own
        .notes
        .into_iter()
        .filter(|note| !report.notes[before..].contains(note))
        .map(|note| Note {
            field: format!("{} ({label})", note.field),
            ..note
        })
        .collect();
    report.notes.extend(differing);
    for warning in own.warnings {
        if !report.warnings.contains(&warning) {
            report.warnings.push(warning);
        }
    }
    Versions { shared, gpu }
}

/// Where a step's pod may run, as the workflow (or a step) says it.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Placement {
    pub node_selector: BTreeMap<String, String>,
    pub tolerations: Vec<Toleration>,
    pub affinity: Option<Affinity>,
    pub pod_spec_patch: Option<String>,
}

/// Gives a step's template what its placement has of its own: the GPU version for a step that
/// asks for GPUs while others do not, and its job's `node_selector` on top of the workflow's.
pub(super) fn place_step(
    template: &mut Template,
    uses_gpus: bool,
    own_node_selector: &BTreeMap<String, String>,
    placements: &Versions<Placement>,
    report: &mut Report,
) {
    let shared = &placements.shared;
    let wanted = placements.for_step(uses_gpus);
    let name = template.name.clone();
    let mut node_selector = wanted.node_selector.clone();
    for (key, value) in own_node_selector {
        report.note(
            Action::Override,
            format!("{name}.nodeSelector {key}"),
            format!("{value} (workflow file)"),
        );
        node_selector.insert(key.clone(), value.clone());
    }
    let mut own_fields = Vec::new();
    if node_selector != shared.node_selector {
        template.node_selector = node_selector;
        own_fields.push("nodeSelector");
    }
    if wanted.tolerations != shared.tolerations {
        template.tolerations = wanted.tolerations.clone();
        own_fields.push("tolerations");
    }
    if wanted.affinity != shared.affinity {
        template.affinity = wanted.affinity.clone();
        own_fields.push("affinity");
    }
    if wanted.pod_spec_patch != shared.pod_spec_patch {
        template.pod_spec_patch = wanted.pod_spec_patch.clone();
        own_fields.push("podSpecPatch");
    }
    if own_fields.is_empty() {
        return;
    }
    let why = if uses_gpus && wanted != shared {
        "the notebook's GPU placement for this step alone (it asks for GPUs, other steps do not)"
    } else {
        "the workflow's, with the job's own node_selector"
    };
    report.note(
        Action::Add,
        format!("{name}.{}", own_fields.join(", ")),
        why,
    );
}
