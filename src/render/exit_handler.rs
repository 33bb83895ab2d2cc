//! The `--on-exit` step: Argo's `onExit` template, run after the pipeline whatever its outcome,
//! with that outcome in `$WORKFLOW_STATUS`.

use k8s_openapi::api::core::v1::{Container, EnvVar};

/// Argo fills this in for the exit handler: `Succeeded`, `Failed` or `Error`.
const OUTCOME: &str = "{{workflow.status}}";
pub const OUTCOME_VARIABLE: &str = "WORKFLOW_STATUS";

/// Adds `$WORKFLOW_STATUS` to the exit handler's own env. Argo merges a template's env into the
/// shared one (templateDefaults) by name, so this one variable is all the template needs.
pub fn tell_the_outcome(container: &mut Container) {
    container.env.get_or_insert_with(Vec::new).push(EnvVar {
        name: OUTCOME_VARIABLE.to_string(),
        value: Some(OUTCOME.to_string()),
        value_from: None,
    });
}

/// `origin` says where the command was given: `--on-exit`, `workflow file on_exit`, ...
pub fn explain(text: &str, origin: &str) -> String {
    format!(
        "`{text}` runs with /bin/sh -c after the pipeline, also when it failed; \
         ${OUTCOME_VARIABLE} holds the outcome (Succeeded, Failed or Error) ({origin})"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outcome_is_added_after_the_steps_own_env() {
        let mut container = Container {
            env: Some(vec![EnvVar {
                name: "EPOCHS".into(),
                value: Some("5".into()),
                value_from: None,
            }]),
            ..Container::default()
        };
        tell_the_outcome(&mut container);
        let env = container.env.unwrap();
        assert_eq!(env.len(), 2);
        assert_eq!(env[1].name, "WORKFLOW_STATUS");
        assert_eq!(env[1].value.as_deref(), Some("{{workflow.status}}"));

        let mut bare = Container::default();
        tell_the_outcome(&mut bare);
        assert_eq!(bare.env.unwrap()[0].name, "WORKFLOW_STATUS");
    }
}
