#!/bin/bash
# Benchmark (not a test): our vmm beside QEMU-KVM, in one run of the
# nested-KVM harness (on the host's KVM where it is hardware-assisted).
#
#   tools/bazel run -c opt //tests/e2e:nested_bench [-- BOOTS [IO_RUNS]]
#
# Prints, for each side and as our/QEMU ratios:
#   - VMM start to the guest's /init: the test guest's ELF vmlinux (QEMU:
#     its PVH entry, after SeaBIOS), "quiet", one vCPU, 512 MiB, BOOTS boots
#     each, alternating;
#   - Linux's sysfs read of a 64 KiB item (the guest times one read of
#     /sys/firmware/qemu_fw_cfg/by_name/.../raw, in /proc/uptime's 10 ms);
#   - the test firmware's cost of a data-port exit and a DMA read
#     (tests/firmware/io_bench.sh), IO_RUNS runs each.
# Nested under QEMU's TCG these are emulated figures: compare the ratios
# within one run, never the absolute times with real hardware.
#
# Arguments from BUILD: VMM_STATIC BUILD_SH HARNESS GUEST_ITEMS IO_BENCH
# FIRMWARE_IMAGE, then BOOTS (default 3) and IO_RUNS (default 3).
set -euo pipefail
export LC_ALL=C
VMM=$(realpath "$1")
BUILD_SH=$(realpath "$2")
source "$(realpath "$3")"
source "$(realpath "$4")"
IO_BENCH=$(realpath "$5")
IMAGE=$(realpath "$6")
BOOTS=${7:-3}
IO_RUNS=${8:-3}
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 not found" >&2; exit 1; }

T=$(mktemp -d /tmp/nested_bench.XXXXXX)
mkdir -p "$T/io"
nested_use_guest "$BUILD_SH"
GUEST=$NESTED_GUEST_DIR
items_make "$T/items"
K64=opt/org.fwcfg-vmm/64k
# No item is hashed (nothing starts with "-"); the 64 KiB one is timed.
CMDLINE="console=ttyS0 panic=-1 quiet fwcfg_sum=- fwcfg_time=$K64"
{
  echo "source \"$NESTED_HARNESS\""
  echo "cd \"\$NESTED_OUT\""
  echo "for i in \$(seq $BOOTS); do"
  printf '  nested_boot qemu$i 400 qemu-system-x86_64 -M q35 -accel kvm -cpu host -m 512M'
  printf ' -nodefaults -display none -no-reboot -serial stdio'
  printf ' -kernel %q -initrd %q -append %q' "$GUEST/vmlinux" \
    "$GUEST/initramfs.cpio.gz" "$CMDLINE"
  printf ' %q' "${ITEMS_QEMU_ARGS[@]}"
  printf '\n  nested_boot vmm$i 400 %q --kernel %q --initramfs %q --cmdline %q' "$VMM" \
    "$GUEST/vmlinux" "$GUEST/initramfs.cpio.gz" "$CMDLINE"
  printf ' --memory size=512M --fw-cfg-config %q\n' "$ITEMS_VMM_CONFIG"
  echo "done"
  echo "nested_stage io-bench $((IO_RUNS * 300))"
  printf 'bash %q --run %q %q %q %q\n' "$IO_BENCH" "$VMM" "$IMAGE" "$T/io" "$IO_RUNS"
} >"$T/script.sh"

echo "KVM here: $(kvm_backend); the runs: $(nested_mode); files in $T"
nested_run "$T" "$T/script.sh" $((BOOTS * 800 + IO_RUNS * 300 + 300)) ||
  { echo "the runs failed (status $?); see $T" >&2; exit 1; }

# seconds_to CONSOLE TEXT, and the guest's timed read.
seconds_to() { grep -m1 -F -- "$2" "$1" | cut -d' ' -f1; }
read_time() { sed -n "s|.*FWCFG-TIME name=$K64 size=65536 seconds=\([0-9.]*\).*|\1|p" "$1" | head -n 1; }
printf '\n%-6s %16s %16s %8s %16s %16s %8s\n' boot "QEMU to init s" "vmm to init s" ratio \
  "QEMU 64K read s" "vmm 64K read s" ratio
for i in $(seq "$BOOTS"); do
  qi=$(seconds_to "$T/qemu$i.console" 'FWCFG-GUEST: start')
  vi=$(seconds_to "$T/vmm$i.console" 'FWCFG-GUEST: start')
  qr=$(read_time "$T/qemu$i.console")
  vr=$(read_time "$T/vmm$i.console")
  awk -v b="$i" -v qi="${qi:-0}" -v vi="${vi:-0}" -v qr="${qr:-0}" -v vr="${vr:-0}" 'BEGIN {
    printf "%-6s %16.2f %16.2f %8.2f %16.2f %16.2f %8.2f\n", b, qi, vi,
      (qi > 0 ? vi / qi : 0), qr, vr, (qr > 0 ? vr / qr : 0) }'
done
echo "(ratio: ours over QEMU-KVM's; below 1 is faster)"
echo
bash "$IO_BENCH" --report "$T/io" "$IO_RUNS"
