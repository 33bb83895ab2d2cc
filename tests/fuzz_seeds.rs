//! Runs every committed fuzz seed (fuzz/seeds/<target>/, including the `regression-*` inputs
//! of crashes the fuzzer found) through the fuzz targets' own checks, on every `cargo test`.
//! The fuzzing itself is `scripts/fuzz.sh`.

#[path = "../fuzz/src/lib.rs"]
mod fuzz_checks;

use std::path::Path;

fn run_seeds(target: &str, check: fn(&[u8])) {
    let folder = Path::new("fuzz/seeds").join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
    {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(
            outcome.is_ok(),
            "fuzz seed {} fails its checks",
            path.display()
        );
        count += 1;
    }
    assert!(count >= 5, "only {count} seeds in {}", folder.display());
}

#[test]
fn expression_seeds_hold() {
    run_seeds("expression", fuzz_checks::expression);
}

#[test]
fn workflow_file_seeds_hold() {
    run_seeds("workflow_file", fuzz_checks::workflow_file);
}

#[test]
fn pod_render_seeds_hold() {
    run_seeds("pod_render", fuzz_checks::pod_render);
}
