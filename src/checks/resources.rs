//! Container resources, with the API server's rules (`ValidateResourceRequirements`):
//! quantities in Kubernetes' grammar, not negative; names that are `cpu`, `memory`,
//! `ephemeral-storage`, `hugepages-<size>` or a vendor-prefixed extended resource
//! (`nvidia.com/gpu`); request <= limit; extended resources in whole numbers, with a limit,
//! and a request (if any) equal to it; hugepages only beside cpu or memory.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use anyhow::{bail, Result};
use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::kube_names::qualified_name_problem;

const QUANTITY_EXAMPLES: &str = "500m, 2, 0.5, 512Mi or 4Gi";

/// A quantity in nanounits (Kubernetes keeps 9 decimal places and rounds finer values up),
/// saturating far beyond any real machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Nanos(i128);

impl Nanos {
    /// The quantity in whole units, rounded down (GPUs are counted so).
    pub fn whole_units(self) -> i128 {
        self.0 / 1_000_000_000
    }
}

/// Parses a quantity as the API server does (`resource.ParseQuantity`): an optional sign, a
/// decimal number, and a suffix `n u m k M G T P E`, `Ki Mi Gi Ti Pi Ei` or `e<N>`/`E<N>`.
/// `what` names the field in the message (`--cpu`, `resources.limits.memory`).
pub fn parse_quantity(raw: &str, what: &str) -> Result<Quantity> {
    let raw = raw.trim();
    let Some(nanos) = quantity_nanos(raw) else {
        bail!("invalid {what} {raw:?}: expected a Kubernetes quantity such as {QUANTITY_EXAMPLES}");
    };
    if nanos.0 < 0 {
        bail!("invalid {what} {raw:?}: a quantity cannot be negative");
    }
    Ok(Quantity(raw.to_string()))
}

/// The value of a well-formed quantity, `None` when it does not parse.
pub fn quantity_nanos(raw: &str) -> Option<Nanos> {
    let (negative, unsigned) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw.strip_prefix('+').unwrap_or(raw)),
    };
    let number_len = unsigned
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(number_len);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
        return None;
    }
    let (power_of_ten, power_of_two): (i32, u32) = match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        exponent if exponent.starts_with(['e', 'E']) => {
            let digits = &exponent[1..];
            let unsigned = digits.strip_prefix(['+', '-']).unwrap_or(digits);
            if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            // Beyond +-60 every real quantity is 0 or saturated; clamp to keep the math small.
            (digits.parse::<i64>().ok()?.clamp(-60, 60) as i32, 0)
        }
        _ => return None,
    };
    // value = 0.whole_fraction digits, scaled: mantissa * 10^(power - fraction digits).
    let digits: String = format!("{whole}{fraction}");
    let mut exponent = power_of_ten + 9 - fraction.len().min(1000) as i32;
    let mut mantissa: i128 = 0;
    let mut rounded_up = false;
    for digit in digits.bytes() {
        let digit = i128::from(digit - b'0');
        if mantissa > i128::MAX / 1000 {
            // Saturated: the remaining digits only scale it further.
            exponent += 1;
            continue;
        }
        mantissa = mantissa * 10 + digit;
    }
    while exponent < 0 && mantissa != 0 {
        rounded_up |= mantissa % 10 != 0;
        mantissa /= 10;
        exponent += 1;
    }
    if exponent < 0 {
        exponent = 0;
    }
    if rounded_up {
        mantissa += 1;
    }
    let mut value = mantissa;
    for _ in 0..exponent {
        value = value.saturating_mul(10);
    }
    value = value.saturating_mul(1i128 << power_of_two);
    Some(Nanos(if negative { -value } else { value }))
}

const STANDARD_CONTAINER_RESOURCES: [&str; 3] = ["cpu", "memory", "ephemeral-storage"];
const HUGEPAGES_PREFIX: &str = "hugepages-";

fn is_native(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

fn is_hugepages(name: &str) -> bool {
    name.starts_with(HUGEPAGES_PREFIX)
}

/// Only native resources other than hugepages may be requested below their limit.
fn overcommit_allowed(name: &str) -> bool {
    is_native(name) && !is_hugepages(name)
}

/// Extended resources (`nvidia.com/gpu`) are counted in whole units and never overcommitted.
fn is_extended(name: &str) -> bool {
    !is_native(name) && !name.starts_with("requests.")
}

/// Why `name` is not a resource a container may ask for, if it is not.
fn resource_name_problem(name: &str) -> Option<String> {
    const FIX: &str = "use cpu, memory, ephemeral-storage, hugepages-<size> or a vendor-prefixed \
                       name such as nvidia.com/gpu";
    if let Some(problem) = qualified_name_problem(name) {
        return Some(format!("{problem}; {FIX}"));
    }
    if !name.contains('/') {
        if let Some(size) = name.strip_prefix(HUGEPAGES_PREFIX) {
            return match quantity_nanos(size) {
                Some(nanos) if nanos.0 > 0 => None,
                _ => Some(format!(
                    "the page size {size:?} is not a quantity; write e.g. hugepages-2Mi"
                )),
            };
        }
        if !STANDARD_CONTAINER_RESOURCES.contains(&name) {
            return Some(format!("not a resource containers can ask for; {FIX}"));
        }
        return None;
    }
    if !is_native(name) {
        let quota_name = format!("requests.{name}");
        if name.starts_with("requests.") || qualified_name_problem(&quota_name).is_some() {
            return Some(format!(
                "does not follow the extended resource name rules; {FIX}"
            ));
        }
    }
    None
}

/// Checks requests and limits as the API server checks a container's; `what` says where they
/// come from (`workflow.yaml: job train: resources`, `the config file's resources`).
pub fn check_requirements(resources: &ResourceRequirements, what: &str) -> Result<()> {
    let empty = BTreeMap::new();
    let requests = resources.requests.as_ref().unwrap_or(&empty);
    let limits = resources.limits.as_ref().unwrap_or(&empty);
    let mut requested: BTreeMap<&str, Nanos> = BTreeMap::new();
    let mut limited: BTreeMap<&str, Nanos> = BTreeMap::new();
    for (kind, map, parsed) in [
        ("requests", requests, &mut requested),
        ("limits", limits, &mut limited),
    ] {
        for (name, quantity) in map {
            let field = format!("{what}.{kind}.{name}");
            if let Some(problem) = resource_name_problem(name) {
                bail!("invalid {what}: {kind} has {name:?}: {problem}");
            }
            parse_quantity(&quantity.0, &field)?;
            let nanos = quantity_nanos(quantity.0.trim()).unwrap_or(Nanos(0));
            if is_extended(name) && nanos.0 % 1_000_000_000 != 0 {
                bail!(
                    "invalid {field} {:?}: {name} is counted in whole units; write e.g. 1 or 2",
                    quantity.0
                );
            }
            if let Some(size) = name.strip_prefix(HUGEPAGES_PREFIX) {
                let page = quantity_nanos(size).unwrap_or(Nanos(1));
                if page.0 > 0 && nanos.0 % page.0 != 0 {
                    bail!(
                        "invalid {field} {:?}: must be a whole number of {size} pages",
                        quantity.0
                    );
                }
            }
            parsed.insert(name.as_str(), nanos);
        }
    }
    for (name, request) in &requested {
        let request_text = &requests[*name].0;
        match limited.get(name) {
            Some(limit) => {
                let limit_text = &limits[*name].0;
                if !overcommit_allowed(name) && request != limit {
                    bail!(
                        "invalid {what}.requests.{name} {request_text:?}: must equal the limit \
                         {limit_text:?} ({name} cannot be overcommitted); set only limits.{name}"
                    );
                }
                if request.cmp(limit) == Ordering::Greater {
                    bail!(
                        "invalid {what}.requests.{name} {request_text:?}: more than the limit \
                         {limit_text:?}; lower the request or raise the limit"
                    );
                }
            }
            None if !overcommit_allowed(name) => bail!(
                "invalid {what}.requests.{name} {request_text:?}: {name} needs a limit; set \
                 limits.{name} instead (the request defaults to it)"
            ),
            None => {}
        }
    }
    let all_names = || requested.keys().chain(limited.keys());
    if all_names().any(|name| is_hugepages(name))
        && !all_names().any(|name| matches!(*name, "cpu" | "memory"))
    {
        bail!("invalid {what}: hugepages need a cpu or memory request or limit beside them");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nanos(raw: &str) -> i128 {
        quantity_nanos(raw)
            .unwrap_or_else(|| panic!("{raw:?} should parse"))
            .0
    }

    fn requirements(requests: &[(&str, &str)], limits: &[(&str, &str)]) -> ResourceRequirements {
        let map = |pairs: &[(&str, &str)]| {
            (!pairs.is_empty()).then(|| {
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), Quantity(v.to_string())))
                    .collect()
            })
        };
        ResourceRequirements {
            requests: map(requests),
            limits: map(limits),
            claims: None,
        }
    }

    fn problem(requests: &[(&str, &str)], limits: &[(&str, &str)]) -> String {
        match check_requirements(&requirements(requests, limits), "resources") {
            Ok(()) => panic!("{requests:?} {limits:?} should be rejected"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn quantities_follow_kubernetes_grammar() {
        assert_eq!(nanos("1"), 1_000_000_000);
        assert_eq!(nanos("500m"), 500_000_000);
        assert_eq!(nanos("0.5"), nanos("500m"));
        assert_eq!(nanos(".5"), nanos("500m"));
        assert_eq!(nanos("5."), nanos("5"));
        assert_eq!(nanos("1Gi"), nanos("1073741824"));
        assert_eq!(nanos("1k"), nanos("1e3"));
        assert_eq!(nanos("1E3"), nanos("1000"));
        assert_eq!(nanos("1E"), nanos("1e18"));
        assert_eq!(nanos("100u"), nanos("0.1m"));
        assert_eq!(nanos("1n"), 1);
        assert_eq!(
            nanos("0.1n"),
            1,
            "finer than 1n rounds up, as Kubernetes does"
        );
        assert_eq!(nanos("+2"), nanos("2"));
        assert_eq!(nanos("-2"), -nanos("2"));
        assert!(nanos("1e100") > nanos("1Ei"));
        for bad in [
            "", "2 cores", "4GB", "abc", "1..2", ".", "1K", "1e", "1e+", "1ei", "Gi", "1.5.5",
            "--1",
        ] {
            assert_eq!(quantity_nanos(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn flag_quantities_are_checked() {
        for ok in ["500m", "2", "0.5", "4Gi", "512Mi", "1e3", " 2 "] {
            assert!(parse_quantity(ok, "--cpu").is_ok(), "{ok}");
        }
        assert_eq!(
            parse_quantity("4GB", "--memory").unwrap_err().to_string(),
            "invalid --memory \"4GB\": expected a Kubernetes quantity such as 500m, 2, 0.5, 512Mi or 4Gi"
        );
        assert!(parse_quantity("-1", "--cpu")
            .unwrap_err()
            .to_string()
            .contains("cannot be negative"));
    }

    #[test]
    fn valid_requirements_pass() {
        type Pairs<'a> = &'a [(&'a str, &'a str)];
        let cases: [(Pairs, Pairs); 6] = [
            (&[("cpu", "1"), ("memory", "2Gi")], &[]),
            (&[("cpu", "500m")], &[("cpu", "1"), ("memory", "1Gi")]),
            (&[("memory", "1Gi")], &[("memory", "1073741824")]),
            (&[], &[("nvidia.com/gpu", "2")]),
            (&[("nvidia.com/gpu", "1")], &[("nvidia.com/gpu", "1000m")]),
            (
                &[("memory", "1Gi"), ("hugepages-2Mi", "4Mi")],
                &[("hugepages-2Mi", "4Mi")],
            ),
        ];
        for (requests, limits) in cases {
            let result = check_requirements(&requirements(requests, limits), "resources");
            assert!(result.is_ok(), "{requests:?} {limits:?}: {result:?}");
        }
    }

    #[test]
    fn request_above_limit_is_refused() {
        assert_eq!(
            problem(&[("cpu", "2")], &[("cpu", "1500m")]),
            "invalid resources.requests.cpu \"2\": more than the limit \"1500m\"; lower the \
             request or raise the limit"
        );
    }

    #[test]
    fn extended_resources_are_whole_with_a_limit_equal_to_the_request() {
        assert_eq!(
            problem(&[], &[("nvidia.com/gpu", "1.5")]),
            "invalid resources.limits.nvidia.com/gpu \"1.5\": nvidia.com/gpu is counted in whole \
             units; write e.g. 1 or 2"
        );
        assert!(
            problem(&[("nvidia.com/gpu", "1")], &[("nvidia.com/gpu", "2")])
                .contains("must equal the limit \"2\"")
        );
        assert!(problem(&[("nvidia.com/gpu", "1")], &[]).contains("needs a limit"));
        assert!(problem(&[("hugepages-2Mi", "2Mi")], &[("cpu", "1")]).contains("needs a limit"));
    }

    #[test]
    fn resource_names_follow_the_api_rules() {
        assert!(problem(&[("gpu", "1")], &[]).contains("not a resource containers can ask for"));
        assert!(problem(&[("CPU", "1")], &[]).contains("not a resource containers can ask for"));
        assert!(problem(&[], &[("nvidia.com/", "1")]).contains("invalid resources: limits has"));
        assert!(problem(&[], &[("requests.example.com/x", "1")]).contains("extended resource"));
        assert!(problem(&[], &[("hugepages-x", "1")]).contains("page size"));
        assert!(problem(&[("cpu", "two")], &[]).contains("invalid resources.requests.cpu \"two\""));
        assert!(problem(&[("memory", "-1Gi")], &[]).contains("cannot be negative"));
    }

    #[test]
    fn hugepages_need_cpu_or_memory_and_whole_pages() {
        assert!(problem(&[], &[("hugepages-2Mi", "4Mi")]).contains("need a cpu or memory"));
        assert!(problem(&[("memory", "1Gi")], &[("hugepages-2Mi", "3Mi")])
            .contains("whole number of 2Mi pages"));
    }
}
