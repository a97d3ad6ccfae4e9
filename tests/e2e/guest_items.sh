# The user items the end-to-end tests give a Linux guest, and the checks of
# what the test guest (tools/test_guest/init) printed about them. Sourced:
#
#   source tests/e2e/guest_items.sh
#   items_make DIR                # writes the files; sets ITEM_NAMES,
#                                 # ITEM_FILES, ITEMS_VMM_CONFIG, ITEMS_QEMU_ARGS
#   items_check CONSOLE LABEL     # each item's line, with the host's sha256
#   comparable_lines CONSOLE     # rev and opt/ lines without keys, sorted
#   initramfs_with_extra OUT GUEST_INITRAMFS FWCFG RUN
#                                 # the guest's initramfs plus /bin/fwcfg
#                                 # and /extra/run (which /init runs)
#
# Sizes chosen for the driver's page-by-page reads: empty, 1 byte, exactly
# one page, one page and one byte, a 55-byte name (QEMU's longest), a string
# item and 64 KiB; plus the seed's opt/org.mycorp/setup_info.

ITEM_PREFIX=opt/org.fwcfg-vmm
ITEM_NAME55="$ITEM_PREFIX/$(printf '%*s' $((55 - ${#ITEM_PREFIX} - 1)) '' | tr ' ' n)"
ITEM_STRING=hello-fw_cfg

# pattern_file PATH SIZE: SIZE bytes of (i * 7 + i / 251) mod 256.
pattern_file() {
  awk -v n="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%c", (i * 7 + int(i / 251)) % 256 }' \
    </dev/null >"$1"
  [[ $(stat -c %s "$1") -eq $2 ]] || { echo "FAIL: building $1" >&2; return 1; }
}

items_make() {
  local dir=$1 i config=""
  mkdir -p "$dir"
  printf 'guest setup information\n' >"$dir/setup_info"
  : >"$dir/empty"
  printf 'x' >"$dir/one"
  pattern_file "$dir/4096" 4096
  pattern_file "$dir/4097" 4097
  pattern_file "$dir/64k" 65536
  printf '%s' "$ITEM_STRING" >"$dir/string"
  printf '%s' 0123456789 >"$dir/digits"
  ITEM_NAMES=(opt/org.mycorp/setup_info "$ITEM_PREFIX/empty" "$ITEM_PREFIX/one"
    "$ITEM_PREFIX/4096" "$ITEM_PREFIX/4097" "$ITEM_PREFIX/64k"
    "$ITEM_PREFIX/string" "$ITEM_NAME55")
  ITEM_FILES=("$dir/setup_info" "$dir/empty" "$dir/one" "$dir/4096" "$dir/4097"
    "$dir/64k" "$dir/string" "$dir/digits")
  ITEMS_QEMU_ARGS=()
  for i in "${!ITEM_NAMES[@]}"; do
    case "${ITEM_NAMES[$i]}" in
      # The two string items: given as strings, checked against a file.
      "$ITEM_PREFIX/string")
        config+=":name=${ITEM_NAMES[$i]},string=$ITEM_STRING"
        ITEMS_QEMU_ARGS+=(-fw_cfg "name=${ITEM_NAMES[$i]},string=$ITEM_STRING") ;;
      "$ITEM_NAME55")
        config+=":name=${ITEM_NAMES[$i]},string=0123456789"
        ITEMS_QEMU_ARGS+=(-fw_cfg "name=${ITEM_NAMES[$i]},string=0123456789") ;;
      *)
        config+=":name=${ITEM_NAMES[$i]},file=${ITEM_FILES[$i]}"
        ITEMS_QEMU_ARGS+=(-fw_cfg "name=${ITEM_NAMES[$i]},file=${ITEM_FILES[$i]}") ;;
    esac
  done
  ITEMS_VMM_CONFIG="items=[${config#:}]"
}

# The guest's lines, without the run's timestamps.
guest_lines() { sed -E 's/^[0-9]+\.[0-9]{6} //' "$1"; }

# comparable_lines CONSOLE: what two machines' guests must agree on: rev,
# and each opt/ item's line without its key (key numbers differ with the
# machine's own files).
comparable_lines() {
  guest_lines "$1" | grep -E '^FWCFG-GUEST: (rev=|no fw_cfg|done)' || true
  guest_lines "$1" | grep '^FWCFG-ITEM key=0x[0-9a-f]* size=[0-9]* name=opt/' |
    sed -E 's/^FWCFG-ITEM key=0x[0-9a-f]+ /FWCFG-ITEM /' | sort
}

# item_line NAME FILE: the " size=... name=... sum=..." part of the guest's
# line for an item with FILE's bytes.
item_line() {
  echo "size=$(stat -c %s "$2") name=$1 sum=$(sha256sum <"$2" | cut -d' ' -f1)"
}

# items_check CONSOLE LABEL: every item listed with its size and sha256.
items_check() {
  local console=$1 label=$2 i want fails=0
  for i in "${!ITEM_NAMES[@]}"; do
    want=$(item_line "${ITEM_NAMES[$i]}" "${ITEM_FILES[$i]}")
    if guest_lines "$console" | grep -qF -- " $want"; then
      echo "ok   $label: $want"
    else
      echo "FAIL $label: no line ending in: $want"
      fails=$((fails + 1))
    fi
  done
  return $((fails > 0))
}

# opt_keys_sorted CONSOLE: the opt/ items' keys ascend in name order (byte
# order, as QEMU assigns them).
opt_keys_sorted() {
  local name key prev=-1
  while read -r name key; do
    ((16#$key > prev)) || { echo "FAIL: key 0x$key of $name is out of name order"; return 1; }
    prev=$((16#$key))
  done < <(guest_lines "$1" | grep '^FWCFG-ITEM key=0x[0-9a-f]* size=[0-9]* name=opt/' |
    sed -E 's/^FWCFG-ITEM key=0x([0-9a-f]+) size=[0-9]+ name=(.*) sum=.*$/\2 \1/' |
    LC_ALL=C sort)
  [[ $prev -ge 0 ]] || { echo "FAIL: no opt/ items listed"; return 1; }
}

# initramfs_with_extra OUT GUEST_INITRAMFS FWCFG RUN: writes OUT, the guest's
# initramfs followed by a second archive (the kernel unpacks both) holding
# the static fwcfg as /bin/fwcfg and the script RUN as /extra/run.
initramfs_with_extra() {
  local out=$1 base=$2 fwcfg=$3 run=$4 dir
  command -v cpio >/dev/null || { echo "cpio not found (apt-get install cpio)" >&2; return 1; }
  dir=$(mktemp -d)
  mkdir -p "$dir/bin" "$dir/extra"
  cp "$fwcfg" "$dir/bin/fwcfg"
  cp "$run" "$dir/extra/run"
  chmod 755 "$dir/bin/fwcfg" "$dir/extra/run"
  { cat "$base"; (cd "$dir" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1); } >"$out"
  rm -rf "$dir"
}
