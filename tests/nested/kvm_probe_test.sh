#!/bin/bash
# The KVM probes never create anything: bash's `<>` (and `>`) open with
# O_CREAT, and run as root on a machine without KVM such a probe leaves a
# regular file at /dev/kvm that breaks KVM there for good.
#
#   kvm_probe_test.sh KVM_HOST_SH HARNESS_SH CHECK_SH SCRIPT...
#
# 1. The probes of kvm_host.sh (and the harness's choice of mode) pointed at
#    a device path that does not exist: they say "no KVM" and the path and
#    its directory stay as they were. Also at the real /dev/kvm where it is
#    absent.
# 2. No script of the project probes a device with `<>`, `>` or `>>`.
set -u
export LC_ALL=C

KVM_HOST=$(realpath "$1")
HARNESS=$(realpath "$2")
source "$3"
shift 3
T=${TEST_TMPDIR:-$(mktemp -d)}

mkdir -p "$T/dev"
(
  export FWCFG_KVM_DEVICE="$T/dev/kvm"
  source "$HARNESS"
  kvm_device_usable && echo usable || echo unusable
  kvm_backend
  nested_mode
) >"$T/answers" 2>&1
check "probes of a missing device" "unusable none nested" "$(echo $(cat "$T/answers"))"
check "nothing created beside it" "" "$(ls -A "$T/dev")"

# A regular file where the device belongs (what a faulty probe leaves) is
# not a usable KVM either.
: >"$T/dev/kvm"
answer=$(FWCFG_KVM_DEVICE="$T/dev/kvm" bash -c "source '$KVM_HOST'; kvm_backend")
check "a regular file is no KVM" none "$answer"
rm -f "$T/dev/kvm"

if [[ ! -e /dev/kvm ]]; then
  (source "$HARNESS"; kvm_device_usable; kvm_backend; nested_mode) >/dev/null 2>&1
  check "/dev/kvm still absent after probing it" absent \
    "$([[ -e /dev/kvm ]] && echo present || echo absent)"
else
  echo "(/dev/kvm exists here: $(source "$KVM_HOST"; kvm_backend))"
fi

# Every script: no redirection that opens a device node for writing.
for script in "$@"; do
  if grep -noE '(<>|[^2&]>>?) *"?(\$\{?[A-Za-z_]*[Kk][Vv][Mm][A-Za-z_]*|/dev/[a-z0-9/]+)' \
      "$script" | grep -vE '/dev/(null|console|stdout|stderr|fd/|tty)'; then
    check "no device probe by redirection in $script" none found
  fi
done
echo "checked $# scripts"
check_done
