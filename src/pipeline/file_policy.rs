//! A workflow file's run-policy keys, read with the same rules as the flags of the same names:
//!
//! ```yaml
//! retries: 2               # --retries: a failed step runs again up to 2 more times
//! step_timeout: 30m        # --step-timeout: a step still running then fails
//! deadline: 12h            # --deadline: the whole pipeline fails when still running then
//! keep_succeeded: 2h       # --keep-succeeded / --keep-failed: when finished runs are deleted
//! keep_failed: 3d
//! parallelism: 4           # --parallelism: at most 4 pods at once
//! labels: {ci-run: 1234}   # --label, --annotation
//! annotations: {owner: alice}
//! on_exit: python notify.py "$WORKFLOW_STATUS"   # --on-exit
//! jobs:
//! - name: train
//!   command: python train.py
//!   retries: 5             # this job only, over the workflow's `retries`
//!   timeout: 2h            # this job only, over the workflow's `step_timeout`
//! ```
//!
//! Durations as the flags take them (`90s`, `30m`, `1h30m`, `2d`; a bare number is seconds).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::cli::parse_duration;
use crate::run_policy::{self, Key, RunPolicy};

/// The workflow-wide keys as written (numbers and bools already turned into their text).
#[derive(Debug, Default)]
pub(super) struct WrittenPolicy {
    pub retries: Option<String>,
    pub step_timeout: Option<String>,
    pub deadline: Option<String>,
    pub keep_succeeded: Option<String>,
    pub keep_failed: Option<String>,
    pub parallelism: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub on_exit: Option<String>,
}

/// A key whose value is wrong, and why; the caller adds the file and the line.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct KeyError {
    pub key: &'static str,
    pub message: String,
}

/// The workflow-wide run policy, each value checked as its flag's would be.
pub(super) fn read_workflow_policy(written: WrittenPolicy) -> Result<RunPolicy, KeyError> {
    let fail = |key: Key, problem: String| KeyError {
        key: key.file_key(),
        message: format!("invalid {}: {problem}", key.file_key()),
    };
    let duration = |text: Option<String>, key: Key| {
        text.map(|text| parse_duration(&text).map_err(|problem| fail(key, problem)))
            .transpose()
    };
    let retries = written
        .retries
        .map(|text| run_policy::parse_retries(&text).map_err(|p| fail(Key::Retries, p)))
        .transpose()?;
    let parallelism = written
        .parallelism
        .map(|text| run_policy::parse_parallelism(&text).map_err(|p| fail(Key::Parallelism, p)))
        .transpose()?;
    let key_error = |key: Key| {
        move |err: anyhow::Error| KeyError {
            key: key.file_key(),
            message: err.to_string(),
        }
    };
    run_policy::check_labels(&written.labels, Key::Labels.file_key())
        .map_err(key_error(Key::Labels))?;
    run_policy::check_annotations(&written.annotations, Key::Annotations.file_key())
        .map_err(key_error(Key::Annotations))?;
    Ok(RunPolicy {
        retries,
        step_timeout: duration(written.step_timeout, Key::StepTimeout)?,
        deadline: duration(written.deadline, Key::Deadline)?,
        keep_succeeded: duration(written.keep_succeeded, Key::KeepSucceeded)?,
        keep_failed: duration(written.keep_failed, Key::KeepFailed)?,
        parallelism,
        labels: written.labels,
        annotations: written.annotations,
        on_exit: written.on_exit,
    })
}

/// A job's own `retries:` and `timeout:`.
pub(super) fn read_job_policy(
    retries: Option<String>,
    timeout: Option<String>,
) -> anyhow::Result<(Option<u32>, Option<Duration>)> {
    let retries = retries
        .map(|text| run_policy::parse_retries(&text))
        .transpose()
        .map_err(|problem| anyhow::anyhow!("invalid retries: {problem}"))?;
    let timeout = timeout
        .map(|text| parse_duration(&text))
        .transpose()
        .map_err(|problem| anyhow::anyhow!("invalid timeout: {problem}"))?;
    Ok((retries, timeout))
}

/// The line of a top-level `key:` (at the start of a line), when the file has exactly one.
pub(super) fn top_level_line(source: &str, key: &str) -> Option<usize> {
    let prefix = format!("{key}:");
    let mut lines = source
        .lines()
        .enumerate()
        .filter(|(_, line)| line.starts_with(&prefix))
        .map(|(index, _)| index + 1);
    let line = lines.next()?;
    lines.next().is_none().then_some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(edit: impl FnOnce(&mut WrittenPolicy)) -> WrittenPolicy {
        let mut written = WrittenPolicy::default();
        edit(&mut written);
        written
    }

    #[test]
    fn every_key_is_read_as_its_flag_would_be() {
        let policy = read_workflow_policy(written(|w| {
            w.retries = Some("2".into());
            w.step_timeout = Some("30m".into());
            w.deadline = Some("90".into());
            w.keep_succeeded = Some("1h30m".into());
            w.keep_failed = Some("2d".into());
            w.parallelism = Some("4".into());
            w.labels = BTreeMap::from([("ci-run".into(), "1234".into())]);
            w.annotations = BTreeMap::from([("owner".into(), "alice and bob".into())]);
            w.on_exit = Some("python notify.py".into());
        }))
        .unwrap();
        assert_eq!(policy.retries, Some(2));
        assert_eq!(policy.step_timeout, Some(Duration::from_secs(1800)));
        assert_eq!(policy.deadline, Some(Duration::from_secs(90)));
        assert_eq!(policy.keep_succeeded, Some(Duration::from_secs(5400)));
        assert_eq!(policy.keep_failed, Some(Duration::from_secs(172_800)));
        assert_eq!(policy.parallelism, Some(4));
        assert_eq!(policy.labels["ci-run"], "1234");
        assert_eq!(policy.on_exit.as_deref(), Some("python notify.py"));
    }

    #[test]
    fn a_wrong_value_names_its_key() {
        let error = |edit: fn(&mut WrittenPolicy)| read_workflow_policy(written(edit)).unwrap_err();
        let err = error(|w| w.retries = Some("-1".into()));
        assert_eq!(err.key, "retries");
        assert!(
            err.message
                .starts_with("invalid retries: \"-1\" is not a number of retries"),
            "{}",
            err.message
        );
        let err = error(|w| w.step_timeout = Some("3x".into()));
        assert_eq!(
            err.message,
            "invalid step_timeout: \"3x\" is not a duration; write e.g. 90s, 30m, 1h30m or 2h"
        );
        assert_eq!(
            error(|w| w.deadline = Some("0".into())).message,
            "invalid deadline: \"0\": the duration must be more than 0"
        );
        assert_eq!(
            error(|w| w.keep_failed = Some("x".into())).key,
            "keep_failed"
        );
        assert_eq!(
            error(|w| w.parallelism = Some("0".into())).key,
            "parallelism"
        );
        let err = error(|w| w.labels = BTreeMap::from([("a b".into(), "x".into())]));
        assert_eq!(err.key, "labels");
        assert!(
            err.message.starts_with("invalid labels key \"a b\""),
            "{}",
            err.message
        );
        let err = error(|w| w.annotations = BTreeMap::from([("-x".into(), "y".into())]));
        assert!(
            err.message.starts_with("invalid annotations key"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_jobs_own_values() {
        assert_eq!(
            read_job_policy(Some("0".into()), Some("45s".into())).unwrap(),
            (Some(0), Some(Duration::from_secs(45)))
        );
        assert_eq!(read_job_policy(None, None).unwrap(), (None, None));
        let message = read_job_policy(None, Some("soon".into()))
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "invalid timeout: \"soon\" is not a duration; write e.g. 90s, 30m, 1h30m or 2h"
        );
        let message = read_job_policy(Some("-3".into()), None)
            .unwrap_err()
            .to_string();
        assert!(message.starts_with("invalid retries: \"-3\""), "{message}");
    }

    #[test]
    fn the_line_of_a_top_level_key_only() {
        let source = "retries: 1\njobs:\n- name: a\n  retries: 2\n  command: a\n";
        assert_eq!(top_level_line(source, "retries"), Some(1));
        assert_eq!(top_level_line(source, "deadline"), None);
        assert_eq!(top_level_line("retries: 1\nretries: 2\n", "retries"), None);
    }
}
