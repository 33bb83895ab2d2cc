//! What every step shares is written once, in Argo's `spec.templateDefaults`, and each step
//! keeps only its own fields: a 150-step chain shrinks from ~950 to ~180 bytes a step.
//!
//! Argo's controller merges `templateDefaults` into each template with a strategic merge:
//! a field the step lacks comes from the defaults, a scalar the step sets replaces the
//! default, but lists merge by key (env by name, mounts by path) and maps key by key. So a
//! list or a map is shared only when every step has the very same one; a step whose env or
//! resources differ writes its whole env or resources, and the defaults hold none.

use anyhow::{Context, Result};
use k8s_openapi::api::core::v1::Container;
use serde_json::{Map, Value};

/// Each step's own program, kept in the step even when two steps share it (a reader looks for
/// a step's command in the step).
const OWN_FIELDS: [&str; 2] = ["command", "args"];

/// Moves what the steps' containers have in common into one container for `templateDefaults`
/// and leaves in each step what is its own. `None` when there are no steps.
pub(super) fn share_container_fields(steps: &mut [Container]) -> Result<Option<Container>> {
    if steps.is_empty() {
        return Ok(None);
    }
    let mut objects = steps
        .iter()
        .map(to_object)
        .collect::<Result<Vec<Map<String, Value>>>>()?;
    let mut fields: Vec<String> = objects.iter().flat_map(|o| o.keys().cloned()).collect();
    fields.sort();
    fields.dedup();
    let mut shared = Map::new();
    for field in fields {
        if OWN_FIELDS.contains(&field.as_str()) {
            continue;
        }
        let Some(values) = objects
            .iter()
            .map(|o| o.get(&field).cloned())
            .collect::<Option<Vec<Value>>>()
        else {
            continue; // some step has none, and a default could not be taken away from it
        };
        let common = if values.iter().all(|v| *v == values[0]) {
            values[0].clone()
        } else if values.iter().all(is_scalar) {
            most_common(&values)
        } else {
            continue;
        };
        for object in &mut objects {
            if object.get(&field) == Some(&common) {
                object.remove(&field);
            }
        }
        shared.insert(field, common);
    }
    for (step, object) in steps.iter_mut().zip(objects) {
        *step = from_object(object)?;
    }
    from_object(shared).map(Some)
}

fn to_object(container: &Container) -> Result<Map<String, Value>> {
    match serde_json::to_value(container).context("cannot convert a step's container")? {
        Value::Object(object) => Ok(object),
        _ => unreachable!("a Container serializes as an object"),
    }
}

fn from_object(object: Map<String, Value>) -> Result<Container> {
    serde_json::from_value(Value::Object(object)).context("cannot convert a step's container")
}

fn is_scalar(value: &Value) -> bool {
    matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

/// The value most steps have; of equally common ones, the first step's.
fn most_common(values: &[Value]) -> Value {
    let count = |value: &Value| values.iter().filter(|v| *v == value).count();
    let mut best = &values[0];
    for value in values {
        if count(value) > count(best) {
            best = value;
        }
    }
    best.clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{EnvVar, ResourceRequirements, VolumeMount};
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

    fn step(command: &str, image: &str) -> Container {
        Container {
            name: "main".into(),
            command: Some(vec!["python".into(), command.into()]),
            image: Some(image.into()),
            working_dir: Some("/home/jovyan".into()),
            env: Some(vec![EnvVar {
                name: "A".into(),
                value: Some("1".into()),
                value_from: None,
            }]),
            volume_mounts: Some(vec![VolumeMount {
                name: "home".into(),
                mount_path: "/home/jovyan".into(),
                ..VolumeMount::default()
            }]),
            ..Container::default()
        }
    }

    fn cpu(limit: &str) -> Option<ResourceRequirements> {
        Some(ResourceRequirements {
            limits: Some([("cpu".to_string(), Quantity(limit.into()))].into()),
            ..ResourceRequirements::default()
        })
    }

    #[test]
    fn shared_fields_go_to_the_defaults_and_commands_stay() {
        let mut steps = vec![step("a.py", "img:1"), step("b.py", "img:1")];
        let shared = share_container_fields(&mut steps).unwrap().unwrap();
        assert_eq!(shared.name, "main");
        assert_eq!(shared.image.as_deref(), Some("img:1"));
        assert_eq!(shared.working_dir.as_deref(), Some("/home/jovyan"));
        assert!(shared.command.is_none());
        assert_eq!(shared.env.as_ref().unwrap()[0].name, "A");
        assert_eq!(shared.volume_mounts.as_ref().unwrap().len(), 1);
        for (step, script) in steps.iter().zip(["a.py", "b.py"]) {
            let only_command = Container {
                command: Some(vec!["python".into(), script.into()]),
                ..Container::default()
            };
            assert_eq!(*step, only_command);
        }
    }

    #[test]
    fn one_step_keeps_its_command_too() {
        let mut steps = vec![step("a.py", "img:1")];
        let shared = share_container_fields(&mut steps).unwrap().unwrap();
        assert!(shared.command.is_none());
        assert!(steps[0].command.is_some() && steps[0].image.is_none());
    }

    #[test]
    fn a_scalar_of_most_steps_is_shared_and_the_others_keep_theirs() {
        let mut steps = vec![
            step("a.py", "other:2"),
            step("b.py", "img:1"),
            step("c.py", "img:1"),
        ];
        let shared = share_container_fields(&mut steps).unwrap().unwrap();
        assert_eq!(shared.image.as_deref(), Some("img:1"));
        assert_eq!(steps[0].image.as_deref(), Some("other:2"));
        assert!(steps[1].image.is_none() && steps[2].image.is_none());
    }

    #[test]
    fn a_list_or_map_that_differs_stays_whole_in_every_step() {
        let mut steps = vec![step("a.py", "img:1"), step("b.py", "img:1")];
        steps[1].env.as_mut().unwrap()[0].value = Some("2".into());
        steps[0].resources = cpu("1");
        steps[1].resources = cpu("2");
        let shared = share_container_fields(&mut steps).unwrap().unwrap();
        assert!(shared.env.is_none() && shared.resources.is_none());
        assert_eq!(
            steps[1].env.as_ref().unwrap()[0].value.as_deref(),
            Some("2")
        );
        assert_eq!(steps[0].resources, cpu("1"));
        assert_eq!(steps[1].resources, cpu("2"));
    }

    #[test]
    fn a_field_some_steps_lack_is_not_shared() {
        let mut steps = vec![step("a.py", "img:1"), step("b.py", "img:1")];
        steps[1].resources = cpu("2");
        steps[0].image_pull_policy = Some("Always".into());
        let shared = share_container_fields(&mut steps).unwrap().unwrap();
        assert!(shared.resources.is_none() && shared.image_pull_policy.is_none());
        assert_eq!(steps[1].resources, cpu("2"));
        assert_eq!(steps[0].image_pull_policy.as_deref(), Some("Always"));
    }
}
