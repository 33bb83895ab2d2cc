//! Tests that need a program this machine may lack (kubectl, zsh, fish). When it is missing
//! the test says so on the terminal and is skipped, except under `CI=true`: there a missing
//! tool fails the test, so CI never skips anything silently.

use std::io::Write;
use std::path::PathBuf;

/// The program `name` from `PATH`; `None` (skip the test) when it is missing, a failure under
/// `CI=true`. `why` says what the test proves with it.
pub fn required_tool(name: &str, why: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(found) = std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
    {
        return Some(found);
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("{name} is not on PATH, and CI=true makes a missing tool a failure: install {name} ({why})");
    }
    // Straight to stderr: the test harness hides what a passing test prints with eprintln!.
    let _ = writeln!(
        std::io::stderr(),
        "\nSKIPPED {test}: {name} is not on PATH ({why}); install {name} to run it (under CI=true this fails)"
    );
    None
}
