//! The tool's own requests, as the API server's audit log records them
//! (`JF_TEST_AUDIT_LOG`; scripts/control-plane.sh logs every request made with a service
//! account's token, so a notebook account's requests are exactly the tool's).

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;

use super::proxy::wait_for;

/// `verb resource[/subresource]` -> how many requests the notebook account of `namespace`
/// made, e.g. `"get pods": 1`, `"watch workflows": 1`, `"get pods/log": 1`.
pub fn requests_of_notebook(namespace: &str) -> BTreeMap<String, usize> {
    let path = std::env::var("JF_TEST_AUDIT_LOG").unwrap_or_else(|_| {
        panic!("$JF_TEST_AUDIT_LOG is unset: run the cluster tests with scripts/e2e.sh")
    });
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let user = format!(
        "system:serviceaccount:{namespace}:{}",
        super::NOTEBOOK_ACCOUNT
    );
    // A long request (a watch) is logged when its answer starts and again when it ends.
    let mut seen = BTreeSet::new();
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        // The server may be writing the last line right now.
        let Ok(event) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if event["user"]["username"] != user.as_str()
            || !seen.insert(event["auditID"].as_str().unwrap_or_default().to_string())
        {
            continue;
        }
        let object = &event["objectRef"];
        let mut resource = object["resource"].as_str().unwrap_or("?").to_string();
        if let Some(sub) = object["subresource"].as_str() {
            resource = format!("{resource}/{sub}");
        }
        let verb = event["verb"].as_str().unwrap_or("?");
        *counts.entry(format!("{verb} {resource}")).or_default() += 1;
    }
    counts
}

/// Asserts the notebook account of `namespace` made exactly `expected` requests. The server
/// logs a request once it has answered it, so a request of a process that just exited may be
/// logged a moment later: wait for it, then check that nothing more comes.
#[track_caller]
pub fn assert_requests_of_notebook(namespace: &str, expected: &[(&str, usize)]) {
    let expected: BTreeMap<String, usize> =
        expected.iter().map(|(k, n)| (k.to_string(), *n)).collect();
    wait_for(Duration::from_secs(10), || {
        requests_of_notebook(namespace) == expected
    });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(requests_of_notebook(namespace), expected);
}
