#!/bin/bash
# The differential: the same Linux guest (tools/test_guest, the ELF vmlinux)
# with the same user items, on qemu-system-x86_64 -M q35 -accel kvm and on
# our vmm, under the same KVM (the host's, or the nested-KVM harness's L1).
# Linux's qemu_fw_cfg must see the same thing on both: the same rev, and for
# every opt/ item the same name, size and sha256, with the opt/ keys in name
# order on both (the key numbers themselves differ: QEMU publishes more
# files of its own). A mismatch prints both sides.
#
#   qemu_kvm_diff_test.sh VMM_STATIC BUILD_SH HARNESS GUEST_ITEMS
set -euo pipefail
export LC_ALL=C

VMM=$(realpath "$1")
BUILD_SH=$(realpath "$2")
source "$(realpath "$3")"
source "$(realpath "$4")"

T=${TEST_TMPDIR:-$(mktemp -d)}
OUT="$T/out"
mkdir -p "$OUT"
command -v qemu-system-x86_64 >/dev/null ||
  { echo "FAIL: qemu-system-x86_64 not found (tools/bazel installs qemu-system-x86)"; exit 1; }
nested_use_guest "$BUILD_SH" || exit 1
GUEST=$NESTED_GUEST_DIR
items_make "$T/items"

# Only the opt/ items are read: QEMU's 128 KiB etc/acpi/tables alone would
# cost two million port reads.
CMDLINE="console=ttyS0 panic=-1 quiet fwcfg_sum=opt/"
{
  echo "source \"$NESTED_HARNESS\""
  echo "cd \"\$NESTED_OUT\""
  printf 'nested_boot qemu 400 qemu-system-x86_64 -M q35 -accel kvm -cpu host -m 512M'
  printf ' -nodefaults -display none -no-reboot -serial stdio'
  printf ' -kernel %q -initrd %q -append %q' "$GUEST/vmlinux" \
    "$GUEST/initramfs.cpio.gz" "$CMDLINE"
  printf ' %q' "${ITEMS_QEMU_ARGS[@]}"
  printf '\necho "qemu exit=$?" >>status\n'
  printf 'nested_boot vmm 400 %q --kernel %q --initramfs %q --cmdline %q' "$VMM" \
    "$GUEST/vmlinux" "$GUEST/initramfs.cpio.gz" "$CMDLINE"
  printf ' --memory size=512M --fw-cfg-config %q' "$ITEMS_VMM_CONFIG"
  printf '\necho "vmm exit=$?" >>status\n'
} >"$OUT/script.sh"

nested_test_run "$OUT" "$OUT/script.sh" 1200

for side in qemu vmm; do
  grep -qx "$side exit=0" "$OUT/status" 2>/dev/null || fail "$side did not exit 0"
  comparable_lines "$OUT/$side.console" >"$T/$side.lines"
  echo "== $side: VMM start to the guest's init: $(grep -m1 -F 'FWCFG-GUEST: start' \
    "$OUT/$side.console" | cut -d' ' -f1) s"
  guest_lines "$OUT/$side.console" | grep -q '^FWCFG-GUEST: done' ||
    fail "$side: the guest did not finish"
  opt_keys_sorted "$OUT/$side.console" || fail "$side: opt/ keys out of name order"
  items_check "$OUT/$side.console" "$side" || fail "$side: an item is missing or wrong"
done
if ! cmp -s "$T/qemu.lines" "$T/vmm.lines"; then
  fail "the guest saw different items (left QEMU-KVM, right our vmm):"
  diff -y -W 240 "$T/qemu.lines" "$T/vmm.lines" || true
else
  echo "== identical on both ($(wc -l <"$T/vmm.lines") lines):"
  cat "$T/vmm.lines"
fi

nested_test_end "$OUT" "Linux's qemu_fw_cfg sees the same items on QEMU-KVM and on our vmm"
