#!/bin/bash
# Runs //vmm:kvm_boot_test where KVM works: on this host if /dev/kvm is
# usable, otherwise inside the nested-KVM harness's L1 guest
# (tests/nested/harness.sh). kvm_boot_test itself skips without KVM, so on a
# machine without it, this is what keeps its cases (SIGTERM to a hung guest,
# exit statuses, bad kernels) running.
#
#   kvm_boot_nested_test.sh KVM_BOOT_TEST VMM TINY_GUEST BUILD_SH HARNESS
set -euo pipefail
export LC_ALL=C

TEST_BIN=$(realpath "$1")
VMM=$(realpath "$2")
GUEST=$(realpath "$3")
BUILD_SH=$(realpath "$4")
source "$(realpath "$5")"
T=${TEST_TMPDIR:-$(mktemp -d)}
mkdir -p "$T/out"
T=$(realpath "$T")

nested_any_kvm "$BUILD_SH" || exit 1

cat >"$T/out/script.sh" <<SCRIPT
source "\$NESTED_HARNESS"
cd "$T/out"
nested_stage kvm_boot_test 240
TEST_TMPDIR="$T/out" timeout -k 5 200 "$TEST_BIN" "$VMM" "$GUEST" >kvm_boot_test.log 2>&1
echo "exit \$?" >status
SCRIPT

run_status=0
nested_run "$T/out" "$T/out/script.sh" 600 || run_status=$?
nested_exit_if_skipped "$run_status"
echo "KVM: $(nested_mode) ($(kvm_backend) here)"
cat "$T/out/kvm_boot_test.log" 2>/dev/null || true
status=0
[[ $run_status -eq 0 ]] || { echo "FAIL: the run did not complete (harness status $run_status)"; status=1; }
grep -qx 'exit 0' "$T/out/status" 2>/dev/null ||
  { echo "FAIL: kvm_boot_test: $(cat "$T/out/status" 2>/dev/null || echo 'no status')"; status=1; }
# Where KVM works, nothing may be skipped.
if grep -q '^\[  SKIPPED \]' "$T/out/kvm_boot_test.log" 2>/dev/null; then
  echo "FAIL: kvm_boot_test skipped cases where KVM works"
  status=1
fi
grep -q '^\[  PASSED  \]' "$T/out/kvm_boot_test.log" 2>/dev/null ||
  { echo "FAIL: no PASSED line"; status=1; }
exit $status
