#!/usr/bin/env bash
# Benchmark (not a test): start-up time and peak RSS with many fw_cfg file
# items, our vmm beside QEMU 7.2, both in qtest mode (no vCPU, no KVM).
#
#   tools/bazel run -c opt //tests/bench:many_items_bench [-- [--runs R] N...]
#   many_items_bench.sh VMM [--runs R] [N...]    (default: 100 1000 4000 10000 16000)
#
# For each N it makes N host files of 64 bytes (distinct contents) and
# starts, R times each (default 3, alternating), with 128 MiB of guest RAM:
#   ours: vmm --qtest stdio --fw-cfg-config @FILE, FILE holding
#         items=[name=opt/bench/item00001,file=...:name=...]
#   QEMU: qemu-system-x86_64 -M q35 -accel tcg -S -nodefaults -qtest stdio
#         -global fw_cfg_io.x-file-slots=0x3fe0 (QEMU aborts on an assertion
#         past its default 32 file slots) and one `-fw_cfg name=..,file=..`
#         per item; where those arguments would not fit in ARG_MAX, the same
#         items as [fw_cfg] sections of a -readconfig file (column "QEMU via").
# The time is from just before the fork to the reply to `inb 0x511` (the
# first byte of the signature, after `outw 0x510 0x0`), so it covers exec,
# option parsing, opening the N files and building the device. Then it reads
# the file directory's count (key 0x19, 4 bytes big-endian) and fails unless
# it is N more than with no items (ours publishes 7 files of its own, QEMU's
# q35 15), and takes the peak RSS (VmHWM of /proc/PID/status) before ending
# the process. The table gives medians.
#
# It also shows, once, why `@FILE` exists: the 10,000-item value as one
# argument is over Linux's 128 KiB per argument (MAX_ARG_STRLEN), so execve
# fails with E2BIG, while @FILE with the same text works.
#
# MANY_ITEMS_BENCH_COUNT_OFFSET=K (for the smoke test only) makes the count
# check expect K more items than there are, so it must fail.
set -euo pipefail
export LC_ALL=C
trap '' PIPE  # a write to a process that died fails instead of killing us
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/qtest_child.sh"

readonly MEMORY=128M
readonly REPLY_TIMEOUT_S=120  # start-up with 16,000 items included
readonly EXIT_TIMEOUT_S=10
readonly MAX_ITEMS=16300      # QEMU: 0x3fe0 slots, 15 taken by its own files
readonly COUNT_OFFSET=${MANY_ITEMS_BENCH_COUNT_OFFSET:-0}

die() {
  echo "many_items_bench: $*" >&2
  exit 1
}

bench_args 3 N "$@"
COUNTS=("${ARGS[@]}")
[[ ${#COUNTS[@]} -gt 0 ]] || COUNTS=(100 1000 4000 10000 16000)
for n in "${COUNTS[@]}"; do
  [[ "$n" =~ ^[1-9][0-9]*$ && "$n" -le $MAX_ITEMS ]] ||
    die "item counts are 1 to $MAX_ITEMS, got '$n'"
done
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"

child_workdir many_items_bench


# make_items N: $T/nN/item00001... (64 bytes each: "item 00001 ...\n"), our
# config file ours.cfg, QEMU's -fw_cfg arguments (qemu.args, one a line) and
# -readconfig file qemu.cfg.
make_items() {
  local n=$1 dir=$T/n$1
  [[ -d "$dir" ]] && return 0
  mkdir "$dir"
  awk -v n="$n" 'BEGIN { for (i = 1; i <= n; i++) printf "item %05d %-52s\n", i, "fwcfg-vmm many_items_bench" }' |
    split -l 1 -a 5 --numeric-suffixes=1 - "$dir/item"
  [[ -f "$dir/$(printf 'item%05d' "$n")" ]] || die "could not make $n item files in $dir"
  awk -v n="$n" -v d="$dir" 'BEGIN {
    printf "items=["
    for (i = 1; i <= n; i++) printf "%sname=opt/bench/item%05d,file=%s/item%05d", (i > 1 ? ":" : ""), i, d, i
    print "]"
  }' >"$dir/ours.cfg"
  awk -v n="$n" -v d="$dir" 'BEGIN {
    for (i = 1; i <= n; i++) printf "-fw_cfg\nname=opt/bench/item%05d,file=%s/item%05d\n", i, d, i
  }' >"$dir/qemu.args"
  awk -v n="$n" -v d="$dir" 'BEGIN {
    for (i = 1; i <= n; i++) printf "[fw_cfg]\n  name = \"opt/bench/item%05d\"\n  file = \"%s/item%05d\"\n\n", i, d, i
  }' >"$dir/qemu.cfg"
}

# Whether QEMU's item arguments fit in one execve (strings, their NULs and
# pointers, and the environment), with 64 KiB to spare.
qemu_args_fit() {
  local args=$1 arg_max bytes
  arg_max=$(getconf ARG_MAX)
  bytes=$(($(wc -c <"$args") + 9 * $(wc -l <"$args") + $(env | wc -c) + 4096))
  ((bytes + 65536 < arg_max))
}

# start SIDE N: starts one process (N=0: no items) on a pair of FIFOs,
# setting CHILD_PID, TO (its stdin) and FROM (its stdout). QEMU_VIA says how
# QEMU got its items.
QEMU_VIA=
start() {
  local side=$1 n=$2 dir=$T/n$2 cmd=()
  case $side in
    ours)
      if ((n == 0)); then
        mkdir -p "$dir"
        echo 'items=[]' >"$dir/ours.cfg"
      fi
      cmd=("$VMM" --qtest stdio --memory "size=$MEMORY" --fw-cfg-config "@$dir/ours.cfg")
      ;;
    qemu)
      cmd=(qemu-system-x86_64 -M q35 -accel tcg -m "$MEMORY" -S -display none -nodefaults
        -qtest stdio -qtest-log /dev/null -global fw_cfg_io.x-file-slots=0x3fe0)
      QEMU_VIA=argv
      if ((n > 0)); then
        if qemu_args_fit "$dir/qemu.args"; then
          local args=()
          mapfile -t args <"$dir/qemu.args"
          cmd+=("${args[@]}")
        else
          QEMU_VIA=readconfig
          cmd+=(-readconfig "$dir/qemu.cfg")
        fi
      fi
      ;;
  esac
  child_start "${cmd[@]}"
}

# qtest_byte LABEL COMMAND: an `inb`, sets BYTE.
qtest_byte() {
  qtest "$1" "$2"
  [[ "$REPLY" =~ ^OK\ 0x([0-9a-f]{4})$ ]] || die "$1: '$2' answered '$REPLY'"
  BYTE=$((16#${BASH_REMATCH[1]}))
  ((BYTE <= 255)) || die "$1: '$2' answered '$REPLY', more than a byte"
}

# measure SIDE N: one start; sets MS (start-up in ms, 0.1 ms), COUNT (files
# in the directory) and RSS_KIB (VmHWM).
measure() {
  local side=$1 n=$2 label="$1 with $2 items" t0 t1
  now_us
  t0=$NOW
  start "$side" "$n"
  qtest "$label" "outw 0x510 0x0"
  [[ "$REPLY" == OK ]] || die "$label: 'outw 0x510 0x0' answered '$REPLY'$(child_stderr)"
  qtest_byte "$label" "inb 0x511"
  now_us
  t1=$NOW
  ((BYTE == 0x51)) || die "$label: the signature starts with byte $BYTE, not 0x51 ('Q')"
  MS=$(awk -v us=$((t1 - t0)) 'BEGIN { printf "%.1f", us / 1000 }')
  qtest "$label" "outw 0x510 0x19"
  COUNT=0
  for _ in 1 2 3 4; do
    qtest_byte "$label" "inb 0x511"
    COUNT=$((COUNT * 256 + BYTE))
  done
  RSS_KIB=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$CHILD_PID/status")
  [[ -n "$RSS_KIB" ]] || die "$label: no VmHWM in /proc/$CHILD_PID/status"
  child_stop "$label" "$([[ $side == qemu ]] && echo TERM)"
}

# measure_checked SIDE N: measure, and fail unless the directory holds N
# more files than with no items.
declare -A BASE
measure_checked() {
  local side=$1 n=$2 expected
  measure "$side" "$n"
  expected=$((BASE[$side] + n + COUNT_OFFSET))
  ((COUNT == expected)) ||
    die "$side with $n items: the file directory has $COUNT files, expected $expected (${BASE[$side]} of its own + $n items$( ((COUNT_OFFSET == 0)) || echo " + offset $COUNT_OFFSET"))"
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "many_items_bench: $RUNS run(s) each, median; vmm $VMM; $(qemu-system-x86_64 --version | head -1)"
echo "time: fork to the reply to 'inb 0x511' (fw_cfg signature); RSS: VmHWM; guest RAM $MEMORY on both"
for side in ours qemu; do
  measure "$side" 0
  BASE[$side]=$COUNT
done
echo "files without items: ours ${BASE[ours]}, QEMU ${BASE[qemu]}; each row checks that both have N more"
echo

printf '%7s %9s %9s %10s %13s %13s %11s\n' N "ours ms" "QEMU ms" "QEMU/ours" "ours RSS MiB" "QEMU RSS MiB" "QEMU via"
for n in "${COUNTS[@]}"; do
  make_items "$n"
  ours_ms=() qemu_ms=() ours_rss=() qemu_rss=()
  for ((run = 1; run <= RUNS; run++)); do
    measure_checked ours "$n"
    ours_ms+=("$MS") ours_rss+=("$RSS_KIB")
    measure_checked qemu "$n"
    qemu_ms+=("$MS") qemu_rss+=("$RSS_KIB")
  done
  o=$(median "${ours_ms[@]}") q=$(median "${qemu_ms[@]}")
  awk -v n="$n" -v o="$o" -v q="$q" -v orss="$(median "${ours_rss[@]}")" \
    -v qrss="$(median "${qemu_rss[@]}")" -v via="$QEMU_VIA" 'BEGIN {
      printf "%7d %9.1f %9.1f %9.1fx %13.1f %13.1f %11s\n", n, o, q, (o > 0 ? q / o : 0), orss / 1024, qrss / 1024, via
    }'
done
echo

# The 10,000-item value as one argument, then as @FILE.
make_items 10000
value=$(<"$T/n10000/ours.cfg")
code=0
err=$(timeout -k 5 60 "$VMM" --qtest stdio --memory "size=$MEMORY" --fw-cfg-config "$value" \
  </dev/null 2>&1 >/dev/null) || code=$?
if [[ "$err" == *"Argument list too long"* ]]; then
  direct="execve fails: Argument list too long (E2BIG)"
else
  direct="unexpectedly, no E2BIG (exit status $code: $(head -c 200 <<<"$err"))"
fi
measure_checked ours 10000
echo "one argument: 10000 items are a ${#value}-byte --fw-cfg-config value, over the 131072 bytes Linux allows in one argument: $direct; as @FILE: started in $MS ms with the $((COUNT - BASE[ours])) items"
