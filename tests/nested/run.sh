#!/bin/bash
# Runs a script where KVM works (see harness.sh), for a developer:
#
#   tools/bazel run //tests/nested:run -- [--direct|--nested] [--timeout S] OUT_DIR SCRIPT
#
# OUT_DIR (created) receives SCRIPT's files and the harness's (nested/);
# SCRIPT may `source "$NESTED_HARNESS"` for nested_stage and nested_boot.
# The first two arguments (set in BUILD) are build.sh and harness.sh.
set -euo pipefail
BUILD_SH=$(realpath "$1")
source "$(realpath "$2")"
shift 2
seconds=1800
while [[ $# -gt 0 ]]; do
  case "$1" in
    --direct) export FWCFG_NESTED=direct; shift ;;
    --nested) export FWCFG_NESTED=nested; shift ;;
    --timeout) seconds=$2; shift 2 ;;
    *) break ;;
  esac
done
[[ $# -eq 2 ]] || { echo "usage: run [--direct|--nested] [--timeout S] OUT_DIR SCRIPT" >&2; exit 2; }
mkdir -p "$1"
out=$(realpath "$1")
script=$(realpath "$2")
if [[ "$(nested_mode)" == nested ]]; then
  nested_use_guest "$BUILD_SH"
fi
status=0
nested_run "$out" "$script" "$seconds" || status=$?
echo "run: status $status; console: $out/nested/l1.console" >&2
exit "$status"
