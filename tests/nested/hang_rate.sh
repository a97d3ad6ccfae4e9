#!/bin/bash
# Benchmark (not a test): how often a nested run hangs. Boots the harness's
# L1 RUNS times (PARALLEL at once, to load the host's cores as CI does), and
# in each one boots the Linux test guest once on VMM (the ELF vmlinux, one
# item, 2 vCPUs), with the stage deadlines of the e2e tests. Prints one line
# per run (ok, hang and where, or fail), then the counts and times.
#
#   tools/bazel run //tests/nested:hang_rate -- [--vmm PATH] [RUNS] [PARALLEL]
#   hang_rate.sh BUILD_SH HARNESS VMM [--vmm PATH] [RUNS] [PARALLEL]
#
# --vmm overrides the VMM that BUILD gives (//vmm:vmm_static): any vmm binary
# of the host works (the L1 guest sees the host's files), an older build
# included.
set -uo pipefail
export LC_ALL=C
BUILD_SH=$(realpath "$1")
source "$(realpath "$2")"
VMM=$(realpath "$3")
shift 3
if [[ "${1:-}" == --vmm ]]; then
  VMM=$(realpath "$2")
  shift 2
fi
RUNS=${1:-20}
PARALLEL=${2:-1}

export FWCFG_NESTED=nested
nested_use_guest "$BUILD_SH" || exit 1
G=$NESTED_GUEST_DIR
T=$(mktemp -d /tmp/hang_rate.XXXXXX)
echo "guest setup information" >"$T/item"
echo "vmm: $VMM; $RUNS runs, $PARALLEL at a time; files in $T"

one_run() {
  local run=$1 out="$T/run$1" status start
  mkdir -p "$out"
  cat >"$out/script.sh" <<EOF
source "$NESTED_HARNESS"
nested_boot linux 120 "$VMM" --kernel "$G/vmlinux" \\
  --initramfs "$G/initramfs.cpio.gz" --cmdline "console=ttyS0 panic=-1 quiet" \\
  --cpus boot=2 --memory size=512M \\
  --fw-cfg-config "items=[name=opt/org.mycorp/setup_info,file=$T/item]"
EOF
  start=$SECONDS
  nested_run "$out" "$out/script.sh" 400 >"$out/harness.log" 2>&1
  status=$?
  local seconds=$((SECONDS - start)) what
  if [[ $status -eq 0 ]] && grep -q 'FWCFG-GUEST: done' "$out/linux.console"; then
    what=ok
  elif [[ $status -eq 124 ]]; then
    what="HANG: $(grep -m1 -o "stage '[^']*'" "$out/harness.log")"
    grep -q 'soft lockup' "$out/nested/l1.console" && what+=" (L1 soft lockup)"
  else
    what="FAIL: status $status"
  fi
  echo "run $run: $what, ${seconds} s"
}

for ((run = 1; run <= RUNS; run += PARALLEL)); do
  for ((i = run; i < run + PARALLEL && i <= RUNS; i++)); do
    one_run "$i" &
  done
  wait
done | tee "$T/summary"
echo "ok: $(grep -c ': ok,' "$T/summary"), hung: $(grep -c 'HANG' "$T/summary")," \
  "failed: $(grep -c 'FAIL' "$T/summary") of $RUNS"
awk '/: ok,/ { s += $(NF - 1); n++ } END { if (n) printf "mean time of an ok run: %.1f s\n", s / n }' \
  "$T/summary"
