//! The Jupyter docker-stacks start script (`start.sh`): a notebook container that starts as
//! root (z2jh `singleuser.uid: 0`, for `GRANT_SUDO` or `CHOWN_HOME`) is refitted by that script,
//! which then runs the notebook server as `NB_UID` with primary group `NB_GID`. A step's
//! `command` replaces the image's entrypoint, so the script never runs there: without help
//! the steps run as root and leave root-owned files in the user's home.
//!
//! What the script does for the user's identity, and only that, is done here: run as
//! `NB_UID:NB_GID`, and, when it recreates the user with another group, keep group 100
//! (`users`, which owns conda in docker-stacks images) as a supplementary group.

use k8s_openapi::api::core::v1::{Container, EnvVar, PodSecurityContext, PodSpec, SecurityContext};

use super::{Action, Report};
use crate::config::Settings;

/// The group docker-stacks images give their user, and what `start.sh` assumes without NB_GID.
const USERS_GROUP: i64 = 100;
/// The start script's settings that only make sense when the container starts as root.
const ROOT_ONLY_SETTINGS: [&str; 3] = ["GRANT_SUDO", "CHOWN_HOME", "CHOWN_EXTRA"];

/// Who the start script runs the notebook server as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartScriptUser {
    pub uid: i64,
    pub gid: i64,
}

impl StartScriptUser {
    /// The script adds its user to group 100 only when it recreates the user with another
    /// primary group (`useradd --gid NB_GID --groups 100`); with NB_GID 100 it is the primary.
    pub fn supplementary_group(&self) -> Option<i64> {
        (self.gid != USERS_GROUP).then_some(USERS_GROUP)
    }
}

/// The notebook container's user as its securityContext sets it, else the pod's.
fn starts_as_root(spec: &PodSpec, container: &Container) -> bool {
    let user = container
        .security_context
        .as_ref()
        .and_then(|c| c.run_as_user)
        .or_else(|| spec.security_context.as_ref().and_then(|c| c.run_as_user));
    user == Some(0)
}

fn env<'a>(container: &'a Container, name: &str) -> Option<&'a EnvVar> {
    container.env.iter().flatten().find(|e| e.name == name)
}

/// A literal id: a plain value with a non-negative number, not a reference.
fn literal_id(var: &EnvVar) -> Option<i64> {
    if var.value_from.is_some() {
        return None;
    }
    var.value
        .as_deref()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|id| *id >= 0)
}

/// The user the start script would switch to, when the notebook starts as root and names it
/// with `NB_UID` (and `NB_GID`, 100 when unset). Root without `NB_UID` stays root, with a
/// warning when the start script's root-only settings show it is meant to switch.
pub fn user_after_start_script(
    spec: &PodSpec,
    container: &Container,
    report: &mut Report,
) -> Option<StartScriptUser> {
    if !starts_as_root(spec, container) {
        return None;
    }
    let Some(nb_uid) = env(container, "NB_UID") else {
        let settings: Vec<&str> = ROOT_ONLY_SETTINGS
            .into_iter()
            .filter(|name| env(container, name).is_some())
            .collect();
        if !settings.is_empty() {
            report.warnings.push(format!(
                "the notebook starts as root with {}, which an image's start script acts on \
                 before it switches to the notebook user, but names no NB_UID: the steps run as \
                 root, and files they write are root's; set runAsUser and runAsGroup in the \
                 config file (docker-stacks images use 1000 and 100)",
                settings.join(", ")
            ));
        }
        return None;
    };
    let nb_gid = env(container, "NB_GID");
    let (Some(uid), Some(gid)) = (
        literal_id(nb_uid),
        nb_gid.map_or(Some(USERS_GROUP), literal_id),
    ) else {
        report.warnings.push(
            "the notebook starts as root and its NB_UID or NB_GID is not a plain number: the \
             steps run as root, and files they write are root's; set runAsUser and runAsGroup \
             in the config file"
                .to_string(),
        );
        return None;
    };
    (uid != 0).then_some(StartScriptUser { uid, gid })
}

/// Runs the steps' container as `user`, noting why; a field the config file sets is left to it.
pub fn run_steps_as(
    user: StartScriptUser,
    context: &mut Option<SecurityContext>,
    container: &Container,
    settings: &Settings,
    report: &mut Report,
) {
    let sudo = if env(container, "GRANT_SUDO").is_some() {
        "; sudo, which the script grants for GRANT_SUDO, does not work in the steps"
    } else {
        ""
    };
    let why = format!(
        "the notebook starts as root and its image's start script switches to NB_UID:NB_GID; \
         a step's command bypasses that script, and as root would leave root-owned files in the \
         home{sudo}"
    );
    let context = context.get_or_insert_with(SecurityContext::default);
    if settings.run_as_user.is_none() {
        context.run_as_user = Some(user.uid);
        report.note(
            Action::Override,
            "securityContext.runAsUser",
            format!("{} (NB_UID: {why})", user.uid),
        );
    }
    if settings.run_as_group.is_none() {
        let default = if env(container, "NB_GID").is_none() {
            ", the start script's default"
        } else {
            ""
        };
        context.run_as_group = Some(user.gid);
        report.note(
            Action::Override,
            "securityContext.runAsGroup",
            format!("{} (NB_GID{default})", user.gid),
        );
    }
}

/// Adds group 100 to the pod's supplemental groups when the start script would have.
pub fn add_supplementary_group(
    user: StartScriptUser,
    context: &mut Option<PodSecurityContext>,
    report: &mut Report,
) {
    let Some(group) = user.supplementary_group() else {
        return;
    };
    let groups = context
        .get_or_insert_with(PodSecurityContext::default)
        .supplemental_groups
        .get_or_insert_with(Vec::new);
    if !groups.contains(&group) {
        groups.push(group);
        report.note(
            Action::Add,
            format!("securityContext.supplementalGroups {group}"),
            "the start script keeps its user in group users (100), which owns conda in \
             docker-stacks images, when NB_GID is another group",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::parse_pod;

    fn check(yaml: &str) -> (Option<StartScriptUser>, Report) {
        let pod = parse_pod(yaml).unwrap();
        let spec = pod.spec.unwrap();
        let mut report = Report::default();
        let user = user_after_start_script(&spec, &spec.containers[0], &mut report);
        (user, report)
    }

    fn pod(security: &str, env: &str) -> String {
        format!(
            "kind: Pod\nspec:\n  {security}\n  containers:\n  - name: notebook\n    env: {env}\n"
        )
    }

    fn root_container(env: &str) -> String {
        format!(
            "kind: Pod\nspec:\n  containers:\n  - name: notebook\n    securityContext: {{runAsUser: 0}}\n    env: {env}\n"
        )
    }

    #[test]
    fn root_with_nb_uid_and_nb_gid_runs_as_them() {
        let (user, report) = check(&root_container(
            "[{name: NB_UID, value: '1001'}, {name: NB_GID, value: '2000'}, {name: GRANT_SUDO, value: 'yes'}]",
        ));
        assert_eq!(
            user,
            Some(StartScriptUser {
                uid: 1001,
                gid: 2000
            })
        );
        assert_eq!(user.unwrap().supplementary_group(), Some(100));
        assert!(report.warnings.is_empty());
    }

    #[test]
    fn nb_gid_defaults_to_the_users_group() {
        let (user, _) = check(&root_container("[{name: NB_UID, value: '1000'}]"));
        let user = user.unwrap();
        assert_eq!((user.uid, user.gid), (1000, 100));
        assert_eq!(user.supplementary_group(), None);
    }

    #[test]
    fn a_pod_level_root_counts_unless_the_container_sets_its_own_user() {
        let env = "[{name: NB_UID, value: '1000'}]";
        let (user, _) = check(&pod("securityContext: {runAsUser: 0, fsGroup: 100}", env));
        assert!(user.is_some());
        let overridden = "kind: Pod\nspec:\n  securityContext: {runAsUser: 0}\n  containers:\n  - name: notebook\n    securityContext: {runAsUser: 1000}\n    env: [{name: NB_UID, value: '1000'}]\n";
        assert_eq!(check(overridden).0, None);
    }

    #[test]
    fn a_notebook_that_does_not_start_as_root_is_left_alone() {
        let (user, report) = check(&pod(
            "securityContext: {fsGroup: 100}",
            "[{name: NB_UID, value: '1000'}, {name: GRANT_SUDO, value: 'yes'}]",
        ));
        assert_eq!(user, None);
        assert!(report.warnings.is_empty());
    }

    #[test]
    fn root_without_nb_uid_stays_root_and_warns_only_for_the_scripts_settings() {
        let (user, report) = check(&root_container("[{name: PLAIN, value: x}]"));
        assert_eq!(user, None);
        assert!(report.warnings.is_empty());
        let (user, report) = check(&root_container("[{name: CHOWN_HOME, value: 'yes'}]"));
        assert_eq!(user, None);
        assert!(
            report.warnings[0].contains("with CHOWN_HOME")
                && report.warnings[0].contains("runAsUser"),
            "{:?}",
            report.warnings
        );
    }

    #[test]
    fn ids_that_are_not_plain_numbers_stay_root_with_a_warning() {
        for env in [
            "[{name: NB_UID, value: jovyan}]",
            "[{name: NB_UID, valueFrom: {configMapKeyRef: {name: ids, key: uid}}}]",
            "[{name: NB_UID, value: '1000'}, {name: NB_GID, value: '-1'}]",
        ] {
            let (user, report) = check(&root_container(env));
            assert_eq!(user, None, "{env}");
            assert!(report.warnings[0].contains("not a plain number"), "{env}");
        }
    }

    #[test]
    fn nb_uid_zero_keeps_root() {
        let (user, report) = check(&root_container("[{name: NB_UID, value: '0'}]"));
        assert_eq!(user, None);
        assert!(report.warnings.is_empty());
    }
}
