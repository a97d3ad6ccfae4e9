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
      --serial "file=$out/vmm.$run.txt" --exit-stats "file=$out/exits.$run.txt" \
      --fw-cfg-config "items=[name=$P/timing,string=1:name=$P/60k,file=$out/60k]" || true
  done
  if perf record -q -o /dev/null -e raw_syscalls:sys_enter -- true 2>/dev/null; then
    timeout -k 5 120 perf record -q -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit \
      -o "$out/qemu.perf" -- qemu-system-x86_64 -M q35 -accel kvm -m 128M -no-reboot \
      -nodefaults -display none -bios "$image" -serial "file:$out/qemu.perf.txt" \
      -fw_cfg "name=$P/timing,string=1" -fw_cfg "name=$P/60k,file=$out/60k" 2>/dev/null || true
    timeout -k 5 120 perf record -q -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit \
      -o "$out/vmm.perf" -- "$vmm" --firmware "$image" --memory size=128M \
      --serial "file=$out/vmm.perf.txt" --exit-stats "file=$out/exits.perf.txt" \
      --fw-cfg-config "items=[name=$P/timing,string=1:name=$P/60k,file=$out/60k]" || true
    local side
    for side in qemu vmm; do
      perf script -i "$out/$side.perf" -F tid,time,event,trace --ns 2>/dev/null |
        kvm_run_gaps | sort -n >"$out/$side.gaps" || true
      rm -f "$out/$side.perf"
    done
  fi
}

# Reads `perf script -F tid,time,event,trace --ns` of raw_syscalls and
# prints, per thread, the nanoseconds from each KVM_RUN (ioctl 0xae80)'s
# return to that thread's next KVM_RUN entry.
kvm_run_gaps() {
  awk '{
    split($2, t, "[.:]"); ns = t[1] * 1000000000 + t[2]
    if ($3 == "raw_syscalls:sys_enter:") {
      cmd = ($5 == 16) ? $7 : ""; sub(",", "", cmd); command[$1] = cmd
      if (cmd == "ae80" && ($1 in returned)) { print ns - returned[$1]; delete returned[$1] }
    } else if ($3 == "raw_syscalls:sys_exit:" && $5 == 16 && command[$1] == "ae80") {
      returned[$1] = ns
    }
  }'
}

# The median line of a sorted file of numbers.
median_of() {
  local n
  n=$(wc -l <"$1")
  ((n > 0)) && sed -n "$((n / 2 + 1))p" "$1"
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

# Prints "<mean cycles> <median cycles> <count>" of our user-space handling of
# `inb 0x511` exits, from an --exit-stats table.
user_part() {
  awk '$1 == "pio" && $2 == "in" && $3 == "0x0511" { print $6, $5, $4; found = 1 }
       END { exit !found }' "$1" 2>/dev/null
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
  echo
  echo "User-space part of a data-port exit (inb 0x511), cycles:"
  printf '%-4s %14s %14s %16s %16s %16s %10s\n' run "vmm total" "vmm user mean" \
    "(median, exits)" "kernel+CPU" "QEMU user" "user ratio"
  local u_mean u_median u_count kernel q_user
  for run in $(seq "$runs"); do
    if ! read -r q_exit q_dma < <(figures "$out/qemu.$run.txt") ||
       ! read -r v_exit v_dma < <(figures "$out/vmm.$run.txt") ||
       ! read -r u_mean u_median u_count < <(user_part "$out/exits.$run.txt"); then
      echo "$run: no exit stats (see $out/exits.$run.txt)"
      continue
    fi
    kernel=$(awk "BEGIN { print $v_exit - $u_mean }")
    q_user=$(awk "BEGIN { print $q_exit - $kernel }")
    printf '%-4s %14s %14s %16s %16.0f %16.0f %10s\n' "$run" "$v_exit" "$u_mean" \
      "($u_median, $u_count)" "$kernel" "$q_user" \
      "$(awk "BEGIN { if ($q_user > 0) printf \"%.2f\", $u_mean / $q_user; else print \"n/a\" }")"
  done
  echo "(kernel+CPU = vmm total - vmm user mean, the same KVM for both; QEMU user = QEMU's cycles per exit - kernel+CPU;"
  echo " user ratio: our user-space cycles over QEMU's, lower is better; the whole --exit-stats table of run 1 follows)"
  [[ -f "$out/exits.1.txt" ]] && cat "$out/exits.1.txt"
  echo
  local q_gap v_gap v_tsc ghz
  if [[ -s "$out/qemu.gaps" && -s "$out/vmm.gaps" ]] &&
     read -r _ u_median _ < <(user_part "$out/exits.perf.txt"); then
    q_gap=$(median_of "$out/qemu.gaps")
    v_gap=$(median_of "$out/vmm.gaps")
    ghz=$(sed -n 's/.*TSC \([0-9.]*\) GHz.*/\1/p' "$out/exits.perf.txt")
    v_tsc=$(awk "BEGIN { printf \"%.0f\", $u_median / $ghz }")
    echo "Second method, perf's system-call tracepoints (one run each; ns, medians over all KVM_RUN gaps, $(wc -l <"$out/vmm.gaps") ours, $(wc -l <"$out/qemu.gaps") QEMU's):"
    printf '  %-44s %8s\n' "QEMU: KVM_RUN return to next KVM_RUN" "$q_gap" \
      "vmm: KVM_RUN return to next KVM_RUN" "$v_gap" \
      "vmm: the same by its TSC (inb 0x511 median)" "$v_tsc" \
      "tracing cost (the difference)" "$((v_gap - v_tsc))" \
      "QEMU's user-space part (less tracing)" "$((q_gap - (v_gap - v_tsc)))"
    echo "  user ratio (ours over QEMU's): $(awk "BEGIN { q = $q_gap - ($v_gap - $v_tsc); if (q > 0) printf \"%.2f\", $v_tsc / q; else print \"n/a\" }")"
  else
    echo "(no perf figures: perf missing or its run failed)"
  fi
  return 0
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
