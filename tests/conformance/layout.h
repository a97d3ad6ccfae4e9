// The two machine layouts the conformance suite drives, and the qtest
// commands that reach fw_cfg's registers on each.
//
//   x86_64   (QEMU `-M q35`): RAM from 0; selector at port 0x510 (16-bit
//            little-endian write), data at 0x510/0x511 (byte reads), DMA
//            address register at ports 0x514-0x51b (big-endian).
//   arm-virt (QEMU `-M virt`): RAM from 0x40000000; MMIO block at 0x09020000
//            with data at +0, the selector at +8 (16-bit big-endian write),
//            the DMA address register at +16 (big-endian).

#ifndef TESTS_CONFORMANCE_LAYOUT_H_
#define TESTS_CONFORMANCE_LAYOUT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace conformance {

enum class Layout { kX86_64, kArmVirt };

// "x86_64" or "arm-virt".
absl::StatusOr<Layout> ParseLayout(std::string_view name);
std::string LayoutName(Layout layout);

inline constexpr uint64_t kDefaultMemorySize = 256ull << 20;
inline constexpr uint64_t kArmVirtRamBase = 0x40000000;
inline constexpr uint64_t kArmVirtFwCfgBase = 0x09020000;
inline constexpr uint16_t kX86SelectorPort = 0x510;
inline constexpr uint16_t kX86DataPort = 0x511;
inline constexpr uint16_t kX86DmaPort = 0x514;
inline constexpr uint16_t kDirectoryKey = 0x19;

// The guest-physical address of the first byte of RAM.
uint64_t RamBase(Layout layout);

// Parses a memory size as written after `-m` (QEMU) or `size=` (our VMM):
// a decimal number with an optional K, M, G or T suffix (mebibytes without
// one, as QEMU reads `-m 256`).
absl::StatusOr<uint64_t> ParseMemorySize(std::string_view text);

// The qtest command that writes `key` to the selector register.
std::string SelectCommand(Layout layout, uint16_t key);

// The qtest commands that read the next `count` bytes of the selected item
// through the data register (x86: `inb 0x511` per byte; arm: `readq` per 8
// bytes), and the decoder of their replies back into bytes.
std::vector<std::string> DataReadCommands(Layout layout, uint32_t count);
absl::StatusOr<std::vector<uint8_t>> DecodeDataReadReplies(
    Layout layout, const std::vector<std::string>& replies, uint32_t count);

// The qtest commands that start a DMA transfer from the descriptor at
// `address`: the high half, then the low half (which starts it).
std::vector<std::string> DmaStartCommands(Layout layout, uint64_t address);

// Parses the value of a qtest reply `OK 0x...`.
absl::StatusOr<uint64_t> ParseValueReply(std::string_view reply);

// Parses the reply to `read ADDR LEN` (`OK 0x` + 2*LEN hex digits).
absl::StatusOr<std::vector<uint8_t>> ParseReadReply(std::string_view reply,
                                                    size_t length);

}  // namespace conformance

#endif  // TESTS_CONFORMANCE_LAYOUT_H_
