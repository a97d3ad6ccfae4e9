#!/bin/bash
# End to end: a Linux guest is snapshotted in the middle of reading an
# fw_cfg item, the VMM goes away, the host file is deleted, and a new vmm
# restored from the snapshot lets the guest finish with the right sha256.
# Then a guest polling an item sees it change through the control API.
# Runs under KVM, through the nested-KVM harness where the host has none.
#
#   snapshot_test.sh VMM VMM_REMOTE BUILD_SH HARNESS GUEST_ITEMS FWCFG_STATIC
#
# Guests (tools/test_guest; 256 MiB each, the ELF vmlinux):
#   sysfs    1 vCPU reads a 64 KiB item page by page through Linux's
#            qemu_fw_cfg sysfs file (tens of seconds nested: the driver
#            re-reads the item from the start for every page). After page
#            8 of 16: vm.pause, vm.snapshot, vm.shutdown; the item's host
#            file is deleted; `vmm --restore` (paused), vm.resume; the
#            guest reads pages 9-16 and prints the sha256 of all 16.
#   dma      2 vCPUs read a 24 MiB item four times with `fwcfg --dma`
#            (tools/fwcfg, static, in an appended initramfs); snapshot and
#            restore the same way after the first round; every round's
#            sha256 must be the host file's.
#   modify   the guest polls a 5-byte item through sysfs; the test changes
#            it with vmm-remote modify-item to 18 bytes. The guest's next
#            read has the new bytes, as many as Linux's driver knows of: it
#            read the directory at probe, so its sysfs size stays 5 (the
#            device's directory says 18: fw-cfg.list).
# Figures printed: each snapshot's time, RAM covered and written, disk
# blocks, and the restored vmm's start-to-API time.
set -euo pipefail
export LC_ALL=C

VMM=$(realpath "$1")
REMOTE=$(realpath "$2")
BUILD_SH=$(realpath "$3")
source "$(realpath "$4")"
source "$(realpath "$5")"
FWCFG=$(realpath "$6")

T=${TEST_TMPDIR:-$(mktemp -d)}
OUT="$T/out"
mkdir -p "$OUT" "$T/items"

nested_use_guest "$BUILD_SH" || exit 1
GUEST=$NESTED_GUEST_DIR

pattern_file "$T/items/page16" 65536
head -c $((24 << 20)) /dev/urandom >"$T/items/dma24m"
sum_of_file() { sha256sum <"$1" | cut -d' ' -f1; }
SYSFS_SUM=$(sum_of_file "$T/items/page16")
DMA_SUM=$(sum_of_file "$T/items/dma24m")

# The guest's part: /extra/run, by snap_mode= on the kernel command line.
cat >"$T/run" <<'RUN'
#!/bin/sh
mode=
for word in $(cat /proc/cmdline); do
  case "$word" in snap_mode=*) mode=${word#*=} ;; esac
done
D=/sys/firmware/qemu_fw_cfg/by_name/opt/org.fwcfg-vmm
case "$mode" in
  sysfs)
    raw=$D/page16/raw
    pages=$(( ($(cat $D/page16/size) + 4095) / 4096 ))
    : >/tmp/out
    i=0
    while [ $i -lt $pages ]; do
      dd if=$raw bs=4096 skip=$i count=1 2>/dev/null >>/tmp/out
      i=$((i + 1))
      echo "SNAP-PAGE $i/$pages"
    done
    echo "SNAP-SUM mode=sysfs sum=$(sha256sum </tmp/out | cut -d' ' -f1)"
    ;;
  dma)
    for round in 1 2 3 4; do
      sum=$(fwcfg --dma dump opt/org.fwcfg-vmm/dma24m 2>/tmp/err | sha256sum)
      sed 's/^/SNAP-NOTE: /' /tmp/err
      echo "SNAP-SUM mode=dma round=$round sum=${sum%% *}"
    done
    ;;
  modify)
    # Poll until the item changes (at most ~100 s), then print it.
    first=$(cat $D/poll/raw)
    echo "SNAP-POLL first=$first"
    n=0
    while [ $n -lt 200 ]; do
      now=$(cat $D/poll/raw)
      if [ "$now" != "$first" ]; then
        echo "SNAP-POLL changed=$now size=$(cat $D/poll/size)"
        break
      fi
      n=$((n + 1))
      sleep 0.5
    done
    ;;
esac
RUN
initramfs_with_extra "$T/initramfs.cpio.gz" "$GUEST/initramfs.cpio.gz" "$FWCFG" "$T/run"

# What runs where KVM is (on the host, or in the nested L1). The host files
# the guests read are copied to scratch space, which L1 can delete.
cat >"$OUT/script.sh" <<EOF
source "$NESTED_HARNESS"
cd "\$NESTED_OUT"
scratch=\${TMPDIR:-/tmp}/snapshot-test
rm -rf "\$scratch"; mkdir -p "\$scratch"
remote() { "$REMOTE" --api-socket "\$1" "\${@:2}"; }
# wait_for FILE TEXT SECONDS
wait_for() {
  local i
  for ((i = 0; i < \$3 * 10; i++)); do
    grep -qF -- "\$2" "\$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timed out waiting for '\$2' in \$1" >>errors
  return 1
}
# snapshot_case NAME CPUS MODE MARKER ITEM: boot, wait for MARKER, pause,
# snapshot, shut down, delete ITEM's file, restore, resume, let it finish.
snapshot_case() {
  local name=\$1 cpus=\$2 mode=\$3 marker=\$4 item=\$5
  local file="\$scratch/\$item" snap="\$scratch/\$name.snap"
  cp "$T/items/\$item" "\$file"
  nested_boot \$name-before 400 "$VMM" --kernel "$GUEST/vmlinux" \\
    --initramfs "$T/initramfs.cpio.gz" --memory size=256M --cpus boot=\$cpus \\
    --cmdline "console=ttyS0 panic=-1 quiet fwcfg_sum=none/ snap_mode=\$mode" \\
    --fw-cfg-config "items=[name=opt/org.fwcfg-vmm/\$item,file=\$file]" \\
    --api-socket "\$scratch/\$name-1.sock" &
  local before=\$!
  # The guest gets there in about 20 s; a guest that does not (see
  # tests/nested/README.md on lost timer wakeups) is shut down at once.
  if ! wait_for \$name-before.console "\$marker" 150; then
    remote "\$scratch/\$name-1.sock" shutdown
    wait \$before; echo "\$name-before exit=\$?" >>status
    return
  fi
  remote "\$scratch/\$name-1.sock" pause
  remote "\$scratch/\$name-1.sock" info >\$name.paused.json
  remote "\$scratch/\$name-1.sock" snapshot "\$snap" >\$name.snapshot.json ||
    echo "\$name: snapshot failed" >>errors
  remote "\$scratch/\$name-1.sock" shutdown
  wait \$before; echo "\$name-before exit=\$?" >>status
  rm -f "\$file"
  ls "\$scratch" >\$name.scratch-after-delete
  local start=\$EPOCHREALTIME
  nested_boot \$name-after 400 "$VMM" --restore "\$snap" \\
    --api-socket "\$scratch/\$name-2.sock" &
  local after=\$!
  # Until the restored VM exists: the API answers "Created" while the vmm
  # still loads the KVM state, then the state it starts in.
  local i
  for ((i = 0; i < 600; i++)); do
    remote "\$scratch/\$name-2.sock" info >\$name.restored.json 2>/dev/null &&
      ! grep -q Created \$name.restored.json && break
    sleep 0.05
  done
  echo "\$(( (\${EPOCHREALTIME/./} - \${start/./}) / 1000 ))" >\$name.restore-ms
  remote "\$scratch/\$name-2.sock" resume || echo "\$name: resume failed" >>errors
  wait \$after; echo "\$name-after exit=\$?" >>status
}
snapshot_case sysfs 1 sysfs "SNAP-PAGE 8/16" page16
snapshot_case dma 2 dma "SNAP-SUM mode=dma round=1" dma24m

printf hello >"\$scratch/poll"
nested_boot modify 300 "$VMM" --kernel "$GUEST/vmlinux" \\
  --initramfs "$T/initramfs.cpio.gz" --memory size=256M \\
  --cmdline "console=ttyS0 panic=-1 quiet fwcfg_sum=none/ snap_mode=modify" \\
  --fw-cfg-config "items=[name=opt/org.fwcfg-vmm/poll,file=\$scratch/poll]" \\
  --api-socket "\$scratch/modify.sock" &
modify=\$!
if wait_for modify.console "SNAP-POLL first=hello" 150; then
  remote "\$scratch/modify.sock" modify-item opt/org.fwcfg-vmm/poll \\
    --string changed-by-the-api >modify.api 2>&1 || echo "modify: the API call failed" >>errors
  remote "\$scratch/modify.sock" fw-cfg-list >modify.list 2>&1
else
  remote "\$scratch/modify.sock" shutdown
fi
wait \$modify; echo "modify exit=\$?" >>status
EOF

nested_test_run "$OUT" "$OUT/script.sh" 1500
[[ ! -s "$OUT/errors" ]] || fail "$(cat "$OUT/errors")"
for run in sysfs-before sysfs-after dma-before dma-after modify; do
  grep -qx "$run exit=0" "$OUT/status" 2>/dev/null ||
    fail "$run: the vmm did not exit 0 ($(grep "^$run " "$OUT/status" 2>/dev/null || echo 'not run'))"
done
json_value() { grep -o "\"$2\": *[^,}]*" "$1" 2>/dev/null | head -n1 | sed 's/.*: *//; s/"//g'; }

for name in sysfs dma; do
  before="$OUT/$name-before.console" after="$OUT/$name-after.console"
  echo "== $name: before the snapshot"
  guest_lines "$before" 2>/dev/null | grep -a '^SNAP-' || true
  echo "== $name: after the restore"
  guest_lines "$after" 2>/dev/null | grep -a '^SNAP-' || true
  [[ "$(json_value "$OUT/$name.paused.json" state)" == Paused ]] ||
    fail "$name: vm.info did not say Paused"
  [[ "$(json_value "$OUT/$name.restored.json" state)" == Paused ]] ||
    fail "$name: the restored VM did not start paused"
  grep -q "$name" "$OUT/$name.scratch-after-delete" 2>/dev/null &&
    grep -qx "${name/sysfs/page16}" "$OUT/$name.scratch-after-delete" &&
    fail "$name: the host file was not deleted before the restore"
  echo "   snapshot: $(json_value "$OUT/$name.snapshot.json" seconds) s," \
    "RAM $(json_value "$OUT/$name.snapshot.json" memory_bytes) bytes," \
    "written $(json_value "$OUT/$name.snapshot.json" memory_data_bytes)," \
    "on disk $(json_value "$OUT/$name.snapshot.json" disk_bytes);" \
    "restore to API: $(cat "$OUT/$name.restore-ms" 2>/dev/null) ms"
done

# sysfs: pages 1-8 before, 9-16 after, and the whole item's sha256.
before=$(guest_lines "$OUT/sysfs-before.console" | grep -c '^SNAP-PAGE' || true)
after_first=$(guest_lines "$OUT/sysfs-after.console" | grep -m1 '^SNAP-PAGE' || true)
[[ $before -ge 8 && $before -lt 16 ]] ||
  fail "sysfs: $before pages before the snapshot (want 8 to 15: mid-read)"
[[ "$after_first" == "SNAP-PAGE $((before + 1))/16" ]] ||
  fail "sysfs: the restored guest went on with '$after_first', not page $((before + 1))"
guest_lines "$OUT/sysfs-after.console" | grep -qx "SNAP-SUM mode=sysfs sum=$SYSFS_SUM" ||
  fail "sysfs: the restored guest's sha256 is not the host file's ($SYSFS_SUM)"

# dma: round 1 before; every round's sum right; the rest after the restore.
guest_lines "$OUT/dma-before.console" | grep -qx "SNAP-SUM mode=dma round=1 sum=$DMA_SUM" ||
  fail "dma: round 1 before the snapshot is missing or wrong"
for round in 2 3 4; do
  guest_lines "$OUT/dma-before.console" "$OUT/dma-after.console" 2>/dev/null |
    grep -qx "SNAP-SUM mode=dma round=$round sum=$DMA_SUM" ||
    guest_lines "$OUT/dma-after.console" | grep -qx "SNAP-SUM mode=dma round=$round sum=$DMA_SUM" ||
    fail "dma: round $round's sha256 is missing or wrong"
done
guest_lines "$OUT/dma-after.console" | grep -q "^SNAP-SUM mode=dma round=4 " ||
  fail "dma: the restored guest did not finish its rounds"
guest_lines "$OUT/dma-after.console" | grep -qx 'FWCFG-GUEST: hypervisor=KVM cpus=2' &&
  fail "dma: the restored guest booted again instead of resuming"

# modify: the poller saw the new contents; the device's directory, the size.
echo "== modify"
guest_lines "$OUT/modify.console" 2>/dev/null | grep -a '^SNAP-' || true
guest_lines "$OUT/modify.console" | grep -qx 'SNAP-POLL changed=chang size=5' ||
  fail "modify: the guest did not see the new contents (up to its cached size)"
tr -d ' \n' <"$OUT/modify.list" 2>/dev/null |
  grep -q '"name":"opt/org.fwcfg-vmm/poll","size":18' ||
  fail "modify: fw-cfg.list does not give the new size"

nested_test_end "$OUT" "the guests read on across snapshot and restore"
