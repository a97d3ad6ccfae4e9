#!/bin/bash
# Boots the fw_cfg test guest (built by build.sh) on QEMU and prints the
# guest's FWCFG-* lines: the reference listing of the fw_cfg files QEMU
# publishes, as Linux's qemu_fw_cfg driver sees them.
#
#   tools/test_guest/run_qemu.sh [--kvm] [--timeout SECONDS] [--log FILE] \
#       OUTDIR [QEMU ARGS...]
#
# QEMU ARGS are passed through, typically -fw_cfg items:
#   -fw_cfg name=opt/org.example/a,string=hello
#   -fw_cfg name=opt/org.example/b,file=/path/to/blob
#
# Runs TCG unless --kvm is given. Exit status: 0 if the guest printed
# "FWCFG-GUEST: done", 1 otherwise (timeout, panic, no fw_cfg, ...); the full
# console log is kept in --log FILE if given. The wall time of the boot is
# printed on stderr.
set -euo pipefail

die() { echo "run_qemu.sh: error: $*" >&2; exit 2; }

ACCEL=(-accel tcg)
TIMEOUT=120
LOG=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --kvm) ACCEL=(-accel kvm); shift ;;
    --timeout) TIMEOUT=${2:?}; shift 2 ;;
    --log) LOG=${2:?}; shift 2 ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
[[ $# -ge 1 ]] || die "usage: $0 [--kvm] [--timeout S] [--log FILE] OUTDIR [QEMU ARGS...]"
OUTDIR=$1; shift
for f in vmlinuz initramfs.cpio.gz; do
  [[ -f "$OUTDIR/$f" ]] || die "$OUTDIR/$f missing (run tools/test_guest/build.sh $OUTDIR)"
done
QEMU=${QEMU:-qemu-system-x86_64}
command -v "$QEMU" >/dev/null || die "$QEMU not found (apt-get install qemu-system-x86)"

CONSOLE=$(mktemp)
trap 'rm -f "$CONSOLE"' EXIT

start=$(date +%s.%N)
rc=0
timeout -k 5 "$TIMEOUT" "$QEMU" \
  -M q35 -m 256M -nographic -no-reboot "${ACCEL[@]}" \
  -kernel "$OUTDIR/vmlinuz" -initrd "$OUTDIR/initramfs.cpio.gz" \
  -append "console=ttyS0 panic=-1 quiet" \
  "$@" </dev/null >"$CONSOLE" 2>&1 || rc=$?
end=$(date +%s.%N)

# The serial console ends lines with CR LF, and firmware escape sequences may
# precede a marker on its line: keep everything from "FWCFG-" on.
LINES=$(tr -d '\r' <"$CONSOLE" | grep -a -o -E 'FWCFG-(GUEST|ITEM)[ :].*' || true)
[[ -n "$LINES" ]] && printf '%s\n' "$LINES"
[[ -n "$LOG" ]] && cp "$CONSOLE" "$LOG"

elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}')
if [[ $rc -eq 124 || $rc -eq 137 ]]; then
  echo "run_qemu.sh: timed out after ${TIMEOUT}s" >&2
elif [[ $rc -ne 0 ]]; then
  echo "run_qemu.sh: $QEMU exited with status $rc:" >&2
  tr -d '\r' <"$CONSOLE" | grep -a -v -E '^FWCFG-' | tail -n 20 >&2
fi
echo "run_qemu.sh: boot took ${elapsed}s (qemu status $rc)" >&2
if grep -q -x 'FWCFG-GUEST: done' <<<"$LINES"; then
  exit 0
fi
exit 1
