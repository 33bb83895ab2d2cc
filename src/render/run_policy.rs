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
use crate::pipeline::Step;
use crate::run_policy::{Chosen, ChosenPolicy, Key};

use super::{sweep, Action, Report};

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

/// The chosen value and where it came from, or the built-in default (named with its flag).
fn or_default<T: Copy>(chosen: &Option<Chosen<T>>, key: Key, default: T) -> (T, String) {
    match chosen {
        Some(chosen) => (chosen.value, chosen.origin(key)),
        None => (default, format!("default; {} changes it", key.flag())),
    }
}

/// Adds the clean-up and the deadline to the workflow.
pub(super) fn apply_to_workflow(
    spec: &mut WorkflowSpec,
    policy: &ChosenPolicy,
    report: &mut Report,
) {
    let (succeeded, succeeded_origin) =
        or_default(&policy.keep_succeeded, Key::KeepSucceeded, KEEP_SUCCEEDED);
    let (failed, failed_origin) = or_default(&policy.keep_failed, Key::KeepFailed, KEEP_FAILED);
    spec.ttl_strategy = Some(TtlStrategy {
        seconds_after_success: Some(seconds(succeeded)),
        seconds_after_failure: Some(seconds(failed)),
    });
    report.note(
        Action::Add,
        "ttlStrategy",
        format!(
            "a succeeded workflow is deleted {}s after it ends ({succeeded_origin}), a failed one \
             after {}s ({failed_origin}), with their pods and logs",
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
    if let Some(deadline) = &policy.deadline {
        spec.active_deadline_seconds = Some(seconds(deadline.value));
        report.note(
            Action::Add,
            "activeDeadlineSeconds",
            format!(
                "{}: the pipeline fails when still running then ({})",
                seconds(deadline.value),
                deadline.origin(Key::Deadline)
            ),
        );
    }
}

fn up_to(limit: u32) -> String {
    match limit {
        1 => "up to 1 more time".to_string(),
        _ => format!("up to {limit} more times"),
    }
}

fn retry_strategy(limit: u32) -> Option<RetryStrategy> {
    (limit > 0).then(|| RetryStrategy {
        limit: i64::from(limit),
        retry_policy: RETRY_POLICY.to_string(),
        backoff: Some(Backoff {
            duration: FIRST_RETRY_AFTER.to_string(),
            factor: RETRY_WAIT_FACTOR,
        }),
    })
}

/// Adds retries and the timeout to each step template (one with a container): never to a DAG
/// template, where a retry would rerun the whole pipeline or its sweep. A job's own `retries:`
/// and `timeout:` go into its template only (never into `templateDefaults`, which every step
/// would inherit).
pub(super) fn apply_to_steps(
    templates: &mut [Template],
    steps: &[Step],
    policy: &ChosenPolicy,
    report: &mut Report,
) {
    let retry = policy
        .retries
        .as_ref()
        .and_then(|retries| retry_strategy(retries.value));
    if let Some(retries) = policy.retries.as_ref().filter(|r| r.value > 0) {
        report.note(
            Action::Add,
            "retryStrategy",
            format!(
                "a failed step runs again, {}, after {FIRST_RETRY_AFTER}, then twice as long \
                 each time; also when its pod failed (evicted, node lost) ({})",
                up_to(retries.value),
                retries.origin(Key::Retries)
            ),
        );
    }
    let timeout = policy.step_timeout.as_ref().map(|t| seconds(t.value));
    if let (Some(timeout), Some(chosen)) = (timeout, &policy.step_timeout) {
        report.note(
            Action::Add,
            "activeDeadlineSeconds (each step)",
            format!(
                "{timeout}: a step still running then fails ({})",
                chosen.origin(Key::StepTimeout)
            ),
        );
    }
    for template in templates.iter_mut().filter(|t| t.container.is_some()) {
        template.retry_strategy = retry.clone();
        template.active_deadline_seconds = timeout;
    }
    for step in steps {
        let overrides = &step.overrides;
        if overrides.retries.is_none() && overrides.timeout.is_none() {
            continue;
        }
        // A sweep with its own parallelism runs its points in a template of their own.
        let point = sweep::point_template(&step.name);
        let own = templates
            .iter_mut()
            .filter(|t| t.container.is_some() && (t.name == step.name || t.name == point));
        for template in own {
            if let Some(limit) = overrides.retries {
                template.retry_strategy = retry_strategy(limit);
            }
            if let Some(timeout) = overrides.timeout {
                template.active_deadline_seconds = Some(seconds(timeout));
            }
        }
        if let Some(limit) = overrides.retries {
            let retried = match limit {
                0 => "no retries".to_string(),
                _ => up_to(limit),
            };
            report.note(
                Action::Override,
                format!("{}.retryStrategy", step.name),
                format!("{retried}, for this job only (workflow file, job retries)"),
            );
        }
        if let Some(timeout) = overrides.timeout {
            report.note(
                Action::Override,
                format!("{}.activeDeadlineSeconds", step.name),
                format!(
                    "{}: for this job only (workflow file, job timeout)",
                    seconds(timeout)
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argo::DagTemplate;
    use crate::pipeline::StepOverrides;
    use crate::run_policy::{PolicySources, RunPolicy, Source};
    use k8s_openapi::api::core::v1::Container;

    fn templates(names: &[&str]) -> Vec<Template> {
        let mut templates = vec![Template {
            name: "pipeline".into(),
            dag: Some(DagTemplate::default()),
            ..Template::default()
        }];
        templates.extend(names.iter().map(|name| Template {
            name: name.to_string(),
            container: Some(Container::default()),
            ..Template::default()
        }));
        templates
    }

    fn from_flags(flags: RunPolicy) -> ChosenPolicy {
        PolicySources {
            flags,
            ..PolicySources::default()
        }
        .choose(&RunPolicy::default())
    }

    fn step(name: &str, retries: Option<u32>, timeout: Option<u64>) -> Step {
        Step {
            name: name.into(),
            overrides: StepOverrides {
                retries,
                timeout: timeout.map(Duration::from_secs),
                ..StepOverrides::default()
            },
            ..Step::default()
        }
    }

    #[test]
    fn defaults_keep_a_failed_run_a_week_and_a_succeeded_one_a_day() {
        let mut spec = WorkflowSpec::default();
        let mut report = Report::default();
        apply_to_workflow(&mut spec, &ChosenPolicy::default(), &mut report);
        let ttl = spec.ttl_strategy.unwrap();
        assert_eq!(ttl.seconds_after_success, Some(86_400));
        assert_eq!(ttl.seconds_after_failure, Some(604_800));
        assert_eq!(spec.pod_gc.unwrap().strategy, "OnWorkflowSuccess");
        assert_eq!(spec.active_deadline_seconds, None);
        assert!(report.notes[0]
            .detail
            .contains("86400s after it ends (default; --keep-succeeded changes it)"));
    }

    #[test]
    fn flags_change_the_clean_up_and_set_the_deadline_rounded_up() {
        let policy = from_flags(RunPolicy {
            keep_succeeded: Some(Duration::from_secs(600)),
            keep_failed: Some(Duration::from_millis(1500)),
            deadline: Some(Duration::from_secs(7200)),
            ..RunPolicy::default()
        });
        let mut spec = WorkflowSpec::default();
        apply_to_workflow(&mut spec, &policy, &mut Report::default());
        let ttl = spec.ttl_strategy.unwrap();
        assert_eq!(ttl.seconds_after_success, Some(600));
        assert_eq!(ttl.seconds_after_failure, Some(2));
        assert_eq!(spec.active_deadline_seconds, Some(7200));
    }

    #[test]
    fn explain_says_which_source_gave_each_value() {
        let sources = PolicySources {
            config_file: RunPolicy {
                keep_failed: Some(Duration::from_secs(60)),
                retries: Some(1),
                ..RunPolicy::default()
            },
            ..PolicySources::default()
        };
        let file = RunPolicy {
            deadline: Some(Duration::from_secs(3600)),
            ..RunPolicy::default()
        };
        let policy = sources.choose(&file);
        assert_eq!(
            policy.deadline.as_ref().unwrap().source,
            Source::WorkflowFile
        );
        let mut report = Report::default();
        apply_to_workflow(&mut WorkflowSpec::default(), &policy, &mut report);
        apply_to_steps(&mut templates(&["a"]), &[], &policy, &mut report);
        let details: Vec<&str> = report.notes.iter().map(|n| n.detail.as_str()).collect();
        assert!(
            details[0].contains("(config file keepFailed)"),
            "{details:?}"
        );
        assert!(
            details[2].ends_with("(workflow file deadline)"),
            "{details:?}"
        );
        assert!(details[3].ends_with("(config file retries)"), "{details:?}");
    }

    #[test]
    fn retries_and_timeouts_go_to_steps_never_to_the_dag() {
        let policy = from_flags(RunPolicy {
            retries: Some(3),
            step_timeout: Some(Duration::from_secs(90)),
            ..RunPolicy::default()
        });
        let mut templates = templates(&["job-1"]);
        apply_to_steps(&mut templates, &[], &policy, &mut Report::default());
        assert!(templates[0].retry_strategy.is_none());
        assert!(templates[0].active_deadline_seconds.is_none());
        let retry = templates[1].retry_strategy.clone().unwrap();
        assert_eq!((retry.limit, retry.retry_policy.as_str()), (3, "Always"));
        assert_eq!(retry.backoff.unwrap().duration, "10s");
        assert_eq!(templates[1].active_deadline_seconds, Some(90));
    }

    #[test]
    fn a_jobs_own_retries_and_timeout_stay_in_its_template() {
        let policy = from_flags(RunPolicy {
            retries: Some(1),
            step_timeout: Some(Duration::from_secs(60)),
            ..RunPolicy::default()
        });
        let steps = [
            step("prep", None, None),
            step("train", Some(2), Some(7200)),
            step("sweep", None, Some(30)),
            step("eval", Some(0), None),
        ];
        let mut templates = templates(&["prep", "train", "sweep-point", "eval", "on-exit"]);
        let mut report = Report::default();
        apply_to_steps(&mut templates, &steps, &policy, &mut report);
        let limits: Vec<(Option<i64>, Option<i64>)> = templates
            .iter()
            .map(|t| {
                (
                    t.retry_strategy.as_ref().map(|r| r.limit),
                    t.active_deadline_seconds,
                )
            })
            .collect();
        assert_eq!(
            limits,
            [
                (None, None),
                (Some(1), Some(60)),
                (Some(2), Some(7200)),
                (Some(1), Some(30)),
                (None, Some(60)),
                (Some(1), Some(60)),
            ]
        );
        let overrides: Vec<String> = report
            .notes
            .iter()
            .filter(|n| n.action == Action::Override)
            .map(|n| format!("{}: {}", n.field, n.detail))
            .collect();
        assert_eq!(
            overrides,
            [
                "train.retryStrategy: up to 2 more times, for this job only (workflow file, job retries)",
                "train.activeDeadlineSeconds: 7200: for this job only (workflow file, job timeout)",
                "sweep.activeDeadlineSeconds: 30: for this job only (workflow file, job timeout)",
                "eval.retryStrategy: no retries, for this job only (workflow file, job retries)",
            ]
        );
    }

    #[test]
    fn zero_retries_write_no_retry_strategy() {
        let policy = from_flags(RunPolicy {
            retries: Some(0),
            ..RunPolicy::default()
        });
        let mut templates = templates(&["job-1"]);
        apply_to_steps(&mut templates, &[], &policy, &mut Report::default());
        assert!(templates[1].retry_strategy.is_none());
    }
}
