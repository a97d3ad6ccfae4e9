#!/bin/bash
# The harness's own logic, where it needs no KVM: the direct mode runs a
# script on the host, so deadlines, statuses and the console stamps can be
# checked with plain shell scripts; and the reading of L1's registers that
# tells a wedged L1 kernel from a hang anywhere else.
#
#   harness_test.sh HARNESS CHECK_SH
set -u
export LC_ALL=C
source "$(realpath "$1")"
source "$2"
T=${TEST_TMPDIR:-$(mktemp -d)}

export FWCFG_NESTED=direct FWCFG_NESTED_SLACK=1

# A script's status comes back; nested_boot stamps the console lines and
# keeps the command's status and standard error apart.
mkdir -p "$T/ok"
{
  echo "source '$NESTED_HARNESS'"
  echo "nested_boot guest 10 bash -c 'echo one; printf \"two\\r\\n\"; echo err >&2; exit 3'"
  echo 'echo "boot status $?"'
  echo 'exit 5'
} >"$T/ok/script.sh"
status=0
nested_run "$T/ok" "$T/ok/script.sh" 60 2>"$T/ok.log" || status=$?
check "the script's status" 5 "$status"
check "the guest's status" "boot status 3" "$(grep 'boot status' "$T/ok/nested/l1.console")"
check "console lines stamped, carriage returns dropped" "one|two" \
  "$(sed -E 's/^[0-9]+\.[0-9]{6} //' "$T/ok/guest.console" | paste -sd'|')"
check "standard error apart" err "$(cat "$T/ok/guest.stderr")"
check "a start time" 1 "$(grep -cE '^[0-9]+\.[0-9]+$' "$T/ok/guest.start")"

# A stage that overruns its deadline: 124, a report naming the stage, and
# the script's processes gone.
mkdir -p "$T/hang"
{
  echo "source '$NESTED_HARNESS'"
  echo 'nested_stage sleepy 1'
  echo "echo \$\$ >'$T/hang/pid'"
  echo 'sleep 300'
} >"$T/hang/script.sh"
start=$SECONDS
status=0
nested_run "$T/hang" "$T/hang/script.sh" 60 2>"$T/hang.log" || status=$?
check "a hung stage gives 124" 124 "$status"
check "... within its deadline" yes \
  "$( ((SECONDS - start < 20)) && echo yes || echo "no: $((SECONDS - start)) s")"
check "... named in the report" 1 "$(grep -c "HANG: stage 'sleepy'" "$T/hang.log")"
check "... and the script is gone" gone \
  "$(kill -0 "$(cat "$T/hang/pid")" 2>/dev/null && echo alive || echo gone)"

# The whole run's deadline holds without any stage.
mkdir -p "$T/slow"
echo 'sleep 300' >"$T/slow/script.sh"
status=0
nested_run "$T/slow" "$T/slow/script.sh" 3 2>"$T/slow.log" || status=$?
check "the whole run's deadline gives 124" 124 "$status"

# Reading L1's registers (QEMU's "info registers -a"): wedged only when
# every vCPU is in the kernel, running, with interrupts off, in every sample.
sample() {  # RFL CPL HLT of CPU#0, then of CPU#1
  printf 'CPU#0\nRAX=0 RBX=0 RCX=0 RDX=0\n'
  printf 'RIP=ffffffff810015ba RFL=%s [--S--PC] CPL=%s II=0 A20=1 SMM=0 HLT=%s\n' "$1" "$2" "$3"
  printf 'CPU#1\n'
  printf 'RIP=ffffffff81c5267b RFL=%s [---Z-P-] CPL=%s II=0 A20=1 SMM=0 HLT=%s\n' "$4" "$5" "$6"
}
wedged() { _nested_l1_wedged "$1" && echo wedged || echo not; }
sample 00000087 0 0 00000046 0 0 >"$T/m1"
check "both in the kernel, interrupts off" wedged "$(wedged "$T/m1")"
{ cat "$T/m1"; cat "$T/m1"; } >"$T/m2"
check "... in two samples" wedged "$(wedged "$T/m2")"
{ cat "$T/m1"; sample 00000087 0 0 00000246 0 0; } >"$T/m3"
check "one sample with interrupts on" not "$(wedged "$T/m3")"
sample 00000087 0 0 00000046 3 0 >"$T/m4"
check "a vCPU in user space" not "$(wedged "$T/m4")"
sample 00000087 0 0 00000046 0 1 >"$T/m5"
check "a halted vCPU" not "$(wedged "$T/m5")"
: >"$T/m6"
check "no sample" not "$(wedged "$T/m6")"

check_done
