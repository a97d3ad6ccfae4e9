#!/usr/bin/env bash
# Benchmark (not a test): the speed of one fw_cfg DMA read of a large file
# item into guest RAM, our vmm beside QEMU 7.2, both in qtest mode (no vCPU,
# no KVM).
#
#   tools/bazel run -c opt //tests/bench:dma_bench [-- [--runs R] SIZE...]
#   dma_bench.sh VMM [--runs R] [SIZE...]    (SIZE: 64M, 1G...; default 256M 1G)
#
# For each SIZE it writes a file of random bytes under $TMPDIR (default
# /tmp; /dev/shm works too), reads it once so it is in the page cache, and
# starts each side with it as item opt/bench/blob and SIZE + 256 MiB of
# guest RAM (kept under 2 GiB: QEMU's q35 would put RAM past 2.75 GiB above
# 4 GiB):
#   lazy:    vmm --qtest stdio --memory size=MEM
#            --fw-cfg-config items=[name=opt/bench/blob,file=PATH]
#            (our default: the item is read from the file when the guest
#            reads it, a pread from the page cache straight into guest RAM)
#   preload: the same with items=[...,preload=on] (read whole at start-up
#            into a buffer with 2 MiB pages; a DMA read is a memory copy)
#   qemu:    qemu-system-x86_64 -M q35 -accel tcg -m MEM -S -nodefaults
#            -qtest stdio -fw_cfg name=opt/bench/blob,file=PATH (QEMU reads
#            every -fw_cfg file whole at start-up into its heap)
# The sides run one after the other, never together, so that neither takes
# cores, memory bandwidth or page-cache room from the other.
#
# Each process finds the item's key in the file directory (key 0x19, read by
# DMA), then does 1 + R DMA reads of the whole item to guest 0x1000000 with
# the descriptor at 0x1000: the first is "cold" (guest RAM there not yet
# touched, so it pays the page faults), the next R are "warm". The time is
# from sending `outl 0x518` (the low half of the descriptor's address, which
# starts the transfer) to its OK: the copy runs inside that command. Every
# transfer must leave the control word 0 (done, no error) and the right
# bytes at four 64-byte places (start, middle, end, and one that moves from
# run to run), which are zeroed before it so that a transfer that copies
# nothing fails too; the 8 bytes past the end must stay 0.
#
# DMA_BENCH_CHECK_OFFSET=K (for the smoke test only) compares the guest's
# bytes with the host file's K bytes further on, so the check must fail.
set -euo pipefail
export LC_ALL=C
trap '' PIPE  # a write to a process that died fails instead of killing us
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/qtest_child.sh"

readonly REPLY_TIMEOUT_S=120  # QEMU reads the whole item at start-up
readonly EXIT_TIMEOUT_S=10
readonly DESC_ADDR=0x1000
readonly DESC_PORT_VALUE=0x00100000  # 0x1000 byte-swapped: the register is big-endian
readonly DIR_ADDR=0x2000
readonly DEST=$((0x1000000))
readonly EXTRA_MIB=256  # guest RAM beyond the item: the 16 MiB below DEST, and room
readonly MAX_MEM_MIB=2047
readonly CHECK_OFFSET=${DMA_BENCH_CHECK_OFFSET:-0}
readonly ITEM=opt/bench/blob

die() {
  echo "dma_bench: $*" >&2
  exit 1
}

bench_args 5 SIZE "$@"
SIZES=("${ARGS[@]}")
[[ ${#SIZES[@]} -gt 0 ]] || SIZES=(256M 1G)
declare -A SIZE_MIB
for s in "${SIZES[@]}"; do
  [[ "$s" =~ ^([1-9][0-9]{0,4})([MG])$ ]] || die "sizes are like 64M or 1G, got '$s'"
  mib=$((10#${BASH_REMATCH[1]}))
  [[ ${BASH_REMATCH[2]} == G ]] && mib=$((mib * 1024))
  ((mib + EXTRA_MIB <= MAX_MEM_MIB)) ||
    die "size $s is too big: guest RAM (size + $EXTRA_MIB MiB) must stay under 2 GiB"
  SIZE_MIB[$s]=$mib
done
[[ "$CHECK_OFFSET" =~ ^[0-9]+$ ]] || die "DMA_BENCH_CHECK_OFFSET must be a number"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"

child_workdir dma_bench
BLOB=$T/blob
max_mib=0
for s in "${SIZES[@]}"; do ((SIZE_MIB[$s] > max_mib)) && max_mib=${SIZE_MIB[$s]}; done
avail_mib=$(($(df -P -k "$T" | awk 'NR == 2 { print $4 }') / 1024))
((avail_mib >= max_mib + 64)) ||
  die "$T has $avail_mib MiB free, the largest file needs $max_mib MiB; set TMPDIR"

# start SIDE MEM: starts one process on a pair of FIFOs, setting CHILD_PID,
# TO (its stdin) and FROM (its stdout).
start() {
  local side=$1 mem=$2 cmd=()
  case $side in
    lazy) cmd=("$VMM" --qtest stdio --memory "size=$mem" --fw-cfg-config "items=[name=$ITEM,file=$BLOB]") ;;
    preload) cmd=("$VMM" --qtest stdio --memory "size=$mem" --fw-cfg-config "items=[name=$ITEM,file=$BLOB,preload=on]") ;;
    qemu) cmd=(qemu-system-x86_64 -M q35 -accel tcg -m "$mem" -S -display none -nodefaults
      -qtest stdio -qtest-log /dev/null -fw_cfg "name=$ITEM,file=$BLOB") ;;
  esac
  child_start "${cmd[@]}"
}

# qtest_ok LABEL COMMAND: a command whose reply must be a bare OK.
qtest_ok() {
  qtest "$1" "$2"
  [[ "$REPLY" == OK ]] || die "$1: '$2' answered '$REPLY'$(child_stderr)"
}

# qtest_hex LABEL COMMAND: a `read`, sets HEX to its bytes (lower-case hex).
qtest_hex() {
  qtest "$1" "$2"
  [[ "$REPLY" =~ ^OK\ 0x([0-9a-f]*)$ ]] || die "$1: '$2' answered '$REPLY'$(child_stderr)"
  HEX=${BASH_REMATCH[1]}
}

# The 16-byte descriptor as one hex number: be32 control, be32 length,
# be64 address; control (key << 16) | SELECT 0x08 | READ 0x02.
descriptor() { printf '0x%04x000a%08x%016x' "$1" "$2" "$3"; }

# dma LABEL KEY LENGTH ADDRESS: one read into guest RAM, which must end with
# the control word 0; sets US to the time of the `outl 0x518`.
dma() {
  local label=$1 t0 t1
  qtest_ok "$label" "write $DESC_ADDR 16 $(descriptor "$2" "$3" "$4")"
  qtest_ok "$label" "outl 0x514 0x0"
  now_us
  t0=$NOW
  qtest "$label" "outl 0x518 $DESC_PORT_VALUE"
  now_us
  t1=$NOW
  [[ "$REPLY" == OK ]] || die "$label: 'outl 0x518 $DESC_PORT_VALUE' answered '$REPLY'$(child_stderr)"
  US=$((t1 - t0))
  qtest_hex "$label" "read $DESC_ADDR 4"
  [[ "$HEX" == 00000000 ]] ||
    die "$label: DMA of key $2 left control word 0x$HEX, not 0 (bit 0x1: error)"
}

# find_key LABEL SIZE: the key of $ITEM from the file directory, read by
# DMA; its size there must be SIZE. Sets KEY and FILES (directory count).
find_key() {
  local label=$1 size=$2 i entry name_hex
  dma "$label" 0x19 4 $DIR_ADDR
  qtest_hex "$label" "read $DIR_ADDR 4"
  FILES=$((16#$HEX))
  ((FILES >= 1 && FILES <= 4096)) || die "$label: the file directory counts $FILES files"
  dma "$label" 0x19 $((4 + 64 * FILES)) $DIR_ADDR
  qtest_hex "$label" "read $((DIR_ADDR + 4)) $((64 * FILES))"
  name_hex=$(printf '%s' "$ITEM" | od -An -v -tx1 | tr -d ' \n')00
  KEY=
  for ((i = 0; i < FILES; i++)); do
    entry=${HEX:i*128:128}  # be32 size, be16 key, be16 reserved, 56-byte name
    [[ "${entry:16}" == "$name_hex"* ]] || continue
    KEY=$((16#${entry:8:4}))
    ((16#${entry:0:8} == size)) ||
      die "$label: the directory gives $ITEM $((16#${entry:0:8})) bytes, not $size"
  done
  [[ -n "$KEY" ]] || die "$label: $ITEM is not in the file directory ($FILES files)"
}

# host_hex OFFSET LEN: the host file's bytes there, as hex.
host_hex() { od -An -v -tx1 -j "$1" -N "$2" "$BLOB" | tr -d ' \n'; }

# transfer LABEL SIZE RUN: zeroes the checked places, does one DMA read of
# the whole item to DEST, checks it; sets US.
transfer() {
  local label=$1 size=$2 run=$3 off offs want
  # Start, across the middle, end, and one place that moves with RUN.
  offs=(0 $((size / 2 - 32)) $((size - 64)) $(((run * 2654435761 + 4099) % (size - 64))))
  for off in "${offs[@]}"; do qtest_ok "$label" "memset $((DEST + off)) 64 0"; done
  dma "$label" "$KEY" "$size" "$DEST"
  for off in "${offs[@]}"; do
    qtest_hex "$label" "read $((DEST + off)) 64"
    want=$(host_hex $((off + CHECK_OFFSET)) 64)
    [[ "$HEX" == "$want" ]] ||
      die "$label: wrong guest bytes at item offset $off: guest $HEX, host file $want"
  done
  qtest_hex "$label" "read $((DEST + size)) 8"
  [[ "$HEX" == 0000000000000000 ]] || die "$label: DMA wrote past the item's end: $HEX"
}

# The middle value (the lower of the two middle ones for an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
min() { printf '%s\n' "$@" | sort -g | head -1; }

# measure SIDE SIZE MEM: one process, 1 + RUNS transfers; sets START_US,
# COLD_US, WARM_MED_US, WARM_BEST_US, RT_MED_US, RSS_KIB.
measure() {
  local side=$1 size=$2 mem=$3 label="$1 with $4" t0 run warm=() rts=()
  now_us
  t0=$NOW
  start "$side" "$mem"
  qtest_ok "$label" "outw 0x510 0x0"  # first reply: the process is up
  now_us
  START_US=$((NOW - t0))
  find_key "$label" "$size"
  # The round trip of a command that does next to nothing, for scale.
  for run in 1 2 3 4 5; do
    now_us
    t0=$NOW
    qtest_hex "$label" "read $DESC_ADDR 4"
    now_us
    rts+=($((NOW - t0)))
  done
  transfer "$label (cold)" "$size" 0
  COLD_US=$US
  for ((run = 1; run <= RUNS; run++)); do
    transfer "$label (warm $run)" "$size" "$run"
    warm+=("$US")
  done
  WARM_MED_US=$(median "${warm[@]}")
  WARM_BEST_US=$(min "${warm[@]}")
  RT_MED_US=$(median "${rts[@]}")
  RSS_KIB=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$CHILD_PID/status")
  [[ -n "$RSS_KIB" ]] || die "$label: no VmHWM in /proc/$CHILD_PID/status"
  child_stop "$label" "$([[ $side == qemu ]] && echo TERM)"
}

fstype=$(stat -f -c %T "$T")
echo "dma_bench: 1 cold + $RUNS warm DMA read(s) of the whole item per process; vmm $VMM; $(qemu-system-x86_64 --version | head -1)"
echo "host file: random bytes in $T ($fstype), in the page cache; DMA to guest 0x1000000, descriptor at 0x1000; one side at a time"
echo "ms: sending 'outl 0x518' to its OK; GB/s: 10^9 bytes/s; start_ms: fork to the first reply; rt_us: a 4-byte 'read' round trip (median); RSS: VmHWM at the end"
for s in "${SIZES[@]}"; do
  size=$((SIZE_MIB[$s] * 1048576))
  mem=$((SIZE_MIB[$s] + EXTRA_MIB))M
  rm -f "$BLOB"
  head -c "$size" /dev/urandom >"$BLOB"
  [[ $(stat -c %s "$BLOB") == "$size" ]] || die "could not write $size bytes to $BLOB"
  cat "$BLOB" >/dev/null
  echo
  echo "size $s ($size bytes), guest RAM $mem"
  printf '%-5s %-7s %9s %9s %14s %16s %12s %14s %8s %8s %6s %7s\n' size side cold_ms cold_GB/s \
    warm_median_ms warm_median_GB/s warm_best_ms warm_best_GB/s rss_MiB start_ms rt_us files
  declare -A COLD=() MED=()
  for side in lazy preload qemu; do
    measure "$side" "$size" "$mem" "$s"
    COLD[$side]=$COLD_US MED[$side]=$WARM_MED_US
    awk -v s="$s" -v side="$side" -v b="$size" -v c="$COLD_US" -v m="$WARM_MED_US" -v w="$WARM_BEST_US" \
      -v rss="$RSS_KIB" -v st="$START_US" -v rt="$RT_MED_US" -v f="$FILES" 'BEGIN {
        printf "%-5s %-7s %9.2f %9.2f %14.2f %16.2f %12.2f %14.2f %8.1f %8.1f %6d %7d\n", s, side,
          c / 1000, b / c / 1000, m / 1000, b / m / 1000, w / 1000, b / w / 1000, rss / 1024, st / 1000, rt, f
      }'
  done
  for side in lazy preload; do
    awk -v s="$s" -v side="$side" -v oc="${COLD[$side]}" -v qc="${COLD[qemu]}" -v om="${MED[$side]}" \
      -v qm="${MED[qemu]}" 'BEGIN {
      printf "%-5s ratio %s/QEMU speed (>1: ours faster): warm median %.2fx, cold %.2fx\n", s, side, qm / om, qc / oc
    }'
  done
done
