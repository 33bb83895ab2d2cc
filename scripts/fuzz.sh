#!/usr/bin/env bash
# Bounded fuzzing of the parsers and the renderer with cargo-fuzz (libFuzzer + AddressSanitizer).
#
#   scripts/fuzz.sh                     every target, 60 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh    longer
#   scripts/fuzz.sh expression          one target (expression, workflow_file, pod_render)
#
# Needs the nightly toolchain (sanitizers); installs cargo-fuzz if it is missing. Inputs grow in
# fuzz/corpus/ (not committed); the committed starting points are fuzz/seeds/. A crash stops the
# run with exit 1 and leaves the input in fuzz/artifacts/<target>/: minimize it with
# `cargo +nightly fuzz tmin --fuzz-dir fuzz <target> <file>`, fix it, add a unit test next to the
# code, and commit the input as fuzz/seeds/<target>/regression-<what> (tests/fuzz_seeds.rs
# replays every seed on each `cargo test`).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
all_targets=(expression workflow_file pod_render)
targets=("${@:-${all_targets[@]}}")

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "error: fuzzing needs the nightly toolchain: rustup toolchain install nightly" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== cargo install cargo-fuzz"
  cargo install --locked cargo-fuzz
fi

# The sanitizer build recompiles every dependency once (fuzz/target); later builds are incremental.
echo "== cargo +nightly fuzz build"
build_start=$SECONDS
build_log=$(mktemp)
for target in "${targets[@]}"; do
  if ! cargo +nightly fuzz build --fuzz-dir fuzz "$target" >"$build_log" 2>&1; then
    cat "$build_log" >&2
    echo "error: the fuzz build of $target failed" >&2
    exit 1
  fi
done
rm -f "$build_log"
echo "build: $((SECONDS - build_start)) s"

summary=()
failed=0
for target in "${targets[@]}"; do
  echo "== $target: ${seconds} s"
  mkdir -p "fuzz/corpus/$target"
  log=$(mktemp)
  dict=()
  [ -f "fuzz/dicts/$target.dict" ] && dict=(-dict="fuzz/dicts/$target.dict")
  # The grown corpus comes first: libFuzzer writes new inputs to the first folder only.
  if cargo +nightly fuzz run --fuzz-dir fuzz "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
      -max_total_time="$seconds" -timeout=10 -print_final_stats=1 "${dict[@]}" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    corpus=$(find "fuzz/corpus/$target" -type f | wc -l)
    summary+=("$target: ${runs:-?} executions in ${seconds} s, coverage ${coverage:-?} edges, corpus $corpus inputs, no crash")
  else
    failed=1
    tail -n 40 "$log" >&2
    summary+=("$target: CRASH (input in fuzz/artifacts/$target/, full log $log)")
    continue
  fi
  rm -f "$log"
done

echo "== summary"
printf '%s\n' "${summary[@]}"
exit "$failed"
