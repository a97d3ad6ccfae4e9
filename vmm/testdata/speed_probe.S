# Measures a KVM host for the Linux boot test: a tight loop of 2^22
# iterations (pure guest execution), then 4096 port writes to an unassigned
# port (4096 VM exits), each phase followed by a marker byte on COM1, then a
# reset through the i8042. The host times the markers' arrival.
.code64
start:
  mov $0x3f8, %dx
  mov $'L', %al
  out %al, %dx
  mov $0x400000, %ecx
1:
  dec %ecx
  jnz 1b
  mov $'E', %al
  out %al, %dx
  mov $4096, %ecx
  mov $0x80, %dx
2:
  out %al, %dx
  dec %ecx
  jnz 2b
  mov $0x3f8, %dx
  mov $'D', %al
  out %al, %dx
  mov $0xfe, %al
  out %al, $0x64
3:
  hlt
  jmp 3b
