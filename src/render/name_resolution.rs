//! How the notebook resolves names: `dnsPolicy`, `dnsConfig` and `hostAliases`. Admins set
//! them so notebooks reach internal services (a corporate resolver, a search domain, a
//! database by a fixed address); the steps run the same code and need the same names, and
//! Argo's WorkflowSpec carries all three for every step pod.

use k8s_openapi::api::core::v1::{HostAlias, PodDNSConfig, PodSpec};

use super::{Action, Report};

/// The API server's default: every pod gets it, so writing it adds nothing.
const DEFAULT_DNS_POLICY: &str = "ClusterFirst";

pub fn copy_dns_policy(spec: &PodSpec, report: &mut Report) -> Option<String> {
    let policy = spec
        .dns_policy
        .clone()
        .filter(|p| !p.is_empty() && p != DEFAULT_DNS_POLICY)?;
    report.note(
        Action::Copy,
        "dnsPolicy",
        format!("{policy} (steps resolve names as the notebook does)"),
    );
    Some(policy)
}

pub fn copy_dns_config(spec: &PodSpec, report: &mut Report) -> Option<PodDNSConfig> {
    let config = spec
        .dns_config
        .clone()
        .filter(|c| *c != PodDNSConfig::default())?;
    let mut parts = Vec::new();
    if let Some(servers) = config.nameservers.as_ref().filter(|s| !s.is_empty()) {
        parts.push(format!("nameservers {}", servers.join(", ")));
    }
    if let Some(searches) = config.searches.as_ref().filter(|s| !s.is_empty()) {
        parts.push(format!("searches {}", searches.join(", ")));
    }
    if let Some(options) = config.options.as_ref().filter(|o| !o.is_empty()) {
        let names: Vec<&str> = options
            .iter()
            .map(|o| o.name.as_deref().unwrap_or(""))
            .collect();
        parts.push(format!("options {}", names.join(", ")));
    }
    report.note(
        Action::Copy,
        "dnsConfig",
        format!(
            "{} (steps resolve names as the notebook does)",
            parts.join("; ")
        ),
    );
    Some(config)
}

pub fn copy_host_aliases(spec: &PodSpec, report: &mut Report) -> Vec<HostAlias> {
    let aliases = spec.host_aliases.clone().unwrap_or_default();
    for alias in &aliases {
        report.note(
            Action::Copy,
            format!("hostAliases {}", alias.ip),
            format!(
                "{} (steps reach the hosts the notebook reaches)",
                alias.hostnames.clone().unwrap_or_default().join(", ")
            ),
        );
    }
    aliases
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> PodSpec {
        crate::yaml::from_str(yaml).expect("a PodSpec")
    }

    const RESOLVING: &str = "
containers: [{name: notebook}]
dnsPolicy: None
dnsConfig:
  nameservers: [10.0.0.53]
  searches: [corp.example]
  options: [{name: ndots, value: '2'}]
hostAliases:
- {ip: 10.1.2.3, hostnames: [warehouse.corp.example, warehouse]}
";

    #[test]
    fn name_resolution_is_copied_and_explained() {
        let spec = spec(RESOLVING);
        let mut report = Report::default();
        assert_eq!(copy_dns_policy(&spec, &mut report).as_deref(), Some("None"));
        assert_eq!(copy_dns_config(&spec, &mut report), spec.dns_config);
        assert_eq!(
            copy_host_aliases(&spec, &mut report),
            spec.host_aliases.clone().unwrap()
        );
        let details: Vec<String> = report
            .notes
            .iter()
            .map(|n| format!("{} {}", n.field, n.detail))
            .collect();
        assert_eq!(
            details,
            [
                "dnsPolicy None (steps resolve names as the notebook does)",
                "dnsConfig nameservers 10.0.0.53; searches corp.example; options ndots \
                 (steps resolve names as the notebook does)",
                "hostAliases 10.1.2.3 warehouse.corp.example, warehouse (steps reach the \
                 hosts the notebook reaches)",
            ]
        );
    }

    #[test]
    fn the_default_policy_and_absent_settings_add_nothing() {
        let spec = spec("containers: [{name: notebook}]\ndnsPolicy: ClusterFirst\n");
        let mut report = Report::default();
        assert_eq!(copy_dns_policy(&spec, &mut report), None);
        assert_eq!(copy_dns_config(&spec, &mut report), None);
        assert!(copy_host_aliases(&spec, &mut report).is_empty());
        assert!(report.notes.is_empty());
    }
}
