#!/bin/bash
# Benchmark (not a test): the cost of fw_cfg I/O through a real vCPU, on
# QEMU-KVM and on our vmm, under the same KVM. The test firmware's timing
# mode (enabled by the item opt/org.fwcfg-vmm/timing) times, with rdtsc, 4096
# single-byte data-port reads (each a VM exit) and one DMA read of a 60 KiB
# item, and prints the cycle counts; this script turns them into cycles per
# exit and bytes per cycle, for each side and as a ratio.
#
#   tools/bazel run //tests/firmware:io_bench [-- RUNS]
#   io_bench.sh VMM FIRMWARE_IMAGE BUILD_SH HARNESS [RUNS]
#
# Where the host has no hardware-assisted KVM the runs happen inside the
# nested-KVM harness's L1 guest (figures then are nested-under-TCG figures:
# compare the ratio, not the cycles). Two pieces serve other benchmarks that
# already run where KVM is:
#   io_bench.sh --run VMM FIRMWARE_IMAGE OUT_DIR RUNS   the runs, into OUT_DIR
#   io_bench.sh --report OUT_DIR RUNS                   the table
set -euo pipefail
export LC_ALL=C
P=opt/org.fwcfg-vmm

# --run: RUNS alternating boots of QEMU-KVM and our vmm.
run_both() {
  local vmm=$1 image=$2 out=$3 runs=$4 run
  head -c 61440 /dev/urandom >"$out/60k"
  for run in $(seq "$runs"); do
    timeout -k 5 120 qemu-system-x86_64 -M q35 -accel kvm -m 128M -no-reboot \
      -nodefaults -display none -bios "$image" -serial "file:$out/qemu.$run.txt" \
      -fw_cfg "name=$P/timing,string=1" -fw_cfg "name=$P/60k,file=$out/60k" 2>/dev/null || true
    timeout -k 5 120 "$vmm" --firmware "$image" --memory size=128M \
      --serial "file=$out/vmm.$run.txt" \
      --fw-cfg-config "items=[name=$P/timing,string=1:name=$P/60k,file=$out/60k]" || true
  done
}

# Prints "<cycles per inb> <DMA bytes per cycle>" from a console log; the
# firmware prints hexadecimal "key=value" fields.
field() { sed -n "s/.* $2=\([0-9a-f]*\).*/\1/p" <<<"$1"; }
figures() {
  local inb dma
  inb=$(tr -d '\r' <"$1" 2>/dev/null | grep '^TIMING inb ') || return 1
  dma=$(tr -d '\r' <"$1" 2>/dev/null | grep '^TIMING dma ') || return 1
  awk -v n=$((16#$(field "$inb" n))) -v c=$((16#$(field "$inb" cycles))) \
      -v b=$((16#$(field "$dma" bytes))) -v d=$((16#$(field "$dma" cycles))) \
      'BEGIN { printf "%.0f %.4f\n", c / n, b / d }'
}

# --report: one line per run, then the ratios' medians.
report() {
  local out=$1 runs=$2 run q_exit q_dma v_exit v_dma
  printf '%-4s %16s %16s %20s %20s %10s %10s\n' run "QEMU cyc/exit" "vmm cyc/exit" \
    "QEMU DMA bytes/cyc" "vmm DMA bytes/cyc" "exit ratio" "DMA ratio"
  for run in $(seq "$runs"); do
    if ! read -r q_exit q_dma < <(figures "$out/qemu.$run.txt") ||
       ! read -r v_exit v_dma < <(figures "$out/vmm.$run.txt"); then
      echo "$run: no timing lines (see $out/*.$run.txt)"
      continue
    fi
    printf '%-4s %16s %16s %20s %20s %10.2f %10.2f\n' "$run" "$q_exit" "$v_exit" \
      "$q_dma" "$v_dma" "$(awk "BEGIN { print $v_exit / $q_exit }")" \
      "$(awk "BEGIN { print $v_dma / $q_dma }")"
  done
  echo "(exit ratio: our cycles per exit over QEMU's, lower is better; DMA ratio: our bytes per cycle over QEMU's, higher is better)"
}

case "${1:-}" in
  --run) shift; run_both "$@"; exit 0 ;;
  --report) shift; report "$@"; exit 0 ;;
esac

[[ $# -ge 4 ]] || { echo "usage: $0 VMM FIRMWARE_IMAGE BUILD_SH HARNESS [RUNS]" >&2; exit 2; }
VMM=$(realpath "$1")
IMAGE=$(realpath "$2")
BUILD_SH=$(realpath "$3")
source "$(realpath "$4")"
RUNS=${5:-3}
SELF=$(realpath "${BASH_SOURCE[0]}")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
command -v qemu-system-x86_64 >/dev/null || { echo "io_bench: qemu-system-x86_64 not found" >&2; exit 1; }

grep -m1 "model name" /proc/cpuinfo || true
echo "KVM: $(kvm_backend); runs: $(nested_mode)"
if [[ "$(nested_mode)" == nested ]]; then
  echo "(nested under QEMU's TCG: emulated figures; compare the ratios)"
  nested_use_guest "$BUILD_SH"
fi
cat >"$T/script.sh" <<EOF
source "$NESTED_HARNESS"
nested_stage io-bench $((RUNS * 300))
bash "$SELF" --run "$VMM" "$IMAGE" "$T" "$RUNS"
EOF
nested_run "$T" "$T/script.sh" $((RUNS * 300 + 300)) || { echo "io_bench: the runs failed" >&2; exit 1; }
report "$T" "$RUNS"
