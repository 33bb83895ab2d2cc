//! Kubernetes-safe names for the workflow and its labels.

use anyhow::{bail, Result};

/// Workflow names are limited to 63 characters; Kubernetes keeps at most 58 characters of a
/// `generateName` and appends 5 random ones.
pub const WORKFLOW_PREFIX_MAX: usize = 58;
/// A CronWorkflow's name is limited to 52 characters (Argo appends a timestamp to the
/// Workflows it creates), so its prefix plus 5 random characters must fit in 52.
pub const CRON_WORKFLOW_PREFIX_MAX: usize = 47;
/// Label values are limited to 63 characters.
pub const LABEL_VALUE_MAX: usize = 63;

/// Turns `raw` into a DNS-1123 label usable as a `generateName` prefix (ending in `-`),
/// at most `max_len` characters long. Uppercase is lowered, runs of other characters
/// become one `-`. Fails when nothing usable is left.
pub fn generate_name_prefix(raw: &str, max_len: usize, what: &str) -> Result<String> {
    let mut base = dns_label(raw);
    // Leave room for the trailing '-'.
    base.truncate(max_len.saturating_sub(1));
    let base = base.trim_end_matches('-');
    if base.is_empty() {
        bail!(
            "invalid {what} {raw:?}: a workflow name needs at least one letter or digit \
             (lowercase letters, digits and '-'); pass e.g. --name my-pipeline"
        );
    }
    Ok(format!("{base}-"))
}

/// Lowercase letters, digits and single dashes, starting and ending with a letter or digit.
pub fn dns_label(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut pending_dash = false;
    for ch in raw.chars() {
        let ch = ch.to_ascii_lowercase();
        if ch.is_ascii_lowercase() || ch.is_ascii_digit() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(ch);
        } else {
            pending_dash = true;
        }
    }
    out
}

/// A valid label value (`[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, at most 63 characters),
/// or `None` when nothing of `raw` survives.
pub fn label_value(raw: &str) -> Option<String> {
    let kept: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(LABEL_VALUE_MAX)
        .collect();
    let trimmed = kept.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_is_lowercased_and_dashed() {
        assert_eq!(
            generate_name_prefix("My_Pipeline v2", 58, "name").unwrap(),
            "my-pipeline-v2-"
        );
    }

    #[test]
    fn prefix_of_kubespawner_pod_name_keeps_escapes_readable() {
        assert_eq!(
            generate_name_prefix("jupyter-alice-2e-smith---3f2a1b", 58, "name").unwrap(),
            "jupyter-alice-2e-smith-3f2a1b-"
        );
    }

    #[test]
    fn prefix_is_truncated_to_the_limit_without_trailing_double_dash() {
        let long = format!("{}-{}", "a".repeat(45), "b".repeat(30));
        let prefix = generate_name_prefix(&long, WORKFLOW_PREFIX_MAX, "name").unwrap();
        assert!(prefix.len() <= WORKFLOW_PREFIX_MAX, "{prefix}");
        assert!(prefix.ends_with('-') && !prefix.ends_with("--"), "{prefix}");
        let cron = generate_name_prefix(&long, CRON_WORKFLOW_PREFIX_MAX, "name").unwrap();
        assert_eq!(cron, format!("{}-", "a".repeat(45)));
        assert!(cron.len() + 5 <= 52);
    }

    #[test]
    fn prefix_without_letters_or_digits_is_an_error() {
        let err = generate_name_prefix("__--!!", 58, "--name").unwrap_err();
        assert!(
            err.to_string().contains("invalid --name \"__--!!\""),
            "{err}"
        );
    }

    #[test]
    fn label_value_is_trimmed_and_bounded() {
        assert_eq!(
            label_value("jupyter-alice").as_deref(),
            Some("jupyter-alice")
        );
        assert_eq!(label_value("-x y-").as_deref(), Some("x-y"));
        assert_eq!(label_value(&"a".repeat(80)).map(|v| v.len()), Some(63));
        assert_eq!(label_value("--"), None);
    }
}
