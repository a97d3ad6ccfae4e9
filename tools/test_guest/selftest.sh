#!/bin/bash
# Proves the test guest on QEMU: boots it with a few -fw_cfg items whose
# contents are fixed (a string, a small file, an empty file, a 1 MiB file and
# a name of exactly 55 bytes), and checks that the guest's listing shows each
# with the size and SHA-256 computed here on the host.
#
#   tools/test_guest/selftest.sh OUTDIR [run_qemu.sh options, e.g. --kvm]
#
# OUTDIR must hold a guest built by build.sh. Exit status 0 if all match.
set -euo pipefail

[[ $# -ge 1 ]] || { echo "usage: $0 OUTDIR [--kvm] [--timeout S]" >&2; exit 2; }
OUTDIR=$1; shift
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export LC_ALL=C

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

PREFIX=opt/org.fwcfg-vmm
STRING=hello-fw_cfg
printf 'fw_cfg file item\nline 2\n' >"$T/file.txt"
: >"$T/empty.bin"
# 1 MiB of a fixed pattern: bytes 0..250 repeated (251 is prime, so no
# alignment with page or chunk boundaries).
awk 'BEGIN { for (i = 0; i < 251; i++) printf "%c", i }' </dev/null >"$T/p251"
while [[ $(stat -c %s "$T/p251") -lt 1048576 ]]; do
  cat "$T/p251" "$T/p251" >"$T/p251.2" && mv "$T/p251.2" "$T/p251"
done
head -c 1048576 "$T/p251" >"$T/1mib.bin"
[[ $(stat -c %s "$T/1mib.bin") -eq 1048576 ]] || { echo "internal error: pattern file" >&2; exit 2; }
printf 'fifty-five' >"$T/n55.bin"
N55="$PREFIX/$(printf '%*s' $((55 - ${#PREFIX} - 1)) '' | tr ' ' n)"
[[ ${#N55} -eq 55 ]] || { echo "internal error: name is ${#N55} bytes" >&2; exit 2; }

# name<TAB>size<TAB>sha256, as the guest should report them.
printf '%s' "$STRING" >"$T/string.bin"
: >"$T/expected"
for pair in "string:$T/string.bin" "file:$T/file.txt" "empty:$T/empty.bin" \
            "1mib:$T/1mib.bin" "@n55:$T/n55.bin"; do
  n=${pair%%:*}; f=${pair#*:}
  [[ $n == @n55 ]] && name=$N55 || name=$PREFIX/$n
  printf '%s\t%s\t%s\n' "$name" "$(stat -c %s "$f")" \
    "$(sha256sum <"$f" | cut -d' ' -f1)" >>"$T/expected"
done
echo "host-side expected (name size sha256):"
sed 's/^/  /' "$T/expected"

rc=0
"$SCRIPT_DIR/run_qemu.sh" "$@" "$OUTDIR" \
  -fw_cfg "name=$PREFIX/string,string=$STRING" \
  -fw_cfg "name=$PREFIX/file,file=$T/file.txt" \
  -fw_cfg "name=$PREFIX/empty,file=$T/empty.bin" \
  -fw_cfg "name=$PREFIX/1mib,file=$T/1mib.bin" \
  -fw_cfg "name=$N55,file=$T/n55.bin" >"$T/listing" || rc=$?
echo "guest listing:"
sed 's/^/  /' "$T/listing"
[[ $rc -eq 0 ]] || { echo "selftest: FAIL (guest did not finish, status $rc)" >&2; exit 1; }

fail=0
while IFS=$'\t' read -r name size sum; do
  line=$(grep -F " name=$name sum=" "$T/listing" || true)
  want="size=$size name=$name sum=$sum"
  if [[ "$line" == FWCFG-ITEM\ key=0x*\ "$want" ]]; then
    echo "ok   $name"
  else
    echo "FAIL $name: want '$want', got '${line:-<missing>}'"
    fail=1
  fi
done <"$T/expected"
if [[ $fail -eq 0 ]]; then echo "selftest: PASS"; else echo "selftest: FAIL"; fi
exit $fail
