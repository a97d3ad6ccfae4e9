# A 64 KiB x86 test firmware (loaded like a BIOS image with -bios) that
# probes the fw_cfg device through its I/O ports and prints what it finds on
# COM1, one fact per line, every number lower-case hex:
#
#   FWCFG-FW start
#   SIG <the 4 signature bytes, in order>
#   FEATURES <key 0x0001 as a little-endian u32>
#   OPTFILES <how many directory entries are named opt/...>
#   then for each opt/ entry, in directory order:
#     FILE <name> SIZE <size>
#     SUM rep=<sum> byte=<sum or -> dma=<sum> ctl=<control after the DMA>
#       (or "SUM too-big" when the item is over 0xF000 bytes)
#   PROBE <name> <value>  for a list of odd register accesses (see below)
#   TIMING ... lines, only when the directory holds opt/org.fwcfg-vmm/timing
#   MMIO <name> <value>   only when the directory holds etc/fwcfg-vmm/mmio
#                         and QEMU's arm `virt` MMIO block answers at
#                         0xfe000000 (our vmm's --fw-cfg-arm-mmio; see below)
#   FWCFG-FW done
#
# then it resets the machine through the i8042.
#
# The whole image is mapped both just below 4 GiB and at 0xF0000, so it runs
# in real mode with CS = DS = 0xF000 (offsets in this file are offsets in
# that segment). SS:SP = 0:0x7000; variables and the DMA descriptor live in
# RAM at 0x7000..0x7fff (FS = 0); buffers: 0x10000 (rep insb), 0x20000 (DMA),
# 0x30000 (the file directory).
#
# Build: as --32 -o fwcfg_probe.o fwcfg_probe.S
#        objcopy -O binary fwcfg_probe.o fwcfg_probe.bin

.code16
.text

.set COM1, 0x3f8
.set FW_CFG_SEL, 0x510
.set FW_CFG_DATA, 0x511
.set FW_CFG_DMA_HI, 0x514
.set FW_CFG_DMA_LO, 0x518

.set KEY_SIGNATURE, 0x0000
.set KEY_FEATURES, 0x0001
.set KEY_FILE_DIR, 0x0019

.set DMA_ERROR, 0x01
.set DMA_READ, 0x02
.set DMA_SKIP, 0x04
.set DMA_SELECT, 0x08
.set DMA_WRITE, 0x10

.set MAX_ITEM, 0xf000       # largest item read into a buffer
.set MAX_BYTE_READ, 4096    # largest item summed one inb at a time
.set MAX_ENTRIES, 1000      # directory entries read

.set REP_SEG, 0x1000        # rep insb buffer at 0x10000
.set DMA_SEG, 0x2000        # DMA buffer at 0x20000
.set DMA_BUF, 0x20000
.set DIR_SEG, 0x3000        # the directory at 0x30000
.set DESC, 0x7000           # the DMA descriptor (physical, FS-relative)
.set MMIO_BASE, 0xfe000000  # where --fw-cfg-arm-mmio puts the arm block

# Variables, FS-relative (FS = 0).
.set VAR_COUNT, 0x7100      # u16: directory entries read
.set VAR_TIMING, 0x7102     # u8: 1 when the timing file is listed
.set VAR_BEST_FOUND, 0x7103 # u8: 1 when some opt/ item is <= MAX_ITEM
.set VAR_BEST_SIZE, 0x7104  # u32: size of the largest such item
.set VAR_BEST_KEY, 0x7108   # u16: its key
.set VAR_ENT, 0x710a        # u16: offset of the current entry
.set VAR_REM, 0x710c        # u16: entries left
.set VAR_KEY, 0x710e        # u16: key of the current entry
.set VAR_SIZE, 0x7110       # u32: size of the current entry
.set VAR_CTL, 0x7114        # u32: control word after the last DMA
.set VAR_MMIO, 0x7118       # u8: 1 when etc/fwcfg-vmm/mmio is listed

.set OPT_PREFIX, 0x2f74706f # "opt/" as a little-endian u32

start:
  cli
  cld
  mov %cs, %ax
  mov %ax, %ds
  xor %ax, %ax
  mov %ax, %ss
  mov $0x7000, %sp
  mov %ax, %fs
  mov %ax, %es

  mov $s_start, %si
  call puts

  # SIG: the signature bytes in order, the first one in the top byte.
  mov $KEY_SIGNATURE, %ax
  call select
  call read_be32
  mov $s_sig, %si
  call puts
  call puthex32
  call putnl

  # FEATURES: key 1 as a little-endian u32.
  mov $KEY_FEATURES, %ax
  call select
  call read_be32
  bswap %eax
  mov $s_features, %si
  call puts
  call puthex32
  call putnl

  # Read the directory: a big-endian count, then 64 bytes per entry.
  mov $KEY_FILE_DIR, %ax
  call select
  call read_be32
  cmp $MAX_ENTRIES, %eax
  jbe 1f
  mov $MAX_ENTRIES, %eax
1:
  mov %ax, %fs:VAR_COUNT
  shl $6, %ax
  mov %ax, %cx
  mov $DIR_SEG, %ax
  mov %ax, %es
  xor %di, %di
  mov $FW_CFG_DATA, %dx
  rep insb

  # First pass: count the opt/ entries, look for the timing file, and find
  # the largest opt/ item that fits a buffer.
  movb $0, %fs:VAR_TIMING
  movb $0, %fs:VAR_BEST_FOUND
  movb $0, %fs:VAR_MMIO
  xor %di, %di
  mov %fs:VAR_COUNT, %cx
  xor %ebp, %ebp
scan:
  jcxz scan_done
  mov $s_mmio_name, %si
  lea 8(%di), %bx
  call name_equals
  jne 1f
  movb $1, %fs:VAR_MMIO
1:
  cmpl $OPT_PREFIX, %es:8(%di)
  jne scan_next
  inc %ebp
  mov $s_timing_name, %si
  lea 8(%di), %bx
  call name_equals
  jne 1f
  movb $1, %fs:VAR_TIMING
1:
  mov %es:(%di), %eax
  bswap %eax
  cmp $MAX_ITEM, %eax
  ja scan_next
  cmpb $0, %fs:VAR_BEST_FOUND
  je 2f
  cmp %fs:VAR_BEST_SIZE, %eax
  jbe scan_next
2:
  mov %eax, %fs:VAR_BEST_SIZE
  mov %es:4(%di), %ax
  xchg %al, %ah
  mov %ax, %fs:VAR_BEST_KEY
  movb $1, %fs:VAR_BEST_FOUND
scan_next:
  add $64, %di
  dec %cx
  jmp scan
scan_done:
  mov $s_optfiles, %si
  call puts
  mov %ebp, %eax
  call puthex32
  call putnl

  # Second pass: read each opt/ item three ways.
  movw $0, %fs:VAR_ENT
  mov %fs:VAR_COUNT, %ax
  mov %ax, %fs:VAR_REM
item:
  cmpw $0, %fs:VAR_REM
  je items_done
  mov $DIR_SEG, %ax
  mov %ax, %es
  mov %fs:VAR_ENT, %di
  cmpl $OPT_PREFIX, %es:8(%di)
  jne item_next

  # FILE <name> SIZE <size>
  mov $s_file, %si
  call puts
  lea 8(%di), %bx
  mov $56, %cx
1:
  mov %es:(%bx), %al
  test %al, %al
  jz 2f
  call putc
  inc %bx
  loop 1b
2:
  mov $s_size, %si
  call puts
  mov %es:(%di), %eax
  bswap %eax
  mov %eax, %fs:VAR_SIZE
  call puthex32
  call putnl
  mov %es:4(%di), %ax
  xchg %al, %ah
  mov %ax, %fs:VAR_KEY

  cmpl $MAX_ITEM, %fs:VAR_SIZE
  jbe 3f
  mov $s_too_big, %si
  call puts
  jmp item_next
3:
  # rep=: rep insb the item into 0x10000, then sum it.
  mov $s_sum_rep, %si
  call puts
  mov %fs:VAR_KEY, %ax
  call select
  mov $REP_SEG, %ax
  mov %ax, %es
  xor %di, %di
  mov %fs:VAR_SIZE, %cx
  mov $FW_CFG_DATA, %dx
  rep insb
  mov %fs:VAR_SIZE, %cx
  call sum_es
  call puthex32

  # byte=: one inb per byte, small items only.
  mov $s_byte, %si
  call puts
  cmpl $MAX_BYTE_READ, %fs:VAR_SIZE
  jbe 4f
  mov $'-', %al
  call putc
  jmp 6f
4:
  mov %fs:VAR_KEY, %ax
  call select
  mov %fs:VAR_SIZE, %cx
  xor %ebx, %ebx
  mov $FW_CFG_DATA, %dx
  jcxz 5f
7:
  inb %dx, %al
  movzbl %al, %eax
  add %eax, %ebx
  loop 7b
5:
  mov %ebx, %eax
  call puthex32
6:
  # dma=: fill 0x20000 with 0xaa, DMA the item there, sum it.
  mov $s_dma, %si
  call puts
  mov $DMA_SEG, %ax
  mov %ax, %es
  xor %di, %di
  mov %fs:VAR_SIZE, %cx
  mov $0xaa, %al
  rep stosb
  movzwl %fs:VAR_KEY, %eax
  shl $16, %eax
  or $(DMA_SELECT | DMA_READ), %eax
  mov %fs:VAR_SIZE, %ecx
  mov $DMA_BUF, %ebx
  call dma
  mov %eax, %fs:VAR_CTL
  mov $DMA_SEG, %ax
  mov %ax, %es
  mov %fs:VAR_SIZE, %cx
  call sum_es
  call puthex32
  mov $s_ctl, %si
  call puts
  mov %fs:VAR_CTL, %eax
  call puthex32
  call putnl
item_next:
  addw $64, %fs:VAR_ENT
  decw %fs:VAR_REM
  jmp item
items_done:

  # PROBE inw-511: a 16-bit read of the data port.
  xor %ax, %ax
  call select
  mov $FW_CFG_DATA, %dx
  inw %dx, %ax
  movzwl %ax, %eax
  mov $p_inw_511, %si
  call probe_out

  # PROBE inl-510: a 32-bit read of the selector.
  xor %ax, %ax
  call select
  mov $FW_CFG_SEL, %dx
  inl %dx, %eax
  mov $p_inl_510, %si
  call probe_out

  # PROBE inb-510: an 8-bit read of the selector.
  xor %ax, %ax
  call select
  mov $FW_CFG_SEL, %dx
  inb %dx, %al
  movzbl %al, %eax
  mov $p_inb_510, %si
  call probe_out

  # PROBE inb-512: the port after the data port.
  xor %ax, %ax
  call select
  mov $(FW_CFG_DATA + 1), %dx
  inb %dx, %al
  movzbl %al, %eax
  mov $p_inb_512, %si
  call probe_out

  # PROBE outb-sel: does an 8-bit write to the selector select key 0?
  mov $KEY_FEATURES, %ax
  call select
  mov $FW_CFG_SEL, %dx
  xor %al, %al
  outb %al, %dx
  mov $FW_CFG_DATA, %dx
  inb %dx, %al
  movzbl %al, %eax
  mov $p_outb_sel, %si
  call probe_out

  # PROBE bit14: key 0 with the write flag.
  mov $0x4000, %ax
  call select
  mov $FW_CFG_DATA, %dx
  inb %dx, %al
  movzbl %al, %eax
  mov $p_bit14, %si
  call probe_out

  # PROBE bit15: key 0 with the arch-local flag.
  mov $0x8000, %ax
  call select
  mov $FW_CFG_DATA, %dx
  inb %dx, %al
  movzbl %al, %eax
  mov $p_bit15, %si
  call probe_out

  # PROBE past-end: the 5th and 6th bytes of the 4-byte key 1.
  mov $KEY_FEATURES, %ax
  call select
  call read_be32
  mov $FW_CFG_DATA, %dx
  inb %dx, %al
  mov %al, %bl
  inb %dx, %al
  mov %al, %bh
  movzwl %bx, %eax
  mov $p_past_end, %si
  call probe_out

  # PROBE dma-sig-hi / dma-sig-lo: 32-bit reads of the DMA register.
  mov $FW_CFG_DMA_HI, %dx
  inl %dx, %eax
  mov $p_dma_sig_hi, %si
  call probe_out
  mov $FW_CFG_DMA_LO, %dx
  inl %dx, %eax
  mov $p_dma_sig_lo, %si
  call probe_out

  # PROBE dma-write-ro: a DMA write to the read-only key 0.
  mov $(DMA_SELECT | DMA_WRITE), %eax
  mov $4, %ecx
  mov $DMA_BUF, %ebx
  call dma
  mov $p_dma_write_ro, %si
  call probe_out

  # PROBE dma-outside-ram: a DMA read to an address with no RAM.
  mov $(DMA_SELECT | DMA_READ), %eax
  mov $4, %ecx
  mov $0xe0000000, %ebx
  call dma
  mov $p_dma_outside_ram, %si
  call probe_out

  # PROBE dma-no-op: select only.
  mov $DMA_SELECT, %eax
  mov $4, %ecx
  mov $DMA_BUF, %ebx
  call dma
  mov $p_dma_no_op, %si
  call probe_out

  # PROBE dma-skip-read: select key 0 and skip 2 bytes, then read 2 more.
  mov $DMA_SEG, %ax
  mov %ax, %es
  movw $0xaaaa, %es:0
  mov $(DMA_SELECT | DMA_SKIP), %eax
  mov $2, %ecx
  mov $DMA_BUF, %ebx
  call dma
  mov $DMA_READ, %eax
  mov $2, %ecx
  mov $DMA_BUF, %ebx
  call dma
  movzwl %es:0, %eax
  mov $p_dma_skip_read, %si
  call probe_out

  # Timing, only when asked for through the directory.
  cmpb $0, %fs:VAR_TIMING
  je timing_done

  mov $s_timing_inb, %si
  call puts
  mov $KEY_SIGNATURE, %ax
  call select
  mov $4096, %cx
  rdtsc
  mov %eax, %esi
  mov %edx, %edi
  mov $FW_CFG_DATA, %dx
1:
  inb %dx, %al
  loop 1b
  rdtsc
  sub %esi, %eax
  sbb %edi, %edx
  call puthex64
  call putnl

  cmpb $0, %fs:VAR_BEST_FOUND
  je timing_done
  mov $s_timing_dma, %si
  call puts
  mov %fs:VAR_BEST_SIZE, %eax
  call puthex32
  mov $s_cycles, %si
  call puts
  movzwl %fs:VAR_BEST_KEY, %eax
  shl $16, %eax
  or $(DMA_SELECT | DMA_READ), %eax
  mov %fs:VAR_BEST_SIZE, %ecx
  mov $DMA_BUF, %ebx
  call dma_prepare
  rdtsc
  mov %eax, %esi
  mov %edx, %edi
  call dma_start
  rdtsc
  sub %esi, %eax
  sbb %edi, %edx
  call puthex64
  call putnl
timing_done:

  # MMIO: QEMU's arm `virt` register block at MMIO_BASE (data +0, selector
  # +8 big-endian, DMA +16), read from real mode through a flat GS (unreal
  # mode). Only when asked for (QEMU-KVM hangs the real-mode access to an
# unassigned 0xfe000000), and present when the DMA register's high half
# reads "QEMU". The
  # values are what qtest reads on QEMU's arm `virt` for the same accesses.
  cmpb $0, %fs:VAR_MMIO
  je mmio_done
  call enter_unreal
  addr32 movl %gs:MMIO_BASE+16, %eax
  cmp $0x554d4551, %eax
  jne mmio_done
  mov $m_dma_sig_hi, %si
  call mmio_out
  addr32 movl %gs:MMIO_BASE+20, %eax
  mov $m_dma_sig_lo, %si
  call mmio_out
  # Key 0 with a 16-bit write; then 1-, 2- and 4-byte data reads continue
  # through the item in memory order.
  addr32 movw $0, %gs:MMIO_BASE+8
  xor %eax, %eax
  addr32 movb %gs:MMIO_BASE, %al
  mov $m_readb, %si
  call mmio_out
  xor %eax, %eax
  addr32 movw %gs:MMIO_BASE, %ax
  mov $m_readw, %si
  call mmio_out
  addr32 movl %gs:MMIO_BASE, %eax
  mov $m_readl, %si
  call mmio_out
  # The selector is big-endian: the bytes 00 01 select key 1.
  addr32 movw $0x0100, %gs:MMIO_BASE+8
  addr32 movl %gs:MMIO_BASE, %eax
  mov $m_sel_be, %si
  call mmio_out
  # A 32-bit selector write selects nothing (key 1 stays, past its end).
  addr32 movl $0, %gs:MMIO_BASE+8
  xor %eax, %eax
  addr32 movb %gs:MMIO_BASE, %al
  mov $m_sel_32, %si
  call mmio_out
  # A data read at offset 1 returns 0.
  xor %eax, %eax
  addr32 movb %gs:MMIO_BASE+1, %al
  mov $m_data_1, %si
  call mmio_out
mmio_done:

  mov $s_done, %si
  call puts
  mov $0xfe, %al
  outb %al, $0x64
1:
  hlt
  jmp 1b

# ---------------------------------------------------------------------------
# Subroutines. Each one keeps every register it does not return in.

# Prints AL on COM1.
putc:
  push %dx
  mov $COM1, %dx
  outb %al, %dx
  pop %dx
  ret

# Prints a newline.
putnl:
  push %ax
  mov $'\n', %al
  call putc
  pop %ax
  ret

# Prints the NUL-terminated string at DS:SI.
puts:
  push %ax
  push %si
1:
  lodsb
  test %al, %al
  jz 2f
  call putc
  jmp 1b
2:
  pop %si
  pop %ax
  ret

# Prints EAX as 8 hex digits.
puthex32:
  push %eax
  push %ebx
  push %cx
  mov %eax, %ebx
  mov $8, %cx
1:
  rol $4, %ebx
  mov %bl, %al
  and $0x0f, %al
  add $'0', %al
  cmp $'9', %al
  jbe 2f
  add $('a' - '9' - 1), %al
2:
  call putc
  loop 1b
  pop %cx
  pop %ebx
  pop %eax
  ret

# Prints EDX:EAX as 16 hex digits.
puthex64:
  push %eax
  mov %edx, %eax
  call puthex32
  pop %eax
  call puthex32
  ret

# Prints "PROBE <the string at DS:SI> <EAX as 8 hex digits>\n".
probe_out:
  push %bx
  mov $s_probe, %bx
  call labeled_out
  pop %bx
  ret

# The same with "MMIO ".
mmio_out:
  push %bx
  mov $s_mmio, %bx
  call labeled_out
  pop %bx
  ret

# Prints "<the string at DS:BX><the string at DS:SI> <EAX as 8 hex digits>\n".
labeled_out:
  push %si
  mov %bx, %si
  call puts
  pop %si
  call puts
  push %ax
  mov $' ', %al
  call putc
  pop %ax
  call puthex32
  call putnl
  ret

# Selects fw_cfg key AX with a 16-bit write.
select:
  push %dx
  mov $FW_CFG_SEL, %dx
  outw %ax, %dx
  pop %dx
  ret

# Reads 4 bytes from the data port into EAX, the first byte in the top byte
# (a big-endian u32).
read_be32:
  push %ebx
  push %cx
  push %dx
  xor %ebx, %ebx
  mov $FW_CFG_DATA, %dx
  mov $4, %cx
1:
  inb %dx, %al
  shl $8, %ebx
  mov %al, %bl
  loop 1b
  mov %ebx, %eax
  pop %dx
  pop %cx
  pop %ebx
  ret

# EAX = the 32-bit sum of the CX bytes at ES:0.
sum_es:
  push %bx
  push %cx
  push %edx
  xor %eax, %eax
  xor %bx, %bx
  jcxz 2f
1:
  movzbl %es:(%bx), %edx
  add %edx, %eax
  inc %bx
  loop 1b
2:
  pop %edx
  pop %cx
  pop %bx
  ret

# Sets ZF when the NUL-terminated string at DS:SI equals the one at ES:BX.
name_equals:
  push %ax
  push %bx
  push %si
1:
  lodsb
  cmp %es:(%bx), %al
  jne 2f
  inc %bx
  test %al, %al
  jnz 1b
2:
  pop %si
  pop %bx
  pop %ax
  ret

# Writes the DMA descriptor at DESC: control EAX, length ECX, address EBX
# (the top 32 bits 0), all big-endian.
dma_prepare:
  push %eax
  push %ecx
  push %ebx
  bswap %eax
  mov %eax, %fs:DESC
  bswap %ecx
  mov %ecx, %fs:DESC + 4
  movl $0, %fs:DESC + 8
  bswap %ebx
  mov %ebx, %fs:DESC + 12
  pop %ebx
  pop %ecx
  pop %eax
  ret

# Starts the DMA described at DESC and waits (bounded) for the device to
# clear every control bit but the error bit; EAX = the control word then
# (host order).
dma_start:
  push %ecx
  push %dx
  xor %eax, %eax
  mov $FW_CFG_DMA_HI, %dx
  outl %eax, %dx
  mov $DESC, %eax
  bswap %eax
  mov $FW_CFG_DMA_LO, %dx
  outl %eax, %dx
  mov $0x100000, %ecx
1:
  mov %fs:DESC, %eax
  bswap %eax
  test $~DMA_ERROR, %eax
  jz 2f
  addr32 loop 1b
2:
  pop %dx
  pop %ecx
  ret

# A whole DMA transfer: dma_prepare then dma_start; EAX = the control word.
dma:
  call dma_prepare
  call dma_start
  ret

# ---------------------------------------------------------------------------
# Strings.

s_start: .asciz "FWCFG-FW start\n"
s_done: .asciz "FWCFG-FW done\n"
s_sig: .asciz "SIG "
s_features: .asciz "FEATURES "
s_optfiles: .asciz "OPTFILES "
s_file: .asciz "FILE "
s_size: .asciz " SIZE "
s_too_big: .asciz "SUM too-big\n"
s_sum_rep: .asciz "SUM rep="
s_byte: .asciz " byte="
s_dma: .asciz " dma="
s_ctl: .asciz " ctl="
s_probe: .asciz "PROBE "
s_mmio: .asciz "MMIO "
s_timing_inb: .asciz "TIMING inb n=00001000 cycles="
s_timing_dma: .asciz "TIMING dma bytes="
s_cycles: .asciz " cycles="
s_timing_name: .asciz "opt/org.fwcfg-vmm/timing"
s_mmio_name: .asciz "etc/fwcfg-vmm/mmio"
p_inw_511: .asciz "inw-511"
p_inl_510: .asciz "inl-510"
p_inb_510: .asciz "inb-510"
p_inb_512: .asciz "inb-512"
p_outb_sel: .asciz "outb-sel"
p_bit14: .asciz "bit14"
p_bit15: .asciz "bit15"
p_past_end: .asciz "past-end"
p_dma_sig_hi: .asciz "dma-sig-hi"
p_dma_sig_lo: .asciz "dma-sig-lo"
p_dma_write_ro: .asciz "dma-write-ro"
p_dma_outside_ram: .asciz "dma-outside-ram"
p_dma_no_op: .asciz "dma-no-op"
p_dma_skip_read: .asciz "dma-skip-read"
m_dma_sig_hi: .asciz "dma-sig-hi"
m_dma_sig_lo: .asciz "dma-sig-lo"
m_readb: .asciz "key0-readb"
m_readw: .asciz "key0-readw"
m_readl: .asciz "key0-readl"
m_sel_be: .asciz "key1-be-readl"
m_sel_32: .asciz "writel-sel-readb"
m_data_1: .asciz "data-offset1-readb"

# Loads GS with a flat 4 GiB data segment and returns to real mode with it
# ("unreal mode"): GS keeps the 4 GiB limit, so addr32 accesses through GS
# reach any 32-bit address.
enter_unreal:
  cli
  lgdtl %cs:unreal_gdtr
  mov %cr0, %eax
  or $1, %al
  mov %eax, %cr0
  jmp 1f
1:
  mov $8, %ax
  mov %ax, %gs
  mov %cr0, %eax
  and $0xfe, %al
  mov %eax, %cr0
  jmp 2f
2:
  xor %ax, %ax
  mov %ax, %gs
  ret

.p2align 3
unreal_gdt:
  .quad 0
  .quad 0x00cf92000000ffff  # base 0, limit 4 GiB, writable data
unreal_gdtr:
  .word 15
  .long 0xf0000 + unreal_gdt

# ---------------------------------------------------------------------------
# The reset vector: the CPU starts here (CS base 0xffff0000, IP 0xfff0);
# jump to the copy of the image at 0xF0000.
.org 0xfff0
reset:
  ljmp $0xf000, $start
.org 0x10000
