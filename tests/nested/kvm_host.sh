# What kind of KVM this host has, asked without creating or changing
# anything. Sourced by the tests, benchmarks and the nested harness:
#
#   source tests/nested/kvm_host.sh
#   kvm_device_usable || echo "no usable KVM"
#   case "$(kvm_backend)" in kvm_intel|kvm_amd) ... ;; esac
#
# Never probe with bash's `<>` redirection (or `>`, `>>`): those open with
# O_CREAT, and as root on a machine without KVM they create a regular file
# /dev/kvm that breaks every later KVM user there until someone deletes it.
# `[[ -c ]]` only stats the path.
#
# FWCFG_KVM_DEVICE names another device node (the probe tests point it at a
# path that does not exist).

kvm_device_path() { echo "${FWCFG_KVM_DEVICE:-/dev/kvm}"; }

# True when the KVM device is a character device this process may open for
# reading and writing.
kvm_device_usable() {
  local device
  device=$(kvm_device_path)
  [[ -c "$device" && -r "$device" && -w "$device" ]]
}

# Which KVM module serves the device: kvm_intel or kvm_amd (hardware-assisted),
# kvm_pvm (software nested virtualization: slow, and it cannot run an
# unmodified Linux kernel), "unknown", or "none" when the device is unusable.
kvm_backend() {
  if ! kvm_device_usable; then
    echo none
  elif [[ -d /sys/module/kvm_pvm ]]; then
    echo kvm_pvm
  elif [[ -d /sys/module/kvm_intel ]]; then
    echo kvm_intel
  elif [[ -d /sys/module/kvm_amd ]]; then
    echo kvm_amd
  else
    echo unknown
  fi
}
