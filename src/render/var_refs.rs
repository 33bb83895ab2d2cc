//! `$(VAR)` references: Kubernetes expands them in a container's `command`, `args`, env values
//! and a mount's `subPathExpr` from the container's own environment, and leaves a reference to
//! an unknown variable as literal text. A variable the steps reference must therefore reach
//! them even when the notebook's copy would be dropped (`subPathExpr: $(JUPYTERHUB_USER)`
//! would otherwise mount a new, empty directory literally named `$(JUPYTERHUB_USER)`).

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Container;

use crate::config::Settings;
use crate::pipeline::Pipeline;

/// The variable names referenced as `$(NAME)` in `text`; `$$(NAME)` is an escaped literal.
pub fn references_in(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        let after = &rest[at + 1..];
        if let Some(escaped) = after.strip_prefix('$') {
            rest = escaped; // `$$` is a literal `$`: what follows is not a reference
            continue;
        }
        if let Some(open) = after.strip_prefix('(') {
            if let Some(close) = open.find(')') {
                let name = &open[..close];
                if is_var_name(name) {
                    names.push(name);
                    rest = &open[close + 1..];
                    continue;
                }
            }
        }
        rest = after;
    }
    names
}

/// Kubernetes' env var names (1.34, relaxed): printable ASCII without `=`; references are
/// only expanded for names without `)`, `$` or spaces, which this keeps simple.
fn is_var_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Every variable the steps reference: in the notebook's mounts (`subPathExpr`) and env
/// values, in the steps' commands, and in env values given by flags, config or jobs.
pub fn referenced_by_steps(
    container: &Container,
    pipeline: &Pipeline,
    settings: &Settings,
) -> BTreeSet<String> {
    let mounts = container
        .volume_mounts
        .iter()
        .flatten()
        .filter_map(|m| m.sub_path_expr.as_deref());
    let notebook_env = container
        .env
        .iter()
        .flatten()
        .filter_map(|e| e.value.as_deref());
    let commands = pipeline
        .steps
        .iter()
        .flat_map(|s| s.command.iter())
        .map(String::as_str);
    let job_env = pipeline
        .steps
        .iter()
        .flat_map(|s| s.overrides.env.values())
        .map(String::as_str);
    let given_env = settings.env.iter().filter_map(|e| e.value.value.as_deref());
    mounts
        .chain(notebook_env)
        .chain(commands)
        .chain(job_env)
        .chain(given_env)
        .flat_map(references_in)
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_found_and_escapes_are_not() {
        assert_eq!(references_in("$(JUPYTERHUB_USER)"), ["JUPYTERHUB_USER"]);
        assert_eq!(
            references_in("home/$(USER_A)/x-$(B.c-d)/$(C)"),
            ["USER_A", "B.c-d", "C"]
        );
        assert!(references_in("$$(NOT_ONE) $HOME ${HOME} $() $(a b) $(open").is_empty());
        assert_eq!(references_in("$$$(REAL)"), ["REAL"]);
        assert_eq!(references_in("price $5 $(X)"), ["X"]);
    }

    #[test]
    fn steps_reference_from_mounts_env_commands_and_given_values() {
        let container: Container = crate::yaml::from_str(
            "name: notebook\n\
             env: [{name: DATA, value: '/data/$(TEAM)'}, {name: TEAM, value: ml}]\n\
             volumeMounts: [{name: home, mountPath: /home/jovyan, subPathExpr: '$(JUPYTERHUB_USER)'}]\n",
        )
        .unwrap();
        let pipeline = crate::pipeline::expression::parse(
            "python a.py --user $(JUPYTERHUB_USER) >> python b.py $$(LITERAL)",
            crate::pipeline::CommandMode::Exec,
        )
        .unwrap();
        let names: Vec<String> = referenced_by_steps(&container, &pipeline, &Settings::default())
            .into_iter()
            .collect();
        assert_eq!(names, ["JUPYTERHUB_USER", "TEAM"]);
    }
}
