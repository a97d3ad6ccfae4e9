# Reads one fw_cfg item the way Linux's qemu_fw_cfg driver serves a sysfs
# `raw` read (fw_cfg_read_blob, called once per 4096-byte page): for each
# page it selects the item, discards the bytes before the page's offset with
# one `inb` each, then `rep insb`s the page. The item is the initrd
# (FW_CFG_INITRD_DATA, 0x12; its size from FW_CFG_INITRD_SIZE, 0x0b), so the
# host picks the bytes with --initramfs.
#
# COM1 shows 'S' when the reads start and 'F' when they end (the host times
# them), then the 32-bit sum of the bytes read as 8 hex digits and '\n';
# then the guest resets through the i8042.
.code64
.set COM1, 0x3f8
.set FW_CFG_SEL, 0x510
.set FW_CFG_DATA, 0x511
.set BUFFER, 0x200000
start:
  mov $COM1, %dx
  mov $'S', %al
  out %al, %dx
  # r8d = item size (little-endian u32 at key 0x0b).
  mov $FW_CFG_SEL, %dx
  mov $0x0b, %ax
  out %ax, %dx
  mov $FW_CFG_DATA, %dx
  xor %r8d, %r8d
  mov $4, %ecx
1:
  in %dx, %al
  movzbl %al, %eax
  shrd $8, %eax, %r8d
  dec %ecx
  jnz 1b
  xor %r9d, %r9d            # r9d: offset of the page
  xor %r10d, %r10d          # r10d: sum of the bytes
page:
  cmp %r8d, %r9d
  jae done
  mov $FW_CFG_SEL, %dx
  mov $0x12, %ax
  out %ax, %dx
  mov $FW_CFG_DATA, %dx
  mov %r9d, %ecx
  test %ecx, %ecx
  jz 3f
2:
  in %dx, %al               # discard the bytes before the page
  dec %ecx
  jnz 2b
3:
  mov %r8d, %ecx
  sub %r9d, %ecx
  cmp $4096, %ecx
  jbe 4f
  mov $4096, %ecx
4:
  mov %ecx, %r11d           # r11d: bytes in this page
  mov $BUFFER, %edi
  rep insb
  mov $BUFFER, %esi
5:
  movzbl (%rsi), %eax
  add %eax, %r10d
  inc %rsi
  dec %r11d
  jnz 5b
  add $4096, %r9d
  jmp page
done:
  mov $COM1, %dx
  mov $'F', %al
  out %al, %dx
  mov $8, %ecx
6:
  rol $4, %r10d
  mov %r10d, %eax
  and $0xf, %eax
  cmp $10, %eax
  jb 7f
  add $('a' - '0' - 10), %eax
7:
  add $'0', %eax
  out %al, %dx
  dec %ecx
  jnz 6b
  mov $'\n', %al
  out %al, %dx
  mov $0xfe, %al
  out %al, $0x64
8:
  hlt
  jmp 8b
