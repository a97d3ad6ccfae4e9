#!/bin/bash
# Firmware nobody here wrote: Debian's SeaBIOS boots the Linux test guest on
# our vmm through fw_cfg (etc/e820, the ACPI linker/loader, the kernel keys
# read by QEMU's linuxboot_dma.bin option ROM), and on QEMU-KVM in the same
# KVM for comparison:
#
#   ours:  vmm --firmware bios-microvm.bin   QEMU:  -M microvm -bios bios-microvm.bin
#   ours:  vmm --firmware bios.bin           QEMU:  -M q35 -bios bios.bin
#
# Each guest must finish, find fw_cfg through the ACPI tables SeaBIOS
# installed from the table-loader (its `rev` line) and read every item right;
# for each firmware the guest's opt/ lines must be the same on both, and the
# fw_cfg keys SeaBIOS and Linux select (our `--trace fw_cfg_select`, QEMU's
# `-trace fw_cfg_select`) must come in the same order, over the keys both
# machines have (file keys compared by name, from the guest's listing).
#
#   seabios_test.sh VMM_STATIC BUILD_SH HARNESS GUEST_ITEMS
set -euo pipefail
export LC_ALL=C

VMM=$(realpath "$1")
BUILD_SH=$(realpath "$2")
source "$(realpath "$3")"
source "$(realpath "$4")"

T=${TEST_TMPDIR:-$(mktemp -d)}
OUT="$T/out"
mkdir -p "$OUT"
for needed in /usr/share/seabios/bios.bin /usr/share/seabios/bios-microvm.bin \
  /usr/share/qemu/linuxboot_dma.bin; do
  [[ -r $needed ]] || { echo "FAIL: $needed missing (tools/bazel installs seabios and qemu-system-data)"; exit 1; }
done
command -v qemu-system-x86_64 >/dev/null ||
  { echo "FAIL: qemu-system-x86_64 not found"; exit 1; }
nested_use_guest "$BUILD_SH" || exit 1
GUEST=$NESTED_GUEST_DIR
items_make "$T/items"
# SeaBIOS's screen output to COM1 (etc/sercon-port, a little-endian port
# number): our vmm publishes it with --firmware (COM1 is its only console),
# QEMU gets it as a user item.
printf '\xf8\x03' >"$T/items/sercon-port"
VMM_CONFIG=$ITEMS_VMM_CONFIG
QEMU_ITEMS=("${ITEMS_QEMU_ARGS[@]}" -fw_cfg "name=etc/sercon-port,file=$T/items/sercon-port")

CMDLINE="console=ttyS0 panic=-1 quiet fwcfg_sum=opt/"
{
  echo "source \"$NESTED_HARNESS\""
  echo "cd \"\$NESTED_OUT\""
  for pair in microvm:bios-microvm.bin q35:bios.bin; do
    machine=${pair%%:*}
    bios=/usr/share/seabios/${pair#*:}
    printf 'nested_boot vmm-%s 400 %q --firmware %q --kernel %q --initramfs %q' \
      "$machine" "$VMM" "$bios" "$GUEST/vmlinuz" "$GUEST/initramfs.cpio.gz"
    printf ' --cmdline %q --memory size=512M --fw-cfg-config %q' "$CMDLINE" "$VMM_CONFIG"
    printf ' --debugcon file=vmm-%s.debugcon --trace fw_cfg_select --trace-file vmm-%s.trace' \
      "$machine" "$machine"
    printf '\necho "vmm-%s exit=$?" >>status\n' "$machine"
    printf 'nested_boot qemu-%s 400 qemu-system-x86_64 -M %s -accel kvm -cpu host -m 512M' \
      "$machine" "$machine"
    printf ' -nodefaults -display none -no-reboot -serial stdio -bios %q' "$bios"
    printf ' -kernel %q -initrd %q -append %q' "$GUEST/vmlinuz" \
      "$GUEST/initramfs.cpio.gz" "$CMDLINE"
    printf ' %q' "${QEMU_ITEMS[@]}"
    printf ' -chardev file,id=dbg,path=qemu-%s.debugcon -device isa-debugcon,iobase=0x402,chardev=dbg' \
      "$machine"
    printf ' -trace fw_cfg_select -D qemu-%s.trace' "$machine"
    printf '\necho "qemu-%s exit=$?" >>status\n' "$machine"
  done
} >"$OUT/script.sh"

nested_test_run "$OUT" "$OUT/script.sh" 1500


# selects RUN: one line per fw_cfg_select of RUN's trace, "0xKEY" for the
# numbered keys and the file's name for a file key (from the guest's
# listing of that run).
selects() {
  local run=$1 key name
  local -A names=()
  while read -r key name; do
    names[$key]=$name
  done < <(guest_lines "$OUT/$run.console" |
    sed -nE 's/^FWCFG-ITEM key=0x([0-9a-f]+) size=[0-9]+ name=([^ ]+) sum=.*$/\1 \2/p')
  printf '%s\n' "${!names[@]}" | while read -r key; do echo "$key ${names[$key]}"; done \
    >"$T/$run.names"
  while read -r key; do
    if (((16#$key & 0x8000) == 0 && (16#$key & 0x3fff) >= 0x20)); then
      echo "${names[$key]:-file:0x$key}"
    else
      echo "0x$key"
    fi
  done < <(sed -nE "s/^fw_cfg_select (0x)?[0-9a-f]+ key 0x([0-9a-f]{4}) '[^']*', ret: [01]\$/\2/p" \
    "$OUT/$run.trace")
}

for machine in microvm q35; do
  for side in vmm qemu; do
    run=$side-$machine
    grep -qx "$run exit=0" "$OUT/status" 2>/dev/null ||
      fail "$run did not exit 0: $(grep "^$run " "$OUT/status" 2>/dev/null)"
    comparable_lines "$OUT/$run.console" >"$T/$run.lines"
    guest_lines "$OUT/$run.console" | grep -q '^FWCFG-GUEST: rev=' ||
      fail "$run: the guest found no fw_cfg (no RSDP from SeaBIOS's table-loader?)"
    guest_lines "$OUT/$run.console" | grep -q '^FWCFG-GUEST: done' ||
      fail "$run: the guest did not finish"
    items_check "$OUT/$run.console" "$run" || fail "$run: an item is missing or wrong"
    echo "== $run: VMM start to the guest's init: $(grep -m1 -F 'FWCFG-GUEST: start' \
      "$OUT/$run.console" | cut -d' ' -f1) s; SeaBIOS said:"
    grep -a -m3 -E 'SeaBIOS|Booting from' "$OUT/$run.console" | sed 's/^/   /' || true
    # SeaBIOS's own log, on port 0x402 (--debugcon / QEMU's isa-debugcon).
    grep -aq 'SeaBIOS (version' "$OUT/$run.debugcon" 2>/dev/null ||
      fail "$run: no SeaBIOS banner in its debug console log"
    echo "   debug console: $(wc -l <"$OUT/$run.debugcon" 2>/dev/null || echo 0) lines," \
      "the last: $(grep -a . "$OUT/$run.debugcon" 2>/dev/null | tail -n 1 | tr -d '\r')"
    selects "$run" >"$T/$run.selects"
  done
  if ! cmp -s "$T/qemu-$machine.lines" "$T/vmm-$machine.lines"; then
    fail "$machine: the guest saw different items (left QEMU-KVM, right our vmm):"
    diff -y -W 240 "$T/qemu-$machine.lines" "$T/vmm-$machine.lines" || true
  fi
  # The keys both machines have: every numbered key, and the files both list.
  comm -12 <(cut -d' ' -f2 "$T/qemu-$machine.names" | sort -u) \
    <(cut -d' ' -f2 "$T/vmm-$machine.names" | sort -u) >"$T/$machine.common"
  for side in qemu vmm; do
    awk -v common="$T/$machine.common" '
      BEGIN { while ((getline n < common) > 0) keep[n] = 1 }
      /^0x/ || ($0 in keep)' "$T/$side-$machine.selects" >"$T/$side-$machine.compared"
  done
  if cmp -s "$T/qemu-$machine.compared" "$T/vmm-$machine.compared"; then
    echo "== $machine: the same $(wc -l <"$T/vmm-$machine.compared") fw_cfg selects on both"
  else
    fail "$machine: fw_cfg selects differ (left QEMU-KVM, right our vmm):"
    diff -y -W 120 "$T/qemu-$machine.compared" "$T/vmm-$machine.compared" | head -80 || true
  fi
done

nested_test_end "$OUT" "SeaBIOS boots Linux through fw_cfg on our vmm as on QEMU-KVM"
