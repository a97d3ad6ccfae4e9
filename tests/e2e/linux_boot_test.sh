#!/bin/bash
# End to end: Debian's kernel boots on our vmm under KVM, and Linux's own
# qemu_fw_cfg driver reads the user's items. Runs on every machine through
# the nested-KVM harness (tests/nested/harness.sh): directly where the host
# has a hardware-assisted KVM, otherwise inside a Linux guest under QEMU's TCG
# with AMD SVM emulated, which needs no /dev/kvm on the host.
#
#   linux_boot_test.sh VMM_STATIC BUILD_SH HARNESS GUEST_ITEMS FWCFG_STATIC
#
# Four guests (tools/test_guest, Debian's kernel and busybox):
#   seed      the documented command line, verbatim: --kernel vmlinuz
#             --initramfs ... --cmdline console=ttyS0 --fw-cfg-config
#             initramfs=off,items=[name=opt/org.mycorp/setup_info,file=...]
#   items     the ELF vmlinux, --cpus boot=2, items of every size that
#             matters to the driver's page-by-page reads (guest_items.sh),
#             and etc/vmcoreinfo (vmcoreinfo=on): the driver publishes the
#             kernel's VMCOREINFO note there by DMA, the vmm says where it
#             is and writes it, read from guest RAM, to a file
#             (--vmcoreinfo-file); it must be an ELF note "VMCOREINFO" whose
#             OSRELEASE is the guest's `uname -r`. The guest also reads
#             the 64 KiB item with `fwcfg --dma` and `fwcfg --io`
#             (tools/fwcfg, static, in an appended initramfs): the host's
#             sha256 in a few requests each
#   mmio      the items guest again with fw_cfg's registers on the MMIO bus
#             at 0xfe000000 instead of the ports (--fw-cfg-mmio; the DSDT's
#             QEMU0002 node has a memory resource): the same opt/ items,
#             rev 3, and the vmcoreinfo write, by DMA through MMIO; there
#             is nothing at the ports, so `fwcfg --dma` says so and falls
#             back to sysfs, with the same sha256
#   disabled  the bzImage, --cpus boot=2, --fw-cfg-config disable: the
#             guest finds no fw_cfg
# Each must end with the guest powering off; the listing must show every
# item with the host file's size and sha256, the opt/ keys in name order,
# the guest must see KVM (CPUID) and keep time with kvm-clock, its wall clock
# (the RTC) within a few seconds of the host's, and its clock must advance at
# the host's rate.
set -euo pipefail
export LC_ALL=C

VMM=$(realpath "$1")
BUILD_SH=$(realpath "$2")
source "$(realpath "$3")"
source "$(realpath "$4")"
FWCFG=$(realpath "$5")

T=${TEST_TMPDIR:-$(mktemp -d)}
OUT="$T/out"
mkdir -p "$OUT"

nested_use_guest "$BUILD_SH" || exit 1
GUEST=$NESTED_GUEST_DIR
items_make "$T/items"

# fwcfg inside the guest: the 64 KiB item by DMA and by `rep insb`.
cat >"$T/run" <<'RUN'
#!/bin/sh
item=opt/org.fwcfg-vmm/64k
# fwcfg_fast=dma on the kernel command line: that backend only.
backends="dma io"
for word in $(cat /proc/cmdline); do
  case "$word" in fwcfg_fast=*) backends=${word#*=} ;; esac
done
for backend in $backends; do
  sum=$(fwcfg --$backend --stats dump $item 2>/tmp/err | sha256sum)
  sed 's/^/FWCFG-FAST-NOTE: /' /tmp/err
  echo "FWCFG-FAST backend=$backend sum=${sum%% *}"
done
RUN
initramfs_with_extra "$T/initramfs.cpio.gz" "$GUEST/initramfs.cpio.gz" "$FWCFG" "$T/run"

# What runs where KVM is (on the host, or in the nested L1).
cat >"$OUT/script.sh" <<EOF
source "$NESTED_HARNESS"
cd "\$NESTED_OUT"
nested_boot seed 300 "$VMM" --kernel "$GUEST/vmlinuz" \\
  --initramfs "$GUEST/initramfs.cpio.gz" --cmdline console=ttyS0 \\
  --fw-cfg-config "initramfs=off,items=[name=opt/org.mycorp/setup_info,file=$T/items/setup_info]"
echo "seed exit=\$?" >>status
nested_boot items 400 "$VMM" --kernel "$GUEST/vmlinux" \\
  --initramfs "$T/initramfs.cpio.gz" --cmdline "console=ttyS0 panic=-1 quiet" \\
  --cpus boot=2 --memory size=512M --fw-cfg-config "vmcoreinfo=on,$ITEMS_VMM_CONFIG" \\
  --vmcoreinfo-file "\$NESTED_OUT/items.vmcoreinfo"
echo "items exit=\$?" >>status
nested_boot mmio 400 "$VMM" --kernel "$GUEST/vmlinux" \\
  --initramfs "$T/initramfs.cpio.gz" \\
  --cmdline "console=ttyS0 panic=-1 quiet fwcfg_fast=dma" \\
  --memory size=512M --fw-cfg-mmio 0xfe000000 \\
  --fw-cfg-config "vmcoreinfo=on,$ITEMS_VMM_CONFIG"
echo "mmio exit=\$?" >>status
nested_boot disabled 300 "$VMM" --kernel "$GUEST/vmlinuz" \\
  --initramfs "$GUEST/initramfs.cpio.gz" --cmdline "console=ttyS0 panic=-1 quiet" \\
  --cpus boot=2 --fw-cfg-config disable
echo "disabled exit=\$?" >>status
EOF

nested_test_run "$OUT" "$OUT/script.sh" 1900

# guest_value CONSOLE KEY: the value of "KEY=" in the guest's lines.
guest_value() { guest_lines "$1" | grep -o "$2=[^ ]*" | head -n 1 | cut -d= -f2; }
# seconds_to CONSOLE TEXT: when TEXT appeared, in seconds since the vmm started.
seconds_to() { grep -m1 -F -- "$2" "$1" | cut -d' ' -f1; }

for run in seed items mmio disabled; do
  console="$OUT/$run.console"
  want=0
  grep -qx "$run exit=$want" "$OUT/status" 2>/dev/null ||
    fail "$run: the vmm did not exit 0 ($(grep "^$run " "$OUT/status" 2>/dev/null || echo 'not run'))"
  echo "== $run: the guest's fw_cfg lines"
  guest_lines "$console" 2>/dev/null | grep -a '^FWCFG-' || fail "$run: no guest output"
  echo "   (VMM start to the guest's init: $(seconds_to "$console" 'FWCFG-GUEST: start') s)"
done

# seed: the user's item, as the documented command line gives it.
c="$OUT/seed.console"
guest_lines "$c" | grep -qx 'FWCFG-GUEST: done' || fail "seed: the guest did not finish"
guest_lines "$c" | grep -qF " $(item_line opt/org.mycorp/setup_info "$T/items/setup_info")" ||
  fail "seed: opt/org.mycorp/setup_info is missing or wrong"
[[ "$(guest_value "$c" cpus)" == 1 ]] || fail "seed: the guest does not see 1 vCPU"

# items: every item, from an ELF kernel on two vCPUs.
c="$OUT/items.console"
guest_lines "$c" | grep -qx 'FWCFG-GUEST: done' || fail "items: the guest did not finish"
guest_lines "$c" | grep -qx 'FWCFG-GUEST: rev=3' || fail "items: rev is not 3 (traditional + DMA)"
items_check "$c" items || fail "items: an item is missing or wrong"
opt_keys_sorted "$c" || fail "items: the opt/ keys are not in name order"
[[ "$(guest_value "$c" cpus)" == 2 ]] || fail "items: the guest does not see 2 vCPUs"
[[ "$(guest_value "$c" hypervisor)" == KVM ]] ||
  fail "items: the guest did not detect KVM (CPUID 0x40000000)"
[[ "$(guest_lines "$c" | grep -o 'clocksource=[^ ]*' | sort -u)" == clocksource=kvm-clock ]] ||
  fail "items: the guest does not keep time with kvm-clock"

# fast_check CONSOLE LABEL BACKEND: fwcfg's read of the 64 KiB item has the
# host file's sha256.
fast_check() {
  local want got
  want=$(sha256sum <"$T/items/64k" | cut -d' ' -f1)
  got=$(guest_lines "$1" | sed -n "s/^FWCFG-FAST backend=$3 sum=//p" | head -n 1)
  [[ "$got" == "$want" ]] || fail "$2: fwcfg --$3 read ${got:-nothing}, the host has $want"
}
guest_lines "$c" | grep -a '^FWCFG-FAST' || true
fast_check "$c" items dma
fast_check "$c" items io
guest_lines "$c" | grep -q 'FWCFG-FAST-NOTE: fwcfg: stats: reader="x86 ports 0x510, DMA' ||
  fail "items: fwcfg --dma did not read through DMA"
guest_lines "$c" | grep -q 'FWCFG-FAST-NOTE: fwcfg: stats: reader="x86 ports 0x510, rep insb' ||
  fail "items: fwcfg --io did not read through the ports"

# items: the VMCOREINFO note, as the vmm read it from guest RAM where the
# guest said it is. Elf64_Nhdr (little-endian u32 namesz, descsz, type), the
# name padded to 4 bytes, then the text.
note="$OUT/items.vmcoreinfo"
where=$({ grep -o "vmcoreinfo: the guest's note is at 0x[0-9a-f]*, [0-9]* bytes" \
  "$OUT/items.stderr" || true; } | head -n 1)
echo "   vmm: ${where:-no vmcoreinfo line}"
[[ -n "$where" ]] || fail "items: the vmm did not report the guest's vmcoreinfo note"
le32() { od -An -t u4 -j "$2" -N 4 --endian=little "$1" | tr -d ' '; }
if [[ -s "$note" ]]; then
  namesz=$(le32 "$note" 0)
  descsz=$(le32 "$note" 4)
  name=$(dd if="$note" bs=1 skip=12 count=$((namesz - 1)) status=none)
  desc=$(dd if="$note" bs=1 skip=$((12 + (namesz + 3) / 4 * 4)) count="$descsz" status=none)
  release=$(printf '%s\n' "$desc" | sed -n 's/^OSRELEASE=//p')
  echo "   note: name=$name type=$(le32 "$note" 8) ${descsz}-byte text, OSRELEASE=$release"
  [[ "$name" == VMCOREINFO ]] || fail "items: the note is named '$name', not VMCOREINFO"
  [[ -n "$release" && "$release" == "$(guest_value "$c" kernel)" ]] ||
    fail "items: OSRELEASE '$release' is not the guest's release '$(guest_value "$c" kernel)'"
else
  fail "items: no vmcoreinfo note was written"
fi

# The guest's clock against the host's (L1's, when nested): the guest's wall
# clock comes from our RTC at boot and then runs on kvm-clock, so at the
# guest's last line it must match the host's within the RTC's 1 s steps, and
# its uptime must advance at the host's rate over the run (the 64 KiB item's
# reads alone take many seconds).
clock_field() { sed -n "s/^\([0-9.]*\) FWCFG-CLOCK: at=$2 .*$3=\([0-9.]*\).*/\1 \2/p" "$1"; }
read -r boot_start <"$OUT/items.start" || boot_start=0
read -r t0 u0 < <(clock_field "$c" start uptime) || true
read -r t1 u1 < <(clock_field "$c" done uptime) || true
read -r _ e1 < <(clock_field "$c" done epoch) || true
awk -v b="$boot_start" -v t0="${t0:-0}" -v u0="${u0:-0}" -v t1="${t1:-0}" \
    -v u1="${u1:-0}" -v e1="${e1:-0}" 'BEGIN {
  host = b + t1
  printf "   clock: guest wall clock %d, host clock %.2f (%+.2f s)\n", e1, host, e1 - host
  if (t1 - t0 < 5) { print "FAIL: the clock lines are missing or too close"; exit 1 }
  rate = (u1 - u0) / (t1 - t0)
  printf "   clock: guest uptime %.2f -> %.2f s over %.2f s of host time: rate %.3f\n", u0, u1, t1 - t0, rate
  if (e1 < host - 2.5 || e1 > host + 1.5) { print "FAIL: the guest'"'"'s wall clock is off"; exit 1 }
  if (rate < 0.9 || rate > 1.1) { print "FAIL: the guest'"'"'s clock does not keep time"; exit 1 }
}' || fails=$((fails + 1))

# mmio: the same items as the port run, through the MMIO registers; the
# DMA write of vmcoreinfo went through the MMIO DMA register.
c="$OUT/mmio.console"
guest_lines "$c" | grep -qx 'FWCFG-GUEST: done' || fail "mmio: the guest did not finish"
guest_lines "$c" | grep -qx 'FWCFG-GUEST: rev=3' || fail "mmio: rev is not 3 (traditional + DMA)"
items_check "$c" mmio || fail "mmio: an item is missing or wrong"
opt_lines() { guest_lines "$1" | grep -o 'size=.* name=opt/.*' | sort; }
[[ -n "$(opt_lines "$c")" && "$(opt_lines "$c")" == "$(opt_lines "$OUT/items.console")" ]] ||
  fail "mmio: the opt/ items differ from the port run's"
grep -q "vmcoreinfo: the guest's note is at" "$OUT/mmio.stderr" ||
  fail "mmio: the guest's vmcoreinfo DMA write did not arrive"
guest_lines "$c" | grep -a '^FWCFG-FAST' || true
fast_check "$c" mmio dma
guest_lines "$c" | grep -q 'FWCFG-FAST-NOTE: fwcfg: warning: --dma: no fw_cfg device at port 0x510.*reading through sysfs instead' ||
  fail "mmio: fwcfg --dma did not explain its fallback to sysfs"

# disabled: no device at all.
c="$OUT/disabled.console"
guest_lines "$c" | grep -qx 'FWCFG-GUEST: no fw_cfg' || fail "disabled: the guest found a fw_cfg device"
[[ "$(guest_value "$c" cpus)" == 2 ]] || fail "disabled: the guest does not see 2 vCPUs"

nested_test_end "$OUT" "the Linux guest read every item through qemu_fw_cfg ($(nested_mode))"
