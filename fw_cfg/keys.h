// The fw_cfg selector keys and wire constants, as QEMU defines them
// (include/standard-headers/linux/qemu_fw_cfg.h, docs/specs/fw_cfg.rst).

#ifndef FW_CFG_KEYS_H_
#define FW_CFG_KEYS_H_

#include <cstdint>

namespace fw_cfg {

// Generic keys.
inline constexpr uint16_t kSignature = 0x00;  // "QEMU"
inline constexpr uint16_t kId = 0x01;         // feature bits, u32 LE
inline constexpr uint16_t kUuid = 0x02;
inline constexpr uint16_t kRamSize = 0x03;  // u64 LE
inline constexpr uint16_t kNoGraphic = 0x04;
inline constexpr uint16_t kNbCpus = 0x05;  // u16 LE: boot CPUs
inline constexpr uint16_t kMachineId = 0x06;
inline constexpr uint16_t kKernelAddr = 0x07;  // u32 LE
inline constexpr uint16_t kKernelSize = 0x08;  // u32 LE
inline constexpr uint16_t kKernelCmdline =
    0x09;  // u32 LE: command-line address
inline constexpr uint16_t kInitrdAddr = 0x0a;
inline constexpr uint16_t kInitrdSize = 0x0b;
inline constexpr uint16_t kBootDevice = 0x0c;
inline constexpr uint16_t kNuma = 0x0d;
inline constexpr uint16_t kBootMenu = 0x0e;
inline constexpr uint16_t kMaxCpus = 0x0f;  // u16 LE
inline constexpr uint16_t kKernelEntry = 0x10;
inline constexpr uint16_t kKernelData = 0x11;
inline constexpr uint16_t kInitrdData = 0x12;
inline constexpr uint16_t kCmdlineAddr = 0x13;
inline constexpr uint16_t kCmdlineSize = 0x14;
inline constexpr uint16_t kCmdlineData = 0x15;
inline constexpr uint16_t kSetupAddr = 0x16;
inline constexpr uint16_t kSetupSize = 0x17;
inline constexpr uint16_t kSetupData = 0x18;
inline constexpr uint16_t kFileDir = 0x19;
inline constexpr uint16_t kFileFirst = 0x20;  // the first file's key

// Selector bits: bit 15 picks the architecture-local table; bit 14 was the
// write channel (ignored since QEMU 2.4); the low 14 bits index the table.
inline constexpr uint16_t kArchLocal = 0x8000;
inline constexpr uint16_t kWriteChannel = 0x4000;
inline constexpr uint16_t kEntryMask = 0x3fff;

// x86 architecture-local keys.
inline constexpr uint16_t kX86AcpiTables = kArchLocal | 0x00;
inline constexpr uint16_t kX86SmbiosEntries = kArchLocal | 0x01;
inline constexpr uint16_t kX86Irq0Override = kArchLocal | 0x02;
inline constexpr uint16_t kX86E820Table = kArchLocal | 0x03;
inline constexpr uint16_t kX86HpetBlock = kArchLocal | 0x04;

// kId feature bits.
inline constexpr uint32_t kFeatureTraditional = 0x01;
inline constexpr uint32_t kFeatureDma = 0x02;

// DMA control bits (FWCfgDmaAccess.control, big-endian; key in bits 31..16).
inline constexpr uint32_t kDmaError = 0x01;
inline constexpr uint32_t kDmaRead = 0x02;
inline constexpr uint32_t kDmaSkip = 0x04;
inline constexpr uint32_t kDmaSelect = 0x08;
inline constexpr uint32_t kDmaWrite = 0x10;

// "QEMU CFG", what reads of the DMA address register return (big-endian).
inline constexpr uint64_t kDmaSignature = 0x51454d5520434647ULL;

// File directory: u32 BE count, then per file u32 BE size, u16 BE select,
// u16 reserved, char name[56] (NUL-terminated, so at most 55 bytes).
inline constexpr int kFileNameSize = 56;
inline constexpr int kMaxFileNameLength = kFileNameSize - 1;
inline constexpr int kFileDirEntrySize = 64;

// QEMU's default number of file slots (machine property x-file-slots).
inline constexpr uint16_t kDefaultFileSlots = 0x20;

// x86 I/O port layout (q35, i440fx).
inline constexpr uint16_t kIoPortBase = 0x510;  // selector (16-bit) and data
inline constexpr uint16_t kIoPortDmaBase = 0x514;

// MMIO layout: data at +0, selector at +8, DMA at +16 (arm `virt`).
inline constexpr uint64_t kArmVirtMmioBase = 0x09020000;

}  // namespace fw_cfg

#endif  // FW_CFG_KEYS_H_
