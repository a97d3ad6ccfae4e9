// QtestSession: QEMU's qtest text protocol, one command line in, one reply
// line out, over a machine's buses and memory with no vCPU running.
//
// Commands and replies as QEMU 7.2 gives them (softmmu/qtest.c):
//   outb|outw|outl PORT VALUE        -> OK
//   inb|inw|inl PORT                 -> OK 0x%04x
//   writeb|writew|writel|writeq ADDR VALUE   -> OK   (little-endian target)
//   readb|readw|readl|readq ADDR     -> OK 0x%016x
//   read ADDR LEN                    -> OK 0x<2*LEN hex digits>
//   write ADDR LEN 0xHEX             -> OK   (missing digits write zeros)
//   memset ADDR LEN BYTE             -> OK
//   b64read ADDR LEN                 -> OK <base64>
//   b64write ADDR LEN BASE64         -> OK
//   endianness                       -> OK little
// An unknown command answers `FAIL Unknown command 'NAME'`, exactly as QEMU.
// Numbers take C syntax (0x hex, 0 octal, decimal); values wider than the
// access are truncated, as QEMU does; extra words are ignored.
//
// Where QEMU aborts the whole process on a malformed line (a missing or
// unparsable number, a port above 0xffff, `read` of length 0, an empty line,
// doubled spaces), this answers one `FAIL <what is wrong>` line and keeps
// serving. Also stricter than QEMU: `write` data must start with 0x and
// hold only hex digits (QEMU turns other characters into 0xf nibbles and
// mis-parses upper case), and `b64write` data that decodes to fewer than LEN
// bytes is padded with zeros (QEMU writes LEN bytes from a shorter buffer).
// Transfers are limited to kMaxTransfer bytes so a reply stays bounded.

#ifndef VMM_QTEST_QTEST_SESSION_H_
#define VMM_QTEST_QTEST_SESSION_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vm-device/bus.h"
#include "vmm/qtest/address_space.h"

namespace vmm {

class QtestSession {
 public:
  static constexpr uint64_t kMaxTransfer = 64 << 20;

  QtestSession(const vm_device::PioBus& pio, SystemAddressSpace memory)
      : pio_(pio), memory_(memory) {}

  // Handles one command (without its line terminator) and returns the reply
  // (without the newline).
  std::string HandleLine(std::string_view line);

 private:
  std::string PortOut(const std::vector<std::string_view>& words);
  std::string PortIn(const std::vector<std::string_view>& words);
  std::string MemoryWrite(const std::vector<std::string_view>& words);
  std::string MemoryRead(const std::vector<std::string_view>& words);
  std::string BulkRead(const std::vector<std::string_view>& words, bool base64);
  std::string BulkWrite(const std::vector<std::string_view>& words,
                        bool base64);
  std::string MemorySet(const std::vector<std::string_view>& words);

  const vm_device::PioBus& pio_;
  const SystemAddressSpace memory_;
};

// Parses a qtest number: 0x/0X hex, leading-0 octal, or decimal, the whole
// word, at most 2^64 - 1, optionally negated with a leading '-' (modulo
// 2^64). (QEMU's qemu_strtou64 with base 0.)
bool ParseQtestNumber(std::string_view word, uint64_t* value);

// A command line's words, split on every single space as QEMU's g_strsplit
// does: doubled spaces give empty words.
std::vector<std::string_view> SplitQtestWords(std::string_view line);

// The access width, in bytes, that a port or memory command names by its
// last letter: outb/readb 1, outw/readw 2, outl/readl 4, readq/writeq 8.
int QtestAccessWidth(std::string_view command);

}  // namespace vmm

#endif  // VMM_QTEST_QTEST_SESSION_H_
