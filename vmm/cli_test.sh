#!/usr/bin/env bash
# The vmm binary as a user runs it: exit codes, one-line errors, the qtest
# endpoint over stdio, the build without fw_cfg and the fully static build.
#   $1: vmm (default build)   $2: vmm built with --//vmm:fw_cfg=false
#   $3: vmm_static   $4: tests/shell/check.sh
set -u
vmm="$1"
vmm_no_fw_cfg="$2"
vmm_static="$3"
source "$4"

"$vmm" --help >/dev/null
check "--help exits 0" 0 $?

err=$("$vmm" --frobnicate 2>&1 >/dev/null); code=$?
check "unknown option exits 2" 2 "$code"
check "unknown option message" "vmm: unknown option '--frobnicate' (see --help)" "$err"

err=$("$vmm" --fw-cfg-config 'items=[name=opt/a' 2>&1 >/dev/null); code=$?
check "malformed --fw-cfg-config exits 2" 2 "$code"
check "one line" 1 "$(printf '%s\n' "$err" | wc -l)"

err=$("$vmm" --qtest stdio --fw-cfg-config 'items=[name=opt/x,file=/nonexistent]' </dev/null 2>&1); code=$?
check "missing item file exits 1" 1 "$code"
[[ "$err" == *"/nonexistent"* ]]; check "missing file named" 0 $?

err=$("$vmm" --qtest stdio --memory size=100T </dev/null 2>&1); code=$?
check "unallocatable guest RAM exits 1" 1 "$code"
[[ "$err" == *"cannot map"* ]]; check "unallocatable RAM is named" 0 $?

# SIGTERM while serving a unix socket: the signal's status, no socket left.
sock=$(mktemp -u /tmp/cli_test.XXXXXX.sock)  # sun_path holds 108 bytes
"$vmm" --qtest "unix:$sock,server" --memory size=64M & pid=$!
for _ in $(seq 100); do [[ -S "$sock" ]] && break; sleep 0.05; done
kill -TERM "$pid"; wait "$pid"; code=$?
check "SIGTERM ends the qtest server with 128+15" 143 "$code"
[[ ! -e "$sock" ]]; check "no socket file left behind" 0 $?

out=$(printf 'outw 0x510 0x0\ninb 0x511\ninl 0x514\n' | "$vmm" --qtest stdio --memory size=64M)
check "qtest over stdio" "OK OK 0x0051 OK 0x554d4551" "$(echo $out)"

out=$(printf 'writew 0x9020008 0x0000\nreadq 0x9020000\n' |
      "$vmm" --qtest stdio --layout arm-virt --memory size=64M \
             --fw-cfg-config 'items=[name=opt/s,string="a,b"]')
check "qtest on arm-virt" "OK OK 0x00000000554d4551" "$(echo $out)"

err=$("$vmm_no_fw_cfg" --fw-cfg-config disable 2>&1 >/dev/null); code=$?
check "no-fw_cfg build rejects --fw-cfg-config" 2 "$code"
[[ "$err" == *"built without fw_cfg"* ]]; check "no-fw_cfg message" 0 $?

out=$(printf 'inb 0x511\ninl 0x514\n' | "$vmm_no_fw_cfg" --qtest stdio --memory size=64M)
check "no-fw_cfg build has no device" "OK 0x00ff OK 0xffffffff" "$(echo $out)"

# --//vmm:fw_cfg=false compiles the device out: nothing of namespace
# fw_cfg (the device, its option parser, its item files) is in the binary,
# while the default build has it.
check "the default build links the device" yes \
  "$(nm -C "$vmm" | grep -q 'fw_cfg::FwCfg::' && echo yes || echo no)"
check "the no-fw_cfg build has no fw_cfg symbol" 0 \
  "$(nm -C "$vmm_no_fw_cfg" | grep -c 'fw_cfg::')"

# The static build needs no dynamic loader and no shared library.
headers=$(readelf -lW "$vmm_static" 2>&1)
[[ "$headers" == *"Program Headers"* ]]; check "vmm_static is an ELF executable" 0 $?
[[ "$headers" != *INTERP* && "$headers" != *DYNAMIC* ]]
check "vmm_static has no interpreter and no dynamic section" 0 $?
out=$(printf 'outw 0x510 0x0\ninb 0x511\n' | "$vmm_static" --qtest stdio --memory size=64M)
check "vmm_static serves qtest" "OK OK 0x0051" "$(echo $out)"

# etc/vmcoreinfo: a guest's DMA write of QEMU's 16-byte record (format 1,
# size 48, note at 0x10000) makes the vmm say where the note is and write
# the note, read from guest RAM, to --vmcoreinfo-file. The key is 0x27: the
# files sort as bios-geometry, bootorder, etc/acpi/rsdp, etc/acpi/tables,
# etc/boot-fail-wait, etc/e820, etc/table-loader, etc/vmcoreinfo.
note=$(mktemp -u "${TEST_TMPDIR:-/tmp}/note.XXXXXX")
err=$(printf '%s\n' \
  'write 0x10000 40 0x0b000000100000000000000056434f5245494e464f0000004f5352454c454153453d780a00000000' \
  'write 0x2000 16 0x00000100300000000000010000000000' \
  'write 0x1000 16 0x00270018000000100000000000002000' \
  'outl 0x514 0x0' 'outl 0x518 0x00100000' 'read 0x1000 4' |
  "$vmm" --qtest stdio --memory size=64M --fw-cfg-config vmcoreinfo=on \
    --vmcoreinfo-file "$note" 2>&1 >/dev/null)
check "vmcoreinfo: the vmm reports the note" \
  "vmm: vmcoreinfo: the guest's note is at 0x10000, 48 bytes (format 1)" "$err"
check "vmcoreinfo: the note file is the 40-byte note from guest RAM" \
  "0b000000100000000000000056434f5245494e464f0000004f5352454c454153453d780a00000000" \
  "$(od -An -v -tx1 "$note" 2>/dev/null | tr -d ' \n')"
err=$("$vmm" --qtest stdio --vmcoreinfo-file "$note" </dev/null 2>&1); code=$?
check "--vmcoreinfo-file without vmcoreinfo=on exits 2" 2 "$code"

check_done
