#!/usr/bin/env bash
# The short run behind every fuzz_target's <name>_short_test (bazel/fuzz.bzl):
#
#   short_run.sh FUZZER SEED_DIR OPTIONS_FILE|- SECONDS RUNS
#
# Fuzzes from a copy of the seeds (the runfiles are read-only) for at most
# SECONDS and RUNS executions. libFuzzer exits non-zero on any finding; the
# input that caused it is kept in the test's undeclared outputs
# (bazel-testlogs/fuzz/<name>_short_test/test.outputs/).
set -euo pipefail

fuzzer="$1"
seeds="$2"
options_file="$3"
seconds="$4"
runs="$5"

work="${TEST_TMPDIR:-$(mktemp -d)}/corpus"
artifacts="${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR:-/tmp}}/"
mkdir -p "$work" "$artifacts"
cp -L "$seeds"/* "$work"/

options=()
if [[ "$options_file" != "-" ]]; then
  while read -r line; do
    [[ -z "$line" || "$line" == \#* ]] && continue
    options+=("$line")
  done <"$options_file"
fi

# A failing input must stop the test at once; libFuzzer's own handlers
# report it and save it under -artifact_prefix.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

exec "$fuzzer" \
  -max_total_time="$seconds" \
  -runs="$runs" \
  -timeout=20 \
  -rss_limit_mb=2048 \
  -print_final_stats=1 \
  -artifact_prefix="$artifacts" \
  "${options[@]}" \
  "$work"
