#!/bin/bash
# The differential test: our test firmware (fwcfg_probe.S) runs on QEMU and
# on our vmm, under the same KVM and with the same user items, and must print
# the same lines. The sums it prints are also checked against the host files.
#
#   diff_test.sh VMM FIRMWARE_IMAGE HARNESS
#
# The reference is QEMU on KVM, not TCG: QEMU's TCG path answers wide port
# reads differently (after selecting key 0, `inw 0x511` gives 0xff51 on
# QEMU-KVM, as over qtest, but 0x0000 on QEMU-TCG, which consumes no data
# byte). Guests meet KVM in production, and our device follows QEMU-KVM.
#
# A third run gives our vmm QEMU's arm `virt` MMIO block beside the ports
# (--fw-cfg-arm-mmio 0xfe000000) and the item etc/fwcfg-vmm/mmio that asks
# the firmware to probe it (outside opt/, so the rest of the output stays
# the same): the firmware must print the same lines
# plus its MMIO lines, whose values are what qtest reads on QEMU's arm
# `virt` machine for the same accesses (kMmioLines below).
#
# Where /dev/kvm is usable (any kind: the firmware needs no more than
# kvm_pvm gives) both run here; elsewhere they run inside the nested-KVM
# harness's L1 guest (tests/nested/harness.sh), so the comparison happens on
# every machine.
set -euo pipefail
export LC_ALL=C

VMM=$(realpath "$1")
IMAGE=$(realpath "$2")
BUILD_SH=$(realpath "$3")
source "$(realpath "$4")"
T=${TEST_TMPDIR:-$(mktemp -d)}
mkdir -p "$T/out"
T=$(realpath "$T")

command -v qemu-system-x86_64 >/dev/null ||
  { echo "FAIL: qemu-system-x86_64 not found (tools/bazel installs qemu-system-x86)"; exit 1; }
nested_any_kvm "$BUILD_SH" || exit 1

# The user items: empty, 1 byte, 60 KiB, a 55-byte name, a string.
P=opt/org.fwcfg-vmm
: >"$T/empty"
printf 'x' >"$T/one"
awk 'BEGIN { for (i = 0; i < 61440; i++) printf "%c", (i * 7 + int(i / 251)) % 256 }' \
  </dev/null >"$T/60k"
[[ $(stat -c %s "$T/60k") -eq 61440 ]] || { echo "FAIL: building the 60 KiB item"; exit 1; }
N55="$P/$(printf '%*s' $((55 - ${#P} - 1)) '' | tr ' ' n)"
[[ ${#N55} -eq 55 ]] || { echo "FAIL: the long name is ${#N55} bytes"; exit 1; }
STRING=hello-firmware

# Both runs, where KVM is; their consoles land in $T/out.
cat >"$T/out/script.sh" <<EOF
source "$NESTED_HARNESS"
cd "$T/out"
nested_stage qemu 150
timeout -k 5 120 qemu-system-x86_64 -M q35 -accel kvm -m 128M -no-reboot \\
  -nodefaults -display none -bios "$IMAGE" -serial file:qemu.txt \\
  -fw_cfg "name=$P/empty,file=$T/empty" \\
  -fw_cfg "name=$P/one,file=$T/one" \\
  -fw_cfg "name=$P/60k,file=$T/60k" \\
  -fw_cfg "name=$N55,string=$STRING" \\
  -fw_cfg "name=$P/string,string=$STRING" 2>qemu.err
echo "qemu exit \$?" >status
nested_stage vmm 150
timeout -k 5 120 "$VMM" --firmware "$IMAGE" --memory size=128M \\
  --serial file=vmm.txt --fw-cfg-config \\
  "items=[name=$P/empty,file=$T/empty:name=$P/one,file=$T/one:name=$P/60k,file=$T/60k:name=$N55,string=$STRING:name=$P/string,string=$STRING]"
echo "vmm exit \$?" >>status
nested_stage vmm-arm-mmio 150
timeout -k 5 120 "$VMM" --firmware "$IMAGE" --memory size=128M \\
  --serial file=vmm-arm-mmio.txt --fw-cfg-arm-mmio 0xfe000000 \\
  --exit-stats file=exits.txt --fw-cfg-config \\
  "items=[name=etc/fwcfg-vmm/mmio,string=on:name=$P/empty,file=$T/empty:name=$P/one,file=$T/one:name=$P/60k,file=$T/60k:name=$N55,string=$STRING:name=$P/string,string=$STRING]"
echo "vmm-arm-mmio exit \$?" >>status
EOF

status=0
run_status=0
nested_run "$T/out" "$T/out/script.sh" 900 || run_status=$?
nested_exit_if_skipped "$run_status"
echo "KVM: $(nested_mode) ($(kvm_backend) here)"
[[ $run_status -eq 0 ]] || { echo "FAIL: the runs did not complete (harness status $run_status)"; status=1; }
grep -qx 'qemu exit 0' "$T/out/status" 2>/dev/null ||
  { echo "FAIL: QEMU did not exit 0"; cat "$T/out/qemu.err" 2>/dev/null; status=1; }
# The firmware ends by resetting through the i8042: QEMU (-no-reboot) exits
# 0, our vmm 3 ("the guest reset the machine").
grep -qx 'vmm exit 3' "$T/out/status" 2>/dev/null ||
  { echo "FAIL: vmm did not exit 3 (reset): $(grep vmm "$T/out/status")"; status=1; }
# --exit-stats (on the MMIO run): rows for the data port and the MMIO page.
if ! grep -Eq '^  pio in 0x0511 +[1-9][0-9]* +[1-9]' "$T/out/exits.txt" 2>/dev/null ||
   ! grep -Eq '^  mmio (read|write) 0xfe000000 +[1-9]' "$T/out/exits.txt"; then
  echo "FAIL: --exit-stats table without the data port's or the MMIO block's rows:"
  cat "$T/out/exits.txt" 2>/dev/null
  status=1
fi
for side in qemu vmm vmm-arm-mmio; do
  tr -d '\r' <"$T/out/$side.txt" >"$T/$side.lines" 2>/dev/null || : >"$T/$side.lines"
  grep -q '^FWCFG-FW done$' "$T/$side.lines" ||
    { echo "FAIL: the firmware did not finish on $side"; status=1; }
done

if ! cmp -s "$T/qemu.lines" "$T/vmm.lines"; then
  echo "FAIL: the firmware's output differs (left QEMU-KVM, right our vmm):"
  diff -y -W 200 "$T/qemu.lines" "$T/vmm.lines" || true
  status=1
fi

# The arm `virt` block through a real vCPU. On QEMU 7.2 `-M virt`, qtest:
#   readl 0x9020010 -> 0x554d4551   readl 0x9020014 -> 0x47464320
#   writew 0x9020008 0x0000; readb/readw/readl 0x9020000 -> 0x51, 0x4d45, 0x55
#   writew 0x9020008 0x0100; readl 0x9020000 -> 0x3
#   writel 0x9020008 0x0; readb 0x9020000 -> 0x0; readb 0x9020001 -> 0x0
kMmioLines='MMIO dma-sig-hi 554d4551
MMIO dma-sig-lo 47464320
MMIO key0-readb 00000051
MMIO key0-readw 00004d45
MMIO key0-readl 00000055
MMIO key1-be-readl 00000003
MMIO writel-sel-readb 00000000
MMIO data-offset1-readb 00000000'
grep -qx 'vmm-arm-mmio exit 3' "$T/out/status" 2>/dev/null ||
  { echo "FAIL: vmm --fw-cfg-arm-mmio did not exit 3: $(grep vmm-arm-mmio "$T/out/status")"; status=1; }
if [[ "$(grep '^MMIO ' "$T/vmm-arm-mmio.lines")" != "$kMmioLines" ]]; then
  echo "FAIL: the firmware's MMIO lines (left expected, right our vmm):"
  diff -y -W 120 <(echo "$kMmioLines") <(grep '^MMIO ' "$T/vmm-arm-mmio.lines") || true
  status=1
fi
if ! cmp -s <(grep -v '^MMIO ' "$T/vmm-arm-mmio.lines") "$T/vmm.lines"; then
  echo "FAIL: with the MMIO block beside the ports, the other lines changed"
  status=1
fi
grep -q '^MMIO ' "$T/qemu.lines" && { echo "FAIL: MMIO lines on QEMU-KVM, which has no block"; status=1; }

# The sums against the host files (32-bit sum of the bytes, as the firmware
# computes it), for every method.
byte_sum() { od -An -v -t u1 "$1" | awk '{ for (i = 1; i <= NF; i++) s += $i } END { printf "%08x", s % 4294967296 }'; }
printf '%s' "$STRING" >"$T/string"
check() {
  local name=$1 file=$2 size sum line
  size=$(printf '%08x' "$(stat -c %s "$file")")
  sum=$(byte_sum "$file")
  line=$(grep -A1 -F -x "FILE $name SIZE $size" "$T/vmm.lines" | sed -n 2p)
  if [[ "$line" =~ ^SUM\ rep=$sum\ byte=($sum|-)\ dma=$sum\ ctl=00000000$ ]]; then
    echo "ok   $name size=$size sum=$sum"
  else
    echo "FAIL $name: want size $size and sum $sum, got '${line:-<no FILE line>}'"
    status=1
  fi
}
check "$P/empty" "$T/empty"
check "$P/one" "$T/one"
check "$P/60k" "$T/60k"
check "$N55" "$T/string"
check "$P/string" "$T/string"

echo "--- firmware output on our vmm with --fw-cfg-arm-mmio"
cat "$T/vmm-arm-mmio.lines"
[[ $status -eq 0 ]] && echo "PASS: QEMU-KVM and our vmm print the same $(wc -l <"$T/vmm.lines") lines"
exit $status
