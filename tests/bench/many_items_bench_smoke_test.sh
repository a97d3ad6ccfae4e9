#!/usr/bin/env bash
# many_items_bench with 50 and 200 items, one run each: it must finish, print
# a row per count and the E2BIG line; with its count check told to expect one
# item more, it must fail and say so.
#   $1: many_items_bench.sh   $2: vmm   $3: tests/shell/check.sh
set -u
bench="$1"
vmm="$2"
source "$3"

out=$("$bench" "$vmm" --runs 1 50 200 2>&1)
code=$?
printf '%s\n' "$out"
check "the benchmark exits 0" 0 "$code"
grep -Eq '^ +50 +[0-9.]+ +[0-9.]+ +[0-9.]+x +[0-9.]+ +[0-9.]+ +(argv|readconfig)$' <<<"$out"
check "a row for 50 items" 0 $?
grep -Eq '^ +200 +[0-9.]+ +[0-9.]+ +[0-9.]+x +[0-9.]+ +[0-9.]+ +(argv|readconfig)$' <<<"$out"
check "a row for 200 items" 0 $?
line=$(grep '^one argument: 10000 items' <<<"$out")
check "the one-argument line" 0 $?
if [[ "$(getconf PAGESIZE)" == 4096 ]]; then  # MAX_ARG_STRLEN is 32 pages
  [[ "$line" == *"execve fails: Argument list too long (E2BIG); as @FILE: started in "*" ms with the 10000 items" ]]
  check "E2BIG as one argument, @FILE works" 0 $?
fi

out=$(MANY_ITEMS_BENCH_COUNT_OFFSET=1 "$bench" "$vmm" --runs 1 50 2>&1)
code=$?
printf '%s\n' "$out"
check "a wrong item count fails the benchmark" 1 "$code"
# "N files, expected N+1", whatever number of files the vmm adds of its own.
if [[ "$out" =~ "ours with 50 items: the file directory has "([0-9]+)" files, expected "([0-9]+) ]]; then
  check "the wrong count is named" "$((BASH_REMATCH[1] + 1))" "${BASH_REMATCH[2]}"
else
  check "the wrong count is named" "a line naming the count" "none"
fi

check_done
