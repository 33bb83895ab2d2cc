//! Tests that need a program this machine may lack (kubectl, zsh, fish). When it is missing
//! the test says so on the terminal and is skipped, except under `CI=true`: there a missing
//! tool fails the test, so CI never skips anything silently.

use std::io::Write;
use std::path::PathBuf;

/// The program `name` from `PATH`; `None` (skip the test) when it is missing, a failure under
/// `CI=true`. `why` says what the test proves with it.
pub fn required_tool(name: &str, why: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file());
    found.or_else(|| missing(name, "is not on PATH", why))
}

/// The program that `$var` names (tools the scripts build and cache, e.g.
/// `eval "$(scripts/release-tools.sh)"` sets them); the same rule when it is unset or wrong.
pub fn required_tool_from(var: &str, name: &str, why: &str) -> Option<PathBuf> {
    match std::env::var_os(var).map(PathBuf::from) {
        Some(path) if path.is_file() => Some(path),
        Some(path) => missing(name, &format!("is not at ${var}={}", path.display()), why),
        None => missing(name, &format!("is not set in ${var}"), why),
    }
}

fn missing(name: &str, whereabouts: &str, why: &str) -> Option<PathBuf> {
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("{name} {whereabouts}, and CI=true makes a missing tool a failure: install {name} ({why})");
    }
    // Straight to stderr: the test harness hides what a passing test prints with eprintln!.
    let _ = writeln!(
        std::io::stderr(),
        "\nSKIPPED {test}: {name} {whereabouts} ({why}); install {name} to run it (under CI=true this fails)"
    );
    None
}
