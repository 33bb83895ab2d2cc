//! Before `--submit`: may the steps' service account report their results to Argo?
//!
//! Argo's executor (v3.4+) creates and patches a `workflowtaskresults` object from each step's
//! `wait` container; without that permission every step fails there, a classic first run. The
//! tool can ask the API server only about itself (a SelfSubjectAccessReview, which every
//! authenticated user may make), so it checks when the steps run as its own identity, the usual
//! case in a notebook, and otherwise says that it cannot check.

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::api::PostParams;
use kube::Api;

use crate::argo::Manifest;
use crate::client::{self, Connection, Failure};

const GROUP: &str = "argoproj.io";
const RESOURCE: &str = "workflowtaskresults";
/// What the executor does with it, in the order it does it.
const VERBS: [&str; 2] = ["create", "patch"];

/// The lines to add to the README's Role (examples/rbac.yaml), as they are written there.
pub const ROLE_LINES: &str = "- apiGroups: [argoproj.io]\n  \
                              resources: [workflowtaskresults]\n  \
                              verbs: [create, patch]";

/// The user the API server sees for a service account.
fn service_account_user(namespace: &str, account: &str) -> String {
    format!("system:serviceaccount:{namespace}:{account}")
}

/// A line for stderr when the steps' account cannot report their results, or when that cannot
/// be checked; `None` when it may. At most two reviews, and only when the steps run as the
/// tool's own identity; the second only after the first was allowed.
pub async fn check(connection: &Connection, manifest: &Manifest) -> Option<String> {
    let namespace = &connection.namespace;
    let Some(account) = manifest.workflow_spec().service_account_name.as_deref() else {
        return Some(cannot_check(
            "the steps run as the service account that Argo chooses (no serviceAccountName)",
        ));
    };
    let steps_user = service_account_user(namespace, account);
    match &connection.user {
        Some(user) if *user == steps_user => {}
        Some(user) => {
            return Some(cannot_check(&format!(
                "the steps run as service account {account:?}, not as {user} (this tool's identity)"
            )))
        }
        None => {
            return Some(cannot_check(&format!(
                "the steps run as service account {account:?}, and the credentials ({}) do not say \
                 whether that is this tool's identity",
                connection.source
            )))
        }
    }
    for verb in VERBS {
        match review(connection, verb).await {
            Ok(true) => continue,
            Ok(false) => return Some(missing_permission(account, namespace, verb)),
            Err(reason) => return Some(cannot_check(&reason)),
        }
    }
    None
}

fn cannot_check(why: &str) -> String {
    format!(
        "note: cannot check that the steps may report their results to Argo (create and patch \
         {RESOURCE}.{GROUP}): {why}"
    )
}

fn missing_permission(account: &str, namespace: &str, verb: &str) -> String {
    format!(
        "warning: the steps run as service account {account:?} (this tool's identity), which may \
         not {verb} {RESOURCE}.{GROUP} in namespace {namespace:?}: Argo's executor (v3.4+) needs \
         create and patch there, so every step would fail in its wait container; the workflow is \
         submitted anyway. Ask your admin to add these lines to the Role's rules (README, \
         examples/rbac.yaml):\n{ROLE_LINES}"
    )
}

/// One SelfSubjectAccessReview: whether this tool's identity may `verb` the task results in
/// the connection's namespace. A single attempt: it only decides whether to warn.
async fn review(connection: &Connection, verb: &str) -> Result<bool, String> {
    let api: Api<SelfSubjectAccessReview> = Api::all(connection.client.clone());
    let request = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                namespace: Some(connection.namespace.clone()),
                verb: Some(verb.to_string()),
                group: Some(GROUP.to_string()),
                resource: Some(RESOURCE.to_string()),
                ..ResourceAttributes::default()
            }),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    };
    let mut retry = client::Retry::new();
    match retry
        .attempt(api.create(&PostParams::default(), &request))
        .await
    {
        Ok(answer) => Ok(answer.status.is_some_and(|status| status.allowed)),
        Err(Failure::Status(status)) => Err(format!(
            "the access review was refused ({} {}: {})",
            status.code, status.reason, status.message
        )),
        Err(Failure::Timeout) => Err(format!(
            "the access review got no answer within {}s",
            client::ATTEMPT_TIMEOUT.as_secs()
        )),
        Err(Failure::Connection(err) | Failure::Other(err)) => {
            Err(format!("the access review failed ({err})"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_role_lines_are_the_readme_roles() {
        let role = include_str!("../examples/rbac.yaml");
        let without_comments: String = role
            .lines()
            .map(|line| line.split(" #").next().unwrap_or_default().trim_end())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(without_comments.contains(ROLE_LINES), "{ROLE_LINES}");
    }

    #[test]
    fn the_warning_names_the_permission_and_the_lines_to_add() {
        let warning = missing_permission("notebook", "jhub", "create");
        assert!(warning.starts_with("warning: "), "{warning}");
        assert!(
            warning
                .contains("may not create workflowtaskresults.argoproj.io in namespace \"jhub\""),
            "{warning}"
        );
        assert!(warning.ends_with(&format!(":\n{ROLE_LINES}")), "{warning}");
    }
}
