# A tiny 64-bit guest for the KVM smoke test, entered by the Linux loader at
# the kernel's 64-bit entry point (load address + 0x200) in long mode.
# It exercises string I/O in both directions and fw_cfg through a real vCPU:
# prints "hello " with rep outsb, selects fw_cfg key 0, reads the 4-byte
# signature with rep insb, prints it and a newline, then resets the machine
# through the i8042 (0xfe to port 0x64).
.code64
start:
  mov $0x3f8, %dx
  lea greeting(%rip), %rsi
  mov $6, %ecx
  rep outsb
  mov $0x510, %dx
  xor %eax, %eax
  out %ax, %dx
  mov $0x511, %dx
  lea signature(%rip), %rdi
  mov $4, %ecx
  rep insb
  mov $0x3f8, %dx
  lea signature(%rip), %rsi
  mov $4, %ecx
  rep outsb
  mov $10, %al
  out %al, %dx
  mov $0xfe, %al
  out %al, $0x64
1:
  hlt
  jmp 1b
greeting:
  .ascii "hello "
signature:
  .space 4
