#!/bin/bash
# The differential test: our test firmware (fwcfg_probe.S) runs on QEMU and
# on our vmm, under the same KVM and with the same user items, and must print
# the same lines. The sums it prints are also checked against the host files.
#
#   diff_test.sh VMM FIRMWARE_IMAGE
#
# The reference is QEMU on KVM, not TCG: QEMU's TCG path answers wide port
# reads differently (after selecting key 0, `inw 0x511` gives 0xff51 on
# QEMU-KVM, as over qtest, but 0x0000 on QEMU-TCG, which consumes no data
# byte). Guests meet KVM in production, and our device follows QEMU-KVM.
#
# Where /dev/kvm cannot be opened the test says it is skipped and passes.
set -euo pipefail
export LC_ALL=C

VMM=$1
IMAGE=$2
QEMU=${QEMU:-qemu-system-x86_64}
T=${TEST_TMPDIR:-$(mktemp -d)}

if ! (exec 3<>/dev/kvm) 2>/dev/null; then
  echo "SKIPPED: /dev/kvm cannot be opened here; the firmware needs a vCPU"
  exit 0
fi
command -v "$QEMU" >/dev/null ||
  { echo "FAIL: $QEMU not found (tools/bazel installs qemu-system-x86)"; exit 1; }

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

run_qemu() {
  timeout -k 5 120 "$QEMU" -M q35 -accel kvm -m 128M -no-reboot -nodefaults \
    -display none -bios "$IMAGE" -serial "file:$T/qemu.txt" \
    -fw_cfg "name=$P/empty,file=$T/empty" \
    -fw_cfg "name=$P/one,file=$T/one" \
    -fw_cfg "name=$P/60k,file=$T/60k" \
    -fw_cfg "name=$N55,string=$STRING" \
    -fw_cfg "name=$P/string,string=$STRING" 2>"$T/qemu.err"
}
run_vmm() {
  timeout -k 5 120 "$VMM" --firmware "$IMAGE" --memory size=128M \
    --serial "file=$T/vmm.txt" --fw-cfg-config \
    "items=[name=$P/empty,file=$T/empty:name=$P/one,file=$T/one:name=$P/60k,file=$T/60k:name=$N55,string=$STRING:name=$P/string,string=$STRING]"
}

status=0
run_qemu || { echo "FAIL: QEMU exited with $?"; cat "$T/qemu.err"; status=1; }
run_vmm || { echo "FAIL: vmm exited with $?"; status=1; }
for side in qemu vmm; do
  tr -d '\r' <"$T/$side.txt" >"$T/$side.lines"
  grep -q '^FWCFG-FW done$' "$T/$side.lines" ||
    { echo "FAIL: the firmware did not finish on $side"; status=1; }
done

if ! cmp -s "$T/qemu.lines" "$T/vmm.lines"; then
  echo "FAIL: the firmware's output differs (left QEMU-KVM, right our vmm):"
  diff -y -W 200 "$T/qemu.lines" "$T/vmm.lines" || true
  status=1
fi

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

echo "--- firmware output on our vmm"
cat "$T/vmm.lines"
[[ $status -eq 0 ]] && echo "PASS: QEMU-KVM and our vmm print the same $(wc -l <"$T/vmm.lines") lines"
exit $status
