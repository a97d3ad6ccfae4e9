#!/bin/bash
# Benchmark (not a test): the cost of fw_cfg I/O through a real vCPU, on
# QEMU-KVM and on our vmm, on this host. The test firmware's timing mode
# (enabled by the item opt/org.fwcfg-vmm/timing) times, with rdtsc, 4096
# single-byte data-port reads (each a VM exit) and one DMA read of a 60 KiB
# item, and prints the cycle counts; this script turns them into cycles per
# exit and bytes per cycle, for each side and as a ratio.
#
#   tools/bazel run //tests/firmware:io_bench [-- RUNS]
#   io_bench.sh VMM FIRMWARE_IMAGE [RUNS]
set -euo pipefail
export LC_ALL=C
[[ $# -ge 2 ]] || { echo "usage: $0 VMM FIRMWARE_IMAGE [RUNS]" >&2; exit 2; }
VMM=$(realpath "$1")
IMAGE=$(realpath "$2")
RUNS=${3:-3}
QEMU=${QEMU:-qemu-system-x86_64}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

(exec 3<>/dev/kvm) 2>/dev/null || { echo "io_bench: /dev/kvm cannot be opened" >&2; exit 1; }
command -v "$QEMU" >/dev/null || { echo "io_bench: $QEMU not found" >&2; exit 1; }
head -c 61440 /dev/urandom >"$T/60k"
P=opt/org.fwcfg-vmm

# Prints "<cycles per inb> <DMA bytes per cycle>" from a console log; the
# firmware prints hexadecimal "key=value" fields.
field() { sed -n "s/.* $2=\([0-9a-f]*\).*/\1/p" <<<"$1"; }
figures() {
  local inb dma
  inb=$(tr -d '\r' <"$1" | grep '^TIMING inb ') || return 1
  dma=$(tr -d '\r' <"$1" | grep '^TIMING dma ') || return 1
  awk -v n=$((16#$(field "$inb" n))) -v c=$((16#$(field "$inb" cycles))) \
      -v b=$((16#$(field "$dma" bytes))) -v d=$((16#$(field "$dma" cycles))) \
      'BEGIN { printf "%.0f %.4f\n", c / n, b / d }'
}

grep -m1 "model name" /proc/cpuinfo || true
[[ -e /sys/module/kvm_pvm ]] && echo "KVM: kvm_pvm (software nested virtualization: slow exits)"
printf '%-4s %22s %22s %22s %22s %10s %10s\n' run "QEMU cycles/exit" "vmm cycles/exit" \
  "QEMU DMA bytes/cycle" "vmm DMA bytes/cycle" "exit ratio" "DMA ratio"
for run in $(seq "$RUNS"); do
  timeout -k 5 120 "$QEMU" -M q35 -accel kvm -m 128M -no-reboot -nodefaults \
    -display none -bios "$IMAGE" -serial "file:$T/qemu.txt" \
    -fw_cfg "name=$P/timing,string=1" -fw_cfg "name=$P/60k,file=$T/60k" 2>/dev/null
  timeout -k 5 120 "$VMM" --firmware "$IMAGE" --memory size=128M \
    --serial "file=$T/vmm.txt" \
    --fw-cfg-config "items=[name=$P/timing,string=1:name=$P/60k,file=$T/60k]"
  read -r q_exit q_dma < <(figures "$T/qemu.txt")
  read -r v_exit v_dma < <(figures "$T/vmm.txt")
  printf '%-4s %22s %22s %22s %22s %10.2f %10.2f\n' "$run" "$q_exit" "$v_exit" \
    "$q_dma" "$v_dma" "$(awk "BEGIN { print $v_exit / $q_exit }")" \
    "$(awk "BEGIN { print $v_dma / $q_dma }")"
done
