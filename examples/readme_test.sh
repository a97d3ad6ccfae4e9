#!/bin/bash
# README.md's embedding example is examples/custom_vmm, as it is.
#
#   readme_test.sh README FILE...
#
# In README.md's section "## Composing the packages into your own VMM", a
# code block (lines indented by four spaces) whose preceding line names
# `examples/custom_vmm/NAME` must be consecutive lines of that file, exactly.
# Each FILE (the example's files, as runfiles paths) must be quoted so at
# least once, and only they may be.
set -euo pipefail
export LC_ALL=C

readme=$1
shift

awk -v files="$*" '
function load(name,   line, n) {
  if (name in count) return 1
  if (!(name in declared)) return 0
  n = 0
  while ((getline line < name) > 0) text[name, ++n] = line
  close(name)
  count[name] = n
  return 1
}

function check(   name, i, k, same) {
  while (size > 0 && block[size] == "") size--
  if (size == 0) return
  name = source
  if (name == "") return  # a command, not an excerpt
  if (!load(name)) {
    printf "FAILED: README.md:%d quotes %s, which is not one of the example files (%s)\n", start, name, files
    failures++
    return
  }
  for (i = 0; i + size <= count[name]; i++) {
    same = 1
    for (k = 1; k <= size && same; k++) same = (text[name, i + k] == block[k])
    if (same) {
      printf "ok: README.md:%d is %s lines %d-%d\n", start, name, i + 1, i + size
      quoted[name]++
      return
    }
  }
  printf "FAILED: README.md:%d, quoted from %s, is not in it as it is; the block:\n", start, name
  for (k = 1; k <= size; k++) printf "    %s\n", block[k]
  failures++
}

BEGIN {
  n = split(files, list, " ")
  for (i = 1; i <= n; i++) declared[list[i]] = 1
}

/^## / {
  if (in_block) check()
  in_block = 0
  in_section = ($0 == "## Composing the packages into your own VMM")
  if (in_section) sections++
  next
}
!in_section { next }
in_block && ($0 ~ /^    / || $0 == "") { block[++size] = substr($0, 5); next }
in_block { check(); in_block = 0 }
/^    / {
  in_block = 1
  start = NR
  size = 0
  block[++size] = substr($0, 5)
  source = previous
  next
}
$0 != "" {
  previous = ""
  if (match($0, /`examples\/custom_vmm\/[^`]+`/)) {
    previous = substr($0, RSTART + 1, RLENGTH - 2)
  }
}

END {
  if (in_block) check()
  if (sections != 1) {
    print "FAILED: README.md has no (or more than one) section \"## Composing the packages into your own VMM\""
    failures++
  }
  for (i = 1; i <= n; i++) {
    if (!(list[i] in quoted)) {
      printf "FAILED: README.md quotes nothing from %s\n", list[i]
      failures++
    }
  }
  printf "%d failed\n", failures
  exit failures > 0
}
' "$readme"
