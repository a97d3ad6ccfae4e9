#!/bin/bash
# Benchmark: snapshot and restore of a 256 MiB Linux guest on our vmm
# (vm.snapshot, vmm --restore) beside QEMU-KVM's `migrate` to a file and
# `-incoming` from it, in the same nested run (numbers measured there are
# nested-emulation figures: compare the two VMMs, not absolute times).
#
#   tools/bazel run -c opt //tests/e2e:snapshot_bench
#
# The guest (tools/test_guest, the ELF vmlinux, 256 MiB, 1 vCPU) fills its
# RAM with random bytes, a file in its root tmpfs until that is full (half
# the RAM: about 94 MiB), then prints a tick a second. For each VMM the script pauses it (vm.pause;
# QMP `stop`), saves it (vm.snapshot into a directory; QMP `migrate` to
# "exec:cat > FILE", waiting for `completed`), stops it, restores it
# (`vmm --restore` until vm.info answers "Paused"; QEMU `-incoming
# "exec:cat FILE" -S` until query-status says "paused"), resumes it and
# waits for the next tick. It prints the times and the bytes on disk.
#
#   snapshot_bench.sh VMM VMM_REMOTE BUILD_SH HARNESS GUEST_ITEMS FWCFG_STATIC
set -euo pipefail
export LC_ALL=C

VMM=$(realpath "$1")
REMOTE=$(realpath "$2")
BUILD_SH=$(realpath "$3")
source "$(realpath "$4")"
source "$(realpath "$5")"
FWCFG=$(realpath "$6")
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 not found" >&2; exit 1; }

T=$(mktemp -d /tmp/snapshot-bench.XXXXXX)
nested_use_guest "$BUILD_SH" || exit 1
GUEST=$NESTED_GUEST_DIR

cat >"$T/run" <<'RUN'
#!/bin/sh
dd if=/dev/urandom of=/fill bs=1M count=256 2>/dev/null
echo "BENCH-FILLED $(wc -c </fill)"
i=0
while :; do i=$((i + 1)); echo "BENCH-TICK $i"; sleep 1; done
RUN
initramfs_with_extra "$T/initramfs.cpio.gz" "$GUEST/initramfs.cpio.gz" "$FWCFG" "$T/run"
CMDLINE="console=ttyS0 panic=-1 quiet fwcfg_sum=-"

# A QMP client: qmp.py SOCKET COMMAND [JSON-ARGUMENTS] prints the return.
cat >"$T/qmp.py" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
def call(command, arguments=None):
    message = {"execute": command}
    if arguments is not None:
        message["arguments"] = arguments
    f.write(json.dumps(message) + "\n"); f.flush()
    while True:
        reply = json.loads(f.readline())
        if "return" in reply or "error" in reply:
            return reply
json.loads(f.readline())  # greeting
call("qmp_capabilities")
reply = call(sys.argv[2], json.loads(sys.argv[3]) if len(sys.argv) > 3 else None)
print(json.dumps(reply.get("return", reply)))
PY

cat >"$T/script.sh" <<EOF
source "$NESTED_HARNESS"
cd "\$NESTED_OUT"
scratch=\${TMPDIR:-/tmp}/snapshot-bench
rm -rf "\$scratch"; mkdir -p "\$scratch"
now_ms() { echo \$(( \${EPOCHREALTIME/./} / 1000 )); }
wait_for() {  # FILE TEXT SECONDS
  local i
  for ((i = 0; i < \$3 * 20; i++)); do
    grep -qF -- "\$2" "\$1" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "timed out waiting for '\$2' in \$1" >>errors; return 1
}
ticks() { grep -c BENCH-TICK "\$1" 2>/dev/null || true; }
result() { echo "BENCH \$*" | tee -a results; }

# --- our vmm
api=\$scratch/vmm.sock
nested_boot vmm 300 "$VMM" --kernel "$GUEST/vmlinux" --initramfs "$T/initramfs.cpio.gz" \\
  --cmdline "$CMDLINE" --memory size=256M --api-socket "\$api" &
pid=\$!
wait_for vmm.console "BENCH-TICK 2" 240
result "vmm guest_\$(grep -o 'BENCH-FILLED [0-9]*' vmm.console | tr ' ' =)"
"$REMOTE" --api-socket "\$api" pause
t0=\$(now_ms)
"$REMOTE" --api-socket "\$api" snapshot "\$scratch/vmm.snap" >vmm.snapshot.json
t1=\$(now_ms)
"$REMOTE" --api-socket "\$api" shutdown; wait \$pid
result "vmm snapshot_ms=\$((t1 - t0)) disk_bytes=\$(du -B1 -s "\$scratch/vmm.snap" | cut -f1) apparent_bytes=\$(du -B1 -s --apparent-size "\$scratch/vmm.snap" | cut -f1)"
t0=\$(now_ms)
nested_boot vmm-restored 120 "$VMM" --restore "\$scratch/vmm.snap" --api-socket "\$api" &
pid=\$!
until "$REMOTE" --api-socket "\$api" info 2>/dev/null | grep -q Paused; do sleep 0.01; done
t1=\$(now_ms)
"$REMOTE" --api-socket "\$api" resume
wait_for vmm-restored.console "BENCH-TICK" 60
t2=\$(now_ms)
"$REMOTE" --api-socket "\$api" shutdown; wait \$pid
result "vmm restore_ms=\$((t1 - t0)) resume_to_tick_ms=\$((t2 - t1))"

# --- QEMU-KVM
qmp=\$scratch/qemu.qmp
qemu_common=(qemu-system-x86_64 -M q35 -accel kvm -cpu host -m 256M -nodefaults
  -display none -no-reboot -serial stdio -kernel "$GUEST/vmlinux"
  -initrd "$T/initramfs.cpio.gz" -append "$CMDLINE")
nested_boot qemu 300 "\${qemu_common[@]}" -qmp "unix:\$qmp,server=on,wait=off" &
pid=\$!
wait_for qemu.console "BENCH-TICK 2" 240
result "qemu guest_\$(grep -o 'BENCH-FILLED [0-9]*' qemu.console | tr ' ' =)"
python3 "$T/qmp.py" "\$qmp" stop >/dev/null
t0=\$(now_ms)
python3 "$T/qmp.py" "\$qmp" migrate '{"uri": "exec:cat > '"\$scratch"'/qemu.state"}' >/dev/null
until python3 "$T/qmp.py" "\$qmp" query-migrate | grep -q '"status": "completed"'; do sleep 0.01; done
t1=\$(now_ms)
python3 "$T/qmp.py" "\$qmp" quit >/dev/null || true; wait \$pid || true
result "qemu snapshot_ms=\$((t1 - t0)) disk_bytes=\$(du -B1 "\$scratch/qemu.state" | cut -f1) apparent_bytes=\$(stat -c %s "\$scratch/qemu.state")"
t0=\$(now_ms)
nested_boot qemu-restored 120 "\${qemu_common[@]}" -qmp "unix:\$qmp,server=on,wait=off" \\
  -S -incoming "exec:cat \$scratch/qemu.state" &
pid=\$!
until python3 "$T/qmp.py" "\$qmp" query-status 2>/dev/null | grep -q '"status": "paused"'; do sleep 0.01; done
t1=\$(now_ms)
python3 "$T/qmp.py" "\$qmp" cont >/dev/null
wait_for qemu-restored.console "BENCH-TICK" 60
t2=\$(now_ms)
python3 "$T/qmp.py" "\$qmp" quit >/dev/null || true; wait \$pid || true
result "qemu restore_ms=\$((t1 - t0)) resume_to_tick_ms=\$((t2 - t1))"
EOF

echo "KVM here: $(kvm_backend); the runs: $(nested_mode); files in $T"
nested_run "$T" "$T/script.sh" 1500 || { nested_report_consoles "$T"; exit 1; }
[[ ! -s "$T/errors" ]] || { cat "$T/errors"; nested_report_consoles "$T"; exit 1; }
echo
echo "256 MiB guest, its tmpfs full of random bytes (nested figures: compare the rows)"
cat "$T/results"
