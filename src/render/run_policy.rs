//! Retries and timeouts of the steps, the pipeline's deadline, and clean-up of finished
//! workflows: what a notebook user gets unless they say otherwise.
//!
//! Clean-up defaults: a succeeded workflow is deleted a day after it ends, a failed one after a
//! week (its pods, and so its logs, go with it: Argo's pods are owned by the workflow). The
//! pods of a succeeded workflow go an hour after it ends (`podGC`), so a big sweep does not
//! hold hundreds of finished pods for a day; a failed workflow keeps every pod until the
//! workflow goes, so the failed step's log can be read next to the others'.

use std::time::Duration;

use crate::argo::{Backoff, PodGc, RetryStrategy, Template, TtlStrategy, WorkflowSpec};
use crate::config::RunPolicy;

use super::{Action, Report};

pub const KEEP_SUCCEEDED: Duration = Duration::from_secs(24 * 3600);
pub const KEEP_FAILED: Duration = Duration::from_secs(7 * 24 * 3600);
/// Pods of a succeeded workflow, for a last look at their logs.
const SUCCEEDED_PODS_DELAY: &str = "1h";
/// Argo: retry when the program failed (`OnFailure`) and when the pod did (`OnError`: evicted,
/// preempted, its node lost); a notebook user wants a flaky step rerun either way.
const RETRY_POLICY: &str = "Always";
const FIRST_RETRY_AFTER: &str = "10s";
const RETRY_WAIT_FACTOR: i64 = 2;

/// Whole seconds, rounded up (a 500ms timeout must not become 0: no timeout at all).
fn seconds(duration: Duration) -> i64 {
    let whole = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    i64::try_from(whole).unwrap_or(i64::MAX)
}

/// Adds the clean-up and the deadline to the workflow.
pub(super) fn apply_to_workflow(spec: &mut WorkflowSpec, policy: &RunPolicy, report: &mut Report) {
    let (succeeded, failed) = (
        policy.keep_succeeded.unwrap_or(KEEP_SUCCEEDED),
        policy.keep_failed.unwrap_or(KEEP_FAILED),
    );
    spec.ttl_strategy = Some(TtlStrategy {
        seconds_after_success: Some(seconds(succeeded)),
        seconds_after_failure: Some(seconds(failed)),
    });
    report.note(
        Action::Add,
        "ttlStrategy",
        format!(
            "a succeeded workflow is deleted {}s after it ends, a failed one after {}s, with their \
             pods and logs (--keep-succeeded, --keep-failed)",
            seconds(succeeded),
            seconds(failed)
        ),
    );
    spec.pod_gc = Some(PodGc {
        strategy: "OnWorkflowSuccess".to_string(),
        delete_delay_duration: Some(SUCCEEDED_PODS_DELAY.to_string()),
    });
    report.note(
        Action::Add,
        "podGC",
        format!(
            "OnWorkflowSuccess after {SUCCEEDED_PODS_DELAY}: the pods of a succeeded run go an \
             hour after it ends; a failed run keeps every pod (and log) until it is deleted"
        ),
    );
    if let Some(deadline) = policy.deadline {
        spec.active_deadline_seconds = Some(seconds(deadline));
        report.note(
            Action::Add,
            "activeDeadlineSeconds",
            format!(
                "{}: the pipeline fails when still running then (--deadline)",
                seconds(deadline)
            ),
        );
    }
}

/// Adds retries and the timeout to each step template (one with a container): never to a DAG
/// template, where a retry would rerun the whole pipeline or its sweep.
pub(super) fn apply_to_steps(templates: &mut [Template], policy: &RunPolicy, report: &mut Report) {
    let retry = policy
        .retries
        .filter(|&n| n > 0)
        .map(|limit| RetryStrategy {
            limit: i64::from(limit),
            retry_policy: RETRY_POLICY.to_string(),
            backoff: Some(Backoff {
                duration: FIRST_RETRY_AFTER.to_string(),
                factor: RETRY_WAIT_FACTOR,
            }),
        });
    if let Some(limit) = policy.retries.filter(|&n| n > 0) {
        report.note(
            Action::Add,
            "retryStrategy",
            format!(
                "a failed step runs again, up to {limit} more times, after {FIRST_RETRY_AFTER}, then \
                 twice as long each time; also when its pod failed (evicted, node lost) (--retries)"
            ),
        );
    }
    let timeout = policy.step_timeout.map(seconds);
    if let Some(timeout) = timeout {
        report.note(
            Action::Add,
            "activeDeadlineSeconds (each step)",
            format!("{timeout}: a step still running then fails (--step-timeout)"),
        );
    }
    for template in templates.iter_mut().filter(|t| t.container.is_some()) {
        template.retry_strategy = retry.clone();
        template.active_deadline_seconds = timeout;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argo::DagTemplate;
    use k8s_openapi::api::core::v1::Container;

    fn templates() -> Vec<Template> {
        vec![
            Template {
                name: "pipeline".into(),
                dag: Some(DagTemplate::default()),
                ..Template::default()
            },
            Template {
                name: "job-1".into(),
                container: Some(Container::default()),
                ..Template::default()
            },
        ]
    }

    #[test]
    fn defaults_keep_a_failed_run_a_week_and_a_succeeded_one_a_day() {
        let mut spec = WorkflowSpec::default();
        apply_to_workflow(&mut spec, &RunPolicy::default(), &mut Report::default());
        let ttl = spec.ttl_strategy.unwrap();
        assert_eq!(ttl.seconds_after_success, Some(86_400));
        assert_eq!(ttl.seconds_after_failure, Some(604_800));
        assert_eq!(spec.pod_gc.unwrap().strategy, "OnWorkflowSuccess");
        assert_eq!(spec.active_deadline_seconds, None);
    }

    #[test]
    fn flags_change_the_clean_up_and_set_the_deadline_rounded_up() {
        let policy = RunPolicy {
            keep_succeeded: Some(Duration::from_secs(600)),
            keep_failed: Some(Duration::from_millis(1500)),
            deadline: Some(Duration::from_secs(7200)),
            ..RunPolicy::default()
        };
        let mut spec = WorkflowSpec::default();
        apply_to_workflow(&mut spec, &policy, &mut Report::default());
        let ttl = spec.ttl_strategy.unwrap();
        assert_eq!(ttl.seconds_after_success, Some(600));
        assert_eq!(ttl.seconds_after_failure, Some(2));
        assert_eq!(spec.active_deadline_seconds, Some(7200));
    }

    #[test]
    fn retries_and_timeouts_go_to_steps_never_to_the_dag() {
        let policy = RunPolicy {
            retries: Some(3),
            step_timeout: Some(Duration::from_secs(90)),
            ..RunPolicy::default()
        };
        let mut templates = templates();
        apply_to_steps(&mut templates, &policy, &mut Report::default());
        assert!(templates[0].retry_strategy.is_none());
        assert!(templates[0].active_deadline_seconds.is_none());
        let retry = templates[1].retry_strategy.clone().unwrap();
        assert_eq!((retry.limit, retry.retry_policy.as_str()), (3, "Always"));
        assert_eq!(retry.backoff.unwrap().duration, "10s");
        assert_eq!(templates[1].active_deadline_seconds, Some(90));
    }

    #[test]
    fn zero_retries_write_no_retry_strategy() {
        let policy = RunPolicy {
            retries: Some(0),
            ..RunPolicy::default()
        };
        let mut templates = templates();
        apply_to_steps(&mut templates, &policy, &mut Report::default());
        assert!(templates[1].retry_strategy.is_none());
    }
}
