// The x86 Linux boot protocol (Documentation/x86/boot.rst): where the fields
// of the setup header and of boot_params (the "zero page") sit, and the few
// rules every loader applies. One place for what the VMM's loader
// (vmm/x86/linux_loader.cc) and QEMU's direct-boot plan for firmware
// (fw_cfg/linux_boot) both read and write, as rust-vmm's linux-loader keeps
// its bootparam.
//
//   const uint64_t setup_bytes = SetupBytes(image[kSetupSectsOffset]);
//   if (LoadLe32(image + kHeaderMagicOffset) != kHeaderMagic) ...

#ifndef LINUX_LOADER_BOOTPARAM_H_
#define LINUX_LOADER_BOOTPARAM_H_

#include <cstddef>
#include <cstdint>

namespace linux_loader {

// ---- The setup header, at the same offsets in a bzImage and in boot_params.
inline constexpr size_t kOldCmdlineMagicOffset = 0x020;   // u16 (< 2.02)
inline constexpr size_t kOldCmdlineOffsetOffset = 0x022;  // u16 (< 2.02)
inline constexpr size_t kSetupSectsOffset = 0x1f1;        // u8
inline constexpr size_t kVidModeOffset = 0x1fa;           // u16
inline constexpr size_t kBootFlagOffset = 0x1fe;          // u16, 0xaa55
inline constexpr size_t kJumpOffset = 0x200;              // u16
inline constexpr size_t kHeaderMagicOffset = 0x202;       // "HdrS"
inline constexpr size_t kVersionOffset = 0x206;           // u16
inline constexpr size_t kTypeOfLoaderOffset = 0x210;      // u8
inline constexpr size_t kLoadflagsOffset = 0x211;         // u8
inline constexpr size_t kRamdiskImageOffset = 0x218;      // u32
inline constexpr size_t kRamdiskSizeOffset = 0x21c;       // u32
inline constexpr size_t kHeapEndPtrOffset = 0x224;        // u16
inline constexpr size_t kCmdLinePtrOffset = 0x228;        // u32 (>= 2.02)
inline constexpr size_t kInitrdAddrMaxOffset = 0x22c;     // u32 (>= 2.03)
inline constexpr size_t kKernelAlignmentOffset = 0x230;   // u32 (>= 2.05)
inline constexpr size_t kXloadflagsOffset = 0x236;        // u16 (>= 2.12)
inline constexpr size_t kCmdlineSizeOffset = 0x238;       // u32 (>= 2.06)

inline constexpr uint16_t kBootFlag = 0xaa55;
// The bytes "HdrS", read as a little-endian u32.
inline constexpr uint32_t kHeaderMagic = 0x53726448;
inline constexpr uint8_t kLoadedHigh = 0x01;      // loadflags bit 0
inline constexpr uint8_t kCanUseHeap = 0x80;      // loadflags bit 7
inline constexpr uint16_t kXlfKernel64 = 1 << 0;  // 64-bit entry
inline constexpr uint16_t kXlfCanBeLoadedAbove4g = 1 << 1;
inline constexpr uint16_t kOldCmdlineMagic = 0xa33f;
inline constexpr uint8_t kLoaderTypeUndefined = 0xff;

inline constexpr uint64_t kSectorSize = 512;

// The real-mode setup's size: setup_sects sectors after the boot sector,
// where 0 means 4 (boot.rst: "for backwards compatibility").
constexpr uint64_t SetupSectors(uint8_t setup_sects) {
  return setup_sects == 0 ? 4 : setup_sects;
}
constexpr uint64_t SetupBytes(uint8_t setup_sects) {
  return (SetupSectors(setup_sects) + 1) * kSectorSize;
}

// ---- boot_params outside the setup header (arch/x86/include/uapi/asm/
// bootparam.h).
inline constexpr size_t kZeroPageSize = 4096;
inline constexpr size_t kAcpiRsdpAddrOffset = 0x070;  // u64
inline constexpr size_t kE820EntriesOffset = 0x1e8;   // u8
inline constexpr size_t kE820TableOffset = 0x2d0;     // 128 x 20 bytes
inline constexpr size_t kE820MaxEntries = 128;

}  // namespace linux_loader

#endif  // LINUX_LOADER_BOOTPARAM_H_
