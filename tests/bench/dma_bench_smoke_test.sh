#!/usr/bin/env bash
# dma_bench with a 16 MiB item, one warm run: it must finish and print a row
# per side and the ratio lines; with its byte check told to look one byte
# off in the host file, it must fail and say where.
#   $1: dma_bench.sh   $2: vmm   $3: tests/shell/check.sh
set -u
bench="$1"
vmm="$2"
source "$3"

row='+[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+$'
out=$("$bench" "$vmm" --runs 1 16M 2>&1)
code=$?
printf '%s\n' "$out"
check "the benchmark exits 0" 0 "$code"
grep -Eq "^16M +lazy $row" <<<"$out"
check "a row for ours (lazy)" 0 $?
grep -Eq "^16M +preload $row" <<<"$out"
check "a row for ours (preload=on)" 0 $?
grep -Eq "^16M +qemu $row" <<<"$out"
check "a row for QEMU" 0 $?
for side in lazy preload; do
  grep -Eq "^16M +ratio $side/QEMU speed \(>1: ours faster\): warm median [0-9.]+x, cold [0-9.]+x$" <<<"$out"
  check "the ratio line for $side" 0 $?
done

out=$(DMA_BENCH_CHECK_OFFSET=1 "$bench" "$vmm" --runs 1 16M 2>&1)
code=$?
printf '%s\n' "$out"
check "wrong guest bytes fail the benchmark" 1 "$code"
grep -q '^dma_bench: lazy with 16M (cold): wrong guest bytes at item offset 0: ' <<<"$out"
check "the wrong bytes are named" 0 $?

check_done
