//! Names and strings the API server checks: namespaces (DNS-1123 labels), service accounts
//! (DNS-1123 subdomains), label and node-selector keys (qualified names) and values, env
//! var names (Kubernetes 1.34: any printable ASCII but `=`), and container images.

use anyhow::{bail, Result};

const DNS_LABEL_MAX: usize = 63;
const DNS_SUBDOMAIN_MAX: usize = 253;
const QUALIFIED_NAME_MAX: usize = 63;
const LABEL_VALUE_MAX: usize = 63;

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters (namespaces).
pub fn dns_label_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("it is empty".to_string());
    }
    if name.len() > DNS_LABEL_MAX {
        return Some(format!(
            "it is {} characters long, at most {DNS_LABEL_MAX} are allowed",
            name.len()
        ));
    }
    label_characters_problem(name)
}

/// The characters of a DNS label, whatever its length.
fn label_characters_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("it is empty".to_string());
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Some(format!(
            "it contains {bad:?}; only lowercase letters, digits and '-' are allowed"
        ));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some("it must start and end with a letter or digit".to_string());
    }
    None
}

/// Dot-separated DNS labels, at most 253 characters (service accounts, label key prefixes).
pub fn dns_subdomain_problem(name: &str) -> Option<String> {
    if name.len() > DNS_SUBDOMAIN_MAX {
        return Some(format!(
            "it is {} characters long, at most {DNS_SUBDOMAIN_MAX} are allowed",
            name.len()
        ));
    }
    if name.is_empty() {
        return Some("it is empty".to_string());
    }
    // Only the whole name is limited (253); its parts are not limited to 63 like a label.
    name.split('.').find_map(|part| {
        label_characters_problem(part).map(|problem| {
            if part.is_empty() {
                "it has an empty part between dots".to_string()
            } else {
                problem
            }
        })
    })
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, at most 63 characters; empty is allowed.
pub fn label_value_problem(value: &str) -> Option<String> {
    if value.len() > LABEL_VALUE_MAX {
        return Some(format!(
            "it is {} characters long, at most {LABEL_VALUE_MAX} are allowed",
            value.len()
        ));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Some(format!(
            "it contains {bad:?}; only letters, digits, '-', '_' and '.' are allowed"
        ));
    }
    let edge_ok = |c: Option<char>| c.is_none_or(|c| c.is_ascii_alphanumeric());
    if !edge_ok(value.chars().next()) || !edge_ok(value.chars().last()) {
        return Some("it must start and end with a letter or digit".to_string());
    }
    None
}

/// `[prefix/]name`: an optional DNS subdomain prefix and a name like a non-empty label value
/// (label keys, node-selector keys, resource names).
pub fn qualified_name_problem(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => {
            if name.contains('/') {
                return Some("it has more than one '/'".to_string());
            }
            if let Some(problem) = dns_subdomain_problem(prefix) {
                return Some(format!(
                    "its prefix {prefix:?} is not a DNS name: {problem}"
                ));
            }
            (Some(prefix), name)
        }
        None => (None, key),
    };
    if name.is_empty() {
        return Some(match prefix {
            Some(_) => "the name after '/' is empty".to_string(),
            None => "it is empty".to_string(),
        });
    }
    if name.len() > QUALIFIED_NAME_MAX {
        return Some(format!(
            "the name part is {} characters long, at most {QUALIFIED_NAME_MAX} are allowed",
            name.len()
        ));
    }
    label_value_problem(name)
}

/// Kubernetes 1.34 (RelaxedEnvironmentVariableValidation, GA): not empty, printable ASCII
/// (space included) other than `=`.
pub fn env_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the name is empty".to_string());
    }
    name.chars()
        .find(|c| !(c.is_ascii_graphic() || *c == ' ') || *c == '=')
        .map(|bad| {
            format!("it contains {bad:?}; names are printable ASCII characters other than '='")
        })
}

/// Checks a namespace (`-n`).
pub fn check_namespace(namespace: &str, what: &str) -> Result<()> {
    if let Some(problem) = dns_label_problem(namespace) {
        bail!(
            "invalid {what} {namespace:?}: a namespace is a DNS label and {problem} \
             (e.g. jupyterhub or team-a)"
        );
    }
    Ok(())
}

/// Checks a service account name (`--service-account`, `serviceAccountName`).
pub fn check_service_account(name: &str, what: &str) -> Result<()> {
    if let Some(problem) = dns_subdomain_problem(name) {
        bail!(
            "invalid {what} {name:?}: a service account name is a DNS name and {problem} \
             (e.g. default or argo-workflow)"
        );
    }
    Ok(())
}

/// Checks a label or node-selector entry; `what` is `--node-selector` or similar.
pub fn check_label(key: &str, value: &str, what: &str) -> Result<()> {
    if let Some(problem) = qualified_name_problem(key) {
        bail!(
            "invalid {what} key {key:?}: {problem} (a label key is [prefix/]name, e.g. \
             disktype or kubernetes.io/arch)"
        );
    }
    if let Some(problem) = label_value_problem(value) {
        bail!(
            "invalid {what} value {value:?} for {key}: {problem}, at most 63 characters \
             (e.g. ssd)"
        );
    }
    Ok(())
}

/// Checks an environment variable name (`-e`, a file's `env:`, the config file's `env`).
pub fn check_env_name(name: &str, what: &str) -> Result<()> {
    if let Some(problem) = env_name_problem(name) {
        bail!("invalid {what} name {name:?}: {problem}; e.g. EPOCHS");
    }
    Ok(())
}

/// Checks a container image reference: not empty, no whitespace (`--image`, a job's `image:`).
pub fn check_image(image: &str, what: &str) -> Result<()> {
    if image.is_empty() {
        bail!(
            "invalid {what} \"\": the image is empty; give e.g. jupyter/scipy-notebook:2024-10-07"
        );
    }
    if image.chars().any(char::is_whitespace) {
        bail!(
            "invalid {what} {image:?}: an image reference has no spaces; give e.g. \
             jupyter/scipy-notebook:2024-10-07"
        );
    }
    Ok(())
}

/// `repo@sha256:<64 lowercase hex digits>`, the only form `--pin-image` writes.
pub fn is_pinned_by_digest(image: &str) -> bool {
    let Some((repository, digest)) = image.split_once("@sha256:") else {
        return false;
    };
    !repository.is_empty()
        && !repository.chars().any(char::is_whitespace)
        && digest.len() == 64
        && digest
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_dns_labels() {
        for ok in ["jupyterhub", "team-a", "a", "0", &"a".repeat(63)] {
            assert!(check_namespace(ok, "-n").is_ok(), "{ok}");
        }
        for (bad, part) in [
            ("", "it is empty"),
            ("Team", "contains 'T'"),
            ("team.a", "contains '.'"),
            ("-a", "start and end"),
            ("a-", "start and end"),
            (&"a".repeat(64), "64 characters long"),
        ] {
            let message = check_namespace(bad, "-n").unwrap_err().to_string();
            assert!(message.contains(part), "{bad}: {message}");
            assert!(message.starts_with("invalid -n "), "{message}");
        }
    }

    #[test]
    fn service_accounts_are_dns_subdomains() {
        for ok in ["default", "argo-workflow", "a.b-c.d"] {
            assert!(
                check_service_account(ok, "--service-account").is_ok(),
                "{ok}"
            );
        }
        assert!(check_service_account(&format!("{}.b", "a".repeat(70)), "x").is_ok());
        for bad in ["", "My_SA", "a..b", ".a", "a.", &"a".repeat(254)] {
            assert!(
                check_service_account(bad, "--service-account").is_err(),
                "{bad}"
            );
        }
        assert!(check_service_account("a..b", "x")
            .unwrap_err()
            .to_string()
            .contains("empty part between dots"));
    }

    #[test]
    fn label_keys_and_values() {
        for (key, value) in [
            ("disktype", "ssd"),
            ("kubernetes.io/arch", "amd64"),
            ("cloud.google.com/gke-accelerator", "nvidia-tesla-t4"),
            ("a", ""),
            ("A_b.c-D", "V_1.x-Y"),
        ] {
            assert!(
                check_label(key, value, "--node-selector").is_ok(),
                "{key}={value}"
            );
        }
        for (key, value, part) in [
            ("", "x", "key \"\": it is empty"),
            ("a/b/c", "x", "more than one '/'"),
            (
                "Example.com/a",
                "x",
                "prefix \"Example.com\" is not a DNS name",
            ),
            ("example.com/", "x", "the name after '/' is empty"),
            ("-a", "x", "start and end"),
            ("a b", "x", "contains ' '"),
            ("disk", "s s", "value \"s s\" for disk: it contains ' '"),
            ("disk", "-ssd", "start and end"),
            ("disk", &"v".repeat(64), "64 characters long"),
        ] {
            let message = check_label(key, value, "--node-selector")
                .unwrap_err()
                .to_string();
            assert!(message.contains(part), "{key}={value}: {message}");
        }
    }

    #[test]
    fn env_names_follow_kubernetes_1_34() {
        for ok in ["EPOCHS", "my.env-name", "1ST", "a b", "$x", "~!@#%^&*()"] {
            assert!(check_env_name(ok, "--env").is_ok(), "{ok:?}");
        }
        for (bad, part) in [
            ("", "the name is empty"),
            ("A=B", "contains '='"),
            ("TAB\t", "contains '\\t'"),
            ("ÜBER", "contains 'Ü'"),
            ("NL\n", "contains '\\n'"),
        ] {
            let message = check_env_name(bad, "--env").unwrap_err().to_string();
            assert!(message.contains(part), "{bad:?}: {message}");
        }
    }

    #[test]
    fn images_are_not_empty_and_have_no_spaces() {
        for ok in ["python:3.12", "ghcr.io/a/b@sha256:abc", "localhost:5000/x"] {
            assert!(check_image(ok, "--image").is_ok(), "{ok}");
        }
        assert!(check_image("", "--image")
            .unwrap_err()
            .to_string()
            .contains("the image is empty"));
        for bad in [" python", "python:3.12 ", "my image", "a\tb"] {
            let message = check_image(bad, "--image").unwrap_err().to_string();
            assert!(message.contains("no spaces"), "{bad:?}: {message}");
        }
    }

    #[test]
    fn pinned_images_need_a_full_sha256_digest() {
        let hex = "0123456789abcdef".repeat(4);
        assert!(is_pinned_by_digest(&format!("jupyter/scipy@sha256:{hex}")));
        for bad in [
            format!("@sha256:{hex}"),
            format!("jupyter/scipy@sha256:{}", &hex[1..]),
            format!("jupyter/scipy@sha256:{hex}0"),
            format!("jupyter/scipy@sha256:{}", hex.to_uppercase()),
            format!("jupyter/scipy@sha512:{hex}"),
            "jupyter/scipy@sha256:".to_string(),
            "jupyter/scipy:latest".to_string(),
        ] {
            assert!(!is_pinned_by_digest(&bad), "{bad}");
        }
    }
}
